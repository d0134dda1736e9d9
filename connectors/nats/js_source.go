package nats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamsql/streamsql/catalog"
)

// jsReader reads a JetStream stream through a durable pull consumer that
// the job owns. Deliveries arrive in stream order from a known start (the
// checkpoint's sequence, else the consumer's ack floor: the consumer is
// reset to it at the first Read), so the position is simply the last
// stream sequence emitted. A delivery that goes missing (a reconnect loses
// messages in flight, a restarted server forgot some state) shows as a gap
// in the consumer sequence: the reader then resets the consumer to just
// after the last acknowledged message and skips, by stream sequence, the
// redeliveries of what it emitted already.
type jsReader struct {
	t         *Table
	rows      *rows
	cons      jetstream.Consumer
	it        jetstream.MessagesContext
	batchRows int
	linger    time.Duration
	pull      int // messages a pull asks for

	// Read's own state.
	lastDseq  uint64 // consumer sequence of the last delivery since the reset
	high      uint64 // the position: last stream sequence emitted
	needReset bool
	resetTo   uint64 // stream sequence to reset to, 0 for the ack floor
	closed    bool

	acks acks // emitted messages awaiting CommitPosition; shared with it
}

var (
	_ catalog.SplitReader       = (*jsReader)(nil)
	_ catalog.PositionCommitter = (*jsReader)(nil)
)

// jsPosition is the encoded Position.
type jsPosition struct {
	Seq uint64 `json:"seq"`
}

func (t *Table) openJetStreamReader(ctx context.Context, req catalog.StreamRequest, rs *rows) (*jsReader, error) {
	cons, err := t.ensureConsumer(ctx)
	if err != nil {
		return nil, err
	}
	r := &jsReader{t: t, rows: rs, cons: cons, needReset: true}
	r.batchRows, r.linger = readLimits(req)
	r.pull = min(max(r.batchRows, 256), t.cfg.maxAckPending, 4096)
	cc := cons.CachedInfo().Config
	r.acks.init(t.nc, cc.AckWait, cc.AckPolicy == jetstream.AckAllPolicy)
	return r, nil
}

// ID implements catalog.SplitReader.
func (r *jsReader) ID() string { return "jetstream/" + r.t.cfg.stream + "/" + r.t.cfg.consumer }

// jsMoreWait is how long, in all, Read waits for further messages once it
// holds rows. The iterator cannot say whether a message is at hand without
// waiting for one, so Read waits this little instead; only the time spent
// waiting counts, so messages at hand (a backlog) still fill whole
// batches, while a trickle goes out within about this much of its first
// row.
const jsMoreWait = 2 * time.Millisecond

