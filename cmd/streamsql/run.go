package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/streamsql/streamsql/connectors/iceberg"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/transforms"
)

// runCmd is `streamsql run FILE.sql --input URI --output URI …`: a
// streaming job over a transform file, until its input ends or SIGINT /
// SIGTERM (which stop it without a final checkpoint; rerun with the same
// --state-dir to resume).
func runCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("run")
	var cfg transforms.Config
	fs.StringVar(&cfg.Input, "input", "", "input bound to __input__: a JSONL file, directory or glob, - for stdin, or a connector URI (kafka://…, nats://…)")
	fs.StringVar(&cfg.Output, "output", "", "output of the SELECT rows: a JSONL file, - for stdout, or iceberg:NS.TABLE (a table of --warehouse, created if missing)")
	warehouse := fs.String("warehouse", "", "Iceberg warehouse of an iceberg:NS.TABLE output (default "+iceberg.DefaultWarehouse+")")
	catalogURI := fs.String("catalog", "", "Iceberg REST catalog of an iceberg:NS.TABLE output instead of --warehouse: r2://ACCOUNT/BUCKET or an http(s) URI")
	fs.StringVar(&cfg.DeadLetter, "dead-letter", "", "JSONL file (or -) receiving malformed input and late events with the reason")
	fs.StringVar(&cfg.StateDir, "state-dir", "", "directory for checkpoints; a rerun with the same directory resumes")
	fs.BoolVar(&cfg.Follow, "follow", false, "keep reading the input file as it grows")
	var on onceFlags
	fs.Var(on.str("event-time"), "event-time", "TIMESTAMP column of __input__ holding the event time")
	fs.Var(on.str("watermark-delay"), "watermark-delay", "how far the watermark trails the largest event time (e.g. 5s)")
	fs.Var(on.str("idle-timeout"), "idle-timeout", "an input split idle this long stops holding the watermark back")
	fs.Var(on.str("checkpoint-interval"), "checkpoint-interval", "time between checkpoints (default 10s)")
	fs.Var(on.str("max-state-bytes"), "max-state-bytes", "fail the job when operator state exceeds this (e.g. 2GiB)")
	fs.Var(on.str("allowed-lateness"), "allowed-lateness", "keep windows open this long after the watermark passes them")
	fs.Var(on.str("dedup-ttl"), "dedup-ttl", "how long SELECT DISTINCT over a stream remembers a row")
	fs.Var(on.str("parallelism"), "parallelism", "key-partitioned instances of aggregates, joins and dedups (default 1)")
	var tables listFlag
	fs.Var(&tables, "table", "register a bounded file for lookup joins: NAME=PATH (.jsonl, .csv, .parquet); repeatable")
	fs.DurationVar(&cfg.UntilIdle, "until-idle", 0, "stop after DUR without input, closing open windows as at the end of a bounded input")
	explain := fs.Bool("explain", false, "print each pipeline's operator tree instead of running it")
	metrics := fs.Bool("metrics", false, "print the job's metrics to stderr at the end")
	every := fs.Duration("metrics-every", 0, "also print the metrics (with the watermark and its lag) every DUR while running")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("run wants exactly one transform file, got %d", len(pos))
	}
	for k, v := range on.vals {
		if err := cfg.Options.Set(k, v); err != nil {
			return usagef("--%v", err)
		}
	}
	if cfg.Input == "-" && cfg.Output == "-" && cfg.DeadLetter == "-" {
		return usagef("--output and --dead-letter cannot both be stdout")
	}
	for _, tb := range tables {
		name, path, ok := strings.Cut(tb, "=")
		if !ok || name == "" || path == "" {
			return usagef("--table wants NAME=PATH, got %q", tb)
		}
		if cfg.Tables == nil {
			cfg.Tables = map[string]string{}
		}
		cfg.Tables[name] = path
	}
	t, err := transforms.Load(pos[0])
	if err != nil {
		return err
	}
	if *catalogURI != "" && *warehouse != "" {
		return exclusiveTableSource()
	}
	if name, ok, err := icebergTableName(cfg.Output); err != nil {
		return err
	} else if ok {
		sink, wh, err := openIcebergOutput(*warehouse, *catalogURI, name)
		if err != nil {
			return err
		}
		defer wh.Close()
		cfg.OutputSink = sink
	} else if *warehouse != "" {
		return usagef("--warehouse goes with --output iceberg:NS.TABLE")
	} else if *catalogURI != "" {
		return usagef("--catalog goes with --output iceberg:NS.TABLE")
	}
	cfg.Stdin, cfg.Stdout = stdin, stdout
	if *explain {
		cfg.Explain = func(stmt, plan string) { fmt.Fprintf(stdout, "%s\n%s\n", stmt, plan) }
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	if *every > 0 {
		cfg.ProgressEvery = *every
		cfg.Progress = func(m exec.Metrics) {
			wm := "none"
			switch {
			case m.Watermark == operators.WatermarkEnd:
				wm = "end"
			case m.Watermark > math.MinInt64:
				wm = time.UnixMicro(m.Watermark).UTC().Format("2006-01-02T15:04:05.000Z")
			}
			fmt.Fprintf(stderr, "progress events_in=%d events_out=%d late=%d dead_lettered=%d state_bytes=%d checkpoints=%d watermark=%s watermark_lag=%s\n",
				m.EventsIn, m.EventsOut, m.Late, m.DeadLettered, m.StateBytes, m.Checkpoints, wm, m.WatermarkLag.Round(time.Millisecond))
		}
	}
	res, err := transforms.Run(ctx, t, cfg)
	if *metrics {
		m := res.Metrics
		fmt.Fprintf(stderr, "events_in=%d events_out=%d late=%d dead_lettered=%d state_bytes=%d checkpoints=%d elapsed=%s\n",
			m.EventsIn, m.EventsOut, m.Late, m.DeadLettered, m.StateBytes, m.Checkpoints, time.Since(start).Round(time.Millisecond))
	}
	if err != nil && ctx.Err() != nil {
		if cfg.StateDir != "" {
			return fmt.Errorf("stopped by a signal; rerun with the same --state-dir to resume from the last checkpoint")
		}
		return fmt.Errorf("stopped by a signal")
	}
	return err
}

// onceFlags collects string flags by name, remembering which were set.
type onceFlags struct{ vals map[string]string }

type onceFlag struct {
	name string
	o    *onceFlags
}

func (o *onceFlags) str(name string) *onceFlag {
	if o.vals == nil {
		o.vals = map[string]string{}
	}
	return &onceFlag{name, o}
}
func (f *onceFlag) String() string     { return f.o.vals[f.name] }
func (f *onceFlag) Set(v string) error { f.o.vals[f.name] = v; return nil }
