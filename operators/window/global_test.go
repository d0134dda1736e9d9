package window

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators"
)

func global(keyed bool) Spec {
	s := baseSpec(Global, keyed)
	s.TimeCol = -1
	return s
}

const wmEnd = wm(operators.WatermarkEnd)

func TestGlobal(t *testing.T) {
	withTimeCol := func(s Spec, c int) Spec { s.TimeCol = c; return s }
	runCases(t, []scriptCase{
		{
			name: "keyed, on close: rows only at the end, no late rows",
			spec: global(true),
			steps: []any{
				[]ev{e(50, "a", 1), e(2, "b", 2)},
				wm(100),
				[]ev{e(1, "b", 4), {t: 0, k: "c", v: 8, nullT: true, ok: true}, e(-5, "a", 16)},
				end{},
			},
			want:  []string{"@wm 100", "a 2 17", "b 2 6", "c 1 8", "@end"},
			stats: &Stats{},
		},
		{
			name: "keyed, changes",
			spec: withEmit(global(true), Changes),
			steps: []any{
				[]ev{e(5, "a", 1), e(2, "b", 2)},
				wm(100),
				[]ev{e(1, "b", 4), e(7, "c", 8)},
				end{},
			},
			want: []string{
				"a 1 1 +", "b 1 2 +",
				"@wm 100",
				"b 1 2 -", "b 2 6 +", "c 1 8 +",
				"@end",
			},
		},
		{
			name:  "count(*): insert first, then delete and insert per batch",
			spec:  withEmit(global(false), Changes),
			steps: []any{[]ev{e(1, "a", 1), e(2, "b", 2)}, []ev{}, []ev{e(3, "a", 3)}, []ev{e(4, "a", -1)}, end{}},
			want:  []string{"2 3 +", "2 3 -", "3 6 +", "3 6 -", "4 6 +", "@end"},
		},
		{
			name:  "count(*) on close",
			spec:  global(false),
			steps: []any{[]ev{e(1, "a", 1), e(2, "b", 2)}, wm(1000), []ev{e(3, "a", 3)}, end{}},
			want:  []string{"@wm 1000", "3 6", "@end"},
		},
		{
			name:  "count(*) of nothing, on close",
			spec:  global(false),
			steps: []any{end{}},
			want:  []string{"0 NULL", "@end"},
		},
		{
			name:  "count(*) of nothing, changes",
			spec:  withEmit(global(false), Changes),
			steps: []any{[]ev{}, wmEnd, end{}},
			want:  []string{"0 NULL +", "@wm 9223372036854775807", "@end"},
		},
		{
			name:  "keyed, nothing",
			spec:  withEmit(global(true), Changes),
			steps: []any{end{}},
			want:  []string{"@end"},
		},
		{
			name:  "time column ignored even when not a timestamp",
			spec:  withTimeCol(global(true), colK),
			steps: []any{[]ev{e(1, "a", 1)}, end{}},
			want:  []string{"a 1 1", "@end"},
		},
		{
			name:  "rows after the final watermark are late",
			spec:  withEmit(global(true), Changes),
			steps: []any{[]ev{e(1, "a", 1)}, wmEnd, []ev{e(2, "a", 2), e(3, "b", 3)}},
			want:  []string{"a 1 1 +", "@wm 9223372036854775807"},
			late:  []string{"2 late event", "3 late event"},
			stats: &Stats{LateRows: 2},
		},
	})
}

func TestGlobalSchema(t *testing.T) {
	for m, want := range map[EmitMode]string{
		OnWindowClose: "k:utf8 cnt:int64 sum:int64",
		Changes:       "k:utf8 cnt:int64 sum:int64 _op:utf8",
	} {
		op, err := NewAggregate(withEmit(global(true), m))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range op.Schema().Fields() {
			names = append(names, f.Name+":"+f.Type.String())
		}
		if got := strings.Join(names, " "); got != want {
			t.Errorf("%s: schema %s, want %s", m, got, want)
		}
	}
}

