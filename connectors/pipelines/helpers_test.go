package pipelines

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// rowSchema is (user VARCHAR, seq BIGINT, note VARCHAR).
var rowSchema = arrow.NewSchema([]arrow.Field{
	{Name: "user", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "seq", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func checkedMem(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// rows builds seq from..to-1 of rowSchema; user is "u<seq%users>", note
// is pad repeated (to make rows large).
func rows(mem memory.Allocator, from, to, users int, pad string) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, rowSchema)
	defer b.Release()
	for i := from; i < to; i++ {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("u%d", i%users))
		b.Field(1).(*array.Int64Builder).Append(int64(i))
		b.Field(2).(*array.StringBuilder).Append(pad)
	}
	return b.NewRecordBatch()
}

// openSink opens a pipelines sink over rowSchema with options (url set by
// the caller); it is closed at the end of the test.
func openSink(t *testing.T, opts map[string]string) catalog.Sink {
	t.Helper()
	tbl, err := catalog.OpenConnector("pipelines", opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { catalog.ReleaseTable(tbl) })
	s, err := tbl.(catalog.SinkTable).OpenSink(context.Background(), rowSchema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// write writes rows from..to-1 (users users) to s.
func write(t *testing.T, s catalog.Sink, mem memory.Allocator, from, to, users int, pad string) {
	t.Helper()
	b := rows(mem, from, to, users, pad)
	defer b.Release()
	if err := s.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// seqOf reads a stored row's seq.
func seqOf(t *testing.T, row map[string]any) int {
	t.Helper()
	n, err := row["seq"].(json.Number).Int64()
	if err != nil {
		t.Fatalf("row %v: seq: %v", row, err)
	}
	return int(n)
}

// checkExactlyOnce asserts rows hold seq 0..n-1 once each, and each
// user's seqs in increasing order.
func checkExactlyOnce(t *testing.T, rows []map[string]any, n int) {
	t.Helper()
	seen := make([]bool, n)
	last := map[string]int{}
	for _, row := range rows {
		seq := seqOf(t, row)
		if seq < 0 || seq >= n || seen[seq] {
			t.Fatalf("seq %d delivered twice or out of range", seq)
		}
		seen[seq] = true
		user := row["user"].(string)
		if prev, ok := last[user]; ok && prev > seq {
			t.Fatalf("user %s: seq %d after %d: per-key order broken", user, seq, prev)
		}
		last[user] = seq
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("seq %d was never delivered (%d of %d rows arrived)", i, len(rows), n)
		}
	}
}
