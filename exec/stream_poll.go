package exec

import (
	"context"
	"fmt"
	"io"
)

// Poll advances the job on the calling goroutine, starting no other: it
// reads each split once, in tree order, pushing what it read through the
// whole graph, then ticks every operators.Ticker (upstream first, with
// JobOptions.Now) and takes a checkpoint when the interval has passed.
// The first Poll also runs every bounded source to its end. It returns
// the rows read, and io.EOF once every input ended and the final
// checkpoint is taken. Partitioned stages run their instances one after
// another. After an error every later call returns it again.
func (j *Job) Poll(ctx context.Context) (int, error) {
	if err := j.startPoll(ctx); err != nil {
		return 0, err
	}
	if j.finished {
		return 0, io.EOF
	}
	var total int64
	for _, s := range j.splits {
		if s.ended {
			continue
		}
		n, err := s.step(ctx)
		total += n
		if err != nil {
			return int(total), j.fail(err)
		}
	}
	if j.finished {
		return int(total), io.EOF
	}
	if err := j.tickAll(ctx); err != nil {
		return int(total), j.fail(err)
	}
	if e := j.coord.maybeTrigger(); e != 0 {
		if err := j.injectAll(ctx, e); err != nil {
			return int(total), j.fail(err)
		}
	}
	return int(total), nil
}

// Checkpoint takes a checkpoint now (Poll mode): a barrier is injected at
// every split between reads and flows through the graph, each operator
// snapshots, and at the sink PreCommit, the checkpoint file (if StateDir)
// and Commit follow. On a finished job it does nothing.
func (j *Job) Checkpoint(ctx context.Context) error {
	if err := j.startPoll(ctx); err != nil {
		return err
	}
	if j.finished {
		return nil
	}
	e, err := j.coord.begin()
	if err != nil {
		return j.fail(err)
	}
	return j.fail(j.injectAll(ctx, e))
}

// startPoll checks the job may poll and, on the first call, wires it and
// runs the bounded sources.
func (j *Job) startPoll(ctx context.Context) error {
	if err := j.begin(modePoll); err != nil {
		return err
	}
	j.ctx = ctx
	if j.failed != nil {
		return j.failed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if j.mode == modePoll || j.finished {
		return nil
	}
	j.mode = modePoll
	j.wire(modePoll)
	j.coord.reset()
	for _, s := range j.sources {
		if err := s.run(ctx); err != nil {
			return j.fail(err)
		}
	}
	for _, sc := range j.scans {
		if err := sc.in.start(ctx); err != nil {
			return j.fail(err)
		}
	}
	return nil
}

// injectAll injects barrier e at every live split; in Poll mode the
// checkpoint completes before it returns.
func (j *Job) injectAll(ctx context.Context, e int64) error {
	for _, s := range j.splits {
		if !s.ended {
			if err := s.inject(ctx, e); err != nil {
				return err
			}
		}
	}
	if j.coord.due() == e {
		return fmt.Errorf("taking checkpoint %d: the barrier did not reach the sink", e)
	}
	return nil
}

// fail remembers the first error of a polled job: the graph may have
// stopped half way through a batch, so it cannot go on (a new job
// resumes from the last checkpoint).
func (j *Job) fail(err error) error {
	if err != nil && j.failed == nil {
		j.failed = err
	}
	return err
}
