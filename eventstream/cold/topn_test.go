package cold

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// boundsTable reports fixed bounds.
type boundsTable struct {
	catalog.Table
	lo, hi any
	nulls  bool
}

func (b boundsTable) Bounds(context.Context, int) (any, any, bool, bool, error) {
	return b.lo, b.hi, b.nulls, true, nil
}

func TestTopKeeperDecides(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	bld := array.NewInt64Builder(mem)
	bld.AppendValues([]int64{10, 20, 30, 40}, nil)
	bld.AppendNull()
	col := bld.NewArray()
	bld.Release()
	batch := array.NewRecordBatch(schema, []arrow.Array{col}, 5)
	col.Release()
	defer batch.Release()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		hint catalog.TopNHint
		cold boundsTable
		skip bool
	}{
		{"desc, cold all older", catalog.TopNHint{Desc: true, Limit: 2}, boundsTable{lo: int64(1), hi: int64(29)}, true},
		{"desc, cold ties the worst kept", catalog.TopNHint{Desc: true, Limit: 2}, boundsTable{lo: int64(1), hi: int64(30)}, false},
		{"desc nulls first, cold has NULLs", catalog.TopNHint{Desc: true, NullsFirst: true, Limit: 2}, boundsTable{lo: int64(1), hi: int64(5), nulls: true}, false},
		{"desc nulls last, cold has NULLs", catalog.TopNHint{Desc: true, Limit: 2}, boundsTable{lo: int64(1), hi: int64(5), nulls: true}, true},
		{"asc, cold all newer", catalog.TopNHint{Limit: 3}, boundsTable{lo: int64(31), hi: int64(99)}, true},
		{"asc, cold overlaps", catalog.TopNHint{Limit: 3}, boundsTable{lo: int64(25), hi: int64(99)}, false},
		{"hot rows do not fill the top", catalog.TopNHint{Desc: true, Limit: 5}, boundsTable{lo: int64(1), hi: int64(2)}, false},
		{"empty cold side", catalog.TopNHint{Desc: true, Limit: 2}, boundsTable{}, true},
	} {
		k := newTopKeeper(&tc.hint, []int{0})
		k.observe(batch)
		if got := k.coldCannotWin(ctx, tc.cold, 0); got != tc.skip {
			t.Errorf("%s: skip = %v, want %v", tc.name, got, tc.skip)
		}
	}
	// A table without bounds, or a sort column not projected, is read.
	k := newTopKeeper(&catalog.TopNHint{Desc: true, Limit: 1}, []int{0})
	k.observe(batch)
	if k.coldCannotWin(ctx, catalog.NewMemTable(schema), 0) {
		t.Error("skipped a cold side without statistics")
	}
	if k := newTopKeeper(&catalog.TopNHint{Column: 3, Limit: 1}, []int{0}); k.valid {
		t.Error("a keeper for an unprojected column")
	}
}
