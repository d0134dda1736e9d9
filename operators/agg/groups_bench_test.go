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
	r := rand.New(rand.NewSource(1))
	benchGroupTable(b, benchColumns(memory.NewGoAllocator(), []arrow.DataType{arrow.BinaryTypes.String}, func(bs []array.Builder) {
		bs[0].(*array.StringBuilder).Append(fmt.Sprintf("customer-%04d", r.Intn(1000)))
	}))
}

func BenchmarkGroupTableInt64_1M(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	benchGroupTable(b, benchColumns(memory.NewGoAllocator(), []arrow.DataType{arrow.PrimitiveTypes.Int64}, func(bs []array.Builder) {
		bs[0].(*array.Int64Builder).Append(r.Int63n(1 << 20))
	}))
}

func BenchmarkGroupTableMulti(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	dts := []arrow.DataType{arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64}
	benchGroupTable(b, benchColumns(memory.NewGoAllocator(), dts, func(bs []array.Builder) {
		bs[0].(*array.StringBuilder).Append(fmt.Sprintf("customer-%04d", r.Intn(1000)))
		bs[1].(*array.Int64Builder).Append(r.Int63n(10))
	}))
}
