//go:build duckdb

package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/difftest"
)

// The batch suite: the same queries over the same Parquet files in
// streamsql and in DuckDB (linked in-process through cgo, hence the build
// tag), timed end to end including the Parquet reads.
func init() { benchRunners["batch"] = benchBatch }

type benchQuery struct {
	name, sql string
	duck      string // DuckDB's spelling when it differs
}

var batchQueries = []benchQuery{
	{name: "filter_count", sql: "SELECT count(*) FROM facts WHERE amount > 500 AND status = 'paid'"},
	{name: "groupby_status", sql: "SELECT status, count(*), sum(amount), avg(amount) FROM facts GROUP BY status"},
	{name: "groupby_user", sql: "SELECT user_id, count(*), sum(amount) FROM facts GROUP BY user_id"},
	{name: "groupby_key_status", sql: "SELECT key, status, count(*), avg(amount) FROM facts GROUP BY key, status"},
	{name: "minute_agg", sql: "SELECT date_trunc('minute', ts) AS minute, count(*), sum(amount) FROM facts GROUP BY 1"},
	{name: "topn", sql: "SELECT ts, key, status, amount, user_id FROM facts ORDER BY amount DESC LIMIT 10"},
	{name: "join_segment", sql: "SELECT u.segment, count(*), sum(f.amount) FROM facts f JOIN users u ON f.user_id = u.user_id GROUP BY u.segment"},
}

// benchTolerance bounds the relative difference of aggregates over
// millions of doubles, which the engines sum in different orders.
const benchTolerance = 1e-6

type benchResult struct {
	Query       string  `json:"query"`
	Threads     int     `json:"threads"`
	StreamsqlMS float64 `json:"streamsql_ms"`
	DuckdbMS    float64 `json:"duckdb_ms"`
	Ratio       float64 `json:"ratio"`
	// CPU time per run (process user+system time over the timed runs,
	// divided by their number): robust where other load shares the
	// machine. Zero where unknown.
	StreamsqlCPUMS float64 `json:"streamsql_cpu_ms,omitempty"`
	DuckdbCPUMS    float64 `json:"duckdb_cpu_ms,omitempty"`
	Rows           int64   `json:"rows"`
	Match          bool    `json:"match"`
	cores          float64 // CPU time / wall time of the streamsql runs; 0 unknown
	diff           error
}

type benchOptions struct {
	rows       int64
	runs       int
	threads    []int
	dir        string
	format     string
	queries    []benchQuery
	cpuprofile string
}

func parseBenchBatch(args []string) (*benchOptions, error) {
	fs := newFlagSet("bench batch")
	o := &benchOptions{}
	fs.Int64Var(&o.rows, "rows", 10_000_000, "fact table rows")
	fs.IntVar(&o.runs, "runs", 5, "timed runs per query and engine (the median is reported), after one warm-up")
	threads := fs.String("threads", defaultThreads(), "comma-separated thread settings: GOMAXPROCS for streamsql, SET threads for DuckDB")
	fs.StringVar(&o.dir, "dir", "", "directory for the Parquet files, reused when they match (default: a temporary directory)")
	fs.StringVar(&o.format, "format", "table", "output: table or jsonl")
	only := fs.String("query", "", "comma-separated query names to run (default: all)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of each query's timed streamsql runs to DIR/QUERY-tN.pprof")
	if err := fs.Parse(args); err != nil {
		return nil, usagef("bench batch: %v", err)
	}
	if fs.NArg() > 0 {
		return nil, usagef("bench batch takes no arguments, got %q", fs.Args())
	}
	if o.rows < 1 || o.runs < 1 {
		return nil, usagef("bench batch: --rows and --runs must be positive")
	}
	if o.format != "table" && o.format != "jsonl" {
		return nil, usagef("bench batch: --format must be table or jsonl, not %q", o.format)
	}
	for _, t := range strings.Split(*threads, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil || n < 1 {
			return nil, usagef("bench batch: --threads wants positive integers, got %q", t)
		}
		o.threads = append(o.threads, n)
	}
	o.queries = batchQueries
	if *only != "" {
		o.queries = nil
		for _, name := range strings.Split(*only, ",") {
			i := slices.IndexFunc(batchQueries, func(q benchQuery) bool { return q.name == strings.TrimSpace(name) })
			if i < 0 {
				return nil, usagef("bench batch: no query %q (have %s)", name, benchQueryNames())
			}
			o.queries = append(o.queries, batchQueries[i])
		}
	}
	return o, nil
}

func defaultThreads() string {
	if n := runtime.NumCPU(); n > 1 {
		return "1," + strconv.Itoa(n)
	}
	return "1"
}

