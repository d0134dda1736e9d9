package window

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// floorTo rounds t down to a multiple of w (w > 0).
func floorTo(t, w int64) int64 {
	r := t % w
	if r < 0 {
		r += w
	}
	return t - r
}

// floorOff rounds t down to off plus a multiple of w (w > 0, 0 <= off < w).
func floorOff(t, w, off int64) int64 {
	if off == 0 {
		return floorTo(t, w)
	}
	return floorTo(t-off, w) + off
}

// tsConst makes a TIMESTAMP array of n copies of v.
func tsConst(mem memory.Allocator, v int64, n int) arrow.Array {
	b := array.NewTimestampBuilder(mem, types.TimestampType.ArrowType().(*arrow.TimestampType))
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		b.UnsafeAppend(arrow.Timestamp(v))
	}
	return b.NewArray()
}

// tsArray makes a TIMESTAMP array of vals.
func tsArray(mem memory.Allocator, vals []int64) arrow.Array {
	b := array.NewTimestampBuilder(mem, types.TimestampType.ArrowType().(*arrow.TimestampType))
	defer b.Release()
	b.Reserve(len(vals))
	for _, v := range vals {
		b.UnsafeAppend(arrow.Timestamp(v))
	}
	return b.NewArray()
}