// TestGlobalProperty: a global aggregate's changelog, applied, and its
// rows on close equal a batch GROUP BY (operators.HashAggregate) over the
// same rows, through watermarks, snapshots and throttling.
func TestGlobalProperty(t *testing.T) {
	for _, keyed := range []bool{true, false} {
		for _, m := range []EmitMode{OnWindowClose, Changes} {
			for _, every := range []int64{0, 7} {
				if every > 0 && m != Changes {
					continue
				}
				for seed := int64(1); seed <= 3; seed++ {
					spec := withEmit(propAggs(global(keyed)), m)
					spec.EmitEvery = every
					t.Run(fmt.Sprintf("keyed=%v/%s/every=%d/%d", keyed, m, every, seed), func(t *testing.T) {
						globalPropRun(t, spec, seed)
					})
				}
			}
		}
	}
}

func globalPropRun(t *testing.T, spec Spec, seed int64) {
	mem := optest.CheckedMem(t)
	rng := rand.New(rand.NewSource(seed))
	keys := []string{"a", "b", "c", "d", "e", "f", "g"}
	var all [][]ev
	var steps []any
	for n := 0; n < 800; {
		batch := make([]ev, rng.Intn(30))
		for i := range batch {
			batch[i] = ev{t: rng.Int63n(1000) - 500, k: keys[rng.Intn(len(keys))], v: int64(rng.Intn(9)), ok: rng.Intn(3) > 0,
				nullT: rng.Intn(15) == 0, nullK: rng.Intn(20) == 0}
			if rng.Intn(10) == 0 {
				batch[i].v = -1
			}
		}
		n += len(batch)
		all = append(all, batch)
		steps = append(steps, batch, tick(rng.Intn(5)))
		if rng.Intn(4) == 0 {
			steps = append(steps, wm(n))
		}
		if rng.Intn(10) == 0 {
			steps = append(steps, snap{})
		}
	}
	steps = append(steps, end{})
	h := newHarness(t, mem, spec)
	defer h.close()
	out := h.run(steps...)
	if st := h.op.Stats(); st.LateRows != 0 || st.OpenGroups != 0 || st.StateBytes != 0 {
		t.Errorf("stats after end %+v, want no late rows and no state", st)
	}
	got := applyChangelog(t, out, spec.Emit == Changes)
	want := hashAggRows(t, mem, spec, all)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %d rows, want %d\n%s", len(got), len(want), diff(got, want))
	}
}

// applyChangelog returns the rows of out (markers skipped), sorted; with
// ops it applies them as a changelog, failing on a retraction of a row
// that is not live.
func applyChangelog(t *testing.T, out []string, ops bool) []string {
	t.Helper()
	live := map[string]int{}
	for _, r := range out {
		if strings.HasPrefix(r, "@") {
			continue
		}
		if !ops {
			live[r]++
			continue
		}
		row, op := r[:len(r)-2], r[len(r)-1:]
		if op == "+" {
			live[row]++
		} else if live[row]--; live[row] < 0 {
			t.Fatalf("retraction of %q, which is not live", row)
		}
	}
	var rows []string
	for r, n := range live {
		for ; n > 0; n-- {
			rows = append(rows, r)
		}
	}
	sort.Strings(rows)
	return rows
}

// hashAggRows runs the batch GROUP BY of spec's groups and aggregates over
// batches and returns its rows, sorted.
func hashAggRows(t *testing.T, mem memory.Allocator, spec Spec, batches [][]ev) []string {
	t.Helper()
	ctx := context.Background()
	op, err := operators.NewHashAggregate(testSchema, spec.GroupCols, spec.GroupNames, spec.Aggs)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	var rows []string
	emit := func(b arrow.RecordBatch) error {
		defer b.Release()
		for i := 0; i < int(b.NumRows()); i++ {
			rows = append(rows, render(b, i))
		}
		return nil
	}
	for _, evs := range batches {
		b := mkBatch(mem, evs)
		err := op.ProcessBatch(ctx, 0, b, emit)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := op.EndOfInput(ctx, 0, emit); err != nil {
		t.Fatal(err)
	}
	sort.Strings(rows)
	return rows
}
