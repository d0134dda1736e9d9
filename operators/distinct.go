package operators

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators/agg"
)

// Distinct is a streaming SELECT DISTINCT over all columns of its one
// input: each batch's rows not seen before (NULL equal to NULL, -0 to 0,
// NaN to NaN) are emitted immediately, in input order; duplicates are
// dropped. It holds one copy of every distinct row's key in memory.
type Distinct struct {
	schema  *arrow.Schema
	mem     memory.Allocator
	table   *agg.GroupTable
	cols    []arrow.Array
	groups  []uint32
	newRows []int32
	seen    bool // zero-column input: a row was emitted
	opened  bool
}

var _ Operator = (*Distinct)(nil)

// NewDistinct makes a Distinct over batches of the input schema, which it
// also emits. Columns of types streamsql cannot compare are reported by
// Open.
func NewDistinct(input *arrow.Schema) *Distinct { return &Distinct{schema: input} }

// Schema of the emitted batches: the input's.
func (d *Distinct) Schema() *arrow.Schema { return d.schema }

// Open prepares the table of seen rows.
func (d *Distinct) Open(_ context.Context, mem memory.Allocator) error {
	if d.opened {
		return fmt.Errorf("opening distinct: already open")
	}
	d.opened = true
	d.mem = mem
	if d.schema.NumFields() == 0 {
		return nil
	}
	dts := make([]arrow.DataType, d.schema.NumFields())
	for i, f := range d.schema.Fields() {
		dts[i] = f.Type
	}
	t, err := agg.NewGroupTable(dts)
	if err != nil {
		return fmt.Errorf("opening distinct: %w", err)
	}
	d.table = t
	return nil
}

// ProcessBatch emits the rows of b (borrowed) not seen before.
func (d *Distinct) ProcessBatch(_ context.Context, input int, b arrow.RecordBatch, emit Emit) error {
	if input != 0 {
		return fmt.Errorf("processing distinct batch: no input %d", input)
	}
	if !d.opened {
		return fmt.Errorf("processing distinct batch: operator not open")
	}
	if int(b.NumCols()) != d.schema.NumFields() {
		return fmt.Errorf("processing distinct batch: got %d columns, want %d", b.NumCols(), d.schema.NumFields())
	}
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	if d.table == nil {
		// No columns: all rows are equal, so the first is the only one.
		if d.seen {
			return nil
		}
		d.seen = true
		d.newRows = append(d.newRows[:0], 0)
	} else {
		d.cols = d.cols[:0]
		for i := 0; i < int(b.NumCols()); i++ {
			d.cols = append(d.cols, b.Column(i))
		}
		var err error
		d.groups, d.newRows, err = d.table.Find(d.cols, d.groups[:0], d.newRows[:0])
		if err != nil {
			return fmt.Errorf("processing distinct batch: %w", err)
		}
	}
	switch len(d.newRows) {
	case 0:
		return nil
	case n:
		// Every row is new: pass the batch on as it is.
		b.Retain()
		return emit(b)
	}
	out, err := TakeBatch(d.mem, b, d.newRows, d.schema)
	if err != nil {
		return fmt.Errorf("processing distinct batch: %w", err)
	}
	return emit(out)
}

// EndOfInput has nothing to flush: Distinct emits as it goes.
func (d *Distinct) EndOfInput(_ context.Context, input int, _ Emit) error {
	if input != 0 {
		return fmt.Errorf("ending distinct input: no input %d", input)
	}
	return nil
}

// Close frees the table of seen rows.
func (d *Distinct) Close() error {
	d.table, d.cols, d.groups, d.newRows = nil, nil, nil, nil
	return nil
}
