package operators

import (
	"bytes"
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// RowNumber appends ROW_NUMBER() over input sorted by its partition
// columns (then the window's order): numbering restarts at 1 whenever the
// partition key changes. One input; output = input columns + a BIGINT.
type RowNumber struct {
	schema *arrow.Schema
	part   []int
	mem    memory.Allocator
	keys   RowKeys
	last   []byte
	n      int64
	seen   bool
}

// NewRowNumber numbers rows of input (schema in) by partition columns
// part, naming the new column name.
func NewRowNumber(in *arrow.Schema, part []int, name string) *RowNumber {
	fields := append(append([]arrow.Field{}, in.Fields()...), arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64})
	return &RowNumber{schema: arrow.NewSchema(fields, nil), part: part}
}

// Schema implements Operator.
func (r *RowNumber) Schema() *arrow.Schema { return r.schema }

// Open implements Operator.
func (r *RowNumber) Open(_ context.Context, mem memory.Allocator) error {
	r.mem = mem
	return nil
}

// ProcessBatch implements Operator.
func (r *RowNumber) ProcessBatch(_ context.Context, _ int, b arrow.RecordBatch, emit Emit) error {
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	cols := make([]arrow.Array, len(r.part))
	for i, c := range r.part {
		cols[i] = b.Column(c)
	}
	if len(cols) > 0 {
		if err := r.keys.Encode(cols); err != nil {
			return fmt.Errorf("numbering rows: %w", err)
		}
	}
	bld := array.NewInt64Builder(r.mem)
	defer bld.Release()
	bld.Reserve(n)
	for i := 0; i < n; i++ {
		var k []byte
		if len(cols) > 0 {
			k = r.keys.Row(i)
		}
		if !r.seen || !bytes.Equal(k, r.last) {
			r.n, r.seen = 0, true
			r.last = append(r.last[:0], k...)
		}
		r.n++
		bld.UnsafeAppend(r.n)
	}
	num := bld.NewArray()
	defer num.Release()
	out := append(append([]arrow.Array{}, b.Columns()...), num)
	return emit(array.NewRecordBatch(r.schema, out, int64(n)))
}

// EndOfInput implements Operator.
func (r *RowNumber) EndOfInput(context.Context, int, Emit) error { return nil }

// Close implements Operator.
func (r *RowNumber) Close() error { return nil }
