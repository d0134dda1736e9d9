package transforms

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors/memory"
)

// A followed file never ends; --until-idle ends the job once it has been
// quiet, and the open windows close as at the end of a bounded input.
func TestRunUntilIdleClosesWindows(t *testing.T) {
	tr, err := Load(filepath.Join("examples", "aggregate.sql"))
	if err != nil {
		t.Fatal(err)
	}
	events, err := os.ReadFile(filepath.Join("examples", "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(in, events, 0o644); err != nil {
		t.Fatal(err)
	}
	sink := memory.NewSink()
	defer sink.Release()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, tr, Config{Input: in, Follow: true, OutputSink: sink, UntilIdle: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if lines := sink.JSONL(); len(lines) != 12 {
		t.Fatalf("want the 12 minutes of the bounded run, got %d:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if res.Metrics.EventsIn == 0 {
		t.Errorf("metrics: %+v", res.Metrics)
	}
}
