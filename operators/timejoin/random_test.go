package timejoin

// Randomized tests: random streams (disorder, late rows, NULL keys and
// times, random bounds and join types) run through the joins and checked
// against brute-force nested-loop oracles that know when each output row
// must be emitted; the same streams with snapshot/restarts inserted must
// give exactly the uninterrupted output.

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/internal/optest"
)

// oRow is a generated input row.
type oRow struct {
	id       int
	ts       int // event time (interval) or window start (window)
	end      int // window end (window only)
	nullT    bool
	k        any // string or nil
	step     int // index of the step that carried it
	arrivalW int64
}

func (r oRow) key() string {
	if r.k == nil {
		return "NULL"
	}
	return r.k.(string)
}

type genScript struct {
	steps []any
	rows  [2][]oRow // every generated row, in arrival order
}

// genRows makes the rows of one batch.
func genRows(rng *rand.Rand, g *genScript, side, step, clock, maxRows int, window bool, id *int) [][]any {
	n := rng.Intn(maxRows)
	var out [][]any
	for range n {
		*id++
		r := oRow{id: *id, step: step, k: []any{"a", "b", "c", nil}[rng.Intn(4)]}
		if rng.Intn(10) == 0 {
			r.k = nil
		}
		r.ts = clock + rng.Intn(24) - 12
		r.nullT = rng.Intn(25) == 0
		var ts any = r.ts
		if r.nullT {
			ts = nil
		}
		if window {
			r.ts = floorDiv(r.ts, 10)*10 - 10*rng.Intn(2) // one of the two 20-wide hop windows
			r.end = r.ts + 20
			if rng.Intn(3) == 0 { // or the tumbling one
				r.ts += 10 * rng.Intn(2)
				r.end = r.ts + 10
			}
			var st, en any = r.ts, r.end
			if r.nullT {
				st = nil
			}
			out = append(out, []any{r.id, st, en, r.k})
		} else {
			out = append(out, []any{r.id, ts, r.k})
		}
		g.rows[side] = append(g.rows[side], r)
	}
	return out
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// genStream makes a random script; batches have fewer than maxRows rows.
func genStream(rng *rand.Rand, window bool, maxRows int) *genScript {
	g := &genScript{}
	clock, id := 0, 0
	nsteps := 10 + rng.Intn(50)
	for step := range nsteps {
		switch r := rng.Intn(10); {
		case r < 4:
			g.steps = append(g.steps, lrows(genRows(rng, g, 0, step, clock, maxRows, window, &id)))
		case r < 8:
			g.steps = append(g.steps, rrows(genRows(rng, g, 1, step, clock, maxRows, window, &id)))
		default:
			g.steps = append(g.steps, wm(clock-rng.Intn(16)))
		}
		clock += rng.Intn(5)
	}
	g.steps = append(g.steps, endL{}, endR{})
	return g
}

// batchRows is the batch size bound of a trial: mostly small batches,
// some large enough for the stores to compact.
func batchRows(trial int) int {
	if trial%10 == 9 {
		return 150
	}
	return 6
}

// wmAfter returns the watermark in force after each step.
func wmAfter(steps []any) []int64 {
	out := make([]int64, len(steps))
	w := int64(minWM)
	for i, s := range steps {
		switch s := s.(type) {
		case wm:
			w = max(w, int64(s))
		case endR:
			w = maxInt64
		}
		out[i] = w
	}
	return out
}

// onTime returns the rows not late on arrival (late: NULL time, or the
// time, for a window join its end, below the watermark in force).
func onTime(g *genScript, window bool) (rows [2][]oRow, late int) {
	w := wmAfter(g.steps)
	for side, rs := range g.rows {
		for _, r := range rs {
			before := int64(minWM)
			if r.step > 0 {
				before = w[r.step-1]
			}
			isLate := r.nullT || (!window && before != minWM && int64(r.ts) < before) ||
				(window && before != minWM && int64(r.end) <= before)
			if isLate {
				late++
				continue
			}
			rows[side] = append(rows[side], r)
		}
	}
	return rows, late
}

func renderRow(r *oRow, window bool) string {
	switch {
	case r == nil && window:
		return "NULL NULL NULL NULL"
	case r == nil:
		return "NULL NULL NULL"
	case window:
		return fmt.Sprintf("%d %d %d %s", r.id, r.ts, r.end, r.key())
	}
	return fmt.Sprintf("%d %d %s", r.id, r.ts, r.key())
}

func TestIntervalRandomOracle(t *testing.T) { intervalTrials(t, 7, 300) }

func intervalTrials(t *testing.T, seed int64, trials int) {
	rng := rand.New(rand.NewSource(seed))
	for trial := range trials {
		g := genStream(rng, false, batchRows(trial))
		lower := int64(rng.Intn(21) - 10)
		spec := intervalSpec(lower, lower+int64(rng.Intn(15)), rng.Intn(2) == 0)
		if rng.Intn(4) == 0 {
			spec.LeftKeys, spec.RightKeys = nil, nil
		}
		name := fmt.Sprintf("trial %d [%d,%d] outer=%v keys=%d", trial, spec.Lower, spec.Upper, spec.LeftOuter, len(spec.LeftKeys))
		mem := optest.CheckedMem(t)
		h := intervalHarness(t, mem, spec)
		h.run(g.steps...)
		var got []string
		for i, s := range h.out {
			if !strings.HasPrefix(s, "@") {
				got = append(got, fmt.Sprintf("%d: %s", h.steps[i], s))
			}
		}
		want, late := intervalOracle(g, spec)
		slices.Sort(got)
		slices.Sort(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s: script %v\ngot:\n%s\nwant:\n%s", name, g.steps, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if h.op.LateRows() != int64(late) {
			t.Fatalf("%s: LateRows %d, want %d", name, h.op.LateRows(), late)
		}
		if n := h.op.StateBytes(); n != 0 {
			t.Fatalf("%s: %d bytes of state after the end", name, n)
		}
		h.close()
		if trial%5 == 0 {
			checkRestarts(t, rng, g.steps, h, func() *harness { return intervalHarness(t, mem, spec) })
		}
	}
}

// intervalOracle returns every output row prefixed by the step that must
// emit it, and the late row count.
func intervalOracle(g *genScript, spec IntervalSpec) ([]string, int) {
	rows, late := onTime(g, false)
	w := wmAfter(g.steps)
	keyed := len(spec.LeftKeys) > 0
	var out []string
	for _, l := range rows[0] {
		matched := false
		for _, r := range rows[1] {
			if keyed && (l.k == nil || r.k == nil || l.k != r.k) {
				continue
			}
			if r.ts+int(spec.Lower) <= l.ts && l.ts <= r.ts+int(spec.Upper) {
				matched = true
				out = append(out, fmt.Sprintf("%d: %s | %s", max(l.step, r.step), renderRow(&l, false), renderRow(&r, false)))
			}
		}
		if matched || !spec.LeftOuter {
			continue
		}
		// Padded on arrival when the key is NULL or no later right row can
		// match, else at the first watermark above ts - Lower.
		step := l.step
		if !(keyed && l.k == nil) && !expiredAt(w, l.step-1, int64(l.ts)-spec.Lower) {
			for step = l.step; !expiredAt(w, step, int64(l.ts)-spec.Lower); step++ {
			}
		}
		out = append(out, fmt.Sprintf("%d: %s | %s", step, renderRow(&l, false), renderRow(nil, false)))
	}
	return out, late
}

// expiredAt reports whether the watermark after step exceeds limit.
func expiredAt(w []int64, step int, limit int64) bool {
	if step < 0 || w[step] == minWM {
		return false
	}
	return w[step] == maxInt64 || w[step] > limit
}

func TestWindowRandomOracle(t *testing.T) { windowTrials(t, 11, 300) }

func windowTrials(t *testing.T, seed int64, trials int) {
	rng := rand.New(rand.NewSource(seed))
	for trial := range trials {
		g := genStream(rng, true, batchRows(trial))
		spec := windowSpec(JoinType(rng.Intn(4)))
		if rng.Intn(4) == 0 {
			spec.LeftKeys, spec.RightKeys = nil, nil
		}
		name := fmt.Sprintf("trial %d %s keys=%d", trial, spec.Type, len(spec.LeftKeys))
		mem := optest.CheckedMem(t)
		h := windowHarness(t, mem, spec)
		got := h.run(g.steps...)
		want, late := windowOracle(g, spec)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s: script %v\ngot:\n%s\nwant:\n%s", name, g.steps, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if h.op.LateRows() != int64(late) {
			t.Fatalf("%s: LateRows %d, want %d", name, h.op.LateRows(), late)
		}
		if n := h.op.StateBytes(); n != 0 {
			t.Fatalf("%s: %d bytes of state after the end", name, n)
		}
		h.close()
		if trial%5 == 0 {
			checkRestarts(t, rng, g.steps, h, func() *harness { return windowHarness(t, mem, spec) })
		}
	}
}

