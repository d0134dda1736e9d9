//go:build !js

package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestColdForwarding: the dual path sends each topic's events as JSON
// lines on Flush, keeps a failed batch for the next flush, records its
// cursor, and after a restart sends only what the cold tier has not got.
func TestColdForwarding(t *testing.T) {
	path := filepath.Join(t.TempDir(), "do.sqlite")
	cold := newFakeCold()
	h, err := NewHost(`{"batchMaxBytes":100}`, openSQLite(t, path), newFakePeer(), cold, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	do(h, "POST", "/events?topic=a", "", `{"n":1}`+"\n"+`{"n":2}`)
	awaitRead(t, h, "a", 2)
	cold.mu.Lock()
	cold.fail = errors.New("pipeline unavailable")
	cold.mu.Unlock()
	pending, err := h.Flush(ctx)
	if err == nil || pending == 0 {
		t.Fatalf("failed send: pending %d, err %v", pending, err)
	}
	cold.mu.Lock()
	cold.fail = nil
	soon := cold.soon
	cold.mu.Unlock()
	if soon == 0 {
		t.Error("a batch over batchMaxBytes did not ask for an early flush")
	}
	do(h, "POST", "/events?topic=a", "", `{"n":3}`)
	awaitRead(t, h, "a", 3)
	if pending, err := h.Flush(ctx); err != nil || pending != 0 {
		t.Fatalf("flush: pending %d, %v", pending, err)
	}
	if got := cold.lines("a"); len(got) != 3 || !strings.Contains(got[0], `"n":1`) || !strings.Contains(got[2], `"n":3`) {
		t.Fatalf("cold tier got %v", got)
	}
	do(h, "POST", "/events?topic=a", "", `{"n":4}`) // ingested, not yet flushed
	awaitRead(t, h, "a", 4)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	h2 := newHost(t, `{}`, openSQLite(t, path), newFakePeer(), cold)
	awaitRead(t, h2, "a", 1)
	if _, err := h2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := cold.lines("a")
	if len(got) != 4 || !strings.Contains(got[3], `"n":4`) {
		t.Fatalf("after restart the cold tier got %v", got)
	}
}

// TestColdCursorStorageFailure: a cursor that cannot be recorded keeps the
// batch (it is sent again: at least once) and reports the error.
func TestColdCursorStorageFailure(t *testing.T) {
	db := newSQLite(t)
	cold := newFakeCold()
	h := newHost(t, `{}`, db, newFakePeer(), cold)
	do(h, "POST", "/events?topic=a", "", `{"n":1}`)
	awaitRead(t, h, "a", 1)
	db.setFail(func(q string) error {
		if strings.Contains(q, "cold_cursor") {
			return errInjected
		}
		return nil
	})
	if pending, err := h.Flush(context.Background()); !errors.Is(err, errInjected) || pending == 0 {
		t.Fatalf("pending %d, %v", pending, err)
	}
	db.setFail(nil)
	if _, err := h.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := cold.lines("a"); len(got) != 2 {
		t.Fatalf("want the batch sent twice (at least once), got %v", got)
	}
}
