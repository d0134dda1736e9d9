package iceberg

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// snapshotCount is the number of snapshots in name's metadata.
func snapshotCount(t *testing.T, w *Warehouse, name string) int {
	t.Helper()
	tbl, err := w.cat.LoadTable(context.Background(), splitName(name))
	if err != nil {
		t.Fatal(err)
	}
	return len(tbl.Metadata().Snapshots())
}

// pastSnapshots waits until the table's snapshots are at least a
// millisecond old, so an expiry with olderThan 0 sees them as expired
// (snapshot timestamps are in ms).
func pastSnapshots() { time.Sleep(3 * time.Millisecond) }

// TestExpireKeepsEachJobsLastEpoch expires everything it may while job
// "j"'s newest snapshot is no longer the current one: the job's tag keeps
// it, so a resumed sink of "j" still skips its last committed epoch.
func TestExpireKeepsEachJobsLastEpoch(t *testing.T) {
	w := newWarehouse(t)
	ctx := context.Background()
	mem := checkedMem(t)
	fillSmallFiles(t, w, "ns.x", "j", 0, 3)
	fillSmallFiles(t, w, "ns.x", "k", 100, 3)
	if _, err := w.Compact(ctx, "ns.x", CompactOptions{TargetFileBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	n0, sum0 := count(t, w, "ns.x")
	pastSnapshots()
	res, err := w.ExpireSnapshots(ctx, "ns.x", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Kept: the current (compaction) snapshot, and j's and k's epoch 3.
	if res.Removed != 4 || res.Retained != 3 || len(res.Tags) != 2 || res.Attempts != 1 {
		t.Fatalf("result %+v", res)
	}
	if got := snapshotCount(t, w, "ns.x"); got != 3 {
		t.Fatalf("%d snapshots left, want 3", got)
	}
	if n, sum := count(t, w, "ns.x"); n != n0 || sum != sum0 {
		t.Fatalf("after: %d rows sum %d, want %d rows sum %d", n, sum, n0, sum0)
	}
	// The resumed job replays epoch 3 (skipped) and goes on with 4.
	s, err := w.Sink(ctx, "ns.x", testSchema, TableOptions{JobID: "j"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writeEpoch(t, mem, s, 3, [][]any{row("a", t0, 9999)})
	if err := s.Commit(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if n, sum := count(t, w, "ns.x"); n != n0 || sum != sum0 {
		t.Fatalf("replayed epoch 3 landed: %d rows sum %d", n, sum)
	}
	writeEpoch(t, mem, s, 4, [][]any{row("a", t0, 7)})
	if err := s.Commit(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if n, sum := count(t, w, "ns.x"); n != n0+1 || sum != sum0+7 {
		t.Fatalf("epoch 4: %d rows sum %d", n, sum)
	}
	// Expiring again moves j's tag to epoch 4 and drops epoch 3 and the
	// compaction snapshot.
	pastSnapshots()
	res, err = w.ExpireSnapshots(ctx, "ns.x", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tags) != 1 || res.Tags[0] != jobTagPrefix+"j" || res.Retained != 2 {
		t.Fatalf("second expiry %+v", res)
	}
}

func TestExpireRetainsYoungAndLast(t *testing.T) {
	w := newWarehouse(t)
	ctx := context.Background()
	fillSmallFiles(t, w, "ns.x", "j", 0, 4)
	res, err := w.ExpireSnapshots(ctx, "ns.x", time.Hour, 1)
	if err != nil || res.Removed != 0 || res.Retained != 4 {
		t.Fatalf("young snapshots: %+v, %v", res, err)
	}
	pastSnapshots()
	res, err = w.ExpireSnapshots(ctx, "ns.x", 0, 2)
	if err != nil || res.Removed != 2 || res.Retained != 2 {
		t.Fatalf("retain-last 2: %+v, %v", res, err)
	}
}

// TestExpireRetriesALostRace makes a writer commit between the expiry's
// staging and its commit: the retry keeps the new snapshot and its rows.
func TestExpireRetriesALostRace(t *testing.T) {
	w := newWarehouse(t)
	ctx := context.Background()
	mem := checkedMem(t)
	fillSmallFiles(t, w, "ns.x", "j", 0, 3)
	other, err := w.Sink(ctx, "ns.x", testSchema, TableOptions{JobID: "other"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	epoch := int64(0)
	beforeExpireCommit = func(_ string, attempt int) {
		if attempt > 1 {
			return
		}
		epoch++
		writeEpoch(t, mem, other, epoch, [][]any{row("a", t0, 1000)})
		if err := other.Commit(ctx, epoch); err != nil {
			t.Error(err)
		}
	}
	defer func() { beforeExpireCommit = nil }()
	n0, sum0 := count(t, w, "ns.x")
	pastSnapshots()
	res, err := w.ExpireSnapshots(ctx, "ns.x", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 2 {
		t.Fatalf("result %+v", res)
	}
	if n, sum := count(t, w, "ns.x"); n != n0+1 || sum != sum0+1000 {
		t.Fatalf("after: %d rows sum %d, want %d rows sum %d", n, sum, n0+1, sum0+1000)
	}

	// Losing every time gives up with the conflict. Epoch 4 of j leaves
	// its epoch 3 to expire (an expiry with nothing to remove commits
	// nothing and cannot conflict).
	beforeExpireCommit = nil
	fillSmallFiles(t, w, "ns.x", "j", 0, 4)
	pastSnapshots()
	beforeExpireCommit = func(string, int) {
		epoch++
		writeEpoch(t, mem, other, epoch, [][]any{row("a", t0, 1000+epoch)})
		if err := other.Commit(ctx, epoch); err != nil {
			t.Error(err)
		}
	}
	_, err = w.ExpireSnapshots(ctx, "ns.x", 0, 1)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("attempt %d", maxCommitAttempts)) {
		t.Fatalf("always losing: %v", err)
	}
}

func TestExpireFaults(t *testing.T) {
	w := newWarehouse(t)
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		older  time.Duration
		retain int
	}{
		{"nodots", 0, 1},
		{"ns.missing", 0, 1},
		{"ns.x", 0, 0},
		{"ns.x", -time.Second, 1},
	} {
		if _, err := w.ExpireSnapshots(ctx, c.name, c.older, c.retain); err == nil {
			t.Errorf("%+v: expired", c)
		}
	}
	if _, err := w.CreateTable(ctx, "ns.empty", testSchema, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if res, err := w.ExpireSnapshots(ctx, "ns.empty", 0, 1); err != nil || res.Removed != 0 {
		t.Errorf("empty table: %+v, %v", res, err)
	}
}
