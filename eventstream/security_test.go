//go:build !js

package eventstream

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const (
	adminToken  = "s3cret-admin-token"
	readerToken = "s3cret-orders-reader"
	writerToken = "s3cret-orders-writer"
)

func securedHarness(t *testing.T, cfg Config) *harness {
	cfg.Tokens = []TokenRule{
		{Token: adminToken, Topics: "*", Scopes: ScopeRead | ScopeWrite},
		{Token: readerToken, Topics: "orders*", Scopes: ScopeRead},
		{Token: writerToken, Topics: "orders", Scopes: ScopeWrite},
	}
	return newHarness(t, cfg)
}

// wsStatus dials and returns the HTTP status of the handshake.
func wsStatus(t *testing.T, h *harness, path string, header http.Header) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(h.http.URL, "http")+path, &websocket.DialOptions{HTTPHeader: header})
	if err == nil {
		c.CloseNow()
		return http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("dialing %s: %v", path, err)
	}
	return resp.StatusCode
}

func bearerHeader(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

func TestTokensAndScopes(t *testing.T) {
	h := securedHarness(t, Config{})
	ev := `{"a":1}`
	for _, c := range []struct {
		path, token string
		want        int
	}{
		{"/events?topic=orders", "", 401},
		{"/events?topic=orders", "wrong-token", 401},
		{"/events?topic=orders", readerToken, 403}, // read-only
		{"/events?topic=payments", writerToken, 403},
		{"/events?topic=orders", writerToken, 200},
		{"/events?topic=payments", adminToken, 200},
		{"/query", "", 401},
		{"/query", writerToken, 403}, // may read no topic
	} {
		body := ev
		if c.path == "/query" {
			body = `{"sql":"SELECT 1"}`
		}
		if status, out := h.post(c.path, c.token, body); status != c.want {
			t.Errorf("POST %s with %q: %d %v, want %d", c.path, c.token, status, out, c.want)
		}
	}
	// WebSocket: no token, bad token, no scope on the topic.
	for _, c := range []struct {
		path   string
		header http.Header
		want   int
	}{
		{"/events?topic=orders", nil, 401},
		{"/events?topic=orders", bearerHeader("nope"), 401},
		{"/events?topic=payments", bearerHeader(readerToken), 403},
		{"/events?topic=orders", bearerHeader(readerToken), 101},
		{"/events?topic=orders&access_token=" + readerToken, nil, 101}, // browsers cannot set headers
	} {
		if got := wsStatus(t, h, c.path, c.header); got != c.want {
			t.Errorf("WebSocket %s: %d, want %d", c.path, got, c.want)
		}
	}
	// A scoped token queries only what it may read.
	req := func(sql string) (int, map[string]any) {
		return h.post("/query", readerToken, mustJSON(map[string]any{"sql": sql}))
	}
	if status, out := req(`SELECT count(*) FROM orders`); status != 200 || out["rows"].([]any)[0].([]any)[0] != 1.0 {
		t.Errorf("reader on orders: %d %v", status, out)
	}
	if status, out := req(`SELECT count(*) FROM payments`); status != 400 || !strings.Contains(out["error"].(string), "does not exist") {
		t.Errorf("reader on payments: %d %v", status, out)
	}
	if strings.Contains(h.logs.String(), "s3cret") {
		t.Fatalf("a token reached the log:\n%s", h.logs)
	}
}

func TestWebSocketPublishNeedsWriteScope(t *testing.T) {
	h := securedHarness(t, Config{})
	c := h.dial("/events?topic=orders", &websocket.DialOptions{HTTPHeader: bearerHeader(readerToken)})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Write(ctx, websocket.MessageText, []byte(`{"x":1}`))
	_, _, err := c.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusPolicyViolation || !strings.Contains(err.Error(), "write scope") {
		t.Fatalf("publish without write scope: %v", err)
	}
	// A writer publishes; a reader receives it.
	sub := h.dial("/events?topic=orders", &websocket.DialOptions{HTTPHeader: bearerHeader(readerToken)})
	pub := h.dial("/events?topic=orders", &websocket.DialOptions{HTTPHeader: bearerHeader(writerToken)})
	if err := pub.Write(ctx, websocket.MessageText, []byte(`{"x":2}`)); err != nil {
		t.Fatal(err)
	}
	if f := readFrames(t, sub, 1); f[0]["x"] != 2.0 {
		t.Fatal(f)
	}
}

func TestEventAndBodySizeLimits(t *testing.T) {
	h := newHarness(t, Config{MaxBodyBytes: 3 << 20})
	big := `{"pad":"` + strings.Repeat("x", 1<<20) + `"}`
	if status, out := h.post("/events?topic=t", "", big); status != 413 || !strings.Contains(out["error"].(string), "limit") {
		t.Fatalf("1 MiB event: %d %v", status, out)
	}
	huge := "[" + strings.Repeat(`{"pad":"`+strings.Repeat("y", 1000)+`"},`, 4000) + `{}]`
	if status, _ := h.post("/events?topic=t", "", huge); status != 413 {
		t.Fatalf("4 MB body: %d", status)
	}
	// Over WebSocket the frame limit closes the connection with 1009.
	c := h.dial("/events?topic=t", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Write(ctx, websocket.MessageText, []byte(big))
	_, _, err := c.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("oversized frame: %v", err)
	}
}

func TestWebSocketRateLimit(t *testing.T) {
	h := newHarness(t, Config{WSMessageRate: 5})
	c := h.dial("/events?topic=t", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 20 {
		if err := c.Write(ctx, websocket.MessageText, []byte(`{"x":1}`)); err != nil {
			break // the server may close before all are sent
		}
	}
	var err error
	for err == nil { // the first frames echo back as events
		_, _, err = c.Read(ctx)
	}
	if websocket.CloseStatus(err) != websocket.StatusPolicyViolation || !strings.Contains(err.Error(), "rate limit") {
		t.Fatalf("flooding publisher: %v", err)
	}
	if rows := h.query(`SELECT count(*) FROM t`); rows[0][0].(float64) > 6 {
		t.Fatalf("rate limit let %v events through", rows[0][0])
	}
}

func TestWebSocketOriginCheck(t *testing.T) {
	h := newHarness(t, Config{AllowOrigins: []string{"app.example.com"}})
	host := strings.TrimPrefix(h.http.URL, "http://")
	for origin, want := range map[string]int{
		"":                          101, // not a browser
		"http://" + host:            101, // same origin
		"https://app.example.com":   101,
		"https://evil.example.net":  403,
		"https://app.example.com.x": 403,
	} {
		hdr := http.Header{}
		if origin != "" {
			hdr.Set("Origin", origin)
		}
		if got := wsStatus(t, h, "/events?topic=t", hdr); got != want {
			t.Errorf("origin %q: %d, want %d", origin, got, want)
		}
	}
}

func TestSlowSubscriberIsClosedWithoutBlockingIngest(t *testing.T) {
	h := newHarness(t, Config{SubscriberQueue: 4})
	// The Go cursor: no reads while 10 events arrive.
	cur, err := h.srv.Tail("t", "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		h.ingest("t", `{"i":`+string(rune('0'+i))+`}`)
	}
	if _, err := cur.Next(context.Background()); !errors.Is(err, ErrFellBehind) {
		t.Fatalf("lagging cursor: %v", err)
	}
	// A WebSocket subscriber that stops reading: the socket buffers fill,
	// its lag passes the queue and the server closes it with a reason.
	c := h.dial("/events?topic=w", nil)
	pad := strings.Repeat("z", 256<<10)
	start := time.Now()
	for range 64 {
		h.ingest("w", `{"pad":"`+pad+`"}`)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("ingest waited for the slow subscriber: %v", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusPolicyViolation || !strings.Contains(err.Error(), "too slow") {
				t.Fatalf("slow subscriber closed with %v", err)
			}
			return
		}
	}
}

func TestAuthorizeTablesForMountedHandlers(t *testing.T) {
	h := securedHarness(t, Config{})
	h.srv.Handle("/mounted", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h.srv.AuthorizeTables(r, strings.Split(r.URL.Query().Get("tables"), ",")); err != nil {
			WriteAuthError(w, err)
			return
		}
		writeReply(w, jsonReply(200, map[string]string{"ok": "yes"}))
	}))
	for _, c := range []struct {
		tables, token string
		want          int
	}{
		{"orders", "", 401},
		{"orders", "bad", 401},
		{"orders,orders_eu", readerToken, 200},
		{"orders,payments", readerToken, 403},
		{"orders", writerToken, 403},
		{"payments", adminToken, 200},
	} {
		if status, out := h.post("/mounted?tables="+c.tables, c.token, ""); status != c.want {
			t.Errorf("%s with %q: %d %v, want %d", c.tables, c.token, status, out, c.want)
		}
	}
}

func TestTopicCountIsCapped(t *testing.T) {
	h := newHarness(t, Config{MaxTopics: 2})
	h.ingest("a", `{}`)
	h.ingest("b", `{}`)
	if status, out := h.post("/events?topic=c", "", `{}`); status != 400 || !strings.Contains(out["error"].(string), "too many topics") {
		t.Fatalf("third topic: %d %v", status, out)
	}
	if got := wsStatus(t, h, "/events?topic=d", nil); got != 400 {
		t.Fatalf("subscribing to a new topic past the cap: %d", got)
	}
	h.ingest("a", `{}`) // existing topics still work
}
