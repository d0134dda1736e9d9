package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/render"
)

// Sink collects what a streaming job writes, exactly once per checkpoint
// like a file: PreCommit returns the row count as state, Restore truncates
// back to it, and a job that opens the sink without Restore starts it
// empty. Written batches are copied into the sink's own (Go) memory, so
// nothing of the job's allocator outlives the job.
//
// Close ends a job's use but keeps the rows, so a test reads them after
// the job and a resumed job can open the sink again; Release frees them.
// The accessors are safe to call while a job writes.
type Sink struct {
	mu        sync.Mutex
	mem       memory.Allocator
	schema    *arrow.Schema
	batches   []arrow.RecordBatch
	rows      int64
	pending   map[int64]int64 // rows at PreCommit, by epoch
	committed int64           // rows at the last Commit
	open      bool
	fresh     bool // opened, neither restored nor written yet
}

var (
	_ catalog.SinkTable = (*Sink)(nil)
	_ catalog.Sink      = (*Sink)(nil)
)

// NewSink returns an empty sink.
func NewSink() *Sink {
	return &Sink{mem: memory.NewGoAllocator(), pending: map[int64]int64{}}
}

// OpenSink implements catalog.SinkTable; the sink is its own Sink, open
// for one job at a time.
func (s *Sink) OpenSink(ctx context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening memory sink: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open {
		return nil, fmt.Errorf("opening memory sink: already open")
	}
	s.open, s.fresh, s.schema = true, true, schema
	return s, nil
}

// start empties the sink for a job that did not resume. Called locked.
func (s *Sink) start() {
	if s.fresh {
		s.fresh = false
		s.truncate(0)
	}
}

// usable checks the sink is open. Called locked.
func (s *Sink) usable(verb string) error {
	if !s.open {
		return fmt.Errorf("%s memory sink: not open", verb)
	}
	return nil
}

// Write copies b's rows.
func (s *Sink) Write(ctx context.Context, b arrow.RecordBatch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable("writing to"); err != nil {
		return err
	}
	if int(b.NumCols()) != s.schema.NumFields() {
		return fmt.Errorf("writing to memory sink: batch has %d columns, the sink %d", b.NumCols(), s.schema.NumFields())
	}
	s.start()
	if b.NumRows() == 0 {
		return nil
	}
	c, err := copyBatch(s.mem, s.schema, b)
	if err != nil {
		return fmt.Errorf("writing to memory sink: %w", err)
	}
	s.batches = append(s.batches, c)
	s.rows += c.NumRows()
	return nil
}

// copyBatch copies b into mem, under schema.
func copyBatch(mem memory.Allocator, schema *arrow.Schema, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, b.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range b.Columns() {
		cp, err := array.Concatenate([]arrow.Array{c}, mem)
		if err != nil {
			return nil, fmt.Errorf("copying column %d: %w", i, err)
		}
		cols[i] = cp
	}
	if !schemaFits(schema, b) {
		schema = b.Schema() // types differ from the declared ones: keep the batch's
	}
	return array.NewRecordBatch(schema, cols, b.NumRows()), nil
}

// schemaFits reports whether b's columns have schema's types.
func schemaFits(schema *arrow.Schema, b arrow.RecordBatch) bool {
	for i, f := range schema.Fields() {
		if !arrow.TypeEqual(f.Type, b.Column(i).DataType()) {
			return false
		}
	}
	return true
}

// state is the checkpoint state of a memory sink or stream.
type state struct {
	Rows int64 `json:"rows"`
}

// PreCommit returns the rows written so far as the checkpoint state.
func (s *Sink) PreCommit(_ context.Context, epoch int64) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable("pre-committing"); err != nil {
		return nil, err
	}
	s.start()
	s.pending[epoch] = s.rows
	return json.Marshal(state{Rows: s.rows})
}

