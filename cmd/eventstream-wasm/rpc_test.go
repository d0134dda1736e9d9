//go:build !js

package main

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestRPCBroadcastAndQuery: the Durable Object's RPC methods ingest an
// event (seen by subscribers and queries) and answer read-only queries
// with parameters in the POST /query shape.
func TestRPCBroadcastAndQuery(t *testing.T) {
	peer := newFakePeer()
	h := newHost(t, authConfig, newSQLite(t), peer, newFakeCold())
	ctx := context.Background()
	if err := h.OpenSocket("s", Attachment{Kind: kindEvents, Topic: "orders", Read: true}); err != nil {
		t.Fatal(err)
	}
	id, err := h.Broadcast(ctx, "orders", `{"id":4,"amount":2.5}`)
	if err != nil || id == "" {
		t.Fatalf("broadcast: %q, %v", id, err)
	}
	if got := peer.await(t, "s", func(f []sent) bool { return len(f) == 1 }); got[0].lastID != id {
		t.Fatalf("subscriber got %+v, want id %s", got, id)
	}
	out, err := h.Query(ctx, "SELECT id, amount, NULL AS x FROM orders WHERE amount > $1", []byte(`[1]`))
	if err != nil || string(out) != `{"columns":["id","amount","x"],"rows":[[4,2.5,null]]}` {
		t.Fatalf("query: %s, %v", out, err)
	}
	for sql, params := range map[string]string{
		"INSERT INTO orders SELECT * FROM orders": "",
		"SELEKT 1":                "",
		"SELECT nope FROM orders": "",
		"SELECT $1":               `[{"a":1}]`,
	} {
		if _, err := h.Query(ctx, sql, []byte(params)); err == nil {
			t.Errorf("%s: no error", sql)
		}
	}
	if _, err := h.Query(ctx, "CREATE TABLE x (a BIGINT)", nil); !errors.Is(err, ErrNotReadOnly) {
		t.Errorf("CREATE: %v", err)
	}
	if _, err := h.Broadcast(ctx, "orders", `[{"id":1}]`); err == nil {
		t.Error("broadcast took an array")
	}
	if _, err := h.Broadcast(ctx, "bad topic!", `{"id":1}`); err == nil || !strings.Contains(err.Error(), "bad topic") {
		t.Errorf("bad topic: %v", err)
	}
}
