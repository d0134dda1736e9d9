package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
	memconn "github.com/streamsql/streamsql/connectors/memory"
)

// The streaming suite: the seed's per-minute aggregate and a HOP window
// over generated events, from pre-built Arrow batches and from JSONL
// files, through StartJob + Run into a counting sink. Pure Go, so it is
// always compiled in.
func init() { benchRunners["stream"] = benchStream }

type streamQuery struct {
	name, sql string
	// check validates one run's output against the generated events.
	check func(r streamRun, ev *streamEvents) error
}

// hopWindows is how many HOP windows hold each event (size / slide).
const hopWindows = 6

var streamQueries = []streamQuery{
	{name: "seed", sql: `SELECT DATE_TRUNC('minute', timestamp) AS minute, COUNT(*) AS count, SUM(amount) AS total, AVG(amount) AS avg
FROM __input__ GROUP BY minute`, check: func(r streamRun, ev *streamEvents) error {
		if r.rows != int64(ev.minutes) || r.count != ev.n {
			return fmt.Errorf("got %d rows counting %d events, want one row per distinct minute (%d) counting %d", r.rows, r.count, ev.minutes, ev.n)
		}
		if !maps.Equal(r.perMinute, ev.perMinute) {
			return fmt.Errorf("the counts by minute differ from the generated ones")
		}
		return checkTotal(r.total, ev.amount)
	}},
	{name: "hop", sql: `SELECT window_start, window_end, key, count(*) AS count, sum(amount) AS total
FROM HOP(__input__, timestamp, INTERVAL '10' SECOND, INTERVAL '1' MINUTE) GROUP BY window_start, window_end, key`,
		check: func(r streamRun, ev *streamEvents) error {
			if r.count != hopWindows*ev.n {
				return fmt.Errorf("the counts sum to %d, want %d (each event in %d windows)", r.count, hopWindows*ev.n, hopWindows)
			}
			return checkTotal(r.total, hopWindows*ev.amount)
		}},
}

// checkTotal compares the summed totals with the generated amounts; the
// engine adds the doubles in another order, hence the tolerance.
func checkTotal(got, want float64) error {
	if math.Abs(got-want) > 1e-9*math.Abs(want) {
		return fmt.Errorf("the totals sum to %.2f, want %.2f", got, want)
	}
	return nil
}

// Floors from issue 3, in events per second per core.
const (
	floorArrow = 2_000_000
	floorJSONL = 400_000
)

type streamBenchOptions struct {
	events      int64
	keys        int
	runs        int
	parallelism int
	splits      int
	groups      int64
	queries     []streamQuery
	sources     []string
	cpuprofile  string
}

func parseBenchStream(args []string) (*streamBenchOptions, error) {
	fs := newFlagSet("bench stream")
	o := &streamBenchOptions{}
	fs.Int64Var(&o.events, "events", 1_000_000, "generated events (one per millisecond of event time)")
	fs.IntVar(&o.keys, "keys", 1000, "distinct values of the key column")
	fs.IntVar(&o.runs, "runs", 3, "timed runs per query and source (the median is reported)")
	fs.IntVar(&o.parallelism, "parallelism", runtime.NumCPU(), "key-partitioned instances of each window aggregate (JobOptions.Parallelism)")
	fs.IntVar(&o.splits, "splits", runtime.NumCPU(), "input splits (memory stream splits; JSONL files)")
	fs.Int64Var(&o.groups, "groups", 1_000_000, "open groups for the memory-per-group measurement (0 skips it)")
	only := fs.String("query", "seed,hop", "comma-separated queries to run: seed, hop")
	sources := fs.String("source", "arrow,jsonl", "comma-separated sources: arrow, jsonl")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of each query's timed runs to DIR/QUERY-SOURCE.pprof")
	if err := fs.Parse(args); err != nil {
		return nil, usagef("bench stream: %v", err)
	}
	if fs.NArg() > 0 {
		return nil, usagef("bench stream takes no arguments, got %q", fs.Args())
	}
	if o.events < 1 || o.keys < 1 || o.runs < 1 || o.parallelism < 1 || o.splits < 1 || o.groups < 0 {
		return nil, usagef("bench stream: --events, --keys, --runs, --parallelism and --splits must be positive, --groups not negative")
	}
	for _, name := range strings.Split(*only, ",") {
		i := slices.IndexFunc(streamQueries, func(q streamQuery) bool { return q.name == strings.TrimSpace(name) })
		if i < 0 {
			return nil, usagef("bench stream: no query %q (have seed, hop)", name)
		}
		o.queries = append(o.queries, streamQueries[i])
	}
	for _, s := range strings.Split(*sources, ",") {
		s = strings.TrimSpace(s)
		if s != "arrow" && s != "jsonl" {
			return nil, usagef("bench stream: no source %q (have arrow, jsonl)", s)
		}
		o.sources = append(o.sources, s)
	}
	return o, nil
}

