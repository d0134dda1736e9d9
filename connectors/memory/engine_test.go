package memory_test

import (
	"context"
	"strings"
	"testing"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/memory"
	"github.com/streamsql/streamsql/operators/expr"
)

// TestCreateTableWithMemoryConnector goes through the engine: CREATE
// TABLE … WITH (connector='memory') makes a Stream, which batch queries
// scan as a snapshot.
func TestCreateTableWithMemoryConnector(t *testing.T) {
	ctx := context.Background()
	db := streamsql.New()
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE ev (id BIGINT, ts TIMESTAMP) WITH (connector='memory', splits='2')"); err != nil {
		t.Fatal(err)
	}
	tbl, _, err := db.Catalog().Lookup([]string{"ev"})
	if err != nil {
		t.Fatal(err)
	}
	st, ok := tbl.(*catalog.StreamTable) // a streaming connector's table is a stream
	if !ok {
		t.Fatalf("table is %T", tbl)
	}
	s, ok := st.Unwrap().(*memory.Stream)
	if !ok || s.Splits() != 2 {
		t.Fatalf("stream wraps %T", st.Unwrap())
	}
	if err := s.AppendJSONTo(0, `{"id":1,"ts":"2026-03-01 00:00:00"}`, `{"id":2,"ts":"2026-03-01 00:00:01"}`); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendJSONTo(1, `{"id":3}`); err != nil {
		t.Fatal(err)
	}
	res, err := db.Query(ctx, "SELECT count(*), sum(id), max(ts) FROM ev")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	b := res.Batches[0]
	if n, sum := expr.ScalarValue(b.Column(0), 0), expr.ScalarValue(b.Column(1), 0); n != int64(3) || sum != int64(6) {
		t.Errorf("count, sum = %v, %v", n, sum)
	}
	if _, err := db.Exec(ctx, "CREATE TABLE bad WITH (connector='memory')"); err == nil || !strings.Contains(err.Error(), "declare its columns") {
		t.Errorf("CREATE without columns = %v", err)
	}
}
