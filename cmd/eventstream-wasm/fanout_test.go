//go:build !js

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// openEvents accepts and opens an events socket on topic (from= optional).
func openEvents(t *testing.T, h *Host, id, topic, from string) {
	t.Helper()
	url := "http://x/events?topic=" + topic
	if from != "" {
		url += "&from=" + from
	}
	acc := h.AcceptSocket(context.Background(), Request{Method: "GET", URL: url})
	if acc.Status != 101 {
		t.Fatalf("accept %s: %+v", id, acc)
	}
	if err := h.OpenSocket(id, *acc.Attachment); err != nil {
		t.Fatal(err)
	}
}

// ns reads the "n" field of each frame.
func ns(t *testing.T, frames []sent) []int {
	t.Helper()
	out := make([]int, 0, len(frames))
	for _, f := range frames {
		if f.closeCode != 0 {
			continue
		}
		var ev struct{ N int }
		if err := json.Unmarshal([]byte(f.text), &ev); err != nil {
			t.Fatalf("frame %q: %v", f.text, err)
		}
		out = append(out, ev.N)
	}
	return out
}

func wantSeq(t *testing.T, id string, got []int, from, to int) {
	t.Helper()
	if len(got) != to-from {
		t.Fatalf("socket %s got %d events, want %d: %v", id, len(got), to-from, got)
	}
	for i, n := range got {
		if n != from+i {
			t.Fatalf("socket %s: event %d is n=%d, want %d (gap, duplicate or reorder): %v", id, i, n, from+i, got)
		}
	}
}

func post(t *testing.T, h *Host, topic string, from, to int) {
	t.Helper()
	var b strings.Builder
	for n := from; n < to; n++ {
		fmt.Fprintf(&b, "{\"n\":%d}\n", n)
	}
	if r := do(h, "POST", "/events?topic="+topic, "", b.String()); r.Status != 200 {
		t.Fatalf("POST: %d %s", r.Status, r.Body)
	}
}

// TestFanoutOneCallPerBatch: a batch of new events reaches every caught-up
// subscriber of the topic in one call to the peer, not one per socket
// and event.
func TestFanoutOneCallPerBatch(t *testing.T) {
	peer := newFakePeer()
	h := newHost(t, `{}`, newSQLite(t), peer, newFakeCold())
	const subs = 50
	for i := range subs {
		openEvents(t, h, fmt.Sprint("s", i), "t", "")
	}
	post(t, h, "t", 0, 1)
	post(t, h, "t", 1, 4) // one commit of three events: one batch
	for i := range subs {
		id := fmt.Sprint("s", i)
		got := peer.await(t, id, func(f []sent) bool { return len(f) >= 4 })
		wantSeq(t, id, ns(t, got), 0, 4)
		if got[3].lastID == "" || !strings.Contains(got[3].text, got[3].lastID) {
			t.Fatalf("socket %s: last frame %q carries last id %q", id, got[3].text, got[3].lastID)
		}
	}
	peer.mu.Lock()
	calls := peer.batches
	peer.mu.Unlock()
	if calls != 2 {
		t.Fatalf("%d peer calls for 2 commits to %d subscribers, want 2", calls, subs)
	}
	if st := h.Stats(); st.Goroutines > 40 {
		t.Fatalf("%d goroutines for %d subscribers: each still has its own", st.Goroutines, subs)
	}
}

// TestFanoutReplayingSocketJoins: a socket replaying from=earliest while
// new events keep arriving gets every event once, in order, and ends up
// in the topic's group.
func TestFanoutReplayingSocketJoins(t *testing.T) {
	peer := newFakePeer()
	h := newHost(t, `{}`, newSQLite(t), peer, newFakeCold())
	openEvents(t, h, "tail", "t", "")
	post(t, h, "t", 0, 500)
	openEvents(t, h, "replay", "t", "earliest")
	var wg sync.WaitGroup
	wg.Go(func() {
		for n := 500; n < 600; n += 10 {
			post(t, h, "t", n, n+10)
		}
	})
	wg.Wait()
	for _, id := range []string{"tail", "replay"} {
		got := peer.await(t, id, func(f []sent) bool { return len(f) >= 600 })
		wantSeq(t, id, ns(t, got), 0, 600)
	}
	h.fanMu.Lock()
	g := h.groups["t"]
	h.fanMu.Unlock()
	g.mu.Lock()
	_, in := g.members["replay"]
	g.mu.Unlock()
	if !in {
		t.Fatal("the caught-up replaying socket did not join the group")
	}
	post(t, h, "t", 600, 601)
	wantSeq(t, "replay", ns(t, peer.await(t, "replay", func(f []sent) bool { return len(f) >= 601 })), 0, 601)
}

