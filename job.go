package streamsql

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/bind"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/physical"
)

// InputTable is the name transform files read their input from.
const InputTable = "__input__"

// JobOptions configure a streaming job.
type JobOptions struct {
	// Input is bound to __input__: a catalog.Streamable table, usually
	// wrapped by catalog.NewStreamTable with its event time. It stays the
	// caller's: the engine never releases it.
	Input catalog.Table
	// Output receives the rows of the script's SELECT statements.
	Output catalog.SinkTable
	// StateDir holds checkpoints; the job resumes from the newest one.
	// Empty: no checkpoints.
	StateDir string
	// CheckpointInterval between checkpoints (0: 10 s).
	CheckpointInterval time.Duration
	// MaxStateBytes fails the job when its operators hold more (0: no
	// limit).
	MaxStateBytes int64
	// Parallelism is the number of key-partitioned instances of
	// aggregates, joins and dedups (0 or 1: one).
	Parallelism int
	// AllowedLateness keeps windows open after the watermark passed them.
	AllowedLateness time.Duration
	// DedupTTL bounds how long SELECT DISTINCT over a stream remembers a
	// row (0: forever).
	DedupTTL time.Duration
	// DeadLetter receives malformed input and late rows with the reason;
	// nil: malformed input fails the job, late rows are only counted.
	DeadLetter exec.DeadLetter
	// BatchRows and Linger size source batches (0: the sources' defaults).
	BatchRows int
	Linger    time.Duration
	// UntilIdle, when positive, ends each pipeline once its sources have
	// read nothing for this long, closing open windows as at the end of a
	// bounded input (tests, backfills, cron-style runs over brokers).
	UntilIdle time.Duration
	// Explain, when set, makes StartJob plan every pipeline and hand its
	// statement and operator tree (ExplainStages) here instead of running
	// it; StartJob then returns an error wrapping ErrExplained.
	Explain func(statement, plan string)
}

// ErrExplained is returned (wrapped) by StartJob with JobOptions.Explain:
// the pipelines were planned and described, not started.
var ErrExplained = errors.New("pipelines explained, not started")

// Job is a running streaming job: one pipeline per SELECT or INSERT
// statement of its script.
type Job struct {
	pipes []*exec.Job
	names []string // the statement each pipe runs, for errors
}

// StartJob parses a transform or pipeline script, runs its DDL, plans each
// SELECT (to opts.Output) and INSERT INTO (to the table's sink) as a
// streaming pipeline, and opens them (resuming from opts.StateDir). The
// caller drives the job with Run or Poll, then Closes it.
func (e *Engine) StartJob(ctx context.Context, script string, opts JobOptions) (job *Job, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error (a bug in streamsql; please report it with the query): %v\n%s", r, debug.Stack())
		}
	}()
	stmts, err := parse.Parse(script)
	if err != nil {
		return nil, err
	}
	if opts.Input != nil {
		e.cat.PutBorrowed(InputTable, opts.Input) // the caller's: reusable by the next job
	}
	j := &Job{}
	defer func() {
		if err != nil {
			err = errors.Join(err, j.Close())
			job = nil
		}
	}()
	var queries []parse.Statement
	for _, st := range stmts {
		switch st.(type) {
		case *parse.Query, *parse.Insert:
			queries = append(queries, st)
		}
	}
	selects := 0
	for _, st := range stmts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := bind.Bind(st, script, e.cat, bind.Options{Streaming: true})
		if err != nil {
			return nil, err
		}
		ectx := &expr.Context{Mem: e.mem, Now: e.now().UnixMicro()}
		switch b := b.(type) {
		case *bind.CreateTable:
			if err := e.createTable(ctx, b, ectx); err != nil {
				return nil, err
			}
		case *bind.CreateView:
			e.cat.PutView(b.Name, catalog.View{SQL: b.SQL, Columns: b.Columns})
		case *bind.Query:
			if opts.Output == nil {
				return nil, fmt.Errorf("starting job: a SELECT statement needs an output (--output)")
			}
			if selects++; selects > 1 {
				return nil, parse.NewError(script, st.Position(), "a transform writes one SELECT to its output; write further results with CREATE TABLE … WITH (connector = …) and INSERT INTO")
			}
			if err := e.addPipe(ctx, j, b, opts.Output, st, script, len(queries), opts, ectx); err != nil {
				return nil, err
			}
		case *bind.Insert:
			tbl, _, err := e.cat.Lookup(b.Table)
			if err != nil {
				return nil, err
			}
			sink, ok := unwrapTable(tbl).(catalog.SinkTable)
			if !ok {
				return nil, fmt.Errorf("starting job: table %s cannot be written by a streaming INSERT", strings.Join(b.Table, "."))
			}
			if err := e.addPipe(ctx, j, b.Query, sink, st, script, len(queries), opts, ectx); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("starting job: %T is not allowed in a transform (only CREATE TABLE, CREATE VIEW, SELECT and INSERT INTO)", b)
		}
	}
	if opts.Explain != nil {
		return nil, fmt.Errorf("starting job: %w", ErrExplained)
	}
	if len(j.pipes) == 0 {
		return nil, fmt.Errorf("starting job: the script has no SELECT or INSERT INTO statement")
	}
	return j, nil
}

