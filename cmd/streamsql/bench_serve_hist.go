package main

import (
	"math/bits"
	"time"
)

// latencyHist records durations in log-linear buckets: 32 sub-buckets per
// power of two, so a quantile is off by at most 1/32 (3.1%) of its value,
// and recording costs a few instructions with no allocation — cheap
// enough to record every delivery to a thousand subscribers. max is
// exact. Not safe for concurrent use: each subscriber owns one and they
// are merged at the end.
type latencyHist struct {
	counts [histBuckets]int64
	n      int64
	max    time.Duration
}

const (
	histSubBits = 5
	histSub     = 1 << histSubBits
	// histBuckets covers every non-negative duration: the exact buckets
	// below histSub, then exponents histSubBits…62.
	histBuckets = (63 - histSubBits + 1) * histSub
)

// histBucket maps a non-negative duration to its bucket: below histSub ns
// one bucket per nanosecond, above it the exponent then the top
// histSubBits bits after the leading one.
func histBucket(d time.Duration) int {
	v := uint64(max(d, 0))
	if v < histSub {
		return int(v)
	}
	exp := bits.Len64(v) - 1 // ≥ histSubBits
	mant := (v >> (exp - histSubBits)) & (histSub - 1)
	return (exp-histSubBits+1)*histSub + int(mant)
}

// histLower is the smallest duration in bucket b.
func histLower(b int) time.Duration {
	if b < histSub {
		return time.Duration(b)
	}
	exp := b/histSub + histSubBits - 1
	mant := uint64(b % histSub)
	return time.Duration((uint64(1) << exp) | mant<<(exp-histSubBits))
}

func (h *latencyHist) record(d time.Duration) {
	h.counts[histBucket(d)]++
	h.n++
	h.max = max(h.max, d)
}

func (h *latencyHist) merge(o *latencyHist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile is the q-quantile (0 < q ≤ 1): the lower bound of the bucket
// holding the ⌈q·n⌉-th smallest value, capped at the exact maximum; 0
// when nothing was recorded.
func (h *latencyHist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.999999)
	rank = min(max(rank, 1), h.n)
	if rank == h.n {
		return h.max
	}
	var seen int64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(histLower(b), h.max)
		}
	}
	return h.max
}
