package rules

import (
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

// Conjuncts splits e on "and" into its conjuncts, flattening nested ANDs,
// left to right. A nil e has no conjuncts.
func Conjuncts(e logical.Expr) []logical.Expr {
	if e == nil {
		return nil
	}
	if c, ok := e.(*logical.Call); ok && c.Func == "and" && len(c.Args) == 2 {
		return append(Conjuncts(c.Args[0]), Conjuncts(c.Args[1])...)
	}
	return []logical.Expr{e}
}

// And combines es (nil entries skipped) into a left-deep chain of "and"
// calls. It returns nil for no expressions and the expression itself for
// one.
func And(es ...logical.Expr) logical.Expr {
	var out logical.Expr
	for _, e := range es {
		if e == nil {
			continue
		}
		if out == nil {
			out = e
			continue
		}
		out = &logical.Call{Func: "and", Args: []logical.Expr{out, e}, T: types.BooleanType}
	}
	return out
}

// ReferencedColumns returns the ids of the columns e reads. Subquery plans
// are not entered: they are uncorrelated, so they read no outer column.
func ReferencedColumns(e logical.Expr) map[logical.ColumnID]bool {
	refs := map[logical.ColumnID]bool{}
	addRefs(refs, e)
	return refs
}

func addRefs(refs map[logical.ColumnID]bool, e logical.Expr) {
	walkExpr(e, func(x logical.Expr) {
		if r, ok := x.(*logical.ColumnRef); ok {
			refs[r.ID] = true
		}
	})
}

// walkExpr calls f on e and every expression below it, pre-order. Subquery
// plans are not entered.
func walkExpr(e logical.Expr, f func(logical.Expr)) {
	if e == nil {
		return
	}
	f(e)
	switch e := e.(type) {
	case *logical.Call:
		for _, a := range e.Args {
			walkExpr(a, f)
		}
	case *logical.Cast:
		walkExpr(e.X, f)
	case *logical.Case:
		for _, w := range e.Whens {
			walkExpr(w.Cond, f)
			walkExpr(w.Result, f)
		}
		walkExpr(e.Else, f)
	case *logical.InList:
		walkExpr(e.X, f)
		for _, a := range e.List {
			walkExpr(a, f)
		}
	}
}

// RewriteExpr rebuilds e bottom-up (post-order): each node's children are
// rewritten first, then f is applied to the node (a copy when a child
// changed, the original otherwise). f returning nil keeps the node. The
// input is never modified, and an unchanged tree is returned as the same
// pointer. Subquery plans are not entered.
func RewriteExpr(e logical.Expr, f func(logical.Expr) logical.Expr) logical.Expr {
	out, _ := rewriteExprErr(e, func(x logical.Expr) (logical.Expr, error) { return f(x), nil })
	return out
}

// rewriteExprErr is RewriteExpr with a function that can fail; the first
// error stops the rewrite.
func rewriteExprErr(e logical.Expr, f func(logical.Expr) (logical.Expr, error)) (logical.Expr, error) {
	if e == nil {
		return nil, nil
	}
	var err error
	rw := func(x logical.Expr, changed *bool) logical.Expr {
		if err != nil || x == nil {
			return x
		}
		var y logical.Expr
		y, err = rewriteExprErr(x, f)
		if err != nil {
			return x
		}
		if y != x {
			*changed = true
		}
		return y
	}
	node := e
	switch x := e.(type) {
	case *logical.Call:
		changed := false
		args := make([]logical.Expr, len(x.Args))
		for i, a := range x.Args {
			args[i] = rw(a, &changed)
		}
		if changed {
			node = &logical.Call{Func: x.Func, Args: args, T: x.T}
		}
	case *logical.Cast:
		changed := false
		inner := rw(x.X, &changed)
		if changed {
			node = &logical.Cast{X: inner, To: x.To, Try: x.Try}
		}
	case *logical.Case:
		changed := false
		whens := make([]logical.When, len(x.Whens))
		for i, w := range x.Whens {
			whens[i] = logical.When{Cond: rw(w.Cond, &changed), Result: rw(w.Result, &changed)}
		}
		els := rw(x.Else, &changed)
		if changed {
			node = &logical.Case{Whens: whens, Else: els, T: x.T}
		}
	case *logical.InList:
		changed := false
		inner := rw(x.X, &changed)
		list := make([]logical.Expr, len(x.List))
		for i, a := range x.List {
			list[i] = rw(a, &changed)
		}
		if changed {
			node = &logical.InList{X: inner, List: list, Not: x.Not}
		}
	}
	if err != nil {
		return e, err
	}
	out, err := f(node)
	if err != nil {
		return e, err
	}
	if out == nil {
		return node, nil
	}
	return out, nil
}

// substitute replaces every reference to a column in m by m's expression
// for it.
func substitute(e logical.Expr, m map[logical.ColumnID]logical.Expr) logical.Expr {
	return RewriteExpr(e, func(x logical.Expr) logical.Expr {
		if r, ok := x.(*logical.ColumnRef); ok {
			if y, ok := m[r.ID]; ok {
				return y
			}
		}
		return x
	})
}

// volatile lists functions whose value may differ between two calls in
// one query: they are never folded, duplicated or moved. now() and the
// other clock functions are fixed per statement and so are not here.
var volatile = map[string]bool{
	"random": true, "rand": true, "setseed": true, "uuid": true, "gen_random_uuid": true,
	"clock_timestamp": true, "timeofday": true, "nextval": true,
	// Window keys of streaming plans are not row functions.
	logical.WindowStartFunc: true, logical.WindowEndFunc: true,
}

// IsDeterministic reports whether e yields the same value each time it is
// evaluated on the same row within one query: it calls no volatile
// function such as random().
func IsDeterministic(e logical.Expr) bool {
	ok := true
	walkExpr(e, func(x logical.Expr) {
		if c, isCall := x.(*logical.Call); isCall && volatile[c.Func] {
			ok = false
		}
	})
	return ok
}

func hasSubquery(e logical.Expr) bool {
	found := false
	walkExpr(e, func(x logical.Expr) {
		if _, ok := x.(*logical.Subquery); ok {
			found = true
		}
	})
	return found
}

// ExprEqual reports whether a and b are structurally the same expression.
// Subqueries are equal only when they share the same plan node.
func ExprEqual(a, b logical.Expr) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch x := a.(type) {
	case *logical.ColumnRef:
		y, ok := b.(*logical.ColumnRef)
		return ok && x.ID == y.ID && x.T == y.T
	case *logical.Literal:
		y, ok := b.(*logical.Literal)
		return ok && x.T == y.T && valueEqual(x.Value, y.Value)
	case *logical.Param:
		y, ok := b.(*logical.Param)
		return ok && x.Index == y.Index && x.T == y.T
	case *logical.Subquery:
		y, ok := b.(*logical.Subquery)
		return ok && x.Plan == y.Plan && x.T == y.T
	case *logical.Call:
		y, ok := b.(*logical.Call)
		return ok && x.Func == y.Func && x.T == y.T && exprsEqual(x.Args, y.Args)
	case *logical.Cast:
		y, ok := b.(*logical.Cast)
		return ok && x.To == y.To && x.Try == y.Try && ExprEqual(x.X, y.X)
	case *logical.Case:
		y, ok := b.(*logical.Case)
		if !ok || x.T != y.T || len(x.Whens) != len(y.Whens) || !ExprEqual(x.Else, y.Else) {
			return false
		}
		for i := range x.Whens {
			if !ExprEqual(x.Whens[i].Cond, y.Whens[i].Cond) || !ExprEqual(x.Whens[i].Result, y.Whens[i].Result) {
				return false
			}
		}
		return true
	case *logical.InList:
		y, ok := b.(*logical.InList)
		return ok && x.Not == y.Not && ExprEqual(x.X, y.X) && exprsEqual(x.List, y.List)
	}
	return false
}

