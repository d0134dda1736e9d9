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
	"github.com/streamsql/streamsql/planner/types"
)

// Columns a file holds constant (Iceberg identity partitions) are filled
// in, per file, whether or not the file has them, in every type.
func TestScanParquetFileSetConstants(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	rec, _ := nativeRecord(mem)
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	writeParquetFile(t, a, rec, 300)
	writeParquetFile(t, b, rec, 300)
	rec.Release()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "topic", Type: arrow.BinaryTypes.String}, // in no file
		{Name: "name", Type: arrow.BinaryTypes.String},  // in the files, overridden
		{Name: "ts", Type: types.TimestampType.ArrowType()},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "n", Type: arrow.PrimitiveTypes.Int32},
	}, nil)
	set := []ParquetFile{
		{Path: a, Constants: map[int]any{1: "orders", 2: "x", 3: int64(7), 4: int32(3), 5: 1.5, 6: true, 7: int32(9)}},
		{Path: b, Constants: map[int]any{1: nil}},
	}
	ctx := context.Background()
	r, err := ScanParquetFileSet(ctx, set, schema, catalog.ScanRequest{Columns: []int{1, 0, 2, 3, 4, 5, 6, 7}, Limit: -1, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	seen := map[string]int{}
	for {
		batch, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < int(batch.NumRows()); i++ {
			var parts []string
			for c := 0; c < int(batch.NumCols()); c++ {
				if c == 1 {
					continue // id varies
				}
				parts = append(parts, batch.Column(c).ValueStr(i))
			}
			seen[strings.Join(parts, "|")]++
		}
		batch.Release()
	}
	if len(seen) < 2 {
		t.Fatalf("%d distinct rows", len(seen))
	}
	if got := seen["orders|x|1970-01-01T00:00:00.000007Z|1970-01-04|1.5|true|9"]; got != 1000 {
		t.Errorf("file a rows with its constants: %d, want 1000", got)
	}
	nullTopic := 0
	for k, n := range seen {
		if strings.HasPrefix(k, "(null)|") {
			nullTopic += n
		}
	}
	if nullTopic != 1000 {
		t.Errorf("file b rows with a NULL topic: %d, want 1000", nullTopic)
	}

	bad := []ParquetFile{{Path: a, Constants: map[int]any{0: "not a number"}}}
	r2, err := ScanParquetFileSet(ctx, bad, schema, catalog.ScanRequest{Columns: []int{0}, Limit: -1, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Next(ctx); err == nil || !strings.Contains(err.Error(), `filling column "id"`) {
		t.Errorf("mistyped constant: %v", err)
	}
	r2.Close()
	if _, err := ScanParquetFileSet(ctx, []ParquetFile{{Path: a, Constants: map[int]any{99: 1}}}, schema, catalog.ScanRequest{}); err == nil {
		t.Error("out-of-range constant accepted")
	}
}

func TestScanParquetFileSetRejectsOddConstants(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "b", Type: arrow.BinaryTypes.String}}, nil)
	_, err := ScanParquetFileSet(context.Background(), []ParquetFile{{Path: "x.parquet", Constants: map[int]any{0: []byte("x")}}}, schema, catalog.ScanRequest{})
	if err == nil || !strings.Contains(err.Error(), "[]uint8") {
		t.Fatalf("err = %v", err)
	}
}
