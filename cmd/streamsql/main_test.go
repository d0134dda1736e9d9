package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the repository root, resolved before any test changes directory.
var repoRoot = func() string {
	root, err := filepath.Abs("../..")
	if err != nil {
		panic(err)
	}
	return root
}()

// runCLI runs the command line in-process from the repository root.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Chdir(repoRoot)
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

const events = "events=testdata/events.jsonl"

func TestQueryFormats(t *testing.T) {
	sql := "SELECT status, count(*) AS n, min(ts) AS first FROM events WHERE status IN ('paid', 'shipped') GROUP BY status ORDER BY status"
	cases := map[string]string{
		"jsonl": `{"status":"paid","n":54,"first":"2026-03-01 00:00:55.565"}
{"status":"shipped","n":15,"first":"2026-03-01 00:00:01.824"}
`,
		"csv": "status,n,first\npaid,54,2026-03-01 00:00:55.565\nshipped,15,2026-03-01 00:00:01.824\n",
		"json": `[{"status":"paid","n":54,"first":"2026-03-01 00:00:55.565"},
{"status":"shipped","n":15,"first":"2026-03-01 00:00:01.824"}]
`,
		"table": `status  | n  | first
--------+----+------------------------
paid    | 54 | 2026-03-01 00:00:55.565
shipped | 15 | 2026-03-01 00:00:01.824
(2 rows)
`,
	}
	for format, want := range cases {
		t.Run(format, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", "query", "--table", events, "--format", format, sql)
			if code != 0 || out != want {
				t.Fatalf("exit %d, stderr %q\ngot:\n%s\nwant:\n%s", code, errOut, out, want)
			}
		})
	}
}

func TestQueryJSONLNullsAndFlagsAfterSQL(t *testing.T) {
	code, out, _ := runCLI(t, "", "query", "SELECT NULL AS a, 1.5 AS b, 'x' AS c", "--format", "jsonl")
	if code != 0 || out != "{\"a\":null,\"b\":1.5,\"c\":\"x\"}\n" {
		t.Fatalf("exit %d, got %q", code, out)
	}
}

func TestQueryParams(t *testing.T) {
	code, out, errOut := runCLI(t, "", "query", "--table", events, "--format", "csv",
		"--param", "paid", "--param", "2026-03-01 01:00:00", "--param", "100",
		"SELECT count(*) FROM events WHERE status = $1 AND ts < $2 AND amount > $3")
	if code != 0 || out != "count\n10\n" {
		t.Fatalf("exit %d, stderr %q, got %q", code, errOut, out)
	}
	// A parameter is data: quotes in it cannot change the query.
	code, out, _ = runCLI(t, "", "query", "--table", events, "--format", "csv",
		"--param", "paid' OR '1'='1", "SELECT count(*) FROM events WHERE status = $1")
	if code != 0 || out != "count\n0\n" {
		t.Fatalf("exit %d, got %q", code, out)
	}
}

func TestExitCodes(t *testing.T) {
	code, _, errOut := runCLI(t, "", "query", "--table", events, "SELECT amout FROM events")
	want := "line 1, column 8: column \"amout\" does not exist (did you mean \"amount\"?)\nSELECT amout FROM events\n       ^\n"
	if code != 1 || !strings.Contains(errOut, want) {
		t.Fatalf("unknown column: exit %d, stderr %q", code, errOut)
	}
	for _, args := range [][]string{
		{"query"},
		{"query", "--format", "xml", "SELECT 1"},
		{"query", "--table", "nopath", "SELECT 1"},
		{"query", "--bogus", "SELECT 1"},
		{"frobnicate"},
	} {
		if code, _, _ := runCLI(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, errOut := runCLI(t, "", "query", "--table", "x=testdata/nope.jsonl", "SELECT 1"); code != 1 || errOut == "" {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}

func TestOnError(t *testing.T) {
	bad := "bad=testdata/bad/malformed.jsonl"
	code, _, errOut := runCLI(t, "", "query", "--table", bad, "SELECT sum(n) FROM bad")
	if code != 1 || !strings.Contains(errOut, "testdata/bad/malformed.jsonl:3: ") {
		t.Fatalf("fail mode: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut := runCLI(t, "", "query", "--on-error", "skip", "--format", "csv", "--table", bad, "SELECT sum(n) AS s, count(*) AS c FROM bad")
	if code != 0 || out != "s,c\n7,3\n" {
		t.Fatalf("skip mode: exit %d, stderr %q, got %q", code, errOut, out)
	}
}

func TestExplain(t *testing.T) {
	code, out, errOut := runCLI(t, "", "explain", "--table", events, "SELECT country FROM events WHERE amount > 100 LIMIT 3")
	if code != 0 || !strings.Contains(out, "Scan: events") || !strings.Contains(out, "filters=[(amount") {
		t.Fatalf("exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	code, out, _ = runCLI(t, "", "explain", "--analyze", "--table", events, "SELECT count(*) FROM events")
	if code != 0 || !strings.Contains(out, "rows=200") {
		t.Fatalf("analyze: exit %d, got:\n%s", code, out)
	}
}

func TestREPL(t *testing.T) {
	in := `\format csv
SELECT status, count(*) AS n
FROM events
WHERE status = 'paid'
GROUP BY status;
\d
\d events
SELECT nope FROM events;
\timing
SELECT 1 AS one;
\q
SELECT 'never reached';
`
	code, out, errOut := runCLI(t, in, "repl", "--table", events)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"Output format is csv.", "status,n\npaid,54\n", "events\n", "Table events (", "ts ", "TIMESTAMP", "one\n1\n", "Time: "} {
		if !strings.Contains(out, want) {
			t.Errorf("REPL output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, `column "nope" does not exist`) {
		t.Errorf("REPL error output: %q", errOut)
	}
	if strings.Contains(out, "never reached") {
		t.Errorf("REPL ran past \\q")
	}
}
