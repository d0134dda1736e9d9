package exec

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/operators"
)

// parallelQueue is how many batches an input may run ahead of the
// consumer before its goroutine waits.
const parallelQueue = 64

type produced struct {
	ch  chan arrow.RecordBatch
	err error // set before ch is closed
}

// runParallel drives the inputs of s concurrently. Each input runs on its
// own goroutine into a bounded queue; the calling goroutine feeds the
// queues to s.Op one after another in index order, so the operator sees
// exactly the sequence a serial run would give. An input that fails stops
// the inputs after it at once (the consumer, maybe still reading an
// earlier input, will not get past the failed one) while the earlier ones
// go on, so the error is the one a serial run would report. Whatever way
// it returns (an error, ErrDone, a panic), every producer has stopped and
// every queued batch has been released. A panic on a producer goroutine is
// re-raised on the calling one, where a serial run would have raised it.
func (r *runner) runParallel(ctx context.Context, s *operators.Stage, emit operators.Emit, timed func(func() error) error, downstreamDone *bool) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	outs := make([]*produced, len(s.Inputs))
	ctxs := make([]context.Context, len(s.Inputs))
	cancels := make([]context.CancelFunc, len(s.Inputs))
	for i := range ctxs {
		ctxs[i], cancels[i] = context.WithCancel(ctx)
	}
	returned := false // false in the deferred cleanup: a panic is under way
	defer func() {
		cancel()
		for _, c := range cancels {
			c() // already done through cancel; this frees each context
		}
		for _, p := range outs { // unblock and drain every producer
			if p == nil {
				continue
			}
			for b := range p.ch {
				b.Release()
			}
		}
		wg.Wait()
		if !returned {
			return // the consumer's own panic goes on
		}
		for _, p := range outs {
			if pe, ok := p.err.(*producerPanic); ok {
				panic(pe)
			}
		}
	}()
	for i, in := range s.Inputs {
		p := &produced{ch: make(chan arrow.RecordBatch, parallelQueue)}
		outs[i] = p
		ctx := ctxs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(p.ch)
			defer func() {
				if v := recover(); v != nil {
					p.err = &producerPanic{value: v, stack: debug.Stack()}
				}
				if p.err != nil && !errors.Is(p.err, operators.ErrDone) {
					for _, c := range cancels[i+1:] {
						c()
					}
				}
			}()
			p.err = r.run(ctx, in, func(b arrow.RecordBatch) error {
				select {
				case p.ch <- b:
					return nil
				case <-ctx.Done():
					b.Release()
					return ctx.Err()
				}
			})
		}()
	}
	err := r.consume(ctx, s, outs, emit, timed, downstreamDone)
	returned = true
	return err
}

// producerPanic is a panic recovered on a producer goroutine, with that
// goroutine's stack.
type producerPanic struct {
	value any
	stack []byte
}

func (p *producerPanic) Error() string {
	return fmt.Sprintf("%v [recovered on a parallel input; its stack:]\n%s", p.value, p.stack)
}

func (r *runner) consume(ctx context.Context, s *operators.Stage, outs []*produced, emit operators.Emit, timed func(func() error) error, downstreamDone *bool) error {
	for i, p := range outs {
		var opErr error
		for b := range p.ch {
			if opErr == nil {
				opErr = timed(func() error { return s.Op.ProcessBatch(ctx, i, b, emit) })
			}
			b.Release()
			if opErr != nil && !errors.Is(opErr, operators.ErrDone) {
				return opErr
			}
			if *downstreamDone {
				return operators.ErrDone
			}
		}
		if p.err != nil && !errors.Is(p.err, operators.ErrDone) {
			return p.err
		}
		if err := timed(func() error { return s.Op.EndOfInput(ctx, i, emit) }); err != nil {
			return err
		}
		if *downstreamDone {
			return operators.ErrDone
		}
	}
	return nil
}
