package agg

import (
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// benchAccumulator feeds 4M rows in 8192-row batches, groups uniform in
// [0, ngroups), values uniform in [0, nvalues).
func benchAccumulator(b *testing.B, fn string, distinct bool, ngroups, nvalues int) {
	mem := memory.NewGoAllocator()
	r := rand.New(rand.NewSource(1))
	type batch struct {
		groups []uint32
		vals   arrow.Array
	}
	var in []batch
	for lo := 0; lo < benchRows; lo += benchBatch {
		ib := array.NewInt64Builder(mem)
		gs := make([]uint32, benchBatch)
		for i := range gs {
			gs[i] = uint32(r.Intn(ngroups))
			ib.Append(int64(r.Intn(nvalues)))
		}
		in = append(in, batch{gs, ib.NewArray()})
		ib.Release()
	}
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		acc, _, err := New(fn, []types.Type{types.BigintType}, distinct)
		if err != nil {
			b.Fatal(err)
		}
		acc.Grow(ngroups)
		for _, x := range in {
			if err := acc.Update(x.groups, []arrow.Array{x.vals}, nil); err != nil {
				b.Fatal(err)
			}
		}
		res, err := acc.Finalize(mem)
		if err != nil {
			b.Fatal(err)
		}
		res.Release()
		acc.Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(benchRows*b.N), "ns/row")
}

func BenchmarkSum1k(b *testing.B)           { benchAccumulator(b, "sum", false, 1000, 1000) }
func BenchmarkSum1M(b *testing.B)           { benchAccumulator(b, "sum", false, 1<<20, 1000) }
func BenchmarkAvg1M(b *testing.B)           { benchAccumulator(b, "avg", false, 1<<20, 1000) }
func BenchmarkMax1k(b *testing.B)           { benchAccumulator(b, "max", false, 1000, 1000) }
func BenchmarkCountDistinct1k(b *testing.B) { benchAccumulator(b, "count", true, 1000, 1000) }
