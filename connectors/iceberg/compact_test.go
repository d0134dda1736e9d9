package iceberg

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	ice "github.com/apache/iceberg-go"
)

// fillSmallFiles commits epochs 1..epochs of job to name, each writing one
// row to partition (a, hour t0) and one to (b, hour t0): two small files
// per epoch. Row ids are base+2e and base+2e+1.
func fillSmallFiles(t *testing.T, w *Warehouse, name, job string, base int64, epochs int) *Sink {
	t.Helper()
	mem := checkedMem(t)
	ctx := context.Background()
	s, err := w.Sink(ctx, name, testSchema, TableOptions{JobID: job})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for e := int64(1); e <= int64(epochs); e++ {
		id := base + 2*e
		writeEpoch(t, mem, s, e, [][]any{row("a", t0+id, id), row("b", t0+id, id+1)})
		if err := s.Commit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// liveFiles lists the data files of name's current snapshot.
func liveFiles(t *testing.T, w *Warehouse, name string) []string {
	t.Helper()
	tbl, err := w.cat.LoadTable(context.Background(), splitName(name))
	if err != nil {
		t.Fatal(err)
	}
	if tbl.CurrentSnapshot() == nil {
		return nil
	}
	tasks, err := tbl.Scan().PlanFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, task := range tasks {
		out = append(out, task.File.FilePath())
	}
	return out
}

func TestCompactMergesSmallFilesPerPartition(t *testing.T) {
	w := newWarehouse(t)
	ctx := context.Background()
	fillSmallFiles(t, w, "ns.c", "job", 0, 6)
	n0, sum0 := count(t, w, "ns.c")
	if files := liveFiles(t, w, "ns.c"); len(files) != 12 {
		t.Fatalf("before: %d files, want 12", len(files))
	}
	res, err := w.Compact(ctx, "ns.c", CompactOptions{TargetFileBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Groups != 2 || res.FilesRemoved != 12 || res.FilesAdded != 2 || res.SnapshotID == 0 || res.Attempts != 1 {
		t.Fatalf("result %+v", res)
	}
	if files := liveFiles(t, w, "ns.c"); len(files) != 2 {
		t.Fatalf("after: %d files, want 2", len(files))
	}
	if n, sum := count(t, w, "ns.c"); n != n0 || sum != sum0 {
		t.Fatalf("after: %d rows sum %d, want %d rows sum %d", n, sum, n0, sum0)
	}
	tbl, _ := w.cat.LoadTable(ctx, splitName("ns.c"))
	if op := tbl.CurrentSnapshot().Summary.Properties[summaryOperation]; op != "compact" {
		t.Fatalf("summary operation %q", op)
	}
	// Nothing left to do: one file per partition.
	res, err = w.Compact(ctx, "ns.c", CompactOptions{TargetFileBytes: 1 << 20})
	if err != nil || res.Groups != 0 || res.SnapshotID != 0 {
		t.Fatalf("second compaction: %+v, %v", res, err)
	}
}

func TestCompactPartitionFilter(t *testing.T) {
	w := newWarehouse(t)
	fillSmallFiles(t, w, "ns.c", "job", 0, 5)
	n0, sum0 := count(t, w, "ns.c")
	res, err := w.Compact(context.Background(), "ns.c", CompactOptions{
		Filter: ice.EqualTo(ice.Reference("topic"), "a"), TargetFileBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.FilesRemoved != 5 || res.FilesAdded != 1 {
		t.Fatalf("result %+v", res)
	}
	if files := liveFiles(t, w, "ns.c"); len(files) != 1+5 {
		t.Fatalf("after: %d files, want 6", len(files))
	}
	if n, sum := count(t, w, "ns.c"); n != n0 || sum != sum0 {
		t.Fatalf("after: %d rows sum %d, want %d rows sum %d", n, sum, n0, sum0)
	}
}

// TestCompactKeepsConcurrentAppend makes another job append between the
// compaction's plan and its commit: the append is kept exactly once.
func TestCompactKeepsConcurrentAppend(t *testing.T) {
	w := newWarehouse(t)
	ctx := context.Background()
	fillSmallFiles(t, w, "ns.c", "job", 0, 4)
	n0, sum0 := count(t, w, "ns.c")
	other, err := w.Sink(ctx, "ns.c", testSchema, TableOptions{JobID: "other"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	mem := checkedMem(t)
	beforeCompactCommit = func(name string, attempt int) {
		if attempt == 1 {
			writeEpoch(t, mem, other, 1, [][]any{row("a", t0, 1000)})
			if err := other.Commit(ctx, 1); err != nil {
				t.Error(err)
			}
		}
	}
	defer func() { beforeCompactCommit = nil }()
	res, err := w.Compact(ctx, "ns.c", CompactOptions{TargetFileBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 2 || res.FilesRemoved != 8 || res.FilesAdded != 2 {
		t.Fatalf("result %+v", res)
	}
	if n, sum := count(t, w, "ns.c"); n != n0+1 || sum != sum0+1000 {
		t.Fatalf("after: %d rows sum %d, want %d rows sum %d", n, sum, n0+1, sum0+1000)
	}
	if files := liveFiles(t, w, "ns.c"); len(files) != 3 {
		t.Fatalf("after: %d files, want 2 compacted + 1 appended", len(files))
	}
}

// TestCompactGivesUpWhenItsFilesVanish runs a second compaction between
// the first one's plan and commit: the first must not bring back the rows
// of files the second replaced, and removes what it wrote.
func TestCompactGivesUpWhenItsFilesVanish(t *testing.T) {
	w := newWarehouse(t)
	ctx := context.Background()
	fillSmallFiles(t, w, "ns.c", "job", 0, 3)
	n0, sum0 := count(t, w, "ns.c")
	var nested CompactResult
	beforeCompactCommit = func(name string, attempt int) {
		beforeCompactCommit = nil
		var err error
		if nested, err = w.Compact(ctx, name, CompactOptions{TargetFileBytes: 1 << 20}); err != nil {
			t.Error(err)
		}
	}
	defer func() { beforeCompactCommit = nil }()
	tbl, _ := w.cat.LoadTable(ctx, splitName("ns.c"))
	groups, err := planCompaction(ctx, tbl, nil, 1<<20)
	if err != nil || len(groups) != 2 {
		t.Fatalf("plan: %d groups, %v", len(groups), err)
	}
	_, err = w.Compact(ctx, "ns.c", CompactOptions{TargetFileBytes: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "removed by another writer") {
		t.Fatalf("got %v", err)
	}
	if nested.FilesAdded != 2 {
		t.Fatalf("nested compaction %+v", nested)
	}
	if n, sum := count(t, w, "ns.c"); n != n0 || sum != sum0 {
		t.Fatalf("after: %d rows sum %d, want %d rows sum %d", n, sum, n0, sum0)
	}
	// Only the nested compaction's two files remain in the data directory.
	live := liveFiles(t, w, "ns.c")
	if got := countParquet(t, w.Dir()) - 6; got != len(live) {
		t.Fatalf("%d new parquet files on disk, %d live: the loser left orphans", got, len(live))
	}
}

// countParquet counts the .parquet files under dir.
func countParquet(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".parquet") {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCompactAlwaysLosingGivesUp(t *testing.T) {
	w := newWarehouse(t)
	ctx := context.Background()
	fillSmallFiles(t, w, "ns.c", "job", 0, 2)
	other, err := w.Sink(ctx, "ns.c", testSchema, TableOptions{JobID: "other"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	mem := checkedMem(t)
	epoch := int64(0)
	beforeCompactCommit = func(string, int) {
		epoch++
		writeEpoch(t, mem, other, epoch, [][]any{row("c", t0, 1000+epoch)})
		if err := other.Commit(ctx, epoch); err != nil {
			t.Error(err)
		}
	}
	defer func() { beforeCompactCommit = nil }()
	_, err = w.Compact(ctx, "ns.c", CompactOptions{TargetFileBytes: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("attempt %d", maxCommitAttempts)) {
		t.Fatalf("always losing: %v", err)
	}
	if files := liveFiles(t, w, "ns.c"); len(files) != 4+maxCommitAttempts {
		t.Fatalf("%d files, want the 4 uncompacted + %d appended", len(files), maxCommitAttempts)
	}
}

func TestCompactFaults(t *testing.T) {
	w := newWarehouse(t)
	ctx := context.Background()
	if _, err := w.Compact(ctx, "nodots", CompactOptions{}); err == nil {
		t.Error("a name without namespace compacted")
	}
	if _, err := w.Compact(ctx, "ns.missing", CompactOptions{}); err == nil {
		t.Error("a missing table compacted")
	}
	if _, err := w.Compact(ctx, "ns.c", CompactOptions{TargetFileBytes: -1}); err == nil {
		t.Error("a negative target compacted")
	}
	if _, err := w.CreateTable(ctx, "ns.empty", testSchema, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if res, err := w.Compact(ctx, "ns.empty", CompactOptions{}); err != nil || res != (CompactResult{}) {
		t.Errorf("empty table: %+v, %v", res, err)
	}
	// A filter on a column the table lacks fails to plan.
	fillSmallFiles(t, w, "ns.c", "job", 0, 2)
	if _, err := w.Compact(ctx, "ns.c", CompactOptions{Filter: ice.EqualTo(ice.Reference("nope"), "a")}); err == nil {
		t.Error("a filter on a missing column compacted")
	}
}
