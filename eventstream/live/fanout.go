package live

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

// fanout is the sink of one shared job: it encodes each output batch once
// and offers the Update to every subscriber's queue. It never blocks the
// job: a subscriber whose queue is full is dropped (ErrSlowConsumer).
// For EMIT CHANGES queries it also keeps the current result, to give late
// joiners a snapshot.
type fanout struct {
	queueLen int

	mu      sync.Mutex
	enc     *encoder
	subs    map[*subscriber]struct{}
	state   *resultState // nil unless the query is EMIT CHANGES
	ended   error        // non-nil once endAll ran
	rowsOut int64
	updates int64
	dropped int64
}

var (
	_ catalog.SinkTable = (*fanout)(nil)
	_ catalog.Sink      = (*fanout)(nil)
)

func newFanout(queueLen int, changes bool, maxSnapshotRows int) *fanout {
	f := &fanout{queueLen: queueLen, subs: map[*subscriber]struct{}{}}
	if changes {
		f.state = newResultState(maxSnapshotRows)
	}
	return f
}

// OpenSink implements catalog.SinkTable: the fanout is its own sink.
func (f *fanout) OpenSink(_ context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	enc, err := newEncoder(schema)
	if err != nil {
		return nil, fmt.Errorf("opening live sink: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enc = enc
	return f, nil
}

// Write encodes b (borrowed) and offers it to every subscriber.
func (f *fanout) Write(_ context.Context, b arrow.RecordBatch) error {
	if b.NumRows() == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.enc == nil {
		return fmt.Errorf("writing live results: the sink is not open")
	}
	u, err := f.enc.encode(b)
	if err != nil {
		return fmt.Errorf("writing live results: %w", err)
	}
	f.rowsOut += int64(len(u.Rows))
	f.updates++
	if f.state != nil {
		f.state.apply(u)
	}
	for s := range f.subs {
		if !s.offer(u) {
			delete(f.subs, s)
			f.dropped++
			s.end(ErrSlowConsumer)
		}
	}
	return nil
}

// The job runs without checkpoints (a live query restarts fresh), so the
// transactional half of the Sink contract has nothing to do: delivery is
// at most once, like any push to a client that may disconnect.

func (f *fanout) PreCommit(context.Context, int64) ([]byte, error) { return nil, nil }
func (f *fanout) Commit(context.Context, int64) error              { return nil }
func (f *fanout) Restore(context.Context, []byte) error            { return nil }

// Close implements catalog.Sink; the manager ends the subscriptions when
// the job's Run returns (endAll), with the reason.
func (f *fanout) Close() error { return nil }

// add registers s; a late joiner of an EMIT CHANGES job first gets the
// current result. Snapshot and registration happen under one lock, so s
// sees every change after the snapshot exactly once.
func (f *fanout) add(s *subscriber) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended != nil {
		s.end(f.ended)
		return
	}
	if f.state != nil && f.enc != nil && f.state.len() > 0 {
		s.offer(f.state.snapshot(f.enc.columns)) // the queue is empty: it fits
	}
	f.subs[s] = struct{}{}
}

// remove unregisters s and returns how many subscribers remain.
func (f *fanout) remove(s *subscriber) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.subs, s)
	return len(f.subs)
}

// count returns the number of subscribers.
func (f *fanout) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// endAll ends every subscription with err; later adds end at once.
func (f *fanout) endAll(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended != nil {
		return
	}
	f.ended = err
	for s := range f.subs {
		s.end(err)
	}
	clear(f.subs)
}

// stats returns the fanout's counters.
func (f *fanout) stats() (subs int, rowsOut, updates, dropped int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs), f.rowsOut, f.updates, f.dropped
}
