package physical

import (
	"context"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

// rowNumber plans ROW_NUMBER() over a bounded input: sort by the
// partition keys then the window's order, number, drop the sort columns.
func (p *Planner) rowNumber(ctx context.Context, n *logical.RowNumber) (*operators.Stage, error) {
	in, err := p.Build(ctx, n.Input)
	if err != nil {
		return nil, err
	}
	keys := make([]logical.SortKey, 0, len(n.Partition)+len(n.Order))
	for _, e := range n.Partition {
		keys = append(keys, logical.SortKey{Expr: e})
	}
	keys = append(keys, n.Order...)
	inCols := n.Input.Schema()
	st, cols, sk, err := p.sortKeysOf(ctx, in, inCols, keys)
	if err != nil {
		return nil, err
	}
	if len(sk) > 0 {
		st = unary("Sort", operators.NewSort(Schema(cols), sk), st)
	}
	part := make([]int, len(n.Partition))
	for i := range part {
		part[i] = sk[i].Col
	}
	st = unary("RowNumber", operators.NewRowNumber(Schema(cols), part, n.Col.Name), st)
	have := append(append([]logical.Column{}, cols...), logical.Column{ID: n.Col.ID, Name: n.Col.Name, Type: types.BigintType})
	exprs := make([]logical.Expr, 0, len(inCols)+1)
	for _, c := range n.Schema() {
		exprs = append(exprs, &logical.ColumnRef{ID: c.ID, Name: c.Name, T: c.Type})
	}
	return p.project(ctx, "Project", st, have, exprs, n.Schema())
}