func benchQueryNames() string {
	var names []string
	for _, q := range batchQueries {
		names = append(names, q.name)
	}
	return strings.Join(names, ", ")
}

func benchBatch(args []string, out io.Writer) error {
	o, err := parseBenchBatch(args)
	if err != nil {
		return err
	}
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...) }
	if o.dir == "" {
		if o.dir, err = os.MkdirTemp("", "streamsql-bench"); err != nil {
			return err
		}
		defer os.RemoveAll(o.dir)
	}
	if o.cpuprofile != "" {
		if err := os.MkdirAll(o.cpuprofile, 0o755); err != nil {
			return err
		}
	}
	facts, users, err := benchFiles(o.dir, o.rows, logf)
	if err != nil {
		return err
	}
	ctx := context.Background()
	duck, err := difftest.OpenDuckDB(ctx)
	if err != nil {
		return err
	}
	defer duck.Close()
	tables := map[string]string{"facts": facts, "users": users}
	for name, path := range tables {
		v := fmt.Sprintf("CREATE VIEW %s AS SELECT * FROM read_parquet('%s')", name, strings.ReplaceAll(path, "'", "''"))
		if _, err := duck.ExecContext(ctx, v); err != nil {
			return fmt.Errorf("duckdb: %s: %w", v, err)
		}
	}
	if o.format == "table" {
		size := int64(0)
		if st, err := os.Stat(facts); err == nil {
			size = st.Size()
		}
		fmt.Fprintf(out, "streamsql bench batch: %d fact rows (%.0f MB Parquet, zstd, %d-row row groups) and %d users in %s\n",
			o.rows, float64(size)/1e6, benchRowGroup, benchUsers, filepath.Dir(facts))
		fmt.Fprintf(out, "end-to-end time including Parquet reads, median of %d runs after 1 warm-up; ratio = streamsql / duckdb\n", o.runs)
	}
	prevProcs := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prevProcs)
	var all []benchResult
	for _, t := range o.threads {
		section, err := benchSection(ctx, duck, tables, t, o, out)
		if err != nil {
			return err
		}
		if o.format == "table" {
			printBenchSection(out, t, section)
		}
		all = append(all, section...)
	}
	var bad []string
	for _, r := range all {
		if !r.Match {
			logf("%s (threads=%d): results differ: %v", r.Query, r.Threads, r.diff)
			bad = append(bad, fmt.Sprintf("%s/t%d", r.Query, r.Threads))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("streamsql and DuckDB disagree on %s", strings.Join(bad, ", "))
	}
	return nil
}

// benchSection runs every query with threads threads: DuckDB with SET
// threads, streamsql with a fresh engine of that parallelism and
// GOMAXPROCS (so threads=1 is one core for the Go runtime too).
func benchSection(ctx context.Context, duck *sql.DB, tables map[string]string, threads int, o *benchOptions, out io.Writer) ([]benchResult, error) {
	runtime.GOMAXPROCS(threads)
	if _, err := duck.ExecContext(ctx, fmt.Sprintf("SET threads = %d", threads)); err != nil {
		return nil, fmt.Errorf("duckdb: SET threads = %d: %w", threads, err)
	}
	db := streamsql.New(streamsql.WithParallelism(threads))
	defer db.Close()
	for name, path := range tables {
		if err := db.RegisterFile(name, path, file.Options{}); err != nil {
			return nil, err
		}
	}
	var section []benchResult
	for _, q := range o.queries {
		r, err := benchOne(ctx, db, duck, q, threads, o)
		if err != nil {
			return nil, fmt.Errorf("%s (threads=%d): %w", q.name, threads, err)
		}
		section = append(section, r)
		if o.format == "jsonl" {
			if err := json.NewEncoder(out).Encode(r); err != nil {
				return nil, err
			}
		}
	}
	return section, nil
}

