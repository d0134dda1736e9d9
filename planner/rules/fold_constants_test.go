package rules

import (
	"testing"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

var foldCtx = &Context{Fold: fakeFold}

func TestFoldConstantsArithmetic(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType), c("b", types.BigintType))
	f := &logical.Filter{Input: s, Pred: cmp(">", ref(t, s, "a"), add(lit(1), lit(2)))}
	p := b.project(f, []string{"x", "y"},
		add(ref(t, f, "b"), call("*", types.BigintType, lit(2), lit(5))),
		call("/", types.BigintType, lit(1), lit(0)))
	expectTree(t, p, `
Project: (b#2 + (2 * 5)) AS x#3, (1 / 0) AS y#4
  Filter: (a#1 > (1 + 2))
    Scan: t [a#1, b#2]
`)
	out, changed := apply(t, FoldConstants{}, p, foldCtx)
	if !changed {
		t.Fatal("want a change")
	}
	// 1/0 fails to fold and stays, to fail at run time only if evaluated.
	expectTree(t, out, `
Project: (b#2 + 10) AS x#3, (1 / 0) AS y#4
  Filter: (a#1 > 3)
    Scan: t [a#1, b#2]
`)
}

func TestFoldConstantsBooleans(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType), c("ok", types.BooleanType))
	a, ok := ref(t, s, "a"), ref(t, s, "ok")
	pred := or(and(cmp(">", a, lit(1)), blit(true)), blit(false))
	f := &logical.Filter{Input: s, Pred: and(pred, not(not(ok)))}
	p := b.project(f, []string{"x", "y"}, or(ok, blit(true)), and(blit(false), ok))
	out, _ := apply(t, FoldConstants{}, p, nil) // no folder: simplification only
	expectTree(t, out, `
Project: true AS x#3, false AS y#4
  Filter: ((a#1 > 1) AND ok#2)
    Scan: t [a#1, ok#2]
`)
}

func TestFoldConstantsFilters(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType))
	keep := &logical.Filter{Input: s, Pred: cmp("<", lit(1), lit(2))}
	out, _ := apply(t, FoldConstants{}, keep, foldCtx)
	expectTree(t, out, `
Scan: t [a#1]
`)
	drop := &logical.Filter{Input: s, Pred: cmp("=", lit(1), lit(2))}
	out, _ = apply(t, FoldConstants{}, drop, foldCtx)
	expectTree(t, out, `
Values: 0 rows [a#1]
`)
	null := &logical.Filter{Input: s, Pred: cmp("=", nullLit(types.BigintType), lit(1))}
	out, _ = apply(t, FoldConstants{}, null, foldCtx)
	expectTree(t, out, `
Values: 0 rows [a#1]
`)
}

func TestFoldConstantsCase(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType))
	a := ref(t, s, "a")
	dead := &logical.Case{
		Whens: []logical.When{{Cond: cmp("=", lit(1), lit(2)), Result: call("/", types.BigintType, lit(1), lit(0))}},
		Else:  a, T: types.BigintType,
	}
	live := &logical.Case{
		Whens: []logical.When{{Cond: cmp(">", a, lit(0)), Result: call("/", types.BigintType, lit(1), lit(0))}},
		Else:  add(lit(1), lit(1)), T: types.BigintType,
	}
	p := b.project(s, []string{"x", "y"}, dead, live)
	out, _ := apply(t, FoldConstants{}, p, foldCtx)
	expectTree(t, out, `
Project: a#1 AS x#2, CASE WHEN (a#1 > 0) THEN (1 / 0) ELSE 2 END AS y#3
  Scan: t [a#1]
`)
}

func TestFoldConstantsSkipsVolatileAndParams(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.DoubleType))
	rnd := call("random", types.DoubleType)
	p := b.project(s, []string{"r", "p"},
		rnd, add(&logical.Param{Index: 1, T: types.BigintType}, add(lit(1), lit(1))))
	out, _ := apply(t, FoldConstants{}, p, &Context{Fold: func(e logical.Expr) (*logical.Literal, error) {
		if c, ok := e.(*logical.Call); ok && c.Func == "random" {
			t.Fatal("random() must not be folded")
		}
		return fakeFold(e)
	}})
	expectTree(t, out, `
Project: random() AS r#2, ($1 + 2) AS p#3
  Scan: t [a#1]
`)
}

func TestFoldConstantsJoinAndSort(t *testing.T) {
	var b builder
	l := b.scan("l", c("a", types.BigintType))
	r := b.scan("r", c("b", types.BigintType))
	inner := &logical.Join{Left: l, Right: r, Kind: logical.InnerJoin, Cond: cmp("=", lit(1), lit(1))}
	sorted := &logical.Sort{Input: inner, Keys: []logical.SortKey{
		{Expr: lit(1)}, {Expr: ref(t, inner, "b"), Desc: true, NullsFirst: true},
	}}
	out, _ := apply(t, FoldConstants{}, sorted, foldCtx)
	expectTree(t, out, `
Sort: b#2 DESC NULLS FIRST
  Join: Cross
    Scan: l [a#1]
    Scan: r [b#2]
`)
	semi := &logical.Join{Left: l, Right: r, Kind: logical.SemiJoin, Cond: blit(false)}
	out, _ = apply(t, FoldConstants{}, semi, foldCtx)
	expectTree(t, out, `
Values: 0 rows [a#1]
`)
	anti := &logical.Join{Left: l, Right: r, Kind: logical.AntiJoin, Cond: blit(false)}
	out, _ = apply(t, FoldConstants{}, anti, foldCtx)
	expectTree(t, out, `
Scan: l [a#1]
`)
	topn := &logical.TopN{Input: l, Keys: []logical.SortKey{{Expr: lit(3)}}, Count: 5}
	out, _ = apply(t, FoldConstants{}, topn, foldCtx)
	expectTree(t, out, `
Limit: count=5 offset=0
  Scan: l [a#1]
`)
}

func TestFoldConstantsNoChange(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType))
	f := &logical.Filter{Input: s, Pred: cmp(">", ref(t, s, "a"), lit(1))}
	out, changed := apply(t, FoldConstants{}, f, foldCtx)
	if changed || out != logical.Node(f) {
		t.Fatal("an already folded plan must be returned unchanged")
	}
}
