package iceberg

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

// Table is an Iceberg table as a catalog.Table (and catalog.SinkTable). Its
// schema is fixed when it is opened; every scan reloads the table's
// metadata, so commits made since are seen (shares of a parallel scan read
// the snapshot pinned by Partitions). Safe for concurrent scans.
type Table struct {
	w      *Warehouse
	name   string
	schema *arrow.Schema
	ids    []int // Iceberg field id of each schema column (0: none), fixed with the schema
	opts   TableOptions

	mu     sync.Mutex
	pinned int64 // snapshot id the shares of parallel scans read; 0 none yet

	planMu sync.Mutex  // held while planning shares, so siblings wait and reuse
	plan   *sharedPlan // the last plan of a parallel scan
}

var (
	_ catalog.Table     = (*Table)(nil)
	_ catalog.SinkTable = (*Table)(nil)
	_ catalog.Describer = (*Table)(nil)
)

func newTable(w *Warehouse, name string, tbl *table.Table, opts TableOptions) (*Table, error) {
	schema := opts.Schema
	if schema == nil {
		var err error
		if schema, err = nativeSchema(tbl.Schema()); err != nil {
			return nil, fmt.Errorf("loading table %s: %w", name, err)
		}
	}
	return &Table{w: w, name: name, schema: schema, ids: fieldIDs(tbl.Schema(), schema), opts: opts}, nil
}

// Schema is the table's columns in native types.
func (t *Table) Schema() *arrow.Schema { return t.schema }

// Describe names the table for EXPLAIN and \d.
func (t *Table) Describe() string {
	d := "iceberg " + t.name + " in " + t.w.loc
	if t.opts.SnapshotID != 0 {
		d += " at snapshot " + strconv.FormatInt(t.opts.SnapshotID, 10)
	}
	return d
}

// Scan plans the data files with Iceberg (partition and manifest statistics
// pruning from req.Filters) and reads the survivors with the Parquet
// reader of connectors/file (row-group pruning, projection). The reader
// implements catalog.ScanStats. Data files with delete files (position,
// equality, deletion vectors) are read by iceberg-go, which applies them
// (deleteReader). With req.Partitions > 1 it reads only its round-robin share of
// the planned files of the pinned snapshot (see Partitions).
func (t *Table) Scan(ctx context.Context, req catalog.ScanRequest) (catalog.BatchReader, error) {
	tbl, err := t.w.cat.LoadTable(ctx, splitName(t.name))
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", t.name, err)
	}
	var opts []table.ScanOption
	if e := filterExpr(tbl.Schema(), t.schema, req.Filters); e != nil {
		opts = append(opts, table.WithRowFilter(e))
	}
	snap := tbl.CurrentSnapshot()
	if id := t.snapshotFor(tbl, req); id != 0 {
		opts = append(opts, table.WithSnapshotID(id))
		if snap = tbl.SnapshotByID(id); snap == nil {
			return nil, fmt.Errorf("scanning %s: no snapshot %d", t.name, id)
		}
	}
	var tasks []table.FileScanTask
	if snap != nil { // an empty table has no snapshot and no files
		plan := func() ([]table.FileScanTask, error) { return tbl.Scan(opts...).PlanFiles(ctx) }
		if tasks, err = t.planShared(snap.SnapshotID, req, plan); err != nil {
			return nil, fmt.Errorf("scanning %s: planning files: %w", t.name, err)
		}
	}
	planned := int64(len(tasks))
	tasks = shareOf(tasks, req.Partition, req.Partitions)
	set := make([]file.ParquetFile, 0, len(tasks))
	var withDeletes []table.FileScanTask
	for _, task := range tasks {
		if hasDeletes(task) {
			withDeletes = append(withDeletes, task)
			continue
		}
		set = append(set, file.ParquetFile{Path: task.File.FilePath(), Constants: identityConstants(tbl, t.schema, t.ids, task.File), FieldIDs: t.ids})
	}
	considered := planned
	if snap != nil && snap.Summary != nil {
		if n, err := strconv.ParseInt(snap.Summary.Properties["total-data-files"], 10, 64); err == nil && n >= considered {
			considered = n
		}
	}
	// The files are already split; the Parquet reader must not split
	// their row groups again.
	whole := req
	whole.Partition, whole.Partitions = 0, 0
	rdr, err := t.readFiles(ctx, tbl, set, whole)
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", t.name, err)
	}
	if len(withDeletes) > 0 {
		dr, err := t.readWithDeletes(ctx, tbl, opts, withDeletes, whole)
		if err != nil {
			rdr.Close()
			return nil, fmt.Errorf("scanning %s: %w", t.name, err)
		}
		rdr = &chainReader{parts: []catalog.BatchReader{rdr, dr}, limit: req.RowLimit()}
	}
	return &scanReader{BatchReader: rdr, considered: considered, planned: planned, share: req.Partitions > 1, first: req.Partition == 0}, nil
}

// readFiles reads the data files of set (Paths are Iceberg locations)
// with the Parquet reader of connectors/file: directly when they are
// local (file://), else staged one at a time through the table's file IO
// (S3).
func (t *Table) readFiles(ctx context.Context, tbl *table.Table, set []file.ParquetFile, req catalog.ScanRequest) (catalog.BatchReader, error) {
	local := make([]file.ParquetFile, len(set))
	for i, f := range set {
		p, ok, err := localPath(f.Path)
		if err != nil {
			return nil, err
		}
		if !ok {
			fs, err := tbl.FS(ctx)
			if err != nil {
				return nil, fmt.Errorf("opening the file IO of %s: %w", f.Path, err)
			}
			return newStagedReader(fs, set, t.schema, req), nil
		}
		local[i] = file.ParquetFile{Path: p, Constants: f.Constants, FieldIDs: f.FieldIDs}
	}
	return file.ScanParquetFileSet(ctx, local, t.schema, req)
}

// localPath turns a file:// location into a local path; ok is false for a
// remote location (s3://…).
func localPath(loc string) (path string, ok bool, err error) {
	u, err := url.Parse(loc)
	if err != nil {
		return "", false, fmt.Errorf("parsing location %q: %w", loc, err)
	}
	switch u.Scheme {
	case "", "file":
		return u.Path, true, nil
	}
	return "", false, nil
}

// scanReader adds Iceberg's file planning counts to the Parquet reader's.
type scanReader struct {
	catalog.BatchReader
	considered, planned int64
	share               bool // one share of a parallel scan
	first               bool // share 0
}

// Stats reports files considered (in the snapshot), pruned by planning,
// and read, plus the row-group counts of the Parquet reader. The counts
// of a parallel scan's shares add up to the whole scan's: every share
// reports the files and row groups it read, share 0 alone the files
// considered and pruned.
func (r *scanReader) Stats() map[string]int64 {
	out := map[string]int64{}
	if s, ok := r.BatchReader.(catalog.ScanStats); ok {
		for k, v := range s.Stats() {
			out[k] = v
		}
	}
	// Shares' counts add up: the first carries the snapshot's considered
	// and pruned files, each its own reads (EXPLAIN ANALYZE sums them).
	out["files_read"] = out["files"]
	delete(out, "files")
	if !r.share || r.first {
		out["files_considered"] = r.considered
		out["files_pruned"] = r.considered - r.planned
	}
	return out
}
