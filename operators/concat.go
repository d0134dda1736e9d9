package operators

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ConcatBatches concatenates batches (borrowed) into one new batch owned by
// the caller, with schema s (nil: the first batch's schema). Every batch
// must have s's column types. With no batches, or only empty ones, the
// result is an empty batch of schema s.
func ConcatBatches(mem memory.Allocator, s *arrow.Schema, batches []arrow.RecordBatch) (arrow.RecordBatch, error) {
	if s == nil {
		if len(batches) == 0 {
			return nil, fmt.Errorf("concatenating batches: no schema and no batches")
		}
		s = batches[0].Schema()
	}
	var rows int64
	nonEmpty := batches[:0:0]
	for _, b := range batches {
		if err := CheckBatchTypes(s, b); err != nil {
			return nil, fmt.Errorf("concatenating batches: %w", err)
		}
		if b.NumRows() > 0 {
			nonEmpty = append(nonEmpty, b)
			rows += b.NumRows()
		}
	}
	switch len(nonEmpty) {
	case 0:
		return EmptyBatch(mem, s), nil
	case 1:
		return RelabelBatch(s, nonEmpty[0])
	}
	cols := make([]arrow.Array, s.NumFields())
	defer releaseAll(cols)
	parts := make([]arrow.Array, len(nonEmpty))
	for c := range cols {
		for i, b := range nonEmpty {
			parts[i] = b.Column(c)
		}
		arr, err := array.Concatenate(parts, mem)
		if err != nil {
			return nil, fmt.Errorf("concatenating column %s: %w", s.Field(c).Name, err)
		}
		cols[c] = arr
	}
	return array.NewRecordBatch(s, cols, rows), nil
}

// EmptyBatch returns a batch of schema s with no rows, owned by the caller.
func EmptyBatch(mem memory.Allocator, s *arrow.Schema) arrow.RecordBatch {
	cols := make([]arrow.Array, s.NumFields())
	defer releaseAll(cols)
	for i, f := range s.Fields() {
		cols[i] = array.MakeArrayOfNull(mem, f.Type, 0)
	}
	return array.NewRecordBatch(s, cols, 0)
}

// CheckBatchTypes reports an error unless b has exactly s's column types
// (names and nullability are not compared).
func CheckBatchTypes(s *arrow.Schema, b arrow.RecordBatch) error {
	if int(b.NumCols()) != s.NumFields() {
		return fmt.Errorf("checking batch: it has %d columns, want %d", b.NumCols(), s.NumFields())
	}
	for i, f := range s.Fields() {
		if dt := b.Column(i).DataType(); !arrow.TypeEqual(dt, f.Type) {
			return fmt.Errorf("checking batch: column %s has type %s, want %s", f.Name, dt, f.Type)
		}
	}
	return nil
}

// RelabelBatch returns b (borrowed) under schema s as a new reference owned
// by the caller, sharing b's arrays. When b already has schema s it is
// simply retained. The column types must match s.
func RelabelBatch(s *arrow.Schema, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	if b.Schema() == s {
		b.Retain()
		return b, nil
	}
	if err := CheckBatchTypes(s, b); err != nil {
		return nil, fmt.Errorf("relabelling batch: %w", err)
	}
	return array.NewRecordBatch(s, b.Columns(), b.NumRows()), nil
}
