//go:build duckdb

package difftest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	smem "github.com/streamsql/streamsql/connectors/memory"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/operators"
)

// streamIterations is the number of generated streams.
const streamIterations = 30

// streamAggs are the aggregates of every window query, the same text in
// both engines.
const streamAggs = `count(*) AS n, count(amount) AS na, sum(amount) AS total, avg(amount) AS mean,
  min(amount) AS lo, max(amount) AS hi, sum(v) AS sv, min(v) AS vlo, max(v) AS vhi,
  count(*) FILTER (WHERE v > 50) AS big, min(ts) AS first, max(ts) AS last`

// streamQuery is a streaming query over __input__ (ts, k, amount, v) and
// the same answer as a batch query over DuckDB's table ev. {gap} in
// either stands for the iteration's session gap in seconds.
type streamQuery struct {
	name string
	sql  string
	duck string
	// changelog: the query is an updating result even without EMIT
	// CHANGES (an aggregate without a window).
	changelog bool
}

var streamQueries = []streamQuery{
	{
		name: "date_trunc_minute",
		sql:  "SELECT DATE_TRUNC('minute', ts) AS minute, " + streamAggs + " FROM __input__ GROUP BY minute",
		duck: "SELECT date_trunc('minute', ts) AS minute, " + streamAggs + " FROM ev GROUP BY 1",
	},
	{
		name: "tumble_10s_by_key",
		sql: "SELECT window_start, window_end, k, " + streamAggs +
			" FROM TUMBLE(__input__, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end, k",
		duck: "SELECT make_timestamp(epoch_us(ts) // 10000000 * 10000000) AS ws, ws + INTERVAL 10 SECOND AS we, k, " +
			streamAggs + " FROM ev GROUP BY ALL",
	},
	{
		// Each event is in the three windows starting at its 10 s bucket
		// and the two before.
		name: "hop_10s_30s",
		sql: "SELECT window_start, window_end, " + streamAggs +
			" FROM HOP(__input__, ts, INTERVAL '10' SECOND, INTERVAL '30' SECOND) GROUP BY window_start, window_end",
		duck: "SELECT make_timestamp((epoch_us(ts) // 10000000 - h) * 10000000) AS ws, ws + INTERVAL 30 SECOND AS we, " +
			streamAggs + " FROM ev, range(3) AS r(h) GROUP BY ALL",
	},
	{
		// A session of a key starts at an event at least the gap after the
		// key's previous one and ends the gap after its last event. Equal
		// times are peers in the running sum (RANGE frame), so they stay
		// in one session whatever their order.
		name: "session_by_key",
		sql: "SELECT k, window_start, window_end, " + streamAggs +
			" FROM SESSION(__input__, ts, INTERVAL '{gap}' SECOND) GROUP BY window_start, window_end, k",
		duck: `WITH marked AS (
  SELECT *, CASE WHEN ts - lag(ts) OVER (PARTITION BY k ORDER BY ts) < INTERVAL {gap} SECOND THEN 0 ELSE 1 END AS starts
  FROM ev),
numbered AS (SELECT *, sum(starts) OVER (PARTITION BY k ORDER BY ts) AS session FROM marked)
SELECT k, min(ts) AS ws, max(ts) + INTERVAL {gap} SECOND AS we, ` + streamAggs + `
FROM numbered GROUP BY k, session`,
	},
	{
		// DISTINCT and VARCHAR aggregates, whose state merges across the
		// slices a hopping window spans.
		name: "hop_distinct",
		sql: "SELECT window_start, window_end, count(DISTINCT k) AS dk, min(k) AS klo, max(k) AS khi, count(DISTINCT v) AS dv," +
			" sum(DISTINCT v) AS sdv FROM HOP(__input__, ts, INTERVAL '10' SECOND, INTERVAL '30' SECOND) GROUP BY window_start, window_end",
		duck: "SELECT make_timestamp((epoch_us(ts) // 10000000 - h) * 10000000) AS ws, ws + INTERVAL 30 SECOND AS we, count(DISTINCT k) AS dk," +
			" min(k) AS klo, max(k) AS khi, count(DISTINCT v) AS dv, sum(DISTINCT v) AS sdv FROM ev, range(3) AS r(h) GROUP BY ALL",
	},
	{
		// The Arroyo spelling, and date_bin: tumbling windows too.
		name: "group_by_tumble",
		sql:  "SELECT k, count(*) AS n, sum(amount) AS total FROM __input__ GROUP BY k, TUMBLE(INTERVAL '10' SECOND)",
		duck: "SELECT k, count(*) AS n, sum(amount) AS total FROM ev GROUP BY k, epoch_us(ts) // 10000000",
	},
	{
		name: "date_bin_15s",
		sql:  "SELECT date_bin(INTERVAL '15' SECOND, ts) AS b, k, count(DISTINCT v) AS dv, avg(v) AS av FROM __input__ GROUP BY b, k",
		duck: "SELECT make_timestamp(epoch_us(ts) // 15000000 * 15000000) AS b, k, count(DISTINCT v) AS dv, avg(v) AS av FROM ev GROUP BY ALL",
	},
	{
		name:      "unwindowed_by_key",
		sql:       "SELECT k, " + streamAggs + " FROM __input__ GROUP BY k",
		duck:      "SELECT k, " + streamAggs + " FROM ev GROUP BY k",
		changelog: true,
	},
}

