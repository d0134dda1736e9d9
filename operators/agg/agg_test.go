package agg

import (
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

type aggCase struct {
	name     string
	fn       string
	typ      types.Type // argument type; Null kind with star for COUNT(*)
	star     bool
	distinct bool
	groups   []uint32
	args     []any
	filter   []any // nil: no filter
	ngroups  int
	want     []any
	wantType types.Type
}

func runCase(t *testing.T, c aggCase) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var argTypes []types.Type
	var args []arrow.Array
	if !c.star {
		argTypes = []types.Type{c.typ}
		a := mk(t, mem, c.typ, c.args...)
		defer a.Release()
		args = []arrow.Array{a}
	}
	acc, rt, err := New(c.fn, argTypes, c.distinct)
	if err != nil {
		t.Fatal(err)
	}
	defer acc.Release()
	if rt != c.wantType {
		t.Errorf("result type %s, want %s", rt, c.wantType)
	}
	var filter *array.Boolean
	if c.filter != nil {
		filter = mkBool(t, mem, c.filter...)
		defer filter.Release()
	}
	acc.Grow(c.ngroups)
	// Feed in two batches to exercise state across calls.
	half := len(c.groups) / 2
	for _, r := range [][2]int{{0, half}, {half, len(c.groups)}} {
		sl := make([]arrow.Array, len(args))
		for i, a := range args {
			sl[i] = array.NewSlice(a, int64(r[0]), int64(r[1]))
		}
		var f *array.Boolean
		if filter != nil {
			f = array.NewSlice(filter, int64(r[0]), int64(r[1])).(*array.Boolean)
		}
		err := acc.Update(c.groups[r[0]:r[1]], sl, f)
		for _, a := range sl {
			a.Release()
		}
		if f != nil {
			f.Release()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	res, err := acc.Finalize(mem)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if !arrow.TypeEqual(res.DataType(), c.wantType.ArrowType()) {
		t.Errorf("result arrow type %s, want %s", res.DataType(), c.wantType.ArrowType())
	}
	got := goValues(t, res)
	if !approxEqual(got, c.want) {
		t.Errorf("got %v, want %v", got, c.want)
	}
}

func TestAggregates(t *testing.T) {
	g := []uint32{0, 1, 0, 1, 2, 0}
	tr, fa := true, false
	cases := []aggCase{
		{name: "count star", fn: "count", star: true, groups: g, ngroups: 4, want: []any{3, 2, 1, 0}, wantType: types.BigintType},
		{name: "count star filter", fn: "COUNT", star: true, groups: g, filter: []any{tr, fa, nil, tr, tr, tr}, ngroups: 3, want: []any{2, 1, 1}, wantType: types.BigintType},
		{name: "count x", fn: "count", typ: types.IntegerType, groups: g, args: []any{1, nil, 3, nil, nil, 1}, ngroups: 3, want: []any{3, 0, 0}, wantType: types.BigintType},
		{name: "count null type", fn: "count", typ: types.NullType, groups: g, args: []any{nil, nil, nil, nil, nil, nil}, ngroups: 3, want: []any{0, 0, 0}, wantType: types.BigintType},
		{name: "count distinct", fn: "count", typ: types.VarcharType, distinct: true, groups: g, args: []any{"a", "a", "a", nil, "b", "c"}, ngroups: 3, want: []any{2, 1, 1}, wantType: types.BigintType},
		{name: "count distinct filter", fn: "count", typ: types.BigintType, distinct: true, groups: g, args: []any{1, 1, 2, 1, 5, 1}, filter: []any{tr, tr, fa, tr, nil, tr}, ngroups: 3, want: []any{1, 1, 0}, wantType: types.BigintType},
		{name: "count distinct double", fn: "count", typ: types.DoubleType, distinct: true, groups: []uint32{0, 0, 0, 0, 0, 0}, args: []any{0.0, math.Copysign(0, -1), math.NaN(), math.NaN(), 1.5, nil}, ngroups: 1, want: []any{3}, wantType: types.BigintType},
		{name: "sum int", fn: "sum", typ: types.IntegerType, groups: g, args: []any{1, nil, 3, nil, 7, 5}, ngroups: 3, want: []any{9, nil, 7}, wantType: types.BigintType},
		{name: "sum bigint filter", fn: "sum", typ: types.BigintType, groups: g, args: []any{1, 2, 3, 4, 7, 5}, filter: []any{tr, fa, fa, nil, tr, tr}, ngroups: 3, want: []any{6, nil, 7}, wantType: types.BigintType},
		{name: "sum distinct", fn: "sum", typ: types.BigintType, distinct: true, groups: g, args: []any{2, 4, 2, nil, 7, 3}, ngroups: 3, want: []any{5, 4, 7}, wantType: types.BigintType},
		{name: "sum double", fn: "sum", typ: types.DoubleType, groups: g, args: []any{1.5, nil, 2.0, nil, nil, 0.5}, ngroups: 3, want: []any{4.0, nil, nil}, wantType: types.DoubleType},
		{name: "sum interval", fn: "sum", typ: types.IntervalType, groups: g, args: []any{iv(1, 2, 3), nil, iv(1, 1, 1), nil, nil, iv(0, 0, 5)}, ngroups: 3, want: []any{iv(2, 3, 9), nil, nil}, wantType: types.IntervalType},
		{name: "avg int", fn: "avg", typ: types.IntegerType, groups: g, args: []any{1, nil, 2, nil, 7, nil}, ngroups: 3, want: []any{1.5, nil, 7.0}, wantType: types.DoubleType},
		{name: "avg bigint distinct", fn: "avg", typ: types.BigintType, distinct: true, groups: g, args: []any{1, 4, 1, 4, 7, 4}, ngroups: 3, want: []any{2.5, 4.0, 7.0}, wantType: types.DoubleType},
		{name: "avg double filter", fn: "avg", typ: types.DoubleType, groups: g, args: []any{1.0, 4.0, 2.0, 4.0, 7.0, 4.0}, filter: []any{tr, fa, tr, fa, fa, fa}, ngroups: 3, want: []any{1.5, nil, nil}, wantType: types.DoubleType},
		{name: "min int", fn: "min", typ: types.IntegerType, groups: g, args: []any{5, nil, -3, nil, 7, 1}, ngroups: 3, want: []any{-3, nil, 7}, wantType: types.IntegerType},
		{name: "max bigint distinct", fn: "max", typ: types.BigintType, distinct: true, groups: g, args: []any{5, nil, -3, 2, 7, 9}, ngroups: 3, want: []any{9, 2, 7}, wantType: types.BigintType},
		{name: "max double nan", fn: "max", typ: types.DoubleType, groups: g, args: []any{5.0, 1.0, math.NaN(), 2.0, nil, 9.0}, ngroups: 3, want: []any{math.NaN(), 2.0, nil}, wantType: types.DoubleType},
		{name: "min double nan", fn: "min", typ: types.DoubleType, groups: g, args: []any{math.NaN(), 1.0, 5.0, math.NaN(), nil, 9.0}, ngroups: 3, want: []any{5.0, 1.0, nil}, wantType: types.DoubleType},
		{name: "min varchar", fn: "min", typ: types.VarcharType, groups: g, args: []any{"pear", nil, "apple", "z", nil, "banana"}, ngroups: 3, want: []any{"apple", "z", nil}, wantType: types.VarcharType},
		{name: "max varchar filter", fn: "max", typ: types.VarcharType, groups: g, args: []any{"pear", "q", "zebra", "z", "x", "banana"}, filter: []any{tr, tr, fa, fa, tr, tr}, ngroups: 3, want: []any{"pear", "q", "x"}, wantType: types.VarcharType},
		{name: "min bool", fn: "min", typ: types.BooleanType, groups: g, args: []any{tr, tr, fa, tr, nil, tr}, ngroups: 3, want: []any{false, true, nil}, wantType: types.BooleanType},
		{name: "max bool", fn: "max", typ: types.BooleanType, groups: g, args: []any{fa, fa, tr, fa, nil, fa}, ngroups: 3, want: []any{true, false, nil}, wantType: types.BooleanType},
		{name: "min timestamp", fn: "min", typ: types.TimestampType, groups: g, args: []any{100, 5, 50, nil, nil, 70}, ngroups: 3, want: []any{50, 5, nil}, wantType: types.TimestampType},
		{name: "max date", fn: "max", typ: types.DateType, groups: g, args: []any{100, 5, 50, nil, -4, 170}, ngroups: 3, want: []any{170, 5, -4}, wantType: types.DateType},
		{name: "max interval", fn: "max", typ: types.IntervalType, groups: g, args: []any{iv(1, 0, 0), iv(0, 1, 0), iv(0, 31, 0), iv(0, 0, 25*3600e9), nil, iv(0, 29, 0)}, ngroups: 3, want: []any{iv(0, 31, 0), iv(0, 0, 25*3600e9), nil}, wantType: types.IntervalType},
		{name: "min interval", fn: "min", typ: types.IntervalType, groups: g, args: []any{iv(1, 0, 0), iv(0, 1, 0), iv(0, 31, 0), iv(0, 0, 25*3600e9), nil, iv(0, 29, 0)}, ngroups: 3, want: []any{iv(0, 29, 0), iv(0, 1, 0), nil}, wantType: types.IntervalType},
		{name: "empty", fn: "sum", typ: types.BigintType, groups: nil, ngroups: 1, want: []any{nil}, wantType: types.BigintType},
		{name: "empty count", fn: "count", typ: types.BigintType, distinct: true, groups: nil, ngroups: 1, want: []any{0}, wantType: types.BigintType},
		{name: "no groups", fn: "avg", typ: types.BigintType, groups: nil, ngroups: 0, want: []any{}, wantType: types.DoubleType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runCase(t, c) })
	}
}

func TestMaxNaN(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	acc := mustNew(t, "max", []types.Type{types.DoubleType}, false)
	defer acc.Release()
	a := mk(t, mem, types.DoubleType, 1.0, math.NaN(), 3.0)
	defer a.Release()
	acc.Grow(1)
	if err := acc.Update([]uint32{0, 0, 0}, []arrow.Array{a}, nil); err != nil {
		t.Fatal(err)
	}
	r, err := acc.Finalize(mem)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if v := r.(*array.Float64).Value(0); !math.IsNaN(v) {
		t.Errorf("max = %v, want NaN", v)
	}
}

func TestSumOverflow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	acc := mustNew(t, "sum", []types.Type{types.BigintType}, false)
	defer acc.Release()
	a := mk(t, mem, types.BigintType, math.MaxInt64-1, 1, 1)
	defer a.Release()
	acc.Grow(1)
	err := acc.Update([]uint32{0, 0, 0}, []arrow.Array{a}, nil)
	if err == nil || !strings.Contains(err.Error(), "bigint out of range") {
		t.Fatalf("err = %v, want bigint out of range", err)
	}
}

func TestNewErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		args []types.Type
		dist bool
	}{
		{"median", []types.Type{types.BigintType}, false},
		{"sum", []types.Type{types.VarcharType}, false},
		{"avg", []types.Type{types.TimestampType}, false},
		{"sum", nil, false},
		{"count", nil, true},
		{"count", []types.Type{types.BigintType, types.BigintType}, false},
		{"min", []types.Type{types.NullType}, false},
	} {
		if _, _, err := New(c.name, c.args, c.dist); err == nil {
			t.Errorf("New(%s, %v, %v) succeeded", c.name, c.args, c.dist)
		}
	}
}

func TestUpdateErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	acc := mustNew(t, "sum", []types.Type{types.BigintType}, false)
	defer acc.Release()
	a := mk(t, mem, types.VarcharType, "x")
	defer a.Release()
	acc.Grow(1)
	if err := acc.Update([]uint32{0}, []arrow.Array{a}, nil); err == nil {
		t.Error("sum of a string array succeeded")
	}
	b := mk(t, mem, types.BigintType, 1)
	defer b.Release()
	if err := acc.Update([]uint32{3}, []arrow.Array{b}, nil); err == nil {
		t.Error("update of a group out of range succeeded")
	}
	if err := acc.Update([]uint32{0, 0}, []arrow.Array{b}, nil); err == nil {
		t.Error("update with mismatched lengths succeeded")
	}
}