// streamResult is one table row.
type streamResult struct {
	query, source string
	events        int64
	median        time.Duration
	cpu           time.Duration // median CPU time of a run; < 0 unknown
	peakHeap      int64         // largest over the runs
	peakLive      int64         // largest over the runs
	rows          int64
}

func benchStream(args []string, out io.Writer) error {
	o, err := parseBenchStream(args)
	if err != nil {
		return err
	}
	ctx := context.Background()
	cores := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...) }
	if o.cpuprofile != "" {
		if err := os.MkdirAll(o.cpuprofile, 0o755); err != nil {
			return fmt.Errorf("creating profile directory: %w", err)
		}
	}

	start := time.Now()
	ev := genStreamEvents(memory.NewGoAllocator(), o.events, o.keys)
	defer ev.release()
	logf("generated %d events (%d distinct minutes) in %s", ev.n, ev.minutes, time.Since(start).Round(time.Millisecond))
	inputs := map[string]catalog.Table{}
	var jsonlNote string
	for _, src := range o.sources {
		switch src {
		case "arrow":
			in, err := newArrowStream(ev, o.splits)
			if err != nil {
				return err
			}
			in.stream.CloseWrite()
			defer in.stream.Release()
			inputs[src] = in.table
		case "jsonl":
			dir, err := os.MkdirTemp("", "streamsql-bench-stream")
			if err != nil {
				return fmt.Errorf("creating temporary directory: %w", err)
			}
			defer os.RemoveAll(dir)
			glob, size, err := writeStreamJSONL(dir, ev, o.splits)
			if err != nil {
				return err
			}
			jsonlNote = fmt.Sprintf("jsonl: %.0f MB in %d files under %s, decoded by the file connector inside the timing", float64(size)/1e6, o.splits, dir)
			if inputs[src], err = openJSONLStream(glob); err != nil {
				return err
			}
		}
	}

	fmt.Fprintf(out, "streamsql bench stream: %d events, %d keys, %.1f min of event time (disorder ≤ %s, watermark delay %s), %d splits, parallelism %d\n",
		ev.n, o.keys, float64(ev.n*streamStep)/60e6, time.Duration(streamDisorder)*time.Microsecond, time.Duration(streamDelay)*time.Microsecond, o.splits, o.parallelism)
	fmt.Fprintf(out, "cores used = min(GOMAXPROCS=%d, CPUs usable=%d) = %d; per core = events/s ÷ %d; load average %s\n",
		runtime.GOMAXPROCS(0), runtime.NumCPU(), cores, cores, loadAverage())
	fmt.Fprintf(out, "arrow: pre-built batches of %d rows in a memory stream (built before timing)\n", streamBatchRows)
	if jsonlNote != "" {
		fmt.Fprintln(out, jsonlNote)
	}
	fmt.Fprintf(out, "time = StartJob + Run + Close, median of %d runs; cpu = process CPU time;\n"+
		"heap / live = peak Go heap in use / peak live heap after a GC (sampled every %s), above the pre-run baseline (which holds the arrow input)\n", o.runs, heapSampleEvery)

	var results []streamResult
	for _, src := range o.sources {
		for _, q := range o.queries {
			r, err := benchStreamQuery(ctx, q, src, inputs[src], ev, o)
			if err != nil {
				return fmt.Errorf("benchmarking %s from %s: %w", q.name, src, err)
			}
			results = append(results, r)
		}
	}
	printStreamResults(out, results, cores)

	if o.groups > 0 {
		g := genOpenGroups(memory.NewGoAllocator(), o.groups)
		res, err := measureOpenGroups(ctx, g, o.parallelism)
		g.release()
		if err != nil {
			return fmt.Errorf("measuring open groups: %w", err)
		}
		// Bytes per group equal MB per 1M groups.
		state, heap := float64(res.stateBytes)/float64(res.groups), float64(res.heapGrowth)/float64(res.groups)
		fmt.Fprintf(out, "\nopen groups: %d distinct keys in one open 1-minute TUMBLE (key, count, sum); then one row each once the input ends: ok\n", res.groups)
		fmt.Fprintf(out, "per 1M open groups: state %.1f MB (Metrics.StateBytes), live heap growth %.1f MB (after GC, input batches excluded)\n", state, heap)
	}
	return nil
}

