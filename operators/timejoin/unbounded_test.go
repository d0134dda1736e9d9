package timejoin

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/internal/optest"
)

func unboundedSpec(withTime bool) IntervalSpec {
	s := intervalSpec(0, 0, false)
	s.Unbounded = true
	if !withTime {
		s.LeftTime, s.RightTime = -1, -1
	}
	return s
}

// TestUnboundedJoin: matches whatever the times, none late, state kept
// across watermarks and snapshots until both inputs end.
func TestUnboundedJoin(t *testing.T) {
	mem := optest.CheckedMem(t)
	h := intervalHarness(t, mem, unboundedSpec(false))
	defer h.close()
	out := h.run(
		lrows{{1, 100, "a"}, {2, nil, "b"}},
		wm(1000),
		rrows{{10, 5, "a"}, {11, nil, "a"}, {12, 5, nil}, {13, -7, "b"}},
		snap{},
		wm(5000),
		lrows{{3, 0, "a"}, {4, 9, nil}},
	)
	checkOut(t, matchIDs(out), []string{"1-10", "1-11", "2-13", "3-10", "3-11"})
	if len(h.late) != 0 {
		t.Errorf("late rows %v, want none", h.late)
	}
	if h.op.(*IntervalJoin).LateRows() != 0 {
		t.Error("late rows counted")
	}
	if h.op.StateBytes() == 0 {
		t.Error("state freed by a watermark")
	}
	h.run(endL{}, endR{})
	if n := h.op.StateBytes(); n != 0 {
		t.Errorf("state after both ends: %d bytes", n)
	}
}

// matchIDs reduces rendered join rows to "leftID-rightID", dropping
// markers.
func matchIDs(out []string) []string {
	var ids []string
	for _, r := range out {
		if strings.HasPrefix(r, "@") {
			continue
		}
		l, rr, _ := strings.Cut(r, " | ")
		ids = append(ids, strings.Fields(l)[0]+"-"+strings.Fields(rr)[0])
	}
	return ids
}

func TestUnboundedSpecErrors(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*IntervalSpec)
		want string
	}{
		{"left outer", func(s *IntervalSpec) { s.LeftOuter = true }, "must be INNER"},
		{"left time type", func(s *IntervalSpec) { s.LeftTime = 0 }, "want TIMESTAMP"},
		{"right time range", func(s *IntervalSpec) { s.RightTime = 7 }, "out of range"},
		{"left time negative", func(s *IntervalSpec) { s.LeftTime = -2 }, "out of range"},
		{"keys", func(s *IntervalSpec) { s.RightKeys = nil }, "1 left keys and 0 right keys"},
	}
	for _, c := range cases {
		s := unboundedSpec(true)
		c.mod(&s)
		if _, err := NewIntervalJoin(s); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	// Bounds are ignored, even inverted ones.
	s := unboundedSpec(false)
	s.Lower, s.Upper = 5, -5
	if _, err := NewIntervalJoin(s); err != nil {
		t.Errorf("inverted bounds: %v", err)
	}
}

// TestUnboundedRandom checks random streams (any times, NULL keys and
// times, watermarks, snapshot/restarts) against a brute-force join: each
// arriving row matches every earlier row of the other side with an equal
// non-NULL key, in that side's arrival order.
func TestUnboundedRandom(t *testing.T) {
	for seed := int64(1); seed <= 60; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { unboundedRandom(t, seed) })
	}
}

func unboundedRandom(t *testing.T, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	mem := optest.CheckedMem(t)
	h := intervalHarness(t, mem, unboundedSpec(seed%2 == 0))
	defer h.close()
	type row struct {
		id int
		k  any
	}
	var seen [2][]row
	var want []string
	id, clock := 0, 0
	var steps []any
	for range 40 {
		side := rng.Intn(2)
		var rows [][]any
		for range rng.Intn(6) {
			id++
			r := row{id: id, k: []any{"a", "b", "c", nil}[rng.Intn(4)]}
			var ts any = clock + rng.Intn(50) - 40
			if rng.Intn(10) == 0 {
				ts = nil
			}
			rows = append(rows, []any{r.id, ts, r.k})
			if r.k != nil {
				for _, o := range seen[1-side] {
					if o.k == r.k {
						l, rr := r.id, o.id
						if side == 1 {
							l, rr = o.id, r.id
						}
						want = append(want, fmt.Sprintf("%d-%d", l, rr))
					}
				}
			}
			seen[side] = append(seen[side], r)
		}
		if side == 0 {
			steps = append(steps, lrows(rows))
		} else {
			steps = append(steps, rrows(rows))
		}
		clock += rng.Intn(20)
		switch rng.Intn(8) {
		case 0:
			steps = append(steps, wm(clock))
		case 1:
			steps = append(steps, snap{})
		}
	}
	steps = append(steps, endL{}, endR{})
	got := matchIDs(h.run(steps...))
	checkOut(t, got, want)
	if len(h.late) != 0 {
		t.Errorf("late rows %v", h.late)
	}
	if n := h.op.StateBytes(); n != 0 {
		t.Errorf("state after end: %d bytes", n)
	}
}

// TestUnboundedSnapshotShape: a bounded join's snapshot does not restore
// into an unbounded join.
func TestUnboundedSnapshotShape(t *testing.T) {
	mem := optest.CheckedMem(t)
	bounded, err := NewIntervalJoin(intervalSpec(0, 0, false))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := bounded.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bounded.Snapshot(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	bounded.Close()
	u, err := NewIntervalJoin(unboundedSpec(true))
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if err := u.Restore(ctx, &buf); err == nil {
		t.Error("bounded snapshot restored into an unbounded join")
	}
}
