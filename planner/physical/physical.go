// Package physical turns an optimized logical plan into a tree of
// operator stages that exec runs: it assigns column positions to ids,
// compiles expressions, extracts join keys and adds the small projections
// operators need (computed group keys, sort keys, join keys).
package physical

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/rules"
	"github.com/streamsql/streamsql/planner/types"
)

// SubqueryRunner evaluates an uncorrelated scalar subquery to its value
// (nil when it yields no row); the engine supplies it because running a
// plan needs exec.
type SubqueryRunner func(ctx context.Context, plan logical.Node) (any, error)

// Planner builds stages for one query.
type Planner struct {
	Ctx      *expr.Context
	Subquery SubqueryRunner
	// ByNode records the stages that produce each logical node's output
	// (one per parallel partition), for EXPLAIN ANALYZE.
	ByNode map[logical.Node][]*operators.Stage
	// Parallelism caps the partitions a scan is split into; 0 means
	// GOMAXPROCS, 1 runs everything on one goroutine.
	Parallelism int
	hidden      logical.ColumnID // last id given to a planner-made column (negative)
	part        *partition       // the scan being split while building a partition
	depth       int              // nesting of Build calls
	// held are the sources built so far that own Arrow memory (VALUES);
	// the stage tree takes them over when Build succeeds, and they are
	// released when it fails.
	held []interface{ Release() }
	// stream is set while BuildStream plans a streaming query.
	stream *streamState
	// topN holds the TopN hints of scans feeding a top-N directly.
	topN map[*logical.Scan]*catalog.TopNHint
}

// New returns a planner evaluating expressions in ectx.
func New(ectx *expr.Context, sub SubqueryRunner) *Planner {
	return &Planner{Ctx: ectx, Subquery: sub, ByNode: map[logical.Node][]*operators.Stage{}}
}

// Schema is the Arrow schema of a logical node's output.
func Schema(cols []logical.Column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = types.Field(c.Name, c.Type, true)
	}
	return arrow.NewSchema(fields, nil)
}

func layoutOf(cols []logical.Column) expr.Layout {
	l := make(expr.Layout, len(cols))
	for i, c := range cols {
		l[c.ID] = i
	}
	return l
}

// Build plans n and everything below it. On success the caller owns the
// returned tree (exec releases its sources when the run ends); on error
// nothing is left to release.
func (p *Planner) Build(ctx context.Context, n logical.Node) (*operators.Stage, error) {
	p.depth++
	s, err := p.build(ctx, n)
	p.depth--
	if p.depth == 0 {
		held := p.held
		p.held = nil
		if err != nil {
			for _, h := range held {
				h.Release()
			}
		}
	}
	if err != nil {
		return nil, err
	}
	p.ByNode[n] = append(p.ByNode[n], s)
	return s, nil
}

