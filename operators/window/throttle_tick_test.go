package window

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// onTick is a script step: advance the clock by this many µs, then call
// OnTick at the new time (marked "@tick N" in the output).
type onTick int64

// runTicks plays steps on h, handling onTick itself and the rest with
// h.run.
func runTicks(t *testing.T, h *harness, steps ...any) []string {
	t.Helper()
	for _, s := range steps {
		d, ok := s.(onTick)
		if !ok {
			h.run(s)
			continue
		}
		h.clock += int64(d)
		if err := h.op.OnTick(context.Background(), time.UnixMicro(h.clock), h.emit); err != nil {
			t.Fatalf("OnTick: %v", err)
		}
		h.out = append(h.out, "@tick")
	}
	return h.out
}

// Under EMIT CHANGES EVERY, ticks alone flush pending changes once the
// interval has passed: no batch or watermark needed.
func TestThrottledChangesFlushOnTick(t *testing.T) {
	cases := []struct {
		name  string
		spec  Spec
		steps []any
		want  []string
	}{{
		name: "tumble",
		spec: every(tumble(100, true), 10),
		steps: []any{
			[]ev{e(1, "a", 1)}, // first change: emitted at once
			[]ev{e(2, "a", 2), e(3, "b", 4)},
			onTick(5),          // too early
			onTick(5),          // 10 µs after the last emission
			onTick(20),         // nothing pending
			[]ev{e(4, "a", 4)}, // 30 µs after the last emission: at once
			[]ev{e(5, "a", 1)},
			snap{},    // pending changes and the last emission survive
			onTick(9), // too early
			onTick(1),
			end{},
			onTick(100), // after the end: nothing
		},
		want: []string{
			"0 100 a 1 1 +",
			"@tick",
			"0 100 a 1 1 -", "0 100 a 2 3 +", "0 100 b 1 4 +", "@tick",
			"@tick",
			"0 100 a 2 3 -", "0 100 a 3 7 +",
			"@tick",
			"0 100 a 3 7 -", "0 100 a 4 8 +", "@tick",
			"@end", "@tick",
		},
	}, {
		name: "global",
		spec: every(global(true), 10),
		steps: []any{
			[]ev{e(1, "a", 1)},
			[]ev{e(2, "a", 2)},
			onTick(10),
		},
		want: []string{"a 1 1 +", "a 1 1 -", "a 2 3 +", "@tick"},
	}, {
		name: "session",
		spec: every(sessionSpec(10, true), 10),
		steps: []any{
			[]ev{e(1, "a", 1)},
			[]ev{e(5, "a", 2)},
			onTick(10),
		},
		want: []string{"1 11 a 1 1 +", "1 11 a 1 1 -", "1 15 a 2 3 +", "@tick"},
	}, {
		name:  "unthrottled changes: ticks do nothing",
		spec:  withEmit(tumble(100, true), Changes),
		steps: []any{[]ev{e(1, "a", 1)}, onTick(10), []ev{e(2, "a", 2)}, onTick(10)},
		want:  []string{"0 100 a 1 1 +", "@tick", "0 100 a 1 1 -", "0 100 a 2 3 +", "@tick"},
	}, {
		name:  "on window close: ticks do nothing",
		spec:  tumble(100, true),
		steps: []any{[]ev{e(1, "a", 1)}, onTick(1000), end{}},
		want:  []string{"@tick", "0 100 a 1 1", "@end"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			h := newHarness(t, mem, c.spec)
			defer h.close()
			got := runTicks(t, h, c.steps...)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("output:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestThrottledTickErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	spec := every(tumble(100, true), 10)

	op, err := NewAggregate(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.OnTick(ctx, time.UnixMicro(0), nil); err == nil || !strings.Contains(err.Error(), "ticking window aggregate: operator not open") {
		t.Errorf("OnTick before Open: %v, want an operator-not-open error", err)
	}

	// The emit function's error (ErrDone included) comes back unchanged.
	h := newHarness(t, mem, spec)
	h.run([]ev{e(1, "a", 1)}, []ev{e(2, "a", 2)})
	done := func(b arrow.RecordBatch) error { b.Release(); return operators.ErrDone }
	if err := h.op.OnTick(ctx, time.UnixMicro(h.clock+10), done); err != operators.ErrDone {
		t.Errorf("OnTick with a failing emit: %v, want ErrDone", err)
	}
	h.close()
	if err := h.op.OnTick(ctx, time.UnixMicro(h.clock+20), nil); err == nil || !strings.Contains(err.Error(), "operator not open") {
		t.Errorf("OnTick after Close: %v, want an operator-not-open error", err)
	}
}
