package nexmark

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkGenerate measures Arrow generation per table, reported as
// events/s of that table (rows/s).
func BenchmarkGenerate(b *testing.B) {
	for _, k := range []Kind{Person, Auction, Bid} {
		b.Run(k.String(), func(b *testing.B) {
			g := testGen(b, Config{Seed: 1})
			mem := memory.NewGoAllocator()
			sc, cols, _ := project(k, nil)
			cur := newCursor(k, 0, 1, unbounded)
			var ids []int64
			rows := 0
			for b.Loop() {
				ids, _ = cur.fill(ids[:0], defaultBatchRows, unbounded)
				g.build(mem, k, sc, cols, ids).Release()
				rows += len(ids)
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkGenerateBidColumns measures a q5-like projection (auction,
// date_time): only the requested columns are generated.
func BenchmarkGenerateBidColumns(b *testing.B) {
	g := testGen(b, Config{Seed: 1})
	mem := memory.NewGoAllocator()
	sc, cols, _ := project(Bid, []int{0, 5})
	cur := newCursor(Bid, 0, 1, unbounded)
	var ids []int64
	rows := 0
	for b.Loop() {
		ids, _ = cur.fill(ids[:0], defaultBatchRows, unbounded)
		g.build(mem, Bid, sc, cols, ids).Release()
		rows += len(ids)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkJSON measures JSONL generation of bids.
func BenchmarkJSON(b *testing.B) {
	g := testGen(b, Config{Seed: 1})
	var buf []byte
	var e int64
	rows := 0
	for b.Loop() {
		buf = g.AppendJSON(buf[:0], Bid, e, e+10_000)
		e += 10_000
		rows += 9200
	}
	b.SetBytes(int64(len(buf)))
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