// Commit marks the rows of epoch's PreCommit committed.
func (s *Sink) Commit(_ context.Context, epoch int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable("committing"); err != nil {
		return err
	}
	n, ok := s.pending[epoch]
	if !ok {
		return fmt.Errorf("committing memory sink: epoch %d was not pre-committed", epoch)
	}
	s.committed = n
	for e := range s.pending {
		if e <= epoch {
			delete(s.pending, e)
		}
	}
	return nil
}

// Restore drops the rows written after the checkpoint whose PreCommit
// returned st.
func (s *Sink) Restore(_ context.Context, st []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable("restoring"); err != nil {
		return err
	}
	if !s.fresh {
		return fmt.Errorf("restoring memory sink: Restore must come before any Write")
	}
	n, err := decodeState(st)
	if err != nil {
		return fmt.Errorf("restoring memory sink: %w", err)
	}
	if n > s.rows {
		return fmt.Errorf("restoring memory sink: it holds %d rows but the checkpoint committed %d", s.rows, n)
	}
	s.fresh = false
	s.truncate(n)
	s.committed = n
	return nil
}

// decodeState reads a state written by PreCommit.
func decodeState(st []byte) (int64, error) {
	var x state
	if err := json.Unmarshal(st, &x); err != nil || x.Rows < 0 {
		return 0, fmt.Errorf("malformed state %q", st)
	}
	return x.Rows, nil
}

// truncate keeps the first n rows. Called locked.
func (s *Sink) truncate(n int64) {
	var kept []arrow.RecordBatch
	var rows int64
	for _, b := range s.batches {
		switch {
		case rows+b.NumRows() <= n:
			kept = append(kept, b)
		case rows < n:
			kept = append(kept, b.NewSlice(0, n-rows))
			b.Release()
		default:
			b.Release()
		}
		rows += b.NumRows()
	}
	s.batches, s.rows = kept, min(s.rows, n)
	s.committed = min(s.committed, n)
}

// Close ends the job's use of the sink; the rows stay (see Release). A
// job that wrote nothing and did not resume leaves the sink empty.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open {
		s.start()
		s.open = false
	}
	return nil
}

// Release frees the rows; the sink is empty afterwards.
func (s *Sink) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.truncate(0)
	s.committed = 0
}

// Schema returns the schema of the last job that opened the sink.
func (s *Sink) Schema() *arrow.Schema {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.schema
}

// Len returns the number of rows held.
func (s *Sink) Len() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rows
}

// Batches returns the batches held, each retained for the caller, who
// releases them.
func (s *Sink) Batches() []arrow.RecordBatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]arrow.RecordBatch, len(s.batches))
	for i, b := range s.batches {
		b.Retain()
		out[i] = b
	}
	return out
}

// Rows returns every row held as Go values (nil for NULL; int64 µs for
// timestamps, int32 days for dates; see expr.ScalarValue).
func (s *Sink) Rows() [][]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values(s.rows)
}

// Committed returns the rows as of the last Commit (or Restore).
func (s *Sink) Committed() [][]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values(s.committed)
}

// values returns the first n rows. Called locked.
func (s *Sink) values(n int64) [][]any {
	out := make([][]any, 0, n)
	for _, b := range s.batches {
		for r := 0; r < int(b.NumRows()) && int64(len(out)) < n; r++ {
			row := make([]any, b.NumCols())
			for c := range row {
				row[c] = expr.ScalarValue(b.Column(c), r)
			}
			out = append(out, row)
		}
	}
	return out
}

// JSONL returns every row held as the JSONL file sink writes it, one
// object per row, without the newline.
func (s *Sink) JSONL() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, s.rows)
	var buf []byte
	for _, b := range s.batches {
		names := make([]string, b.NumCols())
		ts := make([]types.Type, b.NumCols())
		for i, f := range b.Schema().Fields() {
			names[i] = f.Name
			ts[i], _ = types.FromField(f)
		}
		for r := 0; r < int(b.NumRows()); r++ {
			buf = render.AppendJSONRow(buf[:0], names, ts, b, r)
			out = append(out, string(buf))
		}
	}
	return out
}
