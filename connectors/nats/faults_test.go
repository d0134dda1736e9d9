package nats

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamsql/streamsql/catalog"
)

// With ack_policy=all the consumer is created with AckAll and a commit
// sends one ack that covers everything up to the position.
func TestJetStreamAckAll(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	publishEvents(t, js, "ev.a", 0, 300)
	tab := openTable(t, "jetstream", jsOptions(ts, "schema", "id BIGINT", "ack_policy", "all"), nil)
	r := openReader(t, tab, checkedMem(t), nil)
	if got := ids(readRows(t, r, 300, 10*time.Second)); !slices.Equal(got, seq(0, 300)) {
		t.Fatalf("ids %v", got)
	}
	if p := consumerInfo(t, js, "EV", "job").Config.AckPolicy; p != jetstream.AckAllPolicy {
		t.Fatalf("created with %s", p)
	}
	if err := r.(catalog.PositionCommitter).CommitPosition(context.Background(), []byte(`{"seq":200}`)); err != nil {
		t.Fatal(err)
	}
	awaitInfo(t, js, "EV", "job", "ack floor 200", func(i *jetstream.ConsumerInfo) bool {
		return i.AckFloor.Stream == 200 && i.NumAckPending == 100
	})
}

// Consumers the connector cannot drive exactly are refused with a reason.
func TestJetStreamConsumerRefused(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	publishEvents(t, js, "ev.a", 0, 3)
	ctx := context.Background()
	for _, cfg := range map[string]jetstream.ConsumerConfig{
		"noack":    {Durable: "noack", AckPolicy: jetstream.AckNonePolicy},
		"filtered": {Durable: "filtered", AckPolicy: jetstream.AckExplicitPolicy, FilterSubject: "ev.b"},
		"new":      {Durable: "new", AckPolicy: jetstream.AckExplicitPolicy, DeliverPolicy: jetstream.DeliverNewPolicy},
	} {
		if _, err := js.CreateConsumer(ctx, "EV", cfg); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{"noack": "needs explicit or all", "filtered": `filters "ev.b", not subject "ev.a"`}
	for name, msg := range want {
		tab := openTable(t, "jetstream", jsOptions(ts, "schema", "id BIGINT", "consumer", name, "subject", "ev.a"), nil)
		_, err := tab.OpenStream(ctx, catalog.StreamRequest{Columns: []int{0}})
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: want %q, got %v", name, msg, err)
		}
	}
	// Deliver-new consumers cannot be reset to a sequence: Read says so.
	tab := openTable(t, "jetstream", jsOptions(ts, "schema", "id BIGINT", "consumer", "new"), nil)
	r := openReader(t, tab, checkedMem(t), nil)
	if err := r.Seek(ctx, []byte(`{"seq":1}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(ctx); err == nil || !strings.Contains(err.Error(), "resetting consumer new") {
		t.Fatalf("want a reset error, got %v", err)
	}
	if err := r.Seek(ctx, []byte("garbage")); err == nil {
		t.Fatal("a malformed position was accepted")
	}
	if err := r.(catalog.PositionCommitter).CommitPosition(ctx, []byte("garbage")); err == nil {
		t.Fatal("a malformed position was committed")
	}
}

// Misuse of tables and readers fails with errors, not panics.
func TestMisuse(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	ctx := context.Background()
	sink := openTable(t, "jetstream", map[string]string{"servers": ts.url(), "stream": "EV", "type": "sink", "subject": "ev.x"}, nil)
	if _, err := sink.OpenStream(ctx, catalog.StreamRequest{}); err == nil || !strings.Contains(err.Error(), "is a sink") {
		t.Errorf("reading a sink: %v", err)
	}
	if _, err := sink.Scan(ctx, catalog.ScanRequest{}); err == nil || !strings.Contains(err.Error(), "only be read as a stream") {
		t.Errorf("scanning: %v", err)
	}
	if _, err := sink.OpenSink(ctx, destSchema); err != nil {
		t.Fatal(err)
	}
	bad := openTable(t, "jetstream", map[string]string{"servers": ts.url(), "stream": "EV", "type": "sink", "subject_column": "nope", "format": "raw"}, nil)
	if _, err := bad.OpenSink(ctx, destSchema); err == nil || !strings.Contains(err.Error(), `raw payload column "value"`) {
		t.Errorf("raw without value: %v", err)
	}
	bad = openTable(t, "jetstream", map[string]string{"servers": ts.url(), "stream": "EV", "type": "sink", "subject_column": "nope"}, nil)
	if _, err := bad.OpenSink(ctx, destSchema); err == nil || !strings.Contains(err.Error(), `subject column "nope"`) {
		t.Errorf("missing subject column: %v", err)
	}
	if _, err := catalog.OpenConnector("jetstream", map[string]string{"connector": "jetstream", "servers": ts.url(), "stream": "EV"}, nil); err == nil ||
		!strings.Contains(err.Error(), "no messages to infer the columns from") {
		t.Errorf("inferring from nothing: %v", err)
	}
	src := openTable(t, "nats", map[string]string{"servers": ts.url(), "subject": "x", "format": "raw"}, nil)
	r := openReader(t, src, checkedMem(t), nil)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(ctx); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("reading a closed reader: %v", err)
	}
	catalog.ReleaseTable(src)
	if _, err := src.OpenStream(ctx, catalog.StreamRequest{}); err == nil || !strings.Contains(err.Error(), "released") {
		t.Errorf("opening a released table: %v", err)
	}
}

// An error from the dead-letter handler fails Read; the raw core source
// reads payloads as they are.
func TestCoreRawAndDeadLetterFailure(t *testing.T) {
	ts := startServer(t)
	nc, _ := ts.client()
	raw := openReader(t, openTable(t, "nats", map[string]string{"servers": ts.url(), "subject": "r", "format": "raw"}, nil), checkedMem(t), nil)
	failing := func([]byte, string) error { return errors.New("the dead-letter queue is full") }
	strict := openReader(t, openTable(t, "nats", map[string]string{"servers": ts.url(), "subject": "j", "schema": "id BIGINT"}, nil), checkedMem(t), failing)
	_ = nc.Publish("r", []byte("not json at all"))
	_ = nc.Publish("j", []byte("{oops"))
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if rows := readRows(t, raw, 1, 5*time.Second); rows[0][0] != "not json at all" {
		t.Fatalf("raw rows %v", rows)
	}
	var err error
	for end := time.Now().Add(5 * time.Second); err == nil && time.Now().Before(end); {
		_, err = strict.Read(context.Background())
		if errors.Is(err, catalog.ErrIdle) {
			err = nil
		}
	}
	if err == nil || !strings.Contains(err.Error(), "the dead-letter queue is full") || !strings.Contains(err.Error(), "subject j") {
		t.Fatalf("want the dead-letter failure, got %v", err)
	}
}

// While the server is away a reader is idle, not failed; it resumes when
// the server is back.
func TestJetStreamReaderWaitsForServer(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	publishEvents(t, js, "ev.a", 0, 10)
	tab := openTable(t, "jetstream", jsOptions(ts, "schema", "id BIGINT"), nil)
	r := openReader(t, tab, checkedMem(t), nil)
	ts.stop()
	for end := time.Now().Add(5 * time.Second); tab.nc.IsConnected(); {
		if time.Now().After(end) {
			t.Fatal("the client never noticed the server left")
		}
		time.Sleep(10 * time.Millisecond) // polling the connection state
	}
	for range 3 {
		if b, err := r.Read(context.Background()); !errors.Is(err, catalog.ErrIdle) {
			if b != nil {
				b.Release()
			}
			t.Fatalf("with the server away Read gave %v, want ErrIdle", err)
		}
	}
	ts.start()
	if got := ids(readRows(t, r, 10, 20*time.Second)); !slices.Equal(got, seq(0, 10)) {
		t.Fatalf("ids %v", got)
	}
}
