package iceberg

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators/expr"
)

// filesTable commits files epochs of 10 rows each (ids 0..10*files-1),
// one data file per epoch (one topic, one hour: one partition), and
// opens the table.
func filesTable(t *testing.T, w *Warehouse, name string, files int) (*Table, *Sink) {
	t.Helper()
	mem := checkedMem(t)
	ctx := context.Background()
	s, err := w.Sink(ctx, name, testSchema, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for e := range files {
		commitRows(t, mem, s, int64(e+1), int64(e*10), 10)
	}
	tbl, err := w.Table(ctx, name, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tbl, s
}

// commitRows writes n rows with ids from base as epoch and commits it.
func commitRows(t *testing.T, mem memory.Allocator, s *Sink, epoch, base int64, n int) {
	t.Helper()
	var rows [][]any
	for i := range int64(n) {
		rows = append(rows, row("a", t0+base+i, base+i))
	}
	writeEpoch(t, mem, s, epoch, rows)
	if err := s.Commit(context.Background(), epoch); err != nil {
		t.Fatal(err)
	}
}

// snapshotWithFiles is a snapshot whose summary says files data files.
func snapshotWithFiles(files string) *table.Snapshot {
	return &table.Snapshot{Summary: &table.Summary{Properties: iceberg.Properties{"total-data-files": files}}}
}

func TestPartitionsCountFilesAndCap(t *testing.T) {
	w := newWarehouse(t)
	one, _ := filesTable(t, w, "ns.one", 1)
	if got := one.Partitions(); got != 1 {
		t.Errorf("one file: Partitions = %d", got)
	}
	five, _ := filesTable(t, w, "ns.five", 5)
	if got := five.Partitions(); got != 5 {
		t.Errorf("five files: Partitions = %d", got)
	}
	empty, err := w.CreateTable(context.Background(), "ns.empty", testSchema, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := empty.Partitions(); got != 1 {
		t.Errorf("empty table: Partitions = %d", got)
	}
	gone := &Table{w: w, name: "ns.gone", schema: testSchema}
	if got := gone.Partitions(); got != 1 {
		t.Errorf("missing table: Partitions = %d", got)
	}
	if got := partitionsOf(snapshotWithFiles("1000")); got != maxPartitions {
		t.Errorf("1000 files: Partitions = %d, want the cap %d", got, maxPartitions)
	}
	if got := partitionsOf(snapshotWithFiles("x")); got != 1 {
		t.Errorf("unreadable summary: Partitions = %d", got)
	}
}

// TestSharesAreDisjointAndCoverTheTable scans 5 files in 3 shares: their
// union is the single scan's rows, each file read by one share only, and
// every share reports the whole scan's file stats and its own part.
func TestSharesAreDisjointAndCoverTheTable(t *testing.T) {
	mem := checkedMem(t)
	w := newWarehouse(t)
	tbl, _ := filesTable(t, w, "ns.par", 5)
	whole := scanAll(t, mem, tbl, catalog.ScanRequest{})
	wantN, wantSum := sumIDs(whole.rows)
	if wantN != 50 || wantSum != 49*50/2 {
		t.Fatalf("single scan: %d rows, sum %d", wantN, wantSum)
	}
	parts := tbl.Partitions()
	if parts != 5 {
		t.Fatalf("Partitions = %d", parts)
	}
	const shares = 3
	seen := map[int64]int{}
	var n int
	var sum int64
	var shareFiles int64
	for p := range shares {
		got := scanAll(t, mem, tbl, catalog.ScanRequest{Partition: p, Partitions: shares})
		pn, psum := sumIDs(got.rows)
		n, sum = n+pn, sum+psum
		for _, r := range got.rows {
			seen[r[2].(int64)/10]++ // the epoch, i.e. the file, of the row
		}
		// Files 0..4 dealt round-robin: shares read 2, 2 and 1; share 0
		// alone reports the snapshot's considered and pruned files, so the
		// shares' counts add up to the whole scan's.
		if want := int64(2 - p/2); got.stats["files_read"] != want {
			t.Errorf("share %d read %d files, want %d", p, got.stats["files_read"], want)
		}
		if wantC := map[bool]int64{true: 5, false: 0}[p == 0]; got.stats["files_considered"] != wantC || got.stats["files_pruned"] != 0 {
			t.Errorf("share %d: file stats %v", p, got.stats)
		}
		shareFiles += got.stats["files_read"]
	}
	if n != wantN || sum != wantSum {
		t.Errorf("union of shares: %d rows, sum %d; want %d, %d", n, sum, wantN, wantSum)
	}
	for file, rows := range seen {
		if rows != 10 {
			t.Errorf("file %d: %d rows over all shares, want 10 (read by one share once)", file, rows)
		}
	}
	if shareFiles != 5 {
		t.Errorf("shares read %d files in all, want 5", shareFiles)
	}
}

// TestSharesReadThePinnedSnapshot appends after planning: the shares of
// that query still see the planned snapshot, a new planning sees the
// append, and a serial scan always reads the latest.
func TestSharesReadThePinnedSnapshot(t *testing.T) {
	mem := checkedMem(t)
	w := newWarehouse(t)
	tbl, s := filesTable(t, w, "ns.pin", 4)
	const shares = 2
	if tbl.Partitions() != 4 {
		t.Fatal("want 4 partitions")
	}
	commitRows(t, mem, s, 5, 40, 10) // lands between planning and scanning
	union := func() int {
		var n int
		for p := range shares {
			got := scanAll(t, mem, tbl, catalog.ScanRequest{Partition: p, Partitions: shares})
			pn, _ := sumIDs(got.rows)
			n += pn
		}
		return n
	}
	if n := union(); n != 40 {
		t.Errorf("shares after an append: %d rows, want the pinned 40", n)
	}
	if got := scanAll(t, mem, tbl, catalog.ScanRequest{}); len(got.rows) != 50 {
		t.Errorf("serial scan: %d rows, want the latest 50", len(got.rows))
	}
	if tbl.Partitions() != 5 {
		t.Error("a new planning should see the fifth file")
	}
	if n := union(); n != 50 {
		t.Errorf("shares after re-planning: %d rows, want 50", n)
	}
}

// TestSharesWithoutPartitionsPinOnFirstScan: a share scanned without a
// prior Partitions call pins the current snapshot for its siblings.
func TestSharesWithoutPartitionsPinOnFirstScan(t *testing.T) {
	mem := checkedMem(t)
	w := newWarehouse(t)
	tbl, s := filesTable(t, w, "ns.lazy", 2)
	first := scanAll(t, mem, tbl, catalog.ScanRequest{Partition: 0, Partitions: 2})
	commitRows(t, mem, s, 3, 20, 10)
	second := scanAll(t, mem, tbl, catalog.ScanRequest{Partition: 1, Partitions: 2})
	if n := len(first.rows) + len(second.rows); n != 20 {
		t.Errorf("shares: %d rows, want the 20 of the first share's snapshot", n)
	}
}

// TestTimeTravelShares splits a table opened at an old snapshot.
func TestTimeTravelShares(t *testing.T) {
	mem := checkedMem(t)
	w := newWarehouse(t)
	_, s := filesTable(t, w, "ns.ttp", 3)
	old := s.mustLoad(t).CurrentSnapshot().SnapshotID
	commitRows(t, mem, s, 4, 30, 10)
	tbl, err := w.Table(context.Background(), "ns.ttp", TableOptions{SnapshotID: old})
	if err != nil {
		t.Fatal(err)
	}
	if got := tbl.Partitions(); got != 3 {
		t.Errorf("Partitions at the old snapshot = %d, want 3", got)
	}
	var n int
	for p := range 2 {
		n += len(scanAll(t, mem, tbl, catalog.ScanRequest{Partition: p, Partitions: 2}).rows)
	}
	if n != 30 {
		t.Errorf("time-travel shares: %d rows, want 30", n)
	}
	gone, err := w.Table(context.Background(), "ns.ttp", TableOptions{SnapshotID: 42})
	if err != nil {
		t.Fatal(err)
	}
	if got := gone.Partitions(); got != 1 {
		t.Errorf("unknown snapshot: Partitions = %d", got)
	}
}

// shareCounter counts the scans asked for a share.
type shareCounter struct {
	*Table
	shares atomic.Int64
}

func (c *shareCounter) Scan(ctx context.Context, req catalog.ScanRequest) (catalog.BatchReader, error) {
	if req.Partitions > 1 {
		c.shares.Add(1)
	}
	return c.Table.Scan(ctx, req)
}

// TestEngineParallelScanMatchesSerial runs the same queries through the
// engine with parallelism 1 and 2.
func TestEngineParallelScanMatchesSerial(t *testing.T) {
	w := newWarehouse(t)
	tbl, _ := filesTable(t, w, "ns.eng", 6)
	counted := &shareCounter{Table: tbl}
	queries := []string{
		"SELECT count(*), sum(id), sum(x) FROM ice",
		"SELECT ok, count(*), sum(n) FROM ice WHERE id >= 7 GROUP BY ok ORDER BY ok",
		"SELECT id FROM ice WHERE ok ORDER BY id",
	}
	answers := func(parallelism int) []string {
		mem := checkedMem(t)
		db := streamsql.New(streamsql.WithAllocator(mem), streamsql.WithParallelism(parallelism))
		defer db.Close()
		db.RegisterTable("ice", counted)
		var out []string
		for _, q := range queries {
			res, err := db.Query(context.Background(), q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			var s string
			for _, b := range res.Batches {
				for i := range int(b.NumRows()) {
					for _, c := range b.Columns() {
						s += fmt.Sprint(expr.ScalarValue(c, i), " ")
					}
					s += "\n"
				}
			}
			res.Release()
			out = append(out, s)
		}
		return out
	}
	serial := answers(1)
	if counted.shares.Load() != 0 {
		t.Errorf("parallelism 1 scanned %d shares", counted.shares.Load())
	}
	parallel := answers(2)
	if counted.shares.Load() == 0 {
		t.Error("parallelism 2 never scanned a share")
	}
	for i, q := range queries {
		if serial[i] != parallel[i] || serial[i] == "" {
			t.Errorf("%s:\nserial:\n%s\nparallel:\n%s", q, serial[i], parallel[i])
		}
	}
}

// TestSharesOfAPrunedScan splits the survivors of partition pruning: the
// last two of four hours, dealt to three shares (one gets nothing).
func TestSharesOfAPrunedScan(t *testing.T) {
	mem := checkedMem(t)
	w := newWarehouse(t)
	tbl := partitionedTable(t, w)
	filter := []catalog.Predicate{{Column: 1, Op: ">=", Value: t0 + 2*hour}}
	var ids []int64
	var shareFiles int64
	for p := range 3 {
		got := scanAll(t, mem, tbl, catalog.ScanRequest{Filters: filter, Partition: p, Partitions: 3})
		for _, r := range got.rows {
			ids = append(ids, r[2].(int64))
		}
		considered, pruned := int64(0), int64(0)
		if p == 0 {
			considered, pruned = 4, 2
		}
		if got.stats["files_considered"] != considered || got.stats["files_pruned"] != pruned {
			t.Errorf("share %d stats %v", p, got.stats)
		}
		shareFiles += got.stats["files_read"]
	}
	if len(ids) != 2 || ids[0]+ids[1] != 5 || shareFiles != 2 {
		t.Errorf("shares of the last two hours: ids %v, %d files", ids, shareFiles)
	}
}

// TestSharesPlanOnce: siblings reuse the first share's plan; a failed
// plan is not kept, a new snapshot or filter plans again, and serial
// scans always plan.
func TestSharesPlanOnce(t *testing.T) {
	tbl := &Table{}
	calls := 0
	plan := func() ([]table.FileScanTask, error) { calls++; return nil, nil }
	fail := func() ([]table.FileScanTask, error) { calls++; return nil, errors.New("manifest gone") }
	share := catalog.ScanRequest{Partitions: 2}
	if _, err := tbl.planShared(1, share, fail); err == nil {
		t.Fatal("planning error lost")
	}
	for range 3 {
		if _, err := tbl.planShared(1, share, plan); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 {
		t.Errorf("after a failure and 3 shares: %d plans, want 2", calls)
	}
	filtered := share
	filtered.Filters = []catalog.Predicate{{Column: 2, Op: "=", Value: int64(1)}}
	tbl.planShared(1, filtered, plan)
	tbl.planShared(2, share, plan)
	tbl.planShared(2, catalog.ScanRequest{}, plan)
	if calls != 5 {
		t.Errorf("new filter, new snapshot, serial: %d plans, want 5", calls)
	}
}