// randomValue returns a random non-NULL Go value for typ, from a small
// domain so that groups see duplicates.
func randomValue(r *rand.Rand, typ types.Type) any {
	switch typ.Kind {
	case types.Boolean:
		return r.Intn(2) == 0
	case types.Integer, types.Bigint, types.Timestamp, types.Date:
		return r.Intn(20) - 5
	case types.Double:
		return float64(r.Intn(20)) / 4
	case types.Varchar:
		return fmt.Sprintf("s%02d", r.Intn(20))
	case types.Interval:
		return iv(int32(r.Intn(3)), int32(r.Intn(40)), int64(r.Intn(3))*3600e9)
	}
	return nil
}

// TestMergeEqualsWhole checks that merging the states of two accumulators
// over disjoint inputs equals one accumulator over both, for every
// function, type, DISTINCT and FILTER.
type fnType struct {
	fn  string
	typ types.Type // Null: COUNT(*)
}

// aggCombos lists every supported (function, argument type).
func aggCombos() []fnType {
	var combos []fnType
	combos = append(combos, fnType{"count", types.NullType})
	for _, typ := range []types.Type{types.BooleanType, types.IntegerType, types.BigintType, types.DoubleType, types.VarcharType, types.TimestampType, types.DateType, types.IntervalType} {
		combos = append(combos, fnType{"count", typ}, fnType{"min", typ}, fnType{"max", typ})
	}
	for _, typ := range []types.Type{types.IntegerType, types.BigintType, types.DoubleType, types.IntervalType} {
		combos = append(combos, fnType{"sum", typ})
	}
	for _, typ := range []types.Type{types.IntegerType, types.BigintType, types.DoubleType} {
		combos = append(combos, fnType{"avg", typ})
	}
	return combos
}

