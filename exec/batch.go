// Package exec runs physical plans. RunBatch drives a bounded query to
// completion on the calling goroutine: each stage's inputs are pushed into
// its operator in index order, every batch flowing up as soon as it is
// produced. The streaming runtime (watermarks, barriers, parallelism) is
// built on the same operators.
package exec

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// RunBatch opens every stage of root, runs the plan to completion pushing
// result batches to out (ownership moves to out), and closes every stage.
// Stats of each stage are filled in. If out returns operators.ErrDone the
// run stops early and succeeds. Cancelling ctx stops the run between
// batches with ctx's error.
func RunBatch(ctx context.Context, root *operators.Stage, mem memory.Allocator, out operators.Emit) (err error) {
	r := &runner{mem: mem}
	defer func() { err = errors.Join(err, r.closeAll(root)) }()
	if err := r.open(ctx, root); err != nil {
		return err
	}
	top := func(b arrow.RecordBatch) error {
		if err := ctx.Err(); err != nil {
			b.Release()
			return err
		}
		return out(b)
	}
	err = r.run(ctx, root, top)
	if errors.Is(err, operators.ErrDone) {
		return nil
	}
	return err
}

type runner struct {
	mem    memory.Allocator
	opened []operators.Operator
}

func (r *runner) open(ctx context.Context, s *operators.Stage) error {
	for _, in := range s.Inputs {
		if err := r.open(ctx, in); err != nil {
			return err
		}
	}
	if s.Op == nil {
		if s.Source == nil {
			return fmt.Errorf("opening stage %s: neither operator nor source", s.Name)
		}
		return nil
	}
	// Close is due also when Open fails part way.
	r.opened = append(r.opened, s.Op)
	if err := s.Op.Open(ctx, r.mem); err != nil {
		return fmt.Errorf("opening %s: %w", s.Name, err)
	}
	return nil
}

// closeAll closes the operators opened and releases the data every source
// of the plan holds (VALUES), also those of stages never opened because an
// earlier Open failed: the plan is done either way.
func (r *runner) closeAll(root *operators.Stage) error {
	var errs []error
	for _, op := range r.opened {
		errs = append(errs, op.Close())
	}
	r.opened = nil
	releaseSources(root)
	return errors.Join(errs...)
}

func releaseSources(s *operators.Stage) {
	if rel, ok := s.Source.(interface{ Release() }); ok {
		rel.Release()
	}
	for _, in := range s.Inputs {
		releaseSources(in)
	}
}

// run drives stage s, sending its output to emit. It returns ErrDone when
// the consumer above needs nothing more. A stage's time counts only its own
// work: the time spent in its operator (or source) less the time its
// output spent downstream.
func (r *runner) run(ctx context.Context, s *operators.Stage, emit operators.Emit) error {
	var downstream time.Duration
	downstreamDone := false
	counted := func(b arrow.RecordBatch) error {
		s.Stats.Rows += b.NumRows()
		s.Stats.Batches++
		start := time.Now()
		err := emit(b)
		downstream += time.Since(start)
		if errors.Is(err, operators.ErrDone) {
			downstreamDone = true
		}
		return err
	}
	// timed runs f, adding its duration less downstream time to the stage.
	timed := func(f func() error) error {
		before, start := downstream, time.Now()
		err := f()
		s.Stats.Time += time.Since(start) - (downstream - before)
		return err
	}

	if s.Source != nil {
		err := timed(func() error { return s.Source.Run(ctx, r.mem, counted) })
		if st, ok := s.Source.(interface{ Stats() map[string]int64 }); ok {
			s.Stats.Extra = st.Stats()
		}
		return err
	}
	if s.Parallel {
		return r.runParallel(ctx, s, counted, timed, &downstreamDone)
	}
	for i, in := range s.Inputs {
		feed := func(b arrow.RecordBatch) error {
			defer b.Release()
			if err := ctx.Err(); err != nil {
				return err
			}
			return timed(func() error { return s.Op.ProcessBatch(ctx, i, b, counted) })
		}
		err := r.run(ctx, in, feed)
		if err != nil && !errors.Is(err, operators.ErrDone) {
			return err
		}
		if downstreamDone {
			return operators.ErrDone
		}
		// err is nil, or ErrDone from s itself: that input is finished either way.
		if err := timed(func() error { return s.Op.EndOfInput(ctx, i, counted) }); err != nil {
			return err
		}
		if downstreamDone {
			return operators.ErrDone
		}
	}
	return nil
}
