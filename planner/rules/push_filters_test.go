package rules

import (
	"testing"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

func TestPushFiltersThroughProjectIntoScan(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType), c("s", types.VarcharType))
	p := b.project(s, []string{"x", "y"}, add(ref(t, s, "a"), lit(1)), ref(t, s, "s"))
	f := &logical.Filter{Input: p, Pred: and(cmp(">", ref(t, p, "x"), lit(10)), cmp("=", ref(t, p, "y"), slit("a")))}
	expectTree(t, f, `
Filter: ((x#3 > 10) AND (y#4 = 'a'))
  Project: (a#1 + 1) AS x#3, s#2 AS y#4
    Scan: t [a#1, s#2]
`)
	out, changed := apply(t, PushFilters{}, f, nil)
	if !changed {
		t.Fatal("want a change")
	}
	expectTree(t, out, `
Project: (a#1 + 1) AS x#3, s#2 AS y#4
  Filter: (((a#1 + 1) > 10) AND (s#2 = 'a'))
    Scan: t [a#1, s#2] filters=[((a#1 + 1) > 10), (s#2 = 'a')]
`)
}

func TestPushFiltersScanFiltersNotDuplicated(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType))
	s.Filters = []logical.Expr{cmp(">", ref(t, s, "a"), lit(1))}
	f := &logical.Filter{Input: s, Pred: and(cmp(">", ref(t, s, "a"), lit(1)), cmp("<", ref(t, s, "a"), lit(9)))}
	out, changed := apply(t, PushFilters{}, f, nil)
	if !changed {
		t.Fatal("want the new conjunct added")
	}
	expectTree(t, out, `
Filter: ((a#1 > 1) AND (a#1 < 9))
  Scan: t [a#1] filters=[(a#1 > 1), (a#1 < 9)]
`)
	// A subquery conjunct stays out of the scan's filters.
	sub := &logical.Subquery{Plan: b.scan("u", c("m", types.BigintType)), T: types.BigintType}
	f2 := &logical.Filter{Input: s, Pred: cmp(">", ref(t, s, "a"), sub)}
	out, _ = apply(t, PushFilters{}, f2, nil)
	expectTree(t, out, `
Filter: (a#1 > (subquery))
  Subquery:
    Scan: u [m#2]
  Scan: t [a#1] filters=[(a#1 > 1)]
`)
}

func TestPushFiltersKeepsVolatile(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.DoubleType))
	p := b.project(s, []string{"r", "a2"}, call("random", types.DoubleType), ref(t, s, "a"))
	f := &logical.Filter{Input: p, Pred: and(
		cmp("<", ref(t, p, "r"), &logical.Literal{Value: 0.5, T: types.DoubleType}),
		cmp("<", call("random", types.DoubleType), ref(t, p, "a2")))}
	out, _ := apply(t, PushFilters{}, f, nil)
	expectTree(t, out, `
Filter: ((r#2 < 0.5) AND (random() < a2#3))
  Project: random() AS r#2, a#1 AS a2#3
    Scan: t [a#1]
`)
}

func TestPushFiltersSortDistinctUnion(t *testing.T) {
	var b builder
	t1 := b.scan("t1", c("a", types.BigintType))
	t2 := b.scan("t2", c("b", types.IntegerType))
	cast := b.project(t2, []string{"b"}, &logical.Cast{X: ref(t, t2, "b"), To: types.BigintType})
	u := b.union(t1, cast)
	d := &logical.Distinct{Input: u}
	srt := &logical.Sort{Input: d, Keys: []logical.SortKey{{Expr: ref(t, d, "a")}}}
	f := &logical.Filter{Input: srt, Pred: cmp(">", ref(t, srt, "a"), lit(5))}
	expectTree(t, f, `
Filter: (a#4 > 5)
  Sort: a#4 NULLS LAST
    Distinct
      Union: all [a#4]
        Scan: t1 [a#1]
        Project: CAST(b#2 AS BIGINT) AS b#3
          Scan: t2 [b#2]
`)
	out, _ := apply(t, PushFilters{}, f, nil)
	expectTree(t, out, `
Sort: a#4 NULLS LAST
  Distinct
    Union: all [a#4]
      Filter: (a#1 > 5)
        Scan: t1 [a#1] filters=[(a#1 > 5)]
      Project: CAST(b#2 AS BIGINT) AS b#3
        Filter: (CAST(b#2 AS BIGINT) > 5)
          Scan: t2 [b#2] filters=[(CAST(b#2 AS BIGINT) > 5)]
`)
}

