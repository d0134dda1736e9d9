package exec

import (
	"context"
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/operators"
)

// noWatermark is the watermark of an input that has said nothing yet.
const noWatermark int64 = math.MinInt64

// msgKind tells the messages on an edge apart.
type msgKind uint8

const (
	msgBatch msgKind = iota
	msgWatermark
	msgBarrier
	msgEnd
)

// message is one item of an edge's ordered stream: a batch, a watermark,
// a checkpoint barrier or the end of the stream.
type message struct {
	kind  msgKind
	batch arrow.RecordBatch // msgBatch: owned by whoever holds the message
	// parts, instead of batch, is a batch already split for the instances
	// of a partitioned consumer (nil where an instance gets no rows): a
	// split does this on its own goroutine, so a scan does not hash and
	// copy the rows of all its splits on one.
	parts []arrow.RecordBatch
	wm    int64 // msgWatermark
	idle  bool  // msgWatermark from a split: it has been idle too long
	epoch int64 // msgBarrier
}

func (m message) release() {
	if m.batch != nil {
		m.batch.Release()
	}
	for _, p := range m.parts {
		if p != nil {
			p.Release()
		}
	}
}

// handler is what an inbox drives: a node's reaction to its merged,
// aligned inputs. Calls come from one goroutine at a time.
type handler interface {
	// onBatch gets a batch message of logical input `input`; it owns it.
	onBatch(ctx context.Context, input int, m message) error
	// onWatermark: the minimum watermark over the inputs grew to wm.
	onWatermark(ctx context.Context, wm int64) error
	// onBarrier: barrier epoch arrived on every input that has not ended.
	onBarrier(ctx context.Context, epoch int64) error
	// onEndOfInput: logical input `input` ended (called in index order).
	onEndOfInput(ctx context.Context, input int) error
	// onFinish: every input ended.
	onFinish(ctx context.Context) error
}

// subInput is one incoming edge of a node. A logical input of an
// operator has one edge per producer (one per instance of a partitioned
// child); a scan has one per split.
type subInput struct {
	input   int   // the logical input it belongs to
	wm      int64 // largest watermark received
	idle    bool  // a split idle for longer than its timeout
	ended   bool
	barrier int64     // last barrier epoch received
	held    []message // messages held back (Poll mode) while blocked
}

// inbox merges a node's incoming edges into the calls of its handler: it
// takes the minimum watermark, aligns checkpoint barriers, delivers a
// bounded input 0 before the others, and reports the ends of inputs in
// index order. Every node with inputs has one; it is used by one
// goroutine at a time.
//
// In Run mode a node that reads several channels skips those blocked()
// names, so messages are never held; in Poll mode every message is pushed
// at once and the inbox holds what may not pass yet.
type inbox struct {
	h         handler
	subs      []subInput
	remaining []int // per logical input: edges not ended
	nextEnd   int   // EndOfInput has been reported for inputs below it
	// boundedFirst: input 0 is bounded (no stream below it) and must be
	// delivered completely before anything of the other inputs.
	boundedFirst bool
	wm           int64 // the input watermark, forwarded when it grows
	aligning     int64 // the barrier epoch being aligned; 0 for none
	finished     bool
}

// newInbox makes an inbox whose edge i belongs to logical input
// inputOf[i]; there are nInputs logical inputs.
func newInbox(h handler, inputOf []int, nInputs int, boundedFirst bool) *inbox {
	in := &inbox{h: h, remaining: make([]int, nInputs), boundedFirst: boundedFirst, wm: noWatermark}
	in.subs = make([]subInput, len(inputOf))
	for i, li := range inputOf {
		in.subs[i] = subInput{input: li, wm: noWatermark}
		in.remaining[li]++
	}
	return in
}

// start finishes an inbox without edges at once (a table with no splits).
func (in *inbox) start(ctx context.Context) error {
	if len(in.subs) > 0 || in.finished {
		return nil
	}
	if err := in.advance(ctx); err != nil {
		return err
	}
	return in.endInputs(ctx)
}

