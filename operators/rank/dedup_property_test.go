package rank

import (
	"cmp"
	"fmt"
	"github.com/streamsql/streamsql/operators"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Randomized tests: random streams (keys with NULLs, out-of-order times,
// late rows, watermarks, snapshots at random points, batches large enough
// to compact the kept rows) run through the operators and through a
// direct simulation of their documented semantics; both must agree. With
// bounded disorder, no TTL and no late rows the results must also equal
// the brute-force batch answer.

// genDedup makes a random script over dedupSchema; chaotic adds watermark
// jumps (late rows) and NULL times; wide uses thousands of keys and large
// batches, so that kept rows are spread thinly over many batches and get
// compacted. v is the row's arrival number.
func genDedup(r *rand.Rand, n int, chaotic, wide bool) []any {
	keys := []any{"a", "b", "c", "d", "e", "f", "g", nil}
	cut := 40
	if wide {
		cut = 3000
		for i := range 2000 {
			keys = append(keys, fmt.Sprint("k", i))
		}
	}
	var steps []any
	var batch rows
	base, maxTS := 0, 0
	for i := 0; i < n; i++ {
		base += r.IntN(3)
		var ts any = base + r.IntN(20)
		if chaotic && r.IntN(50) == 0 {
			ts = nil
		} else {
			maxTS = max(maxTS, ts.(int))
		}
		var g any = r.IntN(3)
		if g == 2 {
			g = nil
		}
		batch = append(batch, []any{ts, keys[r.IntN(len(keys))], g, i})
		if r.IntN(cut) == 0 || i == n-1 {
			steps = append(steps, batch)
			batch = nil
			switch x := r.IntN(10); {
			case x < 4:
				w := maxTS - 25 // above the disorder: nothing late
				if chaotic && r.IntN(3) == 0 {
					w = maxTS - r.IntN(10)
				}
				steps = append(steps, wm(w))
			case x < 5:
				steps = append(steps, snap{})
			}
		}
	}
	return append(steps, end{})
}

// dedupSim simulates Dedup over dedupSchema rows keyed by (k, g), with
// event time in ts.
type dedupSim struct {
	mode       DedupMode
	ttl        int64
	wm         int64
	seq        int64
	keys       map[string]*simKey
	out, late  []string
	lateReason string
}

type simKey struct {
	last    int64
	done    bool
	row     []any // held row, nil for none
	ts, seq int64
}

func simRow(row []any) string {
	s := make([]string, len(row))
	for i, v := range row {
		if v == nil {
			s[i] = "NULL"
		} else {
			s[i] = fmt.Sprint(v)
		}
	}
	return strings.Join(s, " ")
}

func (s *dedupSim) run(steps []any) {
	for _, st := range steps {
		switch st := st.(type) {
		case rows:
			s.batch(st)
		case wm:
			s.watermark(int64(st))
			s.out = append(s.out, fmt.Sprintf("@wm %d", st))
		case end:
			s.watermark(math.MaxInt64)
			s.out = append(s.out, "@end")
		}
	}
}

func (s *dedupSim) batch(b rows) {
	var nulls, late []string
	type chg struct {
		key  string
		prev []any
	}
	var chgs []chg
	changed := map[string]bool{}
	for i, row := range b {
		seq := s.seq + int64(i)
		key := fmt.Sprint(row[1], "|", row[2])
		k, ok := s.keys[key]
		useTime := s.mode != FirstArrival || s.ttl > 0
		if useTime && row[0] == nil {
			nulls = append(nulls, simRow(row)+" | late event")
			continue
		}
		var t int64
		if useTime {
			t = int64(row[0].(int))
		}
		forgotten := s.ttl > 0 && s.wm > operators.AddSat(t, s.ttl)
		switch s.mode {
		case FirstArrival:
			if ok {
				k.last = max(k.last, t)
				continue
			}
			if forgotten {
				late = append(late, simRow(row)+" | late event")
				continue
			}
			s.keys[key] = &simKey{last: t}
			s.out = append(s.out, simRow(row))
		case Earliest:
			if ok && k.done {
				k.last = max(k.last, t)
				continue
			}
			if t < s.wm {
				late = append(late, simRow(row)+" | late event")
				continue
			}
			if !ok {
				k = &simKey{last: t}
				s.keys[key] = k
			}
			k.last = max(k.last, t)
			if k.row == nil || t < k.ts {
				k.row, k.ts, k.seq = row, t, seq
			}
		case Latest:
			if !ok {
				if forgotten {
					late = append(late, simRow(row)+" | late event")
					continue
				}
				k = &simKey{last: t}
				s.keys[key] = k
			}
			k.last = max(k.last, t)
			if k.row != nil && t < k.ts {
				continue
			}
			if !changed[key] {
				changed[key] = true
				chgs = append(chgs, chg{key: key, prev: k.row})
			}
			k.row, k.ts, k.seq = row, t, seq
		}
	}
	slices.SortFunc(chgs, func(a, b chg) int { return cmp.Compare(s.keys[a.key].seq, s.keys[b.key].seq) })
	for _, c := range chgs {
		if c.prev != nil {
			s.out = append(s.out, simRow(c.prev)+" -")
		}
		s.out = append(s.out, simRow(s.keys[c.key].row)+" +")
	}
	s.late = append(append(s.late, nulls...), late...)
	s.seq += int64(len(b))
}

func (s *dedupSim) watermark(w int64) {
	if w <= s.wm {
		return
	}
	s.wm = w
	if s.mode == Earliest {
		var ready []*simKey
		for _, k := range s.keys {
			if !k.done && k.row != nil && k.ts < w {
				ready = append(ready, k)
			}
		}
		slices.SortFunc(ready, func(a, b *simKey) int {
			return cmp.Or(cmp.Compare(a.ts, b.ts), cmp.Compare(a.seq, b.seq))
		})
		for _, k := range ready {
			s.out = append(s.out, simRow(k.row))
			k.done, k.row = true, nil
		}
	}
	if s.ttl > 0 {
		for key, k := range s.keys {
			if operators.AddSat(k.last, s.ttl) < w {
				delete(s.keys, key)
			}
		}
	}
}

func TestDedupRandomized(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		mode := DedupMode(seed % 3)
		ttl := []int64{0, 0, 8, 40}[r.IntN(4)]
		chaotic, wide := seed%4 != 0, seed > 24
		n := 2000 + r.IntN(20000)
		if wide {
			n = 60000
		}
		steps := genDedup(r, n, chaotic, wide)
		name := fmt.Sprintf("seed %d %s ttl %d chaotic %v wide %v", seed, mode, ttl, chaotic, wide)
		t.Run(name, func(t *testing.T) {
			spec := DedupSpec{Input: dedupSchema, KeyCols: []int{1, 2}, TimeCol: 0, Mode: mode, TTL: ttl}
			got, late := script(t, dedupSchema, dedupOp(spec), steps...)
			sim := &dedupSim{mode: mode, ttl: ttl, wm: minWM, keys: map[string]*simKey{}}
			sim.run(steps)
			equal(t, "output", got, sim.out)
			equal(t, "late rows", late, sim.late)
			if !chaotic && ttl == 0 {
				if len(late) != 0 {
					t.Fatalf("%d late rows with bounded disorder", len(late))
				}
				checkDedupBatch(t, mode, steps, got)
			}
		})
	}
}

// checkDedupBatch compares a dedup's output with the batch answer: per
// key the first row to arrive, or the earliest or latest (ties: first or
// last to arrive).
func checkDedupBatch(t *testing.T, mode DedupMode, steps []any, got []string) {
	t.Helper()
	best := map[string][]any{}
	var order []string
	for _, st := range steps {
		b, ok := st.(rows)
		if !ok {
			continue
		}
		for _, row := range b {
			key := fmt.Sprint(row[1], "|", row[2])
			cur, ok := best[key]
			if !ok {
				order = append(order, key)
			}
			switch {
			case !ok,
				mode == Earliest && row[0].(int) < cur[0].(int),
				mode == Latest && row[0].(int) >= cur[0].(int):
				best[key] = row
			}
		}
	}
	var want []string
	for _, key := range order {
		suffix := ""
		if mode == Latest {
			suffix = " +"
		}
		want = append(want, simRow(best[key])+suffix)
	}
	var rowsOut []string
	if mode == Latest {
		rowsOut = applyChangelog(t, got)
	} else {
		for _, g := range got {
			if !strings.HasPrefix(g, "@") {
				rowsOut = append(rowsOut, g)
			}
		}
	}
	if mode != FirstArrival {
		slices.Sort(want)
		slices.Sort(rowsOut)
	}
	equal(t, "batch answer", rowsOut, want)
}

// applyChangelog applies +/- rows (the op last) and returns the rows
// left, each with " +", sorted.
func applyChangelog(t *testing.T, out []string) []string {
	t.Helper()
	live := map[string]int{}
	applyTo(t, live, out)
	return liveRows(live)
}

// applyTo applies the +/- rows of out to live (row → count).
func applyTo(t *testing.T, live map[string]int, out []string) {
	t.Helper()
	for _, line := range out {
		switch {
		case strings.HasSuffix(line, " +"):
			live[strings.TrimSuffix(line, " +")]++
		case strings.HasSuffix(line, " -"):
			row := strings.TrimSuffix(line, " -")
			if live[row] == 0 {
				t.Fatalf("delete of a row not inserted: %s", row)
			}
			live[row]--
		}
	}
}

func liveRows(live map[string]int) []string {
	var res []string
	for row, n := range live {
		for range n {
			res = append(res, row+" +")
		}
	}
	slices.Sort(res)
	return res
}
