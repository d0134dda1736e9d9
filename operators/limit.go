package operators

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Limit passes through at most limit rows after skipping offset rows
// (LIMIT/OFFSET without ORDER BY, or above an ordered input). Once it has
// emitted limit rows, ProcessBatch returns ErrDone so producers stop early.
type Limit struct {
	schema *arrow.Schema
	limit  int64 // -1: no limit
	offset int64

	skip int64 // offset rows still to skip
	left int64 // rows still to emit; -1: unlimited
}

var _ Operator = (*Limit)(nil)

// NewLimit returns a limit operator; limit -1 means no limit. A negative
// offset counts as 0.
func NewLimit(schema *arrow.Schema, limit, offset int64) *Limit {
	if limit < -1 {
		limit = -1
	}
	offset = max(offset, 0)
	return &Limit{schema: schema, limit: limit, offset: offset, skip: offset, left: limit}
}

// Schema implements Operator.
func (l *Limit) Schema() *arrow.Schema { return l.schema }

// Open implements Operator.
func (l *Limit) Open(ctx context.Context, mem memory.Allocator) error {
	l.skip, l.left = l.offset, l.limit
	return nil
}

// ProcessBatch implements Operator. The input is emitted as is, or as a
// zero-copy slice of it.
func (l *Limit) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit Emit) error {
	if l.left == 0 {
		return ErrDone
	}
	n := b.NumRows()
	start := min(l.skip, n)
	l.skip -= start
	end := n
	if l.left > 0 {
		end = min(n, start+l.left)
	}
	if end > start {
		if l.left > 0 {
			l.left -= end - start
		}
		var out arrow.RecordBatch
		if start == 0 && end == n {
			b.Retain()
			out = b
		} else {
			out = b.NewSlice(start, end)
		}
		if err := emit(out); err != nil {
			return err
		}
	}
	if l.left == 0 {
		return ErrDone
	}
	return nil
}

// EndOfInput implements Operator.
func (l *Limit) EndOfInput(ctx context.Context, input int, emit Emit) error { return nil }

// Close implements Operator.
func (l *Limit) Close() error { return nil }
