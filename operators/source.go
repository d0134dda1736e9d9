package operators

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// Source is a leaf producer driven by exec: Run pushes all its batches to
// emit, returning nil at the end, or the error from emit (ErrDone included
// — exec handles it).
type Source interface {
	Schema() *arrow.Schema
	Run(ctx context.Context, mem memory.Allocator, emit Emit) error
}

// CastFunc converts a scanned column to the schema's type. arr is borrowed;
// the result is owned by the caller.
type CastFunc func(mem memory.Allocator, arr arrow.Array) (arrow.Array, error)

// ScanSource reads a table through a catalog.BatchReader.
type ScanSource struct {
	schema *arrow.Schema
	open   func(ctx context.Context, mem memory.Allocator) (catalog.BatchReader, error)

	stats map[string]int64 // the reader's ScanStats of the last Run

	// Casts optionally converts columns whose Arrow type differs from the
	// schema's (e.g. int8 files read as INTEGER), indexed by column; nil
	// entries (or a short slice) mean no conversion. A column of a
	// different type without a cast is an error.
	Casts []CastFunc
}

var _ Source = (*ScanSource)(nil)

// NewScanSource returns a source that opens a reader with open and emits
// every batch it yields under schema.
func NewScanSource(schema *arrow.Schema, open func(ctx context.Context, mem memory.Allocator) (catalog.BatchReader, error)) *ScanSource {
	return &ScanSource{schema: schema, open: open}
}

// Schema implements Source.
func (s *ScanSource) Schema() *arrow.Schema { return s.schema }

// Stats are the storage statistics of the last Run (row groups or files
// pruned), when the reader reports them (catalog.ScanStats); nil before.
func (s *ScanSource) Stats() map[string]int64 { return s.stats }

// Run implements Source: it reads batches until io.EOF, emitting each
// (ownership passes through), and closes the reader. Empty batches are
// dropped. It returns emit's error unchanged (ErrDone included), after
// closing the reader.
func (s *ScanSource) Run(ctx context.Context, mem memory.Allocator, emit Emit) (err error) {
	r, err := s.open(ctx, mem)
	if err != nil {
		return fmt.Errorf("opening scan: %w", err)
	}
	if r == nil {
		return fmt.Errorf("opening scan: no reader")
	}
	defer func() {
		if st, ok := r.(catalog.ScanStats); ok {
			s.stats = st.Stats() // what the storage pruned, for EXPLAIN ANALYZE
		}
		if cerr := r.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing scan: %w", cerr)
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading scan batch: %w", err)
		}
		if b == nil {
			return fmt.Errorf("reading scan batch: reader returned neither a batch nor an error")
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		out, err := s.conform(mem, b)
		b.Release()
		if err != nil {
			return err
		}
		if err := emit(out); err != nil {
			return err
		}
	}
}

// conform returns b (borrowed) as a new reference with the source's schema,
// applying Casts where a column's type differs.
func (s *ScanSource) conform(mem memory.Allocator, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	if b.Schema() == s.schema {
		b.Retain()
		return b, nil
	}
	if int(b.NumCols()) != s.schema.NumFields() {
		return nil, fmt.Errorf("scanning: batch has %d columns, want %d", b.NumCols(), s.schema.NumFields())
	}
	cols := make([]arrow.Array, b.NumCols())
	defer releaseAll(cols)
	for i, f := range s.schema.Fields() {
		col := b.Column(i)
		if arrow.TypeEqual(col.DataType(), f.Type) {
			col.Retain()
			cols[i] = col
			continue
		}
		if i >= len(s.Casts) || s.Casts[i] == nil {
			return nil, fmt.Errorf("scanning: column %s has type %s, want %s", f.Name, col.DataType(), f.Type)
		}
		c, err := s.Casts[i](mem, col)
		if err != nil {
			return nil, fmt.Errorf("casting column %s: %w", f.Name, err)
		}
		cols[i] = c
		if !arrow.TypeEqual(c.DataType(), f.Type) || int64(c.Len()) < b.NumRows() {
			return nil, fmt.Errorf("scanning: column %s has type %s after its cast, want %s", f.Name, c.DataType(), f.Type)
		}
	}
	return array.NewRecordBatch(s.schema, cols, b.NumRows()), nil
}

// Values is a leaf emitting one constant batch (a VALUES list).
type Values struct {
	schema *arrow.Schema
	batch  arrow.RecordBatch
}

var _ Source = (*Values)(nil)

// NewValues returns a source emitting batch under schema. Values takes
// over the caller's reference to batch (nil means no rows); Release drops
// it. Run may be called any number of times.
func NewValues(schema *arrow.Schema, batch arrow.RecordBatch) *Values {
	return &Values{schema: schema, batch: batch}
}

// Schema implements Source.
func (v *Values) Schema() *arrow.Schema { return v.schema }

// Run implements Source: it emits the batch (a new reference) unless it is
// empty.
func (v *Values) Run(ctx context.Context, mem memory.Allocator, emit Emit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if v.batch == nil || v.batch.NumRows() == 0 {
		return nil
	}
	out, err := RelabelBatch(v.schema, v.batch)
	if err != nil {
		return fmt.Errorf("emitting values: %w", err)
	}
	return emit(out)
}

// Release drops the batch held by v. It is safe to call more than once.
func (v *Values) Release() {
	if v.batch != nil {
		v.batch.Release()
		v.batch = nil
	}
}
