package operators

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/planner/types"
)

// haSchema makes a schema with fields c0, c1, … of the given SQL types.
func haSchema(ts ...types.Type) *arrow.Schema {
	dts := make([]arrow.DataType, len(ts))
	for i, t := range ts {
		dts[i] = t.ArrowType()
	}
	return xoSchema(dts...)
}

// haValue reads row i of a as a Go value comparable with buildBatch's
// input.
func haValue(t testing.TB, a arrow.Array, i int) any {
	v, ok := cellValue(a, i, false)
	if !ok {
		t.Fatalf("haValue: unsupported array %T", a)
	}
	return v
}

// haRun drives op over one input and returns its output batches; it
// checks each against op's schema and BatchSize.
func haRun(t testing.TB, mem memory.Allocator, op Operator, in []arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	t.Helper()
	ctx := context.Background()
	var out []arrow.RecordBatch
	emit := func(b arrow.RecordBatch) error {
		if !b.Schema().Equal(op.Schema()) {
			t.Errorf("emitted schema %s, want %s", b.Schema(), op.Schema())
		}
		if b.NumRows() > BatchSize {
			t.Errorf("emitted %d rows, more than BatchSize", b.NumRows())
		}
		out = append(out, b)
		return nil
	}
	if err := op.Open(ctx, mem); err != nil {
		return nil, err
	}
	defer op.Close()
	for _, b := range in {
		if err := op.ProcessBatch(ctx, 0, b, emit); err != nil {
			return out, err
		}
	}
	err := op.EndOfInput(ctx, 0, emit)
	return out, err
}

// haRows flattens batches into rows of Go values.
func haRows(t testing.TB, bs []arrow.RecordBatch) [][]any {
	return batchRows(bs, func(a arrow.Array, i int) any { return haValue(t, a, i) })
}

// haSorted renders rows as strings, sorted, for order-insensitive
// comparison; floats are rounded so summation order does not matter.
func haSorted(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for j, v := range r {
			switch v := v.(type) {
			case float64:
				if v == 0 {
					v = 0 // -0 and 0 group together; either may be kept
				}
				parts[j] = fmt.Sprintf("%.6g", v)
			case []any:
				s := make([]string, len(v))
				for k, x := range v {
					s[k] = fmt.Sprint(x)
				}
				sort.Strings(s)
				parts[j] = "[" + strings.Join(s, " ") + "]"
			default:
				parts[j] = fmt.Sprintf("%#v", v)
			}
		}
		out[i] = strings.Join(parts, ", ")
	}
	sort.Strings(out)
	return out
}

func haEqual(t testing.TB, got, want [][]any) {
	t.Helper()
	g, w := haSorted(got), haSorted(want)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got %d rows:\n  %s\nwant %d rows:\n  %s", len(g), strings.Join(g, "\n  "), len(w), strings.Join(w, "\n  "))
	}
}

