package physical

import (
	"context"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/planner/logical"
)

func (p *Planner) aggregate(ctx context.Context, n *logical.Aggregate) (*operators.Stage, error) {
	in, err := p.Build(ctx, n.Input)
	if err != nil {
		return nil, err
	}
	// Every group key, aggregate argument and FILTER becomes a column.
	exprs := append([]logical.Expr{}, n.GroupBy...)
	for _, a := range n.Aggs {
		exprs = append(exprs, a.Args...)
		if a.Filter != nil {
			exprs = append(exprs, a.Filter)
		}
	}
	st, cols, idx, err := p.withComputed(ctx, in, n.Input.Schema(), exprs)
	if err != nil {
		return nil, err
	}
	groupCols := idx[:len(n.GroupBy)]
	names := make([]string, len(n.GroupCols))
	for i, c := range n.GroupCols {
		names[i] = c.Name
	}
	next := len(n.GroupBy)
	specs := make([]operators.AggSpec, len(n.Aggs))
	for i, a := range n.Aggs {
		spec := operators.AggSpec{Func: a.Func, Distinct: a.Distinct, Filter: -1, Name: n.AggCols[i].Name}
		spec.Args = idx[next : next+len(a.Args)]
		next += len(a.Args)
		if a.Filter != nil {
			spec.Filter = idx[next]
			next++
		}
		specs[i] = spec
	}
	op, err := operators.NewHashAggregate(Schema(cols), groupCols, names, specs)
	if err != nil {
		return nil, err
	}
	return unary("HashAggregate", op, st), nil
}
