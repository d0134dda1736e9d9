package timejoin

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

const second = int64(1_000_000)

// benchStream makes n rows per side in batches of operators.BatchSize,
// alternating sides, at 10k rows/s of event time with up to 100 ms of
// disorder and keys from nkeys values; it returns the batches, their
// input, and the watermark after each (max seen - 200 ms).
func benchStream(b *testing.B, mem memory.Allocator, n, nkeys int, window bool) ([]arrow.RecordBatch, []int, []int64) {
	rng := rand.New(rand.NewSource(1))
	var batches []arrow.RecordBatch
	var inputs []int
	var wms []int64
	maxSeen := int64(0)
	for lo := 0; lo < n; lo += operators.BatchSize {
		for side := range 2 {
			var s *arrow.Schema
			if window {
				s = windowSchema(fmt.Sprint(side))
			} else {
				s = intervalSchema(fmt.Sprint(side), arrow.PrimitiveTypes.Int64)
			}
			bld := array.NewRecordBuilder(mem, s)
			for i := lo; i < min(lo+operators.BatchSize, n); i++ {
				ts := int64(i)*second/10_000 - rng.Int63n(second/10)
				maxSeen = max(maxSeen, ts)
				bld.Field(0).(*array.Int64Builder).Append(int64(i))
				if window {
					st := ts - ts%(10*second)
					bld.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(st))
					bld.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(st + 10*second))
					bld.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("key-%d", rng.Intn(nkeys)))
				} else {
					bld.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(ts))
					bld.Field(2).(*array.Int64Builder).Append(int64(rng.Intn(nkeys)))
				}
			}
			batches = append(batches, bld.NewRecordBatch())
			bld.Release()
			inputs = append(inputs, side)
			wms = append(wms, maxSeen-second/5)
		}
	}
	return batches, inputs, wms
}

func runBench(b *testing.B, n int, batches []arrow.RecordBatch, inputs []int, wms []int64, mk func() (joinOp, error)) {
	ctx := context.Background()
	out := 0
	emit := func(rb arrow.RecordBatch) error { out += int(rb.NumRows()); rb.Release(); return nil }
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		op, err := mk()
		if err != nil {
			b.Fatal(err)
		}
		if err := op.Open(ctx, memory.DefaultAllocator); err != nil {
			b.Fatal(err)
		}
		for i, rb := range batches {
			if err := op.ProcessBatch(ctx, inputs[i], rb, emit); err != nil {
				b.Fatal(err)
			}
			if err := op.OnWatermark(ctx, wms[i], emit); err != nil {
				b.Fatal(err)
			}
		}
		for in := range 2 {
			if err := op.EndOfInput(ctx, in, emit); err != nil {
				b.Fatal(err)
			}
		}
		op.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(2*n*b.N)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(out)/float64(b.N), "out/op")
}

func BenchmarkIntervalJoin(b *testing.B) {
	const n = 1 << 17
	// 1<<30 keys: nearly every row its own group, as in Nexmark q7.
	for _, nkeys := range []int{100, 10_000, 1 << 30} {
		b.Run(fmt.Sprintf("keys=%d", nkeys), func(b *testing.B) {
			batches, inputs, wms := benchStream(b, memory.DefaultAllocator, n, nkeys, false)
			defer releaseAll(batches)
			spec := IntervalSpec{Left: batches[0].Schema(), Right: batches[1].Schema(), LeftKeys: []int{2}, RightKeys: []int{2},
				LeftTime: 1, RightTime: 1, Lower: -second / 10, Upper: second / 10, LeftOuter: true}
			runBench(b, n, batches, inputs, wms, mkInterval(spec))
		})
	}
}

func BenchmarkWindowJoin(b *testing.B) {
	const n = 1 << 17
	for _, nkeys := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("keys=%d", nkeys), func(b *testing.B) {
			batches, inputs, wms := benchStream(b, memory.DefaultAllocator, n, nkeys, true)
			defer releaseAll(batches)
			spec := WindowJoinSpec{Left: batches[0].Schema(), Right: batches[1].Schema(), LeftKeys: []int{3}, RightKeys: []int{3},
				LeftStart: 1, LeftEnd: 2, RightStart: 1, RightEnd: 2, Type: FullOuter}
			runBench(b, n, batches, inputs, wms, mkWindow(spec))
		})
	}
}

func releaseAll(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}
