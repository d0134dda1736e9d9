package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/operators"
)

// guard runs f, a call into stage code, turning a panic into a
// *StageError "internal error in STAGE: …" and tagging other errors with
// the stage ("running STAGE: …") unless a stage further down already did,
// or they are control errors (ErrDone, ctx's).
func guard(stage string, f func() error) error {
	return tagError(stage, recovered(stage, f))
}

// recovered runs f, turning a panic into a *StageError.
func recovered(stage string, f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &StageError{Stage: stage, Err: fmt.Errorf("internal error in %s: %v", stage, v), Stack: debug.Stack()}
		}
	}()
	return f()
}

func tagError(stage string, err error) error {
	var se *StageError
	if err == nil || errors.As(err, &se) || errors.Is(err, operators.ErrDone) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &StageError{Stage: stage, Err: fmt.Errorf("running %s: %w", stage, err)}
}

// opNode is one instance of an operator stage.
type opNode struct {
	nodeBase
	stage    *operators.Stage
	instance int
	op       operators.Operator
	wmOp     operators.Watermarked   // nil unless implemented
	stateful operators.Stateful      // nil unless implemented
	reporter operators.StateReporter // nil unless implemented
	ticker   operators.Ticker        // nil unless implemented
	opened   bool
	done     bool // the operator returned ErrDone: its further input is dropped

	ctx    context.Context // of the call in progress, for emit
	emitFn operators.Emit

	// For Metrics (read from other goroutines).
	rowsIn, rowsOut, stateBytes, late atomic.Int64
	lateBase                          atomic.Int64 // late rows counted before a resume
	dead                              atomic.Int64 // late rows dead-lettered
	wm                                atomic.Int64
}

func newOpNode(j *Job, s *operators.Stage, op operators.Operator, path string, k int) *opNode {
	n := &opNode{nodeBase: nodeBase{job: j, name: s.Name, key: path + "#" + strconv.Itoa(k)}, stage: s, instance: k, op: op}
	n.wmOp, _ = op.(operators.Watermarked)
	n.stateful, _ = op.(operators.Stateful)
	n.reporter, _ = op.(operators.StateReporter)
	n.ticker, _ = op.(operators.Ticker)
	n.wm.Store(noWatermark)
	n.emitFn = n.emit
	return n
}

func (n *opNode) open(ctx context.Context) error {
	if lr, ok := n.op.(operators.LateRouter); ok && n.job.opts.DeadLetter != nil {
		lr.RouteLate(n.job.deadLetterRows(n))
	}
	n.opened = true // Close is due also when Open fails
	if err := recovered(n.name, func() error { return n.op.Open(ctx, n.job.opts.Alloc) }); err != nil {
		return fmt.Errorf("opening %s: %w", n.name, err)
	}
	return nil
}

// emit forwards an output batch downstream; empty batches are dropped.
func (n *opNode) emit(b arrow.RecordBatch) error {
	if b.NumRows() == 0 {
		b.Release()
		return nil
	}
	n.rowsOut.Add(b.NumRows())
	return n.out.send(n.ctx, message{kind: msgBatch, batch: b})
}

// doneOK turns ErrDone (the operator needs no more input) into success,
// marking the node so later batches are dropped.
func (n *opNode) doneOK(err error) error {
	if errors.Is(err, operators.ErrDone) {
		n.done = true
		return nil
	}
	return err
}

func (n *opNode) onBatch(ctx context.Context, input int, m message) error {
	b := m.batch
	defer m.release()
	if b == nil {
		return fmt.Errorf("running %s: a split batch reached an operator", n.name)
	}
	if n.done {
		return nil
	}
	n.ctx = ctx
	n.rowsIn.Add(b.NumRows())
	err := guard(n.name, func() error { return n.op.ProcessBatch(ctx, input, b, n.emitFn) })
	if err = n.doneOK(err); err != nil {
		return err
	}
	return n.report(true)
}

func (n *opNode) onWatermark(ctx context.Context, wm int64) error {
	n.ctx = ctx
	n.wm.Store(wm)
	if n.wmOp != nil {
		err := guard(n.name, func() error { return n.wmOp.OnWatermark(ctx, wm, n.emitFn) })
		if err = n.doneOK(err); err != nil {
			return err
		}
		if err := n.report(false); err != nil {
			return err
		}
	}
	return n.out.send(ctx, message{kind: msgWatermark, wm: wm})
}

