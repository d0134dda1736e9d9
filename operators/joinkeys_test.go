package operators

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
)

func TestValuesEqual(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	nan := math.NaN()
	cases := []struct {
		dt   arrow.DataType
		a, b any
		want bool
	}{
		{arrow.PrimitiveTypes.Int64, int64(1), int64(1), true},
		{arrow.PrimitiveTypes.Int64, int64(1), int64(2), false},
		{arrow.PrimitiveTypes.Int32, int32(3), int32(3), true},
		{arrow.PrimitiveTypes.Float64, nan, nan, true},
		{arrow.PrimitiveTypes.Float64, math.Copysign(0, -1), 0.0, true},
		{arrow.PrimitiveTypes.Float64, 1.0, nan, false},
		{arrow.FixedWidthTypes.Date32, arrow.Date32(5), arrow.Date32(6), false},
		{&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, arrow.Timestamp(7), arrow.Timestamp(7), true},
		{arrow.FixedWidthTypes.Boolean, true, false, false},
		{arrow.FixedWidthTypes.Boolean, false, false, true},
		{arrow.BinaryTypes.String, "x", "x", true},
		{arrow.BinaryTypes.String, "x", "y", false},
	}
	for _, c := range cases {
		s := joinSchema("v", c.dt)
		b := optest.Batch(t, mem, s, [][]any{{c.a}, {c.b}})
		if got := valuesEqual(b.Column(0), 0, b.Column(0), 1); got != c.want {
			t.Errorf("%s: %v = %v: got %v", c.dt, c.a, c.b, got)
		}
		b.Release()
	}
	ints := optest.Batch(t, mem, joinSchema("v", arrow.PrimitiveTypes.Int64), [][]any{{int64(1)}})
	strs := optest.Batch(t, mem, joinSchema("v", arrow.BinaryTypes.String), [][]any{{"1"}})
	defer ints.Release()
	defer strs.Release()
	if valuesEqual(ints.Column(0), 0, strs.Column(0), 0) {
		t.Error("values of different types compared equal")
	}
}

// TestHashJoinFloatKeys checks SQL's float equality in joins: NaN joins
// NaN and -0 joins 0 (Postgres semantics), NULL joins nothing.
func TestHashJoinFloatKeys(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := joinSchema("k", arrow.PrimitiveTypes.Float64)
	probe := [][]any{{math.NaN()}, {math.Copysign(0, -1)}, {1.5}, {nil}}
	build := [][]any{{math.NaN()}, {0.0}, {2.5}, {nil}}
	op := newTestHashJoin(t, joinKindCase{"inner", JoinInner, false}, joinKeySet{"k", []int{0}, []int{0}}, nil, s, s)
	got, _ := runJoin(t, op, mem, joinBatches(t, mem, s, build), joinBatches(t, mem, s, probe))
	sameRows(t, got, []string{"-0|0", "NaN|NaN"})
}
