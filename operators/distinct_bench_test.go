package operators

import (
	"context"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

func benchDistinct(b *testing.B, cols int, key func(r *rand.Rand, i int) any) {
	const rows = 4_000_000
	s, in := haBenchData(memory.NewGoAllocator(), types.BigintType, rows, key)
	defer releaseBatches(in)
	if cols == 1 {
		s = arrow.NewSchema(s.Fields()[:1], nil)
		for i, x := range in {
			in[i] = array.NewRecordBatch(s, x.Columns()[:1], x.NumRows())
			x.Release()
		}
	}
	mem := memory.NewGoAllocator()
	ctx := context.Background()
	var out int64
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		op := NewDistinct(s)
		if err := op.Open(ctx, mem); err != nil {
			b.Fatal(err)
		}
		out = 0
		for _, x := range in {
			if err := op.ProcessBatch(ctx, 0, x, func(o arrow.RecordBatch) error {
				out += o.NumRows()
				o.Release()
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		op.Close()
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
	b.ReportMetric(float64(out), "distinct")
}

// BenchmarkDistinctInt64: SELECT DISTINCT over one BIGINT column of 100k
// values.
func BenchmarkDistinctInt64(b *testing.B) {
	benchDistinct(b, 1, func(r *rand.Rand, _ int) any { return r.Int63n(100_000) })
}

// BenchmarkDistinctTwoColumns: SELECT DISTINCT over (BIGINT of 1000
// values, BIGINT of 1000 values): encoded keys, ~1M distinct rows.
func BenchmarkDistinctTwoColumns(b *testing.B) {
	benchDistinct(b, 2, func(r *rand.Rand, _ int) any { return r.Int63n(1000) })
}
