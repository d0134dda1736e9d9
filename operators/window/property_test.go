package window

import (
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators"
)

// propAggs are the aggregates of the property test: COUNT(*), SUM(v),
// COUNT(DISTINCT v), MIN(v) FILTER (WHERE ok).
func propAggs(s Spec) Spec {
	s.Aggs = []operators.AggSpec{
		{Func: "count", Filter: -1, Name: "n"},
		{Func: "sum", Args: []int{colV}, Filter: -1, Name: "s"},
		{Func: "count", Args: []int{colV}, Distinct: true, Filter: -1, Name: "nd"},
		{Func: "min", Args: []int{colV}, Filter: colOK, Name: "lo"},
	}
	return s
}

// bruteForce computes the expected rows of spec over evs in batch.
func bruteForce(spec Spec, evs []ev) []string {
	type acc struct {
		n, s   int64
		hasS   bool
		vals   map[int64]bool
		lo     int64
		hasLo  bool
		ws, we int64
		key    string
	}
	groups := map[string]*acc{}
	add := func(ws, we int64, x ev) {
		key := ""
		if spec.GroupCols != nil {
			key = x.k
			if x.nullK {
				key = "NULL"
			}
		}
		id := fmt.Sprint(ws, we, key)
		g := groups[id]
		if g == nil {
			g = &acc{vals: map[int64]bool{}, ws: ws, we: we, key: key}
			groups[id] = g
		}
		g.n++
		if x.v >= 0 {
			g.s += x.v
			g.hasS = true
			g.vals[x.v] = true
			if x.ok && (!g.hasLo || x.v < g.lo) {
				g.lo, g.hasLo = x.v, true
			}
		}
	}
	switch spec.Kind {
	case Tumble:
		for _, x := range evs {
			ws := floorTo(x.t, spec.Size)
			add(ws, ws+spec.Size, x)
		}
	case Hop:
		for _, x := range evs {
			for ws := floorTo(x.t, spec.Slide); ws > x.t-spec.Size; ws -= spec.Slide {
				add(ws, ws+spec.Size, x)
			}
		}
	case Session:
		byKey := map[string][]ev{}
		for _, x := range evs {
			k := ""
			if spec.GroupCols != nil {
				k = x.k
				if x.nullK {
					k = "NULL"
				}
			}
			byKey[k] = append(byKey[k], x)
		}
		for _, xs := range byKey {
			sort.SliceStable(xs, func(i, j int) bool { return xs[i].t < xs[j].t })
			for i := 0; i < len(xs); {
				j := i + 1
				for j < len(xs) && xs[j].t < xs[j-1].t+spec.Gap {
					j++
				}
				for _, x := range xs[i:j] {
					add(xs[i].t, xs[j-1].t+spec.Gap, x)
				}
				i = j
			}
		}
	}
	var out []string
	for _, g := range groups {
		f := []string{fmt.Sprint(g.ws), fmt.Sprint(g.we)}
		if spec.GroupCols != nil {
			f = append(f, g.key)
		}
		f = append(f, fmt.Sprint(g.n))
		if g.hasS {
			f = append(f, fmt.Sprint(g.s))
		} else {
			f = append(f, "NULL")
		}
		f = append(f, fmt.Sprint(len(g.vals)))
		if g.hasLo {
			f = append(f, fmt.Sprint(g.lo))
		} else {
			f = append(f, "NULL")
		}
		out = append(out, strings.Join(f, " "))
	}
	sort.Strings(out)
	return out
}