// arrowStream is the arrow source: a memory stream over the generated
// batches, wrapped with the event time.
type arrowStream struct {
	stream *memconn.Stream
	table  catalog.Table
}

func newArrowStream(ev *streamEvents, splits int) (*arrowStream, error) {
	s := memconn.NewStreamSplits(streamSchema, splits)
	for i, bs := range splitBatches(ev.batches, splits) {
		for _, b := range bs {
			if err := s.AppendTo(i, b); err != nil {
				return nil, err
			}
		}
	}
	t, err := catalog.NewStreamTable(s, streamEventTime())
	if err != nil {
		return nil, err
	}
	return &arrowStream{stream: s, table: t}, nil
}

func openJSONLStream(glob string) (catalog.Table, error) {
	t, err := file.Open(glob, file.Options{Format: file.FormatJSONL, Schema: streamSchema})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", glob, err)
	}
	return catalog.NewStreamTable(t, streamEventTime())
}

func streamEventTime() catalog.EventTime {
	return catalog.EventTime{Column: "timestamp", Delay: streamDelay}
}

// benchStreamQuery runs q o.runs times from input, checking every run.
func benchStreamQuery(ctx context.Context, q streamQuery, src string, input catalog.Table, ev *streamEvents, o *streamBenchOptions) (streamResult, error) {
	res := streamResult{query: q.name, source: src, events: ev.n}
	// One engine for all runs: closing it would release the input.
	eng := streamsql.New()
	if o.cpuprofile != "" {
		f, err := os.Create(filepath.Join(o.cpuprofile, q.name+"-"+src+".pprof"))
		if err != nil {
			return res, fmt.Errorf("creating profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, fmt.Errorf("starting profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	walls := make([]time.Duration, o.runs)
	cpus := make([]time.Duration, o.runs)
	for i := range walls {
		r, err := runStreamJob(ctx, eng, q.sql, input, o.parallelism)
		if err != nil {
			return res, err
		}
		if r.metrics.EventsIn != ev.n || r.metrics.Late != 0 {
			return res, fmt.Errorf("read %d events with %d late, want %d and none", r.metrics.EventsIn, r.metrics.Late, ev.n)
		}
		if err := q.check(r, ev); err != nil {
			return res, err
		}
		walls[i], cpus[i] = r.wall, r.cpu
		res.peakHeap, res.peakLive = max(res.peakHeap, r.peakHeap), max(res.peakLive, r.peakLive)
		res.rows = r.rows
	}
	res.median, res.cpu = median(walls), median(cpus)
	return res, nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

func printStreamResults(out io.Writer, rs []streamResult, cores int) {
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\tsource\tevents\tmedian s\tevents/s\tevents/s/core\tcpu s\tevents/cpu-s\tout rows\theap MB\tlive MB\tfloor/core\tfloor\t")
	for _, r := range rs {
		rate := float64(r.events) / r.median.Seconds()
		perCore := rate / float64(cores)
		floor := floorArrow
		if r.source == "jsonl" {
			floor = floorJSONL
		}
		verdict := "met"
		if perCore < float64(floor) {
			verdict = "MISSED"
		}
		cpu, perCPU := "-", "-"
		if r.cpu > 0 {
			cpu = fmt.Sprintf("%.3f", r.cpu.Seconds())
			perCPU = fmt.Sprintf("%.0f", float64(r.events)/r.cpu.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.3f\t%.0f\t%.0f\t%s\t%s\t%d\t%.1f\t%.1f\t%d\t%s\t\n", r.query, r.source, r.events, r.median.Seconds(),
			rate, perCore, cpu, perCPU, r.rows, float64(r.peakHeap)/1e6, float64(r.peakLive)/1e6, floor, verdict)
	}
	tw.Flush()
	fmt.Fprintln(out, "check: every run read every event, none late; seed: one row per distinct minute with its exact count, totals summing to the amounts; hop: counts and totals summing to 6× the events' and amounts: ok")
}

// loadAverage is the 1/5/15-minute load average where the system shows
// it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
