package agg

import (
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// TestRetractEqualsNet checks that random inserts and retractions (each of
// a row inserted before) give the result of a plain accumulator over the
// rows that remain, and that State/Merge carries the retractable state.
func TestRetractEqualsNet(t *testing.T) {
	cases := []struct {
		fn   string
		typ  types.Type
		star bool
	}{
		{"count", types.Type{}, true},
		{"count", types.BigintType, false},
		{"sum", types.BigintType, false},
		{"sum", types.IntegerType, false},
		{"sum", types.DoubleType, false},
		{"avg", types.BigintType, false},
		{"avg", types.IntegerType, false},
		{"avg", types.DoubleType, false},
	}
	for _, c := range cases {
		for seed := int64(1); seed <= 20; seed++ {
			name := c.fn + "_" + c.typ.String()
			t.Run(name, func(t *testing.T) { retractCase(t, rand.New(rand.NewSource(seed)), c.fn, c.typ, c.star) })
		}
	}
}

type retractRow struct {
	g   uint32
	v   any
	use any // filter value
}

func retractCase(t *testing.T, r *rand.Rand, fn string, typ types.Type, star bool) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var argTypes []types.Type
	if !star {
		argTypes = []types.Type{typ}
	}
	acc, _, err := NewRetractable(fn, argTypes, false)
	if err != nil {
		t.Fatal(err)
	}
	defer acc.Release()
	const ngroups = 4
	acc.Grow(ngroups)
	var live []retractRow
	apply := func(rows []retractRow, retract bool) {
		groups := make([]uint32, len(rows))
		var vals, fil []any
		for i, row := range rows {
			groups[i] = row.g
			vals = append(vals, row.v)
			fil = append(fil, row.use)
		}
		var args []arrow.Array
		if !star {
			args = []arrow.Array{mk(t, mem, typ, vals...)}
		}
		filter := mkBool(t, mem, fil...)
		if retract {
			err = acc.Retract(groups, args, filter)
		} else if len(groups) > 0 && r.Intn(2) == 0 && allSame(groups) {
			err = acc.UpdateOne(groups[0], len(groups), args, filter)
		} else {
			err = acc.Update(groups, args, filter)
		}
		for _, a := range args {
			a.Release()
		}
		filter.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	for step := 0; step < 30; step++ {
		if len(live) > 0 && r.Intn(3) == 0 {
			r.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
			k := 1 + r.Intn(len(live))
			apply(live[:k], true)
			live = live[k:]
			continue
		}
		n := 1 + r.Intn(5)
		g := uint32(r.Intn(ngroups))
		rows := make([]retractRow, n)
		for i := range rows {
			if r.Intn(2) == 0 {
				g = uint32(r.Intn(ngroups))
			}
			rows[i] = retractRow{g: g, v: smallValue(r, typ), use: r.Intn(5) != 0}
			if r.Intn(8) == 0 {
				rows[i].v = nil
			}
		}
		apply(rows, false)
		live = append(live, rows...)
	}
	// Reference: a plain accumulator over the live rows.
	ref := mustNew(t, fn, argTypes, false)
	defer ref.Release()
	ref.Grow(ngroups)
	if len(live) > 0 {
		groups := make([]uint32, len(live))
		var vals, fil []any
		for i, row := range live {
			groups[i] = row.g
			vals = append(vals, row.v)
			fil = append(fil, row.use)
		}
		var args []arrow.Array
		if !star {
			args = []arrow.Array{mk(t, mem, typ, vals...)}
		}
		filter := mkBool(t, mem, fil...)
		if err := ref.Update(groups, args, filter); err != nil {
			t.Fatal(err)
		}
		for _, a := range args {
			a.Release()
		}
		filter.Release()
	}
	want := finalValues(t, mem, ref)
	if got := finalValues(t, mem, acc); !approxEqual(got, want) {
		t.Fatalf("after retractions got %v, want %v", got, want)
	}
	// The state round-trips through Merge into a fresh accumulator.
	st, err := acc.State(mem)
	if err != nil {
		t.Fatal(err)
	}
	acc2, _, _ := NewRetractable(fn, argTypes, false)
	defer acc2.Release()
	acc2.Grow(ngroups)
	if err := acc2.Merge([]uint32{0, 1, 2, 3}, st); err != nil {
		t.Fatal(err)
	}
	for _, a := range st {
		a.Release()
	}
	if got := finalValues(t, mem, acc2); !approxEqual(got, want) {
		t.Fatalf("after merge got %v, want %v", got, want)
	}
}

func allSame(gs []uint32) bool {
	for _, g := range gs {
		if g != gs[0] {
			return false
		}
	}
	return true
}

// smallValue is a value of typ that sums exactly in float64.
func smallValue(r *rand.Rand, typ types.Type) any {
	if typ.Kind == types.Double {
		return float64(r.Intn(200) - 100)
	}
	return r.Intn(200) - 100
}

func finalValues(t *testing.T, mem memory.Allocator, acc Accumulator) []any {
	t.Helper()
	a, err := acc.Finalize(mem)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	return goValues(t, a)
}

func TestNewRetractableErrors(t *testing.T) {
	cases := []struct {
		fn       string
		args     []types.Type
		distinct bool
		want     string
	}{
		{"min", []types.Type{types.BigintType}, false, "not supported over an updating input"},
		{"MAX", []types.Type{types.BigintType}, false, "not supported over an updating input"},
		{"count", []types.Type{types.BigintType}, true, "not supported over an updating input"},
		{"sum", []types.Type{types.IntervalType}, false, "not supported over an updating input"},
		{"median", []types.Type{types.BigintType}, false, "unknown aggregate function"},
		{"sum", []types.Type{types.VarcharType}, false, "does not accept"},
	}
	for _, c := range cases {
		_, _, err := NewRetractable(c.fn, c.args, c.distinct)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.fn, err, c.want)
		}
	}
}

func TestRetractErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	acc, _, err := NewRetractable("sum", []types.Type{types.BigintType}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer acc.Release()
	acc.Grow(1)
	x := mk(t, mem, types.BigintType, math.MinInt64+1, 5)
	defer x.Release()
	if err := acc.Retract([]uint32{0}, nil, nil); err == nil || !strings.Contains(err.Error(), "arguments") {
		t.Errorf("no arguments: got %v", err)
	}
	if err := acc.Retract([]uint32{0}, []arrow.Array{x}, nil); err == nil || !strings.Contains(err.Error(), "rows") {
		t.Errorf("row count: got %v", err)
	}
	if err := acc.Retract([]uint32{0, 3}, []arrow.Array{x}, nil); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("group range: got %v", err)
	}
	if err := acc.Update([]uint32{0, 0}, []arrow.Array{x}, nil); err != nil {
		t.Fatal(err)
	}
	// sum = MinInt64+6; retracting 5 twice more underflows.
	y := mk(t, mem, types.BigintType, 100, 5)
	defer y.Release()
	if err := acc.Retract([]uint32{0, 0}, []arrow.Array{y}, nil); err == nil || !strings.Contains(err.Error(), "bigint out of range") {
		t.Errorf("underflow: got %v", err)
	}
	f := mk(t, mem, types.DoubleType, 1.0, 2.0)
	defer f.Release()
	if err := acc.Retract([]uint32{0, 0}, []arrow.Array{f}, nil); err == nil {
		t.Error("wrong argument type: no error")
	}
	c, _, _ := NewRetractable("avg", []types.Type{types.BigintType}, false)
	defer c.Release()
	c.Grow(1)
	if err := c.Retract([]uint32{0, 0}, []arrow.Array{f}, nil); err == nil {
		t.Error("avg wrong argument type: no error")
	}
	if err := acc.Merge([]uint32{0}, []arrow.Array{x}); err == nil {
		t.Error("merge of a plain sum state: no error")
	}
	if !reflect.DeepEqual(acc.StateTypes(), []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64}) {
		t.Errorf("state types %v", acc.StateTypes())
	}
}
