package timejoin

import (
	"context"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
)

// TestCalendarRandom drives a calendar as the interval join does (fronts
// filed at or after the cut, re-filed when a group loses its earliest
// rows) against a map of each group's front: every drain must hand over
// exactly the groups whose front is below the cut, and nothing at or
// after it. Times mix near, slightly disordered, below-base and far
// (outside the ring) fronts.
func TestCalendarRandom(t *testing.T) {
	for seed := range int64(40) {
		rng := rand.New(rand.NewSource(seed))
		c := newCalendar(0, 0)
		front := map[int32]int64{}
		cut := int64(rng.Intn(1e6)) - 5e5
		next := func() int64 {
			switch rng.Intn(10) {
			case 0:
				return cut + rng.Int63n(maxRing*c.width*4) // often outside the ring
			case 1:
				return cut // the boundary bucket
			default:
				return cut + rng.Int63n(50*c.width)
			}
		}
		for step := range 400 {
			for range rng.Intn(30) {
				g := int32(rng.Intn(200))
				ts := next()
				if f, ok := front[g]; ok && f <= ts {
					continue // not a new front
				}
				front[g] = ts
				c.file(ts, g)
			}
			all := step == 399
			cut += rng.Int63n(8 * c.width)
			c.drain(cut, all, seed%2 == 0, func(e qent, last int64) {
				if !all && e.ts >= cut || e.ts > last {
					t.Fatalf("seed %d: entry at %d drained at cut %d, bucket end %d", seed, e.ts, cut, last)
				}
				if f, ok := front[e.g]; !ok || f != e.ts {
					return // stale
				}
				if all || rng.Intn(2) == 0 {
					delete(front, e.g)
					return
				}
				nf := next()
				if last < math.MaxInt64 && rng.Intn(2) == 0 {
					// Freed up to the bucket's end only: the rest may
					// still be below the cut.
					nf = last + 1 + rng.Int63n(3*c.width)
				}
				front[e.g] = nf
				c.file(nf, e.g)
			})
			for g, f := range front {
				if all || f < cut {
					t.Fatalf("seed %d step %d: group %d at %d kept past cut %d", seed, step, g, f, cut)
				}
			}
		}
		if n := c.len(); n != 0 {
			t.Fatalf("seed %d: %d entries left after draining all", seed, n)
		}
	}
}

// TestCalendarBelowBase files a front below the ring's base (a row
// later in arrival but earlier in time than every buffered front), then
// one too far below to fit the ring: both must drain in time.
func TestCalendarBelowBase(t *testing.T) {
	c := newCalendar(0, 0)
	w := c.width
	c.file(100*w, 1)
	c.file(90*w, 2)                         // shifts the base down
	c.file(100*w-(maxRing+5)*w, 3)          // beyond the ring's reach: the heap
	c.file(100*w+3*int64(len(c.ring))*w, 4) // grows the ring
	var got []int32
	collect := func(e qent, _ int64) { got = append(got, e.g) }
	c.drain(91*w, false, false, collect)
	if len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Fatalf("drained %v, want [2 3]", got)
	}
	got = nil
	c.drain(0, true, true, collect)
	if len(got) != 2 || got[0] != 1 || got[1] != 4 || c.len() != 0 {
		t.Fatalf("drained %v with %d left, want [1 4] and none", got, c.len())
	}
}

// narrowJoin is an interval join whose calendars use tiny buckets, so
// the small times of the generated scripts spread over many of them.
type narrowJoin struct {
	*IntervalJoin
	width int64
}

func (n narrowJoin) Open(ctx context.Context, mem memory.Allocator) error {
	if err := n.IntervalJoin.Open(ctx, mem); err != nil {
		return err
	}
	for side := range n.due {
		n.due[side].width = n.width
	}
	return nil
}

// TestIntervalBucketWidthOrder runs random scripts through joins whose
// buckets hold one µs, a few µs, or every time of the script, and wants
// the same output in the same order: draining bucket by bucket must keep
// matches and NULL-padded rows (event time, then arrival) as documented.
func TestIntervalBucketWidthOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for trial := range 150 {
		g := genStream(rng, false, batchRows(trial))
		lower := int64(rng.Intn(21) - 10)
		spec := intervalSpec(lower, lower+int64(rng.Intn(15)), trial%3 != 0)
		var outs [][]string
		for _, width := range []int64{minWidth, 1, 3} {
			mem := optest.CheckedMem(t)
			h := newHarness(t, mem, func() (joinOp, error) {
				j, err := NewIntervalJoin(spec)
				return narrowJoin{j, width}, err
			})
			h.nleft = spec.Left.NumFields()
			outs = append(outs, append([]string(nil), h.run(g.steps...)...))
			h.close()
		}
		for _, o := range outs[1:] {
			if strings.Join(o, "\n") != strings.Join(outs[0], "\n") {
				t.Fatalf("trial %d: script %v\nwidth 1000 µs:\n%s\nnarrow:\n%s", trial, g.steps, strings.Join(outs[0], "\n"), strings.Join(o, "\n"))
			}
		}
	}
}
