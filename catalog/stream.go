package catalog

import (
	"context"
	"errors"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Streams: what the streaming runtime (exec) reads from and writes to.
// A table that can be read as a stream implements Streamable; one that can
// receive a query's output continuously implements SinkTable. Both are
// wasm-clean contracts; connectors implement them.

// ErrIdle is returned by SplitReader.Read when no data arrived within the
// request's Linger: the runtime uses it to notice idle splits and to
// inject checkpoint barriers between reads. It is not a failure.
var ErrIdle = errors.New("no data within linger")

// Streamable is implemented by tables that can be read continuously.
type Streamable interface {
	Table
	// OpenStream opens the table's splits (files, partitions, consumers).
	// The set is fixed for the life of the stream. Each reader is used by
	// one goroutine at a time.
	OpenStream(ctx context.Context, req StreamRequest) ([]SplitReader, error)
}

// StreamRequest configures OpenStream.
type StreamRequest struct {
	Columns []int // table column ordinals, in output order
	Alloc   memory.Allocator
	// BatchRows is the most rows per batch (0: the reader's default).
	BatchRows int
	// Linger is the longest a reader waits for more rows before returning
	// a partial batch, or ErrIdle when it has none (0: the reader's
	// default, typically 100 ms).
	Linger time.Duration
	// DeadLetter receives input the reader cannot decode (raw bytes and a
	// reason naming where it came from, e.g. "events.jsonl:12: …"). The
	// reader skips the input and goes on; an error from DeadLetter fails
	// Read. Nil means malformed input fails Read.
	DeadLetter func(raw []byte, reason string) error
}

// SplitReader reads one split of a stream.
//
// Read returns the next batch, owned by the caller; io.EOF at the end of a
// bounded split (files, stdin, a memory table closed for writing); ErrIdle
// when nothing arrived within Linger. Position is the opaque position just
// after the last batch returned: a checkpoint stores it and Seek on a fresh
// reader resumes from it, so that no row is read twice or skipped. Close
// releases resources and may be called more than once.
type SplitReader interface {
	// ID names the split stably across restarts (a path, a partition).
	ID() string
	Read(ctx context.Context) (arrow.RecordBatch, error)
	Position() ([]byte, error)
	Seek(ctx context.Context, pos []byte) error
	Close() error
}

// PositionCommitter is implemented by split readers of systems that track
// consumption themselves (Kafka group offsets, JetStream and SQS acks,
// Pub/Sub acks). Once a checkpoint is durable and its sink committed, the
// runtime calls CommitPosition with the position the checkpoint recorded
// for the split (what Position returned at the barrier): everything before
// it is processed for good and may be acknowledged; nothing after it may.
// It may be called from another goroutine than Read's, concurrently with
// it; positions come in checkpoint order. An error fails the job, so a
// commit that may simply be retried by the next checkpoint (a Kafka
// rebalance) should return nil and leave it to that checkpoint.
type PositionCommitter interface {
	CommitPosition(ctx context.Context, pos []byte) error
}

// SourcePositionSink is implemented by sinks that record, with each
// checkpoint they commit, where the sources stood (an Iceberg snapshot's
// summary), so the output alone says which input it covers. The runtime
// calls SourcePositions(epoch, …) just before PreCommit(epoch), with the
// position of every split of the checkpoint keyed "<stream>/<split id>".
// The map is the sink's to keep.
type SourcePositionSink interface {
	SourcePositions(epoch int64, positions map[string][]byte)
}

// SinkTable is implemented by tables that a streaming query can write to.
type SinkTable interface {
	OpenSink(ctx context.Context, schema *arrow.Schema) (Sink, error)
}

// Sink receives a query's output, transactionally per checkpoint where the
// storage allows it.
//
// Write gets batches in order; they are borrowed (valid during the call).
// At a checkpoint the runtime calls PreCommit(epoch): everything written so
// far must be durable or staged, and the returned state is stored in the
// checkpoint. Once the checkpoint is durable the runtime calls
// Commit(epoch). On resume, Restore receives the state stored by the last
// durable checkpoint (before any Write): the sink discards whatever was
// written after it (a file truncates), so output is exactly once. A sink
// that cannot discard (stdout) is at-least-once and says so in its docs.
// Close flushes and releases; after a clean end of input the runtime takes
// a final checkpoint first. Calls are never concurrent.
type Sink interface {
	Write(ctx context.Context, b arrow.RecordBatch) error
	PreCommit(ctx context.Context, epoch int64) ([]byte, error)
	Commit(ctx context.Context, epoch int64) error
	Restore(ctx context.Context, state []byte) error
	Close() error
}
