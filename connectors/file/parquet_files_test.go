package file

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// ScanParquetFiles reads an explicit file list under a given schema, with
// the same projection, pruning and statistics as a Parquet table.
func TestScanParquetFiles(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	rec, _ := nativeRecord(mem)
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	writeParquetFile(t, a, rec, 500)
	writeParquetFile(t, b, rec, 500)
	rec.Release()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ID", Type: arrow.PrimitiveTypes.Int64},
		{Name: "missing", Type: arrow.BinaryTypes.String},
	}, nil)
	ctx := context.Background()
	r, err := ScanParquetFiles(ctx, []string{a, b}, schema, catalog.ScanRequest{
		Columns: []int{1, 0}, Limit: -1, Alloc: mem,
		Filters: []catalog.Predicate{{Column: 0, Op: ">=", Value: int64(900)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, nulls := countRows(t, r)
	st := r.(catalog.ScanStats).Stats()
	r.Close()
	// Each file keeps its second row group (500..999), which the caller filters.
	if rows != 1000 || nulls != rows || st["files"] != 2 || st["row_groups_pruned"] != 2 {
		t.Fatalf("rows %d nulls %d stats %v", rows, nulls, st)
	}

	if _, err := ScanParquetFiles(ctx, []string{a}, schema, catalog.ScanRequest{Columns: []int{2}}); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("column out of range: %v", err)
	}
	bad := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}, nil)
	if _, err := ScanParquetFiles(ctx, []string{a}, bad, catalog.ScanRequest{Columns: []int{0}}); err == nil {
		t.Error("a list column was accepted")
	}
}

// FieldIDs only apply to files that carry Parquet field ids: a file
// written without them (as these are) is still matched by name, and a
// FieldIDs list that does not cover the table's columns is an error.
func TestScanParquetFieldIDsFallBackToNames(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	a := filepath.Join(t.TempDir(), "a.parquet")
	rec, _ := nativeRecord(mem)
	writeParquetFile(t, a, rec, 500)
	rec.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	ctx := context.Background()
	r, err := ScanParquetFileSet(ctx, []ParquetFile{{Path: a, FieldIDs: []int{7}}}, schema, catalog.ScanRequest{Columns: []int{0}, Limit: -1, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, nulls := countRows(t, r)
	if rows != 1000 || nulls != 0 {
		t.Fatalf("rows %d, nulls %d: want 1000 read by name", rows, nulls)
	}
	_, err = ScanParquetFileSet(ctx, []ParquetFile{{Path: a, FieldIDs: []int{1, 2}}}, schema, catalog.ScanRequest{Columns: []int{0}})
	if err == nil || !strings.Contains(err.Error(), "2 field ids for 1 columns") {
		t.Errorf("short field ids: %v", err)
	}
}

// countRows reads r to its end: the rows and the NULLs of the first column.
func countRows(t *testing.T, r catalog.BatchReader) (rows, nulls int64) {
	t.Helper()
	for {
		b, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return rows, nulls
		}
		if err != nil {
			t.Fatal(err)
		}
		rows, nulls = rows+b.NumRows(), nulls+int64(b.Column(0).NullN())
		b.Release()
	}
}
