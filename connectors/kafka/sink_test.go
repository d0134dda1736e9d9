package kafka

import (
	"context"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

// consumed reads every record of topic visible to a consumer of the
// given isolation, waiting until it has want records or a second passed.
func consumed(t *testing.T, addr, topic string, readCommitted bool, want int) []*kgo.Record {
	t.Helper()
	opts := []kgo.Opt{kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}
	if readCommitted {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) && (want < 0 || len(out) < want) {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}

// batch builds a batch of (id BIGINT, name VARCHAR, hdr JSON) rows.
func sinkBatch(mem memory.Allocator, ids []int64, names []string, hdrs []string) arrow.RecordBatch {
	schema, _ := file.ParseColumns("id BIGINT, name VARCHAR, hdr JSON")
	ib := array.NewInt64Builder(mem)
	defer ib.Release()
	ib.AppendValues(ids, nil)
	nb := array.NewStringBuilder(mem)
	defer nb.Release()
	nb.AppendValues(names, nil)
	hb := array.NewStringBuilder(mem)
	defer hb.Release()
	for _, h := range hdrs {
		if h == "" {
			hb.AppendNull()
		} else {
			hb.Append(h)
		}
	}
	cols := []arrow.Array{ib.NewArray(), nb.NewArray(), hb.NewArray()}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	return array.NewRecordBatch(schema, cols, int64(len(ids)))
}

func openSink(t *testing.T, addr, topic string, schema *arrow.Schema, kv ...string) catalog.Sink {
	t.Helper()
	tbl := open(t, addr, topic, nil, append([]string{"type", "sink"}, kv...)...)
	s, err := tbl.OpenSink(context.Background(), schema)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Rows go as JSON objects; the key comes from a column, headers from a
// JSON column (left out of the value).
func TestSinkWritesJSONWithKeyAndHeaders(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "out", 1)
	b := sinkBatch(mem, []int64{1, 2}, []string{"a", "b"}, []string{`{"trace":"t1","n":2}`, ""})
	defer b.Release()
	s := openSink(t, addr, "out", b.Schema(), "key", "id", "headers", "hdr")
	ctx := context.Background()
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PreCommit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	recs := consumed(t, addr, "out", false, 2)
	if len(recs) != 2 {
		t.Fatalf("consumed %d records", len(recs))
	}
	if string(recs[0].Key) != "1" || string(recs[0].Value) != `{"id":1,"name":"a"}` {
		t.Errorf("record 0: key %q value %s", recs[0].Key, recs[0].Value)
	}
	var hs []string
	for _, h := range recs[0].Headers {
		hs = append(hs, h.Key+"="+string(h.Value))
	}
	sort.Strings(hs)
	if !reflect.DeepEqual(hs, []string{"n=2", "trace=t1"}) || len(recs[1].Headers) != 0 {
		t.Errorf("headers %v, %v", hs, recs[1].Headers)
	}
	// Misconfigurations are caught when the sink opens.
	tbl := open(t, addr, "out", nil, "type", "sink", "key", "nope")
	_, err := tbl.OpenSink(ctx, b.Schema())
	mustContain(t, err, `option key: the query has no column "nope"`)
	tbl = open(t, addr, "out", nil, "type", "sink", "format", "raw")
	_, err = tbl.OpenSink(ctx, b.Schema())
	mustContain(t, err, `VARCHAR column "value"`)
	src := open(t, addr, "out", b.Schema())
	_, err = src.OpenSink(ctx, b.Schema())
	mustContain(t, err, "the table is a source")
}

// A header column that is not a JSON object fails the write.
func TestSinkRejectsMalformedHeaders(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "out", 1)
	b := sinkBatch(mem, []int64{1}, []string{"a"}, []string{`[1]`})
	defer b.Release()
	s := openSink(t, addr, "out", b.Schema(), "headers", "hdr")
	defer s.Close()
	mustContain(t, s.Write(context.Background(), b), "column hdr", "want a JSON object")
}

// txnRun writes rows as one checkpoint epoch of a transactional sink:
// Write and PreCommit, then Commit unless commit is false. It returns the
// PreCommit state.
func txnRun(t *testing.T, s catalog.Sink, b arrow.RecordBatch, epoch int64, commit bool) []byte {
	t.Helper()
	ctx := context.Background()
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	state, err := s.PreCommit(ctx, epoch)
	if err != nil {
		t.Fatal(err)
	}
	if commit {
		if err := s.Commit(ctx, epoch); err != nil {
			t.Fatal(err)
		}
	}
	return state
}

// A transactional sink whose job dies before committing what it wrote
// after its last durable checkpoint leaves none of it visible to
// read_committed consumers once the job restarts from that checkpoint:
// the restarted sink fences the dead one's transactional id, which
// aborts its transaction, and the dead one can no longer commit.
func TestTransactionalSinkRestartWithoutCommitShowsNothing(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "out", 2)
	ctx := context.Background()
	b := sinkBatch(mem, []int64{1, 2, 3}, []string{"a", "b", "c"}, []string{"", "", ""})
	defer b.Release()
	two := b.NewSlice(0, 2)
	defer two.Release()

	zombie := openSink(t, addr, "out", b.Schema(), "transactional_id", "job-1", "key", "id")
	durable := txnRun(t, zombie, b, 1, true)
	txnRun(t, zombie, two, 2, false) // checkpoint 2 never becomes durable
	if got := consumed(t, addr, "out", true, -1); len(got) != 3 {
		t.Fatalf("read_committed saw %d records, want the 3 committed", len(got))
	}
	if got := consumed(t, addr, "out", false, 5); len(got) != 5 {
		t.Fatalf("read_uncommitted saw %d records, want the 5 written", len(got))
	}

	restarted := openSink(t, addr, "out", b.Schema(), "transactional_id", "job-1", "key", "id")
	defer restarted.Close()
	if err := restarted.Restore(ctx, durable); err != nil {
		t.Fatal(err)
	}
	if err := zombie.Commit(ctx, 2); err == nil {
		t.Fatal("the fenced sink committed")
	}
	zombie.Close()
	if got := consumed(t, addr, "out", true, -1); len(got) != 3 {
		t.Fatalf("read_committed saw %d records after the restart, want 3", len(got))
	}
	// The restarted job's own epoch commits and becomes visible.
	one := b.NewSlice(0, 1)
	defer one.Release()
	txnRun(t, restarted, one, 2, true)
	got := consumed(t, addr, "out", true, 4)
	if len(got) != 4 || string(got[len(got)-1].Value) != `{"id":1,"name":"a","hdr":null}` {
		t.Fatalf("read_committed after commit: %d records", len(got))
	}
	mustContain(t, restarted.Restore(ctx, []byte("nope")), "malformed sink state")
}

