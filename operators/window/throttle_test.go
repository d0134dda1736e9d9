package window

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

func every(s Spec, us int64) Spec {
	s.Emit, s.EmitEvery = Changes, us
	return s
}

// maxOnly makes s compute MAX(v) only, whose result can stay the same
// when rows arrive.
func maxOnly(s Spec) Spec {
	s.Aggs = []operators.AggSpec{{Func: "max", Args: []int{colV}, Filter: -1, Name: "hi"}}
	return s
}

func TestThrottledChanges(t *testing.T) {
	runCases(t, []scriptCase{
		{
			name: "coalesces until the interval has passed",
			spec: every(tumble(100, true), 10),
			steps: []any{
				[]ev{e(1, "a", 1)}, // first change: emitted at once
				tick(3),
				[]ev{e(2, "a", 2), e(3, "b", 4)},
				tick(3),
				[]ev{e(4, "a", 4)},
				tick(4),
				[]ev{e(5, "c", 1)}, // 10 µs after the last emission
				tick(9),
				[]ev{e(6, "c", 1)},
			},
			want: []string{
				"0 100 a 1 1 +",
				"0 100 a 1 1 -", "0 100 a 3 7 +", "0 100 b 1 4 +", "0 100 c 1 1 +",
			},
		},
		{
			name: "watermarks check the interval too",
			spec: every(tumble(100, true), 10),
			steps: []any{
				[]ev{e(1, "a", 1)},
				[]ev{e(2, "a", 2)},
				tick(9), wm(5),
				tick(1), wm(5), // not advancing, still a check
				[]ev{e(3, "a", 4)},
				tick(10), wm(6),
			},
			want: []string{
				"0 100 a 1 1 +",
				"@wm 5",
				"0 100 a 1 1 -", "0 100 a 2 3 +", "@wm 5",
				"0 100 a 2 3 -", "0 100 a 3 7 +", "@wm 6",
			},
		},
		{
			name: "only net changes",
			spec: every(maxOnly(tumble(100, true)), 10),
			steps: []any{
				[]ev{e(1, "a", 5), e(2, "b", 5)},
				[]ev{e(3, "a", 3), e(4, "b", 7)}, // a unchanged, b changed
				tick(10),
				[]ev{e(5, "a", 1)},
				tick(10),
				[]ev{e(6, "a", 2), e(7, "b", 6)}, // nothing changed
				tick(10),
				[]ev{e(8, "b", 1)},
			},
			want: []string{"0 100 a 5 +", "0 100 b 5 +", "0 100 b 5 -", "0 100 b 7 +"},
		},
		{
			name: "a closing window flushes everything pending",
			spec: every(tumble(10, true), 1000),
			steps: []any{
				[]ev{e(1, "a", 1)},
				[]ev{e(2, "a", 2), e(12, "b", 4)},
				wm(5),  // closes nothing
				wm(10), // closes [0, 10): flush, also [10, 20)
				[]ev{e(13, "b", 8)},
				end{},
			},
			want: []string{
				"0 10 a 1 1 +",
				"@wm 5",
				"0 10 a 1 1 -", "0 10 a 2 3 +", "10 20 b 1 4 +", "@wm 10",
				"10 20 b 1 4 -", "10 20 b 2 12 +", "@end",
			},
		},
		{
			name: "a closing window without pending changes does not flush",
			spec: every(tumble(10, true), 1000),
			steps: []any{
				[]ev{e(1, "a", 1)},
				[]ev{e(12, "b", 4)},
				wm(10),
				wm(20),
			},
			want: []string{"0 10 a 1 1 +", "@wm 10", "10 20 b 1 4 +", "@wm 20"},
		},
		{
			name: "hop",
			spec: every(hop(5, 10, true), 1000),
			steps: []any{
				[]ev{e(7, "a", 1)},
				[]ev{e(8, "a", 2)},
				wm(10),
				[]ev{e(9, "a", 4)},
				end{},
			},
			want: []string{
				"0 10 a 1 1 +", "5 15 a 1 1 +",
				"0 10 a 1 1 -", "0 10 a 2 3 +", "5 15 a 1 1 -", "5 15 a 2 3 +", "@wm 10",
				"5 15 a 2 3 -", "5 15 a 3 7 +", "@end",
			},
		},
		{
			name: "session: merges retract once, closing flushes",
			spec: every(sessionSpec(10, true), 1000),
			steps: []any{
				[]ev{e(1, "a", 1)},
				tick(1000),
				[]ev{e(25, "a", 2)},
				[]ev{e(9, "a", 4)},
				[]ev{e(17, "a", 8)}, // bridges both emitted sessions
				wm(45),
				[]ev{e(50, "a", 1)},
				end{},
			},
			want: []string{
				"1 11 a 1 1 +",
				"25 35 a 1 2 +",
				"1 11 a 1 1 -", "25 35 a 1 2 -", "1 35 a 4 15 +", "@wm 45",
				"50 60 a 1 1 +", "@end",
			},
		},
		{
			name:  "session: unchanged result emits nothing",
			spec:  every(maxOnly(sessionSpec(10, true)), 5),
			steps: []any{[]ev{e(1, "a", 5), e(8, "a", 1)}, tick(5), []ev{e(3, "a", 2)}, tick(5), []ev{e(12, "a", 0)}},
			want:  []string{"1 18 a 5 +", "1 18 a 5 -", "1 22 a 5 +"},
		},
		{
			name: "global: the end flushes",
			spec: every(global(true), 100),
			steps: []any{
				[]ev{e(1, "a", 1)},
				[]ev{e(2, "a", 2), e(3, "b", 3)},
				end{},
			},
			want: []string{"a 1 1 +", "a 1 1 -", "a 2 3 +", "b 1 3 +", "@end"},
		},
	})
}

