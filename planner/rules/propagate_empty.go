package rules

import (
	"github.com/streamsql/streamsql/planner/logical"
)

// PropagateEmpty replaces operators over an empty relation (a Values
// without rows, e.g. from `WHERE false` or `LIMIT 0`) by an empty Values
// with their schema:
//
//   - Filter, Project, Sort, Limit, TopN, Distinct, and an Aggregate with
//     GROUP BY over an empty input are empty (an Aggregate without GROUP BY
//     still yields its one row);
//   - Inner, Cross and Semi joins with an empty side, Left/Anti joins with
//     an empty left, Right joins with an empty right and Full joins with
//     both sides empty are empty;
//   - an outer join whose other side is empty becomes a Project padding
//     the preserved side with typed NULLs; an Anti join with an empty right
//     is its left input;
//   - a Union drops its empty inputs; with none left it is empty, with one
//     left it becomes a Project renaming that input's columns to the
//     union's ids.
type PropagateEmpty struct{}

// Name implements Rule.
func (PropagateEmpty) Name() string { return "propagate_empty" }

// Apply implements Rule.
func (PropagateEmpty) Apply(n logical.Node, _ *Context) (logical.Node, bool, error) {
	out, _, err := TransformUp(n, func(x logical.Node) (logical.Node, bool, error) {
		return propagateEmpty(x), true, nil
	})
	if err != nil {
		return n, false, err
	}
	return changedResult(n, out)
}

func propagateEmpty(n logical.Node) logical.Node {
	switch x := n.(type) {
	case *logical.Filter, *logical.Project, *logical.Sort, *logical.Limit, *logical.TopN, *logical.Distinct:
		if isEmpty(x.Children()[0]) {
			return emptyValues(x.Schema())
		}
	case *logical.Aggregate:
		if len(x.GroupBy) > 0 && isEmpty(x.Input) {
			return emptyValues(x.Schema())
		}
	case *logical.Join:
		return emptyJoin(x)
	case *logical.Union:
		var keep []logical.Node
		for _, in := range x.Inputs {
			if !isEmpty(in) {
				keep = append(keep, in)
			}
		}
		switch {
		case len(keep) == 0:
			return emptyValues(x.Cols)
		case len(keep) == 1 && len(keep[0].Schema()) == len(x.Cols):
			in := keep[0]
			exprs := make([]logical.Expr, len(x.Cols))
			for i, c := range in.Schema() {
				exprs[i] = retype(colRef(c), x.Cols[i].Type)
			}
			return &logical.Project{Input: in, Exprs: exprs, Cols: append([]logical.Column{}, x.Cols...)}
		case len(keep) < len(x.Inputs):
			return &logical.Union{Inputs: keep, Cols: x.Cols}
		}
	}
	return n
}

func emptyJoin(j *logical.Join) logical.Node {
	le, re := isEmpty(j.Left), isEmpty(j.Right)
	if !le && !re {
		return j
	}
	switch j.Kind {
	case logical.InnerJoin, logical.CrossJoin, logical.SemiJoin:
		return emptyValues(j.Schema())
	case logical.AntiJoin:
		if le {
			return emptyValues(j.Schema())
		}
		return j.Left
	case logical.LeftJoin:
		if le {
			return emptyValues(j.Schema())
		}
		return padNulls(j.Left, j.Right.Schema(), false)
	case logical.RightJoin:
		if re {
			return emptyValues(j.Schema())
		}
		return padNulls(j.Right, j.Left.Schema(), true)
	case logical.FullJoin:
		switch {
		case le && re:
			return emptyValues(j.Schema())
		case re:
			return padNulls(j.Left, j.Right.Schema(), false)
		default:
			return padNulls(j.Right, j.Left.Schema(), true)
		}
	}
	return j
}

// padNulls projects kept's columns plus a typed NULL for each of nulls'
// columns, the NULLs first when before is set, keeping every id.
func padNulls(kept logical.Node, nulls []logical.Column, before bool) logical.Node {
	var exprs []logical.Expr
	var cols []logical.Column
	addNulls := func() {
		for _, c := range nulls {
			exprs = append(exprs, &logical.Literal{Value: nil, T: c.Type})
			c.Nullable = true
			cols = append(cols, c)
		}
	}
	if before {
		addNulls()
	}
	for _, c := range kept.Schema() {
		exprs = append(exprs, colRef(c))
		cols = append(cols, c)
	}
	if !before {
		addNulls()
	}
	return &logical.Project{Input: kept, Exprs: exprs, Cols: cols}
}
