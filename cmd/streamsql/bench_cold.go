package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/pprof"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/iceberg"
)

// The cold suite: events written through the Iceberg sink into a fresh
// warehouse (identity(topic) + hour(ts), one checkpoint per hour), then a
// last-hour aggregate and a full-table aggregate through the engine,
// reporting the files Iceberg planning kept; with the duckdb build tag,
// DuckDB read_parquet over the same data files in the same run.
func init() { benchRunners["cold"] = benchCold }

// coldTable is the bench table's name in the warehouse.
const coldTable = "bench.events"

// coldDuckDB times queries in DuckDB over the table's data files (median of
// runs after one warm-up) and returns each query's count(*) total as a
// check. Set by bench_cold_duckdb.go; nil without the duckdb build tag.
var coldDuckDB func(ctx context.Context, files []string, queries []string, runs int) (medians []time.Duration, counts []int64, err error)

type coldOptions struct {
	events     int64
	runs       int
	cpuprofile string
}

func parseBenchCold(args []string) (*coldOptions, error) {
	fs := newFlagSet("bench cold")
	o := &coldOptions{}
	fs.Int64Var(&o.events, "events", 10_000_000, "events written to the Iceberg table (over 48 hours)")
	fs.IntVar(&o.runs, "runs", 5, "timed runs per query and engine (the median is reported), after one warm-up")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the timed streamsql runs to FILE")
	if err := fs.Parse(args); err != nil {
		return nil, usagef("bench cold: %v", err)
	}
	if fs.NArg() > 0 {
		return nil, usagef("bench cold takes no arguments, got %q", fs.Args())
	}
	if o.events < coldHours || o.runs < 1 {
		return nil, usagef("bench cold: --events must be at least %d and --runs positive", coldHours)
	}
	return o, nil
}

// coldQuery is one timed query with its expected answer (from the
// generator), in streamsql's and DuckDB's spelling.
type coldQuery struct {
	name, sql, duck string
	want            coldTotals
	// measured
	ssMedian, duckMedian time.Duration
	considered, read     int64
}

func coldQueries(ev *coldEvents) []*coldQuery {
	const agg = "SELECT topic, count(*), sum(amount) FROM "
	lo := time.UnixMicro(ev.maxTS).UTC().Format("2006-01-02 15:04:05.000000")
	return []*coldQuery{
		{
			name: "last_hour",
			sql:  agg + coldTable + " WHERE ts > TIMESTAMP '" + lo + "' - INTERVAL '1 hour' GROUP BY topic",
			duck: agg + "cold WHERE ts > TIMESTAMPTZ '" + lo + "+00' - INTERVAL '1 hour' GROUP BY topic",
			want: ev.lastHour,
		},
		{
			name: "full_scan",
			sql:  agg + coldTable + " GROUP BY topic",
			duck: agg + "cold GROUP BY topic",
			want: ev.all,
		},
	}
}

func benchCold(args []string, out io.Writer) error {
	o, err := parseBenchCold(args)
	if err != nil {
		return err
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "streamsql-bench-cold")
	if err != nil {
		return fmt.Errorf("creating temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	w, err := iceberg.OpenWarehouse(dir)
	if err != nil {
		return err
	}
	defer w.Close()

	start := time.Now()
	ev, err := writeColdTable(ctx, w, o.events)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "streamsql bench cold: %d events over %d hours written through the Iceberg sink in %.1f s (%d data files, %.0f MB, %d snapshots; identity(topic) + hour(ts))\n",
		o.events, coldHours, time.Since(start).Seconds(), len(ev.files), float64(ev.bytes)/1e6, coldHours)
	fmt.Fprintf(out, "end-to-end time including planning and Parquet reads, median of %d runs after 1 warm-up; load average %s\n", o.runs, loadAverage())

	qs := coldQueries(ev)
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return fmt.Errorf("creating CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("starting CPU profile: %w", err)
		}
	}
	err = timeColdEngine(ctx, dir, qs, o.runs)
	if o.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	duck := coldDuckDB != nil
	if duck {
		sqls := make([]string, len(qs))
		for i, q := range qs {
			sqls[i] = q.duck
		}
		medians, counts, err := coldDuckDB(ctx, ev.files, sqls, o.runs)
		if err != nil {
			return err
		}
		for i, q := range qs {
			if counts[i] != q.want.count() {
				return fmt.Errorf("bench cold: duckdb %s counted %d rows, want %d", q.name, counts[i], q.want.count())
			}
			q.duckMedian = medians[i]
		}
	}
	printCold(out, qs, duck)
	return nil
}

