package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// icebergCrashEvents keeps the Iceberg kill-restart test well under 30 s.
const icebergCrashEvents = 60_000

// TestRunIcebergResumesAfterKill is the kill-restart test of an Iceberg
// output: a job copying a growing input file into a table (--state-dir,
// checkpoints every 50 ms, one Iceberg commit each) is SIGKILLed twice
// mid-stream, wherever it happens to be (writing Parquet files,
// committing, or between checkpoints), resumed each time, and run to the
// end of the completed file. The table must then hold every input line
// exactly once: per event_id, as many rows as the input has lines (the
// generator redelivers about 3% of them) and the same sum of amount, read
// back through `streamsql query`. It runs against a local warehouse
// (--warehouse) and a REST catalog with S3 storage (--catalog).
func TestRunIcebergResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the streamsql binary and runs it over 60k events")
	}
	bin := crashBinary(t, t.TempDir())
	t.Run("warehouse", func(t *testing.T) {
		wh := filepath.Join(t.TempDir(), "warehouse")
		dataDir := filepath.Join(wh, "demo.db", "events", "data")
		killRestartIceberg(t, bin, icebergCrashEvents, []string{"--warehouse", wh}, func() int { return dirEntries(dataDir) })
	})
	t.Run("catalog", func(t *testing.T) {
		c := startRESTCatalog(t, "crash-token-e41d")
		killRestartIceberg(t, bin, icebergCrashEvents, []string{"--catalog", c.URI},
			func() int { return c.objects("wh/demo.db/events/data/") })
	})
}

// killRestartIceberg runs the kill-restart test over n events into the
// table demo.events of the warehouse or catalog named by target (the
// flag and its value); dataFiles counts the table's data files.
func killRestartIceberg(t *testing.T, bin string, n int, target []string, dataFiles func() int) {
	events := crashEvents(n)
	dir := t.TempDir()
	in, state := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "state")
	script := filepath.Join(dir, "copy.sql")
	if err := os.WriteFile(script, []byte("-- @event-time timestamp\n-- @watermark-delay 5s\n"+
		"SELECT event_id, timestamp, user_id, amount FROM __input__\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"run", script, "--input", in, "--output", "iceberg:demo.events",
		"--state-dir", state, "--checkpoint-interval", "50ms", "--metrics"}, target...)
	follow := append(append([]string(nil), args...), "--follow")

	feed := newCrashFeeder(in, events, 500, 2*time.Millisecond)
	t.Cleanup(func() { feed.allow(1); <-feed.done })
	feed.allow(0.4)
	feed.waitWritten(t, 0.02) // enough lines for the schema inference

	// Kill 1: once a checkpoint has written data files.
	p := startCrashProc(t, bin, follow...)
	p.waitUntil(t, "a first checkpoint with data files", 20*time.Second, func() bool {
		return newestCheckpoint(state) > 0 && dataFiles() > 0
	})
	crashPause()
	p.kill(t)
	epoch1 := newestCheckpoint(state)

	// Kill 2: two checkpoints later, past half of the input.
	feed.allow(0.7)
	p = startCrashProc(t, bin, follow...)
	p.waitUntil(t, "two more checkpoints", 20*time.Second, func() bool {
		return newestCheckpoint(state) >= epoch1+2 && feed.progress() >= 0.5
	})
	crashPause()
	p.kill(t)
	t.Logf("killed at checkpoints %d and %d", epoch1, newestCheckpoint(state))

	feed.allow(1)
	feed.waitWritten(t, 1)
	stderr := startCrashProc(t, bin, args...).wait(t, time.Minute)
	if in1, out1, late, dead := runMetrics(t, stderr); in1 != int64(len(events)) || late != 0 || dead != 0 {
		t.Errorf("resumed run: events_in=%d events_out=%d late=%d dead_lettered=%d, want events_in=%d and no late or dead-lettered",
			in1, out1, late, dead, len(events))
	}

	want := countAndSumByID(t, events)
	got := queryCountAndSumByID(t, bin, target)
	if len(got) != len(want) {
		t.Errorf("the table has %d event ids, the input %d", len(got), len(want))
	}
	bad := 0
	for id, w := range want {
		if g, ok := got[id]; !ok || g.n != w.n || math.Abs(g.sum-w.sum) > 1e-6 {
			if bad++; bad <= 5 {
				t.Errorf("event %s: table has %d rows summing %.2f, input %d lines summing %.2f", id, g.n, g.sum, w.n, w.sum)
			}
		}
	}
	if bad > 5 {
		t.Errorf("… and %d more events differ", bad-5)
	}
}

type countSum struct {
	n   int64
	sum float64
}

// countAndSumByID counts the input lines and sums their amounts per event_id.
func countAndSumByID(t *testing.T, lines [][]byte) map[string]countSum {
	t.Helper()
	out := map[string]countSum{}
	for _, l := range lines {
		var e struct {
			ID     string   `json:"event_id"`
			Amount *float64 `json:"amount"`
		}
		if err := json.Unmarshal(l, &e); err != nil {
			t.Fatal(err)
		}
		c := out[e.ID]
		c.n++
		if e.Amount != nil {
			c.sum += *e.Amount
		}
		out[e.ID] = c
	}
	return out
}

// queryCountAndSumByID reads the table back with `streamsql query` and
// the target flags (--warehouse DIR or --catalog URI).
func queryCountAndSumByID(t *testing.T, bin string, target []string) map[string]countSum {
	t.Helper()
	cmd := exec.Command(bin, append(append([]string{"query"}, target...), "--format", "jsonl",
		"SELECT event_id, COUNT(*) AS n, COALESCE(SUM(amount), 0) AS s FROM demo.events GROUP BY event_id")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("querying the table: %v\n%s", err, stderr.String())
	}
	out := map[string]countSum{}
	for _, l := range bytes.Split(bytes.TrimSpace(stdout), []byte("\n")) {
		var r struct {
			ID  string  `json:"event_id"`
			N   int64   `json:"n"`
			Sum float64 `json:"s"`
		}
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatalf("reading %q: %v", l, err)
		}
		out[r.ID] = countSum{r.N, r.Sum}
	}
	return out
}

// dirEntries counts the entries of dir (0 when missing).
func dirEntries(dir string) int {
	ents, _ := os.ReadDir(dir)
	return len(ents)
}
