package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const minuteSQL = `SELECT DATE_TRUNC('minute', ts) AS minute, count(*) AS n, sum(v) AS total FROM __input__ GROUP BY minute`

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The README's first command: the seed aggregate over the sample events,
// to stdout.
func TestRunReadmeCommand(t *testing.T) {
	code, out, errOut := runCLI(t, "", "run", "transforms/examples/aggregate.sql",
		"--input", "transforms/examples/events.jsonl", "--output", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 12 || !strings.HasPrefix(lines[0], `{"minute":"2026-03-01 12:00:00","count":93,`) {
		t.Fatalf("unexpected output:\n%s", out)
	}
}

// Malformed lines and late events go to the dead-letter file with their
// reasons; the good events around them are all counted. Watermarks advance
// between batches (8192 lines), so the late event follows a full batch.
func TestRunDeadLetters(t *testing.T) {
	dir := t.TempDir()
	sql := writeFile(t, dir, "t.sql", minuteSQL)
	var in strings.Builder
	in.WriteString("{\"ts\":\"2026-01-01 00:00:10\",\"v\":1}\n")
	in.WriteString("{\"ts\":\"2026-01-01 00:00:20\",\"v\":2\n") // truncated: line 2
	for i := 0; i < 8200; i++ {
		in.WriteString("{\"ts\":\"2026-01-01 00:01:30\",\"v\":1}\n")
	}
	in.WriteString("{\"ts\":\"not a time\",\"v\":5}\n")          // line 8203
	in.WriteString("{\"ts\":\"2026-01-01 00:00:40\",\"v\":4}\n") // late: its minute closed
	in.WriteString("{\"ts\":\"2026-01-01 00:01:35\",\"v\":6}\n")
	inPath := writeFile(t, dir, "in.jsonl", in.String())
	out, dl := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "dead.jsonl")
	code, _, errOut := runCLI(t, "", "run", sql, "--input", inPath, "--output", out, "--dead-letter", dl,
		"--event-time", "ts", "--watermark-delay", "10s", "--metrics")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got, _ := os.ReadFile(out)
	want := `{"minute":"2026-01-01 00:00:00","n":1,"total":1}
{"minute":"2026-01-01 00:01:00","n":8201,"total":8206}
`
	if string(got) != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
	dead, _ := os.ReadFile(dl)
	lines := strings.Split(strings.TrimSpace(string(dead)), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 dead letters (2 malformed, 1 late), got:\n%s", dead)
	}
	for _, want := range []string{"in.jsonl:2:", "in.jsonl:8203:", "late event", `"v":4`} {
		if !strings.Contains(string(dead), want) {
			t.Errorf("dead letters lack %q:\n%s", want, dead)
		}
	}
	if !strings.Contains(errOut, "events_in=8203 events_out=2 late=1 dead_lettered=3") {
		t.Errorf("metrics line: %s", errOut)
	}
}

// Without a dead-letter output a malformed line stops the job with its
// file and line.
func TestRunMalformedFails(t *testing.T) {
	dir := t.TempDir()
	sql := writeFile(t, dir, "t.sql", minuteSQL)
	in := writeFile(t, dir, "in.jsonl", "{\"ts\":\"2026-01-01 00:00:10\",\"v\":1}\n{oops\n")
	code, _, errOut := runCLI(t, "", "run", sql, "--input", in, "--output", filepath.Join(dir, "o.jsonl"), "--event-time", "ts")
	if code != 1 || !strings.Contains(errOut, "in.jsonl:2:") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestRunUsageAndSQLErrors(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "in.jsonl", "{\"ts\":\"2026-01-01 00:00:10\",\"v\":1}\n")
	cases := []struct {
		sql, flags, want string
		code             int
	}{
		{minuteSQL, "--event-time nope", `event-time column "nope" does not exist`, 1},
		{"SELECT v FROM __input__", "--event-time v", `in.jsonl:1: column "v": cannot read`, 1},
		{"SELECT v FROM __input__ ORDER BY v", "", "ORDER BY needs a bounded input", 1},
		{"SELECT vv FROM __input__", "", "line 1, column 8: column \"vv\" does not exist", 1},
		{"SELECT count(*) FROM __input__ GROUP BY TUMBLE(INTERVAL '1' MINUTE)", "", "needs an event-time column", 1},
		{minuteSQL, "--watermark-delay soon", "--option @watermark-delay", 2},
		{minuteSQL, "--table nope", "--table wants NAME=PATH", 2},
	}
	for _, c := range cases {
		sql := writeFile(t, dir, "t.sql", c.sql)
		args := append([]string{"run", sql, "--input", in, "--output", filepath.Join(dir, "o.jsonl")}, strings.Fields(c.flags)...)
		code, _, errOut := runCLI(t, "", args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%s %s: exit %d, stderr %q; want %d and %q", c.sql, c.flags, code, errOut, c.code, c.want)
		}
	}
	if code, _, _ := runCLI(t, "", "run"); code != 2 {
		t.Errorf("run without a file: exit %d, want 2", code)
	}
}

// A lookup join against a bounded --table file.
func TestRunLookupTable(t *testing.T) {
	dir := t.TempDir()
	sql := writeFile(t, dir, "t.sql", `SELECT e.v, u.name FROM __input__ e JOIN users u ON u.id = e.v`)
	in := writeFile(t, dir, "in.jsonl", "{\"v\":1}\n{\"v\":2}\n{\"v\":3}\n")
	users := writeFile(t, dir, "users.csv", "id,name\n1,ann\n3,cy\n")
	out := filepath.Join(dir, "o.jsonl")
	code, _, errOut := runCLI(t, "", "run", sql, "--input", in, "--output", out, "--table", "users="+users)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got, _ := os.ReadFile(out)
	if string(got) != "{\"v\":1,\"name\":\"ann\"}\n{\"v\":3,\"name\":\"cy\"}\n" {
		t.Errorf("got %s", got)
	}
}

func TestRunExplain(t *testing.T) {
	code, out, errOut := runCLI(t, "", "run", "--explain", "transforms/examples/paid_orders.sql",
		"--input", "transforms/examples/events.jsonl", "--output", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"IntervalJoin Inner (key-partitioned; checkpointed state)", "StreamScan __input__ (event time timestamp, watermark delay 5s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
}

func TestRunProgress(t *testing.T) {
	code, _, errOut := runCLI(t, "", "run", "transforms/examples/aggregate.sql",
		"--input", "transforms/examples/events.jsonl", "--output", os.DevNull, "--metrics-every", "1ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "progress events_in=886 events_out=12 late=0 dead_lettered=0") || !strings.Contains(errOut, "watermark=end") {
		t.Errorf("progress lines:\n%s", errOut)
	}
}