// A job that dies after its checkpoint is durable but before the sink's
// Commit committed the checkpoint's transaction: the restarted sink
// commits it from the producer id and epoch in the checkpoint, so those
// rows are not lost.
func TestTransactionalSinkCommitsTheCheckpointsTransactionOnRestore(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "out", 1)
	ctx := context.Background()
	b := sinkBatch(mem, []int64{1, 2, 3}, []string{"a", "b", "c"}, []string{"", "", ""})
	defer b.Release()
	two := b.NewSlice(0, 2)
	defer two.Release()

	// A job's first transaction: the sink knows from the cluster's
	// features that epochs bump.
	first := openSink(t, addr, "out", b.Schema(), "transactional_id", "job-2")
	row := b.NewSlice(0, 1)
	defer row.Release()
	durable := txnRun(t, first, row, 1, false) // dies before Commit(1)
	restarted := openSink(t, addr, "out", b.Schema(), "transactional_id", "job-2")
	if err := restarted.Restore(ctx, durable); err != nil {
		t.Fatal(err)
	}
	if got := consumed(t, addr, "out", true, 1); len(got) != 1 {
		t.Fatalf("read_committed saw %d records after restoring the first epoch, want 1", len(got))
	}
	restarted.Close()

	dead := openSink(t, addr, "out", b.Schema(), "transactional_id", "job-2")
	txnRun(t, dead, b, 2, true)
	durable = txnRun(t, dead, two, 3, false) // dies before Commit(3)
	if got := consumed(t, addr, "out", true, -1); len(got) != 4 {
		t.Fatalf("read_committed saw %d records before the restart", len(got))
	}
	restarted = openSink(t, addr, "out", b.Schema(), "transactional_id", "job-2")
	defer restarted.Close()
	if err := restarted.Restore(ctx, durable); err != nil {
		t.Fatal(err)
	}
	if got := consumed(t, addr, "out", true, 6); len(got) != 6 {
		t.Fatalf("read_committed saw %d records after the restore, want 6", len(got))
	}
	// Restoring the same state again (a second crash) changes nothing.
	again := openSink(t, addr, "out", b.Schema(), "transactional_id", "job-2")
	defer again.Close()
	if err := again.Restore(ctx, durable); err != nil {
		t.Fatal(err)
	}
	if got := consumed(t, addr, "out", true, -1); len(got) != 6 {
		t.Fatalf("read_committed saw %d records after a second restore, want 6", len(got))
	}
}

// Closing a sink with an open transaction aborts it: its rows belong to
// no durable checkpoint.
func TestTransactionalSinkCloseAborts(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "out", 1)
	ctx := context.Background()
	b := sinkBatch(mem, []int64{1}, []string{"a"}, []string{""})
	defer b.Release()
	s := openSink(t, addr, "out", b.Schema(), "transactional_id", "job-2")
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := consumed(t, addr, "out", true, -1); len(got) != 0 {
		t.Fatalf("read_committed saw %d aborted records", len(got))
	}
	mustContain(t, s.Write(ctx, b), "closed")
}

// Format raw: the sink writes the VARCHAR column value as the record
// value (NULL as a null value), and a raw source reads values back into
// the column value.
func TestRawRoundTrip(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "raw", 1)
	ctx := context.Background()
	vb := array.NewStringBuilder(mem)
	vb.AppendValues([]string{"plain text", ""}, []bool{true, false})
	col := vb.NewArray()
	vb.Release()
	b := array.NewRecordBatch(file.RawSchema, []arrow.Array{col}, 2)
	col.Release()
	defer b.Release()
	s := openSink(t, addr, "raw", b.Schema(), "format", "raw")
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PreCommit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	recs := consumed(t, addr, "raw", false, 2)
	if len(recs) != 2 || string(recs[0].Value) != "plain text" || recs[1].Value != nil {
		t.Fatalf("records %v", recs)
	}
	src := open(t, addr, "raw", nil, "format", "raw")
	got := readRows(t, openReaders(t, src, mem, nil))
	if !reflect.DeepEqual(got, [][]any{{"plain text"}, {""}}) {
		t.Fatalf("raw rows %v", got)
	}
}
