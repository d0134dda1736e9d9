package pipelines

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/memory"
)

// TestSinkResumeResendsUnderTheSameKeys: a job that crashed after sending
// rows past its last checkpoint resumes from it (Restore); the resumed
// sink keys the replayed rows as the crashed one did, so that after dedup
// every row is there once.
func TestSinkResumeResendsUnderTheSameKeys(t *testing.T) {
	mem := checkedMem(t)
	ctx := context.Background()
	f := newFakePipelines(t, "", 1<<20)
	opts := map[string]string{"url": f.url(), "max_request_bytes": "300"}
	crashed := openSink(t, opts)
	write(t, crashed, mem, 0, 10, 2, "")
	st, err := crashed.PreCommit(ctx, 1) // the durable checkpoint
	if err != nil {
		t.Fatal(err)
	}
	write(t, crashed, mem, 10, 25, 2, "")
	if _, err := crashed.PreCommit(ctx, 2); err != nil { // sent, but the checkpoint never became durable
		t.Fatal(err)
	}
	write(t, crashed, mem, 25, 27, 2, "") // buffered, lost in the crash
	crashed.Close()

	resumed := openSink(t, opts)
	if err := resumed.Restore(ctx, st); err != nil {
		t.Fatal(err)
	}
	write(t, resumed, mem, 10, 20, 2, "") // the same rows again, in other batches
	write(t, resumed, mem, 20, 30, 2, "")
	if _, err := resumed.PreCommit(ctx, 2); err != nil {
		t.Fatal(err)
	}
	rows, dups := f.deduped(t)
	checkExactlyOnce(t, rows, 30)
	if dups != 15 {
		t.Errorf("%d duplicates, want the 15 rows sent after the checkpoint", dups)
	}
	jobID := strings.TrimSuffix(rows[0][IdempotencyKey].(string), "-0")
	if len(jobID) != 16 || rows[29][IdempotencyKey] != jobID+"-29" {
		t.Errorf("keys %v … %v", rows[0][IdempotencyKey], rows[29][IdempotencyKey])
	}

	// Restore errors.
	for _, c := range []struct{ state, msg string }{
		{"nope", "malformed state"},
		{`{"job_id":"","rows":3}`, "malformed state"},
		{`{"job_id":"x","rows":-1}`, "malformed state"},
	} {
		s := openSink(t, opts)
		if err := s.Restore(ctx, []byte(c.state)); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Restore(%s) = %v", c.state, err)
		}
	}
	pinned := openSink(t, map[string]string{"url": f.url(), "job_id": "other"})
	if err := pinned.Restore(ctx, st); err == nil || !strings.Contains(err.Error(), `the option says "other"`) {
		t.Errorf("Restore with another job_id = %v", err)
	}
	if err := resumed.Restore(ctx, st); err == nil || !strings.Contains(err.Error(), "before any Write") {
		t.Errorf("Restore after Write = %v", err)
	}
	resumed.Close()
	if err := resumed.Write(ctx, nil); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Write after Close = %v", err)
	}
	if err := resumed.Commit(ctx, 3); err == nil {
		t.Error("Commit after Close succeeded")
	}
	if err := resumed.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// TestIdempotencyColumns: with idempotency_columns the key is a hash of
