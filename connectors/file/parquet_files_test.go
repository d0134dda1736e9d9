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
	var rows, nulls int64
	for {
		batch, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows += batch.NumRows()
		nulls += int64(batch.Column(0).NullN())
		batch.Release()
	}
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
