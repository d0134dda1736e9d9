package exec

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
)

// Run runs the job concurrently until every input ended (then the final
// checkpoint is taken and the sink committed) and returns nil; or until
// ctx is cancelled (it returns ctx's error) or something fails (it
// returns that error, a *StageError naming the stage where it can). Each
// split is read on a goroutine of its own; operators with one input run
// on their producer's goroutine, the others (several inputs, instances of
// partitioned stages, every scan) on their own, fed through bounded
// channels. When Run returns every goroutine has exited. After an error
// the job cannot run again: Close it (a new job resumes from the last
// checkpoint).
func (j *Job) Run(ctx context.Context) error {
	if err := j.begin(modeRun); err != nil {
		return err
	}
	if j.mode == modeRun {
		return errors.New("running job: Run was already called")
	}
	j.mode = modeRun
	if j.finished {
		return nil
	}
	j.wire(modeRun)
	j.assignTickers()
	j.coord.reset()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	j.ctx = rctx

	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	spawn := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := recovered(name, f); err != nil {
				once.Do(func() { first = err })
				cancel()
			}
		}()
	}
	for _, s := range j.splits {
		spawn(s.scan.name, func() error { return s.run(rctx) })
	}
	for _, s := range j.sources {
		spawn(s.name, func() error { return s.run(rctx) })
	}
	for _, n := range j.heads() {
		spawn(n.name, func() error { return runInbox(rctx, n) })
	}
	wg.Wait()
	j.drainChannels()
	if err := ctx.Err(); err != nil {
		return err
	}
	if first != nil {
		return first
	}
	if !j.finished {
		return errors.New("running job: stopped before the end of input")
	}
	return nil
}

// heads are the nodes that read their edges on a goroutine of their own.
func (j *Job) heads() []*nodeBase {
	var hs []*nodeBase
	for _, sc := range j.scans {
		hs = append(hs, &sc.nodeBase)
	}
	for _, n := range j.ops {
		if n.own {
			hs = append(hs, &n.nodeBase)
		}
	}
	if j.sink.own {
		hs = append(hs, &j.sink.nodeBase)
	}
	return hs
}

// drainChannels releases the batches left in channels after a stop.
func (j *Job) drainChannels() {
	for _, n := range j.heads() {
		for _, ch := range n.chans {
			for drained := false; !drained; {
				select {
				case m := <-ch:
					m.release()
				default:
					drained = true
				}
			}
		}
	}
}

// run reads the split until it ends, injecting checkpoint barriers
// between reads and starting checkpoints when they are due.
func (s *splitState) run(ctx context.Context) error {
	c := s.scan.job.coord
	for !s.ended {
		if e := c.due(); e > s.injected {
			if err := s.inject(ctx, e); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := s.step(ctx); err != nil {
			return err
		}
		if !s.ended {
			c.maybeTrigger()
		}
	}
	return nil
}

// runInbox feeds a node from its channels until all its inputs ended,
// reading only the edges its inbox does not block (barrier alignment, a
// bounded input 0 first), so nothing is held in memory. Between messages
// it ticks the Ticker operators it runs every tick interval.
func runInbox(ctx context.Context, n *nodeBase) error {
	in := n.in
	if err := in.start(ctx); err != nil {
		return err
	}
	vals := make([]reflect.Value, len(n.chans))
	for i, ch := range n.chans {
		vals[i] = reflect.ValueOf(ch)
	}
	tickC, stopTick := n.tickTimer()
	defer stopTick()
	// The select's fixed cases: the end of ctx, then the tick (a zero
	// Value, ignored, when the node runs no ticker).
	done := reflect.ValueOf(ctx.Done())
	var tickV reflect.Value
	if tickC != nil {
		tickV = reflect.ValueOf(tickC)
	}
	const fixed = 2
	var cases []reflect.SelectCase
	var live []int
	for !in.finished {
		live = live[:0]
		for s := range in.subs {
			if !in.subs[s].ended && !in.blocked(s) {
				live = append(live, s)
			}
		}
		var (
			s int
			m message
		)
		switch len(live) {
		case 0:
			return fmt.Errorf("running %s: every input is blocked", n.name)
		case 1:
			select {
			case m = <-n.chans[live[0]]:
				s = live[0]
			case <-tickC:
				if err := n.tickNodes(ctx); err != nil {
					return err
				}
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		default:
			cases = append(cases[:0],
				reflect.SelectCase{Dir: reflect.SelectRecv, Chan: done},
				reflect.SelectCase{Dir: reflect.SelectRecv, Chan: tickV})
			for _, s := range live {
				cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: vals[s]})
			}
			chosen, v, _ := reflect.Select(cases)
			switch chosen {
			case 0:
				return ctx.Err()
			case 1:
				if err := n.tickNodes(ctx); err != nil {
					return err
				}
				continue
			}
			s, m = live[chosen-fixed], v.Interface().(message)
		}
		if err := in.deliver(ctx, s, m); err != nil {
			return err
		}
	}
	return nil
}

// RunJobs runs several jobs (the pipelines of one script) concurrently
// until all finished; the first error cancels the others and is returned.
func RunJobs(ctx context.Context, jobs []*Job) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = j.Run(ctx); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