// TestThrottledRestoreUnthrottled: pending changes survive a restore into
// an aggregate without EmitEvery, which emits them with the next batch.
func TestThrottledRestoreUnthrottled(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	h := newHarness(t, mem, every(tumble(10, true), 100))
	h.run([]ev{e(1, "a", 1)}, []ev{e(2, "a", 2), e(3, "b", 4)})
	var buf bytes.Buffer
	if err := h.op.Snapshot(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	h.close()
	h = newHarness(t, mem, withEmit(tumble(10, true), Changes))
	defer h.close()
	if err := h.op.Restore(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	got := h.run([]ev{e(4, "c", 8)})
	want := []string{"0 10 a 1 1 -", "0 10 a 2 3 +", "0 10 b 1 4 +", "0 10 c 1 8 +"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("output:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestEmitEveryErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		spec Spec
		want string
	}{
		"on close": {func() Spec { s := tumble(10, true); s.EmitEvery = 5; return s }(), "needs EMIT CHANGES"},
		"negative": {every(tumble(10, true), -1), "must not be negative"},
	} {
		if _, err := NewAggregate(tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: NewAggregate: %v, want error containing %q", name, err, tc.want)
		}
	}
}

func TestThrottledEmitErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	done := func(b arrow.RecordBatch) error { b.Release(); return operators.ErrDone }
	keep := func(b arrow.RecordBatch) error { b.Release(); return nil }
	for _, s := range []Spec{every(tumble(10, true), 100), every(sessionSpec(5, true), 100), every(global(true), 100)} {
		// A frozen clock: the interval never passes between the calls.
		s.Now = func() time.Time { return time.UnixMicro(0) }
		op, _ := NewAggregate(s)
		op.Open(ctx, mem)
		b := mkBatch(mem, []ev{e(1, "a", 1)})
		if err := op.ProcessBatch(ctx, 0, b, done); err != operators.ErrDone {
			t.Errorf("%s: first ProcessBatch: %v, want ErrDone", s.Kind, err)
		}
		op.Close()
		op, _ = NewAggregate(s)
		op.Open(ctx, mem)
		if err := op.ProcessBatch(ctx, 0, b, keep); err != nil {
			t.Fatal(err)
		}
		if err := op.ProcessBatch(ctx, 0, b, keep); err != nil {
			t.Fatal(err)
		}
		if err := op.OnWatermark(ctx, operators.WatermarkEnd, done); err != operators.ErrDone {
			t.Errorf("%s: closing flush: %v, want ErrDone", s.Kind, err)
		}
		b.Release()
		op.Close()
	}
}
