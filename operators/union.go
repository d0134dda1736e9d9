package operators

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Union implements UNION ALL: it passes the batches of every input through,
// re-labelled with the union's schema (the inputs' column types must equal
// the union's).
type Union struct {
	schema *arrow.Schema
	inputs int
}

var _ Operator = (*Union)(nil)

// NewUnion returns a UNION ALL of inputs inputs.
func NewUnion(schema *arrow.Schema, inputs int) *Union {
	return &Union{schema: schema, inputs: inputs}
}

// Schema implements Operator.
func (u *Union) Schema() *arrow.Schema { return u.schema }

// Open implements Operator.
func (u *Union) Open(ctx context.Context, mem memory.Allocator) error { return nil }

// ProcessBatch implements Operator.
func (u *Union) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit Emit) error {
	if input < 0 || input >= u.inputs {
		return fmt.Errorf("unioning batch: input %d out of range [0, %d)", input, u.inputs)
	}
	if b.NumRows() == 0 {
		return nil
	}
	out, err := RelabelBatch(u.schema, b)
	if err != nil {
		return fmt.Errorf("unioning input %d: %w", input, err)
	}
	return emit(out)
}

// EndOfInput implements Operator.
func (u *Union) EndOfInput(ctx context.Context, input int, emit Emit) error { return nil }

// Close implements Operator.
func (u *Union) Close() error { return nil }
