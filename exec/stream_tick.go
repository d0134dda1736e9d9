package exec

// Processing-time ticks. Operators implementing operators.Ticker (EMIT
// CHANGES EVERY, processing-time TTLs) get OnTick calls whether or not
// data arrives, so a quiet stream still flushes and expires. In Run mode
// each goroutine reading an inbox ticks the operators it runs (itself and
// the nodes chained after it) from its select loop, so a tick never races
// a batch; in Poll mode every Poll ticks them all after its reads.

import (
	"context"
	"time"
)

// onTick gives the operator a tick unless it needs no more calls: it
// returned ErrDone, or its inputs all ended (its output did too, so
// nothing may follow).
func (n *opNode) onTick(ctx context.Context, now time.Time) error {
	if n.ticker == nil || n.done || n.in.finished {
		return nil
	}
	n.ctx = ctx
	err := guard(n.name, func() error { return n.ticker.OnTick(ctx, now, n.emitFn) })
	if err = n.doneOK(err); err != nil {
		return err
	}
	return n.report(false)
}

// tickAll ticks every Ticker instance, upstream first, so rows flushed
// upstream reach a downstream ticker before its own tick (Poll mode).
func (j *Job) tickAll(ctx context.Context) error {
	if j.tick < 0 {
		return nil
	}
	now := j.now()
	for _, n := range j.ops {
		if err := n.onTick(ctx, now); err != nil {
			return err
		}
	}
	return nil
}

// tickNodes ticks the Ticker instances run on n's goroutine (Run mode).
func (n *nodeBase) tickNodes(ctx context.Context) error {
	now := n.job.now()
	for _, o := range n.tickers {
		if err := o.onTick(ctx, now); err != nil {
			return err
		}
	}
	return nil
}

// assignTickers gives each inbox goroutine the Ticker instances it runs
// (Run mode, after wire). A node that does not read on a goroutine of its
// own runs on its one producer's; one chained below a bounded source runs
// inside the source's Run and is not ticked (its input is bounded).
func (j *Job) assignTickers() {
	if j.tick < 0 {
		return
	}
	producerOf := map[*nodeBase]producer{}
	for _, g := range j.edges {
		if len(g.consumers) == 1 && !g.consumers[0].own && len(g.producers) == 1 {
			producerOf[g.consumers[0]] = g.producers[0]
		}
	}
	for _, n := range j.ops { // children before parents: upstream first
		if n.ticker == nil {
			continue
		}
		head := &n.nodeBase
		for head != nil && !head.own {
			head = producerBase(producerOf[head])
		}
		if head != nil {
			head.tickers = append(head.tickers, n)
		}
	}
}

// producerBase is the inbox node behind a producer; nil for a bounded
// source, which has no inbox.
func producerBase(p producer) *nodeBase {
	switch p := p.(type) {
	case *opNode:
		return &p.nodeBase
	case *scanNode:
		return &p.nodeBase
	}
	return nil
}

// tickTimer returns the channel on which n's goroutine ticks (nil, which
// never fires, when it runs no ticker) and the function stopping it. One
// timer per goroutine for the whole run keeps the per-batch path free of
// timer work.
func (n *nodeBase) tickTimer() (<-chan time.Time, func()) {
	if len(n.tickers) == 0 || n.job.tick <= 0 {
		return nil, func() {}
	}
	t := time.NewTicker(n.job.tick)
	return t.C, t.Stop
}
