package sqs

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/streamsql/streamsql/transforms"
)

// sendLines sends lines to the queue in batches of 10.
func (e *env) sendLines(t *testing.T, queueURL string, lines []string) {
	t.Helper()
	for start := 0; start < len(lines); start += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for i, l := range lines[start:min(start+10, len(lines))] {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(l)})
		}
		out, err := e.client.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("sending events: %v %v", err, out)
		}
	}
}

// exampleEvents returns the lines of the shipped example input.
func exampleEvents(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "transforms", "examples", "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// The shipped aggregation runs over an SQS queue as `streamsql run --input
// sqs://… --output FILE --dead-letter sqs://… --until-idle 1s` does: its
// output equals the file run's, the malformed message lands in the
// dead-letter queue, and every input message is deleted at the final
// checkpoint.
func TestRunAggregationOverQueue(t *testing.T) {
	// Without a state directory the job still takes its final checkpoint,
	// which deletes the messages.
	t.Run("state-dir", func(t *testing.T) { runAggregation(t, t.TempDir()) })
	t.Run("no-state-dir", func(t *testing.T) { runAggregation(t, "") })
}

func runAggregation(t *testing.T, stateDir string) {
	e := newEnv(t)
	in := e.create(t, "events", nil)
	dead := e.create(t, "dead", nil)
	events := exampleEvents(t)
	e.sendLines(t, in, append(events[:100:100], append([]string{`{"timestamp": oops}`}, events[100:]...)...))

	tr, err := transforms.Load(filepath.Join("..", "..", "transforms", "examples", "aggregate.sql"))
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{}
	q.Set("endpoint", e.endpoint)
	q.Set("schema", "event_id VARCHAR, timestamp TIMESTAMP, amount DOUBLE")
	q.Set("wait", "5")
	// 12 s of the fake's time: the race detector slows the job down so
	// much that extending the visibility of hundreds of pending messages
	// every 0.3 s (the default 30 fake seconds) falls behind.
	q.Set("visibility", "600")
	out := filepath.Join(t.TempDir(), "minutes.jsonl")
	deadQ := url.Values{}
	deadQ.Set("endpoint", e.endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := transforms.Run(ctx, tr, transforms.Config{
		Input: "sqs://events?" + q.Encode(), Output: out, DeadLetter: "sqs://dead?" + deadQ.Encode(),
		UntilIdle: time.Second, StateDir: stateDir,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "transforms", "examples", "expected", "aggregate.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from the file run's:\n%s\nwant:\n%s", got, want)
	}
	if res.DeadLettered != 1 {
		t.Fatalf("dead-lettered %d, want 1", res.DeadLettered)
	}
	dl := e.drain(t, dead)
	if len(dl) != 1 || !strings.Contains(dl[0], `"reason":"sqs queue events: message `) || !strings.Contains(dl[0], "oops") {
		t.Fatalf("dead-letter queue holds %q", dl)
	}
	if vis, inflight := e.counts(t, in); vis+inflight != 0 {
		t.Fatalf("after the run the input queue holds %d visible and %d in-flight messages; want all deleted", vis, inflight)
	}
}

// A job writing to a queue: the rows arrive as JSON objects.
func TestRunWritesToQueue(t *testing.T) {
	e := newEnv(t)
	outQ := e.create(t, "minutes", nil)
	tr, err := transforms.Load(filepath.Join("..", "..", "transforms", "examples", "aggregate.sql"))
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{}
	q.Set("endpoint", e.endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := transforms.Run(ctx, tr, transforms.Config{
		Input:  filepath.Join("..", "..", "transforms", "examples", "events.jsonl"),
		Output: "sqs://minutes?" + q.Encode(),
	}); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "transforms", "examples", "expected", "aggregate.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(e.drain(t, outQ), "\n") + "\n"
	if got != string(want) {
		t.Fatalf("queue holds:\n%s\nwant:\n%s", got, want)
	}
}
