package physical

import (
	"context"
	"fmt"
	"runtime"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/planner/logical"
)

// partition says which share of which scan a plan copy reads.
type partition struct {
	scan         *logical.Scan
	index, count int
}

// splittable finds the scan that drives n when n is a pipeline that can
// run as independent copies over shares of that scan: filters and
// projections over the scan, and joins whose left (probe) side is such a
// pipeline and that emit nothing for unmatched right rows (so each copy
// may build its own right side). It returns the scan and the number of
// copies worth running, or 1.
func (p *Planner) splittable(n logical.Node) (*logical.Scan, int) {
	limit := p.Parallelism
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	if limit < 2 {
		return nil, 1
	}
	for {
		switch x := n.(type) {
		case *logical.Filter:
			n = x.Input
		case *logical.Project:
			n = x.Input
		case *logical.Join:
			switch x.Kind {
			case logical.InnerJoin, logical.LeftJoin, logical.SemiJoin, logical.AntiJoin, logical.CrossJoin:
				n = x.Left
			default:
				return nil, 1
			}
		case *logical.Scan:
			pt, ok := x.Table.(catalog.Partitioned)
			if !ok || x.Limit >= 0 {
				return nil, 1
			}
			return x, min(limit, pt.Partitions())
		default:
			return nil, 1
		}
	}
}

// parallelAggregate runs parts copies of the aggregate's input, each over
// a share of scan and ending in a partial aggregate, and merges their
// states in a final aggregate.
func (p *Planner) parallelAggregate(ctx context.Context, n *logical.Aggregate, scan *logical.Scan, parts int) (*operators.Stage, error) {
	gather := &operators.Stage{Name: fmt.Sprintf("Gather (%d partitions)", parts), Parallel: true}
	var plan aggPlan
	var input schemaStage
	for i := 0; i < parts; i++ {
		p.part = &partition{scan: scan, index: i, count: parts}
		in, err := p.Build(ctx, n.Input)
		p.part = nil
		if err != nil {
			return nil, err
		}
		if input, plan, err = p.aggInput(ctx, n, in); err != nil {
			return nil, err
		}
		partial, err := operators.NewHashAggregateMode(input.Schema, plan.groupCols, plan.names, plan.aggs, operators.AggPartial)
		if err != nil {
			return nil, err
		}
		gather.Inputs = append(gather.Inputs, unary("PartialHashAggregate", partial, input.Stage))
		if i == 0 {
			gather.Op = operators.NewUnion(partial.Schema(), parts)
		}
	}
	final, err := operators.NewHashAggregateMode(input.Schema, plan.groupCols, plan.names, plan.aggs, operators.AggFinal)
	if err != nil {
		return nil, err
	}
	return unary("HashAggregate", final, gather), nil
}
