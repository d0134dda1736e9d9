package rank

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
)

// benchBatches makes nb batches of 8192 rows over dedupSchema: times rising
// with disorder below 1000 µs, string keys k from nk values, int keys g
// from nk values.
func benchBatches(b *testing.B, mem memory.Allocator, nb, nk int) []arrow.RecordBatch {
	r := rand.New(rand.NewPCG(1, 2))
	names := make([]string, nk)
	for i := range names {
		names[i] = fmt.Sprint("key-", i)
	}
	var out []arrow.RecordBatch
	t := 0
	for range nb {
		rs := make(rows, 8192)
		for i := range rs {
			t += 3
			rs[i] = []any{t + r.IntN(1000), names[r.IntN(nk)], r.IntN(nk), i}
		}
		out = append(out, optest.Batch(b, mem, dedupSchema, rs))
	}
	return out
}

// runBench pushes batches through a fresh operator per iteration, with a
// watermark after each batch, and reports rows/s.
func runBench(b *testing.B, mem memory.Allocator, batches []arrow.RecordBatch, mk func() (stateful, error)) {
	ctx := context.Background()
	nop := func(b arrow.RecordBatch) error { b.Release(); return nil }
	n := 0
	for _, bt := range batches {
		n += int(bt.NumRows())
	}
	b.ResetTimer()
	for range b.N {
		op, err := mk()
		if err != nil {
			b.Fatal(err)
		}
		if err := op.Open(ctx, mem); err != nil {
			b.Fatal(err)
		}
		for i, bt := range batches {
			if err := op.ProcessBatch(ctx, 0, bt, nop); err != nil {
				b.Fatal(err)
			}
			if err := op.OnWatermark(ctx, int64(i)*8192*3-1000, nop); err != nil {
				b.Fatal(err)
			}
		}
		if err := op.EndOfInput(ctx, 0, nop); err != nil {
			b.Fatal(err)
		}
		op.Close()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkDedup(b *testing.B) {
	mem := memory.NewGoAllocator()
	batches := benchBatches(b, mem, 32, 100_000)
	defer releaseAll(batches)
	for _, c := range []struct {
		name string
		spec DedupSpec
	}{
		{"first-arrival/int-key", DedupSpec{KeyCols: []int{2}, TimeCol: -1}},
		{"first-arrival/string-key", DedupSpec{KeyCols: []int{1}, TimeCol: -1}},
		{"first-arrival/ttl", DedupSpec{KeyCols: []int{2}, TimeCol: 0, TTL: 100_000}},
		{"earliest", DedupSpec{KeyCols: []int{2}, TimeCol: 0, Mode: Earliest}},
		{"latest", DedupSpec{KeyCols: []int{2}, TimeCol: 0, Mode: Latest}},
	} {
		c.spec.Input = dedupSchema
		b.Run(c.name, func(b *testing.B) { runBench(b, mem, batches, dedupOp(c.spec)) })
	}
}

// topnBatches makes nb batches of 8192 rows over topnSchema: window ends
// every 8192*3 µs (a window per batch, rows arriving a little late for
// the previous one), nk keys, random scores.
func topnBatches(b *testing.B, mem memory.Allocator, nb, nk int) []arrow.RecordBatch {
	r := rand.New(rand.NewPCG(1, 3))
	names := make([]string, nk)
	for i := range names {
		names[i] = fmt.Sprint("key-", i)
	}
	var out []arrow.RecordBatch
	for w := range nb {
		rs := make(rows, 8192)
		for i := range rs {
			rs[i] = []any{(w + 1 + r.IntN(2)) * 8192 * 3, names[r.IntN(nk)], r.IntN(1_000_000), "row"}
		}
		out = append(out, optest.Batch(b, mem, topnSchema, rs))
	}
	return out
}

func BenchmarkTopN(b *testing.B) {
	mem := memory.NewGoAllocator()
	batches := topnBatches(b, mem, 32, 1000)
	defer releaseAll(batches)
	byScore := []SortKey{{Col: 2, Desc: true}}
	for _, c := range []struct {
		name string
		spec TopNSpec
	}{
		{"windowed/top3", TopNSpec{PartitionCols: []int{0, 1}, CloseCol: 0, N: 3, Order: byScore, RowNumber: true}},
		{"windowed/top100", TopNSpec{PartitionCols: []int{0, 1}, CloseCol: 0, N: 100, Order: byScore}},
		{"changelog/top3", TopNSpec{PartitionCols: []int{1}, CloseCol: -1, N: 3, Order: byScore, RowNumber: true}},
		{"changelog/top100", TopNSpec{PartitionCols: []int{1}, CloseCol: -1, N: 100, Order: byScore}},
	} {
		c.spec.Input = topnSchema
		b.Run(c.name, func(b *testing.B) { runBench(b, mem, batches, topnOp(c.spec)) })
	}
}

func releaseAll(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}
