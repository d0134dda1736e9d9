package rules

import (
	"fmt"

	"github.com/streamsql/streamsql/planner/logical"
)

// PushFilters moves filter conjuncts as close to the data as they can go:
//
//   - a Filter's predicate is split into conjuncts and stacked Filters
//     merge;
//   - through Project, substituting the project's expressions for its
//     columns (only when those expressions are deterministic);
//   - through Sort and Distinct unchanged;
//   - through Union into every input, the union's columns mapped to each
//     input's by position (cast when the types differ);
//   - below an Aggregate with GROUP BY, when the conjunct reads only group
//     columns, rewritten to the group-by expressions;
//   - into joins (see pushJoin), converting outer joins to inner ones when
//     a conjunct above rejects the NULLs the outer join would add;
//   - a Filter directly over a Scan stays, and its deterministic
//     subquery-free conjuncts are also recorded in Scan.Filters (once: the
//     rule reaches a fixpoint).
//
// Conjuncts calling a volatile function (random()) never move. Nothing
// passes Limit, TopN or Values.
type PushFilters struct{}

// Name implements Rule.
func (PushFilters) Name() string { return "push_filters" }

// Apply implements Rule.
func (PushFilters) Apply(n logical.Node, _ *Context) (logical.Node, bool, error) {
	out, err := pushDown(n, nil)
	if err != nil {
		return n, false, err
	}
	return changedResult(n, out)
}

// pushDown returns a plan equivalent to filtering n by all of preds, with
// each predicate placed as low as it may go, and with the filters inside n
// pushed down too.
func pushDown(n logical.Node, preds []logical.Expr) (logical.Node, error) {
	switch x := n.(type) {
	case *logical.Filter:
		all := append(append([]logical.Expr{}, preds...), Conjuncts(x.Pred)...)
		return pushDown(x.Input, all)
	case *logical.Project:
		return pushProject(x, preds)
	case *logical.Sort, *logical.Distinct:
		down, keep := splitMovable(preds)
		in, err := pushDown(x.Children()[0], down)
		if err != nil {
			return nil, err
		}
		return rebuildWrap(x, keep, in)
	case *logical.Union:
		return pushUnion(x, preds)
	case *logical.Aggregate:
		return pushAggregate(x, preds)
	case *logical.Join:
		return pushJoin(x, preds)
	case *logical.Scan:
		return pushScan(x, preds), nil
	}
	// Values, Limit, TopN: predicates stay above; filters below still move.
	kids := n.Children()
	newKids := make([]logical.Node, len(kids))
	for i, k := range kids {
		nk, err := pushDown(k, nil)
		if err != nil {
			return nil, err
		}
		newKids[i] = nk
	}
	return rebuildWrap(n, preds, newKids...)
}

// rebuildWrap rebuilds n over kids and filters it by preds.
func rebuildWrap(n logical.Node, preds []logical.Expr, kids ...logical.Node) (logical.Node, error) {
	if len(kids) > 0 {
		m, err := n.WithChildren(kids...)
		if err != nil {
			return nil, fmt.Errorf("pushing filters: %w", err)
		}
		n = m
	}
	return wrapFilter(n, preds), nil
}

// wrapFilter returns n filtered by the conjunction of preds.
func wrapFilter(n logical.Node, preds []logical.Expr) logical.Node {
	if len(preds) == 0 {
		return n
	}
	return &logical.Filter{Input: n, Pred: And(preds...)}
}

// splitMovable separates deterministic predicates from volatile ones.
func splitMovable(preds []logical.Expr) (down, keep []logical.Expr) {
	for _, p := range preds {
		if IsDeterministic(p) {
			down = append(down, p)
		} else {
			keep = append(keep, p)
		}
	}
	return down, keep
}

// mapThrough rewrites p over the columns that m defines, or reports false
// when p reads a column m does not define or whose definition is volatile.
func mapThrough(p logical.Expr, m map[logical.ColumnID]logical.Expr) (logical.Expr, bool) {
	if !IsDeterministic(p) {
		return nil, false
	}
	for id := range ReferencedColumns(p) {
		e, ok := m[id]
		if !ok || !IsDeterministic(e) {
			return nil, false
		}
	}
	return substitute(p, m), true
}

func pushProject(x *logical.Project, preds []logical.Expr) (logical.Node, error) {
	m := make(map[logical.ColumnID]logical.Expr, len(x.Cols))
	for i, c := range x.Cols {
		if i < len(x.Exprs) {
			m[c.ID] = x.Exprs[i]
		}
	}
	var down, keep []logical.Expr
	for _, p := range preds {
		if q, ok := mapThrough(p, m); ok {
			down = append(down, q)
		} else {
			keep = append(keep, p)
		}
	}
	in, err := pushDown(x.Input, down)
	if err != nil {
		return nil, err
	}
	return rebuildWrap(x, keep, in)
}

func pushUnion(x *logical.Union, preds []logical.Expr) (logical.Node, error) {
	down, keep := splitMovable(preds)
	for _, in := range x.Inputs {
		if len(in.Schema()) != len(x.Cols) {
			down, keep = nil, preds // malformed union: leave the filter above
		}
	}
	inputs := make([]logical.Node, len(x.Inputs))
	for i, in := range x.Inputs {
		var mine []logical.Expr
		if len(down) > 0 {
			m := make(map[logical.ColumnID]logical.Expr, len(x.Cols))
			for j, c := range in.Schema() {
				m[x.Cols[j].ID] = retype(colRef(c), x.Cols[j].Type)
			}
			for _, p := range down {
				mine = append(mine, substitute(p, m))
			}
		}
		nin, err := pushDown(in, mine)
		if err != nil {
			return nil, err
		}
		inputs[i] = nin
	}
	return rebuildWrap(x, keep, inputs...)
}

func pushAggregate(x *logical.Aggregate, preds []logical.Expr) (logical.Node, error) {
	var down, keep []logical.Expr
	if len(x.GroupBy) == 0 {
		// Without GROUP BY the aggregate yields a row even for no input, so
		// no predicate may pass it.
		keep = preds
	} else {
		m := make(map[logical.ColumnID]logical.Expr, len(x.GroupCols))
		for i, c := range x.GroupCols {
			if i < len(x.GroupBy) {
				m[c.ID] = x.GroupBy[i]
			}
		}
		for _, p := range preds {
			if q, ok := mapThrough(p, m); ok {
				down = append(down, q)
			} else {
				keep = append(keep, p)
			}
		}
	}
	in, err := pushDown(x.Input, down)
	if err != nil {
		return nil, err
	}
	return rebuildWrap(x, keep, in)
}

func pushScan(x *logical.Scan, preds []logical.Expr) logical.Node {
	var add []logical.Expr
	for _, p := range preds {
		if IsDeterministic(p) && !hasSubquery(p) && !containsExpr(x.Filters, p) && !containsExpr(add, p) {
			add = append(add, p)
		}
	}
	var n logical.Node = x
	if len(add) > 0 {
		c := *x
		c.Filters = append(append([]logical.Expr{}, x.Filters...), add...)
		n = &c
	}
	return wrapFilter(n, preds)
}
