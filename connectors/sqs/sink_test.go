package sqs

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

var rowSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "g", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "value", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// batch builds rows id=from…to-1, g=group(id), value=payload(id).
func batch(t *testing.T, mem memory.Allocator, from, to int, group func(int) string, payload func(int) string) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, rowSchema)
	defer b.Release()
	for i := from; i < to; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(group(i))
		b.Field(2).(*array.StringBuilder).Append(payload(i))
	}
	return b.NewRecordBatch()
}

func small(i int) string  { return fmt.Sprintf("v%d", i) }
func oneGroup(int) string { return "g" }
func parity(i int) string { return []string{"even", "odd"}[i%2] }
func checked(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func write(t *testing.T, k catalog.Sink, b arrow.RecordBatch) {
	t.Helper()
	defer b.Release()
	if err := k.Write(bg, b); err != nil {
		t.Fatal(err)
	}
}

func openSink(t *testing.T, e *env, opts map[string]string) catalog.Sink {
	t.Helper()
	opts["type"] = "sink"
	k, err := e.open(t, opts, nil).OpenSink(bg, rowSchema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// Rows go out as JSON objects in batches of at most 10 messages; PreCommit
// sends the rest.
func TestSinkBatchesTenMessages(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "out", nil)
	k := openSink(t, e, map[string]string{"queue": "out"})
	mem := checked(t)
	write(t, k, batch(t, mem, 0, 25, oneGroup, small))
	if n := e.srv.Calls("SendMessageBatch"); n != 2 {
		t.Fatalf("after writing 25 rows: %d batches sent, want 2 full ones", n)
	}
	if _, err := k.PreCommit(bg, 1); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.Calls("SendMessageBatch"); n != 3 {
		t.Fatalf("after PreCommit: %d batches sent, want 3", n)
	}
	got := e.drain(t, url)
	if len(got) != 25 || got[0] != `{"id":0,"g":"g","value":"v0"}` {
		t.Fatalf("queue holds %d messages, first %q", len(got), got[0])
	}
}

// Batches also stay within 256 KiB, and a row too big for SQS fails.
func TestSinkBatchesWithinSizeLimit(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "big", nil)
	k := openSink(t, e, map[string]string{"queue": "big", "format": "raw"})
	mem := checked(t)
	write(t, k, batch(t, mem, 0, 5, oneGroup, func(i int) string { return strings.Repeat(string(rune('a'+i)), 100_000) }))
	if _, err := k.PreCommit(bg, 1); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.Calls("SendMessageBatch"); n != 3 {
		t.Fatalf("5 messages of 100 kB went in %d batches, want 3", n)
	}
	if got := e.drain(t, url); len(got) != 5 {
		t.Fatalf("queue holds %d messages, want 5", len(got))
	}
	b := batch(t, mem, 0, 1, oneGroup, func(int) string { return strings.Repeat("x", maxMessageBytes+1) })
	defer b.Release()
	if err := k.Write(bg, b); err == nil || !strings.Contains(err.Error(), "more than SQS's") {
		t.Fatalf("writing an oversized row: %v", err)
	}
}

// Entries failing on the service's side are retried alone; the others
// are not sent twice.
func TestSinkRetriesOnlyFailedEntries(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "retry", nil)
	k := openSink(t, e, map[string]string{"queue": "retry", "format": "raw"})
	mem := checked(t)
	e.srv.FailEntries("SendMessageBatch", 3, "InternalError")
	write(t, k, batch(t, mem, 0, 8, oneGroup, small))
	if _, err := k.PreCommit(bg, 1); err != nil {
		t.Fatal(err)
	}
	got := e.drain(t, url)
	slices.Sort(got)
	if want := []string{"v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7"}; !slices.Equal(got, want) {
		t.Fatalf("queue holds %v, want each row once", got)
	}
	if n := e.srv.Calls("SendMessageBatch"); n != 2 {
		t.Fatalf("%d SendMessageBatch calls, want 2 (one retry of the 3 failed entries)", n)
	}
}