// TestStreamPropertyWindows runs generated event streams through
// streaming jobs (tumbling windows by DATE_TRUNC and by TUMBLE, hopping
// and session windows, an unwindowed changelog aggregate) and compares
// the rows after the end of input with DuckDB's batch GROUP BY over the
// same events: the closed windows as emitted (EMIT ON WINDOW CLOSE), and
// the state left by applying the EMIT CHANGES changelog (+insert
// -delete). Streams vary in size, keys, NULLs, disorder below the
// watermark delay, batch boundaries, splits, parallelism, Run or Poll, and
// in some Poll cases a restart from a checkpoint taken half way.
func TestStreamPropertyWindows(t *testing.T) {
	ctx := context.Background()
	duck, err := OpenDuckDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	for i := range streamIterations {
		c := genStreamCase(uint64(i + 1))
		t.Run(fmt.Sprintf("seed%02d", c.seed), func(t *testing.T) {
			t.Log(c)
			if err := c.loadDuck(ctx, duck); err != nil {
				t.Fatal(err)
			}
			in, err := c.stream()
			if err != nil {
				t.Fatal(err)
			}
			defer in.Release()
			for _, q := range streamQueries {
				want, err := DuckQuery(ctx, duck, c.withGap(q.duck))
				if err != nil {
					t.Fatalf("%s: duckdb: %v", q.name, err)
				}
				modes := []bool{false, true} // EMIT CHANGES?
				if q.changelog {
					modes = []bool{true}
				}
				for _, changes := range modes {
					script := c.withGap(q.sql)
					if changes && !q.changelog {
						script += " EMIT CHANGES"
					}
					got, err := runStreamQuery(ctx, c, in, script, changes, t.TempDir())
					if err == nil {
						err = DiffTol(got, want, false, 1e-9)
					}
					if err != nil {
						t.Errorf("%s (changes %v), %v:\n%s\n%v", q.name, changes, c, script, err)
					}
				}
			}
		})
	}
}

// withGap puts the session gap into a query.
func (c *streamCase) withGap(q string) string {
	return strings.ReplaceAll(q, "{gap}", strconv.FormatInt(c.gap, 10))
}

// runStreamQuery runs script over the stream to its end and renders the
// result: the rows emitted, or, for a changelog, the rows left by applying
// it. A restarting case first runs a job that checkpoints half way and is
// closed a little later, as if it crashed, and finishes with a second job
// resuming from stateDir into the same sink.
func runStreamQuery(ctx context.Context, c *streamCase, in *smem.Stream, script string, changelog bool, stateDir string) (*Table, error) {
	sink := smem.NewSink()
	defer sink.Release()
	checkpointed := 0
	if c.restart {
		var err error
		if _, checkpointed, err = runStreamJob(ctx, c, in, script, sink, stateDir, len(c.events)/2); err != nil {
			return nil, fmt.Errorf("before the restart: %w", err)
		}
	}
	m, read, err := runStreamJob(ctx, c, in, script, sink, stateDir, -1)
	if err != nil {
		return nil, err
	}
	// A resumed job reads from the checkpoint on, not from the start.
	if c.restart && read != len(c.events)-checkpointed {
		return nil, fmt.Errorf("the resumed job read %d rows, want the %d after the checkpoint", read, len(c.events)-checkpointed)
	}
	// Counters carry over a resume: they are those of one whole run.
	if m.EventsIn != int64(len(c.events)) || m.Late != 0 || m.EventsOut != sink.Len() {
		return nil, fmt.Errorf("metrics: events_in=%d late=%d events_out=%d, want %d, 0, %d (rows in the sink)",
			m.EventsIn, m.Late, m.EventsOut, len(c.events), sink.Len())
	}
	res := &streamsql.Result{Schema: sink.Schema(), Batches: sink.Batches()}
	defer res.Release()
	got, err := EngineTable(res)
	if err != nil {
		return nil, err
	}
	if changelog {
		return applyChangelog(got)
	}
	return got, nil
}

