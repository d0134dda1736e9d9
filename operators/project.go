package operators

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators/expr"
)

// Project emits, for each input batch, a batch of schema out whose columns
// are the evaluated expressions.
type Project struct {
	in, out *arrow.Schema
	exprs   []expr.Evaluator
	ectx    *expr.Context
	opened  bool
}

var _ Operator = (*Project)(nil)

// NewProject returns a projection from batches of schema in to batches of
// schema out, whose i-th column is exprs[i]. ectx may be nil; its Mem is
// replaced by the allocator given to Open.
func NewProject(in, out *arrow.Schema, exprs []expr.Evaluator, ectx *expr.Context) *Project {
	return &Project{in: in, out: out, exprs: exprs, ectx: ectx}
}

// Schema implements Operator.
func (p *Project) Schema() *arrow.Schema { return p.out }

// Open implements Operator.
func (p *Project) Open(ctx context.Context, mem memory.Allocator) error {
	if len(p.exprs) != p.out.NumFields() {
		return fmt.Errorf("opening projection: %d expressions for %d columns", len(p.exprs), p.out.NumFields())
	}
	p.ectx = filterExprContext(p.ectx, mem)
	p.opened = true
	return nil
}

// ProcessBatch implements Operator.
func (p *Project) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit Emit) error {
	if !p.opened {
		if err := p.Open(ctx, nil); err != nil {
			return err
		}
	}
	n := b.NumRows()
	if n == 0 {
		return nil
	}
	cols := make([]arrow.Array, len(p.exprs))
	defer releaseAll(cols)
	for i, e := range p.exprs {
		arr, err := e.Eval(p.ectx, b)
		if err != nil {
			return fmt.Errorf("evaluating column %s: %w", p.out.Field(i).Name, err)
		}
		cols[i] = arr
		if int64(arr.Len()) != n {
			return fmt.Errorf("evaluating column %s: got %d rows, want %d", p.out.Field(i).Name, arr.Len(), n)
		}
		if want := p.out.Field(i).Type; !arrow.TypeEqual(arr.DataType(), want) {
			return fmt.Errorf("evaluating column %s: got type %s, want %s", p.out.Field(i).Name, arr.DataType(), want)
		}
	}
	return emit(array.NewRecordBatch(p.out, cols, n))
}

// EndOfInput implements Operator.
func (p *Project) EndOfInput(ctx context.Context, input int, emit Emit) error { return nil }

// Close implements Operator.
func (p *Project) Close() error { return nil }
