package operators

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
)

// TestJoinGather checks joinGather against Take for every fast-path type,
// with NULLs, -1 indices, sliced and empty sources.
func TestJoinGather(t *testing.T) {
	cols := []struct {
		dt   arrow.DataType
		vals []any
	}{
		{arrow.PrimitiveTypes.Int64, []any{int64(1), nil, int64(3), int64(-4), int64(5), int64(6)}},
		{arrow.PrimitiveTypes.Int32, []any{int32(1), int32(2), nil, int32(4), int32(5), int32(6)}},
		{arrow.PrimitiveTypes.Float64, []any{1.5, 2.5, 3.5, nil, 5.5, 6.5}},
		{arrow.FixedWidthTypes.Date32, []any{arrow.Date32(1), arrow.Date32(2), arrow.Date32(3), arrow.Date32(4), nil, arrow.Date32(6)}},
		{&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, []any{arrow.Timestamp(1), nil, nil, arrow.Timestamp(4), arrow.Timestamp(5), arrow.Timestamp(6)}},
		{arrow.BinaryTypes.String, []any{"a", "", nil, "dddd", "ééé", "f"}},
		{arrow.BinaryTypes.String, []any{"a", "bb", "ccc", "dddd", "e", "f"}},
		{arrow.PrimitiveTypes.Int64, []any{int64(1), int64(2), int64(3), int64(4), int64(5), int64(6)}},
		{arrow.FixedWidthTypes.Boolean, []any{true, nil, false, true, false, true}},
	}
	idxs := [][]int32{
		{},
		{0, 1, 2, 3},
		{3, 3, -1, 0, 1, -1, 2},
		{-1, -1},
		{1, 2, 3},
	}
	for ci, c := range cols {
		for _, sliced := range []bool{false, true} {
			for _, idx := range idxs {
				t.Run(fmt.Sprintf("%d-%s/sliced=%v/%v", ci, c.dt, sliced, idx), func(t *testing.T) {
					mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
					defer mem.AssertSize(t, 0)
					s := joinSchema("c", c.dt)
					rows := make([][]any, len(c.vals))
					for i, v := range c.vals {
						rows[i] = []any{v}
					}
					b := optest.Batch(t, mem, s, rows)
					defer b.Release()
					src := b.Column(0)
					if sliced {
						src = array.NewSlice(src, 2, 6)
						defer src.Release()
					}
					checkGather(t, mem, src, idx)
				})
			}
		}
		t.Run(fmt.Sprintf("%d-%s/empty-source", ci, c.dt), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			empty := array.MakeArrayOfNull(mem, c.dt, 0)
			defer empty.Release()
			checkGather(t, mem, empty, []int32{-1, -1, -1})
			built := optest.Batch(t, mem, joinSchema("c", c.dt), nil)
			defer built.Release()
			checkGather(t, mem, built.Column(0), []int32{-1})
		})
	}
}

func checkGather(t *testing.T, mem memory.Allocator, src arrow.Array, idx []int32) {
	t.Helper()
	got, err := joinGather(mem, src, idx)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	want, err := Take(mem, src, idx)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	if !array.Equal(got, want) {
		t.Errorf("joinGather = %v, Take = %v", got, want)
	}
	if got.NullN() != want.NullN() {
		t.Errorf("NullN %d, want %d", got.NullN(), want.NullN())
	}
	if v, ok := got.(interface{ ValidateFull() error }); ok {
		if err := v.ValidateFull(); err != nil {
			t.Errorf("invalid array: %v", err)
		}
	}
}
