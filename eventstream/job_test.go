package eventstream

import (
	"context"
	"testing"
	"time"

	streamsql "github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/connectors/memory"
)

// A streaming job reads a topic as a stream: events ingested before and
// while it runs, windowed by the event time column.
func TestStreamingJobOverTopic(t *testing.T) {
	h := newHarness(t, Config{})
	h.ingest("orders", `[{"k":"a","timestamp":"2026-03-01T10:00:01Z"},{"k":"b","timestamp":"2026-03-01T10:00:30Z"}]`)
	sink := memory.NewSink()
	defer sink.Release()
	job, err := h.srv.Engine().StartJob(context.Background(),
		`SELECT window_start, count(*) AS n FROM TUMBLE(orders, timestamp, INTERVAL '1' MINUTE) GROUP BY window_start`,
		streamsql.JobOptions{Output: sink, UntilIdle: 300 * time.Millisecond, Linger: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer job.Close()
	done := make(chan error, 1)
	go func() { done <- job.Run(context.Background()) }()
	h.ingest("orders", `{"k":"c","timestamp":"2026-03-01T10:00:59Z"}`)
	h.ingest("orders", `{"k":"d","timestamp":"2026-03-01T10:01:10Z"}`)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rows := sink.Rows()
	if len(rows) != 2 || rows[0][1] != int64(3) || rows[1][1] != int64(1) {
		t.Fatalf("windows: %v", rows)
	}
}
