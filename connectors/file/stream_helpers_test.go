package file

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// checkedMem is a checked allocator that must be empty when the test ends.
func checkedMem(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// openStream opens a stream and closes its splits when the test ends.
func openStream(t *testing.T, tbl catalog.Streamable, req catalog.StreamRequest) []catalog.SplitReader {
	t.Helper()
	splits, err := tbl.OpenStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range splits {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		}
	})
	return splits
}

// batchRows renders a batch as text rows and releases it.
func batchRows(rec arrow.RecordBatch) [][]string {
	defer rec.Release()
	rows := make([][]string, rec.NumRows())
	for r := range rows {
		rows[r] = make([]string, rec.NumCols())
		for c := range rows[r] {
			rows[r][c] = cell(rec.Column(c), r)
		}
	}
	return rows
}

// readOnce is one Read as text rows.
func readOnce(t *testing.T, s catalog.SplitReader) ([][]string, error) {
	t.Helper()
	rec, err := s.Read(context.Background())
	if err != nil {
		if rec != nil {
			t.Fatal("Read returned a batch with an error")
		}
		return nil, err
	}
	if rec.NumRows() == 0 {
		t.Error("Read returned an empty batch")
	}
	return batchRows(rec), nil
}

// readRows reads until it has n rows, retrying ErrIdle (data may still be
// on its way); any other error fails the test.
func readRows(t *testing.T, s catalog.SplitReader, n int) [][]string {
	t.Helper()
	var rows [][]string
	for tries := 0; len(rows) < n; tries++ {
		got, err := readOnce(t, s)
		if errors.Is(err, catalog.ErrIdle) && tries < 10000 {
			continue
		}
		if err != nil {
			t.Fatalf("after %d rows: %v", len(rows), err)
		}
		rows = append(rows, got...)
	}
	if len(rows) != n {
		t.Fatalf("read %d rows, want %d", len(rows), n)
	}
	return rows
}

// drain reads to io.EOF.
func drainSplit(t *testing.T, s catalog.SplitReader) [][]string {
	t.Helper()
	var rows [][]string
	for tries := 0; ; tries++ {
		got, err := readOnce(t, s)
		switch {
		case errors.Is(err, io.EOF):
			return rows
		case errors.Is(err, catalog.ErrIdle) && tries < 10000:
		case err != nil:
			t.Fatalf("after %d rows: %v", len(rows), err)
		}
		rows = append(rows, got...)
	}
}

// appendFile appends text to the file at path.
func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// removeFile deletes the file at path.
func removeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}
