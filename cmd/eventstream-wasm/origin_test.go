//go:build !js

package main

import (
	"context"
	"testing"
)

// TestHostOriginCheck: allowOrigins holds for the object's WebSockets as
// for `streamsql serve`: a browser from another site is refused before
// the upgrade, its own host and the listed patterns are let in.
func TestHostOriginCheck(t *testing.T) {
	h := newHost(t, `{"allowOrigins":["app.example.com"]}`, newSQLite(t), newFakePeer(), newFakeCold())
	for _, c := range []struct {
		origin string
		want   int
	}{
		{"", 101},
		{"https://do.example.net", 101},
		{"https://app.example.com", 101},
		{"https://evil.example.com", 403},
	} {
		r := Request{Method: "GET", URL: "https://do.example.net/events?topic=t"}
		if c.origin != "" {
			r.Headers = []Header{{"Origin", c.origin}}
		}
		if got := h.AcceptSocket(context.Background(), r); got.Status != c.want {
			t.Errorf("origin %q: %d, want %d", c.origin, got.Status, c.want)
		}
	}
}
