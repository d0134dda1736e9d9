package nats

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamsql/streamsql/catalog"
)

// streamIDs reads every message of a stream (without a durable consumer)
// and returns their "id" fields.
func streamIDs(t *testing.T, js jetstream.JetStream, stream string) []int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for s := info.State.FirstSeq; s <= info.State.LastSeq && info.State.Msgs > 0; s++ {
		m, err := st.GetMsg(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		var row struct{ ID int64 }
		if err := json.Unmarshal(m.Data, &row); err != nil {
			t.Fatalf("message %d: %q: %v", s, m.Data, err)
		}
		out = append(out, row.ID)
	}
	return out
}

// writeRange writes rows with ids [from, to) to s.
func writeRange(t *testing.T, s catalog.Sink, from, to int) {
	t.Helper()
	mem := checkedMem(t)
	idv := make([]int64, 0, to-from)
	dest := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		idv, dest = append(idv, int64(i)), append(dest, "out.x")
	}
	b := eventBatch(t, mem, idv, dest)
	defer b.Release()
	if err := s.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

func openSink(t *testing.T, tab *Table, schema *arrow.Schema) catalog.Sink {
	t.Helper()
	s, err := tab.OpenSink(context.Background(), schema)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A resumed job writes again what the crashed one wrote after its last
// checkpoint; the rows get the same Nats-Msg-Id and the stream keeps one
// copy.
func TestJetStreamSinkDedupAcrossRestore(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "OUT", "out.>")
	tab := openTable(t, "jetstream", map[string]string{"servers": ts.url(), "type": "sink", "stream": "OUT", "subject": "out.x"}, nil)
	schema := destSchema
	ctx := context.Background()

	crashed := openSink(t, tab, schema)
	writeRange(t, crashed, 0, 10)
	state, err := crashed.PreCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := crashed.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	writeRange(t, crashed, 10, 20)
	if _, err := crashed.PreCommit(ctx, 2); err != nil { // stored, but the checkpoint never completes
		t.Fatal(err)
	}
	_ = crashed.Close()

	resumed := openSink(t, tab, schema)
	if err := resumed.Restore(ctx, state); err != nil {
		t.Fatal(err)
	}
	writeRange(t, resumed, 10, 30)
	if _, err := resumed.PreCommit(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := resumed.Close(); err != nil {
		t.Fatal(err)
	}
	if got := streamIDs(t, js, "OUT"); !slices.Equal(got, seq(0, 30)) {
		t.Fatalf("stream holds %v, want 0…29 once", got)
	}

	// A fresh job (no Restore) is another job: its rows are new.
	fresh := openSink(t, tab, schema)
	writeRange(t, fresh, 0, 5)
	if _, err := fresh.PreCommit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	_ = fresh.Close()
	if got := streamIDs(t, js, "OUT"); len(got) != 35 {
		t.Fatalf("a fresh job's rows were dropped: %d messages", len(got))
	}
	if err := resumed.Restore(ctx, []byte(`{"rows":-1}`)); err == nil {
		t.Fatal("a malformed state restored")
	}
}

// With msg_id the message id is a column: writing the same rows twice,
// even from two jobs, stores them once.
func TestJetStreamSinkMsgIDColumn(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "OUT", "out.>")
	tab := openTable(t, "jetstream", map[string]string{"servers": ts.url(), "type": "sink", "stream": "OUT", "subject_column": "dest", "msg_id": "id"}, nil)
	schema := destSchema
	for range 2 {
		s := openSink(t, tab, schema)
		writeRange(t, s, 0, 5)
		if _, err := s.PreCommit(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
	}
	if got := streamIDs(t, js, "OUT"); !slices.Equal(got, seq(0, 5)) {
		t.Fatalf("stream holds %v", got)
	}
}

// A subject outside the stream fails at PreCommit, not silently.
func TestJetStreamSinkWrongSubject(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "OUT", "out.>")
	tab := openTable(t, "jetstream", map[string]string{"servers": ts.url(), "type": "sink", "stream": "OUT", "subject": "elsewhere"}, nil)
	s := openSink(t, tab, destSchema)
	defer s.Close()
	writeRange(t, s, 0, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := s.PreCommit(ctx, 1); err == nil {
		t.Fatal("publishing to a subject no stream holds succeeded")
	}
}

// A large epoch (more rows than the client lets be in flight) is written
// without failing, and every row is stored once.
func TestJetStreamSinkLargeEpoch(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "OUT", "out.>")
	tab := openTable(t, "jetstream", map[string]string{"servers": ts.url(), "type": "sink", "stream": "OUT", "subject": "out.x"}, nil)
	s := openSink(t, tab, destSchema)
	defer s.Close()
	const n = 10_000
	writeRange(t, s, 0, n)
	if _, err := s.PreCommit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if got := streamIDs(t, js, "OUT"); !slices.Equal(got, seq(0, n)) {
		t.Fatalf("stream holds %d messages, want 0…%d", len(got), n-1)
	}
}
