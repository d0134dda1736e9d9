package transforms

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/connectors/memory"
)

// OutputSink takes the rows instead of Output, which is then ignored: the
// CLI's iceberg:NS.TABLE outputs come this way.
func TestRunOutputSink(t *testing.T) {
	tr, err := Load(filepath.Join("examples", "aggregate.sql"))
	if err != nil {
		t.Fatal(err)
	}
	sink := memory.NewSink()
	defer sink.Release()
	_, err = Run(context.Background(), tr, Config{
		Input: filepath.Join("examples", "events.jsonl"), Output: "-", OutputSink: sink,
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := sink.JSONL()
	if len(lines) != 12 || !strings.HasPrefix(lines[0], `{"minute":"2026-03-01 12:00:00","count":93,`) {
		t.Fatalf("unexpected rows:\n%s", strings.Join(lines, "\n"))
	}
}
