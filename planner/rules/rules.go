// Package rules rewrites logical plans into cheaper equivalent ones:
// constant folding, predicate pushdown, projection pruning, limit pushdown
// and a few clean-ups, run to a fixpoint by Optimize. Every rule keeps the
// output schema of the tree it is given (ids, names and types); Optimize
// checks that after each application.
//
// The package must build for WebAssembly and does not depend on the
// operators: evaluating constants is injected through Context.Fold.
package rules

import (
	"fmt"

	"github.com/streamsql/streamsql/planner/logical"
)

// Rule is one rewrite. Apply returns the rewritten plan and whether it
// differs from n; it must not modify n or anything reachable from it, and
// must keep n's output schema.
type Rule interface {
	Name() string
	Apply(n logical.Node, ctx *Context) (logical.Node, bool, error)
}

// Context is what rules may use besides the plan.
type Context struct {
	// Gen hands out ids for new columns (the binder's generator).
	Gen *logical.IDGen
	// Fold evaluates a constant expression (one with no ColumnRef, Param or
	// Subquery) to a literal; nil disables folding. The engine injects
	// operators/expr.Fold bound to the query's context, so now() folds to
	// the statement's fixed instant.
	Fold func(e logical.Expr) (*logical.Literal, error)
}

// MaxPasses bounds Optimize's passes over the rule list.
const MaxPasses = 20

// Default returns the rules Optimize runs, in order.
func Default() []Rule {
	return []Rule{
		FoldConstants{},
		PropagateEmpty{},
		PushFilters{},
		LimitPushdown{},
		PruneColumns{},
		MergeProjects{},
		EliminateProjects{},
	}
}

// Optimize runs the Default rules over n to a fixpoint (at most MaxPasses
// passes), first optimizing the plans of scalar subqueries on their own.
func Optimize(n logical.Node, ctx *Context) (logical.Node, error) {
	return OptimizeWith(n, ctx, Default())
}

// OptimizeWith is Optimize with a chosen rule list. After each rule that
// reports a change it checks that the root's schema (ids, names, types) is
// unchanged and fails naming the rule if not. Reaching MaxPasses without a
// fixpoint is not an error: the last plan is returned.
func OptimizeWith(n logical.Node, ctx *Context, rules []Rule) (logical.Node, error) {
	if n == nil {
		return nil, fmt.Errorf("optimizing: nil plan")
	}
	if ctx == nil {
		ctx = &Context{}
	}
	if err := validate(n); err != nil {
		return nil, fmt.Errorf("optimizing: %w", err)
	}
	n, err := optimizeSubqueries(n, ctx, rules)
	if err != nil {
		return nil, err
	}
	want := n.Schema()
	for pass := 0; pass < MaxPasses; pass++ {
		progress := false
		for _, r := range rules {
			m, changed, err := r.Apply(n, ctx)
			if err != nil {
				return nil, fmt.Errorf("applying rule %s: %w", r.Name(), err)
			}
			if !changed {
				continue
			}
			if m == nil {
				return nil, fmt.Errorf("applying rule %s: returned no plan", r.Name())
			}
			if got := m.Schema(); !colsEqual(got, want) {
				return nil, fmt.Errorf("applying rule %s: output schema changed from [%s] to [%s]",
					r.Name(), describeCols(want), describeCols(got))
			}
			n, progress = m, true
		}
		if !progress {
			break
		}
	}
	return n, nil
}

