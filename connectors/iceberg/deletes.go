package iceberg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

// hasDeletes reports whether rows of the task's data file are deleted by
// position deletes, equality deletes or a deletion vector.
func hasDeletes(task table.FileScanTask) bool {
	return len(task.DeleteFiles)+len(task.EqualityDeleteFiles)+len(task.DeletionVectorFiles) > 0
}

// deleteReader reads data files that have delete files through
// iceberg-go's own scanner, which applies them (streamsql writes none, but
// Spark's MERGE and DELETE do), and converts its records to the scan's
// projected native columns. Files without deletes take the faster Parquet
// reader of connectors/file; this one is only for those that need it.
type deleteReader struct {
	next  func() (arrow.RecordBatch, error, bool)
	stop  func()
	out   *arrow.Schema // the projected native schema
	srcOf []int         // output column → column of iceberg-go's records, -1 for NULL
	mem   memory.Allocator
	files int64
}

// readWithDeletes starts reading tasks (all with delete files) for req,
// planned by a scan with opts (snapshot, row filter). Columns are chosen by
// field id, as the Parquet reader matches them.
func (t *Table) readWithDeletes(ctx context.Context, tbl *table.Table, opts []table.ScanOption, tasks []table.FileScanTask, req catalog.ScanRequest) (catalog.BatchReader, error) {
	mem := req.Alloc
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	proj, err := tbl.Scan(opts...).Projection()
	if err != nil {
		return nil, fmt.Errorf("projecting %s: %w", t.name, err)
	}
	var names []string
	want := make([]string, len(req.Columns)) // iceberg name per output column, "" for none
	fields := make([]arrow.Field, len(req.Columns))
	for i, c := range req.Columns {
		fields[i] = t.schema.Field(c)
		if f, ok := proj.FindFieldByID(t.ids[c]); ok && t.ids[c] > 0 {
			want[i] = f.Name
			names = append(names, f.Name)
		}
	}
	if len(names) == 0 {
		// Only rows are counted: read the narrowest column there is.
		names = []string{proj.Fields()[0].Name}
	}
	scan := tbl.Scan(append(opts, table.WithSelectedFields(names...))...)
	schema, records, err := scan.ReadTasks(compute.WithAllocator(ctx, mem), tasks)
	if err != nil {
		return nil, fmt.Errorf("reading %s with its delete files: %w", t.name, err)
	}
	srcOf := make([]int, len(want))
	for i, n := range want {
		srcOf[i] = -1
		if idx := schema.FieldIndices(n); n != "" && len(idx) > 0 {
			srcOf[i] = idx[0]
		}
	}
	next, stop := iter.Pull2(records)
	return &deleteReader{next: next, stop: stop, out: arrow.NewSchema(fields, nil), srcOf: srcOf, mem: mem, files: int64(len(tasks))}, nil
}

// Next returns the next batch with the deletes applied, or io.EOF.
func (r *deleteReader) Next(context.Context) (arrow.RecordBatch, error) {
	for {
		rec, err, ok := r.next()
		if !ok {
			return nil, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("reading data files with delete files: %w", err)
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		out, err := r.convert(rec)
		rec.Release()
		return out, err
	}
}

// convert builds the native batch of rec's columns.
func (r *deleteReader) convert(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, len(r.srcOf))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, src := range r.srcOf {
		to := r.out.Field(i).Type
		if src < 0 {
			cols[i] = array.MakeArrayOfNull(r.mem, to, int(rec.NumRows()))
			continue
		}
		c, err := file.ConvertColumn(r.mem, rec.Column(src), to)
		if err != nil {
			return nil, fmt.Errorf("converting column %q: %w", r.out.Field(i).Name, err)
		}
		cols[i] = c
	}
	return array.NewRecordBatch(r.out, cols, rec.NumRows()), nil
}

// Close stops iceberg-go's reader; it may be called more than once.
func (r *deleteReader) Close() error {
	r.stop()
	return nil
}

// Stats counts the files read.
func (r *deleteReader) Stats() map[string]int64 {
	return map[string]int64{"files": r.files, "files_with_deletes": r.files}
}

// chainReader reads its readers one after the other, holding a scan's row
// limit (ScanRequest.RowLimit) across them, and sums their stats.
type chainReader struct {
	parts   []catalog.BatchReader
	cur     int
	limit   int64 // < 0: none
	emitted int64
}

func (r *chainReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for r.cur < len(r.parts) {
		if r.limit >= 0 && r.emitted >= r.limit {
			return nil, io.EOF
		}
		b, err := r.parts[r.cur].Next(ctx)
		if errors.Is(err, io.EOF) {
			r.cur++
			continue
		}
		if err != nil {
			return nil, err
		}
		if left := r.limit - r.emitted; r.limit >= 0 && b.NumRows() > left {
			cut := b.NewSlice(0, left)
			b.Release()
			b = cut
		}
		r.emitted += b.NumRows()
		return b, nil
	}
	return nil, io.EOF
}

func (r *chainReader) Close() error {
	var errs []error
	for _, p := range r.parts {
		errs = append(errs, p.Close())
	}
	return errors.Join(errs...)
}

func (r *chainReader) Stats() map[string]int64 {
	out := map[string]int64{}
	for _, p := range r.parts {
		if s, ok := p.(catalog.ScanStats); ok {
			for k, v := range s.Stats() {
				out[k] += v
			}
		}
	}
	return out
}
