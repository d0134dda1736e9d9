package exec

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// keyed is a stage partitioned on column k, its instances made by newOp.
func keyed(name string, newOp func() operators.Operator, input *operators.Stage) *operators.Stage {
	return &operators.Stage{Name: name, Op: newOp(), NewOp: func() (operators.Operator, error) { return newOp(), nil },
		KeyCols: [][]int{{1}}, Inputs: []*operators.Stage{input}}
}

// partitionedPlan: scan (3 splits) → Counter → window per key
// (partitioned) → Pass (fed by every instance) → sink; with direct, the
// scan feeds the window (its splits split their batches for it).
func partitionedPlan(t testing.TB, direct bool) *operators.Stage {
	tbl := newFakeTable("s1", orderedScript("p", 30, nil), "s2", orderedScript("q", 20, nil), "s3", orderedScript("r", 25, nil))
	in := scanStage("t", tbl, 3, 0)
	if !direct {
		in = opStage("Counter", newProbe(1), in)
	}
	return opStage("Pass", newProbe(1), tumbleStage(t, in))
}

// Running a keyed stage as 2 or 3 instances gives the multiset of results
// of one instance, in both modes.
func TestPartitionedSameResults(t *testing.T) {
	var want []string
	for _, direct := range []bool{false, true} {
		for _, mode := range []string{"poll", "run"} {
			for _, par := range []int{1, 2, 3} {
				mem := newMem()
				sink := &captureSink{}
				j := mustJob(t, partitionedPlan(t, direct), JobOptions{Alloc: mem, Sink: sink, Parallelism: par})
				if mode == "poll" {
					pollAll(t, j)
				} else if err := j.Run(context.Background()); err != nil {
					t.Fatalf("%s, parallelism %d: %v", mode, par, err)
				}
				m := j.Metrics()
				closeJob(t, j)
				mem.AssertSize(t, 0)
				got := sink.sorted()
				if want == nil {
					want = got
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("direct %v, %s, parallelism %d: got\n%q\nwant\n%q", direct, mode, par, got, want)
				}
				if instances := strings.Count(stageKeys(m), "WindowAggregate"); instances != par {
					t.Fatalf("%s: %d window instances, want %d", mode, instances, par)
				}
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("no output")
	}
}

func stageKeys(m Metrics) string {
	var s []string
	for _, st := range m.Stages {
		s = append(s, st.Stage+"@"+st.Key)
	}
	return strings.Join(s, " ")
}

// Key hashing: equal values hash equal across integer widths; -0 is 0;
// NULLs all go to one partition; unsupported types are refused.
func TestPartitionHash(t *testing.T) {
	mem := memory.NewGoAllocator()
	i64 := array.NewInt64Builder(mem)
	i64.AppendValues([]int64{7, -3, 0}, nil)
	i64.AppendNull()
	i32 := array.NewInt32Builder(mem)
	i32.AppendValues([]int32{7, -3, 0}, nil)
	i32.AppendNull()
	a, b := i64.NewArray(), i32.NewArray()
	defer a.Release()
	defer b.Release()
	ha, hb := hashRows(nil, 4), hashRows(nil, 4)
	if err := hashColumn(ha, a); err != nil {
		t.Fatal(err)
	}
	if err := hashColumn(hb, b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ha, hb) {
		t.Fatalf("int64 hashes %x, int32 %x", ha, hb)
	}
	f := array.NewFloat64Builder(mem)
	f.AppendValues([]float64{0, negZero()}, nil)
	fa := f.NewArray()
	defer fa.Release()
	hf := hashRows(nil, 2)
	if err := hashColumn(hf, fa); err != nil || hf[0] != hf[1] {
		t.Fatalf("0 and -0 hash %x (%v)", hf, err)
	}
	iv := array.NewMonthDayNanoIntervalBuilder(mem)
	iv.Append(arrow.MonthDayNanoInterval{Months: 1})
	ia := iv.NewArray()
	defer ia.Release()
	if err := hashColumn(hashRows(nil, 1), ia); err == nil {
		t.Fatal("an interval key was hashed")
	}
	// The hash is fixed: a resumed job must route keys as before.
	if h := hashString("hello"); h != 0x5c130556156c35b8 {
		t.Fatalf("hashString(hello) = %#x: the hash changed, so resumed partitioned jobs would misroute keys", h)
	}
}

func negZero() float64 {
	z := 0.0
	return -z
}

// waitOutput waits until the job wrote at least n rows.
func waitOutput(t *testing.T, j *Job, n int64) {
	t.Helper()
	for i := 0; i < 2000 && j.Metrics().EventsOut < n; i++ {
		time.Sleep(time.Millisecond)
	}
}

// Cancelling the context stops Run promptly with ctx's error; every
// goroutine exits and every batch is released.
func TestRunCancel(t *testing.T) {
	before := runtime.NumGoroutine()
	mem := newMem()
	tbl := newFakeTable("a", []any{}, "b", []any{})
	tbl.forever = true
	j := mustJob(t, keyed("Keyed", func() operators.Operator { return newProbe(1) }, opStage("Union", newProbe(1), scanStage("t", tbl, 0, 0))),
		JobOptions{Alloc: mem, Sink: &captureSink{}, Parallelism: 2})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- j.Run(ctx) }()
	waitOutput(t, j, 50)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	closeJob(t, j)
	noGoroutinesLeft(t, before)
	mem.AssertSize(t, 0)
}

// runFailing runs a plan over endless splits with a failing part and
// returns Run's error, checking nothing leaked.
func runFailing(t *testing.T, root func(tbl *fakeTable) *operators.Stage, sink *captureSink, script []any) error {
	t.Helper()
	before := runtime.NumGoroutine()
	mem := newMem()
	tbl := newFakeTable("a", script, "b", []any{})
	tbl.forever = true
	j := mustJob(t, root(tbl), JobOptions{Alloc: mem, Sink: sink, Parallelism: 2})
	err := j.Run(context.Background())
	closeJob(t, j)
	noGoroutinesLeft(t, before)
	mem.AssertSize(t, 0)
	return err
}

// An error or a panic anywhere (operator, reader, sink) stops the whole
// job and comes back from Run naming the stage.
func TestRunErrors(t *testing.T) {
	failing := func(panicking bool) func(*fakeTable) *operators.Stage {
		return func(tbl *fakeTable) *operators.Stage {
			bad := func() operators.Operator {
				p := newProbe(1)
				p.failAfter, p.panicking = 20, panicking
				return p
			}
			return opStage("After", newProbe(1), keyed("Boom", bad, scanStage("t", tbl, 0, 0)))
		}
	}
	plain := func(tbl *fakeTable) *operators.Stage { return opStage("Pass", newProbe(1), scanStage("t", tbl, 0, 0)) }
	cases := []struct {
		name   string
		root   func(*fakeTable) *operators.Stage
		sink   *captureSink
		script []any
		stage  string
		want   string
	}{
		{"operator error", failing(false), &captureSink{}, nil, "Boom", "running Boom: operator failed"},
		{"operator panic", failing(true), &captureSink{}, nil, "Boom", "internal error in Boom: operator bug"},
		{"reader error", plain, &captureSink{}, []any{[]ev{{1, "x", 1}}, failRead("broker gone")}, "t", "reading split a of t: broker gone"},
		{"reader panic", plain, &captureSink{}, []any{panicRead{}}, "t", "internal error in t: reader bug"},
		{"sink error", plain, &captureSink{failOn: "30 k2 1"}, nil, "sink", "running sink: disk full"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := runFailing(t, c.root, c.sink, c.script)
			var se *StageError
			if !errors.As(err, &se) || se.Stage != c.stage || err.Error() != c.want {
				t.Fatalf("got %v, want %q from stage %s", err, c.want, c.stage)
			}
			if strings.Contains(c.name, "panic") && len(se.Stack) == 0 {
				t.Fatal("no stack for a panic")
			}
		})
	}
}

