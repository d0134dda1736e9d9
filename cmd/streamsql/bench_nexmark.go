package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/streamsql/streamsql/connectors/nexmark/queries"
)

// The Nexmark suite: each runnable query of testdata/nexmark over the
// three generated tables (person, auction, bid; watermark delay 4 s),
// through StartJob + Run into a counting sink, with the generator inside
// the timing and over pre-generated Arrow batches. Pure Go; the DuckDB
// comparison is compiled in only under the duckdb build tag
// (bench_nexmark_duckdb.go sets openNexmarkDuck).
func init() { benchRunners["nexmark"] = benchNexmark }

// Nexmark modes: the tables generate their rows as they are read, or
// serve batches built before timing from memory streams.
const (
	modeGenerator    = "generator"
	modePregenerated = "pregenerated"
)

// nexmarkFloors are the per-core floors of issue 4 (pre-generated
// batches), in events per second per core.
var nexmarkFloors = map[string]float64{
	"q0": 2_000_000, "q1": 2_000_000, "q2": 2_000_000,
	"q5": 500_000, "q7": 500_000, "q8": 1_000_000,
}

type nexmarkOptions struct {
	events     int64
	cores      int // min(--cores, usable CPUs)
	splits     int
	runs       int
	format     string
	modes      []string
	queries    []queries.Query
	skipped    []queries.Query // unsupported, with --query all
	cpuprofile string
	duckdb     bool
}

func parseBenchNexmark(args []string) (*nexmarkOptions, error) {
	fs := newFlagSet("bench nexmark")
	o := &nexmarkOptions{}
	fs.Int64Var(&o.events, "events", 1_000_000, "events over the three tables (events.num)")
	cores := fs.Int("cores", runtime.NumCPU(), "GOMAXPROCS and the job's parallelism; per-core rates divide by min(this, usable CPUs)")
	fs.IntVar(&o.splits, "splits", 0, "splits per table (default: --cores)")
	fs.IntVar(&o.runs, "runs", 3, "timed runs per query and mode (the median is reported)")
	fs.StringVar(&o.format, "format", "table", "output: table or jsonl")
	only := fs.String("query", "all", "qN, a comma-separated list, or all (every query with status runs)")
	mode := fs.String("mode", "both", "generator, pregenerated or both")
	dir := fs.String("queries", "testdata/nexmark", "directory of the q*.sql query files")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of each query's timed runs to DIR/QUERY-MODE.pprof")
	fs.BoolVar(&o.duckdb, "duckdb", true, "time the DuckDB batch equivalents too (builds with -tags duckdb only)")
	if err := fs.Parse(args); err != nil {
		return nil, usagef("bench nexmark: %v", err)
	}
	if fs.NArg() > 0 {
		return nil, usagef("bench nexmark takes no arguments, got %q", fs.Args())
	}
	if o.events < 1 || *cores < 1 || o.runs < 1 || o.splits < 0 {
		return nil, usagef("bench nexmark: --events, --cores and --runs must be positive, --splits not negative")
	}
	o.cores = min(*cores, runtime.NumCPU())
	if o.splits == 0 {
		o.splits = *cores
	}
	if o.format != "table" && o.format != "jsonl" {
		return nil, usagef("bench nexmark: --format must be table or jsonl, not %q", o.format)
	}
	switch *mode {
	case "both":
		o.modes = []string{modeGenerator, modePregenerated}
	case modeGenerator, modePregenerated:
		o.modes = []string{*mode}
	default:
		return nil, usagef("bench nexmark: --mode must be generator, pregenerated or both, not %q", *mode)
	}
	all, err := queries.Load(*dir)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, usagef("bench nexmark: no q*.sql files in %s (run from the repository root or pass --queries DIR)", *dir)
	}
	if *only == "all" {
		for _, q := range all {
			if q.Runs {
				o.queries = append(o.queries, q)
			} else {
				o.skipped = append(o.skipped, q)
			}
		}
		return o, nil
	}
	for _, name := range strings.Split(*only, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(all, func(q queries.Query) bool { return q.Name == name })
		if i < 0 {
			return nil, usagef("bench nexmark: no query %q in %s", name, *dir)
		}
		if !all[i].Runs {
			return nil, usagef("bench nexmark: %s does not run: %s", name, all[i].Reason)
		}
		o.queries = append(o.queries, all[i])
	}
	return o, nil
}

