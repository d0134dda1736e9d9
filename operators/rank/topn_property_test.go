package rank

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators"
)

// genTopN makes a random script over topnSchema: window ends a few
// windows around the current time, a few keys, scores with ties and
// NULLs, unique names.
func genTopN(r *rand.Rand, n int) []any {
	keys := []any{"a", "b", "c", nil}
	var steps []any
	var batch rows
	now := 0
	for i := 0; i < n; i++ {
		now += r.IntN(2)
		var wend any = (now/10 + r.IntN(3)) * 10
		if r.IntN(100) == 0 {
			wend = nil
		}
		var score any = r.IntN(6)
		if r.IntN(8) == 0 {
			score = nil
		}
		batch = append(batch, []any{wend, keys[r.IntN(len(keys))], score, fmt.Sprintf("r%d", i)})
		if r.IntN(30) == 0 || i == n-1 {
			steps = append(steps, batch)
			batch = nil
			switch x := r.IntN(10); {
			case x < 4:
				steps = append(steps, wm(now-r.IntN(15)))
			case x < 5:
				steps = append(steps, snap{})
			}
		}
	}
	return append(steps, end{})
}

// topnSim simulates TopN over topnSchema, ordering by score.
type topnSim struct {
	spec      TopNSpec
	wm        int64
	seq       int64
	parts     map[string]*simPart
	out, late []string
}

type simPart struct {
	close, first int64
	rows         [][]any
	seqs         []int64
}

func (s *topnSim) key(row []any) string {
	var k []string
	for _, c := range s.spec.PartitionCols {
		k = append(k, fmt.Sprint(row[c]))
	}
	if s.spec.CloseCol >= 0 {
		k = append(k, fmt.Sprint(row[s.spec.CloseCol]))
	}
	return strings.Join(k, "|")
}

// sorted returns the indexes of p's top N rows, ordered by score (the
// spec's only key), then arrival.
func (s *topnSim) sorted(p *simPart) []int {
	o := s.spec.Order[0]
	idx := make([]int, len(p.rows))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		a, b := p.rows[i][o.Col], p.rows[j][o.Col]
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil && o.NullsFirst, b == nil && !o.NullsFirst:
			return -1
		case a == nil, b == nil:
			return 1
		}
		r := cmp.Compare(a.(int), b.(int))
		if o.Desc {
			r = -r
		}
		return r
	})
	return idx[:min(len(idx), int(s.spec.N))]
}

func (s *topnSim) line(row []any, rank int) string {
	l := simRow(row)
	if s.spec.RowNumber {
		l += fmt.Sprintf(" %d", rank)
	}
	return l
}

func (s *topnSim) run(steps []any) {
	for _, st := range steps {
		switch st := st.(type) {
		case rows:
			var nulls, late []string
			for i, row := range st {
				if s.spec.CloseCol >= 0 && row[0] == nil {
					nulls = append(nulls, simRow(row)+" | late event")
					continue
				}
				var c int64
				if s.spec.CloseCol >= 0 {
					c = operators.AddSat(int64(row[0].(int)), s.spec.CloseOffset)
					if c <= s.wm {
						late = append(late, simRow(row)+" | late event")
						continue
					}
				}
				k := s.key(row)
				p, ok := s.parts[k]
				if !ok {
					p = &simPart{close: c, first: s.seq + int64(i)}
					s.parts[k] = p
				}
				p.rows = append(p.rows, row)
				p.seqs = append(p.seqs, s.seq+int64(i))
			}
			s.late = append(append(s.late, nulls...), late...)
			s.seq += int64(len(st))
		case wm:
			s.watermark(int64(st))
			s.out = append(s.out, fmt.Sprintf("@wm %d", st))
		case end:
			s.watermark(math.MaxInt64)
			s.out = append(s.out, "@end")
		}
	}
}

func (s *topnSim) watermark(w int64) {
	if w <= s.wm {
		return
	}
	s.wm = w
	if s.spec.CloseCol < 0 {
		return
	}
	var closing []*simPart
	for k, p := range s.parts {
		if p.close <= w {
			closing = append(closing, p)
			delete(s.parts, k)
		}
	}
	slices.SortFunc(closing, func(a, b *simPart) int {
		return cmp.Or(cmp.Compare(a.close, b.close), cmp.Compare(a.first, b.first))
	})
	for _, p := range closing {
		for r, i := range s.sorted(p) {
			s.out = append(s.out, s.line(p.rows[i], r+1))
		}
	}
}

// current is the changelog mode's answer: every partition's top N, each
// row with " +", sorted.
func (s *topnSim) current() []string {
	var res []string
	for _, p := range s.parts {
		for r, i := range s.sorted(p) {
			res = append(res, s.line(p.rows[i], r+1)+" +")
		}
	}
	slices.Sort(res)
	return res
}

func randomTopNSpec(r *rand.Rand, windowed bool) TopNSpec {
	spec := TopNSpec{Input: topnSchema, PartitionCols: []int{1}, CloseCol: -1,
		Order: []SortKey{{Col: 2, Desc: r.IntN(2) == 0, NullsFirst: r.IntN(2) == 0}},
		N:     []int64{1, 2, 3, 5, 1000}[r.IntN(5)], RowNumber: r.IntN(2) == 0}
	if windowed {
		spec.CloseCol = 0
		spec.CloseOffset = []int64{0, 5}[r.IntN(2)]
		if r.IntN(2) == 0 {
			spec.PartitionCols = []int{0, 1}
		}
	}
	return spec
}

func TestTopNWindowedRandomized(t *testing.T) {
	for seed := uint64(1); seed <= 16; seed++ {
		r := rand.New(rand.NewPCG(seed, 11))
		spec := randomTopNSpec(r, true)
		steps := genTopN(r, 1000+r.IntN(20000))
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			got, late := script(t, topnSchema, topnOp(spec), steps...)
			sim := &topnSim{spec: spec, wm: minWM, parts: map[string]*simPart{}}
			sim.run(steps)
			equal(t, "output", got, sim.out)
			equal(t, "late rows", late, sim.late)
		})
	}
}

// TestTopNChangelogRandomized applies the changelog after every batch and
// compares it with the brute-force top N of everything so far.
func TestTopNChangelogRandomized(t *testing.T) {
	for seed := uint64(1); seed <= 16; seed++ {
		r := rand.New(rand.NewPCG(seed, 13))
		spec := randomTopNSpec(r, false)
		steps := genTopN(r, 500+r.IntN(3000))
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			mem := optest.CheckedMem(t)
			h := newHarness(t, mem, topnSchema, topnOp(spec))
			defer h.close()
			sim := &topnSim{spec: spec, wm: minWM, parts: map[string]*simPart{}}
			live := map[string]int{}
			for _, st := range steps {
				h.out = h.out[:0]
				h.run(st)
				applyTo(t, live, h.out)
				sim.run([]any{st})
				if _, ok := st.(rows); ok {
					equal(t, "applied changelog", liveRows(live), sim.current())
					if t.Failed() {
						return
					}
				}
			}
		})
	}
}
