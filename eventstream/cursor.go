package eventstream

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/planner/types"
)

// Cursor reads a topic's events in order, one at a time: first the part
// of the hot window its start selects, then new events as they commit,
// with no gap and no duplicate between the two (both are reads of the
// same sequence). A cursor lagging the newest event by more than the
// subscriber queue, or needing evicted events, fails with ErrFellBehind;
// ingest never waits for it. A cursor made for the dual path may want a
// large Config.SubscriberQueue. Not safe for concurrent use.
type Cursor struct {
	t        *topic
	seq      uint64 // last seq returned
	maxLag   uint64
	caughtUp uint64 // the head when the cursor started: lag counts after it
	pending  []*event
}

// Tail opens a cursor on topic. from is "" (only events committed from
// now on), "earliest" (the whole hot window), an ingest id (the events
// after it) or an RFC 3339 time (the events ingested at or after it).
func (s *Server) Tail(topic, from string) (*Cursor, error) {
	t, err := s.topic(topic)
	if err != nil {
		return nil, err
	}
	seq, err := startSeq(t, from)
	if err != nil {
		return nil, err
	}
	return &Cursor{t: t, seq: seq, maxLag: uint64(s.cfg.SubscriberQueue), caughtUp: t.headSeq()}, nil
}

// startSeq resolves a from= value to the seq after which a cursor starts.
func startSeq(t *topic, from string) (uint64, error) {
	switch {
	case from == "" || from == "latest" || from == "now":
		return t.headSeq(), nil
	case from == "earliest":
		return 0, nil
	}
	if _, _, ok := parseID(from); ok {
		return t.seqAfterID(from), nil
	}
	if us, err := types.ParseTimestamp(from); err == nil {
		return t.seqAtOrAfterTime(us * 1000), nil
	}
	if ms, err := strconv.ParseInt(from, 10, 64); err == nil && !strings.HasPrefix(from, "-") {
		return t.seqAtOrAfterTime(time.UnixMilli(ms).UnixNano()), nil
	}
	return 0, fmt.Errorf("invalid from=%q: want earliest, an ingest id, an RFC 3339 time or epoch milliseconds", from)
}

// Next returns the next event, waiting for one; io.EOF once the server
// closes; ErrFellBehind when the cursor is too slow.
func (c *Cursor) Next(ctx context.Context) (Event, error) {
	if err := c.fill(ctx); err != nil {
		return Event{}, err
	}
	ev := c.pending[0]
	c.pending[0] = nil
	c.pending = c.pending[1:]
	c.seq = ev.seq
	return Event{Topic: c.t.name, ID: ev.id, IngestTS: time.Unix(0, ev.ingestNS).UTC(), Frame: ev.frame}, nil
}

// Buffered is how many events Next returns without waiting.
func (c *Cursor) Buffered() int { return len(c.pending) }

// NextBatch returns the next events, at most maxRows (0: 8192), as one
// Arrow batch of the topic table's schema, owned by the caller, with the
// id of its last event: the dual path writes it to the cold tier and
// resumes with Tail(topic, lastID) after a restart. It waits for at least
// one event; errors are Next's.
func (c *Cursor) NextBatch(ctx context.Context, maxRows int) (arrow.RecordBatch, string, error) {
	if maxRows <= 0 {
		maxRows = defaultBatchRows
	}
	if err := c.fill(ctx); err != nil {
		return nil, "", err
	}
	n := min(len(c.pending), maxRows)
	evs := c.pending[:n:n]
	c.pending = c.pending[n:]
	last := evs[n-1]
	c.seq = last.seq
	return buildBatch(c.t.mem, c.t.schema, c.t.name, evs), last.id, nil
}

// fill waits until events are pending.
func (c *Cursor) fill(ctx context.Context) error {
	for len(c.pending) == 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		w := c.t.after(c.seq, 256)
		if w.evicted {
			if c.seq == 0 { // "earliest" after evictions: the oldest held
				c.seq = w.first - 1
				continue
			}
			return fmt.Errorf("reading topic %s after event %d: events up to %d expired: %w", c.t.name, c.seq, w.first-1, ErrFellBehind)
		}
		if c.seq >= c.caughtUp && w.head-c.seq > c.maxLag {
			return fmt.Errorf("reading topic %s: more than %d events behind the newest: %w", c.t.name, c.maxLag, ErrFellBehind)
		}
		for _, p := range w.parts {
			c.pending = append(c.pending, p.evs...)
		}
		if len(c.pending) > 0 {
			return nil
		}
		if w.closed {
			return io.EOF
		}
		select {
		case <-w.wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Subscribe calls handler with each event of topic from `from` (see Tail)
// on a goroutine of its own, in order, until cancel is called, the handler
// returns an error, the subscriber falls behind or the server closes.
// cancel waits for the handler to return.
func (s *Server) Subscribe(topic, from string, handler func(Event) error) (cancel func(), err error) {
	cur, err := s.Tail(topic, from)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			ev, err := cur.Next(ctx)
			if err != nil {
				if ctx.Err() == nil && err != io.EOF {
					s.cfg.Logf("eventstream: subscriber on %s stopped: %v", topic, err)
				}
				return
			}
			if handler(ev) != nil {
				return
			}
		}
	}()
	return func() { stop(); <-done }, nil
}
