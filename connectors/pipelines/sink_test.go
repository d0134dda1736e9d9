package pipelines

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestSinkSplitsRequestsUnderTheLimit: rows buffered by Write go out at
// PreCommit as JSON arrays under max_request_bytes (the endpoint answers
// 413 above it), in order, each with key JOB_ID-ORDINAL.
func TestSinkSplitsRequestsUnderTheLimit(t *testing.T) {
	mem := checkedMem(t)
	f := newFakePipelines(t, "sekret", 2000)
	s := openSink(t, map[string]string{"url": f.url(), "token": "sekret", "max_request_bytes": "2000", "job_id": "j"})
	write(t, s, mem, 0, 300, 7, "abc")
	write(t, s, mem, 300, 500, 7, "")
	if got := len(f.received()); got != 0 {
		t.Fatalf("Write sent %d rows before the checkpoint", got)
	}
	st, err := s.PreCommit(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(st) != `{"job_id":"j","rows":500}` {
		t.Errorf("state = %s", st)
	}
	got := f.received()
	checkExactlyOnce(t, got, 500)
	for i, row := range got {
		if seqOf(t, row) != i || row[IdempotencyKey] != "j-"+itoa(i) {
			t.Fatalf("row %d = %v", i, row)
		}
	}
	if req, _ := f.stats(); req < 10 {
		t.Errorf("%d requests for 500 rows under 2000 bytes each", req)
	}
	if err := s.Commit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
}

// TestSinkSurvivesFaults: 500s, 429 with Retry-After, dropped connections
// and requests stored but never acknowledged; every row arrives exactly
// once after dedup by idempotency key, each key's rows in order, and
// requests of different keys go in parallel.
func TestSinkSurvivesFaults(t *testing.T) {
	mem := checkedMem(t)
	f := newFakePipelines(t, "", 1500)
	f.decide = func(n int, _ []map[string]any) fault {
		switch {
		case n == 3:
			return throttle
		case n%5 == 1:
			return fail500
		case n%7 == 2:
			return dropConn
		case n%4 == 0:
			return acceptThenDrop
		}
		return accept
	}
	f.hold = func(int) { time.Sleep(2 * time.Millisecond) } // lets lanes overlap
	s := openSink(t, map[string]string{"url": f.url(), "max_request_bytes": "1500", "retry_backoff": "1ms",
		"key_column": "user", "concurrency": "4"})
	start := time.Now()
	write(t, s, mem, 0, 400, 9, "x")
	if _, err := s.PreCommit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	write(t, s, mem, 400, 600, 9, "y")
	if _, err := s.PreCommit(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	rows, dups := f.deduped(t)
	checkExactlyOnce(t, rows, 600)
	if dups == 0 {
		t.Error("no duplicates: the acknowledged-but-lost requests were not resent")
	}
	if _, peak := f.stats(); peak < 2 {
		t.Errorf("at most %d request in flight: lanes did not run in parallel", peak)
	}
	if time.Since(start) < time.Second {
		t.Errorf("finished in %s: Retry-After: 1 was not honoured", time.Since(start))
	}
}

// TestSinkDeadLetters: a row above max_request_bytes, a row the endpoint
// refuses (found by splitting the request) and requests that keep failing
// go to the dead-letter file with reasons; the rows around them arrive.
func TestSinkDeadLetters(t *testing.T) {
	mem := checkedMem(t)
	f := newFakePipelines(t, "", 1000)
	var outage atomic.Bool
	f.decide = func(_ int, rows []map[string]any) fault {
		if outage.Load() {
			return fail500
		}
		for _, r := range rows {
			if seqOf(t, r) == 17 {
				return reject400
			}
		}
		return accept
	}
	dl := filepath.Join(t.TempDir(), "dead.jsonl")
	s := openSink(t, map[string]string{"url": f.url(), "max_request_bytes": "1000", "retry_backoff": "1ms",
		"max_retries": "2", "dead_letter": dl, "job_id": "d"})
	write(t, s, mem, 0, 40, 3, "")
	write(t, s, mem, 40, 41, 3, strings.Repeat("z", 1200)) // too large for any request
	write(t, s, mem, 41, 60, 3, "")
	if _, err := s.PreCommit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	outage.Store(true)
	write(t, s, mem, 60, 63, 3, "")
	if _, err := s.PreCommit(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	got := map[int]bool{}
	for _, r := range f.received() {
		got[seqOf(t, r)] = true
	}
	dead := readDeadLetters(t, dl)
	wantDead := map[int]string{17: "400 Bad Request", 40: "exceeds max_request_bytes 1000",
		60: "gave up after 3 attempts", 61: "gave up after 3 attempts", 62: "gave up after 3 attempts"}
	for seq := range 63 {
		reason, isDead := dead[seq]
		switch want, ok := wantDead[seq]; {
		case ok && (!isDead || !strings.Contains(reason, want)):
			t.Errorf("seq %d: dead letter %q, want one saying %q", seq, reason, want)
		case ok && got[seq]:
			t.Errorf("seq %d was delivered and dead-lettered", seq)
		case !ok && (isDead || !got[seq]):
			t.Errorf("seq %d: delivered %v, dead-lettered %q", seq, got[seq], reason)
		}
	}
}

// readDeadLetters maps the seq of each dead-lettered row to its reason.
func readDeadLetters(t *testing.T, path string) map[int]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e struct{ Reason, Raw string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("dead letter %q: %v", line, err)
		}
		var row struct {
			Seq int
			Key string `json:"_idempotency_key"`
		}
		if err := json.Unmarshal([]byte(e.Raw), &row); err != nil || row.Key == "" {
			t.Fatalf("dead letter raw %q: %v", e.Raw, err)
		}
		out[row.Seq] = e.Reason
	}
	return out
}

// TestSinkFailsWithoutDeadLetter: rows that cannot be delivered fail the
// job when there is no dead-letter output, and the sink stays failed.
func TestSinkFailsWithoutDeadLetter(t *testing.T) {
	mem := checkedMem(t)
	f := newFakePipelines(t, "", 1<<20)
	f.decide = func(int, []map[string]any) fault { return fail500 }
	s := openSink(t, map[string]string{"url": f.url(), "retry_backoff": "1ms", "max_retries": "1"})
	write(t, s, mem, 0, 5, 1, "")
	_, err := s.PreCommit(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "gave up after 2 attempts") || !strings.Contains(err.Error(), "set dead_letter") {
		t.Fatalf("PreCommit = %v", err)
	}
	if _, err2 := s.PreCommit(context.Background(), 2); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("PreCommit after a failure = %v", err2)
	}
}

