package iceberg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// The test rows: every streamsql column type Iceberg can hold.
var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "topic", Type: types.VarcharType.ArrowType(), Nullable: true},
	{Name: "timestamp", Type: types.TimestampType.ArrowType(), Nullable: true},
	{Name: "id", Type: types.BigintType.ArrowType(), Nullable: true},
	{Name: "n", Type: types.IntegerType.ArrowType(), Nullable: true},
	{Name: "x", Type: types.DoubleType.ArrowType(), Nullable: true},
	{Name: "ok", Type: types.BooleanType.ArrowType(), Nullable: true},
	{Name: "d", Type: types.DateType.ArrowType(), Nullable: true},
	{Name: "j", Type: types.VarcharType.ArrowType(), Nullable: true,
		Metadata: arrow.NewMetadata([]string{"streamsql.type"}, []string{"JSON"})},
}, nil)

const hour = int64(3600 * 1e6) // µs

// row builds a test row: topic, timestamp µs, id; the other columns are
// derived from id, so sums check every column.
func row(topic string, ts, id int64) []any {
	return []any{topic, ts, id, int32(id), float64(id) / 2, id%2 == 0, int32(id), fmt.Sprintf(`{"id":%d}`, id)}
}

// mkBatch builds a batch of testSchema (nil values are NULL).
func mkBatch(mem memory.Allocator, rows [][]any) arrow.RecordBatch {
	return mkRows(mem, testSchema, rows)
}

// mkRows builds a batch of schema from rows of the Go values row uses.
func mkRows(mem memory.Allocator, schema *arrow.Schema, rows [][]any) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows {
		for i, v := range r {
			fb := b.Field(i)
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(v.(int64)))
			case *array.Int64Builder:
				fb.Append(v.(int64))
			case *array.Int32Builder:
				fb.Append(v.(int32))
			case *array.Float64Builder:
				fb.Append(v.(float64))
			case *array.BooleanBuilder:
				fb.Append(v.(bool))
			case *array.Date32Builder:
				fb.Append(arrow.Date32(v.(int32)))
			}
		}
	}
	return b.NewRecordBatch()
}

// newWarehouse opens a warehouse in a temporary directory.
func newWarehouse(t *testing.T) *Warehouse {
	t.Helper()
	w, err := OpenWarehouse(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	})
	return w
}

// checkedMem returns an allocator that must be empty when the test ends.
func checkedMem(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// writeEpoch writes rows to s and pre-commits epoch, returning the state.
func writeEpoch(t *testing.T, mem memory.Allocator, s *Sink, epoch int64, rows [][]any) []byte {
	t.Helper()
	ctx := context.Background()
	b := mkBatch(mem, rows)
	err := s.Write(ctx, b)
	b.Release()
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.PreCommit(ctx, epoch)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// writeTable commits rows to the table name as epoch 1 of job opts.JobID
// through a sink of testSchema, creating the table.
func writeTable(t *testing.T, mem memory.Allocator, w *Warehouse, name string, opts TableOptions, rows [][]any) {
	t.Helper()
	ctx := context.Background()
	s, err := w.Sink(ctx, name, testSchema, opts)
	if err != nil {
		t.Fatal(err)
	}
	writeEpoch(t, mem, s, 1, rows)
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// scanned is the result of a scan: rows as Go values and the stats.
type scanned struct {
	rows  [][]any
	stats map[string]int64
}

// scanAll scans tbl with req (all columns when req.Columns is nil).
func scanAll(t *testing.T, mem memory.Allocator, tbl catalog.Table, req catalog.ScanRequest) scanned {
	t.Helper()
	if req.Columns == nil {
		for i := range tbl.Schema().NumFields() {
			req.Columns = append(req.Columns, i)
		}
	}
	req.Alloc, req.Limit = mem, -1
	ctx := context.Background()
	r, err := tbl.Scan(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out scanned
	for {
		b, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := range int(b.NumRows()) {
			var vals []any
			for _, col := range b.Columns() {
				vals = append(vals, value(col, i))
			}
			out.rows = append(out.rows, vals)
		}
		b.Release()
	}
	if s, ok := r.(catalog.ScanStats); ok {
		out.stats = s.Stats()
	}
	return out
}

// value is the Go value of arr[i] in the form row uses (nil for NULL).
func value(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.Date32:
		return int32(a.Value(i))
	}
	return fmt.Sprintf("unexpected %s", arr.DataType())
}

// sumIDs is the count and the sum of the id column (ordinal 2) of rows.
func sumIDs(rows [][]any) (n int, sum int64) {
	for _, r := range rows {
		n++
		sum += r[2].(int64)
	}
	return n, sum
}
