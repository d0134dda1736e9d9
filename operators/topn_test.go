package operators

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestTopNBasic(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, in := xoSortInput(t, mem)
	defer releaseBatches(in)

	for _, tc := range []struct {
		keys          []SortKey
		limit, offset int64
		want          [][]any
	}{
		{[]SortKey{{Col: 0}}, 2, 0, [][]any{{1, "c"}, {1, "e"}}},
		{[]SortKey{{Col: 0}}, 2, 1, [][]any{{1, "e"}, {2, "d"}}},
		{[]SortKey{{Col: 0, NullsFirst: true}}, 3, 0, [][]any{{nil, "b"}, {nil, "f"}, {1, "c"}}},
		{[]SortKey{{Col: 0, Desc: true}}, 3, 0, [][]any{{3, "a"}, {3, "g"}, {2, "d"}}},
		{[]SortKey{{Col: 0, Desc: true}, {Col: 1, Desc: true}}, 3, 0, [][]any{{3, "g"}, {3, "a"}, {2, "d"}}},
		{[]SortKey{{Col: 1, Desc: true}}, 10, 5, [][]any{{nil, "b"}, {3, "a"}}},
		{[]SortKey{{Col: 0}}, 5, 7, nil},   // offset beyond the end
		{[]SortKey{{Col: 0}}, 0, 0, nil},   // limit 0
		{[]SortKey{{Col: 0}}, 0, 100, nil}, // limit 0 with an offset
		{nil, 2, 1, [][]any{{nil, "b"}, {1, "c"}}},
	} {
		t.Run(fmt.Sprintf("%v-%d-%d", tc.keys, tc.limit, tc.offset), func(t *testing.T) {
			got, err := xoRun(t, mem, NewTopN(s, tc.keys, tc.limit, tc.offset), in)
			if err != nil {
				t.Fatal(err)
			}
			xoEqualRows(t, got, tc.want)
		})
	}
}

// TestTopNMatchesSort is a property test: TopN(limit, offset) equals Sort
// followed by Limit(limit, offset) on random data, ties included.
func TestTopNMatchesSort(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(13, 14))
	for iter := range 150 {
		ncols := 1 + r.IntN(3)
		dts := make([]arrow.DataType, ncols+1)
		for c := range ncols {
			dts[c] = xoAllTypes[r.IntN(len(xoAllTypes))]
		}
		if iter%3 == 0 {
			dts[0] = []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64}[iter%2]
		}
		dts[ncols] = arrow.PrimitiveTypes.Int64
		s := xoSchema(dts...)
		batches, all := xoRandomInput(t, mem, r, s, r.IntN(12000), []float64{0, 0.05, 0.3}[iter%3])
		keys := xoRandomKeys(r, ncols)
		if iter%3 == 0 {
			keys = keys[:1]
			keys[0].Col = 0
		}
		limit := int64([]int{0, 1, 3, 10, 100, 2000, 9000}[r.IntN(7)])
		offset := int64([]int{0, 0, 1, 7, 500, 20000}[r.IntN(6)])
		got, err := xoRun(t, mem, NewTopN(s, keys, limit, offset), batches)
		if err != nil {
			releaseBatches(batches)
			t.Fatal(err)
		}
		sorted := xoSink{t: t}
		want := xoRefSort(all, keys)
		want = want[min(int(offset), len(want)):]
		want = want[:min(int(limit), len(want))]
		// And through the real operators: Sort then Limit.
		srt := NewSort(s, keys)
		ctx := context.Background()
		if err := srt.Open(ctx, mem); err != nil {
			t.Fatal(err)
		}
		for _, b := range batches {
			if err := srt.ProcessBatch(ctx, 0, b, sorted.emit); err != nil {
				t.Fatal(err)
			}
		}
		if err := srt.EndOfInput(ctx, 0, sorted.emit); err != nil {
			t.Fatal(err)
		}
		srt.Close()
		releaseBatches(batches)
		viaLimit, err := xoRun(t, mem, NewLimit(s, limit, offset), sorted.batches)
		sorted.release()
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprintf("%d-%v-%v-%d-%d", iter, dts, keys, limit, offset), func(t *testing.T) {
			xoEqualRows(t, got, want)
			xoEqualRows(t, viaLimit, want)
		})
	}
}