// nexmarkBatchEngine times a query's batch equivalent over the
// pre-generated tables (DuckDB, under the duckdb build tag).
type nexmarkBatchEngine interface {
	// Time runs sql runs times, reading every row, and returns the median.
	Time(ctx context.Context, sql string, runs int) (time.Duration, error)
	Close() error
}

// openNexmarkDuck loads the tables into a batch engine using threads
// threads; nil when the binary has no DuckDB.
var openNexmarkDuck func(ctx context.Context, t *nexmarkTables, threads int) (nexmarkBatchEngine, error)

// nexmarkResult is one query in one mode: a table row or a JSONL object.
type nexmarkResult struct {
	Query             string  `json:"query"`
	Mode              string  `json:"mode"`
	GeneratorIncluded bool    `json:"generator_included"`
	Events            int64   `json:"events"`
	Seconds           float64 `json:"seconds"`
	EventsPerSec      float64 `json:"events_per_sec"`
	EventsPerSecCore  float64 `json:"events_per_sec_per_core"`
	Cores             int     `json:"cores"`
	CPUSeconds        float64 `json:"cpu_seconds,omitempty"`
	P50BatchMS        float64 `json:"p50_batch_ms"`
	P99BatchMS        float64 `json:"p99_batch_ms"`
	Batches           int     `json:"batches"`
	PeakRSSBytes      int64   `json:"peak_rss_bytes"`
	RSSSource         string  `json:"rss_source"`
	RowsOut           int64   `json:"rows_out"`
	FloorPerCore      float64 `json:"floor_per_core,omitempty"`
	DuckDBSeconds     float64 `json:"duckdb_seconds,omitempty"`
	DuckDBRatio       float64 `json:"duckdb_ratio,omitempty"` // our seconds / DuckDB's
}

func benchNexmark(args []string, out io.Writer) error {
	o, err := parseBenchNexmark(args)
	if err != nil {
		return err
	}
	ctx := context.Background()
	prev := runtime.GOMAXPROCS(o.cores)
	defer runtime.GOMAXPROCS(prev)
	if o.cpuprofile != "" {
		if err := os.MkdirAll(o.cpuprofile, 0o755); err != nil {
			return fmt.Errorf("creating profile directory: %w", err)
		}
	}
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...) }

	var pre *nexmarkTables
	if slices.Contains(o.modes, modePregenerated) || (o.duckdb && openNexmarkDuck != nil) {
		start := time.Now()
		if pre, err = pregenerateNexmark(o.events); err != nil {
			return err
		}
		defer pre.release()
		logf("pre-generated %d events (%d people, %d auctions, %d bids) in %s", o.events,
			pre.rows["person"], pre.rows["auction"], pre.rows["bid"], time.Since(start).Round(time.Millisecond))
	}
	var duck nexmarkBatchEngine
	if o.duckdb && openNexmarkDuck != nil {
		if duck, err = openNexmarkDuck(ctx, pre, o.cores); err != nil {
			return fmt.Errorf("loading the nexmark tables into DuckDB: %w", err)
		}
		defer duck.Close()
	}

	if o.format == "table" {
		printNexmarkHeader(out, o, duck != nil)
	}
	// A query that fails is reported and the others still run; the
	// command then fails with every error.
	var results []nexmarkResult
	var failed []error
	for _, q := range o.queries {
		var duckSecs float64
		if duck != nil && q.DuckDB != "" {
			d, err := duck.Time(ctx, q.DuckDB, o.runs)
			if err != nil {
				failed = append(failed, fmt.Errorf("timing nexmark %s in DuckDB: %w", q.Name, err))
			}
			duckSecs = d.Seconds()
		}
		for _, mode := range o.modes {
			r, err := benchNexmarkQuery(ctx, q, mode, pre, o)
			if err != nil {
				err = fmt.Errorf("benchmarking nexmark %s (%s): %w", q.Name, mode, err)
				logf("%v", err)
				failed = append(failed, err)
				break // the other mode plans the same query
			}
			if duckSecs > 0 {
				r.DuckDBSeconds, r.DuckDBRatio = duckSecs, r.Seconds/duckSecs
			}
			if o.format == "jsonl" {
				if err := json.NewEncoder(out).Encode(r); err != nil {
					return fmt.Errorf("writing results: %w", err)
				}
			}
			results = append(results, r)
		}
	}
	if o.format == "table" {
		printNexmarkResults(out, results, o.skipped, duck != nil)
		for _, err := range failed {
			fmt.Fprintf(out, "FAILED: %v\n", err)
		}
	}
	return errors.Join(failed...)
}

