package physical

import (
	"context"
	"fmt"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/planner/logical"
)

// sorted plans a Sort (count < 0) or a TopN over input.
func (p *Planner) sorted(ctx context.Context, input logical.Node, keys []logical.SortKey, count, offset int64) (*operators.Stage, error) {
	if count >= 0 {
		p.hintTopN(input, keys, count+offset)
	}
	if count >= 0 {
		if scan, parts := p.splittable(input); parts > 1 {
			return p.parallelTopN(ctx, input, keys, count, offset, scan, parts)
		}
	}
	in, err := p.Build(ctx, input)
	if err != nil {
		return nil, err
	}
	inCols := input.Schema()
	st, cols, sk, err := p.sortKeysOf(ctx, in, inCols, keys)
	if err != nil {
		return nil, err
	}
	if count < 0 {
		st = unary("Sort", operators.NewSort(Schema(cols), sk), st)
	} else {
		st = unary("TopN", operators.NewTopN(Schema(cols), sk, count, offset), st)
	}
	return p.dropTo(ctx, st, cols, len(inCols))
}

// sortKeysOf makes the sort keys columns of in and maps them to positions.
func (p *Planner) sortKeysOf(ctx context.Context, in *operators.Stage, inCols []logical.Column, keys []logical.SortKey) (*operators.Stage, []logical.Column, []operators.SortKey, error) {
	exprs := make([]logical.Expr, len(keys))
	for i, k := range keys {
		exprs[i] = k.Expr
	}
	st, cols, idx, err := p.withComputed(ctx, in, inCols, exprs)
	if err != nil {
		return nil, nil, nil, err
	}
	sk := make([]operators.SortKey, len(keys))
	for i, k := range keys {
		sk[i] = operators.SortKey{Col: idx[i], Desc: k.Desc, NullsFirst: k.NullsFirst}
	}
	return st, cols, sk, nil
}

// parallelTopN keeps the best count+offset rows of each share of scan on
// its own goroutine, then picks the final rows from those. The gather
// feeds partitions in order, so ties resolve the same way on every run.
func (p *Planner) parallelTopN(ctx context.Context, input logical.Node, keys []logical.SortKey, count, offset int64, scan *logical.Scan, parts int) (*operators.Stage, error) {
	gather := &operators.Stage{Name: fmt.Sprintf("Gather (%d partitions)", parts), Parallel: true}
	var cols []logical.Column
	var sk []operators.SortKey
	for i := 0; i < parts; i++ {
		p.part = &partition{scan: scan, index: i, count: parts}
		in, err := p.Build(ctx, input)
		p.part = nil
		if err != nil {
			return nil, err
		}
		var st *operators.Stage
		if st, cols, sk, err = p.sortKeysOf(ctx, in, input.Schema(), keys); err != nil {
			return nil, err
		}
		gather.Inputs = append(gather.Inputs, unary("PartialTopN", operators.NewTopN(Schema(cols), sk, count+offset, 0), st))
	}
	gather.Op = operators.NewUnion(Schema(cols), parts)
	st := unary("TopN", operators.NewTopN(Schema(cols), sk, count, offset), gather)
	return p.dropTo(ctx, st, cols, len(input.Schema()))
}

// hintTopN tells the scan under a top-N which rows the top-N keeps
// (catalog.ScanRequest.TopN), when the scan's rows reach the sort
// unfiltered and the sort key is one of its columns.
func (p *Planner) hintTopN(input logical.Node, keys []logical.SortKey, limit int64) {
	if len(keys) != 1 {
		return
	}
	ref, ok := keys[0].Expr.(*logical.ColumnRef)
	if !ok {
		return
	}
	for {
		switch x := input.(type) {
		case *logical.Project:
			found := false
			for i, c := range x.Cols {
				if c.ID == ref.ID {
					r, ok := x.Exprs[i].(*logical.ColumnRef)
					if !ok {
						return
					}
					ref, found = r, true
					break
				}
			}
			if !found {
				return
			}
			input = x.Input
		case *logical.Scan:
			if len(x.Filters) > 0 {
				return
			}
			for i, c := range x.Cols {
				if c.ID == ref.ID {
					if p.topN == nil {
						p.topN = map[*logical.Scan]*catalog.TopNHint{}
					}
					p.topN[x] = &catalog.TopNHint{Column: x.Ordinals[i], Desc: keys[0].Desc, NullsFirst: keys[0].NullsFirst, Limit: limit}
				}
			}
			return
		default:
			return
		}
	}
}