func TestPushFiltersAggregate(t *testing.T) {
	var b builder
	s := b.scan("t", c("s", types.VarcharType), c("a", types.BigintType))
	sum := logical.AggCall{Func: "sum", Args: []logical.Expr{ref(t, s, "a")}, T: types.BigintType}
	ag := b.aggregate(s, []logical.Expr{ref(t, s, "s")}, []string{"s"}, []logical.AggCall{sum}, []string{"total"})
	f := &logical.Filter{Input: ag, Pred: and(cmp("=", ref(t, ag, "s"), slit("x")), cmp(">", ref(t, ag, "total"), lit(10)))}
	out, _ := apply(t, PushFilters{}, f, nil)
	expectTree(t, out, `
Filter: (total#4 > 10)
  Aggregate: group=[s#1] aggs=[sum(a#2) AS total#4]
    Filter: (s#1 = 'x')
      Scan: t [s#1, a#2] filters=[(s#1 = 'x')]
`)
	// Without GROUP BY even a constant predicate stays above: the aggregate
	// yields a row for an empty input.
	global := b.aggregate(s, nil, nil, []logical.AggCall{{Func: "count", T: types.BigintType}}, []string{"n"})
	f2 := &logical.Filter{Input: global, Pred: cmp("=", &logical.Param{Index: 1, T: types.BigintType}, lit(1))}
	_, changed := apply(t, PushFilters{}, f2, nil)
	if changed {
		t.Fatal("nothing may pass a global aggregate")
	}
}

func joinScans(t *testing.T, kind logical.JoinKind) (*builder, *logical.Join, *logical.ColumnRef, *logical.ColumnRef) {
	b := &builder{}
	l := b.scan("l", c("a", types.BigintType))
	r := b.scan("r", c("b", types.BigintType))
	return b, &logical.Join{Left: l, Right: r, Kind: kind}, ref(t, l, "a"), ref(t, r, "b")
}

func TestPushFiltersInnerJoin(t *testing.T) {
	_, j, a, bb := joinScans(t, logical.CrossJoin)
	f := &logical.Filter{Input: j, Pred: and(and(cmp(">", a, lit(1)), cmp("<", bb, lit(2))), cmp("=", a, bb))}
	out, _ := apply(t, PushFilters{}, f, nil)
	expectTree(t, out, `
Join: Inner on (a#1 = b#2)
  Filter: (a#1 > 1)
    Scan: l [a#1] filters=[(a#1 > 1)]
  Filter: (b#2 < 2)
    Scan: r [b#2] filters=[(b#2 < 2)]
`)
	// One-sided ON conjuncts of an inner join move into their side.
	_, j, a, bb = joinScans(t, logical.InnerJoin)
	j.Cond = and(cmp("=", a, bb), cmp("=", bb, lit(7)))
	out, _ = apply(t, PushFilters{}, j, nil)
	expectTree(t, out, `
Join: Inner on (a#1 = b#2)
  Scan: l [a#1]
  Filter: (b#2 = 7)
    Scan: r [b#2] filters=[(b#2 = 7)]
`)
}

func TestPushFiltersLeftJoin(t *testing.T) {
	_, j, a, bb := joinScans(t, logical.LeftJoin)
	j.Cond = and(and(cmp("=", a, bb), cmp(">", bb, lit(5))), cmp(">", a, lit(0)))
	f := &logical.Filter{Input: j, Pred: and(cmp(">", a, lit(1)), call("is_null", types.BooleanType, bb))}
	out, _ := apply(t, PushFilters{}, f, nil)
	expectTree(t, out, `
Filter: (b#2 IS NULL)
  Join: Left on ((a#1 = b#2) AND (a#1 > 0))
    Filter: (a#1 > 1)
      Scan: l [a#1] filters=[(a#1 > 1)]
    Filter: (b#2 > 5)
      Scan: r [b#2] filters=[(b#2 > 5)]
`)
}

