package nats

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Ack bodies of the JetStream protocol (what Msg.Ack and Msg.InProgress
// send): the reader keeps only each message's reply subject, not the
// message.
var (
	ackBody      = []byte("+ACK")
	progressBody = []byte("+WPI")
)

// flushTimeout bounds the wait for the server to take a commit's acks.
const flushTimeout = 5 * time.Second

// acks tracks the messages a reader emitted and has not acknowledged: they
// are acknowledged only once a checkpoint covering them is committed, and
// kept alive meanwhile with in-progress acks so that AckWait does not
// expire while a long checkpoint runs. Read adds to it; CommitPosition
// runs concurrently.
type acks struct {
	mu         sync.Mutex
	nc         *nats.Conn
	ackWait    time.Duration
	ackAll     bool         // the consumer's AckAll: one ack covers everything before it
	pending    []pendingAck // by increasing stream sequence
	committed  uint64       // every sequence up to it is acknowledged
	now        time.Time    // when the current Read started
	lastExtend time.Time
}

// pendingAck is an emitted message: where to ack it and when it was last
// delivered or extended.
type pendingAck struct {
	seq   uint64
	reply string
	at    time.Time
}

func (a *acks) init(nc *nats.Conn, ackWait time.Duration, ackAll bool) {
	a.nc, a.ackWait, a.ackAll, a.now, a.lastExtend = nc, ackWait, ackAll, time.Now(), time.Now()
}

// add records an emitted message (its sequence above every pending one).
func (a *acks) add(seq uint64, reply string) {
	a.mu.Lock()
	a.pending = append(a.pending, pendingAck{seq: seq, reply: reply, at: a.now})
	a.mu.Unlock()
}

// redelivered handles a message delivered again after it was emitted:
// pending, it is acknowledged later through its new delivery; already
// acknowledged (the ack was lost), it is acknowledged again.
func (a *acks) redelivered(seq uint64, reply string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := sort.Search(len(a.pending), func(i int) bool { return a.pending[i].seq >= seq })
	if i < len(a.pending) && a.pending[i].seq == seq {
		a.pending[i].reply, a.pending[i].at = reply, a.now
		return
	}
	if seq <= a.committed {
		_ = a.nc.Publish(reply, ackBody) // lost again: it comes back again
	}
}

// commit acknowledges every pending message up to seq and waits (a
// while) for the server to have them. An ack that does not arrive brings
// the message back, to be acknowledged then: nothing to fail for.
func (a *acks) commit(ctx context.Context, seq uint64) {
	a.mu.Lock()
	i := sort.Search(len(a.pending), func(i int) bool { return a.pending[i].seq > seq })
	done := a.pending[:i:i]
	// Read appends to a fresh array meanwhile: publishing may block on a
	// busy server and must not hold Read up.
	a.pending = append(make([]pendingAck, 0, max(len(a.pending)-i, 1024)), a.pending[i:]...)
	a.committed = max(a.committed, seq)
	a.mu.Unlock()
	if a.ackAll && len(done) > 0 {
		done = done[len(done)-1:]
	}
	for _, p := range done {
		_ = a.nc.Publish(p.reply, ackBody)
	}
	if i > 0 {
		ctx, cancel := context.WithTimeout(ctx, flushTimeout)
		defer cancel()
		_ = a.nc.FlushWithContext(ctx)
	}
}

// floor is the last sequence acknowledged.
func (a *acks) floor() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.committed
}

// setFloor sets the last sequence acknowledged (a restored checkpoint's,
// a reset consumer's) and forgets pending messages up to it.
func (a *acks) setFloor(seq uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := sort.Search(len(a.pending), func(i int) bool { return a.pending[i].seq > seq })
	a.pending = append(a.pending[:0], a.pending[i:]...)
	a.committed = seq
}

// extend sends an in-progress ack for the messages delivered more than
// half an AckWait ago, so that the server does not redeliver messages
// waiting for a checkpoint. It runs at most every third of an AckWait.
func (a *acks) extend(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.now = now
	if a.ackWait <= 0 || now.Sub(a.lastExtend) < a.ackWait/3 {
		return
	}
	a.lastExtend = now
	for i := range a.pending {
		if p := &a.pending[i]; now.Sub(p.at) >= a.ackWait/2 {
			_ = a.nc.Publish(p.reply, progressBody)
			p.at = now
		}
	}
}

// size is the number of messages awaiting their ack.
func (a *acks) size() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.pending)
}
