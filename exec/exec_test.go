package exec

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

var schema = arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)

func batchOf(mem memory.Allocator, vals ...int64) arrow.RecordBatch {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(vals, nil)
	col := b.NewArray()
	defer col.Release()
	return array.NewRecordBatch(schema, []arrow.Array{col}, int64(len(vals)))
}

func valuesStage(mem memory.Allocator, vals ...int64) *operators.Stage {
	return &operators.Stage{Name: "Values", Source: operators.NewValues(schema, batchOf(mem, vals...))}
}

// endless emits batches until its context is cancelled or emit fails.
type endless struct{ mem memory.Allocator }

func (e endless) Schema() *arrow.Schema { return schema }
func (e endless) Run(ctx context.Context, mem memory.Allocator, emit operators.Emit) error {
	for i := int64(0); ; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := emit(batchOf(mem, i)); err != nil {
			return err
		}
	}
}

// testOp passes batches through, failing its Open, or a ProcessBatch
// (with an error or a panic) when told to.
type testOp struct {
	openErr   error
	failAfter int // ProcessBatch calls before failing; 0: never
	panicking bool
	calls     int
	closed    bool
}

func (o *testOp) Schema() *arrow.Schema { return schema }
func (o *testOp) Open(ctx context.Context, mem memory.Allocator) error {
	return o.openErr
}
func (o *testOp) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit operators.Emit) error {
	o.calls++
	if o.failAfter > 0 && o.calls >= o.failAfter {
		if o.panicking {
			panic("operator bug")
		}
		return errors.New("operator failed")
	}
	b.Retain()
	return emit(b)
}
func (o *testOp) EndOfInput(ctx context.Context, input int, emit operators.Emit) error { return nil }
func (o *testOp) Close() error                                                         { o.closed = true; return nil }

func discard(b arrow.RecordBatch) error { b.Release(); return nil }

// noGoroutinesLeft waits for the goroutines started by a test to exit.
func noGoroutinesLeft(t *testing.T, before int) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("%d goroutines left running (had %d):\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
}

// When an Open fails, that operator is still closed and the sources of
// stages never reached (here the VALUES of the second input) still release
// their data.
func TestOpenErrorReleasesEverySource(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	failing := &testOp{openErr: errors.New("no")}
	root := &operators.Stage{Name: "Union", Op: operators.NewUnion(schema, 2), Inputs: []*operators.Stage{
		{Name: "Failing", Op: failing, Inputs: []*operators.Stage{valuesStage(mem, 1)}},
		{Name: "Ok", Op: &testOp{}, Inputs: []*operators.Stage{valuesStage(mem, 2)}},
	}}
	if err := RunBatch(context.Background(), root, mem, discard); err == nil || !strings.Contains(err.Error(), "no") {
		t.Fatalf("got %v, want the Open error", err)
	}
	if !failing.closed {
		t.Fatal("an operator whose Open failed was not closed")
	}
}

func parallelStage(op operators.Operator, inputs ...*operators.Stage) *operators.Stage {
	return &operators.Stage{Name: "Gather", Op: op, Parallel: true, Inputs: inputs}
}

// An operator error while producers are still running (blocked on full
// queues) stops them all and releases what they queued.
func TestParallelErrorStopsProducers(t *testing.T) {
	before := runtime.NumGoroutine()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	root := parallelStage(&testOp{failAfter: 3},
		&operators.Stage{Name: "A", Source: endless{}},
		&operators.Stage{Name: "B", Source: endless{}})
	err := RunBatch(context.Background(), root, mem, discard)
	if err == nil || err.Error() != "operator failed" {
		t.Fatalf("got %v, want the operator's error", err)
	}
	noGoroutinesLeft(t, before)
	mem.AssertSize(t, 0)
}

