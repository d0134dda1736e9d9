//go:build duckdb

package difftest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
	smem "github.com/streamsql/streamsql/connectors/memory"
	"github.com/streamsql/streamsql/connectors/nexmark"
	nxqueries "github.com/streamsql/streamsql/connectors/nexmark/queries"
	"github.com/streamsql/streamsql/operators"
)

// The Nexmark run every query is checked on: 30 s of event time (1000
// events/s), so that 10 s windows, 2 s hops and 10 s session gaps close
// several times, in two splits merged by their watermarks.
const (
	nexmarkEvents = 30_000
	nexmarkRate   = 1000
	nexmarkSeed   = 7
	nexmarkSplits = 2
)

// TestNexmarkDuckDB runs every Nexmark query of testdata/nexmark marked
// runs that has a DuckDB section as a streaming job over the generated
// tables (to the end of input, where every window closes) and compares
// its rows with DuckDB's batch answer over the same events, as multisets;
// every other query is driven by Poll instead of Run.
// A changelog result (an _op column) is compared by the rows it leaves.
func TestNexmarkDuckDB(t *testing.T) {
	ctx := context.Background()
	qs, err := nxqueries.Load("../testdata/nexmark")
	if err != nil {
		t.Fatal(err)
	}
	duck, err := OpenDuckDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	cfg := nexmark.Config{Events: nexmarkEvents, Rate: nexmarkRate, Seed: nexmarkSeed}
	if err := loadNexmarkDuck(ctx, duck, cfg); err != nil {
		t.Fatal(err)
	}
	ddl := nxqueries.Tables(map[string]string{
		"events.num": strconv.Itoa(nexmarkEvents), "rate": strconv.Itoa(nexmarkRate),
		"seed": strconv.Itoa(nexmarkSeed), "splits": strconv.Itoa(nexmarkSplits),
	})
	ran := 0
	for i, q := range qs {
		if !q.Runs || q.DuckDB == "" {
			continue
		}
		ran++
		t.Run(q.Name, func(t *testing.T) {
			want, err := DuckQuery(ctx, duck, q.DuckDB)
			if err != nil {
				t.Fatalf("duckdb: %v", err)
			}
			got, err := runNexmarkQuery(ctx, ddl+q.SQL, i%2 == 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(want.Rows) == 0 {
				t.Fatal("DuckDB returned no rows: the run is too small to test this query")
			}
			if err := DiffTol(got, want, false, 1e-9); err != nil {
				t.Fatalf("%s:\n%v", q.Path, err)
			}
			t.Logf("%d rows agree", len(want.Rows))
		})
	}
	if ran == 0 {
		t.Fatal("no query ran")
	}
}

// runNexmarkQuery runs script to the end of its inputs (with Run, or with
// Poll on one goroutine) on an engine with a checked allocator and renders
// the result (a changelog applied).
func runNexmarkQuery(ctx context.Context, script string, poll bool) (*Table, error) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	eng := streamsql.New(streamsql.WithAllocator(mem))
	defer eng.Close()
	sink := smem.NewSink()
	defer sink.Release()
	job, err := eng.StartJob(ctx, script, streamsql.JobOptions{Output: sink, Parallelism: 2, CheckpointInterval: -1})
	if err != nil {
		return nil, fmt.Errorf("starting job: %w", err)
	}
	if poll {
		for err == nil {
			_, err = job.Poll(ctx)
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
	} else {
		err = job.Run(ctx)
	}
	m := job.Metrics()
	if err = errors.Join(err, job.Close()); err != nil {
		return nil, fmt.Errorf("running job: %w", err)
	}
	if m.Late != 0 {
		return nil, fmt.Errorf("%d rows were late: the generated events are in order", m.Late)
	}
	res := &streamsql.Result{Schema: sink.Schema(), Batches: sink.Batches()}
	got, err := EngineTable(res)
	res.Release()
	if err != nil {
		return nil, err
	}
	if n := len(got.Cols); n > 0 && got.Cols[n-1] == operators.OpColumn {
		if got, err = applyChangelog(got); err != nil {
			return nil, err
		}
	}
	if n := mem.CurrentAlloc(); n != 0 {
		return nil, fmt.Errorf("%d bytes of the job's allocator still held after Close", n)
	}
	return got, nil
}

// loadNexmarkDuck creates person, auction and bid in DuckDB with the
// events cfg generates, through INSERT statements.
func loadNexmarkDuck(ctx context.Context, db *sql.DB, cfg nexmark.Config) error {
	g, err := nexmark.NewGenerator(cfg)
	if err != nil {
		return err
	}
	for _, k := range []nexmark.Kind{nexmark.Person, nexmark.Auction, nexmark.Bid} {
		b, err := g.Batch(memory.NewGoAllocator(), k, nil, 0, cfg.Events)
		if err != nil {
			return err
		}
		err = loadDuckBatch(ctx, db, k.String(), b)
		b.Release()
		if err != nil {
			return fmt.Errorf("loading %s: %w", k, err)
		}
	}
	return nil
}

// loadDuckBatch creates table name like b's schema (BIGINT, VARCHAR and
// TIMESTAMP columns) and inserts b's rows.
func loadDuckBatch(ctx context.Context, db *sql.DB, name string, b arrow.RecordBatch) error {
	var cols []string
	for _, f := range b.Schema().Fields() {
		typ := map[arrow.Type]string{arrow.INT64: "BIGINT", arrow.STRING: "VARCHAR", arrow.TIMESTAMP: "TIMESTAMP"}[f.Type.ID()]
		if typ == "" {
			return fmt.Errorf("column %s: type %s", f.Name, f.Type)
		}
		cols = append(cols, f.Name+" "+typ)
	}
	if _, err := db.ExecContext(ctx, "CREATE OR REPLACE TABLE "+name+" ("+strings.Join(cols, ", ")+")"); err != nil {
		return err
	}
	n := int(b.NumRows())
	for start := 0; start < n; start += 1000 {
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + name + " VALUES ")
		for r := start; r < min(start+1000, n); r++ {
			if r > start {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			for c := range int(b.NumCols()) {
				if c > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString(duckLiteral(b.Column(c), r))
			}
			sb.WriteByte(')')
		}
		if _, err := db.ExecContext(ctx, sb.String()); err != nil {
			return err
		}
	}
	return nil
}

func duckLiteral(a arrow.Array, r int) string {
	if a.IsNull(r) {
		return "NULL"
	}
	switch a := a.(type) {
	case *array.Int64:
		return strconv.FormatInt(a.Value(r), 10)
	case *array.String:
		return "'" + strings.ReplaceAll(a.Value(r), "'", "''") + "'"
	case *array.Timestamp:
		return "make_timestamp(" + strconv.FormatInt(int64(a.Value(r)), 10) + ")"
	}
	return "NULL"
}
