package streamsql_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/connectors/file"
)

// Queries split across parallel partitions of a Parquet table (4 row
// groups) must give what a single-threaded run gives.
func TestParallelAggregatesMatchSerial(t *testing.T) {
	queries := []string{
		"SELECT status, count(*), sum(amount), avg(amount), min(ts), max(country), count(DISTINCT user_id) FROM e GROUP BY status",
		"SELECT count(*), sum(user_id) FILTER (WHERE amount > 100) FROM e WHERE topic = 'orders'",
		"SELECT date_trunc('minute', ts) AS m, count(*) FROM e GROUP BY m",
		"SELECT u.plan, count(*), sum(e.amount) FROM e JOIN u ON e.user_id = u.user_id GROUP BY u.plan",
		"SELECT u.plan, count(*) FROM e LEFT JOIN u USING (user_id) GROUP BY 1",
		"SELECT count(*) FROM e WHERE amount > 1e9",
		"SELECT ts, amount, status FROM e WHERE amount IS NOT NULL ORDER BY amount DESC, ts LIMIT 7",
		"SELECT user_id, ts FROM e ORDER BY user_id NULLS FIRST, ts DESC LIMIT 5 OFFSET 3",
	}
	run := func(par int, sql string) string {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		db := streamsql.New(streamsql.WithAllocator(mem), streamsql.WithParallelism(par))
		defer db.Close()
		if err := db.RegisterFile("e", "testdata/events.parquet", file.Options{}); err != nil {
			t.Fatal(err)
		}
		if err := db.RegisterFile("u", "testdata/users.csv", file.Options{}); err != nil {
			t.Fatal(err)
		}
		res, err := db.Query(context.Background(), sql)
		if err != nil {
			t.Fatalf("parallelism %d: %v\n%s", par, err, sql)
		}
		defer res.Release()
		var rows []string
		for _, b := range res.Batches {
			for i := 0; i < int(b.NumRows()); i++ {
				var cells []string
				for c := 0; c < int(b.NumCols()); c++ {
					v := b.Column(c).ValueStr(i)
					if f, err := fmt.Sscanf(v, "%g", new(float64)); err == nil && f == 1 && strings.Contains(v, ".") {
						var x float64
						fmt.Sscanf(v, "%g", &x)
						v = fmt.Sprintf("%.9g", x)
					}
					cells = append(cells, v)
				}
				rows = append(rows, strings.Join(cells, "|"))
			}
		}
		sort.Strings(rows)
		return strings.Join(rows, "\n")
	}
	for _, q := range queries {
		serial := run(1, q)
		for _, par := range []int{2, 4} {
			if got := run(par, q); got != serial {
				t.Errorf("parallelism %d differs from serial for %s\nserial:\n%s\nparallel:\n%s", par, q, serial, got)
			}
		}
	}
}

// EXPLAIN ANALYZE shows the partitions of a split scan.
func TestExplainAnalyzeShowsPartitions(t *testing.T) {
	db := streamsql.New(streamsql.WithParallelism(2))
	if err := db.RegisterFile("e", "testdata/events.parquet", file.Options{}); err != nil {
		t.Fatal(err)
	}
	out, err := db.Explain(context.Background(), "SELECT status, count(*) FROM e GROUP BY status", true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "rows=200") || !strings.Contains(out, "partitions=2") {
		t.Fatalf("EXPLAIN ANALYZE:\n%s", out)
	}
}

// Explain takes a statement that says EXPLAIN [ANALYZE] itself, as the
// CLI's explain command is handed what users type into query.
func TestExplainOfAnExplainStatement(t *testing.T) {
	db := streamsql.New()
	if err := db.RegisterFile("e", "testdata/events.parquet", file.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{"EXPLAIN ANALYZE SELECT count(*) FROM e", "EXPLAIN SELECT count(*) FROM e"} {
		out, err := db.Explain(context.Background(), sql, strings.HasPrefix(sql, "EXPLAIN SELECT"))
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if !strings.Contains(out, "Scan: e") || !strings.Contains(out, "rows=200") {
			t.Fatalf("%s: want the analyzed plan, got\n%s", sql, out)
		}
	}
}
