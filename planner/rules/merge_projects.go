package rules

import (
	"github.com/streamsql/streamsql/planner/logical"
)

// MergeProjects fuses a Project directly over another Project into one,
// substituting the inner expressions into the outer ones. It does so only
// when no work is duplicated: every inner column the outer expressions
// read is either cheap (a column reference, literal or parameter) or read
// once.
type MergeProjects struct{}

// Name implements Rule.
func (MergeProjects) Name() string { return "merge_projects" }

// Apply implements Rule.
func (MergeProjects) Apply(n logical.Node, _ *Context) (logical.Node, bool, error) {
	out, _, err := TransformUp(n, func(x logical.Node) (logical.Node, bool, error) {
		outer, ok := x.(*logical.Project)
		if !ok {
			return x, false, nil
		}
		inner, ok := outer.Input.(*logical.Project)
		if !ok || len(inner.Exprs) != len(inner.Cols) {
			return x, false, nil
		}
		m, ok := mergeable(outer, inner)
		if !ok {
			return x, false, nil
		}
		exprs := make([]logical.Expr, len(outer.Exprs))
		for i, e := range outer.Exprs {
			exprs[i] = substitute(e, m)
		}
		return &logical.Project{Input: inner.Input, Exprs: exprs, Cols: outer.Cols}, true, nil
	})
	if err != nil {
		return n, false, err
	}
	return changedResult(n, out)
}

// mergeable returns the inner column definitions when substituting them
// into the outer expressions duplicates no work.
func mergeable(outer, inner *logical.Project) (map[logical.ColumnID]logical.Expr, bool) {
	m := make(map[logical.ColumnID]logical.Expr, len(inner.Cols))
	for i, c := range inner.Cols {
		m[c.ID] = inner.Exprs[i]
	}
	uses := map[logical.ColumnID]int{}
	for _, e := range outer.Exprs {
		walkExpr(e, func(x logical.Expr) {
			if r, ok := x.(*logical.ColumnRef); ok {
				uses[r.ID]++
			}
		})
	}
	for id, k := range uses {
		e, ok := m[id]
		if !ok {
			return nil, false // reads a column the inner project does not make
		}
		if k > 1 && !cheap(e) {
			return nil, false
		}
	}
	return m, true
}

func cheap(e logical.Expr) bool {
	switch e.(type) {
	case *logical.ColumnRef, *logical.Literal, *logical.Param:
		return true
	}
	return false
}
