package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators/expr"
)

// row is one row read: its split and payload fields.
type row struct {
	split string
	key   string
	seq   int64
	run   string
}

// deadLetter is one call of StreamRequest.DeadLetter.
type deadLetter struct {
	raw    string
	reason string
}

// session reads one opened table the way the runtime does: one Read at a
// time per split, positions taken between reads.
type session struct {
	table   catalog.Streamable
	readers []catalog.SplitReader
	mem     *memory.CheckedAllocator
	cols    []int // k, seq, run in the table
	maxRows int   // the request's BatchRows
	rows    []row // of the session's run, in read order
	run     string
	other   int // rows of other runs skipped
	eof     map[string]bool
	mu      sync.Mutex // guards dead: readers may report from anywhere
	dead    []deadLetter
	batches int
	biggest int // most rows in one batch
	closed  bool
}

// open opens a fresh table and its stream, reading run's rows.
func open(t *testing.T, s *Source, run string, batchRows int) (*session, error) {
	tbl := s.Open(t)
	cols := make([]int, 0, 3)
	for _, f := range Schema.Fields() {
		idx := tbl.Schema().FieldIndices(f.Name)
		if len(idx) != 1 || !arrow.TypeEqual(tbl.Schema().Field(idx[0]).Type, f.Type) {
			catalog.ReleaseTable(tbl)
			return nil, fmt.Errorf("the table lacks column %s %s (declare %s): has %v", f.Name, f.Type, Columns, tbl.Schema())
		}
		cols = append(cols, idx[0])
	}
	ss := &session{table: tbl, mem: memory.NewCheckedAllocator(memory.NewGoAllocator()), cols: cols,
		maxRows: batchRows, run: run, eof: map[string]bool{}}
	req := catalog.StreamRequest{Columns: cols, Alloc: ss.mem, BatchRows: batchRows, Linger: 5 * time.Millisecond,
		DeadLetter: func(raw []byte, reason string) error {
			ss.mu.Lock()
			defer ss.mu.Unlock()
			ss.dead = append(ss.dead, deadLetter{raw: string(raw), reason: reason})
			return nil
		}}
	rs, err := tbl.OpenStream(context.Background(), req)
	if err != nil {
		catalog.ReleaseTable(tbl)
		return nil, fmt.Errorf("opening the stream: %w", err)
	}
	if len(rs) == 0 {
		catalog.ReleaseTable(tbl)
		return nil, errors.New("opening the stream: no splits")
	}
	ss.readers = rs
	ids := map[string]bool{}
	for _, r := range rs {
		if ids[r.ID()] {
			ss.close()
			return nil, fmt.Errorf("two splits have the ID %q", r.ID())
		}
		ids[r.ID()] = true
	}
	t.Cleanup(func() { ss.close() })
	return ss, nil
}

// readOnce reads each split once, collecting rows; io.EOF ends a split.
func (ss *session) readOnce(ctx context.Context) error {
	for _, r := range ss.readers {
		if ss.eof[r.ID()] {
			continue
		}
		b, err := r.Read(ctx)
		switch {
		case errors.Is(err, catalog.ErrIdle):
			continue
		case errors.Is(err, io.EOF):
			ss.eof[r.ID()] = true
			continue
		case err != nil:
			return fmt.Errorf("reading split %s: %w", r.ID(), err)
		}
		err = ss.collect(r.ID(), b)
		b.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// collect records a batch's rows of this session's run.
func (ss *session) collect(split string, b arrow.RecordBatch) error {
	n := int(b.NumRows())
	if n == 0 {
		return fmt.Errorf("split %s returned an empty batch (return catalog.ErrIdle instead)", split)
	}
	if ss.maxRows > 0 && n > ss.maxRows {
		return fmt.Errorf("split %s returned %d rows, over BatchRows %d", split, n, ss.maxRows)
	}
	if int(b.NumCols()) != 3 {
		return fmt.Errorf("split %s returned %d columns for 3 requested", split, b.NumCols())
	}
	ss.batches++
	ss.biggest = max(ss.biggest, n)
	for i := range n {
		k, _ := expr.ScalarValue(b.Column(0), i).(string)
		seq, _ := expr.ScalarValue(b.Column(1), i).(int64)
		run, _ := expr.ScalarValue(b.Column(2), i).(string)
		if run != ss.run {
			ss.other++
			continue
		}
		ss.rows = append(ss.rows, row{split: split, key: k, seq: seq, run: run})
	}
	return nil
}

// readUntil reads until cond holds, failing after timeout.
func (ss *session) readUntil(timeout time.Duration, what string, cond func() bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for !cond() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("waiting for %s: not within %s (read %d rows of the run, %d of others)", what, timeout, len(ss.rows), ss.other)
		}
		if err := ss.readOnce(ctx); err != nil {
			if ctx.Err() != nil {
				continue // a Read cut short by the timeout
			}
			return err
		}
	}
	return nil
}

// distinct is the number of distinct seqs read.
func (ss *session) distinct() int {
	seen := map[int64]bool{}
	for _, r := range ss.rows {
		seen[r.seq] = true
	}
	return len(seen)
}

// positions takes every split's Position, by split ID.
func (ss *session) positions() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, r := range ss.readers {
		p, err := r.Position()
		if err != nil {
			return nil, fmt.Errorf("taking the position of split %s: %w", r.ID(), err)
		}
		out[r.ID()] = p
	}
	return out, nil
}

// seek positions every split the checkpoint knows (the runtime's resume).
func (ss *session) seek(pos map[string][]byte) error {
	for _, r := range ss.readers {
		if p, ok := pos[r.ID()]; ok {
			if err := r.Seek(context.Background(), p); err != nil {
				return fmt.Errorf("seeking split %s: %w", r.ID(), err)
			}
		}
	}
	return nil
}

// commit hands the checkpoint's positions to the readers that acknowledge
// consumption, as the runtime does once the checkpoint is durable; it
// reports whether any reader does.
func (ss *session) commit(pos map[string][]byte) (bool, error) {
	any := false
	for _, r := range ss.readers {
		pc, ok := r.(catalog.PositionCommitter)
		if !ok {
			continue
		}
		any = true
		if p, ok := pos[r.ID()]; ok && p != nil {
			if err := pc.CommitPosition(context.Background(), p); err != nil {
				return any, fmt.Errorf("committing split %s: %w", r.ID(), err)
			}
		}
	}
	return any, nil
}

// close closes the readers and releases the table; the allocator must
// then be empty. It may be called more than once.
func (ss *session) close() error {
	if ss.closed {
		return nil
	}
	ss.closed = true
	var errs []error
	for _, r := range ss.readers {
		if err := r.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing split %s: %w", r.ID(), err))
		}
	}
	catalog.ReleaseTable(ss.table)
	if n := ss.mem.CurrentAlloc(); n != 0 {
		errs = append(errs, fmt.Errorf("%d bytes of Arrow memory still allocated after Close", n))
	}
	return errors.Join(errs...)
}

// seqs returns the seqs read, in order.
func (ss *session) seqs() []int64 {
	out := make([]int64, len(ss.rows))
	for i, r := range ss.rows {
		out[i] = r.seq
	}
	return out
}
