package sqltest

import (
	"context"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/operators/expr"
)

// fuzzSetup creates the in-memory tables every fuzz input can use, next to
// events and users: one with a NULL in every column, and an empty one.
const fuzzSetup = `
CREATE TABLE nn (a BIGINT, b VARCHAR, c DOUBLE, d BOOLEAN, e TIMESTAMP, f DATE, i INTEGER);
INSERT INTO nn VALUES
  (1, 'x', 1.5, true, TIMESTAMP '2024-01-01 00:00:00', DATE '2024-01-01', 7),
  (2, NULL, NULL, NULL, NULL, NULL, NULL),
  (NULL, 'y', -0.0, false, '2024-02-01 10:00:00', '2024-02-01', -1),
  (3, '', 3, NULL, NULL, '1970-01-01', 0),
  (3, 'x', 'NaN', true, NULL, NULL, 2147483647);
CREATE TABLE ne (a BIGINT, b VARCHAR)
`

const (
	fuzzMaxInput = 2000
	fuzzTimeout  = 2 * time.Second
	// A statement must return this long after its context expired at the
	// latest; later means cancellation is ignored somewhere.
	fuzzGrace = 3 * time.Second
)

// fuzzQueries are hand-written inputs aimed at edges the golden files touch
// lightly: NULL-only and empty inputs, degenerate LIMITs, subqueries that
// fail at plan time above VALUES, parallel scans (pevents is Parquet with
// several row groups), mixed types and odd statement sequences.
var fuzzQueries = []string{
	"SELECT * FROM nn",
	"SELECT a, count(*), sum(c), avg(i), min(b), max(e), count(DISTINCT b) FROM nn GROUP BY a ORDER BY a NULLS FIRST",
	"SELECT * FROM nn WHERE a = (SELECT a FROM nn)",
	"SELECT * FROM (VALUES (1), (2)) v(x) WHERE x = (SELECT x FROM (VALUES (1), (2)) w(x))",
	"SELECT x FROM (VALUES (1, 'a'), (NULL, NULL)) v(x, y) ORDER BY (SELECT 1 / 0)",
	"SELECT (SELECT b FROM nn LIMIT 1), (SELECT b FROM ne)",
	"SELECT * FROM nn LIMIT 0",
	"SELECT * FROM nn ORDER BY b LIMIT 0 OFFSET 100",
	"SELECT * FROM nn LIMIT 9223372036854775807 OFFSET 9223372036854775807",
	"SELECT DISTINCT b, d FROM nn ORDER BY 1, 2",
	"SELECT n1.a, n2.b FROM nn n1 FULL JOIN nn n2 ON n1.a = n2.a AND n1.b < n2.b",
	"SELECT * FROM nn n1 LEFT JOIN ne ON n1.a = ne.a WHERE ne.b IS NULL",
	"SELECT * FROM ne RIGHT JOIN nn ON true",
	"SELECT a FROM nn WHERE a NOT IN (SELECT a FROM nn)",
	"SELECT a FROM nn WHERE EXISTS (SELECT 1 FROM ne)",
	"SELECT a FROM nn UNION ALL SELECT i FROM nn UNION ALL SELECT NULL",
	"SELECT a FROM nn UNION SELECT a FROM ne INTERSECT SELECT a FROM nn",
	"SELECT a FROM nn EXCEPT SELECT a FROM nn",
	"SELECT status, count(*), sum(amount) FROM pevents GROUP BY status ORDER BY 1",
	"SELECT count(*), sum(amount) FILTER (WHERE amount > 100 / (user_id - user_id)) FROM pevents",
	"SELECT u.plan, count(*) FROM pevents e JOIN users u ON e.user_id = u.user_id GROUP BY u.plan",
	"SELECT count(*) FROM pevents e LEFT JOIN nn ON e.user_id = nn.a WHERE nn.a IS NULL",
	"SELECT count(*) FROM pevents WHERE amount / 0 > 1",
	"SELECT count(*) FROM pevents e CROSS JOIN (VALUES (1), (2)) v(x) WHERE x = (SELECT 1 UNION ALL SELECT 2)",
	"SELECT * FROM events e1, events e2, events e3 LIMIT 1",
	"SELECT count(*) FROM events e1, events e2",
	"SELECT * FROM nn ORDER BY a DESC NULLS LAST, c NULLS FIRST LIMIT 2 OFFSET 1",
	"WITH c AS (SELECT a, b FROM nn WHERE a > 1) SELECT * FROM c c1 JOIN c c2 USING (a)",
	"CREATE TABLE x AS SELECT * FROM nn WHERE false; SELECT count(*) FROM x; INSERT INTO x SELECT * FROM nn; SELECT * FROM x",
	"CREATE TABLE x (a INTEGER); INSERT INTO x VALUES (1), (NULL), ('2'); INSERT INTO x (a) SELECT a FROM nn; SELECT sum(a) FROM x",
	"CREATE VIEW v AS SELECT a, b FROM nn; SELECT * FROM v JOIN v v2 USING (a); DROP VIEW v",
	"INSERT INTO nn (a, a) VALUES (1, 2)",
	"INSERT INTO ne SELECT a, b FROM nn; SELECT b, count(*) FROM ne GROUP BY ROLLUP (b)",
	"EXPLAIN ANALYZE SELECT status, count(*) FROM pevents GROUP BY status",
	"EXPLAIN SELECT * FROM nn WHERE a > (SELECT 1)",
	"SELECT CAST(b AS BIGINT) FROM nn",
	"SELECT a, row_number() OVER (ORDER BY a) FROM nn",
	"SELECT json_extract(payload, '$.sku'), payload->>'qty' FROM events LIMIT 3",
	"SELECT date_trunc('day', e) + INTERVAL '1 month', f - 1 FROM nn",
	"SELECT $1",
	"SELECT 1; SELECT * FROM nope; SELECT 2",
}