func (n *opNode) onBarrier(ctx context.Context, epoch int64) error {
	rec := nodeRecord{Watermark: n.in.wm, Late: n.lateRows(), DeadLettered: n.dead.Load()}
	if n.stateful != nil && n.job.persist() {
		var buf bytes.Buffer
		if err := guard(n.name, func() error { return n.stateful.Snapshot(ctx, &buf) }); err != nil {
			return fmt.Errorf("snapshotting %s for checkpoint %d: %w", n.name, epoch, err)
		}
		rec.State, rec.HasState = buf.Bytes(), true
	}
	n.job.coord.recordNode(epoch, n.key, rec)
	return n.out.send(ctx, message{kind: msgBarrier, epoch: epoch})
}

func (n *opNode) onEndOfInput(ctx context.Context, input int) error {
	n.ctx = ctx
	err := guard(n.name, func() error { return n.op.EndOfInput(ctx, input, n.emitFn) })
	if err = n.doneOK(err); err != nil {
		return err
	}
	return n.report(false)
}

func (n *opNode) onFinish(ctx context.Context) error {
	n.job.coord.recordNode(finalEpoch, n.key, nodeRecord{Watermark: n.in.wm, Late: n.lateRows(), DeadLettered: n.dead.Load()})
	return n.out.send(ctx, message{kind: msgEnd})
}

// report refreshes the state metrics and, after a batch, checks the
// job's state budget.
func (n *opNode) report(afterBatch bool) error {
	if n.reporter == nil {
		return nil
	}
	sb := n.reporter.StateBytes()
	n.stateBytes.Store(sb)
	n.late.Store(n.reporter.LateRows())
	if afterBatch {
		return n.job.checkStateLimit(n, sb)
	}
	return nil
}

// lateRows counts the rows this instance dropped as late, across resumes.
func (n *opNode) lateRows() int64 { return n.lateBase.Load() + n.late.Load() }

// scanNode merges the splits of a stream leaf: the minimum watermark over
// splits that are neither ended nor idle, barriers aligned over splits.
type scanNode struct {
	nodeBase
	scan   *operators.StreamScan
	splits []*splitState
	dead   atomic.Int64 // raw inputs dead-lettered by its splits
	wm     atomic.Int64
}

func (sc *scanNode) onBatch(ctx context.Context, _ int, m message) error {
	return sc.out.send(ctx, m)
}

func (sc *scanNode) onWatermark(ctx context.Context, wm int64) error {
	sc.wm.Store(wm)
	return sc.out.send(ctx, message{kind: msgWatermark, wm: wm})
}

func (sc *scanNode) onBarrier(ctx context.Context, epoch int64) error {
	sc.job.coord.recordNode(epoch, sc.key, nodeRecord{Watermark: sc.in.wm, DeadLettered: sc.dead.Load()})
	return sc.out.send(ctx, message{kind: msgBarrier, epoch: epoch})
}

func (sc *scanNode) onEndOfInput(context.Context, int) error { return nil }

func (sc *scanNode) onFinish(ctx context.Context) error {
	sc.job.coord.recordNode(finalEpoch, sc.key, nodeRecord{Watermark: sc.in.wm, DeadLettered: sc.dead.Load()})
	return sc.out.send(ctx, message{kind: msgEnd})
}

// sourceNode runs a bounded leaf to completion; its watermark is the end
// once it has ended. It holds no position: on resume it runs again from
// the start, which suits the build side of lookup joins (whose operators
// rebuild their tables) and not input folded into snapshotted state.
type sourceNode struct {
	job  *Job
	name string
	src  operators.Source
	out  port
	ran  bool
}

func (s *sourceNode) setOut(p port) { s.out = p }

func (s *sourceNode) run(ctx context.Context) error {
	s.ran = true
	emit := func(b arrow.RecordBatch) error {
		if b.NumRows() == 0 {
			b.Release()
			return nil
		}
		return s.out.send(ctx, message{kind: msgBatch, batch: b})
	}
	err := guard(s.name, func() error { return s.src.Run(ctx, s.job.opts.Alloc, emit) })
	if err != nil && !errors.Is(err, operators.ErrDone) {
		return err
	}
	if err := s.out.send(ctx, message{kind: msgWatermark, wm: operators.WatermarkEnd}); err != nil {
		return err
	}
	return s.out.send(ctx, message{kind: msgEnd})
}
