package operators

import (
	"context"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// BenchmarkDistinctInt64: SELECT DISTINCT over a BIGINT column of 100k
// values and a BIGINT column of 1000 values (encoded keys).
func BenchmarkDistinctInt64(b *testing.B) {
	s, in := haBenchData(memory.NewGoAllocator(), types.BigintType, 2_000_000, func(r *rand.Rand, _ int) any { return r.Int63n(100_000) })
	defer haRelease(in)
	mem := memory.NewGoAllocator()
	ctx := context.Background()
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		op := NewDistinct(s)
		if err := op.Open(ctx, mem); err != nil {
			b.Fatal(err)
		}
		for _, x := range in {
			if err := op.ProcessBatch(ctx, 0, x, func(o arrow.RecordBatch) error { o.Release(); return nil }); err != nil {
				b.Fatal(err)
			}
		}
		op.Close()
	}
	b.ReportMetric(float64(2_000_000*b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
}
