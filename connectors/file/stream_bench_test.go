package file

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// BenchmarkJSONLStream reads the BenchmarkJSONLScan events as a stream
// split (ts+amount projected), from a file and through the stdin pipe.
func BenchmarkJSONLStream(b *testing.B) {
	p, size := benchFile(b)
	tbl, err := Open(p, Options{})
	if err != nil {
		b.Fatal(err)
	}
	req := catalog.StreamRequest{Columns: []int{0, 4}, Alloc: memory.DefaultAllocator}
	read := func(b *testing.B, s catalog.SplitReader) int64 {
		defer s.Close()
		var n int64
		for {
			rec, err := s.Read(context.Background())
			if errors.Is(err, io.EOF) {
				return n
			}
			if errors.Is(err, catalog.ErrIdle) {
				continue
			}
			if err != nil {
				b.Fatal(err)
			}
			n += rec.NumRows()
			rec.Release()
		}
	}
	b.Run("file", func(b *testing.B) {
		b.SetBytes(size)
		var rows int64
		for b.Loop() {
			splits, err := tbl.OpenStream(context.Background(), req)
			if err != nil {
				b.Fatal(err)
			}
			rows += read(b, splits[0])
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("stdin", func(b *testing.B) {
		b.SetBytes(size)
		var rows int64
		for b.Loop() {
			f, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			st, err := NewStdinTable(f, tbl.Schema(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			splits, err := st.OpenStream(context.Background(), req)
			if err != nil {
				b.Fatal(err)
			}
			rows += read(b, splits[0])
			f.Close()
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	})
}