func TestSinkGivesUpOnPersistentFailures(t *testing.T) {
	e := newEnv(t)
	e.create(t, "down", nil)
	k := openSink(t, e, map[string]string{"queue": "down", "format": "raw", "retries": "2"})
	mem := checked(t)
	e.srv.FailEntries("SendMessageBatch", 100, "InternalError")
	write(t, k, batch(t, mem, 0, 3, oneGroup, small))
	if _, err := k.PreCommit(bg, 1); err == nil || !strings.Contains(err.Error(), "InternalError") {
		t.Fatalf("PreCommit with every entry failing: %v", err)
	}
	if n := e.srv.Calls("SendMessageBatch"); n != 2 {
		t.Fatalf("%d attempts, want 2 (retries=2)", n)
	}
	// A sender fault is not retried.
	k2 := openSink(t, e, map[string]string{"queue": "down", "format": "raw"})
	e.srv.FailEntries("SendMessageBatch", 100, "InvalidMessageContents")
	write(t, k2, batch(t, mem, 0, 1, oneGroup, small))
	if _, err := k2.PreCommit(bg, 1); err == nil || !strings.Contains(err.Error(), "InvalidMessageContents") {
		t.Fatalf("PreCommit with a sender fault: %v", err)
	}
	if n := e.srv.Calls("SendMessageBatch"); n != 3 {
		t.Fatalf("%d attempts in all, want 3 (the sender fault not retried)", n)
	}
}

// FIFO: groups from group_column, deduplication ids from the checkpoint
// state, so a resumed job writing the same rows again is deduplicated.
func TestSinkFIFODeduplicatesAResumedJob(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "out.fifo", map[string]string{"FifoQueue": "true"})
	mem := checked(t)
	opts := func() map[string]string {
		return map[string]string{"queue": "out.fifo", "format": "raw", "group_column": "g"}
	}
	k := openSink(t, e, opts())
	write(t, k, batch(t, mem, 0, 4, parity, small))
	state, err := k.PreCommit(bg, 1)
	if err != nil {
		t.Fatal(err)
	}
	write(t, k, batch(t, mem, 4, 8, parity, small))
	if _, err := k.PreCommit(bg, 2); err != nil {
		t.Fatal(err)
	}
	k.Close()
	// The job crashed before checkpoint 2 was durable: it resumes from
	// checkpoint 1 and writes rows 4–9.
	k2 := openSink(t, e, opts())
	if err := k2.Restore(bg, state); err != nil {
		t.Fatal(err)
	}
	write(t, k2, batch(t, mem, 4, 10, parity, small))
	if _, err := k2.PreCommit(bg, 2); err != nil {
		t.Fatal(err)
	}
	var st sinkState
	if err := json.Unmarshal(state, &st); err != nil || st.Seq != 4 {
		t.Fatalf("state %s", state)
	}
	got := e.drain(t, url)
	even, odd := []string{}, []string{}
	for _, v := range got {
		var n int
		fmt.Sscanf(v, "v%d", &n)
		if n%2 == 0 {
			even = append(even, v)
		} else {
			odd = append(odd, v)
		}
	}
	if !slices.Equal(even, []string{"v0", "v2", "v4", "v6", "v8"}) || !slices.Equal(odd, []string{"v1", "v3", "v5", "v7", "v9"}) {
		t.Fatalf("groups hold %v and %v, want each row once in order", even, odd)
	}
	if err := k2.Restore(bg, state); err == nil {
		t.Fatal("Restore after Write was accepted")
	}
}

