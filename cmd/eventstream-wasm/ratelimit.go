package main

import "time"

// rateLimiter is a token bucket: rate tokens a second, at most one
// second's worth held.
type rateLimiter struct {
	rate, tokens float64
	last         time.Time
}

func newRateLimiter(perSecond int, now time.Time) *rateLimiter {
	return &rateLimiter{rate: float64(perSecond), tokens: float64(perSecond), last: now}
}

func (l *rateLimiter) allow(now time.Time) bool {
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