func printNexmarkHeader(out io.Writer, o *nexmarkOptions, duck bool) {
	fmt.Fprintf(out, "streamsql bench nexmark: %d events (person:auction:bid 1:3:46), watermark delay 4 s, %d splits per table, parallelism %d\n",
		o.events, o.splits, o.cores)
	fmt.Fprintf(out, "cores = min(--cores, CPUs usable=%d) = %d (GOMAXPROCS); per core = events/s ÷ %d; load average %s\n",
		runtime.NumCPU(), o.cores, o.cores, loadAverage())
	fmt.Fprintf(out, "time = StartJob + Run + Close, median of %d runs; events/s counts all events of the three tables, whichever the query reads;\n"+
		"events/cpu-s = events ÷ the median run's process CPU time (steadier than wall time when other load shares the machine)\n", o.runs)
	fmt.Fprintln(out, "generator: the tables generate rows (only the columns read) as they are read; pregenerated: Arrow batches built before timing, in memory streams")
	fmt.Fprintln(out, "batch ms = per split, the time from one source batch leaving Read to the next Read call (the split goroutine's work on the batch plus backpressure), p50/p99 over every batch of every run")
	fmt.Fprintln(out, "peak RSS = VmHWM, reset before each run (Linux; includes the pre-generated input), else Go heap sys")
	if duck {
		fmt.Fprintln(out, "duckdb = the query's batch equivalent over the same pre-generated tables, loaded into DuckDB tables before timing (median); ratio = our time / DuckDB's")
	}
}

func printNexmarkResults(out io.Writer, rs []nexmarkResult, skipped []queries.Query, duck bool) {
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "query\tmode\tevents\tmedian s\tevents/s\tevents/s/core\tevents/cpu-s\tp50 batch ms\tp99 batch ms\tpeak RSS MB\tout rows\tfloor/core\t"
	if duck {
		head += "duckdb s\tratio\t"
	}
	fmt.Fprintln(tw, head)
	for _, r := range rs {
		floor := "-"
		if r.FloorPerCore > 0 {
			verdict := "met"
			if r.EventsPerSecCore < r.FloorPerCore {
				verdict = "MISSED"
			}
			floor = fmt.Sprintf("%.0fk %s", r.FloorPerCore/1e3, verdict)
		}
		perCPU := "-"
		if r.CPUSeconds > 0 {
			perCPU = fmt.Sprintf("%.0f", float64(r.Events)/r.CPUSeconds)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.3f\t%.0f\t%.0f\t%s\t%.3f\t%.3f\t%.0f\t%d\t%s\t", r.Query, r.Mode, r.Events, r.Seconds,
			r.EventsPerSec, r.EventsPerSecCore, perCPU, r.P50BatchMS, r.P99BatchMS, float64(r.PeakRSSBytes)/1e6, r.RowsOut, floor)
		if duck {
			if r.DuckDBSeconds > 0 {
				fmt.Fprintf(tw, "%.3f\t%.2f×\t", r.DuckDBSeconds, r.DuckDBRatio)
			} else {
				fmt.Fprint(tw, "-\t-\t")
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if len(rs) > 0 {
		fmt.Fprintf(out, "floors (pregenerated only): q0–q2 ≥ 2M, q5 and q7 ≥ 500k, q8 ≥ 1M events/s per core; peak RSS from %s\n", rs[0].RSSSource)
	}
	for _, q := range skipped {
		fmt.Fprintf(out, "skipped %s (%s): %s\n", q.Name, q.Title, q.Reason)
	}
}
