//go:build !js

package main

import (
	"context"
	"testing"
	"time"
)

// TestRateLimiter: a burst of one second's worth, then rate per second.
func TestRateLimiter(t *testing.T) {
	t0 := time.Unix(0, 0)
	l := newRateLimiter(2, t0)
	if !l.allow(t0) || !l.allow(t0) || l.allow(t0) {
		t.Fatal("burst is not 2")
	}
	if !l.allow(t0.Add(500*time.Millisecond)) || l.allow(t0.Add(500*time.Millisecond)) {
		t.Fatal("half a second did not refill one token")
	}
}

// TestPublishRateLimitClosesSocket: a socket publishing faster than the
// limit is closed by policy, as serve does.
func TestPublishRateLimitClosesSocket(t *testing.T) {
	peer := newFakePeer()
	h := newHost(t, `{}`, newSQLite(t), peer, newFakeCold())
	if err := h.OpenSocket("p", Attachment{Kind: kindEvents, Topic: "t", Write: true}); err != nil {
		t.Fatal(err)
	}
	s := h.sockets["p"]
	s.limit = newRateLimiter(1, time.Now().Add(time.Hour)) // one token, no refill in this test
	ctx := context.Background()
	for range 2 {
		if _, err := h.SocketMessage(ctx, "p", `{"n":1}`); err != nil {
			t.Fatal(err)
		}
	}
	got := peer.await(t, "p", func(f []sent) bool { return len(f) == 1 })
	if got[0].closeCode != closePolicy || got[0].reason != "publish rate limit exceeded" {
		t.Fatalf("got %+v", got)
	}
}
