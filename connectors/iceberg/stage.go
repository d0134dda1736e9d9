package iceberg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	iceio "github.com/apache/iceberg-go/io"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

// stagedReader reads remote data files (S3) with the local Parquet reader
// of connectors/file: it copies one file at a time into a temporary
// directory, reads it, and deletes it before fetching the next, so a scan
// holds at most one data file on disk. Files are already pruned by
// Iceberg's planning; row groups are pruned after the copy (the whole file
// is fetched). Stats sum the per-file readers' counts.
type stagedReader struct {
	fs     iceio.IO
	set    []file.ParquetFile // Paths are the remote locations
	schema *arrow.Schema
	req    catalog.ScanRequest

	next    int                 // index of the next location to fetch
	cur     catalog.BatchReader // reader of the staged file; nil between files
	curLoc  string
	tmpDir  string // created on the first fetch
	emitted int64
	stats   map[string]int64 // of the finished files
	closed  bool
}

var (
	_ catalog.BatchReader = (*stagedReader)(nil)
	_ catalog.ScanStats   = (*stagedReader)(nil)
)

func newStagedReader(fs iceio.IO, set []file.ParquetFile, schema *arrow.Schema, req catalog.ScanRequest) *stagedReader {
	return &stagedReader{fs: fs, set: set, schema: schema, req: req, stats: map[string]int64{}}
}

// limited reports whether the scan's row limit applies and is reached.
func (r *stagedReader) limited() bool {
	limit := r.req.RowLimit()
	return limit >= 0 && r.emitted >= limit
}

// Next returns the next batch, or io.EOF after the last file.
func (r *stagedReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if r.closed {
		return nil, errors.New("reading staged data files: reader is closed")
	}
	for {
		if r.limited() {
			return nil, io.EOF
		}
		if r.cur == nil {
			if r.next >= len(r.set) {
				return nil, io.EOF
			}
			if err := r.stage(ctx, r.set[r.next]); err != nil {
				return nil, err
			}
			r.next++
		}
		b, err := r.cur.Next(ctx)
		if errors.Is(err, io.EOF) {
			if err := r.finishFile(); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", r.curLoc, err)
		}
		r.emitted += b.NumRows()
		return b, nil
	}
}

// stage copies f into the temporary directory and opens its reader.
func (r *stagedReader) stage(ctx context.Context, f file.ParquetFile) error {
	loc := f.Path
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.tmpDir == "" {
		dir, err := os.MkdirTemp("", "streamsql-iceberg-*")
		if err != nil {
			return fmt.Errorf("staging %s: %w", loc, err)
		}
		r.tmpDir = dir
	}
	path := filepath.Join(r.tmpDir, "data.parquet")
	if err := copyFile(r.fs, loc, path); err != nil {
		return fmt.Errorf("staging %s: %w", loc, err)
	}
	req := r.req
	if req.Limit > 0 && len(req.Filters) == 0 {
		req.Limit -= r.emitted
	}
	rdr, err := file.ScanParquetFileSet(ctx, []file.ParquetFile{{Path: path, Constants: f.Constants, FieldIDs: f.FieldIDs}}, r.schema, req)
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("reading %s: %w", loc, err)
	}
	r.cur, r.curLoc = rdr, loc
	return nil
}

// copyFile copies the remote file loc to the local path.
func copyFile(fs iceio.IO, loc, path string) error {
	src, err := fs.Open(loc)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// finishFile folds the current file's stats in, closes its reader and
// deletes the staged copy.
func (r *stagedReader) finishFile() error {
	if s, ok := r.cur.(catalog.ScanStats); ok {
		for k, v := range s.Stats() {
			r.stats[k] += v
		}
	}
	err := r.cur.Close()
	r.cur = nil
	if rmErr := os.Remove(filepath.Join(r.tmpDir, "data.parquet")); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
		err = errors.Join(err, rmErr)
	}
	if err != nil {
		return fmt.Errorf("closing staged copy of %s: %w", r.curLoc, err)
	}
	return nil
}

// Stats reports the per-file readers' counts ("files", "row_groups",
// "row_groups_pruned"), the open file's included.
func (r *stagedReader) Stats() map[string]int64 {
	out := map[string]int64{}
	for k, v := range r.stats {
		out[k] = v
	}
	if s, ok := r.cur.(catalog.ScanStats); ok {
		for k, v := range s.Stats() {
			out[k] += v
		}
	}
	return out
}

// Close releases the open file and removes the temporary directory; it
// may be called more than once.
func (r *stagedReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	var err error
	if r.cur != nil {
		err = r.cur.Close()
		r.cur = nil
	}
	if r.tmpDir != "" {
		err = errors.Join(err, os.RemoveAll(r.tmpDir))
	}
	if err != nil {
		return fmt.Errorf("closing staged data files: %w", err)
	}
	return nil
}
