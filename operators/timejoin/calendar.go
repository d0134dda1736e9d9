package timejoin

import (
	"cmp"
	"math"
	"slices"
)

// calendar is a calendar queue of the key groups buffering rows of one
// side of an interval join, by the event time of each group's earliest
// row (its front). For roughly time-ordered input it costs O(1) amortised
// per row where a heap of groups cost O(log n) pointer-chasing steps.
//
// Buckets cover width µs each and sit in a ring from bucket base on. A
// group is filed (as a qent carrying its front time) whenever its front
// changes; the entry it had stays behind and is skipped as stale when its
// bucket is drained (an entry is live while its group's front is still
// at its time; a duplicate live entry is harmless, as expiring a group is
// idempotent). Fronts too far from the ring's span go to a small heap.
// Not safe for concurrent use.
type calendar struct {
	width   int64
	base    int64 // bucket index of ring[head]
	head    int
	top     int64 // highest bucket index filed in the ring since it was empty
	ring    []bucket
	count   int // entries in the ring, stale ones included
	outside qentHeap
}

type bucket struct {
	ents   []qent
	head   int  // ents before head are consumed
	sorted bool // ents[head:] are in time order
}

// qent files group g at front time ts.
type qent struct {
	ts int64
	g  int32
}

const (
	minRing = 16
	// maxRing bounds the ring (buckets); fronts further apart than this
	// many widths go to the heap instead.
	maxRing = 1 << 14
	// bucketsPerBound is how finely the interval width is cut: the
	// boundary bucket a watermark falls in is sorted and walked, so small
	// buckets keep that walk short.
	bucketsPerBound = 256
	minWidth        = 1000 // µs
	// maxKeptCap is the largest entry slice a drained bucket keeps for
	// reuse.
	maxKeptCap = 1024
)

func newCalendar(lower, upper int64) calendar {
	return calendar{width: max(minWidth, (upper-lower)/bucketsPerBound)}
}

// len counts the entries, stale ones included.
func (c *calendar) len() int { return c.count + len(c.outside) }

func (c *calendar) bucketOf(ts int64) int64 {
	q := ts / c.width
	if ts%c.width < 0 {
		q--
	}
	return q
}

// file adds an entry for group g whose front is now at ts.
func (c *calendar) file(ts int64, g int32) {
	e := qent{ts: ts, g: g}
	b := c.bucketOf(ts)
	if c.count == 0 {
		if len(c.ring) == 0 {
			c.ring = make([]bucket, minRing)
		}
		c.base, c.head, c.top = b, 0, b
	}
	lo, hi := min(c.base, b), max(c.top, b)
	if span := hi - lo + 1; span > maxRing || span <= 0 {
		c.outside.push(e)
		return
	} else if span > int64(len(c.ring)) {
		c.grow(lo, int(span))
	} else if b < c.base {
		// The buckets just below base are free: the span fits the ring.
		c.head = (c.head - int(c.base-b)) & (len(c.ring) - 1)
		c.base = b
	}
	c.top = hi
	bk := &c.ring[c.slot(b)]
	bk.ents = append(bk.ents, e)
	n := len(bk.ents)
	bk.sorted = n == bk.head+1 || bk.sorted && bk.ents[n-2].ts <= ts
	c.count++
}

// last is the last time of bucket b.
func (c *calendar) last(b int64) int64 {
	if b >= math.MaxInt64/c.width {
		return math.MaxInt64
	}
	return (b+1)*c.width - 1
}

func (c *calendar) slot(b int64) int {
	return (c.head + int(b-c.base)) & (len(c.ring) - 1)
}

// grow makes the ring at least span buckets long, starting at bucket lo.
func (c *calendar) grow(lo int64, span int) {
	n := len(c.ring)
	for n < span {
		n *= 2
	}
	ring := make([]bucket, n)
	for i := range c.ring {
		b := c.base + int64(i)
		if b > c.top {
			break
		}
		ring[b-lo] = c.ring[c.slot(b)]
	}
	c.ring, c.base, c.head = ring, lo, 0
}

// drain calls expire for every entry whose front time is below cut (every
// entry when all), buckets in time order; with ordered, the entries of a
// bucket too (ring entries only: the heap's come last). expire gets the
// last time of the entry's bucket (math.MaxInt64 for the bucket holding
// cut and the heap): freeing only the rows up to it, and filing the
// group anew, keeps the freed rows in time order. expire may file
// entries after last, or at cut or later.
func (c *calendar) drain(cut int64, all, ordered bool, expire func(e qent, last int64)) {
	cb := c.bucketOf(cut)
	for c.count > 0 {
		b := c.base
		if !all && b > cb {
			break
		}
		if all || b < cb {
			// Every front filed here is below cut. Re-filed fronts lie
			// after last, in later buckets; should one come back here
			// the bucket is walked again rather than lost.
			bk := &c.ring[c.head]
			ents := bk.ents[bk.head:]
			if ordered && !bk.sorted {
				sortByTime(ents)
			}
			last := c.last(b)
			for _, e := range ents {
				expire(e, last)
			}
			c.count -= len(ents)
			bk = &c.ring[c.head] // expire may have grown the ring
			if bk.head += len(ents); bk.head < len(bk.ents) {
				continue
			}
			bk.reset()
			if c.base == c.top {
				break // the ring is empty (count is then 0)
			}
			c.base++
			c.head = (c.head + 1) & (len(c.ring) - 1)
			continue
		}
		c.drainBoundary(cut, expire)
		break
	}
	for len(c.outside) > 0 && (all || c.outside[0].ts < cut) {
		expire(c.outside.pop(), math.MaxInt64)
	}
}

// drainBoundary expires the entries of the base bucket, which holds cut,
// below cut: it sorts them and walks them in time order. Re-filed fronts
// at cut or later may be appended to the bucket meanwhile.
func (c *calendar) drainBoundary(cut int64, expire func(qent, int64)) {
	bk := &c.ring[c.head]
	if !bk.sorted {
		sortByTime(bk.ents[bk.head:])
		bk.sorted = true
	}
	i, n0 := bk.head, len(bk.ents)
	for i < n0 {
		// expire may grow the ring, which moves the bucket (still at head).
		e := c.ring[c.head].ents[i]
		if e.ts >= cut {
			break
		}
		i++
		expire(e, math.MaxInt64)
	}
	bk = &c.ring[c.head]
	c.count -= i - bk.head
	bk.head = i
	switch {
	case bk.head == len(bk.ents):
		bk.reset()
	case bk.head > len(bk.ents)/2:
		n := copy(bk.ents, bk.ents[bk.head:])
		bk.ents, bk.head = bk.ents[:n], 0
	}
}

func sortByTime(ents []qent) {
	slices.SortStableFunc(ents, func(a, b qent) int { return cmp.Compare(a.ts, b.ts) })
}

func (bk *bucket) reset() {
	if cap(bk.ents) > maxKeptCap {
		bk.ents = nil
	}
	bk.ents, bk.head, bk.sorted = bk.ents[:0], 0, true
}

// qentHeap is a min-heap of entries by time, for fronts outside the
// ring's span (rare for time-ordered input).
type qentHeap []qent

func (h *qentHeap) push(e qent) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p].ts <= s[i].ts {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *qentHeap) pop() qent {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		c := 2*i + 1
		if c >= len(s) {
			break
		}
		if r := c + 1; r < len(s) && s[r].ts < s[c].ts {
			c = r
		}
		if s[i].ts <= s[c].ts {
			break
		}
		s[i], s[c] = s[c], s[i]
		i = c
	}
	*h = s
	return top
}