func TestHashAggregateBasic(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	// c0 key, c1 value, c2 filter, c3 string value
	s := haSchema(types.VarcharType, types.BigintType, types.BooleanType, types.VarcharType)
	in := []arrow.RecordBatch{
		optest.Batch(t, mem, s, [][]any{
			{"a", 1, true, "x"}, {"b", 2, false, "y"}, {nil, 3, true, nil}, {"a", nil, nil, "z"},
		}),
		optest.Batch(t, mem, s, [][]any{
			{"a", 1, true, "w"}, {nil, 5, false, "q"}, {"c", nil, true, nil}, {"b", 4, true, "y"},
		}),
		optest.Batch(t, mem, s, nil),
	}
	defer releaseBatches(in)
	aggs := []AggSpec{
		{Func: "count", Filter: -1, Name: "n"},
		{Func: "count", Args: []int{1}, Filter: -1, Name: "nv"},
		{Func: "sum", Args: []int{1}, Filter: -1, Name: "s"},
		{Func: "avg", Args: []int{1}, Filter: -1, Name: "a"},
		{Func: "min", Args: []int{3}, Filter: -1, Name: "mn"},
		{Func: "max", Args: []int{1}, Filter: -1, Name: "mx"},
		{Func: "sum", Args: []int{1}, Distinct: true, Filter: -1, Name: "sd"},
		{Func: "count", Args: []int{1}, Filter: 2, Name: "nf"},
		{Func: "count", Args: []int{3}, Distinct: true, Filter: -1, Name: "nd"},
	}
	op, err := NewHashAggregate(s, []int{0}, []string{"k"}, aggs)
	if err != nil {
		t.Fatal(err)
	}
	wantFields := []string{"k", "n", "nv", "s", "a", "mn", "mx", "sd", "nf", "nd"}
	for i, f := range op.Schema().Fields() {
		if f.Name != wantFields[i] {
			t.Errorf("field %d is %s, want %s", i, f.Name, wantFields[i])
		}
	}
	if dt := op.Schema().Field(4).Type; dt.ID() != arrow.FLOAT64 {
		t.Errorf("avg type %s", dt)
	}
	out, err := haRun(t, mem, op, in)
	defer releaseBatches(out)
	if err != nil {
		t.Fatal(err)
	}
	got := haRows(t, out)
	want := [][]any{
		{"a", 3, 2, 2, 1.0, "w", 1, 1, 2, 3},
		{"b", 2, 2, 6, 3.0, "y", 4, 6, 1, 1},
		{nil, 2, 2, 8, 4.0, "q", 5, 8, 1, 1},
		{"c", 1, 0, nil, nil, nil, nil, nil, 0, 0},
	}
	// Groups come out in order of first appearance.
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestHashAggregateNoGroups(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := haSchema(types.BigintType, types.DoubleType)
	aggs := []AggSpec{
		{Func: "count", Filter: -1, Name: "n"},
		{Func: "sum", Args: []int{0}, Filter: -1, Name: "s"},
		{Func: "avg", Args: []int{1}, Filter: -1, Name: "a"},
		{Func: "max", Args: []int{1}, Filter: -1, Name: "m"},
		{Func: "count", Args: []int{0}, Distinct: true, Filter: -1, Name: "d"},
	}
	for _, mode := range []AggMode{AggComplete, AggPartial} {
		op, err := NewHashAggregateMode(s, nil, nil, aggs, mode)
		if err != nil {
			t.Fatal(err)
		}
		out, err := haRun(t, mem, op, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := haRows(t, out)
		releaseBatches(out)
		want := [][]any{{0, nil, nil, nil, 0}}
		if mode == AggPartial {
			want = [][]any{{0, nil, 0.0, 0, nil, []any(nil)}}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s, empty input: got %v, want %v", mode, got, want)
		}
	}
	in := []arrow.RecordBatch{
		optest.Batch(t, mem, s, [][]any{{1, 1.5}, {nil, nil}, {3, 2.5}}),
		optest.Batch(t, mem, s, [][]any{{3, math.NaN()}}),
	}
	defer releaseBatches(in)
	op, err := NewHashAggregate(s, nil, nil, aggs)
	if err != nil {
		t.Fatal(err)
	}
	out, err := haRun(t, mem, op, in)
	defer releaseBatches(out)
	if err != nil {
		t.Fatal(err)
	}
	got := haRows(t, out)
	if len(got) != 1 || !reflect.DeepEqual(got[0][:2], []any{4, 7}) || !math.IsNaN(got[0][2].(float64)) ||
		!math.IsNaN(got[0][3].(float64)) || got[0][4] != 2 {
		t.Errorf("got %v", got)
	}
}

// haRef computes the expected output of haRandomAggs over rows whose
// column 0.. nkeys-1 are the key, then value (BIGINT), filter (BOOLEAN).
func haRef(rows [][]any, nkeys int) [][]any {
	type acc struct {
		key         []any
		n, nv, nf   int
		sum         int
		has         bool
		min, max    int
		distinct    map[int]bool
		filteredSum int
		filteredHas bool
		avgSum      float64
	}
	byKey := map[string]*acc{}
	var order []string
	for _, r := range rows {
		k := fmt.Sprintf("%#v", r[:nkeys])
		a := byKey[k]
		if a == nil {
			a = &acc{key: r[:nkeys], distinct: map[int]bool{}}
			byKey[k] = a
			order = append(order, k)
		}
		a.n++
		v, f := r[nkeys], r[nkeys+1]
		if v == nil {
			continue
		}
		x := v.(int)
		a.nv++
		a.sum += x
		a.avgSum += float64(x)
		if !a.has || x < a.min {
			a.min = x
		}
		if !a.has || x > a.max {
			a.max = x
		}
		a.has = true
		a.distinct[x] = true
		if f == true {
			a.nf++
			a.filteredSum += x
			a.filteredHas = true
		}
	}
	var out [][]any
	for _, k := range order {
		a := byKey[k]
		row := append([]any(nil), a.key...)
		row = append(row, a.n, a.nv)
		if a.has {
			row = append(row, a.sum, a.min, a.max, a.avgSum/float64(a.nv))
		} else {
			row = append(row, nil, nil, nil, nil)
		}
		row = append(row, len(a.distinct))
		if a.filteredHas {
			row = append(row, a.filteredSum)
		} else {
			row = append(row, nil)
		}
		ds := 0
		for x := range a.distinct {
			ds += x
		}
		if len(a.distinct) == 0 {
			row = append(row, nil)
		} else {
			row = append(row, ds)
		}
		out = append(out, row)
	}
	return out
}

func haRandomAggs(nkeys int) []AggSpec {
	v, f := nkeys, nkeys+1
	return []AggSpec{
		{Func: "count", Filter: -1, Name: "n"},
		{Func: "count", Args: []int{v}, Filter: -1, Name: "nv"},
		{Func: "sum", Args: []int{v}, Filter: -1, Name: "s"},
		{Func: "min", Args: []int{v}, Filter: -1, Name: "mn"},
		{Func: "max", Args: []int{v}, Filter: -1, Name: "mx"},
		{Func: "avg", Args: []int{v}, Filter: -1, Name: "a"},
		{Func: "count", Args: []int{v}, Distinct: true, Filter: -1, Name: "nd"},
		{Func: "sum", Args: []int{v}, Filter: f, Name: "sf"},
		{Func: "sum", Args: []int{v}, Distinct: true, Filter: -1, Name: "sd"},
	}
}

func haRandomKey(r *rand.Rand, t types.Type, card int) any {
	if r.Intn(15) == 0 {
		return nil
	}
	x := r.Intn(card)
	switch t.Kind {
	case types.Boolean:
		return x%2 == 0
	case types.Double:
		if x == 0 && r.Intn(2) == 0 {
			return math.Copysign(0, -1)
		}
		return float64(x) / 4
	case types.Varchar:
		return fmt.Sprintf("key-%d", x)
	case types.Interval:
		return arrow.MonthDayNanoInterval{Months: int32(x % 3), Days: int32(x / 3), Nanoseconds: 7}
	case types.Timestamp:
		return x * 3600e6
	}
	return x - card/2
}

// haRandomInput makes batches of random rows: keys, value, filter.
func haRandomInput(t testing.TB, mem memory.Allocator, r *rand.Rand, keyTypes []types.Type, card, nbatches int) (*arrow.Schema, []arrow.RecordBatch, [][]any) {
	s := haSchema(append(append([]types.Type(nil), keyTypes...), types.BigintType, types.BooleanType)...)
	var all [][]any
	var bs []arrow.RecordBatch
	for b := 0; b < nbatches; b++ {
		rows := make([][]any, r.Intn(3000))
		for i := range rows {
			row := make([]any, 0, len(keyTypes)+2)
			for _, kt := range keyTypes {
				row = append(row, haRandomKey(r, kt, card))
			}
			var v, f any
			if r.Intn(8) != 0 {
				v = r.Intn(50) - 10
			}
			if r.Intn(8) != 0 {
				f = r.Intn(2) == 0
			}
			rows[i] = append(row, v, f)
		}
		all = append(all, rows...)
		bs = append(bs, optest.Batch(t, mem, s, rows))
	}
	return s, bs, all
}

func TestHashAggregateRandom(t *testing.T) {
	keySets := []struct {
		keys []types.Type
		card int
	}{
		{[]types.Type{types.BigintType}, 20000},
		{[]types.Type{types.IntegerType}, 50},
		{[]types.Type{types.TimestampType}, 30},
		{[]types.Type{types.DateType}, 100},
		{[]types.Type{types.DoubleType}, 40},
		{[]types.Type{types.BooleanType}, 2},
		{[]types.Type{types.VarcharType}, 15000},
		{[]types.Type{types.IntervalType}, 60},
		{[]types.Type{types.VarcharType, types.BigintType}, 30},
		{[]types.Type{types.DateType, types.BooleanType, types.DoubleType}, 10},
	}
	r := rand.New(rand.NewSource(3))
	for _, ks := range keySets {
		t.Run(fmt.Sprint(ks.keys), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			s, in, rows := haRandomInput(t, mem, r, ks.keys, ks.card, 12)
			defer releaseBatches(in)
			nk := len(ks.keys)
			groupCols := make([]int, nk)
			names := make([]string, nk)
			for i := range groupCols {
				groupCols[i], names[i] = i, fmt.Sprintf("k%d", i)
			}
			op, err := NewHashAggregate(s, groupCols, names, haRandomAggs(nk))
			if err != nil {
				t.Fatal(err)
			}
			out, err := haRun(t, mem, op, in)
			defer releaseBatches(out)
			if err != nil {
				t.Fatal(err)
			}
			haEqual(t, haRows(t, out), haRef(haCanonKeys(rows, nk), nk))
		})
	}
}

// haCanonKeys maps -0 keys to 0 so the reference groups them like SQL.
func haCanonKeys(rows [][]any, nk int) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = append([]any(nil), r...)
		for k := 0; k < nk; k++ {
			if f, ok := r[k].(float64); ok && f == 0 {
				out[i][k] = 0.0
			}
		}
	}
	return out
}