func exprsEqual(a, b []logical.Expr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !ExprEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// valueEqual compares literal values of the documented Go forms without
// risking a panic on an uncomparable dynamic type.
func valueEqual(a, b any) bool {
	switch a.(type) {
	case nil, bool, int32, int64, float64, string, types.IntervalValue:
		return a == b
	}
	return false
}

func containsExpr(list []logical.Expr, e logical.Expr) bool {
	for _, x := range list {
		if ExprEqual(x, e) {
			return true
		}
	}
	return false
}

// Literal helpers.

func isBoolLit(e logical.Expr, v bool) bool {
	l, ok := e.(*logical.Literal)
	if !ok {
		return false
	}
	b, ok := l.Value.(bool)
	return ok && b == v
}

func isNullLit(e logical.Expr) bool {
	l, ok := e.(*logical.Literal)
	return ok && l.Value == nil
}

func boolLit(v bool) *logical.Literal { return &logical.Literal{Value: v, T: types.BooleanType} }

// retype returns e as an expression of type t: e itself when it already
// has it, a typed NULL for a NULL literal, else a cast.
func retype(e logical.Expr, t types.Type) logical.Expr {
	if e.Type() == t {
		return e
	}
	if isNullLit(e) {
		return &logical.Literal{Value: nil, T: t}
	}
	return &logical.Cast{X: e, To: t}
}

func colRef(c logical.Column) *logical.ColumnRef {
	return &logical.ColumnRef{ID: c.ID, Name: c.Name, T: c.Type}
}

func idSet(cols []logical.Column) map[logical.ColumnID]bool {
	s := make(map[logical.ColumnID]bool, len(cols))
	for _, c := range cols {
		s[c.ID] = true
	}
	return s
}

func subsetOf(refs, of map[logical.ColumnID]bool) bool {
	for id := range refs {
		if !of[id] {
			return false
		}
	}
	return true
}
