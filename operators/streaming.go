package operators

import (
	"context"
	"io"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Streaming extensions of the Operator contract. Event time travels in a
// batch column (TIMESTAMP, µs since the epoch); the changelog op of an
// updating result travels in the reserved column OpColumn.

// WatermarkEnd is the watermark at the end of a bounded input: every
// window closes.
const WatermarkEnd int64 = math.MaxInt64

// OpColumn names the VARCHAR column that marks rows of a changelog as
// OpInsert or OpDelete (a retraction of an earlier insert).
const (
	OpColumn = "_op"
	OpInsert = "insert"
	OpDelete = "delete"
)

// Watermarked is implemented by operators that act on event time. exec
// calls OnWatermark, between batches and never concurrently with them,
// when the minimum watermark over the operator's inputs advances: no later
// row will carry an event time below wm (rows that do are late). wm only
// grows; WatermarkEnd means the input is complete.
type Watermarked interface {
	OnWatermark(ctx context.Context, wm int64, emit Emit) error
}

// Ticker is implemented by operators with processing-time work (throttled
// emission, TTLs): exec calls OnTick between batches, never concurrently
// with them, at least every TickInterval while the job runs (also when no
// data arrives; a polled job ticks once per Poll), with the job's clock.
// Ticks stop once the operator's inputs all ended (after its last
// EndOfInput) or it returned ErrDone. Rows emitted go downstream like
// those of ProcessBatch (ownership moves to emit). A tick with nothing due
// must be cheap: it may come often.
type Ticker interface {
	OnTick(ctx context.Context, now time.Time, emit Emit) error
}

// Stateful is implemented by operators whose state must survive a
// restart. exec calls Snapshot at a checkpoint barrier, after every batch
// before the barrier and none after it, and Restore after Open and before
// any batch when resuming. The encoding is the operator's own; it must
// read back what it wrote, across processes.
type Stateful interface {
	Snapshot(ctx context.Context, w io.Writer) error
	Restore(ctx context.Context, r io.Reader) error
}

// LateRouter is implemented by operators that drop late rows: exec hands
// them the job's dead-letter output before Open. sink receives the late
// rows (input schema, owned by the callee) and a reason starting
// "late event: "; an error from sink fails the operator's call.
type LateRouter interface {
	RouteLate(sink func(b arrow.RecordBatch, reason string) error)
}

// StateReporter is implemented by stateful operators so exec can report
// and bound their memory: StateBytes estimates the bytes of state held,
// LateRows counts rows dropped as late. Called between batches.
type StateReporter interface {
	StateBytes() int64
	LateRows() int64
}
