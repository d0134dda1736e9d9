//go:build !js

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

const authConfig = `{"topicSchemas":["orders=id BIGINT, amount DOUBLE"],
 "tokens":"admin * read,write\nwriter orders write\nreader orders read",
 "batchMaxBytes": 64}`

// TestHostIngestQueryAndRestart: events acknowledged over HTTP are in the
// hot tier, answer a query with parameters, and survive a restart of the
// object (a new host on the same SQLite storage).
func TestHostIngestQueryAndRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "do.sqlite")
	db := openSQLite(t, path)
	h, err := NewHost(`{"topicSchemas":["orders=id BIGINT, amount DOUBLE"]}`, db, newFakePeer(), newFakeCold(), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	r := do(h, "POST", "/events?topic=orders", "", `{"id":1,"amount":2.5}`+"\n"+`{"id":2,"amount":10}`)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"accepted":2`) {
		t.Fatalf("ingest: %d %s", r.Status, r.Body)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	h2 := newHost(t, `{"topicSchemas":["orders=id BIGINT, amount DOUBLE"]}`, openSQLite(t, path), newFakePeer(), newFakeCold())
	if h2.srv.Replayed.Records != 2 {
		t.Fatalf("replayed %d events, want 2", h2.srv.Replayed.Records)
	}
	q := do(h2, "POST", "/query", "", `{"sql":"SELECT id, amount FROM orders WHERE amount > $1","params":[3]}`)
	if q.Status != 200 || strings.TrimSpace(string(q.Body)) != `{"columns":["id","amount"],"rows":[[2,10]]}` {
		t.Fatalf("query: %d %s", q.Status, q.Body)
	}
	if ct := headerOf(q, "Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
}

func headerOf(r Response, name string) string {
	for _, h := range r.Headers {
		if http.CanonicalHeaderKey(h[0]) == name {
			return h[1]
		}
	}
	return ""
}

// TestHostAuthRules: the same 401/403 rules as `streamsql serve`, for
// plain requests and WebSocket handshakes (events and live SQL).
func TestHostAuthRules(t *testing.T) {
	h := newHost(t, authConfig, newSQLite(t), newFakePeer(), newFakeCold())
	for _, c := range []struct {
		method, url, token string
		want               int
	}{
		{"POST", "/events?topic=orders", "", 401},
		{"POST", "/events?topic=orders", "reader", 403},
		{"POST", "/events?topic=orders", "writer", 200},
		{"POST", "/query", "", 401},
	} {
		body := `{"id":1,"amount":1}`
		if c.url == "/query" {
			body = `{"sql":"SELECT 1"}`
		}
		if r := do(h, c.method, c.url, c.token, body); r.Status != c.want {
			t.Errorf("%s %s as %q: %d %s, want %d", c.method, c.url, c.token, r.Status, r.Body, c.want)
		}
	}
	accept := func(url, token string) Accepted {
		r := Request{Method: "GET", URL: "http://do.internal" + url}
		if token != "" {
			r.Headers = []Header{{"Authorization", "Bearer " + token}}
		}
		return h.AcceptSocket(context.Background(), r)
	}
	live := "/live?sql=" + strings.ReplaceAll("SELECT id FROM orders", " ", "%20")
	for _, c := range []struct {
		url, token string
		want       int
	}{
		{"/events?topic=orders", "", 401},
		{"/events?topic=other", "reader", 403},
		{"/events?topic=orders", "reader", 101},
		{"/events?topic=orders&from=yesterday", "reader", 400},
		{"/events", "admin", 400},
		{"/live", "", 401},
		{"/live", "writer", 403},
		{live, "reader", 101},
		{"/live?sql=SELECT%20n%20FROM%20secret", "reader", 403},
		{"/elsewhere", "admin", 404},
		{"/events?topic=orders&access_token=reader", "", 101},
	} {
		got := accept(c.url, c.token)
		if got.Status != c.want {
			t.Errorf("handshake %s as %q: %d, want %d", c.url, c.token, got.Status, c.want)
		}
		if got.Status == 401 && headerOf(*got.Refusal, "Www-Authenticate") == "" {
			t.Errorf("handshake %s: 401 without a Bearer challenge", c.url)
		}
		if got.Refusal != nil && strings.Contains(string(got.Refusal.Body), "reader") {
			t.Errorf("handshake %s: the refusal names the token: %s", c.url, got.Refusal.Body)
		}
	}
	if a := accept("/events?topic=orders", "writer").Attachment; a == nil || a.Read || !a.Write {
		t.Errorf("writer's attachment: %+v", a)
	}
}

// TestEventsSocketReplayThenTail: an events socket gets the window it
// asked for, then new events, in order and once each, with their ids.
func TestEventsSocketReplayThenTail(t *testing.T) {
	peer := newFakePeer()
	h := newHost(t, `{}`, newSQLite(t), peer, newFakeCold())
	for i := range 3 {
		do(h, "POST", "/events?topic=t", "", `{"n":`+string(rune('0'+i))+`}`)
	}
	acc := h.AcceptSocket(context.Background(), Request{Method: "GET", URL: "http://x/events?topic=t&from=earliest"})
	if acc.Status != 101 {
		t.Fatalf("accept: %+v", acc)
	}
	if err := h.OpenSocket("s1", *acc.Attachment); err != nil {
		t.Fatal(err)
	}
	if err := h.OpenSocket("s1", *acc.Attachment); err == nil {
		t.Fatal("opened one socket id twice")
	}
	peer.await(t, "s1", func(f []sent) bool { return len(f) == 3 })
	do(h, "POST", "/events?topic=t", "", `{"n":3}`)
	got := peer.await(t, "s1", func(f []sent) bool { return len(f) == 4 })
	for i, f := range got {
		var ev struct {
			ID string `json:"_id"`
			N  int    `json:"n"`
		}
		if err := json.Unmarshal([]byte(f.text), &ev); err != nil || ev.N != i || ev.ID != f.lastID {
			t.Fatalf("frame %d: %s (last id %q): %v", i, f.text, f.lastID, err)
		}
	}
	h.SocketClosed("s1")
	do(h, "POST", "/events?topic=t", "", `{"n":4}`)
	do(h, "POST", "/query", "", `{"sql":"SELECT 1"}`) // a round trip: a late frame would show now
	if n := len(peer.of("s1")); n != 4 {
		t.Fatalf("a closed socket got %d frames", n)
	}
}

// TestEventsSocketPublishRules: publishing on a socket ingests one JSON
// object a frame; a socket without write scope, bad JSON or several
// events in a frame close it with the serve codes.
func TestEventsSocketPublishRules(t *testing.T) {
	peer := newFakePeer()
	h := newHost(t, authConfig, newSQLite(t), peer, newFakeCold())
	open := func(id, token string) {
		acc := h.AcceptSocket(context.Background(), Request{Method: "GET", URL: "http://x/events?topic=orders", Headers: []Header{{"Authorization", "Bearer " + token}}})
		if err := h.OpenSocket(id, *acc.Attachment); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	open("w", "writer")
	if _, err := h.SocketMessage(ctx, "w", `{"id":7,"amount":1}`); err != nil {
		t.Fatal(err)
	}
	q := do(h, "POST", "/query", "admin", `{"sql":"SELECT id FROM orders"}`)
	if !strings.Contains(string(q.Body), `[[7]]`) {
		t.Fatalf("published event not queryable: %s", q.Body)
	}
	// A frame may carry several events, as with streamsql serve.
	if _, err := h.SocketMessage(ctx, "w", `[{"id":8},{"id":9}]`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id, token, frame string
		code             int
	}{
		{"r", "reader", `{"id":1}`, closePolicy},
		{"bad", "writer", `{"id":`, closeInvalidData},
		{"half", "writer", `[{"id":1},{"id":"x"}]`, closeInvalidData},
		{"typed", "writer", `{"id":"not a number"}`, closeInvalidData},
	} {
		open(c.id, c.token)
		if _, err := h.SocketMessage(ctx, c.id, c.frame); err != nil {
			t.Fatal(err)
		}
		got := peer.await(t, c.id, func(f []sent) bool { return len(f) > 0 && f[len(f)-1].closeCode != 0 })
		if code := got[len(got)-1].closeCode; code != c.code {
			t.Errorf("%s: closed %d (%s), want %d", c.id, code, got[len(got)-1].reason, c.code)
		}
	}
	if _, err := h.SocketMessage(ctx, "r", `{}`); err == nil {
		t.Error("a closed socket took a frame")
	}
	q = do(h, "POST", "/query", "admin", `{"sql":"SELECT COUNT(*) FROM orders"}`)
	if !strings.Contains(string(q.Body), `[[3]]`) {
		t.Fatalf("want the 3 accepted events and none of the refused frames: %s", q.Body)
	}
}

// TestStorageFailureRefusesEvents: when the object's storage fails, no
// event is acknowledged: POST answers 503 and a publishing socket closes
// with 1011; an oversized frame closes with 1009.
func TestStorageFailureRefusesEvents(t *testing.T) {
	peer := newFakePeer()
	db := newSQLite(t)
	h := newHost(t, `{}`, db, peer, newFakeCold())
	ctx := context.Background()
	if err := h.OpenSocket("big", Attachment{Kind: kindEvents, Topic: "t", Write: true}); err != nil {
		t.Fatal(err)
	}
	h.SocketMessage(ctx, "big", `{"x":"`+strings.Repeat("a", 2<<20)+`"}`)
	if got := peer.await(t, "big", func(f []sent) bool { return len(f) == 1 }); got[0].closeCode != closeTooBig {
		t.Fatalf("oversized frame: %+v", got)
	}
	db.setFail(func(q string) error {
		if strings.Contains(q, "wal_chunks") {
			return errInjected
		}
		return nil
	})
	if r := do(h, "POST", "/events?topic=t", "", `{"n":1}`); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("POST with failing storage: %d %s", r.Status, r.Body)
	}
	if err := h.OpenSocket("p", Attachment{Kind: kindEvents, Topic: "t", Write: true}); err != nil {
		t.Fatal(err)
	}
	h.SocketMessage(ctx, "p", `{"n":2}`)
	if got := peer.await(t, "p", func(f []sent) bool { return len(f) == 1 }); got[0].closeCode != closeInternalError {
		t.Fatalf("publish with failing storage: %+v", got)
	}
	db.setFail(nil)
	q := do(h, "POST", "/query", "", `{"sql":"SELECT COUNT(*) FROM t"}`)
	if !strings.Contains(string(q.Body), `[[0]]`) {
		t.Fatalf("refused events are visible: %s", q.Body)
	}
}
