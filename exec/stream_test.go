package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/window"
)

// A scan's watermark is the minimum over its splits (largest event time
// minus the delay, or a declared one if larger), forwarded only when it
// grows; a split with no data holds it at -inf; the end sends +inf.
func TestWatermarkMinOverSplits(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	tbl := newFakeTable(
		"a", []any{[]ev{{10, "x", 1}}, []ev{{40, "x", 1}}, []ev{{60, "x", 1}}, idle{}},
		"b", []any{idle{}, []ev{{25, "y", 1}, {-1, "y", 1}}, declareWM(55), []ev{{30, "y", 1}}},
	)
	probe := newProbe(1)
	sink := &captureSink{}
	j := mustJob(t, opStage("Probe", probe, scanStage("t", tbl, 5, 0)), JobOptions{Alloc: mem, Sink: sink})
	defer closeJob(t, j)
	var wms [][]string
	for {
		_, err := j.Poll(context.Background())
		wms = append(wms, wmsOf(probe.log))
		probe.log = nil
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// Poll 1: a=5, b none → none. Poll 2: a=35, b=20 → 20. Poll 3:
	// a=55, b declares 55 → 55. Poll 4: a idle, b reads 30 (wm stays 55).
	// Poll 5: both end.
	want := [][]string{nil, {"20"}, {"55"}, nil, {"end"}}
	if !reflect.DeepEqual(wms, want) {
		t.Fatalf("watermarks per poll %v, want %v", wms, want)
	}
	m := j.Metrics()
	if m.EventsIn != 6 || m.EventsOut != 6 || m.Watermark != operators.WatermarkEnd {
		t.Fatalf("metrics %+v", m)
	}
}

// A split idle for longer than its timeout stops holding the watermark
// back; when it reads again it counts again, but the watermark never goes
// back.
func TestIdleSplitReleased(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	clock := newClock()
	tbl := newFakeTable(
		"a", []any{[]ev{{100, "x", 1}}, []ev{{200, "x", 1}}, []ev{{300, "x", 1}}, []ev{{400, "x", 1}}},
		"b", []any{[]ev{{50, "y", 1}}, idle{}, idle{}, []ev{{150, "y", 1}}, []ev{{500, "y", 1}}},
	)
	probe := newProbe(1)
	j := mustJob(t, opStage("Probe", probe, scanStage("t", tbl, 0, 10*time.Second)),
		JobOptions{Alloc: mem, Sink: &captureSink{}, Now: clock.now})
	defer closeJob(t, j)
	var wms [][]string
	var idleAfter []bool
	for {
		_, err := j.Poll(context.Background())
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		wms = append(wms, wmsOf(probe.log))
		idleAfter = append(idleAfter, j.Metrics().Splits[1].Idle)
		probe.log = nil
		if err != nil {
			break
		}
		clock.advance(6 * time.Second)
	}
	// t=0: min(100, 50). t=6: b idle 6s, still counts. t=12: b idle 12s,
	// released: a's 300. t=18: a 400, then b reads 150 (counts again,
	// but the watermark stays). t=24: a ended, b 500. Then the end.
	want := [][]string{{"50"}, nil, {"300"}, {"400"}, {"500"}, {"end"}}
	if !reflect.DeepEqual(wms, want) {
		t.Fatalf("watermarks per poll %v, want %v", wms, want)
	}
	if fmt.Sprint(idleAfter) != "[false false true false false false]" {
		t.Fatalf("split b idle after each poll: %v", idleAfter)
	}
}

// tumbleStage is a 10µs tumbling window counting and summing v per k.
func tumbleStage(t testing.TB, input *operators.Stage) *operators.Stage {
	newOp := func() (operators.Operator, error) {
		return window.NewAggregate(window.Spec{Kind: window.Tumble, Size: 10, Input: evSchema, TimeCol: 0,
			GroupCols: []int{1}, GroupNames: []string{"k"}, Aggs: []operators.AggSpec{
				{Func: "count", Filter: -1, Name: "cnt"},
				{Func: "sum", Args: []int{2}, Filter: -1, Name: "sum"},
			}})
	}
	op, err := newOp()
	if err != nil {
		t.Fatal(err)
	}
	return &operators.Stage{Name: "WindowAggregate", Op: op, NewOp: newOp, KeyCols: [][]int{{1}}, Inputs: []*operators.Stage{input}}
}

// At the end of input the watermark reaches +inf and every window
// closes, in both modes.
func TestEndClosesWindows(t *testing.T) {
	for _, mode := range []string{"poll", "run"} {
		t.Run(mode, func(t *testing.T) {
			mem := newMem()
			defer mem.AssertSize(t, 0)
			tbl := newFakeTable(
				"a", []any{[]ev{{1, "x", 1}, {12, "x", 2}}, []ev{{15, "y", 3}}},
				"b", []any{[]ev{{3, "x", 4}}, idle{}, []ev{{27, "x", 5}}},
			)
			sink := &captureSink{}
			j := mustJob(t, tumbleStage(t, scanStage("t", tbl, 100, 0)), JobOptions{Alloc: mem, Sink: sink})
			if mode == "poll" {
				pollAll(t, j)
			} else if err := j.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			closeJob(t, j)
			want := []string{"0 10 x 2 5", "10 20 x 1 2", "10 20 y 1 3", "20 30 x 1 5"}
			if got := sink.sorted(); !reflect.DeepEqual(got, want) {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

// The watermark of an operator with several inputs is the minimum over
// them; an ended input no longer holds it back.
func TestWatermarkMinOverInputs(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	left := newFakeTable("l", []any{[]ev{{10, "x", 1}}, []ev{{30, "x", 1}}, []ev{{50, "x", 1}}})
	right := newFakeTable("r", []any{[]ev{{20, "y", 1}}, []ev{{25, "y", 1}}})
	probe := newProbe(2)
	j := mustJob(t, opStage("Union", probe, scanStage("l", left, 0, 0), scanStage("r", right, 0, 0)),
		JobOptions{Alloc: mem, Sink: &captureSink{}})
	pollAll(t, j)
	closeJob(t, j)
	// r's end lifts the minimum to l's 50; EndOfInput(1) waits for input
	// 0 to end (ends are reported in input order).
	want := []string{"b0:10 x 1", "b1:20 y 1", "wm:10", "b0:30 x 1", "wm:20", "b1:25 y 1", "wm:25",
		"b0:50 x 1", "wm:50", "wm:end", "end0", "end1"}
	if !reflect.DeepEqual(probe.log, want) {
		t.Fatalf("log %q, want %q", probe.log, want)
	}
}

// recorder is an inbox handler logging its calls.
type recorder struct{ log []string }

func (r *recorder) onBatch(_ context.Context, input int, m message) error {
	r.log = append(r.log, fmt.Sprintf("b%d:%s", input, renderRow(m.batch, 0)))
	m.release()
	return nil
}
func (r *recorder) onWatermark(_ context.Context, wm int64) error {
	r.log = append(r.log, "wm:"+fmtWM(wm))
	return nil
}
func (r *recorder) onBarrier(_ context.Context, e int64) error {
	r.log = append(r.log, fmt.Sprintf("barrier:%d", e))
	return nil
}
func (r *recorder) onEndOfInput(_ context.Context, i int) error {
	r.log = append(r.log, fmt.Sprintf("end%d", i))
	return nil
}
func (r *recorder) onFinish(context.Context) error {
	r.log = append(r.log, "finish")
	return nil
}

// Barrier alignment: after the barrier on one input, that input's
// messages wait until the barrier came on every input not ended; then the
// barrier passes, and the held messages follow in order. Ends are
// reported in input order, after the watermark reached the end.
func TestInboxAlignsBarriers(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	r := &recorder{}
	in := newInbox(r, []int{0, 1, 1}, 2, false)
	ctx := context.Background()
	batch := func(ts int64) message { return message{kind: msgBatch, batch: evBatch(mem, []ev{{ts, "k", 0}})} }
	steps := []struct {
		sub int
		m   message
	}{
		{0, message{kind: msgWatermark, wm: 5}},
		{1, message{kind: msgWatermark, wm: 7}},
		{2, message{kind: msgWatermark, wm: 9}},
		{0, message{kind: msgBarrier, epoch: 1}},
		{0, batch(100)},                          // held
		{0, message{kind: msgWatermark, wm: 50}}, // held
		{1, batch(101)},
		{1, message{kind: msgBarrier, epoch: 1}},
		{1, batch(102)}, // held
		{2, batch(103)},
		{2, message{kind: msgEnd}}, // ended: counts as aligned
		{1, message{kind: msgEnd}},
		{0, message{kind: msgEnd}},
	}
	for _, s := range steps {
		if err := in.deliver(ctx, s.sub, s.m); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"wm:5", "b1:101 k 0", "b1:103 k 0", "barrier:1", "b0:100 k 0", "wm:7", "b1:102 k 0",
		"wm:50", "wm:end", "end0", "end1", "finish"}
	if !reflect.DeepEqual(r.log, want) {
		t.Fatalf("log\n%q\nwant\n%q", r.log, want)
	}
}

// A bounded input 0 (a lookup join's build side) is delivered completely,
// through its end, before anything of the streaming input, in both modes.
func TestBoundedInputFirst(t *testing.T) {
	for _, mode := range []string{"poll", "run"} {
		t.Run(mode, func(t *testing.T) {
			mem := newMem()
			defer mem.AssertSize(t, 0)
			stream := newFakeTable("s", []any{[]ev{{1, "x", 1}}, []ev{{2, "x", 2}}, []ev{{3, "x", 3}}})
			lookup := opStage("Filter", newProbe(1), &operators.Stage{Name: "Values",
				Source: operators.NewValues(evSchema, evBatch(mem, []ev{{0, "dim", 9}}))})
			probe := newProbe(2)
			j := mustJob(t, opStage("LookupJoin", probe, lookup, scanStage("s", stream, 0, 0)),
				JobOptions{Alloc: mem, Sink: &captureSink{}})
			if mode == "poll" {
				pollAll(t, j)
			} else if err := j.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			closeJob(t, j)
			if len(probe.log) < 2 || probe.log[0] != "b0:0 dim 9" || probe.log[1] != "end0" {
				t.Fatalf("log %q: input 0 not first", probe.log)
			}
			if n := strings.Count(strings.Join(probe.log, ","), "b1:"); n != 3 {
				t.Fatalf("log %q: %d batches of input 1", probe.log, n)
			}
		})
	}
}

// Malformed input goes to DeadLetter.Raw and late rows to DeadLetter.Rows;
// both are counted. Without a DeadLetter, malformed input fails the job.
func TestDeadLetters(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	script := []any{[]ev{{10, "x", 1}}, malformed("{oops"), []ev{{20, "x", 2}}, []ev{{5, "x", 3}, {25, "x", 4}}}
	probe := newProbe(1)
	probe.dropLate = true
	dl := &deadLetters{}
	sink := &captureSink{}
	j := mustJob(t, opStage("Probe", probe, scanStage("t", newFakeTable("a", script), 0, 0)),
		JobOptions{Alloc: mem, Sink: sink, DeadLetter: dl})
	pollAll(t, j)
	m := j.Metrics()
	closeJob(t, j)
	if want := []string{"{oops | a:2: malformed"}; !reflect.DeepEqual(dl.raw, want) {
		t.Fatalf("raw dead letters %q, want %q", dl.raw, want)
	}
	if want := []string{"5 x 3 | late event: behind the watermark"}; !reflect.DeepEqual(dl.rows, want) {
		t.Fatalf("late dead letters %q, want %q", dl.rows, want)
	}
	if m.DeadLettered != 2 || m.Late != 1 || m.EventsIn != 4 || m.EventsOut != 3 {
		t.Fatalf("metrics %+v", m)
	}

	j = mustJob(t, opStage("Probe", newProbe(1), scanStage("t", newFakeTable("a", script), 0, 0)),
		JobOptions{Alloc: mem, Sink: &captureSink{}})
	defer closeJob(t, j)
	_, err := j.Poll(context.Background())
	if err == nil {
		_, err = j.Poll(context.Background())
	}
	if err == nil || !strings.Contains(err.Error(), `malformed input "{oops"`) {
		t.Fatalf("got %v, want the malformed input error", err)
	}
	if _, again := j.Poll(context.Background()); again != err {
		t.Fatalf("a failed job polled again gave %v", again)
	}
}

// State over MaxStateBytes fails the job naming the stage and the numbers.
func TestMaxStateBytes(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	probe := newProbe(1)
	probe.bytesPerRow = 100
	tbl := newFakeTable("a", []any{[]ev{{1, "x", 1}, {2, "x", 1}}, []ev{{3, "x", 1}}, []ev{{4, "x", 1}}})
	j := mustJob(t, opStage("Counter", probe, scanStage("t", tbl, 0, 0)),
		JobOptions{Alloc: mem, Sink: &captureSink{}, MaxStateBytes: 250})
	defer closeJob(t, j)
	var err error
	for i := 0; i < 5 && err == nil; i++ {
		_, err = j.Poll(context.Background())
	}
	var le *StateLimitError
	if !errors.As(err, &le) || le.Stage != "Counter" || le.StageBytes != 300 || le.TotalBytes != 300 || le.Limit != 250 {
		t.Fatalf("got %v (%+v), want a state limit error", err, le)
	}
	if msg := err.Error(); !strings.Contains(msg, "Counter") || !strings.Contains(msg, "300") || !strings.Contains(msg, "250") {
		t.Fatalf("message %q lacks the stage or the numbers", msg)
	}
}

// A table with no splits ends at once.
func TestNoSplits(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	probe := newProbe(1)
	j := mustJob(t, opStage("Probe", probe, scanStage("t", newFakeTable(), 0, 0)), JobOptions{Alloc: mem, Sink: &captureSink{}})
	defer closeJob(t, j)
	if _, err := j.Poll(context.Background()); !errors.Is(err, io.EOF) {
		t.Fatalf("got %v, want io.EOF", err)
	}
	if want := []string{"wm:end", "end0"}; !reflect.DeepEqual(probe.log, want) {
		t.Fatalf("log %q, want %q", probe.log, want)
	}
}
