package window

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators"
)

func TestRouteLateAndStateReporter(t *testing.T) {
	mem := optest.CheckedMem(t)
	ctx := context.Background()
	op, err := NewAggregate(tumble(10, true))
	if err != nil {
		t.Fatal(err)
	}
	var r operators.LateRouter = op
	var reasons []string
	var rows int64
	r.RouteLate(func(b arrow.RecordBatch, reason string) error {
		defer b.Release()
		rows += b.NumRows()
		reasons = append(reasons, reason[:strings.Index(reason, ":")])
		return nil
	})
	var sr operators.StateReporter = op
	if err := op.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	if sr.StateBytes() != 0 || sr.LateRows() != 0 {
		t.Errorf("fresh operator: %d state bytes, %d late rows", sr.StateBytes(), sr.LateRows())
	}
	drop := func(b arrow.RecordBatch) error { b.Release(); return nil }
	b := mkBatch(mem, []ev{e(1, "a", 1), e(15, "b", 2), {t: 0, k: "c", v: 1, nullT: true}})
	defer b.Release()
	if err := op.ProcessBatch(ctx, 0, b, drop); err != nil {
		t.Fatal(err)
	}
	if sr.StateBytes() <= 0 || sr.StateBytes() != op.Stats().StateBytes {
		t.Errorf("StateBytes %d, Stats %d: want equal and positive", sr.StateBytes(), op.Stats().StateBytes)
	}
	if err := op.OnWatermark(ctx, 20, drop); err != nil {
		t.Fatal(err)
	}
	if err := op.ProcessBatch(ctx, 0, b, drop); err != nil {
		t.Fatal(err)
	}
	if sr.LateRows() != 4 || op.Stats().LateRows != 4 || rows != 4 {
		t.Errorf("LateRows %d, Stats %d, routed %d: want 4", sr.LateRows(), op.Stats().LateRows, rows)
	}
	if want := []string{"late event", "late event", "late event"}; !reflect.DeepEqual(reasons, want) {
		t.Errorf("reasons %q, want %q", reasons, want)
	}
	if sr.StateBytes() != 0 {
		t.Errorf("StateBytes %d after every window closed, want 0", sr.StateBytes())
	}
}

// TestWatermarkEndThenEndOfInput: exec may send the final watermark and
// then end the input; the second emits nothing more.
func TestWatermarkEndThenEndOfInput(t *testing.T) {
	steps := []any{
		[]ev{e(1, "a", 1), e(12, "b", 2), e(3, "b", 3)}, wm(2),
		[]ev{e(5, "a", 4), e(21, "a", 8)}, tick(10),
	}
	specs := map[string]Spec{
		"tumble":  tumble(10, true),
		"hop":     hop(5, 15, true),
		"session": sessionSpec(4, true),
		"global":  global(true),
		"count":   global(false),
	}
	for name, s := range specs {
		for _, m := range []EmitMode{OnWindowClose, Changes} {
			for _, ev := range []int64{0, 100} {
				if ev > 0 && m != Changes {
					continue
				}
				spec := withEmit(s, m)
				spec.EmitEvery = ev
				t.Run(fmt.Sprintf("%s/%s/every=%d", name, m, ev), func(t *testing.T) {
					mem := optest.CheckedMem(t)
					h := newHarness(t, mem, spec)
					want := h.run(append(append([]any(nil), steps...), end{})...)
					h.close()
					h = newHarness(t, mem, spec)
					defer h.close()
					got := h.run(append(append([]any(nil), steps...), wmEnd, wmEnd, end{})...)
					got = dropMarkers(got, "@wm 9223372036854775807")
					if !reflect.DeepEqual(got, want) {
						t.Errorf("output:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
					}
					if st := h.op.Stats(); st.OpenGroups != 0 || st.StateBytes != 0 {
						t.Errorf("stats after end %+v, want no state", st)
					}
				})
			}
		}
	}
}

func dropMarkers(out []string, marker string) []string {
	var keep []string
	for _, r := range out {
		if r != marker {
			keep = append(keep, r)
		}
	}
	return keep
}

func TestGlobalErrors(t *testing.T) {
	mem := optest.CheckedMem(t)
	ctx := context.Background()
	boom := errors.New("boom")
	s := withEmit(global(false), Changes)
	s.LateSink = func(b arrow.RecordBatch, _ string) error { b.Release(); return boom }
	op, err := NewAggregate(s)
	if err != nil {
		t.Fatal(err)
	}
	op.Open(ctx, mem)
	defer op.Close()
	fail := func(b arrow.RecordBatch) error { b.Release(); return operators.ErrDone }
	if err := op.OnWatermark(ctx, operators.WatermarkEnd, fail); err != operators.ErrDone {
		t.Errorf("OnWatermark(end) of the empty count: %v, want ErrDone from emit", err)
	}
	op2, _ := NewAggregate(s)
	op2.Open(ctx, mem)
	defer op2.Close()
	if err := op2.OnWatermark(ctx, operators.WatermarkEnd, func(b arrow.RecordBatch) error { b.Release(); return nil }); err != nil {
		t.Fatal(err)
	}
	b := mkBatch(mem, []ev{e(1, "a", 1)})
	defer b.Release()
	if err := op2.ProcessBatch(ctx, 0, b, fail); !errors.Is(err, boom) {
		t.Errorf("ProcessBatch after the end: %v, want the late sink's error", err)
	}
}
