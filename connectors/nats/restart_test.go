package nats

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors/memory"
	"github.com/streamsql/streamsql/transforms"
)

// The server restarts (same port, same store) while a job reads: the job
// reconnects and ends with every message exactly once, in order.
func TestJetStreamJobSurvivesServerRestart(t *testing.T) {
	ts := startServer(t)
	nc, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	const before, after = 20_000, 5_000
	publishEvents(t, js, "ev.a", 0, before)
	tr, err := transforms.Parse("pass.sql", "SELECT id, name FROM __input__")
	if err != nil {
		t.Fatal(err)
	}
	sink := memory.NewSink()
	defer sink.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	done := make(chan error, 1)
	uri := fmt.Sprintf("jetstream://127.0.0.1:%d/EV/job?ack_wait=2s", ts.port)
	go func() {
		_, err := transforms.Run(ctx, tr, transforms.Config{Input: uri, OutputSink: sink, UntilIdle: 3 * time.Second})
		done <- err
	}()
	for sink.Len() < 1000 {
		select {
		case err := <-done:
			t.Fatalf("the job ended before the restart: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	ts.stop()
	mid := sink.Len()
	ts.start()
	waitStreamReady(t, nc, js, "EV")
	publishEvents(t, js, "ev.a", before, before+after)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rows := sink.Rows()
	got := make([]int64, len(rows))
	for i, r := range rows {
		got[i] = r[0].(int64)
	}
	if !slices.Equal(got, seq(0, before+after)) {
		t.Fatalf("read %d rows (%d before the restart), want 0…%d once each in order", len(got), mid, before+after-1)
	}
	if mid >= before {
		t.Logf("the restart came after all %d first messages were read", before)
	}
}

// A job killed after a checkpoint (cancelled: no final checkpoint, no
// acks for what it read since) resumes from its state directory and the
// output file holds every message exactly once.
func TestJetStreamJobResumesExactlyOnce(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	publishEvents(t, js, "ev.a", 0, 5000)
	tr, err := transforms.Parse("pass.sql", "SELECT id FROM __input__")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state"), filepath.Join(dir, "out.jsonl")
	uri := fmt.Sprintf("jetstream://127.0.0.1:%d/EV/job?schema=id+BIGINT", ts.port)
	cfg := transforms.Config{Input: uri, Output: out, StateDir: state, Options: transforms.Options{CheckpointInterval: 100 * time.Millisecond}}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := transforms.Run(ctx, tr, cfg)
		done <- err
	}()
	// Kill it once a checkpoint is on disk and some rows came after it.
	for {
		entries, _ := os.ReadDir(state)
		if len(entries) > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond) // polling the state directory
	}
	publishEvents(t, js, "ev.a", 5000, 6000)
	cancel()
	<-done
	info := consumerInfo(t, js, "EV", "job")
	t.Logf("killed run: ack floor %d delivered %d, %d lines", info.AckFloor.Stream, info.Delivered.Stream, len(readLines(t, out)))
	publishEvents(t, js, "ev.a", 6000, 8000)

	cfg.UntilIdle = time.Second
	if _, err := transforms.Run(context.Background(), tr, cfg); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, out)
	got := make([]int64, len(lines))
	for i, l := range lines {
		if _, err := fmt.Sscanf(l, `{"id":%d}`, &got[i]); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
	}
	if !slices.Equal(got, seq(0, 8000)) {
		t.Fatalf("output holds %d lines, want 0…7999 once each (killed run: ack floor %d, delivered %d)",
			len(got), info.AckFloor.Stream, info.Delivered.Stream)
	}
}

// A pipeline declares a JetStream source and a JetStream sink with
// CREATE TABLE … WITH (connector = 'jetstream', …) and copies rows across.
func TestJetStreamCreateTablePipeline(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	createStream(t, js, "OUT", "out.>")
	publishEvents(t, js, "ev.a", 0, 100)
	sql := fmt.Sprintf(`
CREATE TABLE src (id BIGINT, name VARCHAR)
  WITH (connector = 'jetstream', servers = '%[1]s', stream = 'EV', consumer = 'pipe');
CREATE TABLE dst (id BIGINT, name VARCHAR)
  WITH (connector = 'jetstream', type = 'sink', servers = '%[1]s', stream = 'OUT', subject = 'out.copy');
INSERT INTO dst SELECT id, name FROM src WHERE id %% 10 = 0;
`, ts.url())
	tr, err := transforms.Parse("pipe.sql", sql)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := transforms.Run(ctx, tr, transforms.Config{UntilIdle: 500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	want := []int64{0, 10, 20, 30, 40, 50, 60, 70, 80, 90}
	if got := streamIDs(t, js, "OUT"); !slices.Equal(got, want) {
		t.Fatalf("OUT holds %v, want %v", got, want)
	}
}
