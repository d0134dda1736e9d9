package expr

import (
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

func TestMakeArrayScalarValueRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tc := range []struct {
		v    any
		t    types.Type
		want any
	}{
		{true, tL, true},
		{int32(-5), tI, int32(-5)},
		{7, tI, int32(7)},
		{int64(1) << 40, tB, int64(1) << 40},
		{int32(3), tB, int64(3)},
		{2.5, tD, 2.5},
		{4, tD, 4.0},
		{"héllo", tV, "héllo"},
		{`{"a":1}`, tJ, `{"a":1}`},
		{int64(1715000000000000), tT, int64(1715000000000000)},
		{int32(19849), tA, int32(19849)},
		{iv(1, 2, 3), tN, iv(1, 2, 3)},
		{nil, tV, nil},
		{nil, tN, nil},
		{nil, types.NullType, nil},
	} {
		for _, n := range []int{0, 1, 70} {
			arr, err := MakeArray(mem, tc.v, tc.t, n)
			if err != nil {
				t.Fatalf("MakeArray(%v, %s): %v", tc.v, tc.t, err)
			}
			if arr.Len() != n || !arrow.TypeEqual(arr.DataType(), tc.t.ArrowType()) {
				t.Errorf("MakeArray(%v, %s, %d): %d rows of %s", tc.v, tc.t, n, arr.Len(), arr.DataType())
			}
			for i := 0; i < n; i++ {
				if got := ScalarValue(arr, i); got != tc.want {
					t.Errorf("MakeArray(%v, %s)[%d] = %v (%T), want %v", tc.v, tc.t, i, got, got, tc.want)
					break
				}
			}
			arr.Release()
		}
	}
	for _, bad := range []struct {
		v any
		t types.Type
	}{{"x", tB}, {int64(1) << 40, tI}, {1.5, tB}, {true, tV}, {1, types.NullType}} {
		if arr, err := MakeArray(mem, bad.v, bad.t, 1); err == nil {
			t.Errorf("MakeArray(%v, %s): no error", bad.v, bad.t)
			arr.Release()
		}
	}
}

func TestFold(t *testing.T) {
	ctx := &Context{Now: 1715000000000000}
	lit := func(v any, t types.Type) *logical.Literal { return &logical.Literal{Value: v, T: t} }
	e, err := bindExample("CAST(1 + 2 AS VARCHAR) || 'x'")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Fold(ctx, e)
	if err != nil || l.Value != "3x" || l.T != tV {
		t.Errorf("Fold = %v, %v", l, err)
	}
	if l, err := Fold(nil, lit(int32(4), tI)); err != nil || l.Value != int32(4) {
		t.Errorf("Fold(literal) = %v, %v", l, err)
	}
	e, _ = bindExample("now()")
	if l, err := Fold(ctx, e); err != nil || l.Value != ctx.Now {
		t.Errorf("Fold(now()) = %v, %v", l, err)
	}
	for _, tc := range []struct {
		e    logical.Expr
		want string
	}{
		{&logical.ColumnRef{ID: 3, Name: "x", T: tB}, "not in the input layout"},
		{&logical.Param{Index: 2, T: tB}, "unbound parameter $2"},
		{&logical.Subquery{T: tB}, "subquery must be evaluated before compile"},
		{&logical.Call{Func: "/", Args: []logical.Expr{lit(int64(1), tB), lit(int64(0), tB)}, T: tB}, "division by zero"},
		{&logical.Call{Func: "no_such_fn", T: tB}, "no kernel for function no_such_fn"},
		{&logical.Literal{Value: "x", T: tB}, "unsupported value"},
	} {
		if _, err := Fold(ctx, tc.e); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Fold(%s): %v, want error containing %q", tc.e, err, tc.want)
		}
	}
}

