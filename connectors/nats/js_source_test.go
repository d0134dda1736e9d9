package nats

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamsql/streamsql/catalog"
)

// consumerInfo fetches the consumer's state from the server.
func consumerInfo(t *testing.T, js jetstream.JetStream, stream, name string) *jetstream.ConsumerInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, stream, name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// awaitInfo polls the consumer until cond holds.
func awaitInfo(t *testing.T, js jetstream.JetStream, stream, name string, what string, cond func(*jetstream.ConsumerInfo) bool) *jetstream.ConsumerInfo {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info := consumerInfo(t, js, stream, name)
		if cond(info) {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer never reached %s: delivered %+v ack floor %+v pending %d redelivered %d",
				what, info.Delivered, info.AckFloor, info.NumAckPending, info.NumRedelivered)
		}
		time.Sleep(20 * time.Millisecond) // polling the server's state
	}
}

func jsOptions(ts *testServer, extra ...string) map[string]string {
	o := map[string]string{"servers": ts.url(), "stream": "EV", "consumer": "job"}
	for i := 0; i+1 < len(extra); i += 2 {
		o[extra[i]] = extra[i+1]
	}
	return o
}

// A round trip: columns inferred by peeking (nothing consumed), every
// message read in order, the position the last stream sequence, acks
// only at CommitPosition.
func TestJetStreamRoundTrip(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	publishEvents(t, js, "ev.a", 0, 1000)
	tab := openTable(t, "jetstream", jsOptions(ts), nil)
	if got := tab.Schema().String(); !strings.Contains(got, "id: type=int64") || !strings.Contains(got, "name: type=utf8") {
		t.Fatalf("inferred schema: %s", got)
	}
	if _, err := js.Consumer(context.Background(), "EV", "job"); err != jetstream.ErrConsumerNotFound {
		t.Fatalf("sampling must not create the consumer: %v", err)
	}
	mem := checkedMem(t)
	r := openReader(t, tab, mem, nil)
	rows := readRows(t, r, 1000, 10*time.Second)
	if got := ids(rows); !slices.Equal(got, seq(0, 1000)) {
		t.Fatalf("ids: %v…", got[:10])
	}
	if rows[7][1] != "e7" {
		t.Fatalf("row 7: %v", rows[7])
	}
	pos := position(t, r)
	if string(pos) != `{"seq":1000}` {
		t.Fatalf("position %s", pos)
	}
	info := consumerInfo(t, js, "EV", "job")
	if info.AckFloor.Stream != 0 || info.NumAckPending != 1000 {
		t.Fatalf("acked before CommitPosition: floor %d pending %d", info.AckFloor.Stream, info.NumAckPending)
	}
	if err := r.(catalog.PositionCommitter).CommitPosition(context.Background(), []byte(`{"seq":600}`)); err != nil {
		t.Fatal(err)
	}
	awaitInfo(t, js, "EV", "job", "ack floor 600", func(i *jetstream.ConsumerInfo) bool {
		return i.AckFloor.Stream == 600 && i.NumAckPending == 400
	})
	if err := r.(catalog.PositionCommitter).CommitPosition(context.Background(), pos); err != nil {
		t.Fatal(err)
	}
	awaitInfo(t, js, "EV", "job", "ack floor 1000", func(i *jetstream.ConsumerInfo) bool {
		return i.AckFloor.Stream == 1000 && i.NumAckPending == 0
	})
}

