package rules

import (
	"testing"

	"github.com/streamsql/streamsql/planner/explain"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

// fixture builds l(a, x) and r(b, y) with NULLs and duplicates.
func fixture(b *builder) (l, r *logical.Scan) {
	l = b.scan("l", c("a", types.BigintType), c("x", types.VarcharType))
	l.Table.(*fakeTable).rows = [][]any{
		{int64(1), "p"}, {int64(2), "q"}, {int64(3), nil}, {nil, "r"}, {int64(5), "p"}, {int64(2), "s"},
	}
	r = b.scan("r", c("b", types.BigintType), c("y", types.VarcharType))
	r.Table.(*fakeTable).rows = [][]any{
		{int64(2), "q"}, {int64(3), "z"}, {nil, "n"}, {int64(7), "p"}, {int64(2), "w"},
	}
	return l, r
}

// TestOptimizeKeepsResults runs plans before and after Optimize through the
// reference interpreter: the rows must be the same.
func TestOptimizeKeepsResults(t *testing.T) {
	isNull := func(e logical.Expr) logical.Expr { return call("is_null", types.BooleanType, e) }
	notNull := func(e logical.Expr) logical.Expr { return call("is_not_null", types.BooleanType, e) }
	join := func(l, r logical.Node, k logical.JoinKind, cond logical.Expr) *logical.Join {
		return &logical.Join{Left: l, Right: r, Kind: k, Cond: cond}
	}
	filter := func(n logical.Node, p logical.Expr) *logical.Filter { return &logical.Filter{Input: n, Pred: p} }

	cases := map[string]func(t *testing.T, b *builder) (logical.Node, bool){
		"left join, null-rejecting filter": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			a, bb := ref(t, l, "a"), ref(t, r, "b")
			return filter(join(l, r, logical.LeftJoin, cmp("=", a, bb)), and(cmp(">", bb, lit(1)), cmp("<", a, lit(5)))), false
		},
		"left join, IS NULL filter": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			a, bb := ref(t, l, "a"), ref(t, r, "b")
			return filter(join(l, r, logical.LeftJoin, cmp("=", a, bb)), isNull(bb)), false
		},
		"left join, one-sided ON conjuncts": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			a, bb := ref(t, l, "a"), ref(t, r, "b")
			return join(l, r, logical.LeftJoin, and(and(cmp("=", a, bb), cmp(">", bb, lit(2))), cmp(">", a, lit(1)))), false
		},
		"full join, filter on left": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			a, bb := ref(t, l, "a"), ref(t, r, "b")
			return filter(join(l, r, logical.FullJoin, cmp("=", a, bb)), notNull(a)), false
		},
		"full join, filter on right": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			a, bb := ref(t, l, "a"), ref(t, r, "b")
			return filter(join(l, r, logical.FullJoin, cmp("=", a, bb)), cmp("<>", ref(t, r, "y"), slit("z"))), false
		},
		"full join, one-sided ON": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			a, bb := ref(t, l, "a"), ref(t, r, "b")
			return join(l, r, logical.FullJoin, and(cmp("=", a, bb), cmp(">", bb, lit(2)))), false
		},
		"right join, mixed filter": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			a, bb := ref(t, l, "a"), ref(t, r, "b")
			j := join(l, r, logical.RightJoin, and(cmp("=", a, bb), cmp(">", a, lit(1))))
			return filter(j, and(or(cmp("=", ref(t, r, "y"), slit("q")), isNull(a)), notNull(bb))), false
		},
		"semi and anti joins": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			a, bb, x, y := ref(t, l, "a"), ref(t, r, "b"), ref(t, l, "x"), ref(t, r, "y")
			on := and(and(cmp("=", a, bb), cmp("<>", y, slit("w"))), cmp("=", x, slit("p")))
			semi := join(l, r, logical.SemiJoin, on)
			anti := join(l, r, logical.AntiJoin, on)
			return b.union(filter(semi, cmp(">", a, lit(0))), filter(anti, notNull(x))), false
		},
		"null-aware anti join": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			a, bb := ref(t, l, "a"), ref(t, r, "b")
			j1 := join(l, r, logical.AntiJoin, cmp("=", a, bb))
			j1.NullAware = true
			l2, r2 := fixture(b)
			j2 := join(l2, filter(r2, notNull(ref(t, r2, "b"))), logical.AntiJoin, cmp("=", ref(t, l2, "a"), ref(t, r2, "b")))
			j2.NullAware = true
			return b.union(j1, j2), false
		},
		"aggregate with group filter": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, _ := fixture(b)
			x := ref(t, l, "x")
			ag := b.aggregate(l, []logical.Expr{x}, []string{"x"}, []logical.AggCall{
				{Func: "count", T: types.BigintType},
				{Func: "sum", Args: []logical.Expr{ref(t, l, "a")}, T: types.BigintType},
			}, []string{"n", "s"})
			return filter(ag, and(cmp("<>", ref(t, ag, "x"), slit("q")), cmp(">=", ref(t, ag, "n"), lit(1)))), false
		},
		"union, sort, limit": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			u := b.union(b.project(l, []string{"v"}, ref(t, l, "a")), b.project(r, []string{"v"}, ref(t, r, "b")))
			f := filter(u, cmp(">", ref(t, u, "v"), lit(1)))
			s := &logical.Sort{Input: f, Keys: []logical.SortKey{{Expr: ref(t, u, "v"), Desc: true}}}
			return &logical.Limit{Input: s, Count: 3, Offset: 1}, true
		},
		"limit over union": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			u := b.union(l, r)
			return &logical.Limit{Input: b.project(u, []string{"a1"}, add(ref(t, u, "a"), lit(1))), Count: 4, Offset: 3}, true
		},
		"count over cross join with projections": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			j := join(l, r, logical.CrossJoin, nil)
			p := b.project(j, []string{"a1", "y"}, add(ref(t, l, "a"), lit(1)), ref(t, r, "y"))
			f := filter(p, and(cmp("=", ref(t, p, "a1"), add(lit(2), lit(1))), notNull(ref(t, p, "y"))))
			ag := b.aggregate(f, nil, nil, []logical.AggCall{{Func: "count", T: types.BigintType}}, []string{"n"})
			return b.project(ag, []string{"n"}, ref(t, ag, "n")), false
		},
		"distinct over project": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, _ := fixture(b)
			p := b.project(l, []string{"x"}, ref(t, l, "x"))
			d := &logical.Distinct{Input: p}
			return filter(d, notNull(ref(t, p, "x"))), false
		},
		"scalar subquery": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			mn := b.aggregate(filter(r, notNull(ref(t, r, "b"))), nil, nil,
				[]logical.AggCall{{Func: "min", Args: []logical.Expr{ref(t, r, "b")}, T: types.BigintType}}, []string{"m"})
			return filter(l, cmp(">", ref(t, l, "a"), &logical.Subquery{Plan: mn, T: types.BigintType})), false
		},
		"constant false and empty sides": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			a, bb := ref(t, l, "a"), ref(t, r, "b")
			left := join(l, filter(r, cmp("=", lit(1), lit(2))), logical.LeftJoin, cmp("=", a, bb))
			l2, r2 := fixture(b)
			inner := join(filter(l2, and(blit(false), notNull(ref(t, l2, "a")))), r2, logical.InnerJoin, cmp("=", ref(t, l2, "a"), ref(t, r2, "b")))
			return b.union(left, inner), false
		},
		"inner join on true with filters": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, r := fixture(b)
			a, bb := ref(t, l, "a"), ref(t, r, "b")
			j := join(l, r, logical.InnerJoin, blit(true))
			return filter(j, and(and(cmp("<=", a, bb), cmp("<>", ref(t, r, "y"), slit("n"))), cmp(">", a, lit(1)))), false
		},
		"case and in-list": func(t *testing.T, b *builder) (logical.Node, bool) {
			l, _ := fixture(b)
			a := ref(t, l, "a")
			cs := &logical.Case{Whens: []logical.When{
				{Cond: cmp("=", lit(1), lit(2)), Result: slit("never")},
				{Cond: &logical.InList{X: a, List: []logical.Expr{lit(1), lit(2)}}, Result: slit("small")},
			}, Else: ref(t, l, "x"), T: types.VarcharType}
			p := b.project(l, []string{"k", "a"}, cs, a)
			return filter(p, &logical.InList{X: ref(t, p, "k"), List: []logical.Expr{slit("small"), slit("p")}, Not: true}), false
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			b := &builder{}
			plan, ordered := mk(t, b)
			in := interp{t}
			want := in.run(plan)
			out, err := Optimize(plan, &Context{Gen: &b.gen, Fold: fakeFold})
			if err != nil {
				t.Fatal(err)
			}
			got := in.run(out)
			if resultKey(got, ordered) != resultKey(want, ordered) {
				t.Fatalf("results differ\nplan:\n%s\noptimized:\n%s\nwant:\n%s\ngot:\n%s",
					explain.Tree(plan), explain.Tree(out), resultKey(want, ordered), resultKey(got, ordered))
			}
			again, err := Optimize(out, &Context{Gen: &b.gen, Fold: fakeFold})
			if err != nil || explain.Tree(again) != explain.Tree(out) {
				t.Fatalf("not a fixpoint (%v):\n%s--->\n%s", err, explain.Tree(out), explain.Tree(again))
			}
			if testing.Verbose() {
				t.Logf("\n%s--->\n%s", explain.Tree(plan), explain.Tree(out))
			}
		})
	}
}
