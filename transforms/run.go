package transforms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/planner/types"
)

// Config says where a transform reads and writes.
type Config struct {
	// Input is a JSONL file, directory or glob, "-" for Stdin, or a
	// connector URI (kafka://…, nats://…: catalog.IsConnectorURI). Empty
	// when the script declares its own tables.
	Input string
	// Output is a JSONL file, "-" for Stdout, or a connector URI whose
	// table is a catalog.SinkTable. A file is written
	// exactly once per checkpoint: a resumed run truncates what the
	// crashed one wrote after its last checkpoint. Ignored when OutputSink
	// is set.
	Output string
	// OutputSink, when set, receives the SELECT rows instead of Output:
	// the caller opens any other kind of output (the CLI's iceberg:NS.TABLE)
	// so that this package stays free of heavy connectors. The job opens
	// its sink with the query's schema and closes it; the caller keeps
	// owning the SinkTable (and what backs it) and closes it after Run.
	OutputSink catalog.SinkTable
	// DeadLetter is a JSONL file, "-" (Stderr is not used) or a connector
	// URI receiving malformed input lines and late events with the reason;
	// empty: a malformed line fails the job and late events are only
	// counted.
	DeadLetter string
	// UntilIdle, when positive, ends the job once its input has been
	// quiet this long, closing open windows as at the end of a bounded
	// input.
	UntilIdle time.Duration
	// StateDir holds checkpoints; empty runs without (and cannot resume).
	StateDir string
	// Follow keeps reading a growing input file (never ends).
	Follow bool
	// Tables registers bounded files (JSONL, CSV, Parquet) by name, for
	// lookup joins: NAME → PATH.
	Tables map[string]string
	// Options override the transform's header.
	Options Options
	Stdin   io.Reader
	Stdout  io.Writer
	// Engine runs the job; nil makes one.
	Engine *streamsql.Engine
	// Progress, when set, receives the job's metrics every ProgressEvery
	// while it runs (from another goroutine) and once at the end.
	Progress      func(exec.Metrics)
	ProgressEvery time.Duration
	// Explain, when set, receives each pipeline's statement and operator
	// tree; nothing runs.
	Explain func(statement, plan string)
}

// Result is what a finished run reports.
type Result struct {
	Metrics      exec.Metrics
	DeadLettered int64
}

// Run runs t until its input ends (a bounded file or stdin) or ctx is
// cancelled.
func Run(ctx context.Context, t *Transform, cfg Config) (res Result, err error) {
	opts := t.Options.Merge(cfg.Options)
	eng := cfg.Engine
	if eng == nil {
		eng = streamsql.New()
		defer eng.Close()
	}
	for name, path := range cfg.Tables {
		if err := eng.RegisterFile(name, path, file.Options{}); err != nil {
			return res, err
		}
	}
	jo := streamsql.JobOptions{
		StateDir: cfg.StateDir, CheckpointInterval: opts.CheckpointInterval, MaxStateBytes: opts.MaxStateBytes,
		Parallelism: opts.Parallelism, AllowedLateness: opts.AllowedLateness, DedupTTL: opts.DedupTTL,
		UntilIdle: cfg.UntilIdle,
	}
	if jo.CheckpointInterval == 0 && cfg.StateDir == "" && !catalog.IsConnectorURI(cfg.Input) {
		// Nothing to resume from: only the final checkpoint. A broker
		// input keeps the periodic ones, which acknowledge what it read.
		jo.CheckpointInterval = -1
	}
	if cfg.Input != "" {
		in, err := openInput(cfg, opts)
		if err != nil {
			return res, err
		}
		jo.Input = in
		defer catalog.ReleaseTable(in)
	}
	if cfg.OutputSink != nil {
		jo.Output = cfg.OutputSink
	} else if catalog.IsConnectorURI(cfg.Output) {
		out, err := openOutputURI(cfg.Output)
		if err != nil {
			return res, err
		}
		defer catalog.ReleaseTable(out.(catalog.Table)) // OpenURI made it a Table
		jo.Output = out
	} else if cfg.Output != "" {
		if cfg.Output == "-" {
			jo.Output = file.NewWriterSink(cfg.Stdout)
		} else {
			jo.Output = file.NewJSONLSink(cfg.Output)
		}
	}
	var dl *file.DeadLetterWriter
	if catalog.IsConnectorURI(cfg.DeadLetter) {
		sdl, err := openDeadLetterURI(ctx, cfg.DeadLetter)
		if err != nil {
			return res, err
		}
		jo.DeadLetter = sdl
		defer func() {
			err = errors.Join(err, sdl.Close())
			res.DeadLettered = sdl.Count()
		}()
	} else if cfg.DeadLetter != "" {
		if cfg.DeadLetter == "-" {
			dl = file.NewDeadLetterWriterTo(cfg.Stdout)
		} else if dl, err = file.NewDeadLetterWriter(cfg.DeadLetter); err != nil {
			return res, err
		}
		jo.DeadLetter = dl
		defer func() {
			err = errors.Join(err, dl.Close())
			res.DeadLettered = dl.Count()
		}()
	}
	jo.Explain = cfg.Explain
	job, err := eng.StartJob(ctx, t.SQL, jo)
	if cfg.Explain != nil && errors.Is(err, streamsql.ErrExplained) {
		return res, nil
	}
	if err != nil {
		if jo.Input == nil && strings.Contains(err.Error(), `table "`+streamsql.InputTable+`" does not exist`) {
			err = fmt.Errorf("%w\n(%s is the stream given by --input)", err, streamsql.InputTable)
		}
		return res, err
	}
	if cfg.Progress != nil {
		err = job.RunReporting(ctx, cfg.ProgressEvery, cfg.Progress)
	} else {
		err = job.Run(ctx)
	}
	res.Metrics = job.Metrics()
	return res, errors.Join(err, job.Close())
}

// openInput opens --input as the __input__ stream.
func openInput(cfg Config, opts Options) (catalog.Table, error) {
	var t catalog.Table
	var err error
	fo := file.Options{Format: file.FormatJSONL, Follow: cfg.Follow}
	if opts.EventTime != "" {
		// A stray value in the sample must not turn the event time into
		// text: such a line is malformed (dead-lettered) instead.
		fo.Types = map[string]arrow.DataType{opts.EventTime: types.TimestampType.ArrowType()}
	}
	if catalog.IsConnectorURI(cfg.Input) {
		t, err = catalog.OpenURI(cfg.Input, catalog.RoleSource, nil)
	} else if cfg.Input == "-" {
		if cfg.Stdin == nil {
			return nil, fmt.Errorf("opening input: no standard input")
		}
		t, err = file.NewStdinTable(cfg.Stdin, nil, fo)
	} else {
		t, err = file.Open(strings.TrimPrefix(cfg.Input, "file://"), fo)
	}
	if err != nil {
		return nil, fmt.Errorf("opening input: %w", err)
	}
	st, err := catalog.NewStreamTable(t, catalog.EventTime{
		Column: opts.EventTime, Delay: opts.WatermarkDelay.Microseconds(), IdleTimeout: opts.IdleTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("opening input: %w", err)
	}
	return st, nil
}
