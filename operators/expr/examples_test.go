package expr

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/functions"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

func scalarFunctions() []*functions.Function {
	var out []*functions.Function
	for _, f := range functions.All() {
		if f.Kind == functions.Scalar {
			out = append(out, f)
		}
	}
	return out
}

func TestEveryScalarFunctionHasKernel(t *testing.T) {
	for _, f := range scalarFunctions() {
		if !HasKernel(f.Name) {
			t.Errorf("%s: no kernel", f.Name)
		}
		for _, a := range f.Aliases {
			if !HasKernel(a) {
				t.Errorf("%s: alias %s has no kernel", f.Name, a)
			}
		}
		if f.Result == "" {
			t.Errorf("%s: no expected result for example %q", f.Name, f.Example)
		}
	}
}

func TestExamplesFold(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := &Context{Mem: mem, Now: 1715000000000000}
	for _, f := range scalarFunctions() {
		e, err := bindExample(f.Example)
		if err != nil {
			t.Errorf("%s: binding %q: %v", f.Name, f.Example, err)
			continue
		}
		lit, err := Fold(ctx, e)
		if err != nil {
			t.Errorf("%s: folding %q: %v", f.Name, f.Example, err)
			continue
		}
		if got, want := types.FormatValue(lit.Value, lit.T), f.Result; got != want {
			t.Errorf("%s: %s = %s, want %s", f.Name, f.Example, got, want)
		}
	}
}

// TestExamplesOnColumns runs each example's top-level call with its
// arguments fed as columns [v, NULL, v] (all arguments, only the first,
// all but the first) and over an empty batch: the varying-argument code
// paths must agree with the constant ones, strict functions must give
// NULL for the NULL row, and nothing may leak.
func TestExamplesOnColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := &Context{Mem: mem, Now: 1715000000000000}
	for _, f := range scalarFunctions() {
		e, err := bindExample(f.Example)
		if err != nil {
			continue // reported by TestExamplesFold
		}
		c, ok := e.(*logical.Call)
		if !ok || len(c.Args) == 0 {
			continue
		}
		args := make([]*logical.Literal, len(c.Args))
		for i, a := range c.Args {
			if args[i], err = Fold(ctx, a); err != nil {
				t.Fatalf("%s: folding argument %s: %v", f.Name, a, err)
			}
		}
		for mode, isCol := range []func(i int) bool{
			func(int) bool { return true },
			func(i int) bool { return i == 0 },
			func(i int) bool { return i > 0 },
		} {
			for _, rows := range []int{3, 0} {
				runOnColumns(t, ctx, f, c, args, isCol, rows, mode)
			}
		}
	}
}

func runOnColumns(t *testing.T, ctx *Context, f *functions.Function, c *logical.Call, args []*logical.Literal, isCol func(int) bool, rows, mode int) {
	t.Helper()
	name := f.Name
	var fields []arrow.Field
	var cols []arrow.Array
	layout := Layout{}
	call := &logical.Call{Func: c.Func, T: c.T}
	anyCol := false
	for i, a := range args {
		if !isCol(i) || a.T.Kind == types.Null {
			call.Args = append(call.Args, a)
			continue
		}
		anyCol = true
		full, err := MakeArray(ctx.Mem, a.Value, a.T, 1)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		idx := []int32{0, -1, 0}[:rows]
		col, err := take(ctx.Mem, full, idx)
		full.Release()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		id := logical.ColumnID(i + 1)
		layout[id] = len(cols)
		fields = append(fields, arrow.Field{Name: "c", Type: col.DataType(), Nullable: true})
		cols = append(cols, col)
		call.Args = append(call.Args, &logical.ColumnRef{ID: id, Name: "c", T: a.T})
	}
	if !anyCol {
		return
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(rows))
	releaseAll(cols)
	defer rec.Release()
	ev, err := Compile(call, layout)
	if err != nil {
		t.Errorf("%s (mode %d): compiling %s: %v", name, mode, call, err)
		return
	}
	out, err := ev.Eval(ctx, rec)
	if err != nil {
		t.Errorf("%s (mode %d): evaluating %s: %v", name, mode, call, err)
		return
	}
	defer out.Release()
	if out.Len() != rows {
		t.Errorf("%s (mode %d): got %d rows, want %d", name, mode, out.Len(), rows)
		return
	}
	if !arrow.TypeEqual(out.DataType(), c.T.ArrowType()) {
		t.Errorf("%s (mode %d): result type %s, want %s", name, mode, out.DataType(), c.T.ArrowType())
	}
	if rows == 0 {
		return
	}
	want := f.Result
	for _, r := range []int{0, 2} {
		if got := types.FormatValue(ScalarValue(out, r), c.T); got != want && name != "now" && name != "hash" {
			t.Errorf("%s (mode %d): row %d of %s = %s, want %s", name, mode, r, call, got, want)
		}
	}
	if !nonStrict[name] && !out.IsNull(1) {
		t.Errorf("%s (mode %d): row with NULL inputs = %v, want NULL", name, mode, ScalarValue(out, 1))
	}
}
