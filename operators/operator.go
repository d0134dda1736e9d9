// Package operators holds streamsql's vectorized operators: each consumes
// Arrow record batches pushed to it by the exec runtime and emits batches
// downstream. Kernels are our own typed Go loops (no arrow/compute, which
// would bloat the WebAssembly build of the engine).
package operators

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Emit hands a batch downstream. Ownership moves to the callee, which
// releases it; the caller must not touch the batch afterwards. An error
// from Emit (e.g. a LIMIT that is satisfied reports ErrDone, or a cancelled
// query) must be returned by the operator unchanged.
type Emit func(b arrow.RecordBatch) error

// Operator is a push-based operator.
//
// Lifecycle: Open once; then, for each input, any number of ProcessBatch
// calls followed by one EndOfInput; then Close (always, also after errors).
// In batch mode exec delivers inputs in index order, each completely
// (through its EndOfInput) before the next begins, so a hash join reads its
// build side as input 0. Calls on one operator are never concurrent.
//
// Batches passed to ProcessBatch are borrowed: valid only during the call,
// so an operator that keeps one must Retain it (and later Release).
// Emitted batches belong to the receiver. Operators allocate from the
// allocator given to Open and must have released everything they hold by
// the time Close returns.
type Operator interface {
	// Schema of the emitted batches.
	Schema() *arrow.Schema
	Open(ctx context.Context, mem memory.Allocator) error
	ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit Emit) error
	// EndOfInput says input will send nothing more; after the last input
	// ends, blocking operators (aggregate, sort, join) emit their results.
	EndOfInput(ctx context.Context, input int, emit Emit) error
	Close() error
}

// ErrDone is returned through Emit by a downstream operator that needs no
// more rows (a satisfied LIMIT). Producers stop early and treat it as
// success; exec swallows it at the top.
var ErrDone = doneError{}

type doneError struct{}

func (doneError) Error() string { return "operator needs no more input" }
