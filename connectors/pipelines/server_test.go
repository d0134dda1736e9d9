package pipelines

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// fault is what the fake endpoint does with one request instead of
// accepting it.
type fault int

const (
	accept         fault = iota
	fail500              // 500, nothing stored
	throttle             // 429 with Retry-After: 1
	dropConn             // the connection closes before any response
	acceptThenDrop       // the rows are stored, then the connection closes: the client cannot know
	reject400            // 400, nothing stored
)

// fakePipelines is an ingest endpoint enforcing the Pipelines HTTP
// contract: POST, a JSON array of objects each with an idempotency key,
// a body under maxBytes (else 413) and the bearer token (else 401).
type fakePipelines struct {
	t        *testing.T
	srv      *httptest.Server
	token    string
	maxBytes int

	mu       sync.Mutex
	rows     []map[string]any // stored, in arrival order
	requests int
	inFlight int
	peak     int // most requests in flight at once
	// decide picks the fault of request n (from 0) carrying rows; nil
	// accepts everything.
	decide func(n int, rows []map[string]any) fault
	// hold, when set, runs while a request is in flight (before deciding).
	hold func(n int)
}

func newFakePipelines(t *testing.T, token string, maxBytes int) *fakePipelines {
	f := &fakePipelines{t: t, token: token, maxBytes: maxBytes}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePipelines) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want POST application/json", http.StatusBadRequest)
		return
	}
	if f.token != "" && r.Header.Get("Authorization") != "Bearer "+f.token {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(f.maxBytes)+1))
	if err != nil {
		return
	}
	if len(body) > f.maxBytes {
		http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
		return
	}
	var rows []map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&rows); err != nil || len(rows) == 0 {
		http.Error(w, fmt.Sprintf("want a non-empty JSON array of objects: %v", err), http.StatusBadRequest)
		return
	}
	for _, row := range rows {
		if _, ok := row[IdempotencyKey].(string); !ok {
			http.Error(w, "a row without "+IdempotencyKey, http.StatusBadRequest)
			return
		}
	}
	f.mu.Lock()
	n := f.requests
	f.requests++
	f.inFlight++
	f.peak = max(f.peak, f.inFlight)
	decide, hold := f.decide, f.hold
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	if hold != nil {
		hold(n)
	}
	what := accept
	if decide != nil {
		what = decide(n, rows)
	}
	switch what {
	case fail500:
		http.Error(w, "internal error", http.StatusInternalServerError)
	case throttle:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	case reject400:
		http.Error(w, "row does not match the stream's schema", http.StatusBadRequest)
	case dropConn:
		f.hangUp(w)
	case acceptThenDrop:
		f.store(rows)
		f.hangUp(w)
	default:
		f.store(rows)
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"success":true}`)
	}
}

func (f *fakePipelines) store(rows []map[string]any) {
	f.mu.Lock()
	f.rows = append(f.rows, rows...)
	f.mu.Unlock()
}

// hangUp closes the connection without a response.
func (f *fakePipelines) hangUp(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		f.t.Errorf("hijacking: %v", err)
		return
	}
	conn.Close()
}

func (f *fakePipelines) url() string { return f.srv.URL + "/ingest" }

// received returns the rows stored so far, in arrival order.
func (f *fakePipelines) received() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.rows...)
}

// deduped returns the rows stored, each idempotency key once (first
// arrival), and how many duplicates were dropped; a duplicate must equal
// the row first stored under its key.
func (f *fakePipelines) deduped(t *testing.T) ([]map[string]any, int) {
	t.Helper()
	seen := map[string]map[string]any{}
	var out []map[string]any
	dups := 0
	for _, row := range f.received() {
		k := row[IdempotencyKey].(string)
		if first, ok := seen[k]; ok {
			dups++
			if fmt.Sprint(first) != fmt.Sprint(row) {
				t.Errorf("key %s came with different rows: %v and %v", k, first, row)
			}
			continue
		}
		seen[k] = row
		out = append(out, row)
	}
	return out, dups
}

func (f *fakePipelines) stats() (requests, peak int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests, f.peak
}
