// Package memory is the in-memory connector: a Stream is a table whose
// rows a test (or an embedding program) appends while a streaming job
// reads it, with watermarks declared between rows; a Sink collects what a
// job writes. Both follow the catalog stream contracts exactly, positions
// and checkpoint state included, so tests can crash and resume jobs
// against them. The package is wasm-clean.
//
// Registered as connector "memory": CREATE TABLE t (cols…) WITH
// (connector='memory'[, splits='N']) makes a Stream that streaming
// queries read and INSERT INTO appends to.
package memory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// Stream is an append-only in-memory table read as a stream: one or more
// splits, each an ordered log of batches and declared watermarks.
// Every OpenStream reads each split from its beginning (like a fresh
// consumer of a topic). Safe for concurrent use: writers append while
// readers read.
type Stream struct {
	schema  *arrow.Schema
	mem     memory.Allocator // for the rows the stream decodes or copies
	mu      sync.Mutex
	splits  []*splitLog
	ended   bool          // CloseWrite was called
	dropped bool          // Release was called
	changed chan struct{} // closed and replaced at every change, to wake readers
}

// splitLog is one split: its batches and watermarks.
type splitLog struct {
	batches []arrow.RecordBatch
	starts  []int64 // row number of each batch's first row
	rows    int64
	marks   []mark
}

// mark is a watermark declared after the first rows rows of a split; ts is
// the largest declared so far (watermarks never go back).
type mark struct {
	rows int64
	ts   int64
}

var (
	_ catalog.Streamable = (*Stream)(nil)
	_ catalog.Describer  = (*Stream)(nil)
	_ catalog.SinkTable  = (*Stream)(nil)
)

// ErrClosedForWriting is returned when rows or watermarks are added after
// CloseWrite.
var ErrClosedForWriting = errors.New("the stream is closed for writing")

// errDropped is returned after Release.
var errDropped = errors.New("the stream was released")

// NewStream returns an empty stream of one split, ID "memory".
func NewStream(schema *arrow.Schema) *Stream { return NewStreamSplits(schema, 1) }

// NewStreamSplits returns an empty stream of n splits (at least one), with
// IDs "memory/0" … "memory/n-1" when n > 1.
func NewStreamSplits(schema *arrow.Schema, n int) *Stream {
	s := &Stream{schema: schema, mem: memory.NewGoAllocator(), changed: make(chan struct{})}
	for range max(n, 1) {
		s.splits = append(s.splits, &splitLog{})
	}
	return s
}

// Schema implements catalog.Table.
func (s *Stream) Schema() *arrow.Schema { return s.schema }

// Describe implements catalog.Describer.
func (s *Stream) Describe() string {
	if len(s.splits) == 1 {
		return "memory stream"
	}
	return fmt.Sprintf("memory stream (%d splits)", len(s.splits))
}

// Splits returns the number of splits.
func (s *Stream) Splits() int { return len(s.splits) }

// splitID names split i.
func (s *Stream) splitID(i int) string {
	if len(s.splits) == 1 {
		return "memory"
	}
	return fmt.Sprintf("memory/%d", i)
}

// Append adds b's rows to split 0; see AppendTo.
func (s *Stream) Append(b arrow.RecordBatch) error { return s.AppendTo(0, b) }

// AppendTo adds b's rows to a split. b is retained, not copied (the
// caller keeps its own reference); its columns must match the stream's
// schema by position and type.
func (s *Stream) AppendTo(split int, b arrow.RecordBatch) error {
	if err := s.check(b); err != nil {
		return err
	}
	// Readers slice the columns on other goroutines, and Arrow computes
	// an unknown null count lazily, writing it into the shared data: do
	// it now.
	for _, c := range b.Columns() {
		c.NullN()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	log, err := s.writable(split)
	if err != nil {
		return fmt.Errorf("appending to memory stream: %w", err)
	}
	if b.NumRows() == 0 {
		return nil
	}
	b.Retain()
	log.batches = append(log.batches, b)
	log.starts = append(log.starts, log.rows)
	log.rows += b.NumRows()
	s.notify()
	return nil
}

// check validates a batch's shape against the schema.
func (s *Stream) check(b arrow.RecordBatch) error {
	if int(b.NumCols()) != s.schema.NumFields() {
		return fmt.Errorf("appending to memory stream: got %d columns, want %d", b.NumCols(), s.schema.NumFields())
	}
	for i, f := range s.schema.Fields() {
		if !arrow.TypeEqual(f.Type, b.Column(i).DataType()) {
			return fmt.Errorf("appending to memory stream: column %s has type %s, want %s", f.Name, b.Column(i).DataType(), f.Type)
		}
	}
	return nil
}

// writable returns split i if rows may still be added. Called locked.
func (s *Stream) writable(i int) (*splitLog, error) {
	switch {
	case s.dropped:
		return nil, errDropped
	case s.ended:
		return nil, ErrClosedForWriting
	case i < 0 || i >= len(s.splits):
		return nil, fmt.Errorf("no split %d (the stream has %d)", i, len(s.splits))
	}
	return s.splits[i], nil
}

// notify wakes waiting readers. Called locked.
func (s *Stream) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Watermark declares a watermark on split 0; see WatermarkTo.
func (s *Stream) Watermark(ts int64) error { return s.WatermarkTo(0, ts) }

// WatermarkTo declares that no row appended to the split from now on has
// an event time below ts (µs since the epoch). A reader reports it through
// SourceWatermark once it has returned the rows appended before it. A
// watermark below an earlier one is ignored.
func (s *Stream) WatermarkTo(split int, ts int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	log, err := s.writable(split)
	if err != nil {
		return fmt.Errorf("declaring a watermark: %w", err)
	}
	if n := len(log.marks); n > 0 {
		ts = max(ts, log.marks[n-1].ts)
	}
	log.marks = append(log.marks, mark{rows: log.rows, ts: ts})
	s.notify()
	return nil
}

// CloseWrite ends the input: readers get io.EOF after the rows. Adding
// rows or watermarks afterwards fails. Calling it again does nothing.
func (s *Stream) CloseWrite() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.ended = true
		s.notify()
	}
}

