package nexmark

import "math"

// blockEvents is the unit of the split layout: split s of n owns event-id
// blocks b with b%n == s, so splits interleave in event time and each
// reads whole epochs (every block holds the same mix).
const blockEvents = totalProportion * 20

// cursor walks the event ids of one kind that one split owns, in order.
type cursor struct {
	kind          Kind
	split, splits int64
	end           int64
	next          int64 // next event id to consider; always owned or end
}

func newCursor(k Kind, split, splits int, end int64) *cursor {
	c := &cursor{kind: k, split: int64(split), splits: int64(splits), end: end}
	c.normalize()
	return c
}

// owns reports whether event id e is in one of the split's blocks.
func (c *cursor) owns(e int64) bool {
	return (e/blockEvents)%c.splits == c.split
}

// normalize moves next to the start of the split's next block when it is
// in another split's, and to end past the last event.
func (c *cursor) normalize() {
	if c.next < c.end && !c.owns(c.next) {
		b := c.next / blockEvents
		b += (c.split - b%c.splits + c.splits) % c.splits
		c.next = b * blockEvents
	}
	if c.next > c.end {
		c.next = c.end
	}
}

// fill appends up to limit ids of the kind, passing at most budget event
// ids (of any kind: the wall rate counts events); it returns the ids and
// how many event ids it passed.
func (c *cursor) fill(ids []int64, limit int, budget int64) ([]int64, int64) {
	var passed int64
	for len(ids) < limit && c.next < c.end && passed < budget {
		blockEnd := (c.next/blockEvents + 1) * blockEvents
		stop := min(blockEnd, c.end, addSat(c.next, budget-passed))
		var n int64
		ids, n = appendIDs(ids, c.kind, c.next, stop, limit)
		passed += n - c.next
		c.next = n
		c.normalize()
	}
	return ids, passed
}

func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
