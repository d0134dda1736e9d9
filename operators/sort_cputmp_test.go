//go:build linux

package operators

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCPUTmp(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := rand.New(rand.NewPCG(9, 10))
	ints := xoInt64Batches(1<<20, func(int) int64 { return r.Int64() })
	low := xoInt64Batches(1<<20, func(int) int64 { return r.Int64N(100) })
	big := xoInt64Batches(10_000_000, func(int) int64 { return r.Int64() })
	mem := memory.NewGoAllocator()
	s1 := xoSchema(arrow.BinaryTypes.String)
	var strs []arrow.RecordBatch
	for range (1 << 20) / BatchSize {
		sb := array.NewStringBuilder(mem)
		for range BatchSize {
			sb.Append(fmt.Sprintf("customer#%09d", r.IntN(1e9)))
		}
		col := sb.NewArray()
		strs = append(strs, array.NewRecordBatch(s1, []arrow.Array{col}, BatchSize))
		col.Release()
		sb.Release()
	}
	s := ints[0].Schema()
	for _, c := range []struct {
		name string
		mk   func() Operator
		in   []arrow.RecordBatch
	}{
		{"sortInt64", func() Operator { return NewSort(s, []SortKey{{Col: 0}}) }, ints},
		{"sortTwoKeys", func() Operator { return NewSort(s, []SortKey{{Col: 0}, {Col: 1, Desc: true}}) }, low},
		{"sortString", func() Operator { return NewSort(s1, []SortKey{{Col: 0}}) }, strs},
		{"topN10M", func() Operator { return NewTopN(s, []SortKey{{Col: 0, Desc: true}}, 10, 0) }, big},
		{"topNString", func() Operator { return NewTopN(s1, []SortKey{{Col: 0}}, 10, 0) }, strs},
	} {
		best := time.Hour
		for range 5 {
			start := cpuNow()
			xoBenchOpOnce(t, c.mk, c.in)
			best = min(best, cpuNow()-start)
		}
		t.Logf("%s: best thread cpu %v", c.name, best)
	}
}

func xoBenchOpOnce(t *testing.T, mk func() Operator, batches []arrow.RecordBatch) {
	mem := memory.NewGoAllocator()
	emit := func(b arrow.RecordBatch) error { b.Release(); return nil }
	op := mk()
	if err := op.Open(t.Context(), mem); err != nil {
		t.Fatal(err)
	}
	for _, bt := range batches {
		if err := op.ProcessBatch(t.Context(), 0, bt, emit); err != nil {
			t.Fatal(err)
		}
	}
	if err := op.EndOfInput(t.Context(), 0, emit); err != nil {
		t.Fatal(err)
	}
	op.Close()
}
