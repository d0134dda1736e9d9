package file

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

const benchLines = 200_000

// benchFile writes benchLines sample events to a temp file.
func benchFile(b *testing.B) (string, int64) {
	b.Helper()
	var buf bytes.Buffer
	for _, e := range sampleEvents(benchLines) {
		buf.WriteString(e.json())
	}
	p := filepath.Join(b.TempDir(), "bench.jsonl")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return p, int64(buf.Len())
}

func drain(b *testing.B, tbl catalog.Table, cols []int) int64 {
	rd, err := tbl.Scan(context.Background(), catalog.ScanRequest{Columns: cols, Limit: -1, Alloc: memory.DefaultAllocator})
	if err != nil {
		b.Fatal(err)
	}
	defer rd.Close()
	var n int64
	for {
		rec, err := rd.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n += rec.NumRows()
		rec.Release()
	}
}

// BenchmarkJSONLScan measures JSONL decoding of ~200k e-commerce events
// (≈27 MB): all 7 columns, two projected columns, and no columns.
func BenchmarkJSONLScan(b *testing.B) {
	p, size := benchFile(b)
	tbl, err := Open(p, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cols []int
	}{
		{"all", allCols(tbl)},
		{"ts+amount", []int{0, 4}},
		{"count", nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			var rows int64
			for b.Loop() {
				rows += drain(b, tbl, c.cols)
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkJSONLBaseline decodes the same lines with encoding/json into
// maps, for comparison.
func BenchmarkJSONLBaseline(b *testing.B) {
	p, size := benchFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
	var rows int64
	for b.Loop() {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, readBufferSize), readBufferSize)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				b.Fatal(err)
			}
			rows++
		}
		f.Close()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
