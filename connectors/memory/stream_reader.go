package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

// defaultLinger is how long Read waits for rows when the request does not
// say.
const defaultLinger = 100 * time.Millisecond

// defaultBatchRows caps batches when the request does not say.
const defaultBatchRows = 8192

// OpenStream implements catalog.Streamable: one reader per split, each
// starting at the split's first row. A negative Linger makes Read return
// catalog.ErrIdle at once instead of waiting (deterministic tests).
func (s *Stream) OpenStream(ctx context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening memory stream: %w", err)
	}
	out, err := s.project(req.Columns)
	if err != nil {
		return nil, fmt.Errorf("opening memory stream: %w", err)
	}
	rows, linger := req.BatchRows, req.Linger
	if rows <= 0 {
		rows = defaultBatchRows
	}
	if linger == 0 {
		linger = defaultLinger
	}
	readers := make([]catalog.SplitReader, len(s.splits))
	for i := range s.splits {
		readers[i] = &SplitReader{s: s, split: i, id: s.splitID(i), cols: req.Columns, schema: out, batchRows: int64(rows), linger: linger}
	}
	return readers, nil
}

// SplitReader reads one split of a Stream. Read returns slices of the
// appended batches (zero-copy, owned by the caller), never across a
// declared watermark, so rows appended after a watermark come in a later
// batch than the rows before it.
type SplitReader struct {
	s         *Stream
	split     int
	id        string
	cols      []int
	schema    *arrow.Schema
	batchRows int64
	linger    time.Duration
	rows      int64 // rows returned
	marks     int   // watermarks passed
	closed    bool
}

var _ catalog.SplitReader = (*SplitReader)(nil)

// position is the encoded Position.
type position struct {
	Rows  int64 `json:"rows"`
	Marks int   `json:"marks"`
}

// ID implements catalog.SplitReader: "memory", or "memory/i" with splits.
func (r *SplitReader) ID() string { return r.id }

// Read implements catalog.SplitReader. It returns the next rows of the
// split up to the next watermark; catalog.ErrIdle at once when it only
// passed watermarks (SourceWatermark has moved), or after Linger when
// nothing came; io.EOF after the last row once the stream is closed for
// writing.
func (r *SplitReader) Read(ctx context.Context) (arrow.RecordBatch, error) {
	if r.closed {
		return nil, fmt.Errorf("reading %s: the reader is closed", r.id)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var timer *time.Timer
	for {
		rec, wait, err := r.next()
		if rec != nil || err != nil {
			return rec, err
		}
		if r.linger < 0 {
			return nil, catalog.ErrIdle
		}
		if timer == nil {
			timer = time.NewTimer(r.linger)
			defer timer.Stop()
		}
		select {
		case <-wait:
		case <-timer.C:
			return nil, catalog.ErrIdle
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// next takes what is available now: a batch, ErrIdle after passing
// watermarks, io.EOF; or a channel to wait on for changes.
func (r *SplitReader) next() (arrow.RecordBatch, <-chan struct{}, error) {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropped {
		return nil, nil, fmt.Errorf("reading %s: %w", r.id, errDropped)
	}
	log := s.splits[r.split]
	if r.pass(log) {
		return nil, nil, catalog.ErrIdle
	}
	if r.rows < log.rows {
		limit := min(log.rows, r.rows+r.batchRows)
		if r.marks < len(log.marks) {
			limit = min(limit, log.marks[r.marks].rows)
		}
		i := sort.Search(len(log.starts), func(i int) bool { return log.starts[i] > r.rows }) - 1
		b, start := log.batches[i], log.starts[i]
		limit = min(limit, start+b.NumRows())
		rec := projectBatch(b, r.schema, r.cols, r.rows-start, limit-start)
		r.rows = limit
		r.pass(log) // the rows before a watermark are out: it holds
		return rec, nil, nil
	}
	if s.ended {
		return nil, nil, io.EOF
	}
	return nil, s.changed, nil
}

// pass moves over the watermarks declared at or before the rows returned,
// reporting whether there were any. Called locked.
func (r *SplitReader) pass(log *splitLog) bool {
	moved := false
	for r.marks < len(log.marks) && log.marks[r.marks].rows <= r.rows {
		r.marks++
		moved = true
	}
	return moved
}

// SourceWatermark returns the largest watermark declared before the rows
// returned so far, and false when none was.
func (r *SplitReader) SourceWatermark() (int64, bool) {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	marks := s.splits[r.split].marks
	n := min(r.marks, len(marks))
	if n == 0 {
		return 0, false
	}
	return marks[n-1].ts, true
}

// Position implements catalog.SplitReader: the rows returned and the
// watermarks passed.
func (r *SplitReader) Position() ([]byte, error) {
	return json.Marshal(position{Rows: r.rows, Marks: r.marks})
}

// Seek implements catalog.SplitReader. A position beyond the rows appended
// so far is allowed: the reader waits for them.
func (r *SplitReader) Seek(_ context.Context, pos []byte) error {
	if r.closed {
		return fmt.Errorf("seeking %s: the reader is closed", r.id)
	}
	var p position
	if len(pos) > 0 {
		if err := json.Unmarshal(pos, &p); err != nil || p.Rows < 0 || p.Marks < 0 {
			return fmt.Errorf("seeking %s: malformed position %q", r.id, pos)
		}
	}
	r.rows, r.marks = p.Rows, p.Marks
	return nil
}

// Close implements catalog.SplitReader; it may be called more than once.
func (r *SplitReader) Close() error {
	r.closed = true
	return nil
}
