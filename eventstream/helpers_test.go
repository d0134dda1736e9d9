package eventstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/coder/websocket"
)

// harness is a server behind a real HTTP listener, with a checked
// allocator that must be empty once the server closes.
type harness struct {
	t    *testing.T
	srv  *Server
	http *httptest.Server
	mem  *memory.CheckedAllocator
	logs *logBuffer
}

// logBuffer collects Logf output.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuffer) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, mem: memory.NewCheckedAllocator(memory.NewGoAllocator()), logs: &logBuffer{}}
	cfg.Alloc = h.mem
	cfg.Logf = h.logs.logf
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	h.http = httptest.NewServer(srv)
	t.Cleanup(h.close)
	return h
}

// close stops the listener and the server and checks nothing leaked.
func (h *harness) close() {
	h.http.CloseClientConnections()
	h.http.Close()
	if err := h.srv.Close(); err != nil {
		h.t.Error(err)
	}
	h.mem.AssertSize(h.t, 0)
}

// post sends body to path with an optional bearer token and returns the
// status and decoded JSON answer.
func (h *harness) post(path, token, body string) (int, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.http.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		h.t.Fatalf("POST %s: %d %q is not JSON", path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// ingest posts events and requires success, returning their ids.
func (h *harness) ingest(topic, body string) []string {
	h.t.Helper()
	status, out := h.post("/events?topic="+topic, "", body)
	if status != 200 {
		h.t.Fatalf("ingest: %d %v", status, out)
	}
	var ids []string
	for _, id := range out["ids"].([]any) {
		ids = append(ids, id.(string))
	}
	if int(out["accepted"].(float64)) != len(ids) {
		h.t.Fatalf("accepted %v but %d ids", out["accepted"], len(ids))
	}
	return ids
}

// query runs SQL through the HTTP API and returns the rows.
func (h *harness) query(sql string, params ...any) [][]any {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"sql": sql, "params": params})
	status, out := h.post("/query", "", string(body))
	if status != 200 {
		h.t.Fatalf("query %q: %d %v", sql, status, out)
	}
	var rows [][]any
	for _, r := range out["rows"].([]any) {
		rows = append(rows, r.([]any))
	}
	return rows
}

// dial opens a WebSocket to path.
func (h *harness) dial(path string, opts *websocket.DialOptions) *websocket.Conn {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(h.http.URL, "http")+path, opts)
	if err != nil {
		h.t.Fatalf("dialing %s: %v", path, err)
	}
	c.SetReadLimit(4 << 20)
	h.t.Cleanup(func() { c.CloseNow() })
	return c
}

// readFrames reads n JSON frames.
func readFrames(t *testing.T, c *websocket.Conn, n int) []map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := make([]map[string]any, 0, n)
	for len(out) < n {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("after %d of %d frames: %v", len(out), n, err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("frame %q: %v", data, err)
		}
		out = append(out, m)
	}
	return out
}

func mustJSON(v any) string {
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(v)
	return b.String()
}
