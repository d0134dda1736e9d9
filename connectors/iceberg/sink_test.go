package iceberg

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

func (s *Sink) mustLoad(t *testing.T) *table.Table {
	t.Helper()
	tbl, err := s.w.cat.LoadTable(context.Background(), splitName(s.name))
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// count scans name and returns its row count and id sum.
func count(t *testing.T, w *Warehouse, name string) (int, int64) {
	t.Helper()
	tbl, err := w.Table(context.Background(), name, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return sumIDs(scanAll(t, checkedMem(t), tbl, catalog.ScanRequest{}).rows)
}

func rowsOf(ids ...int64) [][]any {
	var out [][]any
	for _, id := range ids {
		out = append(out, row("t", t0+id*hour/2, id))
	}
	return out
}

func TestExactlyOnceAcrossCrashes(t *testing.T) {
	mem := checkedMem(t)
	w := newWarehouse(t)
	ctx := context.Background()
	open := func() *Sink {
		s, err := w.Sink(ctx, "ns.eo", testSchema, TableOptions{JobID: "job"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	check := func(step string, n int, sum int64) {
		t.Helper()
		if gn, gs := count(t, w, "ns.eo"); gn != n || gs != sum {
			t.Fatalf("%s: %d rows sum %d, want %d rows sum %d", step, gn, gs, n, sum)
		}
	}

	// Epoch 1 commits; epoch 2 is pre-committed and its checkpoint is
	// durable, then the process dies before Commit(2).
	s1 := open()
	st1 := writeEpoch(t, mem, s1, 1, rowsOf(1, 2))
	if err := s1.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	st2 := writeEpoch(t, mem, s1, 2, rowsOf(3, 4))
	s1.Close()
	check("before restore", 2, 3)

	// Restoring checkpoint 2 finishes its commit; restoring it again adds nothing.
	if err := open().Restore(ctx, st2); err != nil {
		t.Fatal(err)
	}
	check("after restore", 4, 10)
	// The restored files' partition values came from their footers: the
	// hour filter still prunes them.
	tbl, err := w.Table(ctx, "ns.eo", TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	last := scanAll(t, mem, tbl, catalog.ScanRequest{Filters: []catalog.Predicate{{Column: 1, Op: ">=", Value: t0 + 2*hour}}})
	if len(last.rows) != 1 || last.stats["files_read"] != 1 || last.stats["files_pruned"] != 3 {
		t.Fatalf("hour 2 after restore: rows %v stats %v", last.rows, last.stats)
	}
	if err := open().Restore(ctx, st2); err != nil {
		t.Fatal(err)
	}
	check("after a second restore", 4, 10)

	// Resuming from the older checkpoint 1 replays epoch 2, whose commit
	// landed: the replayed rows are not written twice.
	s4 := open()
	if err := s4.Restore(ctx, st1); err != nil {
		t.Fatal(err)
	}
	writeEpoch(t, mem, s4, 2, rowsOf(3, 4))
	if err := s4.Commit(ctx, 2); err != nil {
		t.Fatal(err)
	}
	check("after replaying epoch 2", 4, 10)

	// Epoch 3 is written but its checkpoint never becomes durable: the
	// replay after restoring checkpoint 2 lands it once.
	writeEpoch(t, mem, s4, 3, rowsOf(5))
	s4.Close()
	s5 := open()
	if err := s5.Restore(ctx, st2); err != nil {
		t.Fatal(err)
	}
	writeEpoch(t, mem, s5, 3, rowsOf(5))
	if err := s5.Commit(ctx, 3); err != nil {
		t.Fatal(err)
	}
	check("after epoch 3", 5, 15)

	// The snapshot summaries record the job and the epoch.
	if e, ok := committedEpoch(s5.mustLoad(t), "job"); !ok || e != 3 {
		t.Fatalf("committed epoch %d %v, want 3", e, ok)
	}
}

func TestPreCommitsCommitInOrderAndEmptyEpochsRecordNothing(t *testing.T) {
	mem := checkedMem(t)
	w := newWarehouse(t)
	ctx := context.Background()
	s, err := w.Sink(ctx, "ns.order", testSchema, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writeEpoch(t, mem, s, 1, rowsOf(1))
	writeEpoch(t, mem, s, 2, rowsOf(2))
	st, err := s.PreCommit(ctx, 3) // nothing written
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(st), `"epoch":1`) || !strings.Contains(string(st), `"epoch":2`) {
		t.Fatalf("state %s lacks the pending epochs", st)
	}
	if err := s.Commit(ctx, 3); err != nil {
		t.Fatal(err)
	}
	tbl := s.mustLoad(t)
	if n := len(tbl.Metadata().Snapshots()); n != 2 {
		t.Fatalf("%d snapshots, want one per epoch with rows (2)", n)
	}
	if e, _ := committedEpoch(tbl, DefaultJobID); e != 2 {
		t.Fatalf("committed epoch %d, want 2", e)
	}
	if n, sum := count(t, w, "ns.order"); n != 2 || sum != 3 {
		t.Fatalf("%d rows sum %d", n, sum)
	}
}

func TestTwoWritersBothLandOnce(t *testing.T) {
	mem := checkedMem(t)
	dir := t.TempDir()
	ctx := context.Background()
	// Two warehouses on one directory: two processes sharing the catalog.
	var sinks []*Sink
	for _, job := range []string{"a", "b"} {
		w, err := OpenWarehouse(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		s, err := w.Sink(ctx, "ns.shared", testSchema, TableOptions{JobID: job})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		sinks = append(sinks, s)
	}
	const epochs = 4
	var wg sync.WaitGroup
	errs := make([]error, len(sinks))
	for i, s := range sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := int64(1); e <= epochs; e++ {
				b := mkBatch(mem, rowsOf(int64(i)*100+e))
				err := s.Write(ctx, b)
				b.Release()
				if err == nil {
					_, err = s.PreCommit(ctx, e)
				}
				if err == nil {
					err = s.Commit(ctx, e)
				}
				if err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, sum := count(t, sinks[0].w, "ns.shared"); n != 2*epochs || sum != 1+2+3+4+101+102+103+104 {
		t.Fatalf("%d rows sum %d", n, sum)
	}
}

// TestLostRaceIsRetried makes another writer commit between a sink's load
// and its commit, so the first attempt loses the race for real.
func TestLostRaceIsRetried(t *testing.T) {
	mem := checkedMem(t)
	w := newWarehouse(t)
	ctx := context.Background()
	a, err := w.Sink(ctx, "ns.race", testSchema, TableOptions{JobID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := w.Sink(ctx, "ns.race", testSchema, TableOptions{JobID: "b"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	writeEpoch(t, mem, a, 1, rowsOf(1))
	var interfere func(name string, attempt int)
	epochB := int64(0)
	interfere = func(name string, attempt int) {
		if attempt > 2 {
			return // let the third attempt through
		}
		beforeCommit = nil // b's own commit must not recurse
		epochB++
		writeEpoch(t, mem, b, epochB, rowsOf(100+epochB))
		if err := b.Commit(ctx, epochB); err != nil {
			t.Error(err)
		}
		beforeCommit = interfere
	}
	beforeCommit = interfere
	defer func() { beforeCommit = nil }()
	if err := a.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n, sum := count(t, w, "ns.race"); n != 3 || sum != 1+101+102 {
		t.Fatalf("%d rows sum %d, want 3 rows sum 204", n, sum)
	}

	// A writer that loses every time gives up with the conflict.
	writeEpoch(t, mem, a, 2, rowsOf(2))
	beforeCommit = loseAlways(t, mem, b, &epochB)
	err = a.Commit(ctx, 2)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("attempt %d", maxCommitAttempts)) {
		t.Fatalf("always losing: %v", err)
	}
}

// loseAlways is a beforeCommit hook that commits another epoch of b every time.
func loseAlways(t *testing.T, mem memory.Allocator, b *Sink, epochB *int64) func(string, int) {
	var hook func(string, int)
	hook = func(string, int) {
		beforeCommit = nil
		*epochB++
		writeEpoch(t, mem, b, *epochB, rowsOf(100+*epochB))
		if err := b.Commit(context.Background(), *epochB); err != nil {
			t.Error(err)
		}
		beforeCommit = hook
	}
	return hook
}

func TestSinkFaults(t *testing.T) {
	mem := checkedMem(t)
	w := newWarehouse(t)
	ctx := context.Background()

	interval := arrow.NewSchema([]arrow.Field{{Name: "i", Type: types.IntervalType.ArrowType(), Nullable: true}}, nil)
	if _, err := w.Sink(ctx, "ns.bad", interval, TableOptions{}); err == nil || !strings.Contains(err.Error(), "INTERVAL") {
		t.Errorf("interval column: %v", err)
	}
	changelog := arrow.NewSchema([]arrow.Field{{Name: "_op", Type: arrow.BinaryTypes.String}}, nil)
	if _, err := w.Sink(ctx, "ns.bad", changelog, TableOptions{}); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("changelog input: %v", err)
	}
	if _, err := w.Sink(ctx, "ns.bad", testSchema, TableOptions{PartitionBy: "nope"}); err == nil || !strings.Contains(err.Error(), `no column "nope"`) {
		t.Errorf("partition by a missing column: %v", err)
	}
	if _, err := w.Sink(ctx, "ns.bad", testSchema, TableOptions{PartitionBy: "bucket(id)"}); err == nil || !strings.Contains(err.Error(), "unknown transform") {
		t.Errorf("unknown transform: %v", err)
	}
	if _, err := w.Sink(ctx, "nodot", testSchema, TableOptions{}); err == nil {
		t.Error("a name without a namespace opened")
	}

	s, err := w.Sink(ctx, "ns.ok", testSchema, TableOptions{PartitionBy: "day(timestamp), n"})
	if err != nil {
		t.Fatal(err)
	}
	// A table lacking a column of the output refuses the sink.
	wider := arrow.NewSchema(append(testSchema.Fields(), arrow.Field{Name: "extra", Type: arrow.PrimitiveTypes.Int64}), nil)
	if _, err := w.Sink(ctx, "ns.ok", wider, TableOptions{}); err == nil || !strings.Contains(err.Error(), `no column "extra"`) {
		t.Errorf("missing column: %v", err)
	}

	other := arrow.NewSchema([]arrow.Field{{Name: "topic", Type: arrow.PrimitiveTypes.Int64}}, nil)
	ib := array.NewInt64Builder(mem)
	ib.Append(1)
	col := ib.NewArray()
	ib.Release()
	bad := array.NewRecordBatch(other, []arrow.Array{col}, 1)
	col.Release()
	if err := s.Write(ctx, bad); err == nil || !strings.Contains(err.Error(), "columns") {
		t.Errorf("batch with too few columns: %v", err)
	}
	bad.Release()

	for _, state := range []string{"{", `{"job":"other"}`, `{"job":"default","pending":[{"epoch":1,"files":["/no/such.parquet"]}]}`} {
		if err := s.Restore(ctx, []byte(state)); err == nil {
			t.Errorf("state %s restored", state)
		}
	}
	if err := s.Restore(ctx, nil); err != nil {
		t.Errorf("empty state: %v", err)
	}
	writeEpoch(t, mem, s, 1, rowsOf(1)) // buffered rows are released on Close
	b := mkBatch(mem, rowsOf(2))
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	b.Release()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, b); err == nil {
		t.Error("write after close")
	}
	if _, err := s.PreCommit(ctx, 2); err == nil {
		t.Error("pre-commit after close")
	}
	if err := s.Commit(ctx, 2); err == nil {
		t.Error("commit after close")
	}
	if err := s.Restore(ctx, nil); err == nil {
		t.Error("restore after close")
	}
	if _, err := os.Stat(w.Dir()); err != nil {
		t.Fatal(err)
	}
}
