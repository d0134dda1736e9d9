package exec

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/window"
)

// tickLog is a log shared by the tick operators of a plan.
type tickLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *tickLog) add(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *tickLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// tickOp throttles in processing time: it holds the batches it gets and
// emits them on the first tick at least hold after the first of them came
// (by the job's clock); EndOfInput emits what it holds. It logs "NAME
// b:ROWS", "NAME tick:+SECONDS" (since base; "NAME tick" without base)
// and "NAME end".
type tickOp struct {
	name  string
	hold  time.Duration
	clock func() time.Time
	base  time.Time // zero: log ticks without their time
	log   *tickLog
	// Faults of OnTick: an error, a panic, ErrDone.
	tickErr   error
	panicTick bool

	held   []arrow.RecordBatch
	since  time.Time
	ticks  atomic.Int64
	opened atomic.Bool
}

var _ operators.Ticker = (*tickOp)(nil)

func (p *tickOp) Schema() *arrow.Schema { return evSchema }

func (p *tickOp) Open(context.Context, memory.Allocator) error {
	p.opened.Store(true)
	return nil
}

func (p *tickOp) ProcessBatch(_ context.Context, _ int, b arrow.RecordBatch, _ operators.Emit) error {
	p.log.add("%s b:%d", p.name, b.NumRows())
	if len(p.held) == 0 {
		p.since = p.clock()
	}
	b.Retain()
	p.held = append(p.held, b)
	return nil
}

func (p *tickOp) OnTick(_ context.Context, now time.Time, emit operators.Emit) error {
	p.ticks.Add(1)
	if p.base.IsZero() {
		p.log.add("%s tick", p.name)
	} else {
		p.log.add("%s tick:+%gs", p.name, now.Sub(p.base).Seconds())
	}
	switch {
	case p.panicTick:
		panic("tick bug")
	case p.tickErr != nil:
		return p.tickErr
	}
	if len(p.held) == 0 || now.Sub(p.since) < p.hold {
		return nil
	}
	return p.flush(emit)
}

func (p *tickOp) flush(emit operators.Emit) error {
	held := p.held
	p.held = nil
	for i, b := range held {
		if err := emit(b); err != nil {
			for _, r := range held[i+1:] {
				r.Release()
			}
			return err
		}
	}
	return nil
}

func (p *tickOp) EndOfInput(_ context.Context, _ int, emit operators.Emit) error {
	p.log.add("%s end", p.name)
	return p.flush(emit)
}

func (p *tickOp) Close() error {
	for _, b := range p.held {
		b.Release()
	}
	p.held = nil
	return nil
}

// tickPlan is scan(t) → A → B → sink, both tick operators holding 10s.
func tickPlan(t *fakeTable, clock *fakeClock, base time.Time, log *tickLog) (*operators.Stage, *tickOp, *tickOp) {
	a := &tickOp{name: "A", hold: 10 * time.Second, clock: clock.now, base: base, log: log}
	b := &tickOp{name: "B", hold: 10 * time.Second, clock: clock.now, base: base, log: log}
	return opStage("B", b, opStage("A", a, scanStage("t", t, 0, 0))), a, b
}

// Poll ticks every Ticker once per call, after its reads and upstream
// first, with the job's clock, also when no data arrives; rows a tick
// emits flow downstream in the same call; no tick follows the end.
func TestPollTicks(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	wait := make(waitFor)
	tbl := newFakeTable("s1", []any{[]ev{{1, "a", 1}, {2, "b", 2}}, wait, []ev{{3, "c", 3}}})
	clock, log := newClock(), &tickLog{}
	root, _, _ := tickPlan(tbl, clock, clock.now(), log)
	sink := &captureSink{}
	j := mustJob(t, root, JobOptions{Alloc: mem, Sink: sink, Now: clock.now, CheckpointInterval: -1})
	defer closeJob(t, j)
	ctx := context.Background()
	poll := func() {
		t.Helper()
		if _, err := j.Poll(ctx); err != nil {
			t.Fatalf("Poll: %v", err)
		}
	}
	poll() // reads the batch; A holds it
	poll() // idle: ticks all the same
	clock.advance(10 * time.Second)
	poll() // A's tick flushes to B, which holds it from now
	if len(sink.rows) != 0 {
		t.Fatalf("sink got %q before B's hold passed", sink.rows)
	}
	clock.advance(10 * time.Second)
	poll() // B's tick flushes to the sink
	if want := []string{"1 a 1", "2 b 2"}; !reflect.DeepEqual(sink.rows, want) {
		t.Fatalf("sink rows %q, want %q", sink.rows, want)
	}
	close(wait)
	pollAll(t, j)
	want := []string{
		"A b:2", "A tick:+0s", "B tick:+0s",
		"A tick:+0s", "B tick:+0s",
		"A tick:+10s", "B b:2", "B tick:+10s",
		"A tick:+20s", "B tick:+20s",
		"A tick:+20s", "B tick:+20s", // the wait ends: an idle read
		"A b:1", "A tick:+20s", "B tick:+20s",
		"A end", "B b:1", "B end",
	}
	if got := log.get(); !reflect.DeepEqual(got, want) {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if want := []string{"1 a 1", "2 b 2", "3 c 3"}; !reflect.DeepEqual(sink.rows, want) {
		t.Errorf("sink rows %q, want %q", sink.rows, want)
	}
}

// A negative TickInterval turns ticks off.
func TestPollTicksDisabled(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	tbl := newFakeTable("s1", []any{[]ev{{1, "a", 1}}, idle{}, idle{}})
	clock, log := newClock(), &tickLog{}
	root, a, b := tickPlan(tbl, clock, clock.now(), log)
	sink := &captureSink{}
	j := mustJob(t, root, JobOptions{Alloc: mem, Sink: sink, Now: clock.now, TickInterval: -1})
	pollAll(t, j)
	closeJob(t, j)
	if n := a.ticks.Load() + b.ticks.Load(); n != 0 {
		t.Errorf("%d ticks with TickInterval -1, want 0", n)
	}
	if len(sink.rows) != 1 {
		t.Errorf("sink rows %q, want the one row at the end", sink.rows)
	}
}

// Every instance of a partitioned Ticker stage is ticked.
func TestPollTicksEveryInstance(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	tbl := newFakeTable("s1", []any{idle{}})
	clock, log := newClock(), &tickLog{}
	var ops []*tickOp
	newOp := func() operators.Operator {
		op := &tickOp{name: fmt.Sprint("T", len(ops)), clock: clock.now, log: log}
		ops = append(ops, op)
		return op
	}
	j := mustJob(t, keyed("T", newOp, scanStage("t", tbl, 0, 0)), JobOptions{Alloc: mem, Sink: &captureSink{}, Now: clock.now, Parallelism: 3})
	defer closeJob(t, j)
	if _, err := j.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ticked int
	for _, op := range ops {
		if op.ticks.Load() > 0 {
			ticked++
		}
	}
	if ticked != 3 {
		t.Errorf("%d of %d instances ticked (%q), want 3", ticked, len(ops), log.get())
	}
}

// A tick's error fails the poll with a *StageError naming the stage, a
// panic becomes an internal error, and the job stays failed; ErrDone
// stops the operator's ticks and batches.
func TestPollTickFaults(t *testing.T) {
	for _, c := range []struct {
		name  string
		set   func(*tickOp)
		want  string // error substring; "" for none
		ticks int64  // of A, after three polls
	}{
		{"error", func(p *tickOp) { p.tickErr = errors.New("clock broke") }, "running A: clock broke", 1},
		{"panic", func(p *tickOp) { p.panicTick = true }, "internal error in A: tick bug", 1},
		{"done", func(p *tickOp) { p.tickErr = operators.ErrDone }, "", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			mem := newMem()
			defer mem.AssertSize(t, 0)
			tbl := newFakeTable("s1", []any{idle{}, []ev{{1, "a", 1}}, idle{}})
			clock, log := newClock(), &tickLog{}
			root, a, _ := tickPlan(tbl, clock, time.Time{}, log)
			c.set(a)
			j := mustJob(t, root, JobOptions{Alloc: mem, Sink: &captureSink{}, Now: clock.now})
			defer closeJob(t, j)
			var errs []error
			for range 3 {
				_, err := j.Poll(context.Background())
				errs = append(errs, err)
			}
			if c.want == "" {
				for _, err := range errs {
					if err != nil {
						t.Fatalf("Poll: %v", err)
					}
				}
				if got := log.get(); strings.Contains(strings.Join(got, "|"), "A b:") {
					t.Errorf("A got a batch after ErrDone: %q", got)
				}
			} else {
				var se *StageError
				if !errors.As(errs[0], &se) || se.Stage != "A" || !strings.Contains(se.Error(), c.want) {
					t.Fatalf("Poll: %v, want a *StageError of A containing %q", errs[0], c.want)
				}
				if errs[1] != errs[0] || errs[2] != errs[0] {
					t.Errorf("later polls: %v, %v; want the first error again", errs[1], errs[2])
				}
			}
			if n := a.ticks.Load(); n != c.ticks {
				t.Errorf("A ticked %d times, want %d", n, c.ticks)
			}
		})
	}
}

// eventually waits, with a generous timeout, until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// In Run mode ticks reach operators while the source is idle: chained
// ones on the scan's goroutine, partitioned instances on their own; rows
// they emit reach the sink without further input.
func TestRunTicksWhileIdle(t *testing.T) {
	for _, par := range []int{1, 2} {
		t.Run(fmt.Sprint("parallelism ", par), func(t *testing.T) {
			mem := newMem()
			defer mem.AssertSize(t, 0)
			wait := make(waitFor)
			// Two splits: the scan's goroutine selects over both edges.
			tbl := newFakeTable("s1", []any{[]ev{{1, "a", 1}, {2, "b", 2}}, wait, []ev{{3, "c", 3}}}, "s2", []any{wait})
			clock, log := newClock(), &tickLog{}
			var ops []*tickOp
			var mu sync.Mutex
			newOp := func() operators.Operator {
				mu.Lock()
				defer mu.Unlock()
				op := &tickOp{name: "T", hold: 10 * time.Second, clock: clock.now, log: log}
				ops = append(ops, op)
				return op
			}
			root := keyed("T", newOp, scanStage("t", tbl, 0, 0))
			sink := &captureSink{}
			j := mustJob(t, root, JobOptions{Alloc: mem, Sink: sink, Now: clock.now, Parallelism: par, TickInterval: time.Millisecond})
			defer closeJob(t, j)
			done := make(chan error, 1)
			go func() { done <- j.Run(context.Background()) }()
			var live []*tickOp // the instances the job opened
			for _, op := range ops {
				if op.opened.Load() {
					live = append(live, op)
				}
			}
			if len(live) != par {
				t.Fatalf("%d instances opened, want %d", len(live), par)
			}
			eventually(t, "the batch to reach the operators", func() bool { return heldRows(log) == 2 })
			ticksNow := make([]int64, len(live))
			for i, op := range live {
				ticksNow[i] = op.ticks.Load()
			}
			eventually(t, "ticks while idle", func() bool {
				for i, op := range live {
					if op.ticks.Load() <= ticksNow[i] {
						return false
					}
				}
				return true
			})
			if rows := sink.sorted(); len(rows) != 0 {
				t.Fatalf("sink got %q before the hold passed", rows)
			}
			clock.advance(10 * time.Second)
			eventually(t, "a tick to flush to the sink", func() bool { return len(sink.sorted()) == 2 })
			close(wait)
			if err := <-done; err != nil {
				t.Fatalf("Run: %v", err)
			}
			if want := []string{"1 a 1", "2 b 2", "3 c 3"}; !reflect.DeepEqual(sink.sorted(), want) {
				t.Errorf("sink rows %q, want %q", sink.sorted(), want)
			}
		})
	}
}

// heldRows sums the rows of the "b:N" lines of log.
func heldRows(log *tickLog) int {
	var total int
	for _, l := range log.get() {
		if _, after, ok := strings.Cut(l, " b:"); ok {
			var n int
			fmt.Sscan(after, &n)
			total += n
		}
	}
	return total
}

// EMIT CHANGES EVERY on a quiet stream, end to end in Run mode: the
// window aggregate's pending changes reach the sink once the interval has
// passed on the clock, with no further input.
func TestRunEmitEveryOnQuietStream(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	wait := make(waitFor)
	tbl := newFakeTable("s1", []any{[]ev{{1, "a", 1}}, []ev{{2, "a", 2}}, wait})
	clock := newClock()
	agg, err := window.NewAggregate(window.Spec{Kind: window.Tumble, Size: 100, Input: evSchema, TimeCol: 0,
		GroupCols: []int{1}, GroupNames: []string{"k"}, Emit: window.Changes, EmitEvery: 10_000_000, Now: clock.now,
		Aggs: []operators.AggSpec{{Func: "sum", Args: []int{2}, Filter: -1, Name: "sum"}}})
	if err != nil {
		t.Fatal(err)
	}
	sink := &captureSink{}
	j := mustJob(t, opStage("Window", agg, scanStage("t", tbl, 0, 0)),
		JobOptions{Alloc: mem, Sink: sink, Now: clock.now, TickInterval: time.Millisecond})
	defer closeJob(t, j)
	done := make(chan error, 1)
	go func() { done <- j.Run(context.Background()) }()
	// The window's watermark reaches 2 after it processed the second batch
	// (same goroutine, in order): its change is pending, not yet due.
	eventually(t, "the second batch", func() bool { return j.Metrics().Stages[0].Watermark == 2 })
	if rows := sink.sorted(); len(rows) != 1 {
		t.Fatalf("sink rows %q before the interval passed, want the first change only", rows)
	}
	clock.advance(10 * time.Second)
	eventually(t, "the throttled change", func() bool { return len(sink.sorted()) == 3 })
	close(wait)
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if want := []string{"0 100 a 1 insert", "0 100 a 1 delete", "0 100 a 3 insert"}; !reflect.DeepEqual(sink.rows, want) {
		t.Errorf("sink rows %q, want %q", sink.rows, want)
	}
}

// A tick's error stops Run with a *StageError naming the stage, whether
// the goroutine selects over one edge or several.
func TestRunTickError(t *testing.T) {
	for _, splits := range [][]any{{"s1", []any{}}, {"s1", []any{}, "s2", []any{}}} {
		mem := newMem()
		wait := make(waitFor)
		for i := 1; i < len(splits); i += 2 {
			splits[i] = []any{wait}
		}
		clock, log := newClock(), &tickLog{}
		root, a, _ := tickPlan(newFakeTable(splits...), clock, time.Time{}, log)
		a.tickErr = errors.New("clock broke")
		j := mustJob(t, root, JobOptions{Alloc: mem, Sink: &captureSink{}, Now: clock.now, TickInterval: time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := j.Run(ctx)
		cancel()
		close(wait)
		closeJob(t, j)
		mem.AssertSize(t, 0)
		var se *StageError
		if !errors.As(err, &se) || se.Stage != "A" || !strings.Contains(err.Error(), "clock broke") {
			t.Fatalf("%d splits: Run: %v, want a *StageError of A with the tick's error", len(splits)/2, err)
		}
	}
}

// assignTickers puts each Ticker on the goroutine that runs it: chained
// ones on their producer's, upstream first; none under a bounded source,
// whose Run they execute in.
func TestAssignTickers(t *testing.T) {
	clock, log := newClock(), &tickLog{}
	mk := func(name string) *tickOp { return &tickOp{name: name, clock: clock.now, log: log} }
	tbl := newFakeTable("s1", []any{})
	lookup := opStage("L", mk("L"), &operators.Stage{Name: "Values", Source: operators.NewValues(evSchema, nil)})
	chain := opStage("C", mk("C"), opStage("B", mk("B"), opStage("A", mk("A"), scanStage("t", tbl, 0, 0))))
	join := opStage("J", mk("J"), lookup, chain) // two inputs: its own goroutine
	j := mustJob(t, join, JobOptions{Sink: &captureSink{}})
	defer closeJob(t, j)
	j.wire(modeRun)
	j.assignTickers()
	got := map[string][]string{}
	for _, h := range j.heads() {
		for _, n := range h.tickers {
			got[h.name] = append(got[h.name], n.name)
		}
	}
	want := map[string][]string{"t": {"A", "B", "C"}, "J": {"J"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tickers by goroutine %v, want %v", got, want)
	}
}