// In Poll mode a panic is an error too, and the job stays failed.
func TestPollPanic(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	p := newProbe(1)
	p.failAfter, p.panicking = 2, true
	tbl := newFakeTable("a", orderedScript("p", 5, nil))
	j := mustJob(t, opStage("Fragile", p, scanStage("t", tbl, 0, 0)), JobOptions{Alloc: mem, Sink: &captureSink{}})
	defer closeJob(t, j)
	var err error
	for i := 0; i < 5 && err == nil; i++ {
		_, err = j.Poll(context.Background())
	}
	if err == nil || err.Error() != "internal error in Fragile: operator bug" {
		t.Fatalf("got %v", err)
	}
	if _, again := j.Poll(context.Background()); again != err {
		t.Fatalf("polled again: %v", again)
	}
}

// Run and Poll do not mix; a closed job does not run.
func TestJobModes(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	j := mustJob(t, opStage("Pass", newProbe(1), scanStage("t", newFakeTable("a", []any{}), 0, 0)), JobOptions{Alloc: mem, Sink: &captureSink{}})
	if _, err := j.Poll(context.Background()); err == nil || err.Error() != "EOF" {
		t.Fatalf("Poll: %v", err)
	}
	if err := j.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "cannot be mixed") {
		t.Fatalf("Run after Poll: %v", err)
	}
	closeJob(t, j)
	if _, err := j.Poll(context.Background()); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Poll after Close: %v", err)
	}
	if _, err := NewJob(context.Background(), &operators.Stage{Name: "Bad"}, JobOptions{Alloc: mem, Sink: &captureSink{}}); err == nil {
		t.Fatal("a stage without operator or inputs was accepted")
	}
}