func TestHashAggregateManyGroupsBatches(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := haSchema(types.BigintType, types.BigintType)
	const n = 2*BatchSize + 100
	var in []arrow.RecordBatch
	for lo := 0; lo < n; lo += 5000 {
		var rows [][]any
		for i := lo; i < min(lo+5000, n); i++ {
			rows = append(rows, []any{i, i * 2})
		}
		in = append(in, optest.Batch(t, mem, s, rows))
	}
	defer releaseBatches(in)
	op, err := NewHashAggregate(s, []int{0}, []string{"k"}, []AggSpec{{Func: "sum", Args: []int{1}, Filter: -1, Name: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := haRun(t, mem, op, in)
	defer releaseBatches(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 {
		t.Errorf("%d batches, want 3", len(out))
	}
	for i, row := range haRows(t, out) {
		if row[0] != i || row[1] != 2*i {
			t.Fatalf("row %d = %v", i, row)
		}
	}
}

// TestHashAggregatePartialFinal splits an aggregation into partial
// aggregates over parts of the input, combined through AggCombine and
// AggFinal, and compares with the complete aggregation.
func TestHashAggregatePartialFinal(t *testing.T) {
	for _, nk := range []int{0, 1, 2} {
		t.Run(fmt.Sprintf("keys=%d", nk), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			r := rand.New(rand.NewSource(int64(nk)))
			keyTypes := []types.Type{types.VarcharType, types.IntegerType}[:nk]
			s, in, _ := haRandomInput(t, mem, r, keyTypes, 40, 9)
			defer releaseBatches(in)
			groupCols := []int{0, 1}[:nk]
			names := []string{"a", "b"}[:nk]
			aggs := append(haRandomAggs(nk), AggSpec{Func: "avg", Args: []int{nk}, Distinct: true, Filter: nk + 1, Name: "adf"})
			mk := func(mode AggMode) *HashAggregate {
				op, err := NewHashAggregateMode(s, groupCols, names, aggs, mode)
				if err != nil {
					t.Fatal(err)
				}
				return op
			}
			whole, err := haRun(t, mem, mk(AggComplete), in)
			defer releaseBatches(whole)
			if err != nil {
				t.Fatal(err)
			}
			// Three partial aggregates: batches 0-2, 3-5, 6-8; the last
			// two combined before the final merge.
			var parts [][]arrow.RecordBatch
			for p := 0; p < 3; p++ {
				op := mk(AggPartial)
				out, err := haRun(t, mem, op, in[3*p:3*p+3])
				if err != nil {
					t.Fatal(err)
				}
				parts = append(parts, out)
				if !op.Schema().Equal(mk(AggFinal).InputSchema()) {
					t.Fatalf("partial schema %s differs from final input %s", op.Schema(), mk(AggFinal).InputSchema())
				}
			}
			combined, err := haRun(t, mem, mk(AggCombine), append(append([]arrow.RecordBatch(nil), parts[1]...), parts[2]...))
			if err != nil {
				t.Fatal(err)
			}
			final, err := haRun(t, mem, mk(AggFinal), append(append([]arrow.RecordBatch(nil), parts[0]...), combined...))
			defer releaseBatches(final)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range parts {
				releaseBatches(p)
			}
			releaseBatches(combined)
			if !final[0].Schema().Equal(whole[0].Schema()) {
				t.Errorf("final schema %s, complete %s", final[0].Schema(), whole[0].Schema())
			}
			haEqual(t, haRows(t, final), haRows(t, whole))
		})
	}
}

func TestHashAggregateErrors(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64},
		{Name: "b", Type: arrow.PrimitiveTypes.Int8},
		{Name: "c", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)},
	}, nil)
	cases := []struct {
		groups []int
		names  []string
		aggs   []AggSpec
	}{
		{[]int{3}, []string{"x"}, nil},
		{[]int{0}, nil, nil},
		{[]int{2}, []string{"x"}, nil},
		{nil, nil, []AggSpec{{Func: "sum", Args: []int{1}, Filter: -1}}},
		{nil, nil, []AggSpec{{Func: "sum", Args: []int{5}, Filter: -1}}},
		{nil, nil, []AggSpec{{Func: "median", Args: []int{0}, Filter: -1}}},
		{nil, nil, []AggSpec{{Func: "sum", Args: []int{0}, Filter: 0}}},
		{nil, nil, []AggSpec{{Func: "sum", Args: []int{0}, Filter: 9}}},
	}
	for i, c := range cases {
		if _, err := NewHashAggregate(s, c.groups, c.names, c.aggs); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	if _, err := NewHashAggregateMode(s, nil, nil, nil, AggMode(9)); err == nil {
		t.Error("mode 9 accepted")
	}

	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s2 := haSchema(types.BigintType, types.BigintType)
	op, err := NewHashAggregate(s2, []int{0}, []string{"k"}, []AggSpec{{Func: "sum", Args: []int{1}, Filter: -1, Name: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := op.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	b := optest.Batch(t, mem, s2, [][]any{{1, math.MaxInt64}, {1, 1}})
	defer b.Release()
	if err := op.ProcessBatch(ctx, 1, b, nil); err == nil {
		t.Error("input 1 accepted")
	}
	err = op.ProcessBatch(ctx, 0, b, nil)
	if err == nil || !strings.Contains(err.Error(), "bigint out of range") {
		t.Errorf("overflow: err = %v", err)
	}
}

// TestHashAggregateErrDone checks that ErrDone from downstream is returned
// unchanged and nothing leaks.
func TestHashAggregateErrDone(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := haSchema(types.BigintType)
	var rows [][]any
	for i := 0; i < BatchSize+10; i++ {
		rows = append(rows, []any{i})
	}
	b := optest.Batch(t, mem, s, rows)
	defer b.Release()
	op, err := NewHashAggregate(s, []int{0}, []string{"k"}, []AggSpec{{Func: "count", Filter: -1, Name: "n"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := op.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	if err := op.ProcessBatch(ctx, 0, b, nil); err != nil {
		t.Fatal(err)
	}
	calls := 0
	err = op.EndOfInput(ctx, 0, func(b arrow.RecordBatch) error {
		b.Release()
		calls++
		return ErrDone
	})
	if !errors.Is(err, ErrDone) || calls != 1 {
		t.Errorf("err = %v after %d calls, want ErrDone after 1", err, calls)
	}
}
