package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"sort"
	"sync"

	"github.com/streamsql/streamsql/eventstream"
)

// maxFanoutFrames caps the events one fan-out call carries.
const maxFanoutFrames = 256

// fanout is one topic's caught-up subscribers sharing a single cursor: each
// batch of new events crosses to JavaScript once, with the ids of every
// member, instead of once per socket and event. A socket joins when its
// own cursor has reached the group's position; until then (a from=
// replay) it reads its own cursor as before.
type fanout struct {
	h      *Host
	topic  string
	cancel context.CancelFunc

	// sendMu is held while a batch is handed to the peer, so that leave
	// returns only once no frame can still reach the socket.
	sendMu sync.Mutex

	mu      sync.Mutex
	pos     uint64 // seq of the last event handed to the members
	members map[string]*member
	dead    bool // emptied, failed or host closed: a joiner makes a new group
}

// member is a socket in a group. skip is the seq its own cursor had
// reached when it joined ahead of the group: it gets only later events.
type member struct {
	s    *socket
	skip uint64
}

// join adds s, whose own cursor has sent every event up to seq, to its
// topic's group. It reports false when the group is further on: the
// socket must read on from its own cursor and try again.
func (h *Host) join(s *socket, seq uint64) (bool, error) {
	h.fanMu.Lock()
	defer h.fanMu.Unlock()
	g := h.groups[s.att.Topic]
	if g != nil {
		g.mu.Lock()
		if g.dead { // ended, not yet dropped
			g.mu.Unlock()
			g = nil
		}
	}
	if g == nil {
		var err error
		if g, err = h.newFanout(s.att.Topic); err != nil {
			return false, err
		}
		h.groups[s.att.Topic] = g
		g.mu.Lock()
	}
	defer g.mu.Unlock()
	if seq < g.pos {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped { // closed meanwhile: nothing more to send
		if len(g.members) == 0 {
			g.dead = true
			g.cancel()
			delete(h.groups, g.topic)
		}
		return true, nil
	}
	s.group = g
	g.members[s.id] = &member{s: s, skip: seq}
	return true, nil
}

// endFanouts stops every group: the host is closing.
func (h *Host) endFanouts() {
	h.fanMu.Lock()
	defer h.fanMu.Unlock()
	for topic, g := range h.groups {
		g.cancel()
		delete(h.groups, topic)
	}
}

// newFanout starts a group tailing topic from its newest event. Called
// with fanMu held.
func (h *Host) newFanout(topic string) (*fanout, error) {
	cur, err := h.srv.Tail(topic, "")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &fanout{h: h, topic: topic, cancel: cancel, pos: cur.Seq(), members: map[string]*member{}}
	go g.run(ctx, cur)
	return g, nil
}

// leave removes a socket; the last one out ends the group. It returns
// once no batch in flight can still reach the socket: it waits for
// sendMu.
func (g *fanout) leave(id string) {
	g.sendMu.Lock()
	g.mu.Lock()
	delete(g.members, id)
	empty := len(g.members) == 0 && !g.dead
	if empty {
		g.dead = true
		g.cancel()
	}
	g.mu.Unlock()
	g.sendMu.Unlock()
	if empty {
		g.h.dropFanout(g)
	}
}

// dropFanout forgets a group that has ended.
func (h *Host) dropFanout(g *fanout) {
	h.fanMu.Lock()
	defer h.fanMu.Unlock()
	if h.groups[g.topic] == g {
		delete(h.groups, g.topic)
	}
}

// run reads the topic and hands each batch of events to the members.
func (g *fanout) run(ctx context.Context, cur *eventstream.Cursor) {
	var frames [][]byte
	var seqs []uint64
	for {
		frames, seqs = frames[:0], seqs[:0]
		ev, err := cur.Next(ctx)
		for err == nil {
			frames, seqs = append(frames, ev.Frame), append(seqs, cur.Seq())
			if cur.Buffered() == 0 || len(frames) == maxFanoutFrames {
				break
			}
			ev, err = cur.Next(ctx)
		}
		if len(frames) > 0 {
			g.deliver(frames, seqs, ev.ID)
		}
		if err != nil {
			g.fail(err)
			return
		}
	}
}

// deliver sends one batch: one call for every member that takes all of
// it, one each for members that joined part-way through it.
func (g *fanout) deliver(frames [][]byte, seqs []uint64, lastID string) {
	g.sendMu.Lock()
	defer g.sendMu.Unlock()
	g.mu.Lock()
	g.pos = seqs[len(seqs)-1]
	all := make([]string, 0, len(g.members))
	var tails []tail
	for id, m := range g.members {
		switch {
		case m.skip < seqs[0]:
			all = append(all, id)
		case m.skip < g.pos:
			k := sort.Search(len(seqs), func(i int) bool { return seqs[i] > m.skip })
			tails = append(tails, tail{id, k})
		default:
			continue // every event here was sent already
		}
		m.skip = 0
	}
	g.mu.Unlock()
	if len(all) > 0 {
		g.h.sendAll(all, frames, lastID)
	}
	for _, t := range tails {
		g.h.sendAll([]string{t.id}, frames[t.from:], lastID)
	}
}

// tail is a member that gets a batch from frames[from].
type tail struct {
	id   string
	from int
}

// sendAll hands frames to the peer in one call. The peer joins them with
// newlines, which compact JSON never holds; a frame that does goes alone.
func (h *Host) sendAll(ids []string, frames [][]byte, lastID string) {
	if !slices.ContainsFunc(frames, func(f []byte) bool { return bytes.IndexByte(f, '\n') >= 0 }) {
		h.peer.SendAll(ids, frames, lastID)
		return
	}
	for i, f := range frames {
		last := ""
		if i == len(frames)-1 {
			last = lastID
		}
		h.peer.SendAll(ids, [][]byte{f}, last)
	}
}

// fail ends the group when its cursor stops, closing the members as each
// socket's own cursor would have been: all of them were at its position.
func (g *fanout) fail(err error) {
	g.mu.Lock()
	members := g.members
	g.members = map[string]*member{}
	g.dead = true
	g.mu.Unlock()
	defer g.h.dropFanout(g)
	code, reason := 0, ""
	switch {
	case errors.Is(err, eventstream.ErrFellBehind):
		code, reason = closePolicy, "subscriber too slow: fell behind the newest events"
	case errors.Is(err, io.EOF):
		code, reason = closeGoingAway, "server shutting down"
	default:
		return // cancelled: the last member left
	}
	for _, m := range members {
		g.h.closeSocket(m.s, code, reason)
	}
}
