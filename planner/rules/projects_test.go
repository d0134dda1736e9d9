package rules

import (
	"testing"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

func TestMergeProjects(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType), c("b", types.BigintType))
	inner := b.project(s, []string{"x", "y"}, ref(t, s, "a"), add(ref(t, s, "b"), lit(1)))
	x, y := ref(t, inner, "x"), ref(t, inner, "y")
	outer := b.project(inner, []string{"p", "q"}, add(x, x), call("*", types.BigintType, y, lit(2)))
	out, _ := apply(t, MergeProjects{}, outer, nil)
	expectTree(t, out, `
Project: (a#1 + a#1) AS p#5, ((b#2 + 1) * 2) AS q#6
  Scan: t [a#1, b#2]
`)
	// y is not cheap and read twice: merging would compute it twice.
	twice := b.project(inner, []string{"p"}, add(y, y))
	if _, changed := apply(t, MergeProjects{}, twice, nil); changed {
		t.Fatal("an expensive expression read twice must not be duplicated")
	}
}

func TestEliminateIdentityProject(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType), c("b", types.BigintType))
	id := &logical.Project{Input: s, Exprs: []logical.Expr{ref(t, s, "a"), ref(t, s, "b")}, Cols: s.Cols}
	out, _ := apply(t, EliminateProjects{}, id, nil)
	expectTree(t, out, `
Scan: t [a#1, b#2]
`)
	// A root project that renames must stay: the root's schema is fixed.
	rename := b.project(s, []string{"a", "b"}, ref(t, s, "a"), ref(t, s, "b"))
	if _, changed := apply(t, EliminateProjects{}, rename, nil); changed {
		t.Fatal("the root's ids must not change")
	}
}

func TestEliminateRenamingProject(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType), c("b", types.BigintType))
	rename := b.project(s, []string{"x", "y"}, ref(t, s, "a"), ref(t, s, "b"))
	f := &logical.Filter{Input: rename, Pred: cmp(">", ref(t, rename, "x"), lit(1))}
	ag := b.aggregate(f, []logical.Expr{ref(t, rename, "y")}, []string{"y"},
		[]logical.AggCall{{Func: "sum", Args: []logical.Expr{ref(t, rename, "x")}, T: types.BigintType}}, []string{"s"})
	expectTree(t, ag, `
Aggregate: group=[y#4] aggs=[sum(x#3) AS s#6]
  Filter: (x#3 > 1)
    Project: a#1 AS x#3, b#2 AS y#4
      Scan: t [a#1, b#2]
`)
	out, _ := apply(t, EliminateProjects{}, ag, nil)
	expectTree(t, out, `
Aggregate: group=[b#2] aggs=[sum(a#1) AS s#6]
  Filter: (a#1 > 1)
    Scan: t [a#1, b#2]
`)
}

func TestPropagateEmpty(t *testing.T) {
	var b builder
	l := b.scan("l", c("a", types.BigintType))
	empty := &logical.Values{Cols: []logical.Column{{ID: b.gen.Next(), Name: "b", Type: types.VarcharType}}}
	f := &logical.Filter{Input: empty, Pred: call("is_null", types.BooleanType, ref(t, empty, "b"))}
	left := &logical.Join{Left: l, Right: f, Kind: logical.LeftJoin, Cond: blit(true)}
	srt := &logical.Sort{Input: left, Keys: []logical.SortKey{{Expr: ref(t, l, "a")}}}
	out, _ := apply(t, PropagateEmpty{}, srt, nil)
	expectTree(t, out, `
Sort: a#1 NULLS LAST
  Project: a#1 AS a#1, NULL AS b#2
    Scan: l [a#1]
`)
	inner := &logical.Join{Left: l, Right: f, Kind: logical.InnerJoin, Cond: blit(true)}
	out, _ = apply(t, PropagateEmpty{}, &logical.Distinct{Input: inner}, nil)
	expectTree(t, out, `
Values: 0 rows [a#1, b#2]
`)
	// A global aggregate over nothing still yields its row.
	global := b.aggregate(f, nil, nil, []logical.AggCall{{Func: "count", T: types.BigintType}}, []string{"n"})
	out, _ = apply(t, PropagateEmpty{}, global, nil)
	expectTree(t, out, `
Aggregate: group=[] aggs=[count(*) AS n#3]
  Values: 0 rows [b#2]
`)
}

func TestPropagateEmptyUnion(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.IntegerType))
	empty := &logical.Values{Cols: []logical.Column{{ID: b.gen.Next(), Name: "x", Type: types.BigintType}}}
	u := b.union(empty, s)
	u.Cols[0].Type = types.BigintType
	out, _ := apply(t, PropagateEmpty{}, u, nil)
	expectTree(t, out, `
Project: CAST(a#1 AS BIGINT) AS x#3
  Scan: t [a#1]
`)
	out, _ = apply(t, PropagateEmpty{}, b.union(empty, empty), nil)
	expectTree(t, out, `
Values: 0 rows [x#4]
`)
}

func TestEliminateSubsetProject(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType), c("b", types.BigintType))
	// Under an aggregate only the referenced ids matter: a Project that
	// picks and renames columns can go.
	sub := b.project(s, []string{"y"}, ref(t, s, "b"))
	ag := b.aggregate(sub, []logical.Expr{ref(t, sub, "y")}, []string{"y"}, nil, nil)
	out, _ := apply(t, EliminateProjects{}, ag, nil)
	expectTree(t, out, `
Aggregate: group=[b#2] aggs=[]
  Scan: t [a#1, b#2]
`)
	// Under Distinct the exact column list matters: it stays.
	d := &logical.Distinct{Input: b.project(s, []string{"y"}, ref(t, s, "b"))}
	agd := b.aggregate(d, nil, nil, []logical.AggCall{{Func: "count", T: types.BigintType}}, []string{"n"})
	if _, changed := apply(t, EliminateProjects{}, agd, nil); changed {
		t.Fatal("a Project under Distinct must stay")
	}
}