// those columns' values, the same in any job; a query computing
// _idempotency_key itself keeps its own.
func TestIdempotencyColumns(t *testing.T) {
	mem := checkedMem(t)
	ctx := context.Background()
	f := newFakePipelines(t, "", 1<<20)
	for range 2 { // two independent jobs
		s := openSink(t, map[string]string{"url": f.url(), "idempotency_columns": "user, seq"})
		write(t, s, mem, 0, 3, 2, "")
		if _, err := s.PreCommit(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	got := f.received()
	if len(got) != 6 {
		t.Fatalf("%d rows", len(got))
	}
	keys := map[any]bool{}
	for i, row := range got {
		keys[row[IdempotencyKey]] = true
		if k := row[IdempotencyKey].(string); len(k) != 32 || k != got[i%3][IdempotencyKey] {
			t.Errorf("row %d key %q", i, k)
		}
	}
	if len(keys) != 3 {
		t.Errorf("%d distinct keys for 3 distinct rows", len(keys))
	}

	own := arrow.NewSchema([]arrow.Field{{Name: IdempotencyKey, Type: arrow.BinaryTypes.String}, {Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	tbl, err := catalog.OpenConnector("pipelines", map[string]string{"url": f.url()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tbl.(catalog.SinkTable).OpenSink(ctx, own)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kb := array.NewStringBuilder(mem)
	kb.Append("mine")
	vb := array.NewInt64Builder(mem)
	vb.Append(7)
	k, v := kb.NewArray(), vb.NewArray()
	kb.Release()
	vb.Release()
	b := array.NewRecordBatch(own, []arrow.Array{k, v}, 1)
	k.Release()
	v.Release()
	defer b.Release()
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PreCommit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if last := f.received()[6]; last[IdempotencyKey] != "mine" || len(last) != 2 {
		t.Errorf("own key row = %v", last)
	}
}

// TestRawFormat: format raw sends the VARCHAR column value, a JSON object,
// with the key added; a value that is not an object is dead-lettered.
func TestRawFormat(t *testing.T) {
	mem := checkedMem(t)
	ctx := context.Background()
	f := newFakePipelines(t, "", 1<<20)
	dead := newFakePipelines(t, "", 1<<20) // dead letters go to another stream, by URI
	schema := arrow.NewSchema([]arrow.Field{{Name: "value", Type: arrow.BinaryTypes.String}}, nil)
	tbl, err := catalog.OpenConnector("pipelines", map[string]string{"url": f.url(), "format": "raw", "job_id": "r",
		"dead_letter": "pipelines+" + dead.url() + "?job_id=dl"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer catalog.ReleaseTable(tbl)
	s, err := tbl.(catalog.SinkTable).OpenSink(ctx, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vb := array.NewStringBuilder(mem)
	vb.AppendValues([]string{` {"a": 1} `, `[1,2]`, `{}`}, nil)
	v := vb.NewArray()
	vb.Release()
	b := array.NewRecordBatch(schema, []arrow.Array{v}, 3)
	v.Release()
	defer b.Release()
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PreCommit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	got := f.received()
	if len(got) != 2 || got[0][IdempotencyKey] != "r-0" || got[0]["a"] == nil || got[1][IdempotencyKey] != "r-2" || len(got[1]) != 1 {
		t.Errorf("delivered %v", got)
	}
	dl := dead.received()
	if len(dl) != 1 || dl[0]["raw"] != "[1,2]" || !strings.Contains(dl[0]["reason"].(string), "row r-1: format raw: the value is not a JSON object") {
		t.Errorf("dead letters %v", dl)
	}
}

// TestInsertIntoDeclaredTable goes through the engine: CREATE TABLE …
// WITH (connector = 'pipelines') and a streaming INSERT INTO it; rows
// carry the table's column names.
func TestInsertIntoDeclaredTable(t *testing.T) {
	f := newFakePipelines(t, "", 1<<20)
	eng := streamsql.New()
	defer eng.Close()
	script := "CREATE TABLE src (id BIGINT, name VARCHAR) WITH (connector = 'memory');\n" +
		"CREATE TABLE out (n VARCHAR, ident BIGINT) WITH (connector = 'pipelines', url = '" + f.url() + "', job_id = 'sql');\n" +
		"INSERT INTO out SELECT name, id FROM src"
	job, err := eng.StartJob(context.Background(), script, streamsql.JobOptions{CheckpointInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	tbl, _, err := eng.Catalog().Lookup([]string{"src"})
	if err != nil {
		t.Fatal(err)
	}
	src := tbl.(*catalog.StreamTable).Unwrap().(*memory.Stream)
	if err := src.AppendJSON(`{"id":1,"name":"a"}`, `{"id":2,"name":"b"}`); err != nil {
		t.Fatal(err)
	}
	src.CloseWrite()
	if err := job.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := job.Close(); err != nil {
		t.Fatal(err)
	}
	got := f.received()
	if len(got) != 2 || got[0]["n"] != "a" || got[1][IdempotencyKey] != "sql-1" || fmt.Sprint(got[1]["ident"]) != "2" {
		t.Errorf("delivered %v", got)
	}
}
