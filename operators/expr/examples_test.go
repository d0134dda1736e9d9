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

// exampleResults is the expected result of every scalar function's
// Example, as types.FormatValue prints it.
var exampleResults = map[string]string{
	"+": "3", "-": "12:00:00", "*": "02:30:00", "/": "3", "%": "-1", "neg": "-5",
	"=": "true", "<>": "true", "<": "true", "<=": "true", ">": "true", ">=": "true",
	"is_distinct_from": "true", "is_not_distinct_from": "true",
	"and": "NULL", "or": "true", "not": "true", "||": "abc123", "is_null": "true", "is_not_null": "true",
	"like": "true", "ilike": "true", "->": `{"b": [10, 20]}`, "->>": "x",

	"lower": "streamsql", "upper": "STREAMSQL", "length": "5", "substr": "sql", "concat": "a1true",
	"trim": "hi", "ltrim": "hix", "rtrim": "hi", "replace": "a+b+c", "starts_with": "true",
	"ends_with": "true", "split_part": "b", "regexp_like": "true", "regexp_replace": "a#b#c#",
	"left": "stream", "right": "sql", "strpos": "7", "reverse": "cba", "lpad": "007", "rpad": "ab..",
	"repeat": "ababab",

	"now": "true", "current_date": "true", "date_trunc": "2024-05-06 07:00:00",
	"date_bin": "2024-05-06 07:00:00", "date_part": "2024", "to_timestamp": "2023-11-14 22:13:20",
	"to_date": "2024-05-06",

	"json_get": `{"b": true}`, "json_get_str": "x", "json_get_int": "6", "json_get_float": "1.5",
	"json_get_bool": "true", "json_as_text": `{"b": 1}`, "json_length": "3", "json_contains": "true",

	"coalesce": "2", "nullif": "NULL", "greatest": "7.5", "least": "a",

	"abs": "4", "sign": "-1", "round": "2.57", "trunc": "-2.5", "floor": "-2", "ceil": "2", "sqrt": "4",
	"ln": "0", "log10": "3", "exp": "1", "power": "1024", "mod": "2", "pi": "3.141592653589793",
	"md5": "900150983cd24fb0d6963f7d28e17f72", "hash": "true",
}

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
		if _, ok := exampleResults[f.Name]; !ok {
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
		if got, want := types.FormatValue(lit.Value, lit.T), exampleResults[f.Name]; got != want {
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
				runOnColumns(t, ctx, f.Name, c, args, isCol, rows, mode)
			}
		}
	}
}

func runOnColumns(t *testing.T, ctx *Context, name string, c *logical.Call, args []*logical.Literal, isCol func(int) bool, rows, mode int) {
	t.Helper()
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
	want := exampleResults[name]
	for _, r := range []int{0, 2} {
		if got := types.FormatValue(ScalarValue(out, r), c.T); got != want && name != "now" && name != "hash" {
			t.Errorf("%s (mode %d): row %d of %s = %s, want %s", name, mode, r, call, got, want)
		}
	}
	if !nonStrict[name] && !out.IsNull(1) {
		t.Errorf("%s (mode %d): row with NULL inputs = %v, want NULL", name, mode, ScalarValue(out, 1))
	}
}