// Rows returns how many rows split holds.
func (s *Stream) Rows(split int) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if split < 0 || split >= len(s.splits) {
		return 0
	}
	return s.splits[split].rows
}

// truncate drops the rows of split 0 from row n on, with the watermarks
// declared after them: a sink resuming from a checkpoint takes back what
// it wrote after it.
func (s *Stream) truncate(n int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropped {
		return errDropped
	}
	log := s.splits[0]
	if n > log.rows {
		return fmt.Errorf("the stream has %d rows, the checkpoint %d", log.rows, n)
	}
	for i := len(log.batches) - 1; i >= 0 && log.starts[i]+log.batches[i].NumRows() > n; i-- {
		b := log.batches[i]
		if keep := n - log.starts[i]; keep > 0 {
			log.batches[i] = b.NewSlice(0, keep)
		} else {
			log.batches, log.starts = log.batches[:i], log.starts[:i]
		}
		b.Release()
	}
	log.rows = n
	for len(log.marks) > 0 && log.marks[len(log.marks)-1].rows > n {
		log.marks = log.marks[:len(log.marks)-1]
	}
	s.notify()
	return nil
}

// Release drops every batch; the stream accepts and returns no more rows.
// The catalog calls it when the table is dropped.
func (s *Stream) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropped {
		return
	}
	s.dropped = true
	for _, log := range s.splits {
		for _, b := range log.batches {
			b.Release()
		}
		*log = splitLog{}
	}
	s.notify()
}

// Scan implements catalog.Table: the rows appended so far, split after
// split. Filters and Limit are left to the caller.
func (s *Stream) Scan(ctx context.Context, req catalog.ScanRequest) (catalog.BatchReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scanning memory stream: %w", err)
	}
	out, err := s.project(req.Columns)
	if err != nil {
		return nil, fmt.Errorf("scanning memory stream: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropped {
		return nil, fmt.Errorf("scanning memory stream: %w", errDropped)
	}
	var snap []arrow.RecordBatch
	for _, log := range s.splits {
		for _, b := range log.batches {
			b.Retain()
			snap = append(snap, b)
		}
	}
	return &snapshotReader{batches: snap, cols: req.Columns, schema: out}, nil
}

// project checks column ordinals and returns the projected schema.
func (s *Stream) project(cols []int) (*arrow.Schema, error) {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		if c < 0 || c >= s.schema.NumFields() {
			return nil, fmt.Errorf("column ordinal %d out of range (table has %d columns)", c, s.schema.NumFields())
		}
		fields[i] = s.schema.Field(c)
	}
	return arrow.NewSchema(fields, nil), nil
}

// projectBatch returns rows [from, to) of b with the columns cols.
func projectBatch(b arrow.RecordBatch, out *arrow.Schema, cols []int, from, to int64) arrow.RecordBatch {
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		arrs[i] = array.NewSlice(b.Column(c), from, to)
	}
	rec := array.NewRecordBatch(out, arrs, to-from)
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// snapshotReader is the BatchReader of a Scan.
type snapshotReader struct {
	batches []arrow.RecordBatch
	cols    []int
	schema  *arrow.Schema
	next    int
}

func (r *snapshotReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.next >= len(r.batches) {
		return nil, io.EOF
	}
	b := r.batches[r.next]
	r.batches[r.next] = nil
	r.next++
	defer b.Release()
	return projectBatch(b, r.schema, r.cols, 0, b.NumRows()), nil
}

func (r *snapshotReader) Close() error {
	for _, b := range r.batches[r.next:] {
		b.Release()
	}
	r.batches, r.next = nil, 0
	return nil
}