func TestPushFiltersOuterToInner(t *testing.T) {
	_, j, a, bb := joinScans(t, logical.LeftJoin)
	j.Cond = cmp("=", a, bb)
	f := &logical.Filter{Input: j, Pred: cmp(">", add(bb, lit(1)), lit(3))}
	out, _ := apply(t, PushFilters{}, f, nil)
	expectTree(t, out, `
Join: Inner on (a#1 = b#2)
  Scan: l [a#1]
  Filter: ((b#2 + 1) > 3)
    Scan: r [b#2] filters=[((b#2 + 1) > 3)]
`)
	_, j, a, bb = joinScans(t, logical.FullJoin)
	j.Cond = cmp("=", a, bb)
	f = &logical.Filter{Input: j, Pred: call("is_not_null", types.BooleanType, a)}
	out, _ = apply(t, PushFilters{}, f, nil)
	expectTree(t, out, `
Join: Left on (a#1 = b#2)
  Filter: (a#1 IS NOT NULL)
    Scan: l [a#1] filters=[(a#1 IS NOT NULL)]
  Scan: r [b#2]
`)
	// Full joins move nothing otherwise.
	_, j, a, bb = joinScans(t, logical.FullJoin)
	j.Cond = and(cmp("=", a, bb), cmp(">", bb, lit(5)))
	f = &logical.Filter{Input: j, Pred: call("is_null", types.BooleanType, a)}
	if _, changed := apply(t, PushFilters{}, f, nil); changed {
		t.Fatal("full join: nothing moves")
	}
}

func TestPushFiltersSemiAnti(t *testing.T) {
	_, j, a, bb := joinScans(t, logical.SemiJoin)
	j.Cond = and(and(cmp("=", a, bb), cmp(">", bb, lit(5))), cmp(">", a, lit(0)))
	f := &logical.Filter{Input: j, Pred: cmp("<", a, lit(100))}
	out, _ := apply(t, PushFilters{}, f, nil)
	expectTree(t, out, `
Join: Semi on (a#1 = b#2)
  Filter: ((a#1 < 100) AND (a#1 > 0))
    Scan: l [a#1] filters=[(a#1 < 100), (a#1 > 0)]
  Filter: (b#2 > 5)
    Scan: r [b#2] filters=[(b#2 > 5)]
`)
	_, j, a, bb = joinScans(t, logical.AntiJoin)
	j.Cond = and(and(cmp("=", a, bb), cmp(">", bb, lit(5))), cmp(">", a, lit(0)))
	out, _ = apply(t, PushFilters{}, j, nil)
	expectTree(t, out, `
Join: Anti on ((a#1 = b#2) AND (a#1 > 0))
  Scan: l [a#1]
  Filter: (b#2 > 5)
    Scan: r [b#2] filters=[(b#2 > 5)]
`)
	j.NullAware = true
	j.Cond = and(cmp("=", a, bb), cmp(">", bb, lit(5)))
	if _, changed := apply(t, PushFilters{}, j, nil); changed {
		t.Fatal("a null-aware anti join keeps its condition")
	}
}

func TestPushFiltersStopsAtLimit(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType))
	inner := &logical.Filter{Input: s, Pred: cmp(">", ref(t, s, "a"), lit(1))}
	l := &logical.Limit{Input: inner, Count: 10, Offset: 0}
	f := &logical.Filter{Input: l, Pred: cmp("<", ref(t, s, "a"), lit(5))}
	out, _ := apply(t, PushFilters{}, f, nil)
	expectTree(t, out, `
Filter: (a#1 < 5)
  Limit: count=10 offset=0
    Filter: (a#1 > 1)
      Scan: t [a#1] filters=[(a#1 > 1)]
`)
}

func TestPushFiltersRightJoin(t *testing.T) {
	_, j, a, bb := joinScans(t, logical.RightJoin)
	j.Cond = and(and(cmp("=", a, bb), cmp(">", a, lit(5))), cmp(">", bb, lit(0)))
	f := &logical.Filter{Input: j, Pred: and(cmp(">", bb, lit(1)), call("is_null", types.BooleanType, a))}
	out, _ := apply(t, PushFilters{}, f, nil)
	expectTree(t, out, `
Filter: (a#1 IS NULL)
  Join: Right on ((a#1 = b#2) AND (b#2 > 0))
    Filter: (a#1 > 5)
      Scan: l [a#1] filters=[(a#1 > 5)]
    Filter: (b#2 > 1)
      Scan: r [b#2] filters=[(b#2 > 1)]
`)
}