// TestTopNBoundedMemory checks that TopN does not keep every input batch.
func TestTopNBoundedMemory(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	tn := NewTopN(s, []SortKey{{Col: 0, Desc: true}}, 5, 2)
	ctx := context.Background()
	if err := tn.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer tn.Close()
	sink := &xoSink{t: t}
	defer sink.release()
	var peak int64
	for b := range 200 {
		rows := make([][]any, 1000)
		for i := range rows {
			// Increasing keys: every batch holds new best rows.
			rows[i] = []any{fmt.Sprintf("k%08d", b*1000+i), b*1000 + i}
		}
		bt := xoBatch(t, mem, s, rows...)
		if err := tn.ProcessBatch(ctx, 0, bt, sink.emit); err != nil {
			t.Fatal(err)
		}
		bt.Release()
		peak = max(peak, int64(mem.CurrentAlloc()))
		if len(tn.held) > 1+BatchSize/1000+1 {
			t.Fatalf("after batch %d: %d batches held", b, len(tn.held))
		}
	}
	if err := tn.EndOfInput(ctx, 0, sink.emit); err != nil {
		t.Fatal(err)
	}
	var want [][]any
	for i := 199_997; i >= 199_993; i-- {
		want = append(want, []any{fmt.Sprintf("k%08d", i), i})
	}
	xoEqualRows(t, sink.rows(), want)
	if peak > 2<<20 {
		t.Errorf("peak memory %d bytes", peak)
	}
}

func TestTopNErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Int64)
	if err := NewTopN(s, []SortKey{{Col: 0}}, -1, 0).Open(context.Background(), mem); err == nil {
		t.Fatal("want an error for a negative limit")
	}
	if err := NewTopN(s, []SortKey{{Col: 1}}, 1, 0).Open(context.Background(), mem); err == nil {
		t.Fatal("want an error for a bad key")
	}
	b := xoBatch(t, mem, s, []any{1}, []any{2})
	defer b.Release()
	tn := NewTopN(s, []SortKey{{Col: 0}}, 5, 0)
	ctx := context.Background()
	if err := tn.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer tn.Close()
	if err := tn.ProcessBatch(ctx, 0, b, nil); err != nil {
		t.Fatal(err)
	}
	sink := &xoSink{t: t, failAt: 1, failErr: ErrDone}
	if err := tn.EndOfInput(ctx, 0, sink.emit); err != ErrDone {
		t.Fatalf("got %v, want ErrDone", err)
	}
}

// BenchmarkTopN keeps the top 10 of 10M rows (int64 key and payload).
func BenchmarkTopN(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	batches := xoInt64Batches(10_000_000, func(int) int64 { return r.Int64() })
	defer releaseBatches(batches)
	s := batches[0].Schema()
	xoBenchOp(b, func() Operator { return NewTopN(s, []SortKey{{Col: 0, Desc: true}}, 10, 0) }, batches)
}

// BenchmarkTopNString keeps the top 10 of 1M rows by a string key.
func BenchmarkTopNString(b *testing.B) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	r := rand.New(rand.NewPCG(17, 18))
	s := xoSchema(arrow.BinaryTypes.String)
	var batches []arrow.RecordBatch
	for range (1 << 20) / BatchSize {
		rows := make([][]any, BatchSize)
		for i := range rows {
			rows[i] = []any{fmt.Sprintf("customer#%09d", r.IntN(1e9))}
		}
		batches = append(batches, xoBatch(b, mem, s, rows...))
	}
	defer releaseBatches(batches)
	xoBenchOp(b, func() Operator { return NewTopN(s, []SortKey{{Col: 0}}, 10, 0) }, batches)
}