// Read implements catalog.SplitReader: it waits up to Linger for the first
// message (catalog.ErrIdle when none came, or the server is away: the
// connection keeps trying), then at most jsMoreWait in all for further
// ones, up to BatchRows: held rows go out at once rather than after
// Linger, and a backlog still comes back in full batches.
func (r *jsReader) Read(ctx context.Context) (arrow.RecordBatch, error) {
	if r.closed {
		return nil, fmt.Errorf("reading %s: the reader is closed", r.ID())
	}
	r.acks.extend(time.Now())
	if r.needReset {
		if err := r.reset(ctx); err != nil {
			if transient(err) && ctx.Err() == nil {
				r.wait(ctx)
				return nil, catalog.ErrIdle
			}
			return nil, fmt.Errorf("reading %s: %w", r.ID(), err)
		}
	}
	lctx, cancel := context.WithTimeout(ctx, r.linger)
	defer cancel()
	// Next waits on wctx: the linger while no row is held, then what is
	// left of jsMoreWait (spare), which only the time in Next uses up.
	// The context and its timer are made once per Read, not per message.
	wctx := lctx
	var (
		more  *time.Timer   // cancels wctx when a Next outlasts spare
		spare time.Duration // what is left of jsMoreWait
	)
	for r.rows.n() < r.batchRows && !r.needReset {
		if more == nil && r.rows.n() > 0 {
			var mcancel context.CancelFunc
			wctx, mcancel = context.WithCancel(lctx)
			defer mcancel()
			more, spare = time.AfterFunc(jsMoreWait, mcancel), jsMoreWait
			defer more.Stop()
		}
		var from time.Time
		if more != nil {
			if spare <= 0 {
				break
			}
			from = time.Now()
			more.Reset(spare)
		}
		m, err := r.it.Next(jetstream.NextContext(wctx))
		if more != nil {
			more.Stop()
			spare -= time.Since(from)
		}
		if err != nil {
			if ctx.Err() != nil {
				r.dropRows()
				return nil, ctx.Err()
			}
			if wctx.Err() != nil {
				break // the linger is over, or jsMoreWait once rows are held
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || errors.Is(err, jetstream.ErrConsumerDeleted) {
				r.dropRows()
				return nil, fmt.Errorf("reading %s: %w", r.ID(), err)
			}
			break // a reconnect or missed heartbeat: the iterator recovers
		}
		if err := r.deliver(m); err != nil {
			r.dropRows()
			return nil, fmt.Errorf("reading %s: %w", r.ID(), err)
		}
	}
	if b := r.rows.flush(); b != nil {
		return b, nil
	}
	return nil, catalog.ErrIdle
}

// wait pauses for the linger (or until ctx ends) before a retry.
func (r *jsReader) wait(ctx context.Context) {
	t := time.NewTimer(r.linger)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// dropRows discards rows decoded in a failed Read.
func (r *jsReader) dropRows() {
	if b := r.rows.flush(); b != nil {
		b.Release()
	}
}

// deliver handles one delivery: emit it, skip a redelivery, or notice a
// gap.
func (r *jsReader) deliver(m jetstream.Msg) error {
	meta, err := m.Metadata()
	if err != nil {
		return fmt.Errorf("reading message metadata: %w", err)
	}
	seq, dseq := meta.Sequence.Stream, meta.Sequence.Consumer
	if dseq != r.lastDseq+1 {
		// Deliveries went missing: start again after the last ack.
		r.needReset, r.resetTo = true, r.acks.floor()+1
		return nil
	}
	r.lastDseq = dseq
	if seq <= r.high {
		r.acks.redelivered(seq, m.Reply())
		return nil
	}
	r.high = seq
	r.acks.add(seq, m.Reply())
	return r.rows.add(m.Data(), m.Subject(), seq)
}

// reset restarts the consumer's deliveries and the message iterator.
func (r *jsReader) reset(ctx context.Context) error {
	if r.it != nil {
		stopIterator(ctx, r.it)
		r.it = nil
	}
	if !r.t.nc.IsConnected() {
		return nats.ErrDisconnected // no request to wait out: retry at the next Read
	}
	start, err := r.t.resetConsumer(ctx, r.resetTo)
	if err != nil {
		return err
	}
	if r.resetTo == 0 { // a fresh start from the ack floor
		r.high = start - 1
		r.acks.setFloor(start - 1)
	}
	it, err := r.cons.Messages(jetstream.PullMaxMessages(r.pull))
	if err != nil {
		return fmt.Errorf("pulling from consumer %s: %w", r.t.cfg.consumer, err)
	}
	r.it, r.lastDseq, r.needReset = it, 0, false
	return nil
}

// stopIterator stops a message iterator and waits until it has
// unsubscribed: a pull request it left on the server must not take the
// deliveries that follow a reset (they would be lost). The iterator
// unsubscribes on its own goroutine and reports it only through Closed,
// which is checked anew at each call.
func stopIterator(ctx context.Context, it jetstream.MessagesContext) {
	it.Stop()
	c, ok := it.(interface{ Closed() <-chan struct{} })
	if !ok {
		return
	}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(apiTimeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-c.Closed():
			return
		case <-tick.C:
		}
	}
}

// Position implements catalog.SplitReader: the last stream sequence
// emitted.
func (r *jsReader) Position() ([]byte, error) {
	return json.Marshal(jsPosition{Seq: r.high})
}

// Seek implements catalog.SplitReader: the consumer is reset to deliver
// again from just after the checkpoint's sequence, at the next Read.
// Everything up to it is processed for good, so it counts as acknowledged.
func (r *jsReader) Seek(_ context.Context, pos []byte) error {
	if r.closed {
		return fmt.Errorf("seeking %s: the reader is closed", r.ID())
	}
	var p jsPosition
	if len(pos) > 0 {
		if err := json.Unmarshal(pos, &p); err != nil {
			return fmt.Errorf("seeking %s: malformed position %q", r.ID(), pos)
		}
	}
	if p.Seq == 0 {
		r.needReset, r.resetTo = true, 0
		return nil
	}
	r.high, r.needReset, r.resetTo = p.Seq, true, p.Seq+1
	r.acks.setFloor(p.Seq)
	return nil
}

// CommitPosition implements catalog.PositionCommitter: it acknowledges
// every message emitted up to the checkpoint's sequence. Acks lost on the
// way come back as redeliveries, which are acknowledged then.
func (r *jsReader) CommitPosition(ctx context.Context, pos []byte) error {
	var p jsPosition
	if err := json.Unmarshal(pos, &p); err != nil {
		return fmt.Errorf("committing position of %s: malformed position %q", r.ID(), pos)
	}
	r.acks.commit(ctx, p.Seq)
	return nil
}

// Close stops pulling; unacknowledged messages are redelivered to the
// next reader. It may be called more than once.
func (r *jsReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.it != nil {
		r.it.Stop()
	}
	r.rows.release()
	return nil
}
