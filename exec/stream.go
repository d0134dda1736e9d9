package exec

// The streaming runtime. A Job runs a streaming plan (an operators.Stage
// tree whose leaves are StreamScans and bounded Sources) into a
// catalog.Sink. Every edge of the graph carries one ordered stream of
// messages (batch, watermark, barrier, end); a node's inbox merges its
// incoming edges (minimum watermark, aligned barriers, ends in input
// order) into calls on its operator. The node logic is the same in both
// modes: Run drives it with goroutines and bounded channels, Poll on the
// caller's goroutine. Checkpoints are aligned (Chandy–Lamport): barriers
// injected at the splits flow to the sink, each operator snapshotting as
// the barrier passes; the sink's PreCommit completes the cut, which is
// written atomically to StateDir, and a later NewJob resumes from it.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators"
)

// defaultCheckpointInterval applies when JobOptions.CheckpointInterval is 0.
const defaultCheckpointInterval = 10 * time.Second

// defaultTickInterval applies when JobOptions.TickInterval is 0.
const defaultTickInterval = 100 * time.Millisecond

// JobOptions configure a streaming job.
type JobOptions struct {
	// Alloc allocates every batch of the job (default memory.DefaultAllocator).
	Alloc memory.Allocator
	// Sink receives the root stage's output batches (borrowed by Write).
	// Once NewJob succeeded the job owns it and closes it in Close; when
	// NewJob fails it stays the caller's.
	Sink catalog.Sink
	// StateDir holds checkpoints; "" disables checkpointing and resume
	// (the sink still gets PreCommit/Commit every interval and at the end).
	StateDir string
	// CheckpointInterval is the time between checkpoints: 0 means 10s; a
	// negative interval takes only the final checkpoint at end of input.
	CheckpointInterval time.Duration
	// MaxStateBytes, when positive, fails the job with a *StateLimitError
	// when the state held by all StateReporters exceeds it.
	MaxStateBytes int64
	// Parallelism is the number of instances of stages with KeyCols (<=1: 1).
	Parallelism int
	// Now is the clock for idle timeouts, the checkpoint interval and the
	// operators' ticks (default time.Now).
	Now func() time.Time
	// TickInterval is how often, in Run mode, each goroutine calls OnTick
	// on the operators.Ticker operators it runs, data or not (Poll ticks
	// once per call instead): 0 means 100ms; negative disables ticks in
	// both modes.
	TickInterval time.Duration
	// DeadLetter receives malformed source input and late rows. Nil:
	// malformed input fails the job and late rows are only counted.
	DeadLetter DeadLetter
	// Fingerprint identifies the plan: a checkpoint taken under another
	// fingerprint is refused on resume.
	Fingerprint string
	// BatchRows and Linger are passed to the sources (catalog.StreamRequest).
	BatchRows int
	Linger    time.Duration
	// UntilIdle, when positive, ends the job once no split has read a row
	// for this long: every split then ends as at the end of a bounded
	// input (watermarks to +∞, open windows close, a final checkpoint).
	UntilIdle time.Duration
}

// DeadLetter receives what the job cannot process. The job serializes its
// calls. An error from it fails the job.
type DeadLetter interface {
	// Raw gets input a source could not decode, with a reason naming where.
	Raw(ctx context.Context, raw []byte, reason string) error
	// Rows gets late rows (b is borrowed) with a reason "late event: …".
	Rows(ctx context.Context, b arrow.RecordBatch, reason string) error
}

// StageError is an error raised in one stage of a job: an operator's,
// source's or sink's error, or a panic (then Stack holds its stack).
type StageError struct {
	Stage string
	Err   error
	Stack []byte
}

func (e *StageError) Error() string { return e.Err.Error() }
func (e *StageError) Unwrap() error { return e.Err }

// StateLimitError reports state over JobOptions.MaxStateBytes.
type StateLimitError struct {
	Stage      string // the stage whose batch crossed the limit
	StageBytes int64  // state it holds
	TotalBytes int64  // state of the whole job
	Limit      int64
}

func (e *StateLimitError) Error() string {
	return fmt.Sprintf("exceeding max state bytes: the job holds %d bytes of state (%s %d), over the limit of %d",
		e.TotalBytes, e.Stage, e.StageBytes, e.Limit)
}

// jobMode records which driver a job runs under.
type jobMode int

const (
	modeNone jobMode = iota
	modeRun
	modePoll
)

// Job is a running streaming plan. Create it with NewJob, drive it with
// Run (concurrent) or Poll/Checkpoint (single goroutine) — never both —
// and always Close it. Metrics may be called at any time from any
// goroutine; the other methods are not safe for concurrent use.
type Job struct {
	opts     JobOptions
	root     *operators.Stage
	interval time.Duration
	tick     time.Duration // <0: no ticks

	scans   []*scanNode // in tree order
	splits  []*splitState
	sources []*sourceNode
	ops     []*opNode // every instance
	top     []*opNode // the root stage's instances (nil when the root is a leaf)
	topScan *scanNode // the root, when it is a scan
	sink    *sinkNode
	edges   []edgeGroup
	coord   *coordinator

	mode     jobMode
	ctx      context.Context // of the current Run or Poll, for DeadLetter
	dlMu     sync.Mutex
	finished bool  // the final checkpoint is taken (or was, before a resume)
	failed   error // Poll mode: the error that stopped the job
	closed   bool

	lastInput atomic.Int64 // unix nanos of the last row read by any split (UntilIdle)
}