// optimizeSubqueries optimizes every scalar subquery plan in n's
// expressions, innermost first, as a plan of its own.
func optimizeSubqueries(n logical.Node, ctx *Context, rules []Rule) (logical.Node, error) {
	out, _, err := TransformUp(n, func(x logical.Node) (logical.Node, bool, error) {
		return MapExprs(x, func(e logical.Expr) (logical.Expr, error) {
			return rewriteExprErr(e, func(y logical.Expr) (logical.Expr, error) {
				sq, ok := y.(*logical.Subquery)
				if !ok {
					return y, nil
				}
				p, err := OptimizeWith(sq.Plan, ctx, rules)
				if err != nil {
					return nil, fmt.Errorf("optimizing subquery: %w", err)
				}
				if p == sq.Plan {
					return y, nil
				}
				return &logical.Subquery{Plan: p, T: sq.T}, nil
			})
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func describeCols(cols []logical.Column) string {
	s := ""
	for i, c := range cols {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s#%d %s", c.Name, c.ID, c.Type)
	}
	return s
}

// validate checks the shape invariants the rules rely on (no nil inputs,
// parallel slices of equal length), so a malformed plan is reported as an
// error rather than crashing a rule.
func validate(n logical.Node) error {
	if n == nil {
		return fmt.Errorf("invalid plan: nil node")
	}
	for _, k := range n.Children() {
		if k == nil {
			return fmt.Errorf("invalid plan: %T has a nil input", n)
		}
	}
	bad := func(what string, a, b int) error {
		return fmt.Errorf("invalid plan: %s: %d vs %d", what, a, b)
	}
	switch x := n.(type) {
	case *logical.Scan:
		if len(x.Ordinals) != len(x.Cols) {
			return bad("scan "+x.Name+" ordinals vs columns", len(x.Ordinals), len(x.Cols))
		}
	case *logical.Values:
		for _, r := range x.Rows {
			if len(r) != len(x.Cols) {
				return bad("values row vs columns", len(r), len(x.Cols))
			}
		}
	case *logical.Filter:
		if x.Pred == nil {
			return fmt.Errorf("invalid plan: filter without predicate")
		}
	case *logical.Project:
		if len(x.Exprs) != len(x.Cols) {
			return bad("project expressions vs columns", len(x.Exprs), len(x.Cols))
		}
	case *logical.Aggregate:
		if len(x.GroupBy) != len(x.GroupCols) {
			return bad("group keys vs group columns", len(x.GroupBy), len(x.GroupCols))
		}
		if len(x.Aggs) != len(x.AggCols) {
			return bad("aggregates vs aggregate columns", len(x.Aggs), len(x.AggCols))
		}
	case *logical.Union:
		for _, in := range x.Inputs {
			if len(in.Schema()) != len(x.Cols) {
				return bad("union input vs union columns", len(in.Schema()), len(x.Cols))
			}
		}
	}
	var exprs []logical.Expr
	switch x := n.(type) {
	case *logical.Scan:
		exprs = x.Filters
	case *logical.Values:
		for _, r := range x.Rows {
			exprs = append(exprs, r...)
		}
	case *logical.Filter:
		exprs = []logical.Expr{x.Pred}
	case *logical.Project:
		exprs = x.Exprs
	case *logical.Aggregate:
		exprs = append(exprs, x.GroupBy...)
		for _, a := range x.Aggs {
			exprs = append(exprs, a.Args...)
		}
	case *logical.Sort:
		exprs = keyExprs(x.Keys)
	case *logical.TopN:
		exprs = keyExprs(x.Keys)
	}
	for _, e := range append(exprs, nodeExprs(n)...) {
		if err := validateExpr(e); err != nil {
			return err
		}
	}
	for _, k := range n.Children() {
		if err := validate(k); err != nil {
			return err
		}
	}
	return nil
}

// validateExpr rejects nil operands and subqueries without a valid plan.
func validateExpr(e logical.Expr) error {
	if e == nil {
		return fmt.Errorf("invalid plan: nil expression")
	}
	var kids []logical.Expr
	switch x := e.(type) {
	case *logical.Call:
		kids = x.Args
	case *logical.Cast:
		kids = []logical.Expr{x.X}
	case *logical.Case:
		for _, w := range x.Whens {
			kids = append(kids, w.Cond, w.Result)
		}
		if x.Else != nil {
			kids = append(kids, x.Else)
		}
	case *logical.InList:
		kids = append([]logical.Expr{x.X}, x.List...)
	case *logical.Subquery:
		if x.Plan == nil {
			return fmt.Errorf("invalid plan: subquery without plan")
		}
		return validate(x.Plan)
	}
	for _, k := range kids {
		if err := validateExpr(k); err != nil {
			return err
		}
	}
	return nil
}
