package operators

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// haBenchData makes nrows rows in BatchSize batches: column 0 from key(i),
// column 1 a random BIGINT value.
func haBenchData(mem memory.Allocator, keyType types.Type, nrows int, key func(r *rand.Rand, i int) any) (*arrow.Schema, []arrow.RecordBatch) {
	s := haSchema(keyType, types.BigintType)
	r := rand.New(rand.NewSource(1))
	var bs []arrow.RecordBatch
	for lo := 0; lo < nrows; lo += BatchSize {
		bld := array.NewRecordBuilder(mem, s)
		for i := lo; i < min(lo+BatchSize, nrows); i++ {
			switch k := key(r, i).(type) {
			case string:
				bld.Field(0).(*array.StringBuilder).Append(k)
			case int64:
				bld.Field(0).(*array.Int64Builder).Append(k)
			case arrow.Timestamp:
				bld.Field(0).(*array.TimestampBuilder).Append(k)
			}
			bld.Field(1).(*array.Int64Builder).Append(r.Int63n(1000))
		}
		bs = append(bs, bld.NewRecordBatch())
		bld.Release()
	}
	return s, bs
}

func haBench(b *testing.B, s *arrow.Schema, in []arrow.RecordBatch, groupCols []int, aggs []AggSpec) {
	b.Helper()
	mem := memory.NewGoAllocator()
	rows, bytes := int64(0), int64(0)
	for _, x := range in {
		rows += x.NumRows()
		for _, c := range x.Columns() {
			for _, buf := range c.Data().Buffers() {
				if buf != nil {
					bytes += int64(buf.Len())
				}
			}
		}
	}
	names := make([]string, len(groupCols))
	for i := range names {
		names[i] = fmt.Sprintf("k%d", i)
	}
	ctx := context.Background()
	groups := int64(0)
	b.SetBytes(bytes)
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		op, err := NewHashAggregate(s, groupCols, names, aggs)
		if err != nil {
			b.Fatal(err)
		}
		if err := op.Open(ctx, mem); err != nil {
			b.Fatal(err)
		}
		for _, x := range in {
			if err := op.ProcessBatch(ctx, 0, x, nil); err != nil {
				b.Fatal(err)
			}
		}
		groups = 0
		if err := op.EndOfInput(ctx, 0, func(o arrow.RecordBatch) error {
			groups += o.NumRows()
			o.Release()
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		op.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
	b.ReportMetric(float64(groups), "groups")
	releaseBatches(in)
}

var haBenchAggs = []AggSpec{
	{Func: "count", Filter: -1, Name: "n"},
	{Func: "sum", Args: []int{1}, Filter: -1, Name: "s"},
	{Func: "avg", Args: []int{1}, Filter: -1, Name: "a"},
}

const haBenchRows = 10_000_000

// BenchmarkHashAggregateString1k: GROUP BY a VARCHAR key of 1k values.
func BenchmarkHashAggregateString1k(b *testing.B) {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("customer-%04d", i)
	}
	s, in := haBenchData(memory.NewGoAllocator(), types.VarcharType, haBenchRows, func(r *rand.Rand, _ int) any { return keys[r.Intn(len(keys))] })
	haBench(b, s, in, []int{0}, haBenchAggs)
}

// BenchmarkHashAggregateInt64_1M: GROUP BY a BIGINT key of ~1M values.
func BenchmarkHashAggregateInt64_1M(b *testing.B) {
	s, in := haBenchData(memory.NewGoAllocator(), types.BigintType, haBenchRows, func(r *rand.Rand, _ int) any { return r.Int63n(1 << 20) })
	haBench(b, s, in, []int{0}, haBenchAggs)
}

// BenchmarkHashAggregateDateTrunc: GROUP BY hour-truncated timestamps of
// time-ordered rows (one row every 10 s, so 360 rows per hour).
func BenchmarkHashAggregateDateTrunc(b *testing.B) {
	const hour = 3600e6
	s, in := haBenchData(memory.NewGoAllocator(), types.TimestampType, haBenchRows, func(r *rand.Rand, i int) any {
		return arrow.Timestamp(int64(i) * 10e6 / hour * hour)
	})
	haBench(b, s, in, []int{0}, haBenchAggs)
}

// BenchmarkHashAggregateNoKey: aggregates without GROUP BY.
func BenchmarkHashAggregateNoKey(b *testing.B) {
	s, in := haBenchData(memory.NewGoAllocator(), types.BigintType, haBenchRows, func(r *rand.Rand, i int) any { return int64(i) })
	haBench(b, s, in, nil, haBenchAggs)
}

// BenchmarkHashAggregateMultiKey: COUNT(*) GROUP BY (VARCHAR of 1k values,
// BIGINT of 1k values): ~1M groups through the encoded-key table.
func BenchmarkHashAggregateMultiKey(b *testing.B) {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("customer-%04d", i)
	}
	s, in := haBenchData(memory.NewGoAllocator(), types.VarcharType, haBenchRows, func(r *rand.Rand, _ int) any { return keys[r.Intn(len(keys))] })
	haBench(b, s, in, []int{0, 1}, haBenchAggs[:1])
}

// BenchmarkHashAggregateCountDistinct: count(DISTINCT BIGINT) grouped by
// a VARCHAR key of 1k values.
func BenchmarkHashAggregateCountDistinct(b *testing.B) {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("customer-%04d", i)
	}
	s, in := haBenchData(memory.NewGoAllocator(), types.VarcharType, haBenchRows, func(r *rand.Rand, _ int) any { return keys[r.Intn(len(keys))] })
	haBench(b, s, in, []int{0}, []AggSpec{{Func: "count", Args: []int{1}, Distinct: true, Filter: -1, Name: "d"}})
}
