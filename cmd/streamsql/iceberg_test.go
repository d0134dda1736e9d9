package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLIIn runs the command line in-process from dir.
func runCLIIn(t *testing.T, dir, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// The README's Iceberg commands: the seed aggregate written to a table of
// the default warehouse (created with the table), then read back by its
// dotted name with query, explain and the REPL.
func TestRunIcebergOutputThenQuery(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(repoRoot, "transforms", "examples", "aggregate.sql")
	input := filepath.Join(repoRoot, "transforms", "examples", "events.jsonl")
	code, _, errOut := runCLIIn(t, dir, "", "run", script, "--input", input, "--output", "iceberg:demo.minutes",
		"--state-dir", "state")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, ".streamsql", "warehouse", "demo.db", "minutes")); err != nil {
		t.Fatalf("the default warehouse has no table: %v", err)
	}
	sql := "SELECT count(*) AS minutes, sum(count) AS events FROM demo.minutes"
	code, out, errOut := runCLIIn(t, dir, "", "query", "--format", "csv", sql)
	if code != 0 || out != "minutes,events\n12,886\n" {
		t.Fatalf("query: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	// From elsewhere, with the warehouse named.
	other := t.TempDir()
	wh := filepath.Join(dir, ".streamsql", "warehouse")
	code, out, errOut = runCLIIn(t, other, "", "query", "--warehouse", wh, "--format", "csv", sql)
	if code != 0 || out != "minutes,events\n12,886\n" {
		t.Fatalf("query --warehouse: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	code, out, errOut = runCLIIn(t, other, "", "explain", "--warehouse", wh, "SELECT minute FROM demo.minutes")
	if code != 0 || !strings.Contains(out, "demo.minutes") {
		t.Fatalf("explain: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	code, out, errOut = runCLIIn(t, other, "\\format csv\nSELECT count(*) AS n FROM demo.minutes;\n\\q\n", "repl", "--warehouse", wh)
	if code != 0 || !strings.Contains(out, "n\n12\n") {
		t.Fatalf("repl: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	// Rerunning with the same state directory finds its input consumed
	// and commits nothing twice.
	code, _, errOut = runCLIIn(t, dir, "", "run", script, "--input", input, "--output", "iceberg:demo.minutes",
		"--state-dir", "state")
	if code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, errOut)
	}
	code, out, errOut = runCLIIn(t, dir, "", "query", "--format", "csv", sql)
	if code != 0 || out != "minutes,events\n12,886\n" {
		t.Fatalf("query after the rerun: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
}

// A query run where no warehouse exists attaches none and creates none.
func TestQueryWithoutWarehouse(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLIIn(t, dir, "", "query", "--format", "csv", "SELECT 1 AS one")
	if code != 0 || out != "one\n1\n" {
		t.Fatalf("exit %d, stderr %q, got %q", code, errOut, out)
	}
	if _, err := os.Stat(filepath.Join(dir, ".streamsql")); !os.IsNotExist(err) {
		t.Fatalf("query created %s (stat: %v)", filepath.Join(dir, ".streamsql"), err)
	}
	code, _, errOut = runCLIIn(t, dir, "", "query", "SELECT * FROM demo.nope")
	if code != 1 || !strings.Contains(errOut, "demo.nope") {
		t.Fatalf("missing table: exit %d, stderr %q", code, errOut)
	}
}

func TestIcebergUsageAndFaults(t *testing.T) {
	dir := t.TempDir()
	script := writeFile(t, dir, "t.sql", minuteSQL)
	input := writeFile(t, dir, "in.jsonl", `{"ts":"2026-03-01 12:00:00","v":1}`+"\n")
	notADir := writeFile(t, dir, "plain", "x")
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no namespace", []string{"run", script, "--input", input, "--output", "iceberg:minutes"}, 2, "NAMESPACE.TABLE"},
		{"empty table", []string{"run", script, "--input", input, "--output", "iceberg:demo."}, 2, "NAMESPACE.TABLE"},
		{"warehouse without iceberg output", []string{"run", script, "--input", input, "--output", "-", "--warehouse", dir}, 2, "--warehouse goes with"},
		{"run warehouse unopenable", []string{"run", script, "--input", input, "--output", "iceberg:demo.t", "--warehouse", filepath.Join(notADir, "wh")}, 1, "opening output iceberg:demo.t"},
		{"query warehouse unopenable", []string{"query", "--warehouse", filepath.Join(notADir, "wh"), "SELECT 1"}, 1, "attaching warehouse"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := runCLIIn(t, dir, "", c.args...)
			if code != c.code || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, c.code, errOut, c.want)
			}
		})
	}
}

// A table whose columns do not fit the query's output fails the run with
// the sink's reason rather than writing anything.
func TestRunIcebergOutputSchemaMismatch(t *testing.T) {
	dir := t.TempDir()
	input := writeFile(t, dir, "in.jsonl", `{"ts":"2026-03-01 12:00:00","v":1}`+"\n")
	first := writeFile(t, dir, "a.sql", "SELECT v FROM __input__")
	second := writeFile(t, dir, "b.sql", "SELECT v AS w FROM __input__")
	if code, _, errOut := runCLIIn(t, dir, "", "run", first, "--input", input, "--output", "iceberg:demo.t"); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, errOut)
	}
	code, _, errOut := runCLIIn(t, dir, "", "run", second, "--input", input, "--output", "iceberg:demo.t")
	if code != 1 || !strings.Contains(errOut, `no column "w"`) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
