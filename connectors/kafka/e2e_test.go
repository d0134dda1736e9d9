package kafka

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/streamsql/streamsql/transforms"
)

const (
	exampleScript = "../../transforms/examples/aggregate.sql"
	exampleEvents = "../../transforms/examples/events.jsonl"
)

// produceLines feeds a JSONL file's lines as records of partition 0.
func produceLines(t testing.TB, addr, topic, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var msgs []msg
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			msgs = append(msgs, msg{value: line})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	produce(t, addr, topic, msgs...)
	return len(msgs)
}

// runTransform runs the aggregate example from input into a file and
// returns the file's lines.
func runTransform(t *testing.T, input string) []string {
	t.Helper()
	tr, err := transforms.Load(exampleScript)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	res, err := transforms.Run(context.Background(), tr, transforms.Config{Input: input, Output: out, UntilIdle: time.Second})
	if err != nil {
		t.Fatalf("running with --input %s: %v", input, err)
	}
	if res.Metrics.EventsIn == 0 {
		t.Fatalf("--input %s: no events read", input)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// The shipped aggregate transform over the sample events fed through a
// topic writes what it writes over the file (`streamsql run
// transforms/examples/aggregate.sql --input kafka://…/events --output FILE
// --until-idle 1s`).
func TestAggregateExampleOverKafkaEqualsFileInput(t *testing.T) {
	addr := cluster(t, "events", 1)
	n := produceLines(t, addr, "events", exampleEvents)
	want := runTransform(t, exampleEvents)
	got := runTransform(t, "kafka://"+addr+"/events?group=agg&sample=1000")
	if len(want) < 2 {
		t.Fatalf("the file run wrote %d lines", len(want))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("over kafka (%d events):\n%s\nover the file:\n%s", n, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The final checkpoint committed the group's offsets: a second run
	// of the group reads nothing.
	if got := groupOffsets(t, addr, "agg", "events"); got[0] != int64(n) {
		t.Fatalf("group offsets %v after the run, want %d", got, n)
	}
}

// Malformed messages go to a dead-letter topic (`--dead-letter
// kafka://…/dlq`) with the reason naming where they came from, while
// the good messages around them are aggregated.
func TestDeadLettersToATopic(t *testing.T) {
	addr := cluster(t, "events", 1, kfake.SeedTopics(1, "dlq"))
	produce(t, addr, "events", values(0,
		`{"timestamp":"2026-03-01 12:00:01","amount":1}`,
		`{"timestamp":`,
		`{"timestamp":"2026-03-01 12:00:02","amount":2}`)...)
	tr, err := transforms.Load(exampleScript)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	res, err := transforms.Run(context.Background(), tr, transforms.Config{
		Input: "kafka://" + addr + "/events?schema=timestamp%20TIMESTAMP,amount%20DOUBLE", Output: out,
		DeadLetter: "kafka://" + addr + "/dlq", UntilIdle: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.DeadLettered != 1 {
		t.Fatalf("dead-lettered %d", res.DeadLettered)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != `{"minute":"2026-03-01 12:00:00","count":2,"total":3,"avg":1.5}` {
		t.Fatalf("output %s", got)
	}
	recs := consumed(t, addr, "dlq", false, 1)
	if len(recs) != 1 {
		t.Fatalf("%d dead letters in the topic", len(recs))
	}
	var dl struct{ Reason, Raw string }
	if err := json.Unmarshal(recs[0].Value, &dl); err != nil {
		t.Fatal(err)
	}
	if dl.Raw != `{"timestamp":` || !strings.HasPrefix(dl.Reason, "kafka topic events partition 0 offset 1: ") {
		t.Fatalf("dead letter %+v", dl)
	}
}