// blocked says whether edge s may not deliver now: it already sent the
// barrier being aligned, or it waits for a bounded input 0 to end.
func (in *inbox) blocked(s int) bool {
	sub := &in.subs[s]
	if in.aligning != 0 && sub.barrier >= in.aligning {
		return true
	}
	return in.boundedFirst && sub.input != 0 && in.remaining[0] > 0
}

// deliver takes message m (owning its batch) from edge s.
func (in *inbox) deliver(ctx context.Context, s int, m message) error {
	if in.blocked(s) {
		in.subs[s].held = append(in.subs[s].held, m)
		return nil
	}
	if err := in.process(ctx, s, m); err != nil {
		return err
	}
	return in.drain(ctx)
}

// drain processes held messages of edges no longer blocked.
func (in *inbox) drain(ctx context.Context) error {
	for progress := true; progress; {
		progress = false
		for s := range in.subs {
			for len(in.subs[s].held) > 0 && !in.blocked(s) {
				m := in.subs[s].held[0]
				in.subs[s].held[0] = message{}
				in.subs[s].held = in.subs[s].held[1:]
				if err := in.process(ctx, s, m); err != nil {
					return err
				}
				progress = true
			}
		}
	}
	return nil
}

func (in *inbox) process(ctx context.Context, s int, m message) error {
	sub := &in.subs[s]
	switch m.kind {
	case msgBatch:
		return in.h.onBatch(ctx, sub.input, m)
	case msgWatermark:
		sub.wm = max(sub.wm, m.wm)
		sub.idle = m.idle
		return in.advance(ctx)
	case msgBarrier:
		sub.barrier = m.epoch
		if m.epoch > in.aligning {
			in.aligning = m.epoch
		}
		return in.checkAligned(ctx)
	case msgEnd:
		if sub.ended {
			return nil
		}
		sub.ended, sub.idle = true, false
		in.remaining[sub.input]--
		if err := in.checkAligned(ctx); err != nil {
			return err
		}
		if err := in.advance(ctx); err != nil {
			return err
		}
		return in.endInputs(ctx)
	}
	return nil
}

// endInputs reports the inputs that ended, in index order, and the end of
// them all.
func (in *inbox) endInputs(ctx context.Context) error {
	for in.nextEnd < len(in.remaining) && in.remaining[in.nextEnd] == 0 {
		i := in.nextEnd
		in.nextEnd++
		if err := in.h.onEndOfInput(ctx, i); err != nil {
			return err
		}
	}
	if in.nextEnd == len(in.remaining) && !in.finished {
		if err := in.advance(ctx); err != nil {
			return err
		}
		in.finished = true
		return in.h.onFinish(ctx)
	}
	return nil
}

// advance forwards the minimum watermark if it grew.
func (in *inbox) advance(ctx context.Context) error {
	wm := in.minWatermark()
	if wm <= in.wm {
		return nil
	}
	in.wm = wm
	return in.h.onWatermark(ctx, wm)
}

// minWatermark is the minimum over the edges that have not ended and are
// not idle; when every live edge is idle, the largest of theirs (as Flink
// does: nothing holds the stream back); when every edge ended, the end.
func (in *inbox) minWatermark() int64 {
	lo, idleMax := operators.WatermarkEnd, noWatermark
	live, active := false, false
	for i := range in.subs {
		sub := &in.subs[i]
		if sub.ended {
			continue
		}
		live = true
		if sub.idle {
			idleMax = max(idleMax, sub.wm)
			continue
		}
		active = true
		lo = min(lo, sub.wm)
	}
	switch {
	case !live:
		return operators.WatermarkEnd
	case !active:
		return idleMax
	}
	return lo
}

// checkAligned forwards the barrier being aligned once every edge that
// has not ended delivered it.
func (in *inbox) checkAligned(ctx context.Context) error {
	if in.aligning == 0 {
		return nil
	}
	for i := range in.subs {
		if !in.subs[i].ended && in.subs[i].barrier < in.aligning {
			return nil
		}
	}
	e := in.aligning
	in.aligning = 0
	return in.h.onBarrier(ctx, e)
}

// releaseHeld drops the messages still held (a job closed mid-stream).
func (in *inbox) releaseHeld() {
	for i := range in.subs {
		for _, m := range in.subs[i].held {
			m.release()
		}
		in.subs[i].held = nil
	}
}