func TestMergeEqualsWhole(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, c := range aggCombos() {
		for _, distinct := range []bool{false, true} {
			for _, withFilter := range []bool{false, true} {
				star := c.typ.Kind == types.Null
				if star && distinct {
					continue
				}
				name := fmt.Sprintf("%s/%s/distinct=%v/filter=%v", c.fn, c.typ, distinct, withFilter)
				t.Run(name, func(t *testing.T) {
					mergeCase(t, r, c.fn, c.typ, star, distinct, withFilter)
				})
			}
		}
	}
}

func mergeCase(t *testing.T, r *rand.Rand, fn string, typ types.Type, star, distinct, withFilter bool) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const ngroups, nrows = 7, 300
	var argTypes []types.Type
	if !star {
		argTypes = []types.Type{typ}
	}
	newAcc := func() Accumulator {
		a := mustNew(t, fn, argTypes, distinct)
		a.Grow(ngroups)
		return a
	}
	// Rows: groups 0..5 (group 6 stays empty), ~20% NULL.
	groups := make([]uint32, nrows)
	vals := make([]any, nrows)
	fvals := make([]any, nrows)
	for i := range groups {
		groups[i] = uint32(r.Intn(ngroups - 1))
		if r.Intn(5) != 0 {
			vals[i] = randomValue(r, typ)
		}
		if r.Intn(6) != 0 {
			fvals[i] = r.Intn(3) != 0
		}
	}
	feed := func(acc Accumulator, lo, hi int) {
		var args []arrow.Array
		if !star {
			a := mk(t, mem, typ, vals[lo:hi]...)
			defer a.Release()
			args = []arrow.Array{a}
		}
		var f *array.Boolean
		if withFilter {
			f = mkBool(t, mem, fvals[lo:hi]...)
			defer f.Release()
		}
		if err := acc.Update(groups[lo:hi], args, f); err != nil {
			t.Fatal(err)
		}
	}
	whole, a, b := newAcc(), newAcc(), newAcc()
	defer whole.Release()
	defer a.Release()
	defer b.Release()
	feed(whole, 0, 100)
	feed(whole, 100, nrows)
	feed(a, 0, 100)
	feed(b, 100, 200)
	feed(b, 200, nrows)

	// Merge b's state into a, with b's groups permuted through an identity
	// map listed in reverse to exercise the group mapping.
	mergeInto := func(dst Accumulator, src Accumulator) {
		st, err := src.State(mem)
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			for _, s := range st {
				s.Release()
			}
		}()
		types := src.StateTypes()
		for i, s := range st {
			if !arrow.TypeEqual(s.DataType(), types[i]) {
				t.Fatalf("state %d has type %s, StateTypes says %s", i, s.DataType(), types[i])
			}
			if s.Len() != ngroups {
				t.Fatalf("state %d has %d rows, want %d", i, s.Len(), ngroups)
			}
		}
		// Merge rows in reverse order, through sliced state arrays.
		for lo := ngroups; lo > 0; lo -= 3 {
			from := max(lo-3, 0)
			gs := make([]uint32, 0, 3)
			for g := from; g < lo; g++ {
				gs = append(gs, uint32(g))
			}
			sl := make([]arrow.Array, len(st))
			for i, s := range st {
				sl[i] = array.NewSlice(s, int64(from), int64(lo))
			}
			err := dst.Merge(gs, sl)
			for _, s := range sl {
				s.Release()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	merged := newAcc()
	defer merged.Release()
	mergeInto(merged, a)
	mergeInto(merged, b)
	mergeInto(a, b) // merging into an accumulator that has updates too

	want, err := whole.Finalize(mem)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	for _, acc := range []Accumulator{merged, a} {
		got, err := acc.Finalize(mem)
		if err != nil {
			t.Fatal(err)
		}
		gv, wv := goValues(t, got), goValues(t, want)
		got.Release()
		if !approxEqual(gv, wv) {
			t.Errorf("merged %v\n  whole %v", gv, wv)
		}
	}
}

func approxEqual(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		fa, ok1 := a[i].(float64)
		fb, ok2 := b[i].(float64)
		if ok1 && ok2 {
			if math.IsNaN(fa) && math.IsNaN(fb) {
				continue
			}
			if math.Abs(fa-fb) > 1e-9*math.Max(1, math.Abs(fb)) {
				return false
			}
			continue
		}
		if !reflect.DeepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestUpdateOne checks UpdateOne against Update with every row in one
// group.
func TestUpdateOne(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, c := range aggCombos() {
		for _, distinct := range []bool{false, true} {
			star := c.typ.Kind == types.Null
			if star && distinct {
				continue
			}
			t.Run(fmt.Sprintf("%s/%s/distinct=%v", c.fn, c.typ, distinct), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				var argTypes []types.Type
				if !star {
					argTypes = []types.Type{c.typ}
				}
				one := mustNew(t, c.fn, argTypes, distinct)
				defer one.Release()
				many := mustNew(t, c.fn, argTypes, distinct)
				defer many.Release()
				one.Grow(3)
				many.Grow(3)
				for batch := 0; batch < 4; batch++ {
					n := r.Intn(50)
					if batch == 1 {
						n = 0
					}
					vals, fvals := make([]any, n), make([]any, n)
					groups := make([]uint32, n)
					for i := range vals {
						groups[i] = 2
						if batch != 2 && r.Intn(4) != 0 {
							vals[i] = randomValue(r, c.typ)
						}
						fvals[i] = r.Intn(3) != 0
					}
					var args []arrow.Array
					if !star {
						a := mk(t, mem, c.typ, vals...)
						args = []arrow.Array{a}
					}
					var f *array.Boolean
					if batch == 3 {
						f = mkBool(t, mem, fvals...)
					}
					if err := one.UpdateOne(2, n, args, f); err != nil {
						t.Fatal(err)
					}
					if err := many.Update(groups, args, f); err != nil {
						t.Fatal(err)
					}
					for _, a := range args {
						a.Release()
					}
					if f != nil {
						f.Release()
					}
				}
				a, err := one.Finalize(mem)
				if err != nil {
					t.Fatal(err)
				}
				defer a.Release()
				b, err := many.Finalize(mem)
				if err != nil {
					t.Fatal(err)
				}
				defer b.Release()
				if ga, gb := goValues(t, a), goValues(t, b); !approxEqual(ga, gb) {
					t.Errorf("UpdateOne %v, Update %v", ga, gb)
				}
			})
		}
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	acc := mustNew(t, "count", nil, false)
	defer acc.Release()
	if err := acc.UpdateOne(0, 3, nil, nil); err == nil {
		t.Error("UpdateOne of a group out of range succeeded")
	}
}