func (p *Planner) build(ctx context.Context, n logical.Node) (*operators.Stage, error) {
	if p.stream != nil {
		if st, ok, err := p.buildStream(ctx, n); ok {
			return st, err
		}
	}
	switch n := n.(type) {
	case *logical.Scan:
		return p.scan(n), nil
	case *logical.Values:
		return p.values(ctx, n)
	case *logical.Filter:
		in, err := p.Build(ctx, n.Input)
		if err != nil {
			return nil, err
		}
		pred, err := p.compile(ctx, n.Pred, n.Input.Schema())
		if err != nil {
			return nil, err
		}
		return unary("Filter", operators.NewFilter(Schema(n.Schema()), pred, p.Ctx), in), nil
	case *logical.Project:
		in, err := p.Build(ctx, n.Input)
		if err != nil {
			return nil, err
		}
		return p.project(ctx, "Project", in, n.Input.Schema(), n.Exprs, n.Cols)
	case *logical.Aggregate:
		return p.aggregate(ctx, n)
	case *logical.Sort:
		return p.sorted(ctx, n.Input, n.Keys, -1, 0)
	case *logical.TopN:
		return p.sorted(ctx, n.Input, n.Keys, n.Count, n.Offset)
	case *logical.Limit:
		in, err := p.Build(ctx, n.Input)
		if err != nil {
			return nil, err
		}
		return unary("Limit", operators.NewLimit(Schema(n.Schema()), n.Count, n.Offset), in), nil
	case *logical.Join:
		return p.join(ctx, n)
	case *logical.RowNumber:
		return p.rowNumber(ctx, n)
	case *logical.Union:
		st := &operators.Stage{Name: "Union", Op: operators.NewUnion(Schema(n.Cols), len(n.Inputs))}
		for _, in := range n.Inputs {
			s, err := p.Build(ctx, in)
			if err != nil {
				return nil, err
			}
			st.Inputs = append(st.Inputs, s)
		}
		return st, nil
	case *logical.Distinct:
		in, err := p.Build(ctx, n.Input)
		if err != nil {
			return nil, err
		}
		return unary("Distinct", operators.NewDistinct(Schema(n.Schema())), in), nil
	}
	return nil, fmt.Errorf("planning %T: no physical operator", n)
}

func unary(name string, op operators.Operator, in *operators.Stage) *operators.Stage {
	return &operators.Stage{Name: name, Op: op, Inputs: []*operators.Stage{in}}
}

func (p *Planner) scan(n *logical.Scan) *operators.Stage {
	req := catalog.ScanRequest{Columns: n.Ordinals, Filters: rules.ScanPredicates(n), Limit: n.Limit, TopN: p.topN[n]}
	name := "Scan " + n.Name
	if p.part != nil && p.part.scan == n {
		req.Partition, req.Partitions = p.part.index, p.part.count
		name += fmt.Sprintf(" (partition %d of %d)", p.part.index+1, p.part.count)
	}
	table := n.Table
	open := func(ctx context.Context, mem memory.Allocator) (catalog.BatchReader, error) {
		r := req
		r.Alloc = mem
		return table.Scan(ctx, r)
	}
	return &operators.Stage{Name: name, Source: operators.NewScanSource(Schema(n.Cols), open)}
}

// compile compiles e over the columns cols, first replacing scalar
// subqueries by their values.
func (p *Planner) compile(ctx context.Context, e logical.Expr, cols []logical.Column) (expr.Evaluator, error) {
	e, err := p.resolveSubqueries(ctx, e)
	if err != nil {
		return nil, err
	}
	return expr.Compile(e, layoutOf(cols)) // its errors name the expression

}

func (p *Planner) resolveSubqueries(ctx context.Context, e logical.Expr) (logical.Expr, error) {
	var firstErr error
	out := rules.RewriteExpr(e, func(x logical.Expr) logical.Expr {
		sq, ok := x.(*logical.Subquery)
		if !ok || firstErr != nil {
			return x
		}
		if p.Subquery == nil {
			firstErr = fmt.Errorf("planning subquery: no runner")
			return x
		}
		v, err := p.Subquery(ctx, sq.Plan)
		if err != nil {
			firstErr = fmt.Errorf("evaluating subquery: %w", err)
			return x
		}
		return &logical.Literal{Value: v, T: sq.T}
	})
	return out, firstErr
}

// project adds a Project stage computing exprs over in (whose columns are
// inCols) into outCols.
func (p *Planner) project(ctx context.Context, name string, in *operators.Stage, inCols []logical.Column, exprs []logical.Expr, outCols []logical.Column) (*operators.Stage, error) {
	evs := make([]expr.Evaluator, len(exprs))
	for i, e := range exprs {
		ev, err := p.compile(ctx, e, inCols)
		if err != nil {
			return nil, err
		}
		evs[i] = ev
	}
	return unary(name, operators.NewProject(Schema(inCols), Schema(outCols), evs, p.Ctx), in), nil
}