// Without CommitPosition nothing is acknowledged: after AckWait the
// server redelivers every message to whoever pulls next.
func TestJetStreamNoAckBeforeCommit(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	publishEvents(t, js, "ev.a", 0, 100)
	tab := openTable(t, "jetstream", jsOptions(ts, "ack_wait", "300ms", "schema", "id BIGINT, name VARCHAR"), nil)
	r := openReader(t, tab, checkedMem(t), nil)
	if got := ids(readRows(t, r, 100, 10*time.Second)); !slices.Equal(got, seq(0, 100)) {
		t.Fatalf("ids %v", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	info := consumerInfo(t, js, "EV", "job")
	if info.AckFloor.Stream != 0 || info.NumAckPending != 100 {
		t.Fatalf("acked without a commit: floor %d pending %d", info.AckFloor.Stream, info.NumAckPending)
	}
	// A plain client on the same durable consumer gets them again.
	cons, err := js.Consumer(context.Background(), "EV", "job")
	if err != nil {
		t.Fatal(err)
	}
	var again []uint64
	deadline := time.Now().Add(10 * time.Second)
	for len(again) < 100 && time.Now().Before(deadline) {
		batch, err := cons.Fetch(100, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			meta, _ := m.Metadata()
			if meta.NumDelivered < 2 {
				t.Fatalf("seq %d delivered %d times", meta.Sequence.Stream, meta.NumDelivered)
			}
			again = append(again, meta.Sequence.Stream)
			_ = m.Ack()
		}
	}
	if len(again) != 100 {
		t.Fatalf("redelivered %d of 100", len(again))
	}
}

// A message redelivered after AckWait while it waits for a checkpoint is
// not emitted a second time; in-progress acks keep messages from expiring
// while the reader is polled.
func TestJetStreamRedeliveryNotEmittedTwice(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	publishEvents(t, js, "ev.a", 0, 50)
	tab := openTable(t, "jetstream", jsOptions(ts, "ack_wait", "300ms", "schema", "id BIGINT, name VARCHAR"), nil)
	r := openReader(t, tab, checkedMem(t), nil)
	readRows(t, r, 50, 10*time.Second)
	// Not polled, the reader sends no in-progress acks: AckWait expires.
	awaitInfo(t, js, "EV", "job", "redeliveries", func(i *jetstream.ConsumerInfo) bool { return i.NumRedelivered >= 50 })
	publishEvents(t, js, "ev.a", 50, 60)
	var got []int64
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		got = append(got, ids(readOnce(t, r))...)
	}
	if !slices.Equal(got, seq(50, 60)) {
		t.Fatalf("after redelivery read %v, want 50…59 once", got)
	}
	if err := r.(catalog.PositionCommitter).CommitPosition(context.Background(), position(t, r)); err != nil {
		t.Fatal(err)
	}
	awaitInfo(t, js, "EV", "job", "all acked", func(i *jetstream.ConsumerInfo) bool {
		return i.AckFloor.Stream == 60 && i.NumAckPending == 0
	})
}

// Polled (as the runtime does, at least every linger), the reader keeps
// its unacknowledged messages alive with in-progress acks.
func TestJetStreamInProgressKeepsMessages(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	publishEvents(t, js, "ev.a", 0, 20)
	tab := openTable(t, "jetstream", jsOptions(ts, "ack_wait", "600ms", "schema", "id BIGINT, name VARCHAR"), nil)
	r := openReader(t, tab, checkedMem(t), nil)
	readRows(t, r, 20, 10*time.Second)
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
		if got := readOnce(t, r); len(got) > 0 {
			t.Fatalf("read again: %v", got)
		}
	}
	if info := consumerInfo(t, js, "EV", "job"); info.NumRedelivered != 0 || info.NumAckPending != 20 {
		t.Fatalf("redelivered %d, pending %d: in-progress acks did not hold them", info.NumRedelivered, info.NumAckPending)
	}
}

// A reader seeking a checkpoint's position emits exactly what came after
// it, at once (the consumer is reset; no AckWait to sit out), even though
// the crashed reader acknowledged nothing.
func TestJetStreamResumeFromCheckpoint(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	publishEvents(t, js, "ev.a", 0, 100)
	opts := jsOptions(ts, "schema", "id BIGINT, name VARCHAR", "subject", "ev.a")
	tab := openTable(t, "jetstream", opts, nil)
	mem := checkedMem(t)
	a := openRequest(t, tab, catalog.StreamRequest{Columns: []int{0}, Alloc: mem, BatchRows: 25, Linger: 50 * time.Millisecond})
	first := readRows(t, a, 50, 10*time.Second)
	if len(first) != 50 {
		t.Fatalf("read %d rows in two batches of 25", len(first))
	}
	pos := position(t, a)
	readRows(t, a, 50, 10*time.Second) // read, never checkpointed
	_ = a.Close()                      // the crash: no CommitPosition at all

	tab2 := openTable(t, "jetstream", jsOptions(ts, "schema", "id BIGINT, name VARCHAR", "subject", "ev.a"), nil)
	b := openRequest(t, tab2, catalog.StreamRequest{Columns: []int{0}, Alloc: mem, Linger: 50 * time.Millisecond})
	if err := b.Seek(context.Background(), pos); err != nil {
		t.Fatal(err)
	}
	got := ids(readRows(t, b, 50, 5*time.Second)) // AckWait is 30s: a reset, not a redelivery
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
		got = append(got, ids(readOnce(t, b))...)
	}
	if !slices.Equal(got, seq(50, 100)) {
		t.Fatalf("resumed ids %v, want 50…99", got)
	}
	if err := b.(catalog.PositionCommitter).CommitPosition(context.Background(), position(t, b)); err != nil {
		t.Fatal(err)
	}
	awaitInfo(t, js, "EV", "job", "all acked", func(i *jetstream.ConsumerInfo) bool {
		return i.AckFloor.Stream == 100 && i.NumAckPending == 0
	})
}