// Constant subtrees are folded by Compile, except volatile ones.
func TestCompileFoldsConstants(t *testing.T) {
	e, _ := bindExample("upper('a' || 'b') = 'AB'")
	ev, err := Compile(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := constOf(ev); !ok || v != true {
		t.Errorf("not folded: %T %v", ev, v)
	}
	e, _ = bindExample("now() + INTERVAL '1 hour'")
	ev, _ = Compile(e, nil)
	if _, ok := constOf(ev); ok {
		t.Errorf("now() folded at compile time")
	}
	// A failing constant is left for run time (it may sit in a branch never taken).
	e, _ = bindExample("1 / 0")
	if _, err := Compile(e, nil); err != nil {
		t.Errorf("compiling 1 / 0: %v", err)
	}
}

func TestEmptyBatch(t *testing.T) {
	x := col{"x", tB, []any{}}
	s := col{"s", tV, []any{}}
	for _, sql := range []string{
		"x > 1", "x + 1", "CASE WHEN x > 0 THEN 1 / x END", "x IN (1, 2)", "x IN (x, 1)", "x > 0 AND x < 5",
		"x > 0 OR 1 / x > 0", "coalesce(x, 1)", "s LIKE 'a%'", "s ILIKE '%a_'", "lower(s)", "upper(s)",
		"CAST(x AS VARCHAR)", "CAST(s AS TIMESTAMP)", "json_get_int(s, 'a')", "greatest(x, 3)", "nullif(x, 1)",
		"NOT x > 1", "x IS NULL", "concat(s, x)", "hash(x, s)", "date_trunc('hour', to_timestamp(x))",
	} {
		check(t, sql, "", x, s)
	}
}

// Evaluators are immutable and safe for concurrent use.
func TestConcurrentEval(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec, refs, layout := batchOf(t, mem,
		col{"s", tV, ints("Abc", "xyz", nil, "aBC")},
		col{"p", tV, ints("a%", "%z", "x", "%c")},
		col{"x", tB, ints(int64(0), int64(1), int64(2), nil)})
	defer rec.Release()
	for _, c := range rec.Columns() {
		c.NullN() // Arrow counts sliced arrays' NULLs lazily, writing to them
	}
	e, err := bindSQL("CASE WHEN s ILIKE p AND regexp_like(s, p || '') THEN lower(s) WHEN x <> 0 THEN CAST(10 / x AS VARCHAR) END", refs)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Compile(e, layout)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 50; k++ {
				out, err := ev.Eval(&Context{Mem: mem}, rec)
				if err != nil {
					t.Error(err)
					return
				}
				if got := ScalarValue(out, 1); got != "10" {
					t.Errorf("row 1 = %v", got)
				}
				out.Release()
			}
		}()
	}
	wg.Wait()
}

// Kernels must accept inputs whose buffers start at an offset; batchOf
// already slices every column, this covers a string slice with a large
// offset into shared data.
func TestSlicedStrings(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewStringBuilder(mem)
	for i := 0; i < 100; i++ {
		b.Append(strings.Repeat("a", i%7) + "Z")
	}
	full := b.NewArray()
	b.Release()
	sl := array.NewSlice(full, 37, 45)
	full.Release()
	rec := columnBatch("s", sl)
	sl.Release()
	defer rec.Release()
	refs := map[string]*logical.ColumnRef{"s": {ID: 1, Name: "s", T: tV}}
	for sql, want := range map[string]string{
		"lower(s)":      "aaz|aaaz|aaaaz|aaaaaz|aaaaaaz|z|az|aaz",
		"s LIKE 'aa%'":  "true|true|true|true|true|false|false|true",
		"length(s)":     "3|4|5|6|7|1|2|3",
		"s || '!'":      "aaZ!|aaaZ!|aaaaZ!|aaaaaZ!|aaaaaaZ!|Z!|aZ!|aaZ!",
		"s = 'aZ'":      "false|false|false|false|false|false|true|false",
		"s IN ('Z')":    "false|false|false|false|false|true|false|false",
		"ltrim(s, 'a')": "Z|Z|Z|Z|Z|Z|Z|Z",
	} {
		e, err := bindSQL(sql, refs)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Compile(e, Layout{1: 0})
		if err != nil {
			t.Fatal(err)
		}
		out, err := ev.Eval(&Context{Mem: mem}, rec)
		if err != nil {
			t.Fatal(err)
		}
		got := formatRows(out, e.Type())
		out.Release()
		if g := strings.Join(got, "|"); g != want {
			t.Errorf("%s = %s, want %s", sql, g, want)
		}
	}
}
