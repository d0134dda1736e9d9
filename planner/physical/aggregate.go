package physical

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/planner/logical"
)

func (p *Planner) aggregate(ctx context.Context, n *logical.Aggregate) (*operators.Stage, error) {
	if scan, parts := p.splittable(n.Input); parts > 1 {
		return p.parallelAggregate(ctx, n, scan, parts)
	}
	in, err := p.Build(ctx, n.Input)
	if err != nil {
		return nil, err
	}
	st, specs, err := p.aggInput(ctx, n, in)
	if err != nil {
		return nil, err
	}
	op, err := operators.NewHashAggregate(st.Schema, specs.groupCols, specs.names, specs.aggs)
	if err != nil {
		return nil, err
	}
	return unary("HashAggregate", op, st.Stage), nil
}

// aggPlan is what a hash aggregate over a prepared input needs.
type aggPlan struct {
	groupCols []int
	names     []string
	aggs      []operators.AggSpec
}

// schemaStage is a stage with the Arrow schema of its output.
type schemaStage struct {
	*operators.Stage
	Schema *arrow.Schema
}

// aggInput makes every group key, aggregate argument and FILTER of n a
// column of in, and describes the aggregate over the result.
func (p *Planner) aggInput(ctx context.Context, n *logical.Aggregate, in *operators.Stage) (schemaStage, aggPlan, error) {
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
		return schemaStage{}, aggPlan{}, err
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
	return schemaStage{st, Schema(cols)}, aggPlan{groupCols: groupCols, names: names, aggs: specs}, nil
}
