package eventstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/streamsql/streamsql/eventstream/wal"
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("the event stream server is closed")

// committer makes events durable and visible in order, with group commit:
// requests queue their events; whichever request finds no flush running
// becomes the leader, writes everything queued with one fsync, applies it
// to the hot tier in order and wakes the others. Ids are assigned at
// enqueue time under the lock, so the log, the hot tier and the ids all
// agree on one order per topic.
type committer struct {
	log *wal.Log // nil: memory only
	now func() int64

	mu       sync.Mutex
	cond     *sync.Cond
	buf      []byte // framed records queued
	queued   []topicEvents
	maxNS    int64
	enqueued uint64 // groups queued so far
	done     uint64 // groups flushed (or failed) so far
	failedAt uint64 // groups up to this one failed with err
	err      error  // the log's failure: sticky
	flushing bool
	closed   bool
}

// topicEvents are events of one request for one topic.
type topicEvents struct {
	t   *topic
	evs []*event
}

func newCommitter(log *wal.Log, now func() int64) *committer {
	c := &committer{log: log, now: now}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// walRecord is the WAL payload of one event, or of a bookkeeping record
// (Meta set, nothing else): every topic's last seq and ingest time, written
// at the start of each segment so that ids keep counting up after the
// segments holding a topic's events are pruned.
type walRecord struct {
	Topic string              `json:"t,omitempty"`
	ID    string              `json:"i,omitempty"`
	Event int64               `json:"e,omitempty"` // event time, µs
	Data  json.RawMessage     `json:"d,omitempty"`
	Meta  map[string][2]int64 `json:"m,omitempty"` // topic → {last seq, last ingest ns}
}

// appendPayload frames ev's WAL record onto dst.
func appendPayload(dst []byte, topic string, ev *event) []byte {
	p := make([]byte, 0, len(ev.raw)+len(topic)+64)
	p = append(p, `{"t":`...)
	tb, _ := json.Marshal(topic) // cannot fail for a string
	p = append(p, tb...)
	p = append(p, `,"i":"`...)
	p = append(p, ev.id...)
	p = append(p, `","e":`...)
	p = strconv.AppendInt(p, ev.eventUS, 10)
	p = append(p, `,"d":`...)
	p = append(p, ev.raw...)
	p = append(p, '}')
	return wal.AppendRecord(dst, p)
}

// commit assigns ids to evs (raw, event time and fields already set), makes
// them durable and visible, and returns once they are, or with the error
// that stopped them (then none of them is visible).
func (c *committer) commit(t *topic, evs []*event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usable(); err != nil {
		return err
	}
	now := c.now()
	for _, ev := range evs {
		t.lastSeq++
		t.lastNS = max(now, t.lastNS+1)
		ev.seq, ev.ingestNS = t.lastSeq, t.lastNS
		ev.id = formatID(ev.ingestNS, ev.seq)
		ev.frame = buildFrame(t.name, ev)
		c.buf = appendPayload(c.buf, t.name, ev)
		c.maxNS = max(c.maxNS, ev.ingestNS)
	}
	c.queued = append(c.queued, topicEvents{t, evs})
	return c.wait()
}

// commitMeta writes a bookkeeping record of every topic's last seq and
// ingest time, in order with the events around it.
func (c *committer) commitMeta(topics []*topic) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usable(); err != nil {
		return err
	}
	if c.log == nil || len(topics) == 0 {
		return nil
	}
	meta := make(map[string][2]int64, len(topics))
	for _, t := range topics {
		if t.lastSeq > 0 {
			meta[t.name] = [2]int64{int64(t.lastSeq), t.lastNS}
		}
	}
	if len(meta) == 0 {
		return nil
	}
	p, err := json.Marshal(walRecord{Meta: meta})
	if err != nil {
		return fmt.Errorf("encoding topic positions: %w", err)
	}
	c.buf = wal.AppendRecord(c.buf, p)
	return c.wait()
}

// usable refuses work after close or a failed write. Called locked.
func (c *committer) usable() error {
	if c.closed {
		return ErrClosed
	}
	return c.err
}

// wait closes the group being queued and waits until it is flushed,
// flushing itself when no one else is. Called locked.
func (c *committer) wait() error {
	c.enqueued++
	mine := c.enqueued
	for c.done < mine {
		if c.flushing {
			c.cond.Wait()
			continue
		}
		c.flush()
	}
	if mine <= c.failedAt {
		return c.err
	}
	return nil
}

// flush writes and applies everything queued. Called locked; unlocks
// while writing.
func (c *committer) flush() {
	c.flushing = true
	buf, queued, maxNS, upto := c.buf, c.queued, c.maxNS, c.enqueued
	c.buf, c.queued, c.maxNS = nil, nil, 0
	c.mu.Unlock()
	var err error
	if c.log != nil {
		err = c.log.Write(buf, maxNS)
	}
	if err == nil {
		for _, q := range queued {
			q.t.append(q.evs)
		}
	}
	c.mu.Lock()
	if err != nil {
		c.err = fmt.Errorf("committing events: %w", err)
		c.failedAt = upto
		// Ids handed out to the failed group are gone with it: nothing
		// after it is ever accepted (the error is sticky), so no gap shows.
	}
	c.done = upto
	c.flushing = false
	c.cond.Broadcast()
}

// close waits for the flush in progress and refuses later commits.
func (c *committer) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for c.flushing {
		c.cond.Wait()
	}
}
