package rules

import (
	"errors"
	"testing"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

func TestConjunctsAndAnd(t *testing.T) {
	a := &logical.ColumnRef{ID: 1, Name: "a", T: types.BooleanType}
	b := &logical.ColumnRef{ID: 2, Name: "b", T: types.BooleanType}
	x := &logical.ColumnRef{ID: 3, Name: "x", T: types.BooleanType}
	e := and(a, and(or(b, x), x))
	cs := Conjuncts(e)
	if len(cs) != 3 || cs[0] != logical.Expr(a) || cs[2] != logical.Expr(x) {
		t.Fatalf("conjuncts %v", cs)
	}
	if got := And(cs...).String(); got != "((a#1 AND (b#2 OR x#3)) AND x#3)" {
		t.Fatalf("And: %s", got)
	}
	if And() != nil || And(nil, a, nil) != logical.Expr(a) || Conjuncts(nil) != nil {
		t.Fatal("And/Conjuncts edge cases")
	}
}

func TestReferencedColumns(t *testing.T) {
	a := &logical.ColumnRef{ID: 1, Name: "a", T: types.BigintType}
	b := &logical.ColumnRef{ID: 2, Name: "b", T: types.BigintType}
	sub := &logical.Subquery{Plan: &logical.Values{Cols: []logical.Column{{ID: 9}}}, T: types.BigintType}
	e := &logical.Case{
		Whens: []logical.When{{Cond: &logical.InList{X: a, List: []logical.Expr{lit(1), sub}}, Result: &logical.Cast{X: b, To: types.DoubleType}}},
		Else:  nullLit(types.DoubleType), T: types.DoubleType,
	}
	refs := ReferencedColumns(e)
	if len(refs) != 2 || !refs[1] || !refs[2] {
		t.Fatalf("refs %v", refs)
	}
}

func TestRewriteExpr(t *testing.T) {
	a := &logical.ColumnRef{ID: 1, Name: "a", T: types.BigintType}
	e := &logical.Case{
		Whens: []logical.When{{Cond: &logical.InList{X: a, List: []logical.Expr{lit(1)}, Not: true}, Result: add(a, lit(2))}},
		Else:  &logical.Cast{X: a, To: types.BigintType, Try: true}, T: types.BigintType,
	}
	var order []string
	out := RewriteExpr(e, func(x logical.Expr) logical.Expr {
		order = append(order, x.String())
		if r, ok := x.(*logical.ColumnRef); ok && r.ID == 1 {
			return &logical.ColumnRef{ID: 7, Name: "z", T: types.BigintType}
		}
		return x
	})
	want := "CASE WHEN (z#7 NOT IN (1)) THEN (z#7 + 2) ELSE TRY_CAST(z#7 AS BIGINT) END"
	if out.String() != want {
		t.Fatalf("got %s", out)
	}
	if e.String() == want {
		t.Fatal("input modified")
	}
	// Post-order: children before parents; the root last.
	if order[0] != "a#1" || order[len(order)-1] != want {
		t.Fatalf("order %v", order)
	}
	same := RewriteExpr(e, func(x logical.Expr) logical.Expr { return x })
	if same != logical.Expr(e) {
		t.Fatal("an unchanged tree must keep its pointer")
	}
}

func TestTransformUp(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType))
	f := &logical.Filter{Input: s, Pred: cmp(">", ref(t, s, "a"), lit(1))}
	l := &logical.Limit{Input: f, Count: 1}
	var seen []string
	out, changed, err := TransformUp(l, func(n logical.Node) (logical.Node, bool, error) {
		seen = append(seen, n.String())
		if sc, ok := n.(*logical.Scan); ok {
			c := *sc
			c.Limit = 5
			return &c, true, nil
		}
		return n, false, nil
	})
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	expectTree(t, out, `
Limit: count=1 offset=0
  Filter: (a#1 > 1)
    Scan: t [a#1] limit=5
`)
	if len(seen) != 3 || seen[0] != "Scan: t [a#1]" {
		t.Fatalf("visit order %v", seen)
	}
	boom := errors.New("boom")
	if _, _, err := TransformUp(l, func(n logical.Node) (logical.Node, bool, error) { return nil, false, boom }); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}