// benchOne checks q's answer in both engines (the warm-up run), then
// times o.runs runs of each.
func benchOne(ctx context.Context, db *streamsql.Engine, duck *sql.DB, q benchQuery, threads int, o *benchOptions) (benchResult, error) {
	r := benchResult{Query: q.name, Threads: threads}
	duckSQL := q.sql
	if q.duck != "" {
		duckSQL = q.duck
	}
	got, err := difftest.EngineQuery(ctx, db, q.sql)
	if err != nil {
		return r, fmt.Errorf("streamsql: %w", err)
	}
	want, err := difftest.DuckQuery(ctx, duck, duckSQL)
	if err != nil {
		return r, fmt.Errorf("duckdb: %w", err)
	}
	r.Rows = int64(len(got.Rows))
	r.diff = difftest.DiffTol(got, want, difftest.HasTopLevelOrderBy(q.sql), benchTolerance)
	r.Match = r.diff == nil

	if o.cpuprofile != "" {
		f, err := os.Create(filepath.Join(o.cpuprofile, fmt.Sprintf("%s-t%d.pprof", q.name, threads)))
		if err != nil {
			return r, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return r, err
		}
	}
	ss, ssCPU, ssWall, err := timeRuns(o.runs, func() error {
		res, err := db.Query(ctx, q.sql)
		if err == nil {
			res.Release()
		}
		return err
	})
	if o.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return r, fmt.Errorf("streamsql: %w", err)
	}
	if ssCPU > 0 {
		r.cores = float64(ssCPU) / float64(ssWall)
		r.StreamsqlCPUMS = ms(ssCPU / time.Duration(o.runs))
	}
	dk, dkCPU, _, err := timeRuns(o.runs, func() error { return drainDuck(ctx, duck, duckSQL) })
	if err != nil {
		return r, fmt.Errorf("duckdb: %w", err)
	}
	if dkCPU > 0 {
		r.DuckdbCPUMS = ms(dkCPU / time.Duration(o.runs))
	}
	r.StreamsqlMS, r.DuckdbMS = ms(ss), ms(dk)
	r.Ratio = math.Round(float64(ss)/float64(dk)*1000) / 1000
	return r, nil
}

// timeRuns runs f n times and returns the median wall time, and the
// process CPU time and wall time of all runs together (CPU -1 when
// unknown).
func timeRuns(n int, f func() error) (median, cpu, wall time.Duration, err error) {
	ds := make([]time.Duration, n)
	cpu0, wall0 := processCPU(), time.Now()
	for i := range ds {
		start := time.Now()
		if err := f(); err != nil {
			return 0, 0, 0, err
		}
		ds[i] = time.Since(start)
	}
	cpu1, wall := processCPU(), time.Since(wall0)
	cpu = -1
	if cpu0 >= 0 && cpu1 >= 0 {
		cpu = cpu1 - cpu0
	}
	slices.Sort(ds)
	if n%2 == 1 {
		return ds[n/2], cpu, wall, nil
	}
	return (ds[n/2-1] + ds[n/2]) / 2, cpu, wall, nil
}

// drainDuck runs q in DuckDB and reads every row, as a client would.
func drainDuck(ctx context.Context, duck *sql.DB, q string) error {
	rows, err := duck.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
	}
	return rows.Err()
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

func printBenchSection(out io.Writer, threads int, rs []benchResult) {
	fmt.Fprintf(out, "\nthreads=%d (streamsql WithParallelism(%d) and GOMAXPROCS=%d, DuckDB SET threads=%d)\n", threads, threads, threads, threads)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\tstreamsql ms\tduckdb ms\tratio\tstreamsql cpu ms\tduckdb cpu ms\tcpu ratio\tstreamsql cores\trows\tcheck\t")
	logSum, worst := 0.0, 0.0
	var serial []string
	for _, r := range rs {
		check := "ok"
		if !r.Match {
			check = "DIFF"
		}
		cpuRatio := "-"
		if r.StreamsqlCPUMS > 0 && r.DuckdbCPUMS > 0 {
			cpuRatio = fmt.Sprintf("%.2f×", r.StreamsqlCPUMS/r.DuckdbCPUMS)
		}
		cores := "-"
		if r.cores > 0 {
			cores = fmt.Sprintf("%.2f", r.cores)
			if r.cores < 1.25 {
				serial = append(serial, r.Query)
			}
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.2f×\t%.1f\t%.1f\t%s\t%s\t%d\t%s\t\n", r.Query, r.StreamsqlMS, r.DuckdbMS, r.Ratio,
			r.StreamsqlCPUMS, r.DuckdbCPUMS, cpuRatio, cores, r.Rows, check)
		logSum += math.Log(r.Ratio)
		worst = max(worst, r.Ratio)
	}
	tw.Flush()
	geo := math.Exp(logSum / float64(len(rs)))
	verdict := "met"
	if worst > 5 || geo > 3 {
		verdict = "NOT met"
	}
	fmt.Fprintf(out, "geometric mean ratio %.2f×, worst %.2f× (floor: worst ≤ 5×, geomean ≤ 3×: %s)\n", geo, worst, verdict)
	if threads > 1 && len(serial) > 0 {
		fmt.Fprintf(out, "note: streamsql kept about one core busy (cores = CPU time / wall time, GC included; understated when other processes load the machine) on: %s\n",
			strings.Join(serial, ", "))
	}
}