// openRequest opens the table's reader with req.
func openRequest(t *testing.T, tab *Table, req catalog.StreamRequest) catalog.SplitReader {
	t.Helper()
	rs, err := tab.OpenStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs[0].Close() })
	return rs[0]
}

// Malformed payloads go to the dead letters, with the stream sequence in
// the reason, and the good messages around them flow on; without a
// dead-letter handler Read fails naming the message.
func TestJetStreamDeadLetters(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	ctx := context.Background()
	for _, p := range []string{`{"id":1}`, `not json`, `{"id":3}`} {
		if _, err := js.Publish(ctx, "ev.a", []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	var reasons, raws []string
	dl := func(raw []byte, reason string) error {
		reasons, raws = append(reasons, reason), append(raws, string(raw))
		return nil
	}
	tab := openTable(t, "jetstream", jsOptions(ts, "schema", "id BIGINT, _seq BIGINT, _subject VARCHAR"), nil)
	r := openReader(t, tab, checkedMem(t), dl)
	rows := readRows(t, r, 2, 10*time.Second)
	if fmt.Sprint(rows) != "[[1 1 ev.a] [3 3 ev.a]]" {
		t.Fatalf("rows %v", rows)
	}
	if len(reasons) != 1 || !strings.Contains(reasons[0], "stream EV seq 2 subject ev.a") || raws[0] != "not json" {
		t.Fatalf("dead letters %q %q", reasons, raws)
	}
	if string(position(t, r)) != `{"seq":3}` {
		t.Fatalf("the dead letter counts as consumed: position %s", position(t, r))
	}

	strict := openTable(t, "jetstream", jsOptions(ts, "schema", "id BIGINT", "consumer", "strict"), nil)
	sr := openReader(t, strict, checkedMem(t), nil)
	var err error
	for end := time.Now().Add(5 * time.Second); err == nil && time.Now().Before(end); {
		var b interface{ Release() }
		b, err = sr.Read(ctx)
		if b != nil {
			b.Release()
		}
		if err == catalog.ErrIdle {
			err = nil
		}
	}
	if err == nil || !strings.Contains(err.Error(), "seq 2") {
		t.Fatalf("want a decoding error naming seq 2, got %v", err)
	}
}

// A gap in the consumer sequence (deliveries lost on the way) makes the
// reader reset the consumer to just after its last ack; the redeliveries
// of what it emitted are skipped and the rest read once, in order.
func TestJetStreamGapResets(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	publishEvents(t, js, "ev.a", 0, 10)
	tab := openTable(t, "jetstream", jsOptions(ts, "schema", "id BIGINT"), nil)
	r := openReader(t, tab, checkedMem(t), nil)
	readRows(t, r, 10, 10*time.Second)
	if err := r.(catalog.PositionCommitter).CommitPosition(context.Background(), []byte(`{"seq":4}`)); err != nil {
		t.Fatal(err)
	}
	r.(*jsReader).lastDseq += 5 // as if five deliveries never arrived
	publishEvents(t, js, "ev.a", 10, 20)
	var got []int64
	for end := time.Now().Add(time.Second); time.Now().Before(end); {
		got = append(got, ids(readOnce(t, r))...)
	}
	if !slices.Equal(got, seq(10, 20)) {
		t.Fatalf("after the gap read %v, want 10…19 once", got)
	}
	// Reset to sequence 5: 6 redeliveries, then 10 new messages.
	if info := consumerInfo(t, js, "EV", "job"); info.Delivered.Consumer != 16 || info.AckFloor.Stream != 4 {
		t.Fatalf("no reset to the ack floor: delivered %+v ack floor %+v", info.Delivered, info.AckFloor)
	}
	if err := r.(catalog.PositionCommitter).CommitPosition(context.Background(), position(t, r)); err != nil {
		t.Fatal(err)
	}
	awaitInfo(t, js, "EV", "job", "all acked", func(i *jetstream.ConsumerInfo) bool {
		return i.AckFloor.Stream == 20 && i.NumAckPending == 0
	})
}