// TestSinkCredentials: the token comes from the option, token_env or
// PIPELINES_TOKEN; a refused one fails the job (not dead-lettered) and
// never appears in the error.
func TestSinkCredentials(t *testing.T) {
	mem := checkedMem(t)
	f := newFakePipelines(t, "right-token", 1<<20)
	t.Setenv("PIPELINES_TOKEN", "right-token")
	t.Setenv("OTHER_TOKEN", "wrong-token")
	dl := filepath.Join(t.TempDir(), "dead.jsonl")
	for _, c := range []struct {
		name string
		opts map[string]string
		ok   bool
	}{
		{"default env", map[string]string{}, true},
		{"token_env", map[string]string{"token_env": "OTHER_TOKEN", "dead_letter": dl}, false},
		{"option", map[string]string{"token": "wrong-token", "dead_letter": dl}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.opts["url"] = f.url()
			s := openSink(t, c.opts)
			write(t, s, mem, 0, 2, 1, "")
			_, err := s.PreCommit(context.Background(), 1)
			switch {
			case c.ok && err != nil:
				t.Fatal(err)
			case !c.ok && (err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "wrong-token")):
				t.Fatalf("PreCommit = %v", err)
			}
		})
	}
	if _, err := os.Stat(dl); err == nil {
		if data, _ := os.ReadFile(dl); len(data) > 0 {
			t.Errorf("a refused token dead-lettered rows: %s", data)
		}
	}
}

// TestSinkCancelledDuringBackoff: cancelling the job stops the retries.
func TestSinkCancelledDuringBackoff(t *testing.T) {
	mem := checkedMem(t)
	f := newFakePipelines(t, "", 1<<20)
	f.decide = func(int, []map[string]any) fault { return throttle }
	s := openSink(t, map[string]string{"url": f.url()})
	write(t, s, mem, 0, 1, 1, "")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := s.PreCommit(ctx, 1); err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("PreCommit = %v", err)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("PreCommit returned after %s, not at the cancellation", d)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
