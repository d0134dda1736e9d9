package rules

import (
	"testing"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

func TestPruneColumnsScan(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType), c("b", types.VarcharType), c("c", types.DoubleType))
	s.Filters = []logical.Expr{cmp("=", ref(t, s, "b"), slit("x")), cmp(">", ref(t, s, "c"), &logical.Literal{Value: 1.5, T: types.DoubleType})}
	f := &logical.Filter{Input: s, Pred: s.Filters[1]}
	p := b.project(f, []string{"a"}, ref(t, s, "a"))
	out, changed := apply(t, PruneColumns{}, p, nil)
	if !changed {
		t.Fatal("want a change")
	}
	// b is read by nobody: it goes, and the pushed filter over it too.
	expectTree(t, out, `
Project: a#1 AS a#4
  Filter: (c#3 > 1.5)
    Scan: t [a#1, c#3] filters=[(c#3 > 1.5)]
`)
	if o := out.(*logical.Project).Input.(*logical.Filter).Input.(*logical.Scan).Ordinals; len(o) != 2 || o[0] != 0 || o[1] != 2 {
		t.Fatalf("ordinals %v, want [0 2]", o)
	}
}

func TestPruneColumnsCountStar(t *testing.T) {
	var b builder
	s := b.scan("t", c("s", types.VarcharType), c("n", types.IntegerType), c("big", types.BigintType))
	ag := b.aggregate(s, nil, nil, []logical.AggCall{{Func: "count", T: types.BigintType}}, []string{"count"})
	out, _ := apply(t, PruneColumns{}, ag, nil)
	// One column survives so the row count does: the narrowest.
	expectTree(t, out, `
Aggregate: group=[] aggs=[count(*) AS count#4]
  Scan: t [n#2]
`)
}

func TestPruneColumnsAggregateAndRoot(t *testing.T) {
	var b builder
	s := b.scan("t", c("s", types.VarcharType), c("a", types.BigintType), c("z", types.BigintType))
	sum := logical.AggCall{Func: "sum", Args: []logical.Expr{ref(t, s, "a")}, T: types.BigintType}
	mx := logical.AggCall{Func: "max", Args: []logical.Expr{ref(t, s, "z")}, T: types.BigintType}
	ag := b.aggregate(s, []logical.Expr{ref(t, s, "s")}, []string{"s"}, []logical.AggCall{sum, mx}, []string{"total", "mx"})
	// The inner project's unused output goes; the root's stay even unused.
	inner := b.project(ag, []string{"total", "unused"}, ref(t, ag, "total"), ref(t, ag, "s"))
	root := b.project(inner, []string{"t2", "one"}, ref(t, inner, "total"), lit(1))
	out, _ := apply(t, PruneColumns{}, root, nil)
	expectTree(t, out, `
Project: total#7 AS t2#9, 1 AS one#10
  Project: total#5 AS total#7
    Aggregate: group=[s#1] aggs=[sum(a#2) AS total#5]
      Scan: t [s#1, a#2]
`)
	// A root aggregate keeps all its outputs.
	if _, changed := apply(t, PruneColumns{}, &logical.Distinct{Input: ag}, nil); changed {
		t.Fatal("a root aggregate under Distinct keeps everything")
	}
}

func TestPruneColumnsJoin(t *testing.T) {
	var b builder
	l := b.scan("l", c("a", types.BigintType), c("x", types.VarcharType))
	r := b.scan("r", c("b", types.BigintType), c("y", types.VarcharType))
	j := &logical.Join{Left: l, Right: r, Kind: logical.InnerJoin, Cond: cmp("=", ref(t, l, "a"), ref(t, r, "b"))}
	p := b.project(j, []string{"x"}, ref(t, l, "x"))
	out, _ := apply(t, PruneColumns{}, p, nil)
	expectTree(t, out, `
Project: x#2 AS x#5
  Join: Inner on (a#1 = b#3)
    Scan: l [a#1, x#2]
    Scan: r [b#3]
`)
}

func TestPruneColumnsDistinctBlocks(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType), c("b", types.BigintType))
	d := &logical.Distinct{Input: s}
	p := b.project(d, []string{"a"}, ref(t, s, "a"))
	if _, changed := apply(t, PruneColumns{}, p, nil); changed {
		t.Fatal("Distinct needs all its input columns")
	}
}

func TestPruneColumnsUnion(t *testing.T) {
	var b builder
	t1 := b.scan("t1", c("a", types.BigintType), c("b", types.BigintType))
	t2 := b.scan("t2", c("c", types.BigintType), c("d", types.BigintType))
	d2 := &logical.Distinct{Input: t2}
	u := b.union(t1, d2)
	p := b.project(u, []string{"b"}, ref(t, u, "b"))
	expectTree(t, p, `
Project: b#6 AS b#7
  Union: all [a#5, b#6]
    Scan: t1 [a#1, b#2]
    Distinct
      Scan: t2 [c#3, d#4]
`)
	out, _ := apply(t, PruneColumns{}, p, nil)
	expectTree(t, out, `
Project: b#6 AS b#7
  Union: all [b#6]
    Scan: t1 [b#2]
    Project: d#4 AS d#4
      Distinct
        Scan: t2 [c#3, d#4]
`)
}

func TestPruneColumnsValues(t *testing.T) {
	var b builder
	v := &logical.Values{
		Rows: [][]logical.Expr{{lit(1), slit("a")}, {lit(2), slit("b")}},
		Cols: []logical.Column{{ID: b.gen.Next(), Name: "n", Type: types.BigintType}, {ID: b.gen.Next(), Name: "s", Type: types.VarcharType}},
	}
	p := b.project(v, []string{"s"}, ref(t, v, "s"))
	out, _ := apply(t, PruneColumns{}, p, nil)
	expectTree(t, out, `
Project: s#2 AS s#3
  Values: 2 rows [s#2]
`)
	if got := out.(*logical.Project).Input.(*logical.Values).Rows[1][0]; !ExprEqual(got, slit("b")) {
		t.Fatalf("row 2 is %s", got)
	}
}
