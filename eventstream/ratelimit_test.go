package eventstream

import (
	"testing"
	"time"
)

// TestRateLimiter: a burst of one second's worth, then rate per second.
func TestRateLimiter(t *testing.T) {
	t0 := time.Unix(0, 0)
	l := NewRateLimiter(2, t0)
	if !l.Allow(t0) || !l.Allow(t0) || l.Allow(t0) {
		t.Fatal("burst is not 2")
	}
	if !l.Allow(t0.Add(500*time.Millisecond)) || l.Allow(t0.Add(500*time.Millisecond)) {
		t.Fatal("half a second did not refill one token")
	}
}