// TestFanoutMemberAheadOfGroup: a socket that joined ahead of the group
// (its cursor started after events the group had not handed out yet) gets
// only the events after its own position.
func TestFanoutMemberAheadOfGroup(t *testing.T) {
	peer := newFakePeer()
	h := newHost(t, `{}`, newSQLite(t), peer, newFakeCold())
	g := &fanout{h: h, topic: "t", cancel: func() {}, pos: 5, members: map[string]*member{
		"behind": {s: &socket{id: "behind"}},
		"ahead":  {s: &socket{id: "ahead"}, skip: 7},
		"past":   {s: &socket{id: "past"}, skip: 9},
	}}
	frames := [][]byte{[]byte(`{"n":6}`), []byte(`{"n":7}`), []byte(`{"n":8}`), []byte(`{"n":9}`)}
	g.deliver(frames, []uint64{6, 7, 8, 9}, "id9")
	wantSeq(t, "behind", ns(t, peer.of("behind")), 6, 10)
	wantSeq(t, "ahead", ns(t, peer.of("ahead")), 8, 10)
	wantSeq(t, "past", ns(t, peer.of("past")), 0, 0)
	if peer.batches != 2 {
		t.Fatalf("%d peer calls, want 2 (all, then the late joiner's part)", peer.batches)
	}
	g.deliver([][]byte{[]byte(`{"n":10}`)}, []uint64{10}, "id10")
	for _, id := range []string{"behind", "ahead", "past"} {
		if got := ns(t, peer.of(id)); got[len(got)-1] != 10 {
			t.Fatalf("socket %s missed the next batch: %v", id, got)
		}
	}
}

// blockingPeer holds the first SendAll until released.
type blockingPeer struct {
	*fakePeer
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (p *blockingPeer) SendAll(ids []string, frames [][]byte, lastID string) {
	p.once.Do(func() {
		close(p.entered)
		<-p.release
	})
	p.fakePeer.SendAll(ids, frames, lastID)
}

// TestFanoutSocketClosesMidFanout: a socket closed while a batch is on its
// way still gets that batch (the object skips it if already gone) and
// nothing after; SocketClosed returns only once the batch is out; the
// others go on.
func TestFanoutSocketClosesMidFanout(t *testing.T) {
	peer := &blockingPeer{fakePeer: newFakePeer(), entered: make(chan struct{}), release: make(chan struct{})}
	h := newHost(t, `{}`, newSQLite(t), peer, newFakeCold())
	openEvents(t, h, "stay", "t", "")
	openEvents(t, h, "go", "t", "")
	post(t, h, "t", 0, 1)
	<-peer.entered
	closed := make(chan struct{})
	go func() { h.SocketClosed("go"); close(closed) }()
	time.Sleep(20 * time.Millisecond)
	select {
	case <-closed:
		t.Fatal("SocketClosed returned while a batch for the socket was in flight")
	default:
	}
	close(peer.release)
	<-closed
	post(t, h, "t", 1, 3)
	wantSeq(t, "stay", ns(t, peer.await(t, "stay", func(f []sent) bool { return len(f) >= 3 })), 0, 3)
	if got := ns(t, peer.of("go")); len(got) > 1 {
		t.Fatalf("closed socket got %v", got)
	}
	h.SocketClosed("stay")
	h.fanMu.Lock()
	n := len(h.groups)
	h.fanMu.Unlock()
	if n != 0 {
		t.Fatal("the group outlived its last member")
	}
}

// TestFanoutGroupFallsBehind: a group whose reader falls behind closes
// every member with 1008, as each socket's own cursor would have.
func TestFanoutGroupFallsBehind(t *testing.T) {
	peer := &blockingPeer{fakePeer: newFakePeer(), entered: make(chan struct{}), release: make(chan struct{})}
	h := newHost(t, `{"subscriberQueue": 4}`, newSQLite(t), peer, newFakeCold())
	openEvents(t, h, "a", "t", "")
	openEvents(t, h, "b", "t", "")
	post(t, h, "t", 0, 1)
	<-peer.entered
	post(t, h, "t", 1, 20)
	close(peer.release)
	for _, id := range []string{"a", "b"} {
		got := peer.await(t, id, func(f []sent) bool { return len(f) > 0 && f[len(f)-1].closeCode != 0 })
		if c := got[len(got)-1].closeCode; c != closePolicy {
			t.Fatalf("socket %s closed with %d, want %d", id, c, closePolicy)
		}
	}
	// A new subscriber gets a new group.
	openEvents(t, h, "c", "t", "")
	post(t, h, "t", 20, 21)
	wantSeq(t, "c", ns(t, peer.await(t, "c", func(f []sent) bool { return len(f) >= 1 })), 20, 21)
}