// NewJob opens every stream and operator of the plan under root and,
// when StateDir holds a checkpoint, resumes from the newest one: splits
// seek to their positions, Stateful operators restore, the sink restores
// its state. The job owns the plan's operators and sources. On error
// everything it opened is closed again (opts.Sink excepted).
func NewJob(ctx context.Context, root *operators.Stage, opts JobOptions) (*Job, error) {
	if opts.Sink == nil {
		return nil, errors.New("creating job: no sink")
	}
	if root == nil {
		return nil, errors.New("creating job: no plan")
	}
	if opts.Alloc == nil {
		opts.Alloc = memory.DefaultAllocator
	}
	if opts.Parallelism < 1 {
		opts.Parallelism = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	j := &Job{opts: opts, root: root, interval: opts.CheckpointInterval, ctx: ctx}
	if j.interval == 0 {
		j.interval = defaultCheckpointInterval
	}
	if j.tick = opts.TickInterval; j.tick == 0 {
		j.tick = defaultTickInterval
	}
	j.coord = newCoordinator(j)
	j.sink = &sinkNode{nodeBase: nodeBase{job: j}, sink: opts.Sink}
	j.sink.wm.Store(noWatermark)
	if err := j.build(ctx); err != nil {
		return nil, errors.Join(err, j.release(false))
	}
	if opts.StateDir != "" {
		if err := j.resume(ctx); err != nil {
			return nil, errors.Join(err, j.release(false))
		}
	}
	return j, nil
}

// now reads the job's clock.
func (j *Job) now() time.Time { return j.opts.Now() }

// persist says whether checkpoints are written (and operators snapshot).
func (j *Job) persist() bool { return j.opts.StateDir != "" }

// begin fixes the driver of the job on its first Run or Poll.
func (j *Job) begin(mode jobMode) error {
	if j.closed {
		return errors.New("running job: job closed")
	}
	if j.mode != modeNone && j.mode != mode {
		return errors.New("running job: Run and Poll cannot be mixed")
	}
	return nil
}

// Close releases everything the job holds: splits, operators, the sink
// and batches in flight. It takes no checkpoint and flushes nothing
// downstream: closing before the end of input is like a crash, and the
// next NewJob on the same StateDir resumes from the last checkpoint.
// Close must not run concurrently with Run or Poll; calling it twice is
// harmless.
func (j *Job) Close() error { return j.release(true) }

func (j *Job) release(closeSink bool) error {
	if j.closed {
		return nil
	}
	j.closed = true
	var errs []error
	for _, s := range j.splits {
		if err := s.reader.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing split %s of %s: %w", s.id, s.scan.name, err))
		}
	}
	for _, sc := range j.scans {
		if sc.in != nil {
			sc.in.releaseHeld()
		}
	}
	for _, n := range j.ops {
		n.in.releaseHeld()
		if n.opened {
			if err := n.op.Close(); err != nil {
				errs = append(errs, fmt.Errorf("closing %s: %w", n.name, err))
			}
		}
	}
	if j.sink.in != nil {
		j.sink.in.releaseHeld()
	}
	if closeSink {
		if err := j.opts.Sink.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing sink: %w", err))
		}
	}
	releaseSources(j.root)
	return errors.Join(errs...)
}

// deadLetterRaw wraps the job's DeadLetter for a scan's sources.
func (j *Job) deadLetterRaw(sc *scanNode) func(raw []byte, reason string) error {
	if j.opts.DeadLetter == nil {
		return nil
	}
	return func(raw []byte, reason string) error {
		j.dlMu.Lock()
		defer j.dlMu.Unlock()
		sc.dead.Add(1)
		if err := j.opts.DeadLetter.Raw(j.ctx, raw, reason); err != nil {
			return fmt.Errorf("dead-lettering input of %s: %w", sc.name, err)
		}
		return nil
	}
}

// deadLetterRows wraps the job's DeadLetter for an operator's late rows;
// the batch is owned by the returned function.
func (j *Job) deadLetterRows(n *opNode) func(b arrow.RecordBatch, reason string) error {
	return func(b arrow.RecordBatch, reason string) error {
		defer b.Release()
		j.dlMu.Lock()
		defer j.dlMu.Unlock()
		n.dead.Add(b.NumRows())
		if err := j.opts.DeadLetter.Rows(j.ctx, b, reason); err != nil {
			return fmt.Errorf("dead-lettering late rows of %s: %w", n.name, err)
		}
		return nil
	}
}

// checkStateLimit fails when the job's state exceeds MaxStateBytes.
func (j *Job) checkStateLimit(n *opNode, own int64) error {
	limit := j.opts.MaxStateBytes
	if limit <= 0 || own <= 0 {
		return nil
	}
	var total int64
	for _, o := range j.ops {
		total += o.stateBytes.Load()
	}
	if total <= limit {
		return nil
	}
	return &StageError{Stage: n.name, Err: &StateLimitError{Stage: n.name, StageBytes: own, TotalBytes: total, Limit: limit}}
}