// timeColdEngine runs each query through a fresh engine with the
// warehouse attached: one checked warm-up, then runs timed runs.
func timeColdEngine(ctx context.Context, dir string, qs []*coldQuery, runs int) error {
	db := streamsql.New()
	defer db.Close()
	w, err := attachWarehouse(ctx, db, dir)
	if err != nil {
		return err
	}
	defer w.Close()
	t, err := w.Table(ctx, coldTable, iceberg.TableOptions{})
	if err != nil {
		return err
	}
	st := &statsTable{Table: t}
	db.RegisterTable(coldTable, st)
	for _, q := range qs {
		st.reset()
		res, err := db.Query(ctx, q.sql)
		if err != nil {
			return fmt.Errorf("bench cold: %s: %w", q.name, err)
		}
		got, err := coldResult(res)
		res.Release()
		if err != nil {
			return fmt.Errorf("bench cold: %s: %w", q.name, err)
		}
		if err := got.check(q.want); err != nil {
			return fmt.Errorf("bench cold: %s: %w", q.name, err)
		}
		stats := st.lastStats()
		q.considered, q.read = stats["files_considered"], stats["files_read"]
		walls := make([]time.Duration, runs)
		for i := range walls {
			t0 := time.Now()
			res, err := db.Query(ctx, q.sql)
			if err != nil {
				return fmt.Errorf("bench cold: %s: %w", q.name, err)
			}
			walls[i] = time.Since(t0)
			res.Release()
		}
		q.ssMedian = median(walls)
	}
	return nil
}

// coldResult reads a (topic, count, sum) result into totals.
func coldResult(res *streamsql.Result) (coldTotals, error) {
	got := coldTotals{}
	for _, b := range res.Batches {
		if b.NumCols() != 3 {
			return nil, fmt.Errorf("result has %d columns, want 3", b.NumCols())
		}
		topics, ok1 := b.Column(0).(*array.String)
		counts, ok2 := b.Column(1).(*array.Int64)
		sums, ok3 := b.Column(2).(*array.Float64)
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("result columns are %s, want (string, int64, double)", b.Schema())
		}
		for i := 0; i < int(b.NumRows()); i++ {
			got[topics.Value(i)] = coldTotal{n: counts.Value(i), sum: sums.Value(i)}
		}
	}
	return got, nil
}

// statsTable sums the scan statistics of the readers it handed out since
// the last reset, taken at Close (when they are final): the shares of a
// parallel scan add up to the whole scan.
type statsTable struct {
	*iceberg.Table
	mu   sync.Mutex
	last map[string]int64
}

func (t *statsTable) Scan(ctx context.Context, req catalog.ScanRequest) (catalog.BatchReader, error) {
	r, err := t.Table.Scan(ctx, req)
	if err != nil {
		return nil, err
	}
	return &statsReader{BatchReader: r, t: t}, nil
}

func (t *statsTable) lastStats() map[string]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

func (t *statsTable) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = map[string]int64{}
}

type statsReader struct {
	catalog.BatchReader
	t *statsTable
}

func (r *statsReader) Stats() map[string]int64 {
	if s, ok := r.BatchReader.(catalog.ScanStats); ok {
		return s.Stats()
	}
	return nil
}

func (r *statsReader) Close() error {
	s := r.Stats()
	r.t.mu.Lock()
	if r.t.last == nil {
		r.t.last = map[string]int64{}
	}
	for k, v := range s {
		r.t.last[k] += v
	}
	r.t.mu.Unlock()
	return r.BatchReader.Close()
}

var _ catalog.ScanStats = (*statsReader)(nil)

func printCold(out io.Writer, qs []*coldQuery, duck bool) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\tfiles considered\tfiles read\tstreamsql ms\tduckdb ms\tratio\trows\tcheck\t")
	for _, q := range qs {
		dk, ratio := "-", "-"
		if duck {
			dk = fmt.Sprintf("%.1f", ms64(q.duckMedian))
			ratio = fmt.Sprintf("%.2f×", float64(q.ssMedian)/float64(q.duckMedian))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%s\t%s\t%d\tok\t\n", q.name, q.considered, q.read, ms64(q.ssMedian), dk, ratio, q.want.count())
	}
	tw.Flush()
	last, full := qs[0], qs[1]
	verdict := func(ok bool) string {
		if ok {
			return "holds"
		}
		return "MISSED"
	}
	fmt.Fprintf(out, "floor: last_hour reads at most 1/40 of the files: %d of %d (1/%.0f): %s\n", last.read, last.considered,
		float64(last.considered)/math.Max(float64(last.read), 1), verdict(last.read*40 <= last.considered))
	speedup := float64(full.ssMedian) / float64(last.ssMedian)
	fmt.Fprintf(out, "floor: last_hour at least 10× faster than full_scan: %.1f×: %s\n", speedup, verdict(speedup >= 10))
	if duck {
		r := float64(full.ssMedian) / float64(full.duckMedian)
		fmt.Fprintf(out, "floor: full_scan at most 3× DuckDB: %.2f×: %s\n", r, verdict(r <= 3))
	} else {
		fmt.Fprintln(out, "floor: full_scan at most 3× DuckDB: not measured (build with -tags duckdb)")
	}
}

func ms64(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// coldSchema is the bench table: event time, topic, amount, user and key.
var coldSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "topic", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "user_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "key", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)
