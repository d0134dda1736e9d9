package nexmark

import (
	"context"
	"errors"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// checkedMem is a checked allocator that must be empty when the test ends.
func checkedMem(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// testGen is a generator for cfg, failing the test on error.
func testGen(t testing.TB, cfg Config) *Generator {
	t.Helper()
	g, err := NewGenerator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// testTable is NewTable, failing the test on error.
func testTable(t testing.TB, k Kind, cfg Config, splits int) *Table {
	t.Helper()
	tb, err := NewTable(k, cfg, splits)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// rows renders a batch's rows as "v|v" lines and releases it.
func rows(b arrow.RecordBatch) []string {
	defer b.Release()
	out := make([]string, b.NumRows())
	for r := range out {
		var sb strings.Builder
		for c := 0; c < int(b.NumCols()); c++ {
			if c > 0 {
				sb.WriteByte('|')
			}
			sb.WriteString(b.Column(c).ValueStr(r))
		}
		out[r] = sb.String()
	}
	return out
}

// batchFor generates all rows of k among events [from, to).
func batchFor(t testing.TB, g *Generator, mem memory.Allocator, k Kind, from, to int64) arrow.RecordBatch {
	t.Helper()
	b, err := g.Batch(mem, k, nil, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// int64s is column c of b as int64 (Int64 or Timestamp).
func int64s(b arrow.RecordBatch, c int) []int64 {
	switch a := b.Column(c).(type) {
	case *array.Int64:
		return a.Int64Values()
	case *array.Timestamp:
		out := make([]int64, a.Len())
		for i, v := range a.TimestampValues() {
			out[i] = int64(v)
		}
		return out
	}
	return nil
}

// strs is string column c of b.
func strs(b arrow.RecordBatch, c int) []string {
	a := b.Column(c).(*array.String)
	out := make([]string, a.Len())
	for i := range out {
		out[i] = a.Value(i)
	}
	return out
}

// openStream opens t's stream and closes its readers at the end.
func openStream(t *testing.T, tb catalog.Streamable, req catalog.StreamRequest) []catalog.SplitReader {
	t.Helper()
	rs, err := tb.OpenStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, r := range rs {
			r.Close()
		}
	})
	return rs
}

// readAll reads r to io.EOF and returns its rows; idle reads fail the test.
func readAll(t *testing.T, r catalog.SplitReader) []string {
	t.Helper()
	var out []string
	for {
		b, err := r.Read(context.Background())
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rows(b)...)
	}
}

// scanAll scans the whole table and returns its rows.
func scanAll(t *testing.T, tb catalog.Table, req catalog.ScanRequest) []string {
	t.Helper()
	br, err := tb.Scan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	var out []string
	for {
		b, err := br.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rows(b)...)
	}
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}
