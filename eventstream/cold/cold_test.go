package cold

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/eventstream"
)

// Events flow into the cold tier through the dual path; a query over the
// unified table counts every event once, before, during and after the
// batches commit, and equals the count in one place.
func TestDualPathAndUnifiedQuery(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := eventstream.New(eventstream.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	emit := func(from, to int) {
		for i := from; i < to; i++ {
			if _, err := srv.Emit(ctx, "orders", map[string]any{"n": i, "timestamp": "2026-11-27T10:00:00Z"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	emit(0, 50)
	cold := &memCold{}
	defer cold.release()
	dual, err := StartDual(ctx, DualOptions{
		Engine: srv.Engine(), Topics: srv.Topics,
		Table:    func(topic string) (catalog.Table, error) { return srv.Table(topic) },
		Sink:     func(context.Context, string, string) (catalog.SinkTable, error) { return cold, nil },
		Interval: 50 * time.Millisecond, Poll: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer dual.Close()
	hot, err := srv.Table("orders")
	if err != nil {
		t.Fatal(err)
	}
	u, err := NewUnified("orders", hot, cold)
	if err != nil {
		t.Fatal(err)
	}
	srv.Engine().RegisterTable("all_orders", u)
	count := func() string {
		t.Helper()
		res, err := srv.Engine().Query(ctx, `SELECT COUNT(*), COUNT(DISTINCT _id), SUM(CAST(data->>'n' AS BIGINT)) FROM all_orders`)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Release()
		b := res.Batches[0]
		return fmt.Sprintf("%s %s %s", b.Column(0).ValueStr(0), b.Column(1).ValueStr(0), b.Column(2).ValueStr(0))
	}
	want := func(n int) string { return fmt.Sprintf("%d %d %d", n, n, n*(n-1)/2) }
	if got := count(); got != want(50) {
		t.Fatalf("before any commit: %s, want %s", got, want(50))
	}
	// Counted once while batches commit and events keep coming.
	for round := 1; round <= 5; round++ {
		emit(round*50, round*50+50)
		if got := count(); got != want(round*50+50) {
			t.Fatalf("round %d: %s, want %s", round, got, want(round*50+50))
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		cold.mu.Lock()
		seq, commits := cold.seq, cold.commits
		cold.mu.Unlock()
		if seq == 300 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cold tier reached seq %d after %d commits, want 300", seq, commits)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := count(); got != want(300) {
		t.Fatalf("after the cold tier caught up: %s, want %s", got, want(300))
	}
	if err := dual.Err("orders"); err != nil {
		t.Fatalf("dual path error: %v", err)
	}
}
