package rules

import (
	"github.com/streamsql/streamsql/planner/logical"
)

// FoldConstants evaluates constant subexpressions and simplifies boolean
// logic, then the nodes whose expressions became constant:
//
//   - bottom-up, every expression whose leaves are all literals (no column,
//     parameter or subquery, no volatile function such as random()) is
//     replaced by ctx.Fold's literal; a fold error (division by zero, a bad
//     cast) leaves the expression as it is, so it fails at run time only if
//     it is evaluated, as in Postgres' CASE;
//   - `x AND TRUE` → x, `x AND FALSE` → FALSE, `x OR TRUE` → TRUE,
//     `x OR FALSE` → x, `NOT NOT x` → x; CASE branches whose condition is
//     FALSE or NULL are dropped and a leading TRUE branch is taken;
//   - a Filter on TRUE is removed; a Filter on FALSE or NULL becomes an
//     empty Values with the same columns;
//   - a join condition TRUE turns an Inner join into a Cross join; FALSE or
//     NULL empties an Inner, Cross or Semi join and reduces a (not
//     null-aware) Anti join to its left input;
//   - scan filters and aggregate FILTERs that are TRUE are dropped;
//   - constant sort keys are dropped; a Sort without keys is removed, a
//     TopN without keys becomes a Limit.
//
// Boolean simplification works without ctx.Fold; folding needs it.
type FoldConstants struct{}

// Name implements Rule.
func (FoldConstants) Name() string { return "fold_constants" }

// Apply implements Rule.
func (FoldConstants) Apply(n logical.Node, ctx *Context) (logical.Node, bool, error) {
	out, _, err := TransformUp(n, func(x logical.Node) (logical.Node, bool, error) {
		y, _, err := MapExprs(x, func(e logical.Expr) (logical.Expr, error) {
			return FoldExpr(e, ctx), nil
		})
		if err != nil {
			return x, false, err
		}
		return simplifyNode(y), true, nil
	})
	if err != nil {
		return n, false, err
	}
	return changedResult(n, out)
}

// FoldExpr folds and simplifies one expression as FoldConstants does.
func FoldExpr(e logical.Expr, ctx *Context) logical.Expr {
	return RewriteExpr(e, func(x logical.Expr) logical.Expr {
		x = simplifyBool(x)
		if ctx == nil || ctx.Fold == nil || !foldable(x) {
			return x
		}
		lit, err := ctx.Fold(x)
		if err != nil || lit == nil {
			return x // left for run time, where it fails only if evaluated
		}
		if lit.T != x.Type() {
			if lit.Value != nil {
				return x // a fold of another type would change the schema
			}
			return &logical.Literal{Value: nil, T: x.Type()}
		}
		return lit
	})
}

// foldable reports whether e is a non-literal whose leaves are all
// literals and which calls no volatile function.
func foldable(e logical.Expr) bool {
	if _, ok := e.(*logical.Literal); ok {
		return false
	}
	ok := true
	walkExpr(e, func(x logical.Expr) {
		switch x := x.(type) {
		case *logical.ColumnRef, *logical.Param, *logical.Subquery:
			ok = false
		case *logical.Call:
			if volatile[x.Func] {
				ok = false
			}
		}
	})
	return ok
}

// simplifyBool applies the boolean identities to one node whose children
// are already simplified.
func simplifyBool(e logical.Expr) logical.Expr {
	switch x := e.(type) {
	case *logical.Call:
		switch {
		case x.Func == "and" && len(x.Args) == 2:
			a, b := x.Args[0], x.Args[1]
			switch {
			case isBoolLit(a, false) || isBoolLit(b, false):
				return retype(boolLit(false), x.T)
			case isBoolLit(a, true):
				return retype(b, x.T)
			case isBoolLit(b, true):
				return retype(a, x.T)
			}
		case x.Func == "or" && len(x.Args) == 2:
			a, b := x.Args[0], x.Args[1]
			switch {
			case isBoolLit(a, true) || isBoolLit(b, true):
				return retype(boolLit(true), x.T)
			case isBoolLit(a, false):
				return retype(b, x.T)
			case isBoolLit(b, false):
				return retype(a, x.T)
			}
		case x.Func == "not" && len(x.Args) == 1:
			if in, ok := x.Args[0].(*logical.Call); ok && in.Func == "not" && len(in.Args) == 1 {
				return retype(in.Args[0], x.T)
			}
		}
	case *logical.Case:
		return simplifyCase(x)
	}
	return e
}