// fuzzSeeds returns every SQL text of the golden files (each also with the
// CREATE/INSERT statements of its file before it, so it finds its tables)
// and the hand-written queries.
func fuzzSeeds(t testing.TB) []string {
	files, err := filepath.Glob("../testdata/sql/*.test")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	ddl := regexp.MustCompile(`(?i)^\s*(CREATE|INSERT|DROP)\b`)
	var seeds []string
	for _, f := range files {
		recs, err := Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		var setup []string
		for _, r := range recs {
			sql := r.SQL
			if r.Kind == "explain" {
				sql = "EXPLAIN " + sql
			}
			seeds = append(seeds, sql)
			if ddl.MatchString(r.SQL) {
				if r.Kind == "statement" && len(r.Args) > 0 && r.Args[0] == "ok" {
					setup = append(setup, r.SQL)
				}
				continue
			}
			if len(setup) > 0 {
				if s := strings.Join(append(setup[:len(setup):len(setup)], sql), ";\n"); len(s) <= fuzzMaxInput {
					seeds = append(seeds, s)
				}
			}
		}
	}
	return append(seeds, fuzzQueries...)
}

// FuzzEngine runs arbitrary scripts through the whole pipeline on a fresh
// engine. Errors are fine; a recovered panic ("internal error"), leaked
// Arrow memory, a statement ignoring its context's deadline or a malformed
// result batch are bugs.
func FuzzEngine(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		if len(sql) > fuzzMaxInput {
			t.Skip()
		}
		runFuzzInput(t, sql)
	})
}

func newFuzzEngine(t *testing.T, mem memory.Allocator) *streamsql.Engine {
	db := newGoldenEngine(t, mem, "../")
	if err := db.RegisterFile("pevents", "../testdata/events.parquet", file.Options{}); err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(context.Background(), fuzzSetup)
	if err != nil {
		t.Fatalf("fuzz setup: %v", err)
	}
	for _, r := range res {
		r.Release()
	}
	return db
}

func runFuzzInput(t *testing.T, sql string) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	db := newFuzzEngine(t, mem)
	ctx, cancel := context.WithTimeout(context.Background(), fuzzTimeout)
	defer cancel()

	type outcome struct {
		res []*streamsql.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := db.Exec(ctx, sql)
		done <- outcome{res, err}
	}()
	var out outcome
	select {
	case out = <-done:
	case <-time.After(fuzzTimeout + fuzzGrace):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("hang: no result %s after the context expired\n%q\n%s", fuzzGrace, sql, buf)
	}
	if out.err != nil {
		msg := out.err.Error()
		if strings.Contains(msg, "internal error") {
			t.Fatalf("panic on %q:\n%s", sql, msg)
		}
	}
	for _, r := range out.res {
		checkFuzzResult(t, sql, r)
		r.Release()
	}
	db.Close()
	mem.AssertSize(t, 0)
}

// checkFuzzResult checks that every batch of r matches its schema and that
// every cell can be read.
func checkFuzzResult(t *testing.T, sql string, r *streamsql.Result) {
	for _, b := range r.Batches {
		if r.Schema == nil {
			t.Fatalf("%q: batches without a schema", sql)
		}
		if int(b.NumCols()) != r.Schema.NumFields() {
			t.Fatalf("%q: batch has %d columns, schema %d", sql, b.NumCols(), r.Schema.NumFields())
		}
		for c := 0; c < int(b.NumCols()); c++ {
			col := b.Column(c)
			if int64(col.Len()) != b.NumRows() {
				t.Fatalf("%q: column %d has %d rows, batch %d", sql, c, col.Len(), b.NumRows())
			}
			if want := r.Schema.Field(c).Type; !arrow.TypeEqual(col.DataType(), want) {
				t.Fatalf("%q: column %d is %s, schema says %s", sql, c, col.DataType(), want)
			}
			for i := 0; i < col.Len(); i++ {
				_ = expr.ScalarValue(col, i)
			}
		}
	}
}
