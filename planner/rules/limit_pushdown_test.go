package rules

import (
	"math"
	"testing"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

func TestLimitPushdownSortToTopN(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType))
	srt := &logical.Sort{Input: s, Keys: []logical.SortKey{{Expr: ref(t, s, "a"), Desc: true, NullsFirst: true}}}
	l := &logical.Limit{Input: srt, Count: 10, Offset: 5}
	out, _ := apply(t, LimitPushdown{}, l, nil)
	expectTree(t, out, `
TopN: count=10 offset=5 keys=[a#1 DESC NULLS FIRST]
  Scan: t [a#1]
`)
	// OFFSET alone has no count for a TopN: nothing changes.
	if _, changed := apply(t, LimitPushdown{}, &logical.Limit{Input: srt, Count: -1, Offset: 5}, nil); changed {
		t.Fatal("LIMIT ALL OFFSET 5 over a sort must stay")
	}
}

func TestLimitPushdownProjectAndScan(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType))
	p := b.project(s, []string{"x"}, add(ref(t, s, "a"), lit(1)))
	l := &logical.Limit{Input: p, Count: 10, Offset: 3}
	out, _ := apply(t, LimitPushdown{}, l, nil)
	expectTree(t, out, `
Project: (a#1 + 1) AS x#2
  Limit: count=10 offset=3
    Scan: t [a#1] limit=13
`)
	// A filter in between: no scan hint.
	f := &logical.Filter{Input: s, Pred: cmp(">", ref(t, s, "a"), lit(0))}
	if _, changed := apply(t, LimitPushdown{}, &logical.Limit{Input: f, Count: 10}, nil); changed {
		t.Fatal("a limit over a filter stays")
	}
	// Overflowing count+offset gives no hint.
	if _, changed := apply(t, LimitPushdown{}, &logical.Limit{Input: s, Count: math.MaxInt64, Offset: 1}, nil); changed {
		t.Fatal("overflow must not give a hint")
	}
}

func TestLimitPushdownMerges(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType))
	f := &logical.Filter{Input: s, Pred: cmp(">", ref(t, s, "a"), lit(0))}
	// skip 2, take 10 → skip 3, take 5: rows 6..10 of the filter output.
	l := &logical.Limit{Input: &logical.Limit{Input: f, Count: 10, Offset: 2}, Count: 5, Offset: 3}
	out, _ := apply(t, LimitPushdown{}, l, nil)
	expectTree(t, out, `
Limit: count=5 offset=5
  Filter: (a#1 > 0)
    Scan: t [a#1]
`)
	// The outer offset eats into the inner count.
	l = &logical.Limit{Input: &logical.Limit{Input: f, Count: 4, Offset: 0}, Count: 10, Offset: 3}
	out, _ = apply(t, LimitPushdown{}, l, nil)
	expectTree(t, out, `
Limit: count=1 offset=3
  Filter: (a#1 > 0)
    Scan: t [a#1]
`)
	top := &logical.TopN{Input: f, Keys: []logical.SortKey{{Expr: ref(t, s, "a")}}, Count: 10}
	out, _ = apply(t, LimitPushdown{}, &logical.Limit{Input: top, Count: 3, Offset: 2}, nil)
	expectTree(t, out, `
TopN: count=3 offset=2 keys=[a#1 NULLS LAST]
  Filter: (a#1 > 0)
    Scan: t [a#1]
`)
	out, _ = apply(t, LimitPushdown{}, &logical.Limit{Input: top, Count: 3, Offset: 20}, nil)
	expectTree(t, out, `
Values: 0 rows [a#1]
`)
}

func TestLimitPushdownZeroAndAll(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType))
	out, _ := apply(t, LimitPushdown{}, &logical.Limit{Input: s, Count: 0, Offset: 4}, nil)
	expectTree(t, out, `
Values: 0 rows [a#1]
`)
	out, _ = apply(t, LimitPushdown{}, &logical.Limit{Input: s, Count: -1}, nil)
	expectTree(t, out, `
Scan: t [a#1]
`)
}

func TestLimitPushdownUnion(t *testing.T) {
	var b builder
	t1 := b.scan("t1", c("a", types.BigintType))
	t2 := b.scan("t2", c("b", types.BigintType))
	f2 := &logical.Filter{Input: t2, Pred: cmp(">", ref(t, t2, "b"), lit(0))}
	small := &logical.Values{Rows: [][]logical.Expr{{lit(1)}}, Cols: []logical.Column{{ID: b.gen.Next(), Name: "v", Type: types.BigintType}}}
	u := b.union(t1, f2, small)
	out, _ := apply(t, LimitPushdown{}, &logical.Limit{Input: u, Count: 10, Offset: 5}, nil)
	expectTree(t, out, `
Limit: count=10 offset=5
  Union: all [a#4]
    Limit: count=15 offset=0
      Scan: t1 [a#1] limit=15
    Limit: count=15 offset=0
      Filter: (b#2 > 0)
        Scan: t2 [b#2]
    Values: 1 rows [v#3]
`)
}