func TestProperty(t *testing.T) {
	specs := map[string]Spec{
		"tumble":      tumble(50, true),
		"tumble1":     tumble(50, false),
		"hop":         hop(20, 60, true),
		"hop1":        hop(25, 50, false),
		"session":     sessionSpec(15, true),
		"session1":    sessionSpec(4, false),
		"late-tumble": withLateness(tumble(40, true), 30),
		"late-sess":   withLateness(sessionSpec(10, true), 25),
	}
	names := make([]string, 0, len(specs))
	for n := range specs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, m := range []EmitMode{OnWindowClose, Changes} {
			for seed := int64(1); seed <= 4; seed++ {
				spec := withEmit(propAggs(specs[name]), m)
				t.Run(fmt.Sprintf("%s/%s/%d", name, m, seed), func(t *testing.T) {
					propRun(t, spec, seed)
				})
			}
		}
		for seed := int64(1); seed <= 2; seed++ {
			spec := every(propAggs(specs[name]), 6)
			t.Run(fmt.Sprintf("%s/changes-every/%d", name, seed), func(t *testing.T) {
				propRun(t, spec, seed)
			})
		}
	}
}

func propRun(t *testing.T, spec Spec, seed int64) {
	mem := optest.CheckedMem(t)
	rng := rand.New(rand.NewSource(seed))
	const delay = 30
	keys := []string{"a", "b", "c", "d", "e"}
	var all []ev
	var steps []any
	maxSeen := int64(-1 << 40)
	next := int64(0)
	for len(all) < 1500 {
		n := 1 + rng.Intn(40)
		batch := make([]ev, n)
		for i := range batch {
			next += int64(rng.Intn(4))
			x := ev{t: next - int64(rng.Intn(delay+1)), k: keys[rng.Intn(len(keys))], v: int64(rng.Intn(12)), ok: rng.Intn(3) > 0}
			if x.t < maxSeen-delay {
				x.t = maxSeen - delay
			}
			if rng.Intn(10) == 0 {
				x.v = -1
			}
			x.nullK = rng.Intn(20) == 0
			batch[i] = x
		}
		for _, x := range batch {
			maxSeen = max(maxSeen, x.t)
		}
		all = append(all, batch...)
		steps = append(steps, batch, tick(rng.Intn(4)))
		if rng.Intn(3) == 0 {
			steps = append(steps, wm(maxSeen-delay))
		}
		if rng.Intn(15) == 0 {
			steps = append(steps, snap{})
		}
	}
	steps = append(steps, end{})
	h := newHarness(t, mem, spec)
	defer h.close()
	out := h.run(steps...)
	if st := h.op.Stats(); st.LateRows != 0 || st.OpenGroups != 0 || st.OpenWindows != 0 {
		t.Errorf("stats after end %+v, want no late rows and no state", st)
	}
	var got []string
	if spec.Emit == Changes {
		live := map[string]int{}
		for _, r := range out {
			if strings.HasPrefix(r, "@") {
				continue
			}
			row, op := r[:len(r)-2], r[len(r)-1:]
			if op == "+" {
				live[row]++
			} else if live[row]--; live[row] < 0 {
				t.Fatalf("retraction of %q, which is not live", row)
			}
		}
		for r, n := range live {
			for ; n > 0; n-- {
				got = append(got, r)
			}
		}
	} else {
		lastEnd := int64(-1 << 62)
		for _, r := range out {
			if strings.HasPrefix(r, "@") {
				continue
			}
			var ws, we int64
			fmt.Sscan(r, &ws, &we)
			if we < lastEnd {
				t.Errorf("row %q emitted after a window ending at %d", r, lastEnd)
			}
			lastEnd = we
			got = append(got, r)
		}
	}
	sort.Strings(got)
	want := bruteForce(spec, all)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %d rows, want %d\n%s", len(got), len(want), diff(got, want))
	}
}

func diff(got, want []string) string {
	g := map[string]int{}
	for _, r := range got {
		g[r]++
	}
	for _, r := range want {
		g[r]--
	}
	var lines []string
	for r, n := range g {
		if n > 0 {
			lines = append(lines, "+ "+r)
		} else if n < 0 {
			lines = append(lines, "- "+r)
		}
	}
	sort.Strings(lines)
	if len(lines) > 20 {
		lines = lines[:20]
	}
	return strings.Join(lines, "\n")
}
