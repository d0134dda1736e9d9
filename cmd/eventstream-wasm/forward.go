package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/streamsql/streamsql/eventstream"
)

// coldSchema keeps, per topic, the id of the last event the cold tier
// accepted: forwarding resumes after it when the object wakes, so every
// acknowledged event reaches the cold tier at least once.
const coldSchema = `CREATE TABLE IF NOT EXISTS cold_cursor (topic TEXT PRIMARY KEY, last_id TEXT NOT NULL)`

// forwarder is the dual path: one reader per topic collects its events as
// JSON lines; Flush (the object's alarm) sends each topic's batch to the
// cold sink and records how far it got.
type forwarder struct {
	srv      *eventstream.Server
	db       SQL
	sink     ColdSink
	maxBytes int64
	logf     func(string, ...any)

	mu         sync.Mutex
	topics     map[string]*topicBatch
	closed     bool
	readSignal chan struct{} // signalled after each event read (tests wait on it)
}

// topicBatch is one topic's events waiting for the cold tier.
type topicBatch struct {
	topic  string
	cancel func()

	flushing sync.Mutex // one flush of a topic at a time

	mu     sync.Mutex
	buf    []byte // JSON lines not yet accepted by the sink
	lastID string // id of the last event in buf
	read   int    // events read so far
	err    error  // why the reader stopped, if it did
}

func newForwarder(srv *eventstream.Server, db SQL, sink ColdSink, maxBytes int64, logf func(string, ...any)) (*forwarder, error) {
	if _, err := db.Exec(coldSchema); err != nil {
		return nil, fmt.Errorf("creating the cold-tier cursor table: %w", err)
	}
	return &forwarder{srv: srv, db: db, sink: sink, maxBytes: maxBytes, logf: logf, topics: map[string]*topicBatch{}, readSignal: make(chan struct{}, 1)}, nil
}

// ensure starts a reader for every topic that has none yet.
func (f *forwarder) ensure() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	for _, topic := range f.srv.Topics() {
		if f.topics[topic] != nil {
			continue
		}
		from, err := f.cursor(topic)
		if err != nil {
			return err
		}
		tb := &topicBatch{topic: topic}
		if err := f.read(tb, from); err != nil {
			return err
		}
		f.topics[topic] = tb
	}
	return nil
}

// cursor returns where forwarding of topic resumes: after the last
// accepted id, or the whole hot window.
func (f *forwarder) cursor(topic string) (string, error) {
	rows, err := f.db.Exec(`SELECT last_id FROM cold_cursor WHERE topic = ?`, topic)
	if err != nil {
		return "", fmt.Errorf("reading the cold-tier cursor of %s: %w", topic, err)
	}
	if len(rows) == 0 {
		return "earliest", nil
	}
	id, _ := rows[0][0].(string)
	return id, nil
}

// read collects topic's events from `from` into tb until cancelled. A
// reader that falls behind a burst reopens after the last event it took.
func (f *forwarder) read(tb *topicBatch, from string) error {
	cur, err := f.srv.Tail(tb.topic, from)
	if err != nil {
		return fmt.Errorf("forwarding %s to the cold tier: %w", tb.topic, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	tb.cancel = func() { cancel(); <-done }
	go func() {
		defer close(done)
		last := from
		for {
			ev, err := cur.Next(ctx)
			if errors.Is(err, eventstream.ErrFellBehind) {
				if cur, err = f.srv.Tail(tb.topic, last); err == nil {
					continue
				}
			}
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, io.EOF) {
					tb.mu.Lock()
					tb.err = err
					tb.mu.Unlock()
					f.logf("eventstream-wasm: forwarding %s to the cold tier stopped: %v", tb.topic, err)
				}
				return
			}
			last = ev.ID
			tb.mu.Lock()
			tb.buf = append(append(tb.buf, ev.Frame...), '\n')
			tb.lastID = ev.ID
			tb.read++
			full := int64(len(tb.buf)) >= f.maxBytes
			tb.mu.Unlock()
			select {
			case f.readSignal <- struct{}{}:
			default:
			}
			if full {
				f.sink.FlushSoon()
			}
		}
	}()
	return nil
}

// Flush sends every topic's waiting events to the cold sink and records
// the new cursors. It returns how many bytes still wait (a failed send
// keeps its batch for the next flush) and the errors met.
func (f *forwarder) Flush(ctx context.Context) (pending int64, err error) {
	f.mu.Lock()
	batches := make([]*topicBatch, 0, len(f.topics))
	for _, tb := range f.topics {
		batches = append(batches, tb)
	}
	f.mu.Unlock()
	sort.Slice(batches, func(i, j int) bool { return batches[i].topic < batches[j].topic })
	var errs []error
	for _, tb := range batches {
		if err := f.flushTopic(ctx, tb); err != nil {
			errs = append(errs, err)
		}
		tb.mu.Lock()
		pending += int64(len(tb.buf))
		if tb.err != nil {
			errs = append(errs, fmt.Errorf("forwarding %s: %w", tb.topic, tb.err))
		}
		tb.mu.Unlock()
	}
	return pending, errors.Join(errs...)
}

// flushTopic sends one topic's batch. Events read while the send is in
// flight stay for the next flush.
func (f *forwarder) flushTopic(ctx context.Context, tb *topicBatch) error {
	tb.flushing.Lock()
	defer tb.flushing.Unlock()
	tb.mu.Lock()
	buf, lastID := tb.buf, tb.lastID
	tb.buf = nil
	tb.mu.Unlock()
	if len(buf) == 0 {
		return nil
	}
	err := f.sink.Send(ctx, tb.topic, buf)
	if err == nil {
		_, err = f.db.Exec(`INSERT INTO cold_cursor (topic, last_id) VALUES (?, ?) ON CONFLICT (topic) DO UPDATE SET last_id = excluded.last_id`, tb.topic, lastID)
	}
	if err != nil { // keep the batch, ahead of what arrived meanwhile
		tb.mu.Lock()
		tb.buf = append(buf, tb.buf...)
		tb.mu.Unlock()
		return fmt.Errorf("sending %s to the cold tier: %w", tb.topic, err)
	}
	return nil
}

// close stops the readers.
func (f *forwarder) close() {
	f.mu.Lock()
	f.closed = true
	batches := f.topics
	f.topics = map[string]*topicBatch{}
	f.mu.Unlock()
	for _, tb := range batches {
		tb.cancel()
	}
}

// readCount returns how many events of topic the forwarder has read.
func (f *forwarder) readCount(topic string) int {
	f.mu.Lock()
	tb := f.topics[topic]
	f.mu.Unlock()
	if tb == nil {
		return 0
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.read
}
