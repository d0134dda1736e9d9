package expr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

// col is a test column: a name, a type and Go values (nil for NULL).
type col struct {
	name string
	t    types.Type
	vals []any
}

// arrayOf builds an array of type t from Go literal values.
func arrayOf(t testing.TB, mem memory.Allocator, typ types.Type, vals []any) arrow.Array {
	t.Helper()
	parts := make([]arrow.Array, len(vals))
	for i, v := range vals {
		a, err := MakeArray(mem, v, typ, 1)
		if err != nil {
			t.Fatal(err)
		}
		parts[i] = a
	}
	defer releaseAll(parts)
	if len(parts) == 0 {
		return allNull(mem, typ, 0)
	}
	out, err := array.Concatenate(parts, mem)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// batchOf builds a batch of cols, each sliced out of a longer array (so
// kernels see a non-zero offset), and the column references for bindSQL.
func batchOf(t testing.TB, mem memory.Allocator, cols ...col) (arrow.RecordBatch, map[string]*logical.ColumnRef, Layout) {
	t.Helper()
	refs := map[string]*logical.ColumnRef{}
	layout := Layout{}
	var fields []arrow.Field
	var arrs []arrow.Array
	rows := 0
	for i, c := range cols {
		padded := append(append([]any{nil}, c.vals...), nil)
		full := arrayOf(t, mem, c.t, padded)
		arr := array.NewSlice(full, 1, int64(len(c.vals)+1))
		full.Release()
		id := logical.ColumnID(100 + i)
		refs[c.name] = &logical.ColumnRef{ID: id, Name: c.name, T: c.t}
		layout[id] = i
		fields = append(fields, arrow.Field{Name: c.name, Type: arr.DataType(), Nullable: true})
		arrs = append(arrs, arr)
		rows = len(c.vals)
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(rows))
	releaseAll(arrs)
	return rec, refs, layout
}

// runSQL evaluates sql over cols (or over one row when there are none)
// and renders each result row with types.FormatValue.
func runSQL(t testing.TB, sql string, cols ...col) ([]string, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := &Context{Mem: mem, Now: 1715000000000000}
	var rec arrow.RecordBatch
	var refs map[string]*logical.ColumnRef
	layout := Layout{}
	if len(cols) == 0 {
		rec = array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 1)
	} else {
		rec, refs, layout = batchOf(t, mem, cols...)
	}
	defer rec.Release()
	e, err := bindSQL(sql, refs)
	if err != nil {
		t.Fatalf("binding %q: %v", sql, err)
	}
	ev, err := Compile(e, layout)
	if err != nil {
		return nil, err
	}
	out, err := ev.Eval(ctx, rec)
	if err != nil {
		return nil, err
	}
	defer out.Release()
	if out.Len() != int(rec.NumRows()) {
		t.Fatalf("%s: %d rows, want %d", sql, out.Len(), rec.NumRows())
	}
	if !arrow.TypeEqual(out.DataType(), e.Type().ArrowType()) {
		t.Fatalf("%s: result type %s, want %s", sql, out.DataType(), e.Type().ArrowType())
	}
	return formatRows(out, e.Type()), nil
}

// formatRows renders every row of arr, of type t, with types.FormatValue.
func formatRows(arr arrow.Array, t types.Type) []string {
	res := make([]string, arr.Len())
	for i := range res {
		res[i] = types.FormatValue(ScalarValue(arr, i), t)
	}
	return res
}

// columnBatch is a batch of the single column arr, named name; arr stays
// the caller's to release.
func columnBatch(name string, arr arrow.Array) arrow.RecordBatch {
	return array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: name, Type: arr.DataType()}}, nil), []arrow.Array{arr}, int64(arr.Len()))
}

// check runs sql and compares the rendered rows with want (separated by |).
func check(t *testing.T, sql, want string, cols ...col) {
	t.Helper()
	got, err := runSQL(t, sql, cols...)
	if err != nil {
		t.Errorf("%s: %v", sql, err)
		return
	}
	if g := strings.Join(got, "|"); g != want {
		t.Errorf("%s = %s, want %s", sql, g, want)
	}
}

// checkErr runs sql and expects an error containing want.
func checkErr(t *testing.T, sql, want string, cols ...col) {
	t.Helper()
	got, err := runSQL(t, sql, cols...)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: got %v, %v; want error containing %q", sql, got, err, want)
	}
}

func ints(vs ...any) []any { return vs }

var _ = fmt.Sprint

func iv(months, days int32, micros int64) types.IntervalValue {
	return types.IntervalValue{Months: months, Days: days, Micros: micros}
}
