package pipelines

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestSinkStatusHandling: what each kind of answer does to a request.
func TestSinkStatusHandling(t *testing.T) {
	mem := checkedMem(t)
	for _, c := range []struct {
		status   int
		fatal    string // the PreCommit error, if the job fails
		deadWant string // the dead letters' reason, if rows are diverted
		attempts int64  // requests made for 2 rows
	}{
		{status: http.StatusNotFound, fatal: "404 Not Found: no such stream: check the url", attempts: 1},
		{status: http.StatusForbidden, fatal: "refused the credentials", attempts: 1},
		{status: http.StatusConflict, deadWant: "409 Conflict", attempts: 1},
		{status: http.StatusUnprocessableEntity, deadWant: "422 Unprocessable Entity", attempts: 3}, // split down to single rows
		{status: http.StatusRequestTimeout, deadWant: "gave up after 3 attempts", attempts: 3},
		{status: http.StatusBadGateway, deadWant: "gave up after 3 attempts in", attempts: 3},
	} {
		t.Run(http.StatusText(c.status), func(t *testing.T) {
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				http.Error(w, "no such stream", c.status)
			}))
			defer srv.Close()
			dl := filepath.Join(t.TempDir(), "dead.jsonl")
			s := openSink(t, map[string]string{"url": srv.URL, "dead_letter": dl, "max_retries": "2", "retry_backoff": "1ms"})
			write(t, s, mem, 0, 2, 1, "")
			_, err := s.PreCommit(context.Background(), 1)
			if c.fatal != "" {
				if err == nil || !strings.Contains(err.Error(), c.fatal) {
					t.Errorf("PreCommit = %v, want %q", err, c.fatal)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				dead := readDeadLetters(t, dl)
				if len(dead) != 2 || !strings.Contains(dead[0], c.deadWant) || !strings.Contains(dead[1], c.deadWant) {
					t.Errorf("dead letters %v, want both rows with %q", dead, c.deadWant)
				}
			}
			if got := requests.Load(); got != c.attempts {
				t.Errorf("%d requests, want %d", got, c.attempts)
			}
		})
	}
}

// TestSinkRidesOutAnOutage: the endpoint answers 503 to everything for a
// while; the sink retries until it is back, and nothing is lost.
func TestSinkRidesOutAnOutage(t *testing.T) {
	mem := checkedMem(t)
	f := newFakePipelines(t, "", 1<<20)
	var failed atomic.Int64
	f.decide = func(int, []map[string]any) fault {
		if failed.Add(1) <= 6 {
			return fail500
		}
		return accept
	}
	s := openSink(t, map[string]string{"url": f.url(), "max_request_bytes": "400", "retry_backoff": "2ms"})
	write(t, s, mem, 0, 30, 3, "")
	if _, err := s.PreCommit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	rows, dups := f.deduped(t)
	checkExactlyOnce(t, rows, 30)
	if dups != 0 || failed.Load() <= 6 {
		t.Errorf("%d duplicates, %d requests", dups, failed.Load())
	}
}

// TestSinkGivesUpAfterMaxElapsed: a Retry-After beyond max_elapsed ends
// the retries at once.
func TestSinkGivesUpAfterMaxElapsed(t *testing.T) {
	mem := checkedMem(t)
	f := newFakePipelines(t, "", 1<<20)
	f.decide = func(int, []map[string]any) fault { return throttle } // Retry-After: 1
	s := openSink(t, map[string]string{"url": f.url(), "max_elapsed": "300ms"})
	write(t, s, mem, 0, 1, 1, "")
	start := time.Now()
	_, err := s.PreCommit(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "gave up after 1 attempts") || !strings.Contains(err.Error(), "429 Too Many Requests") {
		t.Errorf("PreCommit = %v", err)
	}
	if time.Since(start) > 900*time.Millisecond {
		t.Errorf("waited %s for a Retry-After beyond max_elapsed", time.Since(start))
	}
}

// TestSinkSendsEarlyWhenBuffering: Write sends once 16 requests' worth of
// rows are buffered, so memory stays bounded between checkpoints.
func TestSinkSendsEarlyWhenBuffering(t *testing.T) {
	mem := checkedMem(t)
	f := newFakePipelines(t, "", 200)
	s := openSink(t, map[string]string{"url": f.url(), "max_request_bytes": "200"})
	write(t, s, mem, 0, 10, 2, "")
	if n := len(f.received()); n != 0 {
		t.Fatalf("%d rows sent for a small buffer", n)
	}
	write(t, s, mem, 10, 100, 2, "") // about 5 KB, over 16 × 200 bytes
	if n := len(f.received()); n != 100 {
		t.Fatalf("%d rows sent after buffering 100", n)
	}
	if _, err := s.PreCommit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, f.received(), 100)
}

// TestSinkDeadLetterOutputFails: when the dead-letter output itself
// fails, the job fails.
func TestSinkDeadLetterOutputFails(t *testing.T) {
	mem := checkedMem(t)
	f := newFakePipelines(t, "", 1<<20)
	f.decide = func(int, []map[string]any) fault { return reject400 }
	dead := newFakePipelines(t, "needs-a-token", 1<<20)
	s := openSink(t, map[string]string{"url": f.url(), "dead_letter": "pipelines+" + dead.url()})
	write(t, s, mem, 0, 1, 1, "")
	if _, err := s.PreCommit(context.Background(), 1); err == nil || !strings.Contains(err.Error(), "writing dead letters") {
		t.Errorf("PreCommit = %v", err)
	}
}

// TestSinkWriteErrors: a batch of other columns, a cancelled context.
func TestSinkWriteErrors(t *testing.T) {
	mem := checkedMem(t)
	f := newFakePipelines(t, "", 1<<20)
	s := openSink(t, map[string]string{"url": f.url()})
	b := rows(mem, 0, 1, 1, "")
	defer b.Release()
	narrow := array.NewRecordBatch(arrow.NewSchema(rowSchema.Fields()[:2], nil), b.Columns()[:2], 1)
	defer narrow.Release()
	if err := s.Write(context.Background(), narrow); err == nil || !strings.Contains(err.Error(), "batch has 2 columns, the sink 3") {
		t.Errorf("Write of 2 columns = %v", err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Write(cancelled, b); err == nil {
		t.Error("Write with a cancelled context succeeded")
	}
	if _, err := s.PreCommit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if n := len(f.received()); n != 0 {
		t.Errorf("%d rows sent", n)
	}
}
