package kafka

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// cliBinary builds the streamsql command once per test.
func cliBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("building streamsql: no go command in PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "streamsql")
	cmd := exec.Command(goTool, "build", "-o", bin, "./cmd/streamsql")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building streamsql: %v\n%s", err, out)
	}
	return bin
}

// `streamsql run transforms/examples/aggregate.sql --input kafka://…/events
// --output FILE --until-idle 1s` writes the shipped expected output, and
// --output kafka://…?transactional_id=… puts the same rows in a topic,
// visible to read_committed consumers.
func TestCLIRunsAggregateOverKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the streamsql binary")
	}
	bin := cliBinary(t)
	addr := cluster(t, "events", 1, kfake.SeedTopics(2, "minutes"))
	produceLines(t, addr, "events", exampleEvents)
	want, err := os.ReadFile("../../transforms/examples/expected/aggregate.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	run := func(output string) {
		t.Helper()
		cmd := exec.Command(bin, "run", exampleScript, "--input", "kafka://"+addr+"/events?sample=1000",
			"--output", output, "--until-idle", "1s")
		done := make(chan struct{})
		timer := time.AfterFunc(60*time.Second, func() {
			select {
			case <-done:
			default:
				cmd.Process.Kill()
			}
		})
		defer timer.Stop()
		out, err := cmd.CombinedOutput()
		close(done)
		if err != nil {
			t.Fatalf("streamsql run --output %s: %v\n%s", output, err, out)
		}
	}
	file := filepath.Join(t.TempDir(), "minutes.jsonl")
	run(file)
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("over kafka:\n%s\nexpected:\n%s", got, want)
	}

	run("kafka://" + addr + "/minutes?transactional_id=agg-1&key=minute")
	lines := strings.Split(strings.TrimSpace(string(want)), "\n")
	recs := consumed(t, addr, "minutes", true, len(lines))
	var vals []string
	keys := map[string]bool{}
	for _, r := range recs {
		vals = append(vals, string(r.Value))
		keys[string(r.Key)] = true
	}
	// Keyed records spread over the two partitions: compare as sets.
	sort.Strings(vals)
	sort.Strings(lines)
	if strings.Join(vals, "\n") != strings.Join(lines, "\n") {
		t.Fatalf("topic minutes holds:\n%s\nexpected:\n%s", strings.Join(vals, "\n"), strings.Join(lines, "\n"))
	}
	if !keys["2026-03-01 12:00:00"] || len(keys) != len(lines) {
		t.Errorf("keys %v", keys)
	}
}
