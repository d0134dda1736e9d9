package window

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/internal/optest"
)

// snapshotScenarios are scripts that leave state across steps.
func snapshotScenarios() []scriptCase {
	rows1 := []ev{e(1, "a", 1), e(12, "b", 2), e(3, "b", 3), e(5, "a", 4), {t: 7, k: "c", v: 9}}
	rows2 := []ev{e(9, "a", 5), e(21, "a", 6), e(14, "b", 7), e(2, "c", 2)}
	rows3 := []ev{e(25, "a", 1), e(19, "c", 3), e(31, "b", 4), e(16, "a", 5)}
	// Ticks drive the throttled specs (EmitEvery 4) and change nothing else.
	steps := []any{rows1, tick(2), wm(4), rows2, tick(3), wm(11), rows3, []ev{e(17, "b", 2)}, tick(4), wm(20), []ev{e(33, "c", 1)}, end{}}
	fd := func(s Spec) Spec {
		s = withDistinctAggs(s)
		return s
	}
	var cs []scriptCase
	for _, keyed := range []bool{true, false} {
		for _, m := range []EmitMode{OnWindowClose, Changes} {
			specs := map[string]Spec{
				"tumble":   tumble(10, keyed),
				"hop":      hop(5, 15, keyed),
				"session":  sessionSpec(6, keyed),
				"late":     withLateness(tumble(10, keyed), 7),
				"distinct": fd(hop(5, 10, keyed)),
				"global":   global(keyed),
			}
			if m == Changes {
				for _, k := range []string{"tumble", "hop", "session", "global"} {
					specs[k+"-every"] = every(specs[k], 4)
				}
			}
			for name, sp := range specs {
				cs = append(cs, scriptCase{name: fmt.Sprintf("%s/keyed=%v/%s", name, keyed, m), spec: withEmit(sp, m), steps: steps})
			}
		}
	}
	return cs
}

func TestSnapshotRestore(t *testing.T) {
	for _, c := range snapshotScenarios() {
		t.Run(c.name, func(t *testing.T) {
			mem := optest.CheckedMem(t)
			h := newHarness(t, mem, c.spec)
			want := h.run(c.steps...)
			wantLate := h.late
			h.close()
			for k := 0; k <= len(c.steps); k++ {
				steps := append(append(append([]any(nil), c.steps[:k]...), snap{}), c.steps[k:]...)
				h := newHarness(t, mem, c.spec)
				got := h.run(steps...)
				h.close()
				if !reflect.DeepEqual(got, want) {
					t.Errorf("snapshot before step %d: output\n%s\nwant\n%s", k, strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				if !reflect.DeepEqual(h.late, wantLate) {
					t.Errorf("snapshot before step %d: late %q, want %q", k, h.late, wantLate)
				}
			}
		})
	}
}

func TestRestoreErrors(t *testing.T) {
	mem := optest.CheckedMem(t)
	ctx := context.Background()
	h := newHarness(t, mem, tumble(10, true))
	h.run([]ev{e(1, "a", 1)})
	var buf bytes.Buffer
	if err := h.op.Snapshot(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	h.close()
	damaged := bytes.Clone(buf.Bytes())
	damaged[len(damaged)-1] ^= 0xff // in the slices' IPC stream
	for name, tc := range map[string]struct {
		spec Spec
		data []byte
		want string
	}{
		"other spec": {tumble(20, true), buf.Bytes(), "another window aggregate"},
		"truncated":  {tumble(10, true), buf.Bytes()[:buf.Len()-9], "restoring window aggregate"},
		"garbage":    {tumble(10, true), []byte("0123456789abcdef0123"), "restoring window aggregate"},
		"damaged":    {tumble(10, true), damaged, "checksum mismatch"},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, mem, tc.spec)
			defer h.close()
			err := h.op.Restore(ctx, bytes.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Restore: %v, want error containing %q", err, tc.want)
			}
		})
	}
}
