package rules

import (
	"strings"
	"testing"

	"github.com/streamsql/streamsql/planner/explain"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

// SELECT status, sum(amount) AS total FROM events
// WHERE ts > 1 + 1 AND status <> 'x' GROUP BY status ORDER BY total DESC LIMIT 3
func TestOptimizeEndToEnd(t *testing.T) {
	var b builder
	s := b.scan("events", c("id", types.BigintType), c("status", types.VarcharType),
		c("amount", types.BigintType), c("ts", types.BigintType), c("payload", types.JSONType))
	sel := b.project(s, []string{"id", "status", "amount", "ts", "payload"},
		ref(t, s, "id"), ref(t, s, "status"), ref(t, s, "amount"), ref(t, s, "ts"), ref(t, s, "payload"))
	f := &logical.Filter{Input: sel, Pred: and(cmp(">", ref(t, sel, "ts"), add(lit(1), lit(1))), cmp("<>", ref(t, sel, "status"), slit("x")))}
	sum := logical.AggCall{Func: "sum", Args: []logical.Expr{ref(t, sel, "amount")}, T: types.BigintType}
	ag := b.aggregate(f, []logical.Expr{ref(t, sel, "status")}, []string{"status"}, []logical.AggCall{sum}, []string{"total"})
	srt := &logical.Sort{Input: ag, Keys: []logical.SortKey{{Expr: ref(t, ag, "total"), Desc: true, NullsFirst: true}}}
	root := &logical.Limit{Input: srt, Count: 3}
	out, err := Optimize(root, &Context{Gen: &b.gen, Fold: fakeFold})
	if err != nil {
		t.Fatal(err)
	}
	expectTree(t, out, `
TopN: count=3 offset=0 keys=[total#12 DESC NULLS FIRST]
  Aggregate: group=[status#2] aggs=[sum(amount#3) AS total#12]
    Filter: ((ts#4 > 2) AND (status#2 <> 'x'))
      Scan: events [status#2, amount#3, ts#4] filters=[(ts#4 > 2), (status#2 <> 'x')]
`)
	again, err := Optimize(out, &Context{Fold: fakeFold})
	if err != nil || explain.Tree(again) != explain.Tree(out) {
		t.Fatalf("optimizing an optimized plan must be a no-op: %v\n%s", err, explain.Tree(again))
	}
}

func TestOptimizeSubqueryPlans(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType))
	u := b.scan("u", c("m", types.BigintType), c("z", types.VarcharType))
	mx := b.aggregate(u, nil, nil, []logical.AggCall{{Func: "max", Args: []logical.Expr{ref(t, u, "m")}, T: types.BigintType}}, []string{"mx"})
	sub := &logical.Subquery{Plan: mx, T: types.BigintType}
	root := &logical.Filter{Input: s, Pred: and(blit(true), cmp(">", ref(t, s, "a"), sub))}
	out, err := Optimize(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectTree(t, out, `
Filter: (a#1 > (subquery))
  Subquery:
    Aggregate: group=[] aggs=[max(m#2) AS mx#4]
      Scan: u [m#2]
  Scan: t [a#1]
`)
	if mx.Input != logical.Node(u) || len(u.Cols) != 2 {
		t.Fatal("the input subquery plan was modified")
	}
}

// badRule renames the root's first column.
type badRule struct{}

func (badRule) Name() string { return "bad_rule" }
func (badRule) Apply(n logical.Node, _ *Context) (logical.Node, bool, error) {
	cols := append([]logical.Column{}, n.Schema()...)
	exprs := make([]logical.Expr, len(cols))
	for i, c := range cols {
		exprs[i] = colRef(c)
	}
	cols[0].Name += "_renamed"
	return &logical.Project{Input: n, Exprs: exprs, Cols: cols}, true, nil
}

func TestOptimizeChecksSchema(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType))
	_, err := OptimizeWith(s, nil, []Rule{FoldConstants{}, badRule{}})
	if err == nil || !strings.Contains(err.Error(), "bad_rule") || !strings.Contains(err.Error(), "a_renamed#1") {
		t.Fatalf("want an error naming the rule, got %v", err)
	}
	if _, err := Optimize(nil, nil); err == nil {
		t.Fatal("nil plan must fail")
	}
}

// flipRule never settles; Optimize must stop after MaxPasses.
type flipRule struct{ calls *int }

func (flipRule) Name() string { return "flip" }
func (r flipRule) Apply(n logical.Node, _ *Context) (logical.Node, bool, error) {
	*r.calls++
	s := *n.(*logical.Scan)
	s.Limit = -s.Limit - 1
	return &s, true, nil
}

func TestOptimizeBoundedPasses(t *testing.T) {
	var b builder
	calls := 0
	if _, err := OptimizeWith(b.scan("t", c("a", types.BigintType)), nil, []Rule{flipRule{&calls}}); err != nil {
		t.Fatal(err)
	}
	if calls != MaxPasses {
		t.Fatalf("%d passes, want %d", calls, MaxPasses)
	}
}

func TestDefaultRuleNames(t *testing.T) {
	var names []string
	for _, r := range Default() {
		names = append(names, r.Name())
	}
	want := "fold_constants propagate_empty push_filters limit_pushdown prune_columns merge_projects eliminate_projects"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("default rules %s", got)
	}
}

func TestOptimizeRejectsMalformedPlans(t *testing.T) {
	var b builder
	s := b.scan("t", c("a", types.BigintType))
	bad := []logical.Node{
		&logical.Project{Input: s, Exprs: []logical.Expr{ref(t, s, "a")}},
		&logical.Filter{Input: s},
		&logical.Filter{Input: s, Pred: and(nil, blit(true))},
		&logical.Limit{Count: 1},
		&logical.Aggregate{Input: s, GroupBy: []logical.Expr{ref(t, s, "a")}},
		&logical.Filter{Input: s, Pred: cmp(">", ref(t, s, "a"), &logical.Subquery{T: types.BigintType})},
		&logical.Sort{Input: s, Keys: []logical.SortKey{{}}},
	}
	for _, n := range bad {
		if _, err := Optimize(n, &Context{Fold: fakeFold}); err == nil || !strings.Contains(err.Error(), "invalid plan") {
			t.Errorf("%T: want an invalid-plan error, got %v", n, err)
		}
	}
}
