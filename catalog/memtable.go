package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// MemTable is a table held in memory as Arrow batches: CREATE TABLE
// without a connector, CREATE TABLE AS, INSERT targets and test fixtures.
// Safe for concurrent scans and appends; a scan sees the batches present
// when it started.
type MemTable struct {
	schema  *arrow.Schema
	mu      sync.RWMutex
	batches []arrow.RecordBatch
	dropped bool // Release was called: nothing more may be kept
}

// NewMemTable returns an empty table with schema s.
func NewMemTable(s *arrow.Schema) *MemTable { return &MemTable{schema: s} }

// Schema implements Table.
func (t *MemTable) Schema() *arrow.Schema { return t.schema }

// Describe implements Describer.
func (t *MemTable) Describe() string { return "memory" }

// Append adds a batch (retained; the caller keeps its own reference). Its
// columns must match the table's schema by position and type. Appending to
// a released table (dropped, e.g. while an INSERT into it was running) is
// an error: nothing would ever release the batch.
func (t *MemTable) Append(b arrow.RecordBatch) error {
	if int(b.NumCols()) != t.schema.NumFields() {
		return fmt.Errorf("appending to memory table: got %d columns, want %d", b.NumCols(), t.schema.NumFields())
	}
	for i, f := range t.schema.Fields() {
		if !arrow.TypeEqual(f.Type, b.Column(i).DataType()) {
			return fmt.Errorf("appending to memory table: column %s has type %s, want %s", f.Name, b.Column(i).DataType(), f.Type)
		}
	}
	if b.NumRows() == 0 {
		return nil
	}
	// Scans share the columns between goroutines. Arrow computes an
	// unknown null count (slices have one) lazily, writing it into the
	// shared array data: compute it now, before the batch is shared.
	for _, c := range b.Columns() {
		c.NullN()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dropped {
		return ErrDropped
	}
	t.batches = append(t.batches, array.NewRecordBatch(t.schema, b.Columns(), b.NumRows()))
	return nil
}

// ErrDropped is returned by Append on a released table.
var ErrDropped = errors.New("appending to memory table: the table was dropped")

// Release drops the table's batches; the table accepts no more.
func (t *MemTable) Release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dropped = true
	for _, b := range t.batches {
		b.Release()
	}
	t.batches = nil
}

// Scan implements Table. Filters are ignored (the caller re-applies them);
// Limit stops after that many rows.
func (t *MemTable) Scan(_ context.Context, req ScanRequest) (BatchReader, error) {
	for _, c := range req.Columns {
		if c < 0 || c >= t.schema.NumFields() {
			return nil, fmt.Errorf("scanning memory table: no column %d", c)
		}
	}
	t.mu.RLock()
	snap := append([]arrow.RecordBatch(nil), t.batches...)
	for _, b := range snap {
		b.Retain()
	}
	t.mu.RUnlock()
	fields := make([]arrow.Field, len(req.Columns))
	for i, c := range req.Columns {
		fields[i] = t.schema.Field(c)
	}
	return &memReader{batches: snap, cols: req.Columns, schema: arrow.NewSchema(fields, nil), limit: req.Limit}, nil
}

type memReader struct {
	batches []arrow.RecordBatch
	cols    []int
	schema  *arrow.Schema
	limit   int64
	next    int
	read    int64
}

func (r *memReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.next >= len(r.batches) || (r.limit >= 0 && r.read >= r.limit) {
		return nil, io.EOF
	}
	b := r.batches[r.next]
	r.next++
	cols := make([]arrow.Array, len(r.cols))
	for i, c := range r.cols {
		cols[i] = b.Column(c)
	}
	r.read += b.NumRows()
	return array.NewRecordBatch(r.schema, cols, b.NumRows()), nil
}

func (r *memReader) Close() error {
	for _, b := range r.batches[r.next:] {
		b.Release()
	}
	for _, b := range r.batches[:r.next] {
		b.Release()
	}
	r.batches, r.next = nil, 0
	return nil
}