func simplifyCase(c *logical.Case) logical.Expr {
	var whens []logical.When
	changed := false
	for _, w := range c.Whens {
		if isBoolLit(w.Cond, false) || isNullLit(w.Cond) {
			changed = true
			continue
		}
		if isBoolLit(w.Cond, true) && len(whens) == 0 {
			return retype(w.Result, c.T)
		}
		whens = append(whens, w)
	}
	if len(whens) == 0 {
		if c.Else == nil {
			return &logical.Literal{Value: nil, T: c.T}
		}
		return retype(c.Else, c.T)
	}
	if !changed {
		return c
	}
	return &logical.Case{Whens: whens, Else: c.Else, T: c.T}
}

// isConstant reports whether e has the same value on every row of one
// query: no column references and no volatile function.
func isConstant(e logical.Expr) bool {
	ok := true
	walkExpr(e, func(x logical.Expr) {
		switch x := x.(type) {
		case *logical.ColumnRef:
			ok = false
		case *logical.Call:
			if volatile[x.Func] {
				ok = false
			}
		}
	})
	return ok
}

// simplifyNode simplifies a node whose expressions are folded.
func simplifyNode(n logical.Node) logical.Node {
	switch x := n.(type) {
	case *logical.Filter:
		switch {
		case isBoolLit(x.Pred, true):
			return x.Input
		case isBoolLit(x.Pred, false) || isNullLit(x.Pred):
			return emptyValues(x.Schema())
		}
	case *logical.Join:
		switch {
		case x.Cond == nil:
		case isBoolLit(x.Cond, true):
			if x.Kind == logical.InnerJoin || x.Kind == logical.CrossJoin {
				c := *x
				c.Kind, c.Cond = logical.CrossJoin, nil
				return &c
			}
		case isBoolLit(x.Cond, false) || isNullLit(x.Cond):
			switch {
			case x.Kind == logical.InnerJoin || x.Kind == logical.CrossJoin || x.Kind == logical.SemiJoin:
				return emptyValues(x.Schema())
			case x.Kind == logical.AntiJoin && !x.NullAware:
				return x.Left
			}
		}
	case *logical.Scan:
		var keep []logical.Expr
		for _, f := range x.Filters {
			if !isBoolLit(f, true) {
				keep = append(keep, f)
			}
		}
		if len(keep) != len(x.Filters) {
			c := *x
			c.Filters = keep
			return &c
		}
	case *logical.Aggregate:
		changed := false
		aggs := make([]logical.AggCall, len(x.Aggs))
		for i, a := range x.Aggs {
			aggs[i] = a
			if a.Filter != nil && isBoolLit(a.Filter, true) {
				aggs[i].Filter = nil
				changed = true
			}
		}
		if changed {
			c := *x
			c.Aggs = aggs
			return &c
		}
	case *logical.Sort:
		keys := nonConstantKeys(x.Keys)
		if len(keys) == 0 {
			return x.Input
		}
		if len(keys) != len(x.Keys) {
			return &logical.Sort{Input: x.Input, Keys: keys}
		}
	case *logical.TopN:
		keys := nonConstantKeys(x.Keys)
		if len(keys) == 0 {
			return &logical.Limit{Input: x.Input, Count: x.Count, Offset: x.Offset}
		}
		if len(keys) != len(x.Keys) {
			c := *x
			c.Keys = keys
			return &c
		}
	}
	return n
}

func nonConstantKeys(keys []logical.SortKey) []logical.SortKey {
	var out []logical.SortKey
	for _, k := range keys {
		if !isConstant(k.Expr) {
			out = append(out, k)
		}
	}
	return out
}