// A satisfied LIMIT above a parallel stage ends the run early and stops
// the producers.
func TestParallelDoneStopsProducers(t *testing.T) {
	before := runtime.NumGoroutine()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	root := &operators.Stage{Name: "Limit", Op: operators.NewLimit(schema, 5, 0), Inputs: []*operators.Stage{
		parallelStage(operators.NewUnion(schema, 2),
			&operators.Stage{Name: "A", Source: endless{}},
			&operators.Stage{Name: "B", Source: endless{}}),
	}}
	rows := int64(0)
	err := RunBatch(context.Background(), root, mem, func(b arrow.RecordBatch) error { rows += b.NumRows(); b.Release(); return nil })
	if err != nil || rows != 5 {
		t.Fatalf("got %d rows, %v; want 5 rows", rows, err)
	}
	noGoroutinesLeft(t, before)
	mem.AssertSize(t, 0)
}

// Cancelling the query stops a parallel run and its producers.
func TestParallelCancel(t *testing.T) {
	before := runtime.NumGoroutine()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	ctx, cancel := context.WithCancel(context.Background())
	root := parallelStage(operators.NewUnion(schema, 2),
		&operators.Stage{Name: "A", Source: endless{}},
		&operators.Stage{Name: "B", Source: endless{}})
	n := 0
	err := RunBatch(ctx, root, mem, func(b arrow.RecordBatch) error {
		b.Release()
		if n++; n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	noGoroutinesLeft(t, before)
	mem.AssertSize(t, 0)
}

// A panic on a producer goroutine must not kill the process: it is raised
// again on the goroutine that called RunBatch (where the engine recovers
// panics), after every producer has stopped and every operator is closed.
func TestParallelProducerPanicReachesCaller(t *testing.T) {
	before := runtime.NumGoroutine()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	bad := &testOp{failAfter: 2, panicking: true}
	other := &testOp{}
	root := parallelStage(operators.NewUnion(schema, 3),
		&operators.Stage{Name: "A", Op: other, Inputs: []*operators.Stage{valuesStage(mem, 1, 2, 3)}},
		&operators.Stage{Name: "B", Op: bad, Inputs: []*operators.Stage{{Name: "E", Source: endless{}}}},
		&operators.Stage{Name: "C", Source: endless{}})
	var got any
	func() {
		defer func() { got = recover() }()
		_ = RunBatch(context.Background(), root, mem, discard)
	}()
	if got == nil || !strings.Contains(got.(error).Error(), "operator bug") {
		t.Fatalf("got panic %v, want the producer's", got)
	}
	if !bad.closed || !other.closed {
		t.Fatal("operators not closed after the panic")
	}
	noGoroutinesLeft(t, before)
	mem.AssertSize(t, 0)
}

// A failing input stops the inputs after it without waiting for the
// consumer to reach it, and the error is the one a serial run gives: that
// of the first failing input.
func TestParallelErrorOrder(t *testing.T) {
	before := runtime.NumGoroutine()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	stopped := make(chan struct{})
	root := parallelStage(&gate{wait: stopped},
		valuesStage(mem, 1),
		&operators.Stage{Name: "B", Op: &testOp{failAfter: 1}, Inputs: []*operators.Stage{valuesStage(mem, 2)}},
		&operators.Stage{Name: "C", Source: untilCancelled{stopped}})
	err := RunBatch(context.Background(), root, mem, discard)
	if err == nil || err.Error() != "operator failed" {
		t.Fatalf("got %v, want B's error", err)
	}
	noGoroutinesLeft(t, before)
	mem.AssertSize(t, 0)
}

// untilCancelled emits nothing and returns when its context is cancelled,
// closing stopped.
type untilCancelled struct{ stopped chan struct{} }

func (u untilCancelled) Schema() *arrow.Schema { return schema }
func (u untilCancelled) Run(ctx context.Context, mem memory.Allocator, emit operators.Emit) error {
	<-ctx.Done()
	close(u.stopped)
	return ctx.Err()
}

// gate passes batches through once wait is closed (and fails if that
// takes too long).
type gate struct {
	testOp
	wait chan struct{}
}

func (g *gate) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit operators.Emit) error {
	select {
	case <-g.wait:
	case <-time.After(2 * time.Second):
		return errors.New("the input after the failed one was not stopped")
	}
	return g.testOp.ProcessBatch(ctx, input, b, emit)
}
