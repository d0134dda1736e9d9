//go:build !js

package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/eventstream/live"
)

// TestLiveSocketFirstFrame: a live socket opened without SQL takes its
// query from the first frame, returns the attachment to store (so a woken
// object resubscribes) and streams the query's updates.
func TestLiveSocketFirstFrame(t *testing.T) {
	peer := newFakePeer()
	h := newHost(t, authConfig, newSQLite(t), peer, newFakeCold())
	acc := h.AcceptSocket(context.Background(), Request{Method: "GET", URL: "http://x/live?access_token=reader"})
	if acc.Status != 101 || acc.Attachment.SQL != "" {
		t.Fatalf("accept: %+v", acc)
	}
	if err := h.OpenSocket("l", *acc.Attachment); err != nil {
		t.Fatal(err)
	}
	att, err := h.SocketMessage(context.Background(), "l", `{"sql":"SELECT id, amount FROM orders WHERE amount > $1","params":[5]}`)
	if err != nil || att == nil || att.SQL == "" || string(att.Params) != "[5]" {
		t.Fatalf("attachment %+v, %v", att, err)
	}
	do(h, "POST", "/events?topic=orders", "admin", `{"id":1,"amount":1}`+"\n"+`{"id":2,"amount":9}`)
	got := peer.await(t, "l", func(f []sent) bool { return len(f) > 0 })
	var u struct {
		Columns []string `json:"columns"`
		Rows    [][]any  `json:"rows"`
	}
	if err := json.Unmarshal([]byte(got[0].text), &u); err != nil || len(u.Rows) != 1 || u.Rows[0][0] != 2.0 {
		t.Fatalf("update %s: %v", got[0].text, err)
	}
	if again, err := h.SocketMessage(context.Background(), "l", `{"sql":"SELECT 1"}`); again != nil || err != nil {
		t.Fatalf("a running live socket took a second query: %+v %v", again, err)
	}
	h.SocketClosed("l")
	if n := len(h.live.Metrics().Jobs); n != 0 {
		t.Fatalf("%d live jobs after the last socket left", n)
	}
}

// TestLiveSocketRefusals: bad requests, bad SQL and tables the token may
// not read end the socket with an error frame and 1008.
func TestLiveSocketRefusals(t *testing.T) {
	peer := newFakePeer()
	h := newHost(t, authConfig+"", newSQLite(t), peer, newFakeCold())
	do(h, "POST", "/events?topic=secret", "admin", `{"x":1}`)
	for id, frame := range map[string]string{
		"notjson":   `SELECT 1`,
		"nosql":     `{"params":[1]}`,
		"badparams": `{"sql":"SELECT id FROM orders WHERE id = $1","params":{"a":1}}`,
		"badsql":    `{"sql":"SELEKT id FROM orders"}`,
		"denied":    `{"sql":"SELECT o.id FROM orders o WHERE o.id IN (SELECT x FROM secret)"}`,
	} {
		acc := h.AcceptSocket(context.Background(), Request{Method: "GET", URL: "http://x/live?access_token=reader"})
		if err := h.OpenSocket(id, *acc.Attachment); err != nil {
			t.Fatal(err)
		}
		if _, err := h.SocketMessage(context.Background(), id, frame); err != nil {
			t.Fatal(err)
		}
		got := peer.await(t, id, func(f []sent) bool { return len(f) == 2 })
		if !strings.HasPrefix(got[0].text, `{"error":`) || got[1].closeCode != closePolicy {
			t.Errorf("%s: got %+v", id, got)
		}
		if id == "denied" && !strings.Contains(got[0].text, `not authorized: forbidden: token not allowed: no read scope on \"secret\"`) {
			t.Errorf("denied: %s", got[0].text)
		}
	}
}

// TestLiveSocketResumesFromAttachment: a live socket opened with its SQL in
// the attachment (a woken object) subscribes at once; a query that cannot
// be planned is reported on the socket.
func TestLiveSocketResumesFromAttachment(t *testing.T) {
	peer := newFakePeer()
	h := newHost(t, `{"topicSchemas":["orders=id BIGINT, amount DOUBLE"]}`, newSQLite(t), peer, newFakeCold())
	if err := h.OpenSocket("ok", Attachment{Kind: kindLive, SQL: "SELECT id FROM orders WHERE id = $1", Params: json.RawMessage(`[3]`)}); err != nil {
		t.Fatal(err)
	}
	do(h, "POST", "/events?topic=orders", "", `{"id":3,"amount":1}`)
	if got := peer.await(t, "ok", func(f []sent) bool { return len(f) > 0 }); !strings.Contains(got[0].text, `[[3]]`) {
		t.Fatalf("resumed live socket got %s", got[0].text)
	}
	if err := h.OpenSocket("bad", Attachment{Kind: kindLive, SQL: "SELECT nope FROM orders"}); err != nil {
		t.Fatal(err)
	}
	got := peer.await(t, "bad", func(f []sent) bool { return len(f) == 2 })
	if !strings.Contains(got[0].text, "nope") || got[1].closeCode != closePolicy {
		t.Fatalf("bad resumed query: %+v", got)
	}
	if err := h.OpenSocket("params", Attachment{Kind: kindLive, SQL: "SELECT 1", Params: json.RawMessage(`[{}]`)}); err != nil {
		t.Fatal(err)
	}
	if got := peer.await(t, "params", func(f []sent) bool { return len(f) == 2 }); got[1].closeCode != closePolicy {
		t.Fatalf("bad params: %+v", got)
	}
}

// TestLiveCloseCodes maps the ends of a live subscription to the codes
// the native handler uses.
func TestLiveCloseCodes(t *testing.T) {
	for err, want := range map[error]int{live.ErrInputEnded: closeNormal, live.ErrSlowConsumer: closeTryAgainLater, live.ErrClosed: closeGoingAway, context.Canceled: closeInternalError} {
		if got, _ := liveClose(err); got != want {
			t.Errorf("%v: %d, want %d", err, got, want)
		}
	}
}