// unwrapTable returns the table under a StreamTable.
func unwrapTable(t catalog.Table) catalog.Table {
	if s, ok := t.(*catalog.StreamTable); ok {
		return s.Table
	}
	return t
}

// asStream wraps a connector's table as a stream (catalog.StreamTable)
// when it can be read as one: its WATERMARK gives the event time, option
// idle_timeout the idle timeout. WITH (lookup = 'true') keeps it bounded,
// for lookup joins. Batch queries scan a stream like the table it wraps.
func asStream(t catalog.Table, b *bind.CreateTable) (catalog.Table, error) {
	if _, ok := t.(catalog.Streamable); !ok || strings.EqualFold(b.Options["lookup"], "true") {
		if b.Watermark != nil {
			return t, fmt.Errorf("WATERMARK needs a streaming connector (not a lookup table)")
		}
		return t, nil
	}
	et := catalog.EventTime{}
	var err error
	if b.Watermark != nil {
		if et, err = b.Watermark.EventTime(); err != nil {
			return t, err
		}
	}
	if v := b.Options["idle_timeout"]; v != "" {
		if et.IdleTimeout, err = time.ParseDuration(v); err != nil {
			return t, fmt.Errorf("idle_timeout: %w", err)
		}
	}
	st, err := catalog.NewStreamTable(t, et)
	if err != nil {
		return t, err
	}
	return st, nil
}

// addPipe plans one streaming query into a pipeline writing to sink.
func (e *Engine) addPipe(ctx context.Context, job *Job, q *bind.Query, sink catalog.SinkTable, st parse.Statement, script string, nQueries int, opts JobOptions, ectx *expr.Context) error {
	root, err := e.planStream(ctx, q, opts, ectx)
	if err != nil {
		return err
	}
	if opts.Explain != nil {
		opts.Explain(parse.Format(st), ExplainStages(root))
		return nil
	}
	out := physical.StageSchema(root)
	fields := make([]arrow.Field, out.NumFields())
	for i, f := range out.Fields() {
		if i < len(q.Names) {
			f.Name = q.Names[i]
		}
		fields[i] = f
	}
	schema := arrow.NewSchema(fields, nil)
	s, err := sink.OpenSink(ctx, schema)
	if err != nil {
		return fmt.Errorf("opening sink: %w", err)
	}
	text := parse.Format(st)
	sum := sha256.Sum256([]byte(text))
	dir := opts.StateDir
	if dir != "" && nQueries > 1 {
		dir = filepath.Join(dir, fmt.Sprintf("pipeline-%d", len(job.pipes)+1))
	}
	xj, err := exec.NewJob(ctx, root, exec.JobOptions{
		Alloc: e.mem, Sink: &relabelSink{Sink: s, schema: schema}, StateDir: dir,
		CheckpointInterval: opts.CheckpointInterval, MaxStateBytes: opts.MaxStateBytes,
		Parallelism: opts.Parallelism, Now: e.now, DeadLetter: opts.DeadLetter,
		Fingerprint: hex.EncodeToString(sum[:8]), BatchRows: opts.BatchRows, Linger: opts.Linger,
		UntilIdle: opts.UntilIdle,
	})
	if err != nil {
		return errors.Join(err, s.Close())
	}
	job.pipes = append(job.pipes, xj)
	job.names = append(job.names, text)
	return nil
}

