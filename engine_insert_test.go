package streamsql_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
)

// countdownCtx is a context whose Err reports cancellation from its n-th
// call on, so a test can cancel a statement at every point it checks.
type countdownCtx struct {
	context.Context
	left int
}

func (c *countdownCtx) Err() error {
	if c.left <= 0 {
		return context.Canceled
	}
	c.left--
	return nil
}

// An INSERT cancelled at any point either fails and adds nothing, or
// succeeds and adds every row: it used to stop reading its computed rows
// at the first error (cancellation included) and report success with
// some or none of them inserted.
func TestInsertCancelledIsAllOrNothing(t *testing.T) {
	const insert = "INSERT INTO t SELECT * FROM (VALUES (1), (2)) v(a) UNION ALL SELECT 3 UNION ALL SELECT 4"
	for k := 0; ; k++ {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		db := streamsql.New(streamsql.WithAllocator(mem))
		res, err := db.Exec(context.Background(), "CREATE TABLE t (a BIGINT)")
		if err != nil {
			t.Fatal(err)
		}
		res[0].Release()
		res, err = db.Exec(&countdownCtx{Context: context.Background(), left: k}, insert)
		for _, r := range res {
			r.Release()
		}
		q, qerr := db.Query(context.Background(), "SELECT count(*) FROM t")
		if qerr != nil {
			t.Fatal(qerr)
		}
		rows := q.Batches[0].Column(0).ValueStr(0)
		q.Release()
		db.Close()
		mem.AssertSize(t, 0)
		switch {
		case err == nil && rows != "4":
			t.Fatalf("cancelled after %d checks: INSERT succeeded with %s of 4 rows", k, rows)
		case err != nil && rows != "0":
			t.Fatalf("cancelled after %d checks: INSERT failed (%v) with %s rows inserted", k, err, rows)
		case err == nil:
			return // the statement no longer checks ctx: every point was tried
		}
	}
}

// Statements of a cancelled Exec do nothing: DDL used to run regardless
// of the context, so a script cancelled part way went on dropping and
// creating tables.
func TestCancelledExecRunsNothing(t *testing.T) {
	db := streamsql.New()
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, sql := range []string{"CREATE TABLE t (a BIGINT)", "CREATE VIEW v AS SELECT 1", "DROP TABLE IF EXISTS nope"} {
		if _, err := db.Exec(ctx, sql); err != context.Canceled {
			t.Errorf("%s: got %v, want context.Canceled", sql, err)
		}
	}
	if names := db.Catalog().Names(); len(names) != 0 {
		t.Errorf("a cancelled Exec created %v", names)
	}
}