// windowOracle returns the exact expected output, markers included.
func windowOracle(g *genScript, spec WindowJoinSpec) ([]string, int) {
	rows, late := onTime(g, true)
	keyed := len(spec.LeftKeys) > 0
	type win struct{ end, start int }
	closed := map[win]bool{}
	var out []string
	cur := int64(minWM)
	for _, s := range g.steps {
		var marker string
		switch s := s.(type) {
		case wm:
			cur = max(cur, int64(s))
			marker = fmt.Sprintf("@wm %d", s)
		case endR:
			cur = maxInt64
			marker = "@end"
		default:
			continue
		}
		var ws []win
		for _, side := range rows {
			for _, r := range side {
				w := win{r.end, r.ts}
				if int64(w.end) <= cur && !closed[w] && !slices.Contains(ws, w) {
					ws = append(ws, w)
				}
			}
		}
		slices.SortFunc(ws, func(a, b win) int {
			if a.end != b.end {
				return a.end - b.end
			}
			return a.start - b.start
		})
		for _, w := range ws {
			closed[w] = true
			hit := map[int]bool{}
			for _, l := range rows[0] {
				if (win{l.end, l.ts}) != w {
					continue
				}
				matched := false
				for _, r := range rows[1] {
					if (win{r.end, r.ts}) != w || keyed && (l.k == nil || r.k == nil || l.k != r.k) {
						continue
					}
					matched, hit[r.id] = true, true
					out = append(out, renderRow(&l, true)+" | "+renderRow(&r, true))
				}
				if !matched && spec.Type.padsLeft() {
					out = append(out, renderRow(&l, true)+" | "+renderRow(nil, true))
				}
			}
			for _, r := range rows[1] {
				if (win{r.end, r.ts}) == w && !hit[r.id] && spec.Type.padsRight() {
					out = append(out, renderRow(nil, true)+" | "+renderRow(&r, true))
				}
			}
		}
		out = append(out, marker)
	}
	return out, late
}

// checkRestarts replays steps with snapshot/restarts at random places and
// checks the output and late rows equal those of the uninterrupted run
// ref.
func checkRestarts(t *testing.T, rng *rand.Rand, steps []any, ref *harness, mk func() *harness) {
	t.Helper()
	var withSnaps []any
	for _, s := range steps {
		if rng.Intn(4) == 0 {
			withSnaps = append(withSnaps, snap{})
		}
		withSnaps = append(withSnaps, s)
	}
	h := mk()
	defer h.close()
	got := h.run(withSnaps...)
	if strings.Join(got, "\n") != strings.Join(ref.out, "\n") || strings.Join(h.late, "\n") != strings.Join(ref.late, "\n") {
		t.Fatalf("with restarts %v:\ngot:\n%s\nlate %v\nwant:\n%s\nlate %v", withSnaps,
			strings.Join(got, "\n"), h.late, strings.Join(ref.out, "\n"), ref.late)
	}
	if h.op.LateRows() != ref.op.LateRows() {
		t.Fatalf("with restarts: LateRows %d, want %d", h.op.LateRows(), ref.op.LateRows())
	}
}
