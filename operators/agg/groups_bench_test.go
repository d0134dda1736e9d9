package agg

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func benchGroupTable(b *testing.B, cols [][]arrow.Array) {
	dts := make([]arrow.DataType, len(cols[0]))
	for i, c := range cols[0] {
		dts[i] = c.DataType()
	}
	rows := 0
	for _, c := range cols {
		rows += c[0].Len()
	}
	var groups []uint32
	var newRows []int32
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		t, err := NewGroupTable(dts)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range cols {
			if groups, newRows, err = t.Find(c, groups, newRows[:0]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows*b.N), "ns/row")
}

const benchRows, benchBatch = 4_000_000, 8192

func BenchmarkGroupTableString1k(b *testing.B) {
	mem := memory.NewGoAllocator()
	r := rand.New(rand.NewSource(1))
	var cols [][]arrow.Array
	for lo := 0; lo < benchRows; lo += benchBatch {
		sb := array.NewStringBuilder(mem)
		for i := 0; i < benchBatch; i++ {
			sb.Append(fmt.Sprintf("customer-%04d", r.Intn(1000)))
		}
		cols = append(cols, []arrow.Array{sb.NewArray()})
		sb.Release()
	}
	benchGroupTable(b, cols)
}

func BenchmarkGroupTableInt64_1M(b *testing.B) {
	mem := memory.NewGoAllocator()
	r := rand.New(rand.NewSource(1))
	var cols [][]arrow.Array
	for lo := 0; lo < benchRows; lo += benchBatch {
		ib := array.NewInt64Builder(mem)
		for i := 0; i < benchBatch; i++ {
			ib.Append(r.Int63n(1 << 20))
		}
		cols = append(cols, []arrow.Array{ib.NewArray()})
		ib.Release()
	}
	benchGroupTable(b, cols)
}

func BenchmarkGroupTableMulti(b *testing.B) {
	mem := memory.NewGoAllocator()
	r := rand.New(rand.NewSource(1))
	var cols [][]arrow.Array
	for lo := 0; lo < benchRows; lo += benchBatch {
		sb := array.NewStringBuilder(mem)
		ib := array.NewInt64Builder(mem)
		for i := 0; i < benchBatch; i++ {
			sb.Append(fmt.Sprintf("customer-%04d", r.Intn(1000)))
			ib.Append(r.Int63n(10))
		}
		cols = append(cols, []arrow.Array{sb.NewArray(), ib.NewArray()})
		sb.Release()
		ib.Release()
	}
	benchGroupTable(b, cols)
}
