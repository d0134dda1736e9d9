package nexmark

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// defaultLinger is how long a throttled Read waits when the request does
// not say.
const defaultLinger = 100 * time.Millisecond

// OpenStream implements catalog.Streamable: t's splits readers, split s
// owning the event-id blocks b with b % splits == s (see blockEvents).
// A negative Linger makes a throttled Read return catalog.ErrIdle at once
// instead of waiting (deterministic tests).
func (t *Table) OpenStream(ctx context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening nexmark %s stream: %w", t.kind, err)
	}
	sc, cols, err := project(t.kind, req.Columns)
	if err != nil {
		return nil, fmt.Errorf("opening nexmark %s stream: %w", t.kind, err)
	}
	mem := req.Alloc
	if mem == nil {
		mem = memory.NewGoAllocator()
	}
	rows, linger := req.BatchRows, req.Linger
	if rows <= 0 {
		rows = defaultBatchRows
	}
	if linger == 0 {
		linger = defaultLinger
	}
	out := make([]catalog.SplitReader, t.splits)
	for i := range out {
		out[i] = &SplitReader{
			t: t, cur: newCursor(t.kind, i, t.splits, t.gen.cfg.end()), mem: mem, schema: sc, cols: cols,
			batchRows: rows, linger: linger, id: fmt.Sprintf("nexmark/%s/%d-of-%d", t.kind, i, t.splits),
		}
	}
	return out, nil
}

// SplitReader reads one split of a Nexmark table. Its position is the
// next event id it will consider, as decimal text.
type SplitReader struct {
	t         *Table
	cur       *cursor
	mem       memory.Allocator
	schema    *arrow.Schema
	cols      []int
	batchRows int
	linger    time.Duration
	id        string
	ids       []int64
	closed    bool
	// Wall-rate throttling: event ids passed since started.
	started time.Time
	passed  int64
}

var _ catalog.SplitReader = (*SplitReader)(nil)

// ID implements catalog.SplitReader.
func (r *SplitReader) ID() string { return r.id }

// Read implements catalog.SplitReader: up to batchRows rows; io.EOF after
// the last event; catalog.ErrIdle while the wall rate holds it back.
func (r *SplitReader) Read(ctx context.Context) (arrow.RecordBatch, error) {
	if r.closed {
		return nil, fmt.Errorf("reading %s: reader is closed", r.id)
	}
	waited := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w", r.id, err)
		}
		if r.cur.next >= r.cur.end {
			return nil, io.EOF
		}
		var passed int64
		r.ids, passed = r.cur.fill(r.ids[:0], r.batchRows, r.budget())
		r.passed += passed
		if len(r.ids) > 0 {
			return r.t.gen.build(r.mem, r.t.kind, r.schema, r.cols, r.ids), nil
		}
		if r.cur.next >= r.cur.end {
			return nil, io.EOF
		}
		if waited || r.linger < 0 {
			return nil, catalog.ErrIdle
		}
		if err := sleep(ctx, min(r.linger, r.untilNext())); err != nil {
			return nil, fmt.Errorf("reading %s: %w", r.id, err)
		}
		waited = true
	}
}

// splitRate is this split's share of the wall rate, in events/s.
func (r *SplitReader) splitRate() float64 {
	return r.t.gen.cfg.WallRate / float64(r.t.splits)
}

// budget is how many more event ids the wall rate allows now.
func (r *SplitReader) budget() int64 {
	if r.t.gen.cfg.WallRate == 0 {
		return math.MaxInt64
	}
	now := r.t.gen.cfg.Now()
	if r.started.IsZero() {
		r.started = now
	}
	return int64(now.Sub(r.started).Seconds()*r.splitRate()) - r.passed
}

// untilNext is how long until the wall rate allows another block's worth
// of events (one epoch, so that every kind has a row in it).
func (r *SplitReader) untilNext() time.Duration {
	due := r.started.Add(time.Duration(float64(r.passed+totalProportion) / r.splitRate() * float64(time.Second)))
	return max(due.Sub(r.t.gen.cfg.Now()), time.Millisecond)
}

func sleep(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// Position implements catalog.SplitReader.
func (r *SplitReader) Position() ([]byte, error) {
	return strconv.AppendInt(nil, r.cur.next, 10), nil
}

// Seek implements catalog.SplitReader: resume at a position taken from a
// reader of the same split (the wall-rate clock restarts).
func (r *SplitReader) Seek(ctx context.Context, pos []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("seeking %s: %w", r.id, err)
	}
	e, err := strconv.ParseInt(string(pos), 10, 64)
	if err != nil || e < 0 {
		return fmt.Errorf("seeking %s: bad position %q", r.id, pos)
	}
	if e < r.cur.end && !r.cur.owns(e) {
		return fmt.Errorf("seeking %s: event %d belongs to another split", r.id, e)
	}
	r.cur.next = min(e, r.cur.end)
	r.started, r.passed = time.Time{}, 0
	return nil
}

// Close implements catalog.SplitReader.
func (r *SplitReader) Close() error {
	r.closed = true
	return nil
}
