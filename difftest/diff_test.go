//go:build duckdb

package difftest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/planner/types"
)

// env is the pair of engines over the generated tables, shared by the
// tests of the package (built once in TestMain).
var env struct {
	paths map[string]string
	ss    *streamsql.Engine // serial: WithParallelism(1)
	par   *streamsql.Engine // WithParallelism(4): facts has four row groups
	duck  *sql.DB
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "difftest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := setup(context.Background(), dir); err != nil {
		fmt.Fprintln(os.Stderr, "difftest setup:", err)
		return 1
	}
	defer env.duck.Close()
	defer env.ss.Close()
	defer env.par.Close()
	return m.Run()
}

// setup generates the tables into dir and registers them in both engines:
// in streamsql as Parquet files, in DuckDB as views over read_parquet.
func setup(ctx context.Context, dir string) error {
	paths, err := generate(dir)
	if err != nil {
		return err
	}
	env.paths = paths
	env.ss = streamsql.New(streamsql.WithParallelism(1))
	env.par = streamsql.New(streamsql.WithParallelism(4))
	if env.duck, err = OpenDuckDB(ctx); err != nil {
		return err
	}
	for name, path := range paths {
		for _, db := range []*streamsql.Engine{env.ss, env.par} {
			if err := db.RegisterFile(name, path, file.Options{}); err != nil {
				return err
			}
		}
		v := fmt.Sprintf("CREATE VIEW %s AS SELECT * FROM read_parquet('%s')", name, strings.ReplaceAll(path, "'", "''"))
		if _, err := env.duck.ExecContext(ctx, v); err != nil {
			return fmt.Errorf("duckdb: %s: %w", v, err)
		}
	}
	return nil
}

// TestParquetTypes checks that the generated files carry the intended
// types into both engines.
func TestParquetTypes(t *testing.T) {
	want := map[string][][3]string{ // column, streamsql type, duckdb type
		"facts": {
			{"id", "BIGINT", "BIGINT"}, {"user_id", "BIGINT", "BIGINT"}, {"status", "VARCHAR", "VARCHAR"},
			{"country", "VARCHAR", "VARCHAR"}, {"amount", "DOUBLE", "DOUBLE"}, {"qty", "INTEGER", "INTEGER"},
			{"ts", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"}, {"day", "DATE", "DATE"},
			{"flag", "BOOLEAN", "BOOLEAN"}, {"note", "VARCHAR", "VARCHAR"},
		},
		"users": {{"user_id", "BIGINT", "BIGINT"}, {"name", "VARCHAR", "VARCHAR"}, {"plan", "VARCHAR", "VARCHAR"}},
		"nk":    {{"k", "BIGINT", "BIGINT"}, {"s", "VARCHAR", "VARCHAR"}, {"v", "INTEGER", "INTEGER"}},
	}
	ctx := context.Background()
	for table, cols := range want {
		res, err := env.ss.Query(ctx, "SELECT * FROM "+table+" LIMIT 0")
		if err != nil {
			t.Fatalf("streamsql %s: %v", table, err)
		}
		fields := res.Schema.Fields()
		res.Release()
		duck, err := DuckQuery(ctx, env.duck, "SELECT column_name, column_type FROM (DESCRIBE "+table+")")
		if err != nil {
			t.Fatalf("duckdb describe %s: %v", table, err)
		}
		if len(fields) != len(cols) || len(duck.Rows) != len(cols) {
			t.Fatalf("%s: %d columns in streamsql, %d in duckdb, want %d", table, len(fields), len(duck.Rows), len(cols))
		}
		for i, c := range cols {
			st, err := types.FromArrow(fields[i].Type)
			if err != nil || fields[i].Name != c[0] || st.String() != c[1] {
				t.Errorf("%s.%s: streamsql has %s %s (%v), want %s", table, c[0], fields[i].Name, fields[i].Type, err, c[1])
			}
			if duck.Rows[i][0].S != c[0] || duck.Rows[i][1].S != c[2] {
				t.Errorf("%s.%s: duckdb has %s %s, want %s", table, c[0], duck.Rows[i][0].S, duck.Rows[i][1].S, c[2])
			}
		}
	}
}

// TestQueryList guards the size and well-formedness of the corpus.
func TestQueryList(t *testing.T) {
	if len(queries) < 130 {
		t.Errorf("%d queries, want at least 130", len(queries))
	}
	seen := map[string]bool{}
	for i, q := range queries {
		if q.name == "" || q.sql == "" {
			t.Errorf("query %d has no name or no SQL", i)
		}
		if seen[q.name] {
			t.Errorf("query name %q used twice", q.name)
		}
		seen[q.name] = true
	}
}

var nameClean = regexp.MustCompile(`[^a-zA-Z0-9_]+`)

// TestDiff runs every query in DuckDB and in streamsql, serially and with
// parallel scans and aggregation, and compares the results.
func TestDiff(t *testing.T) {
	ctx := context.Background()
	var pass, skip int
	for i, q := range queries {
		ok := t.Run(fmt.Sprintf("%03d_%s", i, nameClean.ReplaceAllString(q.name, "_")), func(t *testing.T) {
			err := check(ctx, q)
			if q.knownIssue != "" {
				skip++
				if err == nil {
					t.Skip("known issue (now passes: drop the knownIssue mark): " + q.knownIssue)
				}
				t.Skip("known issue: " + q.knownIssue)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
		if ok && q.knownIssue == "" {
			pass++
		}
	}
	t.Logf("%d queries: %d pass, %d known issues, %d fail", len(queries), pass, skip, len(queries)-pass-skip)
}

// check runs q in both engines and compares the answers.
func check(ctx context.Context, q query) error {
	duckSQL := q.sql
	if q.duck != "" {
		duckSQL = q.duck
	}
	want, err := DuckQuery(ctx, env.duck, duckSQL)
	if err != nil {
		return fmt.Errorf("duckdb failed (the query is wrong, not the engine): %v\n%s", err, duckSQL)
	}
	ordered := HasTopLevelOrderBy(q.sql) && !q.unordered
	for _, e := range []struct {
		name string
		db   *streamsql.Engine
	}{{"serial", env.ss}, {"parallelism 4", env.par}} {
		got, err := EngineQuery(ctx, e.db, q.sql)
		if err != nil {
			return fmt.Errorf("streamsql (%s) failed: %v\n%s", e.name, err, q.sql)
		}
		if err := Diff(got, want, ordered); err != nil {
			return fmt.Errorf("streamsql (%s): %v\nSQL: %s", e.name, err, q.sql)
		}
	}
	if len(want.Rows) == 0 && !q.empty {
		return fmt.Errorf("both engines return no rows: the query tests nothing (mark it empty if intended)\nSQL: %s", q.sql)
	}
	return nil
}
