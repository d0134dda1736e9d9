package iceberg_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	_ "github.com/streamsql/streamsql/connectors/iceberg"
	"github.com/streamsql/streamsql/operators/expr"
)

// TestStreamingJobWritesAndQueryReads goes through the engine: a streaming
// job INSERTs a JSONL file into an Iceberg table created by CREATE TABLE,
// and a batch query over the table prunes by the hour partition.
func TestStreamingJobWritesAndQueryReads(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "events.jsonl")
	var lines []string
	for i := range 40 { // 4 hours, 10 events each
		lines = append(lines, fmt.Sprintf(`{"topic":"t%d","timestamp":"2026-03-01 %02d:%02d:00","id":%d}`, i%2, i/10, i%10, i))
	}
	if err := os.WriteFile(src, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	db := streamsql.New(streamsql.WithAllocator(alloc))
	ddl := fmt.Sprintf(`
		CREATE TABLE src (topic VARCHAR, timestamp TIMESTAMP, id BIGINT) WITH (connector='file', path='%s', format='jsonl');
		CREATE TABLE ice (topic VARCHAR, timestamp TIMESTAMP, id BIGINT) WITH (connector='iceberg', warehouse='%s', table='ns.events', job_id='j1');`,
		src, filepath.Join(dir, "wh"))
	job, err := db.StartJob(ctx, ddl+`
		INSERT INTO ice SELECT topic, timestamp, id FROM src`, streamsql.JobOptions{CheckpointInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := job.Close(); err != nil {
		t.Fatal(err)
	}

	// Attached by name in a fresh engine, without declared columns.
	if _, err := db.Exec(ctx, fmt.Sprintf(`CREATE TABLE back WITH (connector='iceberg', warehouse='%s', table='ns.events')`, filepath.Join(dir, "wh"))); err != nil {
		t.Fatal(err)
	}
	res, err := db.Query(ctx, "SELECT count(*), sum(id) FROM back")
	if err != nil {
		t.Fatal(err)
	}
	if n, sum := expr.ScalarValue(res.Batches[0].Column(0), 0), expr.ScalarValue(res.Batches[0].Column(1), 0); n != int64(40) || sum != int64(780) {
		t.Errorf("count, sum = %v, %v", n, sum)
	}
	res.Release()

	q := "SELECT count(*) FROM back WHERE timestamp >= TIMESTAMP '2026-03-01 03:00:00'"
	res, err = db.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if n := expr.ScalarValue(res.Batches[0].Column(0), 0); n != int64(10) {
		t.Errorf("last hour count = %v", n)
	}
	res.Release()
	// The pruning behind it, through the table's scan statistics (EXPLAIN
	// ANALYZE does not print scan statistics yet: operators.ScanSource
	// does not pass them on).
	tbl, _, err := db.Catalog().Lookup([]string{"back"})
	if err != nil {
		t.Fatal(err)
	}
	ts := tbl.Schema().FieldIndices("timestamp")[0]
	r, err := tbl.Scan(ctx, catalog.ScanRequest{Columns: []int{ts}, Limit: -1, Alloc: alloc,
		Filters: []catalog.Predicate{{Column: ts, Op: ">=", Value: int64(1772334000000000)}}})
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := r.Next(ctx)
		if err != nil {
			break
		}
		b.Release()
	}
	// 2 topics × 4 hours = 8 files; the last hour keeps 2.
	st := r.(catalog.ScanStats).Stats()
	r.Close()
	if st["files_considered"] != 8 || st["files_pruned"] != 6 || st["files_read"] != 2 {
		t.Errorf("last hour scan stats %v", st)
	}
	db.Close()
}

func TestConnectorOptions(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"connector": "iceberg"}, "table='namespace.name' is required"},
		{map[string]string{"connector": "iceberg", "table": "ns.t", "bogus": "1"}, `unknown option "bogus"`},
		{map[string]string{"connector": "iceberg", "table": "ns.t", "warehouse": dir, "snapshot_id": "x"}, "snapshot_id"},
		{map[string]string{"connector": "iceberg", "table": "ns.t", "warehouse": dir, "target_file_size": "-1"}, "target_file_size"},
		{map[string]string{"connector": "iceberg", "table": "ns.t", "warehouse": dir, "roll_interval": "soon"}, "roll_interval"},
		{map[string]string{"connector": "iceberg", "table": "ns.t", "warehouse": dir}, "not found"},
		{map[string]string{"connector": "iceberg", "table": "ns.t", "warehouse": filepath.Join(dir, "f", "x")}, "opening warehouse"},
	} {
		if tc.want == "opening warehouse" { // a file where the directory should be
			if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err := catalog.OpenConnector("iceberg", tc.opts, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.opts, err, tc.want)
		}
	}
}
