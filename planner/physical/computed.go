package physical

import (
	"context"
	"fmt"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/planner/explain"
	"github.com/streamsql/streamsql/planner/logical"
)

// withComputed makes every expression in exprs available as a column:
// column references map to their existing positions; anything else is
// computed by a Project appended after the input's own columns. It
// returns the (possibly new) stage, its columns and each expression's
// position.
func (p *Planner) withComputed(ctx context.Context, in *operators.Stage, inCols []logical.Column, exprs []logical.Expr) (*operators.Stage, []logical.Column, []int, error) {
	layout := layoutOf(inCols)
	idx := make([]int, len(exprs))
	var extra []logical.Expr
	for i, e := range exprs {
		if ref, ok := e.(*logical.ColumnRef); ok {
			if pos, ok := layout[ref.ID]; ok {
				idx[i] = pos
				continue
			}
		}
		idx[i] = len(inCols) + len(extra)
		extra = append(extra, e)
	}
	if len(extra) == 0 {
		return in, inCols, idx, nil
	}
	all := make([]logical.Expr, 0, len(inCols)+len(extra))
	cols := append([]logical.Column{}, inCols...)
	for _, c := range inCols {
		all = append(all, &logical.ColumnRef{ID: c.ID, Name: c.Name, T: c.Type})
	}
	for _, e := range extra {
		all = append(all, e)
		// Hidden columns get negative ids so they never collide with bound
		// ones, and the expression as their name, which is what an error
		// evaluating them shows.
		p.hidden--
		cols = append(cols, logical.Column{ID: p.hidden, Name: hiddenName(e), Type: e.Type(), Nullable: true})
	}
	st, err := p.project(ctx, "Project", in, inCols, all, cols)
	if err != nil {
		return nil, nil, nil, err
	}
	return st, cols, idx, nil
}

// hiddenName names a computed column after its expression.
func hiddenName(e logical.Expr) string {
	name := explain.StripIDs(fmt.Sprint(e))
	if r := []rune(name); len(r) > 60 {
		name = string(r[:59]) + "…"
	}
	return name
}

// dropTo projects stage (with columns have) down to the first n columns.
func (p *Planner) dropTo(ctx context.Context, st *operators.Stage, have []logical.Column, n int) (*operators.Stage, error) {
	if len(have) == n {
		return st, nil
	}
	exprs := make([]logical.Expr, n)
	for i, c := range have[:n] {
		exprs[i] = &logical.ColumnRef{ID: c.ID, Name: c.Name, T: c.Type}
	}
	return p.project(ctx, "Project", st, have, exprs, have[:n])
}
