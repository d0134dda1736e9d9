// Package expr compiles bound logical expressions into vectorized
// evaluators over Arrow batches, and holds the kernels of every scalar
// function in planner/functions.
package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

// Context is what an evaluation may depend on besides its input batch.
type Context struct {
	Mem memory.Allocator
	// Now is the statement's fixed NOW(), in µs since the epoch: every
	// call in one query sees the same instant.
	Now int64
}

// Evaluator computes one expression over a batch.
//
// Eval returns an array with b.NumRows() rows, owned by the caller (Release
// it). b is borrowed. Evaluators are immutable after Compile and safe for
// concurrent use. Runtime faults (division by zero, a failed CAST) are
// returned as errors naming the function and the offending value.
type Evaluator interface {
	Eval(ctx *Context, b arrow.RecordBatch) (arrow.Array, error)
	Type() types.Type
}

// Layout maps the column ids an expression references to the positions of
// those columns in the batches it will see.
type Layout map[logical.ColumnID]int