// runStreamJob runs one job over the stream into sink, on an engine with a
// checked allocator that must be empty after the job. With crashAfter >= 0
// (Poll mode) it takes a checkpoint once it has read that many rows, polls
// twice more and closes the job; otherwise it runs to the end.
func runStreamJob(ctx context.Context, c *streamCase, in *smem.Stream, script string, sink *smem.Sink, stateDir string, crashAfter int) (m exec.Metrics, read int, err error) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	eng := streamsql.New(streamsql.WithAllocator(mem))
	defer eng.Close()
	input, err := catalog.NewStreamTable(in, catalog.EventTime{Column: "ts", Delay: streamDelay.Microseconds()})
	if err != nil {
		return m, 0, err
	}
	job, err := eng.StartJob(ctx, script, streamsql.JobOptions{Input: input, Output: sink,
		Parallelism: c.parallelism, CheckpointInterval: -1, StateDir: stateDir})
	if err != nil {
		return m, 0, fmt.Errorf("starting job: %w", err)
	}
	switch {
	case crashAfter >= 0:
		read, err = pollCrash(ctx, job, crashAfter)
	case c.poll:
		for err == nil {
			var n int
			n, err = job.Poll(ctx)
			read += n
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
	default:
		err = job.Run(ctx)
	}
	m = job.Metrics()
	if err = errors.Join(err, job.Close()); err != nil {
		return m, read, fmt.Errorf("running job: %w", err)
	}
	if n := mem.CurrentAlloc(); n != 0 {
		return m, read, fmt.Errorf("%d bytes of the job's allocator still held after Close", n)
	}
	return m, read, nil
}

// pollCrash polls until rows rows were read, checkpoints, and polls twice
// more (work the checkpoint does not cover, redone after the restart). It
// returns the rows read before the checkpoint.
func pollCrash(ctx context.Context, job *streamsql.Job, rows int) (int, error) {
	read := 0
	for read < rows {
		n, err := job.Poll(ctx)
		if err != nil {
			return read, fmt.Errorf("polling before the checkpoint: %w", err)
		}
		read += n
	}
	if err := job.Checkpoint(ctx); err != nil {
		return read, err
	}
	for range 2 {
		if _, err := job.Poll(ctx); err != nil && !errors.Is(err, io.EOF) {
			return read, err
		}
	}
	return read, nil
}

// applyChangelog plays a changelog (its last column the op, insert or
// delete) into the multiset of rows it leaves. A delete must retract a
// row inserted before, exactly.
func applyChangelog(t *Table) (*Table, error) {
	if len(t.Cols) == 0 || t.Cols[len(t.Cols)-1] != operators.OpColumn {
		return nil, fmt.Errorf("changelog without a trailing %s column: %v", operators.OpColumn, t.Cols)
	}
	count := map[string]int{}
	row := map[string][]Cell{}
	var order []string
	for i, r := range t.Rows {
		data, op := r[:len(r)-1], r[len(r)-1]
		key := FormatRow(data)
		switch op.S {
		case operators.OpInsert:
			if _, ok := row[key]; !ok {
				row[key] = data
				order = append(order, key)
			}
			count[key]++
		case operators.OpDelete:
			if count[key] == 0 {
				return nil, fmt.Errorf("changelog row %d deletes %s, which is not there", i, key)
			}
			count[key]--
		default:
			return nil, fmt.Errorf("changelog row %d: op %s", i, op)
		}
	}
	out := &Table{Cols: t.Cols[:len(t.Cols)-1]}
	for _, k := range order {
		for range count[k] {
			out.Rows = append(out.Rows, row[k])
		}
	}
	return out, nil
}

// TestStreamApplyChangelog checks the changelog player the property test
// relies on.
func TestStreamApplyChangelog(t *testing.T) {
	ins, del := Cell{Kind: KStr, S: operators.OpInsert}, Cell{Kind: KStr, S: operators.OpDelete}
	one, two := intCell("1", 1), intCell("2", 2)
	got, err := applyChangelog(&Table{Cols: []string{"x", "_op"}, Rows: [][]Cell{{one, ins}, {one, del}, {two, ins}, {two, ins}, {two, del}}})
	if err != nil || len(got.Rows) != 1 || got.Rows[0][0] != two || strings.Join(got.Cols, ",") != "x" {
		t.Errorf("applied = %+v, %v", got, err)
	}
	if _, err := applyChangelog(&Table{Cols: []string{"x", "_op"}, Rows: [][]Cell{{one, del}}}); err == nil {
		t.Error("a delete of a missing row was accepted")
	}
	if _, err := applyChangelog(&Table{Cols: []string{"x"}, Rows: [][]Cell{{one}}}); err == nil {
		t.Error("a table without _op was accepted")
	}
}

// TestStreamDateBinOrigin: date_bin with an origin over the event time is
// a tumbling window offset by the origin, final rows at window close.
func TestStreamDateBinOrigin(t *testing.T) {
	ctx := context.Background()
	duck, err := OpenDuckDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	c := genStreamCase(1)
	c.poll, c.restart = true, false
	if err := c.loadDuck(ctx, duck); err != nil {
		t.Fatal(err)
	}
	in, err := c.stream()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Release()
	want, err := DuckQuery(ctx, duck, "SELECT time_bucket(INTERVAL '15 seconds', ts, TIMESTAMP '2026-03-01 00:00:07') AS b, count(*) AS n FROM ev GROUP BY 1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := runStreamQuery(ctx, c, in, "SELECT date_bin(INTERVAL '15' SECOND, ts, TIMESTAMP '2026-03-01 00:00:07') AS b, count(*) AS n FROM __input__ GROUP BY b", false, "")
	if err == nil {
		err = Diff(got, want, false)
	}
	if err != nil {
		t.Fatal(err)
	}
}
