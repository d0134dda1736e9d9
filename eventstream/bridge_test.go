package eventstream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// The seed's StreamBridge over a hot tier: changes are batched by size,
// by interval and by Flush/Close, transformed on the way, and land in the
// topics with their op; a failed send keeps the batch for the next flush.
func TestStreamBridge(t *testing.T) {
	srv, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	var mu sync.Mutex
	var batches []int
	failNext := false
	toServer := ToServer(srv)
	send := func(ctx context.Context, batch []BridgeEvent) error {
		mu.Lock()
		defer mu.Unlock()
		if failNext {
			failNext = false
			return errors.New("pipeline unavailable")
		}
		batches = append(batches, len(batch))
		return toServer(ctx, batch)
	}
	b := NewStreamBridge(send, BridgeOptions{BatchSize: 3, FlushInterval: 50 * time.Millisecond,
		Transform: func(ev BridgeEvent) (BridgeEvent, bool) {
			m := ev.Data.(map[string]any)
			if m["skip"] == true {
				return ev, false
			}
			m["_partition_hour"] = ev.Timestamp.UTC().Format("2006-01-02T15")
			return ev, true
		}})
	for i := range 4 {
		if err := b.Emit(ctx, "insert", "orders", map[string]any{"id": i}); err != nil {
			t.Fatal(err)
		}
	}
	b.Emit(ctx, "insert", "orders", map[string]any{"id": 99, "skip": true})
	// 3 went as a full batch; the 4th leaves with the interval.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		got := fmt.Sprint(batches)
		mu.Unlock()
		if got == "[3 1]" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("batches %s, want [3 1]", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	failNext = true
	mu.Unlock()
	b.Emit(ctx, "delete", "orders", map[string]any{"id": 0})
	if err := b.Flush(ctx); err == nil {
		t.Fatal("a failed send was not reported")
	}
	if err := b.Close(ctx); err != nil { // the kept batch goes now
		t.Fatal(err)
	}
	if err := b.Emit(ctx, "insert", "orders", map[string]any{"id": 5}); !errors.Is(err, ErrBridgeClosed) {
		t.Fatalf("emit after close: %v", err)
	}
	res, err := NewUnifiedStream(srv).Query(ctx, `SELECT count(*), count(*) FILTER (WHERE data->>'_op' = 'delete'), min(data->>'_partition_hour') IS NOT NULL FROM orders`)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	row := res.Batches[0]
	if got := fmt.Sprintf("%s %s %s", row.Column(0).ValueStr(0), row.Column(1).ValueStr(0), row.Column(2).ValueStr(0)); got != "5 1 true" {
		t.Fatalf("orders: %s, want 5 events, 1 delete, partition hours set", got)
	}
	bad := NewStreamBridge(ToServer(srv), BridgeOptions{})
	bad.Emit(ctx, "insert", "orders", "not an object")
	if err := bad.Close(ctx); err == nil {
		t.Fatal("a non-object row was sent")
	}
}

// UnifiedStream: Emit then Subscribe sees only what comes after.
func TestUnifiedStreamSubscribe(t *testing.T) {
	srv, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	u := NewUnifiedStream(srv)
	if _, err := u.Emit(ctx, "clicks", map[string]any{"n": 1}); err != nil {
		t.Fatal(err)
	}
	got := make(chan Event, 4)
	cancel, err := u.Subscribe("clicks", func(ev Event) error { got <- ev; return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	id, err := u.Emit(ctx, "clicks", map[string]any{"n": 2})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-got:
		if ev.ID != id {
			t.Fatalf("got %s, want the event emitted after subscribing (%s)", ev.ID, id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
}

// With ManualEviction nothing expires until Evict, which reports when the
// oldest held event will.
func TestManualEviction(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv, err := New(Config{ManualEviction: true, HotRetention: time.Minute, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	if next := srv.Evict(); !next.IsZero() {
		t.Fatalf("nothing held, next expiry %v", next)
	}
	srv.Emit(ctx, "a", map[string]any{"n": 1})
	mu.Lock()
	now = now.Add(30 * time.Second)
	mu.Unlock()
	srv.Emit(ctx, "a", map[string]any{"n": 2})
	if next := srv.Evict(); !next.Equal(time.Unix(1_000_060, 0)) {
		t.Fatalf("next expiry %v, want the first event's", next)
	}
	mu.Lock()
	now = now.Add(45 * time.Second) // the first has expired, the second not
	mu.Unlock()
	next := srv.Evict()
	res, err := srv.Query(ctx, `SELECT count(*) FROM a`)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if got := res.Batches[0].Column(0).ValueStr(0); got != "1" || !next.Equal(time.Unix(1_000_090, 0)) {
		t.Fatalf("after eviction: %s events, next %v", got, next)
	}
}

// RetainAfter holds expiry back to the cold tier's committed position.
func TestRetainAfterHoldsUncommittedEvents(t *testing.T) {
	now := time.Unix(2_000_000, 0)
	var mu sync.Mutex
	committed, haveCommit := uint64(0), false
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv, err := New(Config{ManualEviction: true, HotRetention: time.Minute, Now: clock,
		RetainAfter: func(string) (uint64, bool) { mu.Lock(); defer mu.Unlock(); return committed, haveCommit }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	for i := range 3 {
		srv.Emit(ctx, "a", map[string]any{"n": i})
	}
	count := func() string {
		res, err := srv.Query(ctx, `SELECT count(*) FROM a`)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Release()
		return res.Batches[0].Column(0).ValueStr(0)
	}
	mu.Lock()
	now = now.Add(time.Hour) // all three expired by time
	mu.Unlock()
	srv.Evict()
	if got := count(); got != "3" {
		t.Fatalf("nothing committed: %s events left, want 3", got)
	}
	mu.Lock()
	committed, haveCommit = 2, true
	mu.Unlock()
	srv.Evict()
	if got := count(); got != "1" {
		t.Fatalf("two committed: %s events left, want 1", got)
	}
}