func TestSinkFIFODedupColumnAndErrors(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "d.fifo", map[string]string{"FifoQueue": "true"})
	mem := checked(t)
	k := openSink(t, e, map[string]string{"queue": "d.fifo", "format": "raw", "group_column": "g", "dedup_column": "id"})
	write(t, k, batch(t, mem, 0, 3, oneGroup, small))
	write(t, k, batch(t, mem, 1, 3, oneGroup, small)) // ids 1 and 2 again
	if _, err := k.PreCommit(bg, 1); err != nil {
		t.Fatal(err)
	}
	if got := e.drain(t, url); !slices.Equal(got, []string{"v0", "v1", "v2"}) {
		t.Fatalf("queue holds %v", got)
	}
	tb := e.open(t, map[string]string{"queue": "d.fifo", "type": "sink"}, nil)
	if _, err := tb.OpenSink(bg, rowSchema); err == nil || !strings.Contains(err.Error(), "group_column") {
		t.Fatalf("a FIFO sink without group_column: %v", err)
	}
	tb = e.open(t, map[string]string{"queue": "d.fifo", "type": "sink", "group_column": "nope"}, nil)
	if _, err := tb.OpenSink(bg, rowSchema); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("group_column naming no column: %v", err)
	}
}

func TestSinkRestoreRejectsMalformedState(t *testing.T) {
	e := newEnv(t)
	e.create(t, "r", nil)
	k := openSink(t, e, map[string]string{"queue": "r"})
	for _, st := range []string{"", "{}", `{"prefix":"p","seq":-1}`} {
		if err := k.Restore(bg, []byte(st)); err == nil {
			t.Fatalf("Restore(%q) was accepted", st)
		}
	}
}

// A batch call failing as a whole (after the SDK's own retries) fails
// PreCommit, naming the queue and the code.
func TestSinkCallFailure(t *testing.T) {
	e := newEnv(t)
	e.create(t, "gone", nil)
	k := openSink(t, e, map[string]string{"queue": "gone", "format": "raw"})
	mem := checked(t)
	write(t, k, batch(t, mem, 0, 2, oneGroup, small))
	e.srv.FailNext("SendMessageBatch", 100, "QueueDoesNotExist")
	_, err := k.PreCommit(bg, 1)
	if err == nil || !strings.Contains(err.Error(), "sending to sqs queue gone") || !strings.Contains(err.Error(), "NonExistentQueue") {
		t.Fatalf("PreCommit: %v", err)
	}
	if strings.Contains(err.Error(), "test-secret") {
		t.Fatal("the error shows the secret key")
	}
	// Close sends what is still buffered, and reports its failure.
	if err := k.Close(); err == nil {
		t.Fatal("Close with the queue gone succeeded")
	}
}

// Rows SQS cannot take fail Write: an empty raw payload, a FIFO row
// without a group.
func TestSinkRejectsUnsendableRows(t *testing.T) {
	e := newEnv(t)
	e.create(t, "plain", nil)
	e.create(t, "grouped.fifo", map[string]string{"FifoQueue": "true"})
	mem := checked(t)
	k := openSink(t, e, map[string]string{"queue": "plain", "format": "raw"})
	b := batch(t, mem, 0, 1, oneGroup, func(int) string { return "" })
	defer b.Release()
	if err := k.Write(bg, b); err == nil || !strings.Contains(err.Error(), "empty payload") {
		t.Fatalf("writing an empty payload: %v", err)
	}
	k2 := openSink(t, e, map[string]string{"queue": "grouped.fifo", "group_column": "g"})
	nog := batch(t, mem, 0, 1, func(int) string { return "" }, small)
	defer nog.Release()
	if err := k2.Write(bg, nog); err == nil || !strings.Contains(err.Error(), "no group in column g") {
		t.Fatalf("writing a row without a group: %v", err)
	}
	tb := e.open(t, map[string]string{"queue": "plain", "type": "sink", "format": "raw"}, nil)
	noValue := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	if _, err := tb.OpenSink(bg, noValue); err == nil || !strings.Contains(err.Error(), "value") {
		t.Fatalf("a raw sink without a value column: %v", err)
	}
	src := e.open(t, map[string]string{"queue": "plain", "format": "raw"}, nil)
	if _, err := src.OpenSink(bg, rowSchema); err == nil || !strings.Contains(err.Error(), "type=sink") {
		t.Fatalf("writing to a source table: %v", err)
	}
	if _, err := tb.OpenStream(bg, catalog.StreamRequest{}); err == nil {
		t.Fatal("a sink table opened as a stream")
	}
}
