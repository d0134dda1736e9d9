package sqltest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestFormatRoundTrip: every golden file reads back as itself, so
// -rewrite changes only the expected blocks.
func TestFormatRoundTrip(t *testing.T) {
	files, err := filepath.Glob("../testdata/sql/*.test")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		recs, err := Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := Format(recs); got != string(data) {
			t.Errorf("%s does not read back as itself", f)
		}
	}
}

// TestParseStreamDirectives: directives without a body take none, those
// with one take the lines up to the blank line, blocks follow either.
func TestParseStreamDirectives(t *testing.T) {
	src := `# header

stream lateness=5s
SELECT k FROM t

feed t 1
{"k":"a"}
{"k":"b"}

watermark t 2026-01-01 00:00:10 1
advance 10s
checkpoint
restart
end t
expect rowsort
----
+ a

metrics
----
events_in=2
`
	path := filepath.Join(t.TempDir(), "x.test")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, err := Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range recs {
		kinds = append(kinds, r.Kind)
	}
	if got := strings.Join(kinds, " "); got != "stream feed watermark advance checkpoint restart end expect metrics" {
		t.Fatalf("kinds = %s", got)
	}
	if recs[1].SQL != "{\"k\":\"a\"}\n{\"k\":\"b\"}" || recs[2].SQL != "" || len(recs[2].Args) != 4 {
		t.Errorf("feed %q, watermark %q %q", recs[1].SQL, recs[2].SQL, recs[2].Args)
	}
	if !recs[7].HasBlock || len(recs[7].Expected) != 1 || recs[0].Comments[1] != "" {
		t.Errorf("expect %+v, stream comments %q", recs[7], recs[0].Comments)
	}
	// Directives without a body are written back without one.
	back := filepath.Join(t.TempDir(), "y.test")
	if err := os.WriteFile(back, []byte(Format(recs)), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := Parse(back)
	if err != nil || len(again) != len(recs) {
		t.Fatalf("reparse: %d records, %v", len(again), err)
	}

	for _, bad := range []string{"stream\n", "feed t\n", "bogus\n"} {
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(path); err == nil {
			t.Errorf("Parse(%q) = nil error", bad)
		}
	}
}

func TestClock(t *testing.T) {
	c := NewClock(streamClock)
	c.Advance(90 * time.Second)
	if got := c.Now(); !got.Equal(streamClock.Add(90 * time.Second)) {
		t.Errorf("Now = %v", got)
	}
}

// newTestRunner returns a runner on a fresh engine with a stream t of two
// splits (event time ts, idle after 5 s), closed at the end of the test.
func newTestRunner(t *testing.T) *streamRunner {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	clock := NewClock(streamClock)
	db := newStreamEngine(t, mem, "../", clock)
	s := &streamRunner{db: db, clock: clock, dir: t.TempDir()}
	t.Cleanup(func() {
		if err := s.close(); err != nil {
			t.Error(err)
		}
		db.Close()
		mem.AssertSize(t, 0)
	})
	mustRun(t, s, Record{Kind: "statement", Args: []string{"ok"},
		SQL: "CREATE TABLE t (k VARCHAR, ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (connector='memory', splits='2')"})
	mustRun(t, s, Record{Kind: "statement", Args: []string{"ok"}, SQL: "CREATE TABLE plain (k VARCHAR)"})
	return s
}

func mustRun(t *testing.T, s *streamRunner, r Record) []string {
	t.Helper()
	got, err := s.run(&r)
	if err != nil {
		t.Fatalf("%s %v: %v", r.Kind, r.Args, err)
	}
	return got
}

// TestStreamRunnerFaults: every directive misused reports an error.
func TestStreamRunnerFaults(t *testing.T) {
	s := newTestRunner(t)
	for _, r := range []Record{
		{Kind: "expect"},
		{Kind: "metrics"},
		{Kind: "checkpoint"},
		{Kind: "restart"},
		{Kind: "dead_letters"},
		{Kind: "advance", Args: []string{"soon"}},
		{Kind: "advance", Args: []string{"-1s"}},
		{Kind: "advance"},
		{Kind: "end"},
		{Kind: "end", Args: []string{"nope"}},
		{Kind: "end", Args: []string{"plain"}},
		{Kind: "feed", Args: []string{"t", "x"}, SQL: `{"k":"a"}`},
		{Kind: "feed", Args: []string{"t", "7"}, SQL: `{"k":"a"}`},
		{Kind: "feed", Args: []string{"t"}, SQL: `{"k":`},
		{Kind: "feed", SQL: `{"k":"a"}`},
		{Kind: "watermark", Args: []string{"t"}},
		{Kind: "watermark", Args: []string{"t", "yesterday"}},
		{Kind: "watermark", Args: []string{"nope", "2026-01-01"}},
		{Kind: "stream", Args: []string{"lateness"}, SQL: "SELECT k FROM t"},
		{Kind: "stream", Args: []string{"lateness=x"}, SQL: "SELECT k FROM t"},
		{Kind: "stream", Args: []string{"colour=red"}, SQL: "SELECT k FROM t"},
		{Kind: "stream", Args: []string{"dead_letter=on"}, SQL: "SELECT k FROM t"},
		{Kind: "stream", Args: []string{"input=nope"}, SQL: "SELECT k FROM __input__"},
		{Kind: "stream", SQL: "SELECT k FROM plain"},
		{Kind: "stream", Args: []string{"error", "no such"}, SQL: "SELECT nope FROM t"},
		{Kind: "stream", Args: []string{"explain"}, SQL: "SELECT nope FROM t"},
		{Kind: "bogus"},
	} {
		if got, err := s.run(&r); err == nil {
			t.Errorf("%s %q: no error (got %q)", r.Kind, r.Args, got)
		}
	}
	// A stream error directive whose job starts fails, and leaves the job
	// to be closed.
	if _, err := s.run(&Record{Kind: "stream", Args: []string{"error"}, SQL: "SELECT k FROM t"}); err == nil || s.job == nil {
		t.Errorf("stream error on a good query: %v", err)
	}
	for _, r := range []Record{
		{Kind: "expect", Args: []string{"error"}},
		{Kind: "expect", Args: []string{"sideways"}},
	} {
		if _, err := s.run(&r); err == nil {
			t.Errorf("%s %q: no error", r.Kind, r.Args)
		}
	}
	mustRun(t, s, Record{Kind: "stream", Args: []string{"dead_letter=off"}, SQL: "SELECT k FROM t"})
	if _, err := s.run(&Record{Kind: "dead_letters"}); err == nil {
		t.Error("dead_letters with dead_letter=off: no error")
	}
}

// TestStreamRunnerRows: expect shows each row once, retractions with "-",
// and rowsort/all/error behave.
func TestStreamRunnerRows(t *testing.T) {
	s := newTestRunner(t)
	mustRun(t, s, Record{Kind: "stream", SQL: "SELECT k, COUNT(*) AS n FROM t GROUP BY k"})
	mustRun(t, s, Record{Kind: "feed", Args: []string{"t", "1"}, SQL: `{"k":"b","ts":1}` + "\n" + `{"k":"a","ts":2}`})
	if got := strings.Join(mustRun(t, s, Record{Kind: "expect", Args: []string{"rowsort"}}), "|"); got != "+ a 1|+ b 1" {
		t.Errorf("expect rowsort = %s", got)
	}
	mustRun(t, s, Record{Kind: "feed", Args: []string{"t"}, SQL: `{"k":"a","ts":3}`})
	if got := strings.Join(mustRun(t, s, Record{Kind: "expect"}), "|"); got != "- a 1|+ a 2" {
		t.Errorf("expect = %s", got)
	}
	if got := len(mustRun(t, s, Record{Kind: "expect", Args: []string{"all"}})); got != 4 {
		t.Errorf("expect all: %d rows", got)
	}
	if got := mustRun(t, s, Record{Kind: "expect"}); got == nil || len(got) != 0 {
		t.Errorf("expect with nothing new = %q", got)
	}
	// The job crashed without a checkpoint: everything comes again.
	mustRun(t, s, Record{Kind: "restart"})
	if got := len(mustRun(t, s, Record{Kind: "expect"})); got != 4 {
		t.Errorf("expect after restart: %d rows", got)
	}
	mustRun(t, s, Record{Kind: "watermark", Args: []string{"t", "2026-01-01", "00:00:10", "1"}})
	mustRun(t, s, Record{Kind: "end", Args: []string{"t"}})
	mustRun(t, s, Record{Kind: "expect"})
	if got := mustRun(t, s, Record{Kind: "metrics"}); !strings.HasPrefix(got[0], "events_in=3 events_out=4 ") {
		t.Errorf("metrics = %q", got)
	}
	// An error expected without text returns the message as the block.
	got := mustRun(t, s, Record{Kind: "stream", Args: []string{"error"}, SQL: "SELECT nope FROM t"})
	if len(got) != 3 || !strings.Contains(got[0], `column "nope" does not exist`) {
		t.Errorf("stream error block = %q", got)
	}
}
