//go:build !js

package main

import (
	"context"
	"testing"
	"time"

	"github.com/streamsql/streamsql/eventstream"
)

// TestPublishRateLimitClosesSocket: a socket publishing faster than the
// limit is closed by policy, as serve does.
func TestPublishRateLimitClosesSocket(t *testing.T) {
	peer := newFakePeer()
	h := newHost(t, `{}`, newSQLite(t), peer, newFakeCold())
	if err := h.OpenSocket("p", Attachment{Kind: kindEvents, Topic: "t", Write: true}); err != nil {
		t.Fatal(err)
	}
	s := h.sockets["p"]
	s.limit = eventstream.NewRateLimiter(1, time.Now().Add(time.Hour)) // one token, no refill in this test
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
