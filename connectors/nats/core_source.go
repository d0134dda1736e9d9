package nats

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/nats-io/nats.go"

	"github.com/streamsql/streamsql/catalog"
)

const (
	// defaultLinger is how long Read waits for a first message when the
	// request does not say.
	defaultLinger = 100 * time.Millisecond
	// defaultBatchRows caps batches when the request does not say.
	defaultBatchRows = 8192
	// coreBuffer is how many messages a core subscription holds for Read;
	// beyond it the client drops messages (a slow consumer).
	coreBuffer = 1 << 16
)

// coreReader reads a core NATS subscription: at most once. Messages
// published while no job subscribes, or dropped because the job reads too
// slowly, are lost, and a restarted job cannot replay what the crashed
// one had read: Position is empty and Seek has nothing to do.
type coreReader struct {
	t         *Table
	rows      *rows
	sub       *nats.Subscription
	msgs      chan *nats.Msg
	batchRows int
	linger    time.Duration
	timer     *time.Timer
	closed    bool
}

var _ catalog.SplitReader = (*coreReader)(nil)

func (t *Table) openCoreReader(req catalog.StreamRequest, rs *rows) (*coreReader, error) {
	r := &coreReader{t: t, rows: rs, msgs: make(chan *nats.Msg, coreBuffer)}
	r.batchRows, r.linger = readLimits(req)
	var err error
	if t.cfg.queue != "" {
		r.sub, err = t.nc.ChanQueueSubscribe(t.cfg.subject, t.cfg.queue, r.msgs)
	} else {
		r.sub, err = t.nc.ChanSubscribe(t.cfg.subject, r.msgs)
	}
	if err != nil {
		return nil, fmt.Errorf("subscribing to %s: %w", t.cfg.subject, err)
	}
	// The subscription is in force once the server has seen it.
	if err := t.nc.Flush(); err != nil {
		_ = r.sub.Unsubscribe()
		return nil, fmt.Errorf("subscribing to %s: %w", t.cfg.subject, err)
	}
	return r, nil
}

// readLimits applies the defaults to a request's batch size and linger.
func readLimits(req catalog.StreamRequest) (int, time.Duration) {
	rows, linger := req.BatchRows, req.Linger
	if rows <= 0 {
		rows = defaultBatchRows
	}
	if linger <= 0 {
		linger = defaultLinger
	}
	return rows, linger
}

// ID implements catalog.SplitReader.
func (r *coreReader) ID() string { return "nats/" + r.t.cfg.subject }

// Read implements catalog.SplitReader: it waits up to Linger for the
// first message (catalog.ErrIdle when none comes), then takes only the
// messages already waiting, up to BatchRows: rows are returned as soon as
// the subscription has nothing more at hand rather than after Linger, and
// a backlog still comes back in full batches.
func (r *coreReader) Read(ctx context.Context) (arrow.RecordBatch, error) {
	if r.closed {
		return nil, fmt.Errorf("reading %s: the reader is closed", r.ID())
	}
	armed := false
	for r.rows.n() < r.batchRows {
		var m *nats.Msg
		select {
		case m = <-r.msgs:
		default:
			if r.rows.n() > 0 {
				return r.flush() // nothing more at hand: no need to linger
			}
			// Nothing yet: wait, up to Linger from the first wait (a
			// dead-lettered message adds no row and does not restart it).
			if !armed {
				if r.timer == nil {
					r.timer = time.NewTimer(r.linger)
				} else {
					r.timer.Reset(r.linger)
				}
				defer r.timer.Stop()
				armed = true
			}
			select {
			case m = <-r.msgs:
			case <-r.timer.C:
				return r.flush()
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if err := r.rows.add(m.Data, m.Subject, 0); err != nil {
			return nil, fmt.Errorf("reading %s: %w", r.ID(), err)
		}
	}
	return r.flush()
}

func (r *coreReader) flush() (arrow.RecordBatch, error) {
	if b := r.rows.flush(); b != nil {
		return b, nil
	}
	return nil, catalog.ErrIdle
}

// Position implements catalog.SplitReader: core NATS cannot replay, so
// there is nothing to resume from.
func (r *coreReader) Position() ([]byte, error) { return nil, nil }

// Seek implements catalog.SplitReader: a resumed job reads what is
// published from now on.
func (r *coreReader) Seek(context.Context, []byte) error {
	if r.closed {
		return fmt.Errorf("seeking %s: the reader is closed", r.ID())
	}
	return nil
}

// Close unsubscribes; it may be called more than once.
func (r *coreReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.rows.release()
	if err := r.sub.Unsubscribe(); err != nil && !r.t.nc.IsClosed() {
		return fmt.Errorf("closing %s: %w", r.ID(), err)
	}
	return nil
}
