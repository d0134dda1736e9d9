package window

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

const (
	second = int64(1_000_000)
	minute = 60 * second
)

// benchEvents makes n events over 10 minutes of event time in batches of
// operators.BatchSize rows, with keys from nkeys strings (0: all "k") and
// up to 2 s of disorder; it returns the batches and the watermark after
// each (max seen - 5 s).
func benchEvents(b *testing.B, mem memory.Allocator, n, nkeys int) ([]arrow.RecordBatch, []int64) {
	rng := rand.New(rand.NewSource(1))
	keys := make([]string, max(nkeys, 1))
	for i := range keys {
		keys[i] = fmt.Sprintf("user-%04d", i)
	}
	span := 10 * minute
	var batches []arrow.RecordBatch
	var wms []int64
	maxSeen := int64(0)
	for lo := 0; lo < n; lo += operators.BatchSize {
		hi := min(lo+operators.BatchSize, n)
		bld := array.NewRecordBuilder(mem, testSchema)
		ts := bld.Field(colTS).(*array.TimestampBuilder)
		ks := bld.Field(colK).(*array.StringBuilder)
		vs := bld.Field(colV).(*array.Int64Builder)
		oks := bld.Field(colOK).(*array.BooleanBuilder)
		ns := bld.Field(colN).(*array.Int64Builder)
		for i := lo; i < hi; i++ {
			t := int64(i)*span/int64(n) - rng.Int63n(2*second)
			maxSeen = max(maxSeen, t)
			ts.Append(arrow.Timestamp(t))
			ks.Append(keys[rng.Intn(len(keys))])
			vs.Append(rng.Int63n(1000))
			oks.Append(true)
			ns.Append(int64(i))
		}
		batches = append(batches, bld.NewRecordBatch())
		bld.Release()
		wms = append(wms, maxSeen-5*second)
	}
	return batches, wms
}

func benchAggs(s Spec, nkeys int) Spec {
	s.Aggs = []operators.AggSpec{
		{Func: "count", Filter: -1, Name: "n"},
		{Func: "sum", Args: []int{colV}, Filter: -1, Name: "sum"},
		{Func: "avg", Args: []int{colV}, Filter: -1, Name: "avg"},
	}
	if nkeys > 0 {
		s.GroupCols, s.GroupNames = []int{colK}, []string{"k"}
	}
	return s
}

func runBench(b *testing.B, spec Spec, n, nkeys int) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	batches, wms := benchEvents(b, mem, n, nkeys)
	defer func() {
		for _, r := range batches {
			r.Release()
		}
	}()
	ctx := context.Background()
	rows := 0
	emit := func(r arrow.RecordBatch) error {
		rows += int(r.NumRows())
		r.Release()
		return nil
	}
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		op, err := NewAggregate(spec)
		if err != nil {
			b.Fatal(err)
		}
		if err := op.Open(ctx, mem); err != nil {
			b.Fatal(err)
		}
		for i, r := range batches {
			if err := op.ProcessBatch(ctx, 0, r, emit); err != nil {
				b.Fatal(err)
			}
			if err := op.OnWatermark(ctx, wms[i], emit); err != nil {
				b.Fatal(err)
			}
		}
		if err := op.EndOfInput(ctx, 0, emit); err != nil {
			b.Fatal(err)
		}
		op.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
}

// BenchmarkTumbleMinute: per-minute COUNT, SUM, AVG over 1M events.
func BenchmarkTumbleMinute(b *testing.B) {
	for _, nkeys := range []int{1000, 0} {
		b.Run(fmt.Sprintf("keys=%d", nkeys), func(b *testing.B) {
			s := benchAggs(baseSpec(Tumble, false), nkeys)
			s.Size = minute
			runBench(b, s, 1_000_000, nkeys)
		})
	}
	b.Run("keys=1000/changes", func(b *testing.B) {
		s := benchAggs(baseSpec(Tumble, false), 1000)
		s.Size, s.Emit = minute, Changes
		runBench(b, s, 1_000_000, 1000)
	})
}

// BenchmarkHop10s1m: 1-minute windows every 10 s, COUNT, SUM, AVG over 1M
// events (each event is in 6 windows).
func BenchmarkHop10s1m(b *testing.B) {
	for _, nkeys := range []int{1000, 0} {
		b.Run(fmt.Sprintf("keys=%d", nkeys), func(b *testing.B) {
			s := benchAggs(baseSpec(Hop, false), nkeys)
			s.Slide, s.Size = 10*second, minute
			runBench(b, s, 1_000_000, nkeys)
		})
	}
}

// BenchmarkSession: 30 s session gap, COUNT, SUM, AVG over 1M events.
func BenchmarkSession(b *testing.B) {
	for _, nkeys := range []int{1000, 0} {
		b.Run(fmt.Sprintf("keys=%d", nkeys), func(b *testing.B) {
			s := benchAggs(baseSpec(Session, false), nkeys)
			s.Gap = 30 * second
			runBench(b, s, 1_000_000, nkeys)
		})
	}
}

// BenchmarkGlobal: an unwindowed COUNT, SUM, AVG per key over 1M events,
// as a changelog after every batch and throttled to one emission per
// simulated second (the clock advances 10 ms per batch).
func BenchmarkGlobal(b *testing.B) {
	for _, ev := range []int64{0, second} {
		b.Run(fmt.Sprintf("keys=1000/changes/every=%ds", ev/second), func(b *testing.B) {
			s := benchAggs(baseSpec(Global, false), 1000)
			s.Emit, s.EmitEvery = Changes, ev
			var clock int64
			s.Now = func() time.Time { clock += 10_000; return time.UnixMicro(clock) }
			runBench(b, s, 1_000_000, 1000)
		})
	}
}

// BenchmarkAssign: FROM TUMBLE(t, ts, 1 minute) and FROM HOP(t, ts, 10 s,
// 1 minute) over 1M events.
func BenchmarkAssign(b *testing.B) {
	for _, tc := range []struct {
		name string
		spec AssignSpec
	}{
		{"tumble", AssignSpec{Kind: Tumble, Size: minute}},
		{"hop10s1m", AssignSpec{Kind: Hop, Slide: 10 * second, Size: minute}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(b, 0)
			batches, _ := benchEvents(b, mem, 1_000_000, 1000)
			defer func() {
				for _, r := range batches {
					r.Release()
				}
			}()
			spec := tc.spec
			spec.TimeCol, spec.Input = colTS, testSchema
			ctx := context.Background()
			rows := 0
			emit := func(r arrow.RecordBatch) error {
				rows += int(r.NumRows())
				r.Release()
				return nil
			}
			b.ResetTimer()
			for it := 0; it < b.N; it++ {
				op, err := NewAssign(spec)
				if err != nil {
					b.Fatal(err)
				}
				if err := op.Open(ctx, mem); err != nil {
					b.Fatal(err)
				}
				for _, r := range batches {
					if err := op.ProcessBatch(ctx, 0, r, emit); err != nil {
						b.Fatal(err)
					}
				}
				if err := op.EndOfInput(ctx, 0, emit); err != nil {
					b.Fatal(err)
				}
				op.Close()
			}
			b.StopTimer()
			b.ReportMetric(1e6*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
		})
	}
}
