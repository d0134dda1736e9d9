package eventstream

import "time"

// RateLimiter is a token bucket: rate tokens a second, holding at most
// one second's worth. It limits what one WebSocket may publish, here and
// in hosts that own their sockets (a Durable Object). Not safe for
// concurrent use: one per socket.
type RateLimiter struct {
	rate, tokens float64
	last         time.Time
}

// NewRateLimiter starts a full bucket of perSecond tokens at now.
func NewRateLimiter(perSecond int, now time.Time) *RateLimiter {
	return &RateLimiter{rate: float64(perSecond), tokens: float64(perSecond), last: now}
}

// Allow takes a token if there is one.
func (l *RateLimiter) Allow(now time.Time) bool {
	if d := now.Sub(l.last); d > 0 {
		l.tokens = min(l.rate, l.tokens+d.Seconds()*l.rate)
		l.last = now
	}
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}
