package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors/iceberg"
)

// runServe runs serve in process with args until check returns.
func runServe(t *testing.T, args []string, check func(base string)) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	done := make(chan error, 1)
	addrc := make(chan string, 1)
	go func() { done <- serve(ctx, args, &stdout, &stderr, func(a string) { addrc <- a }) }()
	select {
	case a := <-addrc:
		check("http://" + a)
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	return stderr.String()
}

// The dual path end to end: events go to the hot tier at once and into
// the warehouse batch by batch; the topic's table counts each event once
// throughout, from both tiers, and after a restart whose hot window has
// expired, from the cold tier alone. `query --server` asks the server.
func TestServeDualPathAndUnifiedQuery(t *testing.T) {
	dir := t.TempDir()
	wh := filepath.Join(dir, "wh")
	args := []string{"--addr", "127.0.0.1:0", "--state-dir", filepath.Join(dir, "state"), "--warehouse", wh,
		"--batch-max-seconds", "1", "--hot-retention", "1h"}
	const n = 120
	query := `{"sql":"SELECT COUNT(*), COUNT(DISTINCT _id), SUM(CAST(data->>'n' AS BIGINT)) FROM orders"}`
	want := fmt.Sprintf("[%d %d %d]", n, n, n*(n-1)/2)
	counts := func(base string) string {
		status, out, err := postJSON(base+"/query", "", query)
		if err != nil || status != 200 {
			t.Fatalf("query: %d %v %v", status, out, err)
		}
		return fmt.Sprint(out["rows"].([]any)[0])
	}
	runServe(t, args, func(base string) {
		for i := 0; i < n; i += 20 {
			var b strings.Builder
			for j := i; j < i+20; j++ {
				fmt.Fprintf(&b, `{"n":%d,"timestamp":"2026-11-27T10:%02d:00Z"}`+"\n", j, j%60)
			}
			if status, out, err := postJSON(base+"/events?topic=orders", "", b.String()); status != 200 {
				t.Fatalf("ingest: %d %v %v", status, out, err)
			}
			if got := counts(base); got != fmt.Sprintf("[%d %d %d]", i+20, i+20, (i+20)*(i+19)/2) {
				t.Fatalf("after %d events: %s", i+20, got)
			}
		}
		// Wait for the batches to reach the warehouse, counting throughout.
		deadline := time.Now().Add(20 * time.Second)
		for !coldHas(t, wh, n) {
			if got := counts(base); got != want {
				t.Fatalf("while committing: %s, want %s", got, want)
			}
			if time.Now().After(deadline) {
				t.Fatal("the cold tier did not catch up")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got := counts(base); got != want {
			t.Fatalf("after the commit: %s, want %s", got, want)
		}
		// EXPLAIN ANALYZE shows the cold side's files and the hot rows read.
		status, plan, _ := postJSON(base+"/query", "", `{"sql":"EXPLAIN ANALYZE SELECT COUNT(*) FROM orders"}`)
		if text := fmt.Sprint(plan["rows"]); status != 200 || !strings.Contains(text, "files_considered=") || !strings.Contains(text, "hot_rows=0") {
			t.Fatalf("explain analyze: %d %s", status, text)
		}
		var out bytes.Buffer
		err := queryCmd([]string{"--server", base, "--format", "jsonl", "SELECT COUNT(*) AS c FROM orders WHERE CAST(data->>'n' AS BIGINT) >= $1", "--param", "100"}, &out)
		if err != nil || strings.TrimSpace(out.String()) != `{"c":20}` {
			t.Fatalf("query --server: %q %v", out.String(), err)
		}
		var replOut, replErr bytes.Buffer
		err = repl([]string{"--server", base}, strings.NewReader("SELECT COUNT(*) AS c\nFROM orders;\n\\d\n"), &replOut, &replErr)
		if err != nil || !strings.Contains(replOut.String(), "120") || !strings.Contains(replErr.String(), "every topic is a table") {
			t.Fatalf("repl --server: %v\n%s\n%s", err, replOut.String(), replErr.String())
		}
		err = queryCmd([]string{"--server", base, "DROP TABLE orders"}, &out)
		if err == nil || !strings.Contains(err.Error(), "only SELECT") {
			t.Fatalf("query --server with DDL: %v", err)
		}
	})
	// The hot window is gone after this restart; the warehouse answers.
	args[len(args)-1] = "1ms"
	runServe(t, args, func(base string) {
		for range 3 { // the janitor evicts the expired hot window meanwhile
			if got := counts(base); got != want {
				t.Fatalf("after restart: %s, want %s", got, want)
			}
			time.Sleep(300 * time.Millisecond)
		}
	})
	// Without the cold tier the same server has nothing left to show: the
	// answers above came from the warehouse.
	runServe(t, append(args, "--cold=false"), func(base string) {
		if got := counts(base); got != "[0 0 <nil>]" {
			t.Fatalf("hot tier alone: %s", got)
		}
	})
}

// coldHas says whether the warehouse's events.orders holds n events.
func coldHas(t *testing.T, dir string, n uint64) bool {
	t.Helper()
	return coldHasTopic(t, dir, "orders", n)
}

// coldHasTopic says whether the warehouse's events.<topic> holds n events.
func coldHasTopic(t *testing.T, dir, topic string, n uint64) bool {
	t.Helper()
	w, err := iceberg.OpenWarehouse(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	_, pos, ok, err := w.CommittedPosition(context.Background(), "events."+topic, "eventstream/"+topic)
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ Seq uint64 }
	return ok && json.Unmarshal(pos, &p) == nil && p.Seq >= n
}

func TestReadWranglerBatch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wrangler.toml")
	os.WriteFile(path, []byte(`name = "x"
[[pipelines]]
name = "events"
batch = { max_bytes = 1_048_576, max_seconds = 60 } # the seed's
[[pipelines]]
batch = { max_bytes = 5, max_seconds = 5 }
`), 0o644)
	b, err := readWranglerBatch(path)
	if err != nil || b.maxBytes != 1048576 || b.maxSeconds != 60 {
		t.Fatalf("%+v %v", b, err)
	}
	os.WriteFile(path, []byte("[vars]\nx = 1\n"), 0o644)
	if _, err := readWranglerBatch(path); err == nil || !strings.Contains(err.Error(), "no [[pipelines]]") {
		t.Fatalf("no entry: %v", err)
	}
	os.WriteFile(path, []byte("[[pipelines]]\nbatch = { max_bytes = 0 }\n"), 0o644)
	if _, err := readWranglerBatch(path); err == nil {
		t.Fatal("zero accepted")
	}
}