// planStream optimizes a streaming query and plans its stages.
func (e *Engine) planStream(ctx context.Context, q *bind.Query, opts JobOptions, ectx *expr.Context) (*operators.Stage, error) {
	plan, err := e.optimize(q, ectx)
	if err != nil {
		return nil, err
	}
	so := physical.StreamOptions{AllowedLateness: opts.AllowedLateness.Microseconds(), DedupTTL: opts.DedupTTL.Microseconds(), Now: e.now}
	if q.Emit != nil {
		so.Changes, so.Every = q.Emit.Changes, q.Emit.Every
	}
	pl := physical.New(ectx, func(ctx context.Context, sub logical.Node) (any, error) { return e.scalar(ctx, sub, ectx) })
	return pl.BuildStream(ctx, plan, so)
}

// relabelSink gives the query's output its column names.
type relabelSink struct {
	catalog.Sink
	schema *arrow.Schema
}

func (r *relabelSink) Write(ctx context.Context, b arrow.RecordBatch) error {
	rb, err := operators.RelabelBatch(r.schema, b)
	if err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	defer rb.Release()
	return r.Sink.Write(ctx, rb)
}

// SourcePositions forwards the checkpoint's source positions to a sink
// that records them (catalog.SourcePositionSink).
func (r *relabelSink) SourcePositions(epoch int64, positions map[string][]byte) {
	if ps, ok := r.Sink.(catalog.SourcePositionSink); ok {
		ps.SourcePositions(epoch, positions)
	}
}

// Run runs every pipeline until its inputs end (each then takes a final
// checkpoint) or ctx is cancelled; the first error stops them all.
func (j *Job) Run(ctx context.Context) error { return exec.RunJobs(ctx, j.pipes) }

// RunReporting is Run that calls report with the job's metrics every
// interval (from another goroutine) and once at the end.
func (j *Job) RunReporting(ctx context.Context, interval time.Duration, report func(exec.Metrics)) error {
	return exec.RunReporting(ctx, j.pipes, interval, func() { report(j.Metrics()) })
}

// Poll advances every pipeline once on the calling goroutine (see
// exec.Job.Poll); it returns the rows read, and io.EOF when all ended.
func (j *Job) Poll(ctx context.Context) (int, error) {
	total, ended := 0, 0
	for _, p := range j.pipes {
		n, err := p.Poll(ctx)
		total += n
		if errors.Is(err, io.EOF) {
			ended++
			continue
		}
		if err != nil {
			return total, err
		}
	}
	if ended == len(j.pipes) {
		return total, io.EOF
	}
	return total, nil
}

// Checkpoint takes a checkpoint of every pipeline now (Poll mode).
func (j *Job) Checkpoint(ctx context.Context) error {
	for _, p := range j.pipes {
		if err := p.Checkpoint(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Metrics sums the pipelines' metrics.
func (j *Job) Metrics() exec.Metrics {
	var m exec.Metrics
	for i, p := range j.pipes {
		pm := p.Metrics()
		if i == 0 {
			m = pm
			continue
		}
		m.EventsIn += pm.EventsIn
		m.EventsOut += pm.EventsOut
		m.Late += pm.Late
		m.DeadLettered += pm.DeadLettered
		m.StateBytes += pm.StateBytes
		m.Checkpoints += pm.Checkpoints
		m.Watermark = min(m.Watermark, pm.Watermark)
		m.WatermarkLag = max(m.WatermarkLag, pm.WatermarkLag)
	}
	return m
}

// Close stops and releases every pipeline without a checkpoint.
func (j *Job) Close() error {
	var errs []error
	for _, p := range j.pipes {
		errs = append(errs, p.Close())
	}
	j.pipes = nil
	return errors.Join(errs...)
}
