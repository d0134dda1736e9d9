package physical

import (
	"context"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/planner/logical"
)

// sorted plans a Sort (count < 0) or a TopN over input.
func (p *Planner) sorted(ctx context.Context, input logical.Node, keys []logical.SortKey, count, offset int64) (*operators.Stage, error) {
	in, err := p.Build(ctx, input)
	if err != nil {
		return nil, err
	}
	exprs := make([]logical.Expr, len(keys))
	for i, k := range keys {
		exprs[i] = k.Expr
	}
	inCols := input.Schema()
	st, cols, idx, err := p.withComputed(ctx, in, inCols, exprs)
	if err != nil {
		return nil, err
	}
	sk := make([]operators.SortKey, len(keys))
	for i, k := range keys {
		sk[i] = operators.SortKey{Col: idx[i], Desc: k.Desc, NullsFirst: k.NullsFirst}
	}
	if count < 0 {
		st = unary("Sort", operators.NewSort(Schema(cols), sk), st)
	} else {
		st = unary("TopN", operators.NewTopN(Schema(cols), sk, count, offset), st)
	}
	return p.dropTo(ctx, st, cols, len(inCols))
}
