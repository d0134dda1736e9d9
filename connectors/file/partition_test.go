package file

import (
	"path/filepath"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// Partitioned scans of Parquet row groups and of line-format files must
// together yield every row exactly once.
func TestPartitionedScansCoverEveryRowOnce(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	rec, _ := nativeRecord(mem)
	writeParquetFile(t, filepath.Join(dir, "a.parquet"), rec, 2)
	writeParquetFile(t, filepath.Join(dir, "b.parquet"), rec, 3)
	rec.Release()
	writeFile(t, dir, "x.jsonl", "{\"n\":1}\n{\"n\":2}\n")
	writeFile(t, dir, "y.jsonl", "{\"n\":3}\n")
	writeFile(t, dir, "z.jsonl", "{\"n\":4}\n")

	for _, pattern := range []string{"*.parquet", "*.jsonl"} {
		tbl, err := Open(filepath.Join(dir, pattern), Options{})
		if err != nil {
			t.Fatal(err)
		}
		whole := rowsOf(t, tbl, catalog.ScanRequest{Columns: allCols(tbl), Limit: -1, Alloc: mem})
		parts := tbl.Partitions()
		if parts < 2 {
			t.Fatalf("%s: %d partitions, want several", pattern, parts)
		}
		for _, n := range []int{2, 3, parts} {
			var union []string
			for p := 0; p < n; p++ {
				union = append(union, rowsOf(t, tbl, catalog.ScanRequest{Columns: allCols(tbl), Limit: -1, Alloc: mem, Partition: p, Partitions: n})...)
			}
			sort.Strings(union)
			if len(union) != len(whole) {
				t.Fatalf("%s in %d partitions: %d rows, want %d", pattern, n, len(union), len(whole))
			}
			for i := range union {
				if union[i] != whole[i] {
					t.Fatalf("%s in %d partitions: row %d is %q, want %q", pattern, n, i, union[i], whole[i])
				}
			}
		}
	}
}

func rowsOf(t *testing.T, tbl catalog.Table, req catalog.ScanRequest) []string {
	rows, r, err := scan(t, tbl, req)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	out := make([]string, len(rows))
	for i, row := range rows {
		out[i] = joinRows([][]string{row})
	}
	sort.Strings(out)
	return out
}
