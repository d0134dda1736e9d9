package iceberg

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
)

// A sink whose buffer passes the target size writes files before the
// checkpoint; they are committed with the epoch, in its one snapshot, and
// the snapshot records the source positions the runtime handed over.
func TestSinkRollsAndRecordsSources(t *testing.T) {
	ctx := context.Background()
	mem := checkedMem(t)
	w := newWarehouse(t)
	s, err := w.Sink(ctx, "lake.roll", testSchema, TableOptions{JobID: "j", TargetFileBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b := mkBatch(mem, [][]any{row("a", 0, 1), row("b", hour, 2)})
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	b.Release()
	if len(s.staged) != 2 || len(s.buf) != 0 {
		t.Fatalf("staged %d files, buffered %d batches: want 2 files written at once", len(s.staged), len(s.buf))
	}
	s.SourcePositions(1, map[string][]byte{"events/p0": {1, 2}, "events/p1": {3}})
	st := writeEpoch(t, mem, s, 1, [][]any{row("a", 0, 3)})
	var state sinkState
	if err := json.Unmarshal(st, &state); err != nil || len(state.Pending) != 1 || len(state.Pending[0].Files) != 3 {
		t.Fatalf("state %s (%v): want one epoch of 3 files", st, err)
	}
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	tbl, err := w.cat.LoadTable(ctx, splitName("lake.roll"))
	if err != nil {
		t.Fatal(err)
	}
	snaps := tbl.Metadata().Snapshots()
	if len(snaps) != 1 {
		t.Fatalf("%d snapshots, want 1", len(snaps))
	}
	if got := snaps[0].Summary.Properties[summarySources]; got != `{"events/p0":"AQI=","events/p1":"Aw=="}` {
		t.Errorf("summary sources = %q", got)
	}
	if got := snaps[0].Summary.Properties["added-data-files"]; got != "3" {
		t.Errorf("added-data-files = %q", got)
	}
}

// The roll interval writes out a buffer whose oldest rows waited long
// enough, however small.
func TestSinkRollInterval(t *testing.T) {
	ctx := context.Background()
	mem := checkedMem(t)
	w := newWarehouse(t)
	s, err := w.Sink(ctx, "lake.interval", testSchema, TableOptions{RollInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Unix(1000, 0)
	s.roll.now = func() time.Time { return now }
	for i, step := range []time.Duration{0, 30 * time.Second, 31 * time.Second} {
		now = now.Add(step)
		b := mkBatch(mem, [][]any{row("a", 0, int64(i))})
		if err := s.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
		b.Release()
		if wrote := len(s.staged) > 0; wrote != (i == 2) {
			t.Fatalf("after write %d: staged %d files", i, len(s.staged))
		}
	}
	if len(s.buf) != 0 {
		t.Fatalf("%d batches still buffered after the roll", len(s.buf))
	}
}

// The committed position of a split is read back from the newest commit
// that recorded it, with the current snapshot it belongs to.
func TestCommittedPosition(t *testing.T) {
	ctx := context.Background()
	mem := checkedMem(t)
	w := newWarehouse(t)
	if _, _, ok, err := w.CommittedPosition(ctx, "lake.none", "eventstream/orders"); ok || err != nil {
		t.Fatalf("missing table: ok=%v err=%v", ok, err)
	}
	s, err := w.Sink(ctx, "lake.pos", testSchema, TableOptions{JobID: "j"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for epoch := int64(1); epoch <= 2; epoch++ {
		s.SourcePositions(epoch, map[string][]byte{"__input__/eventstream/orders": []byte(fmt.Sprintf(`{"seq":%d}`, epoch*10))})
		writeEpoch(t, mem, s, epoch, [][]any{row("a", 0, epoch)})
		if err := s.Commit(ctx, epoch); err != nil {
			t.Fatal(err)
		}
	}
	snap, pos, ok, err := w.CommittedPosition(ctx, "lake.pos", "eventstream/orders")
	if err != nil || !ok || string(pos) != `{"seq":20}` {
		t.Fatalf("position %s ok=%v err=%v", pos, ok, err)
	}
	tbl, err := w.TableAt(ctx, "lake.pos", snap)
	if err != nil {
		t.Fatal(err)
	}
	if got := scanAll(t, mem, tbl, catalog.ScanRequest{}); len(got.rows) != 2 {
		t.Fatalf("%d rows at the committed snapshot", len(got.rows))
	}
}

// Bounds come from the manifests' file statistics: min and max over the
// files, whether NULLs occur; variable-width columns are not answered.
func TestBounds(t *testing.T) {
	ctx := context.Background()
	mem := checkedMem(t)
	w := newWarehouse(t)
	s, err := w.Sink(ctx, "lake.bounds", testSchema, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tbl, err := w.CreateTable(ctx, "lake.bounds", testSchema, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi, _, ok, err := tbl.Bounds(ctx, 1); err != nil || !ok || lo != nil || hi != nil {
		t.Fatalf("empty table: %v %v %v %v", lo, hi, ok, err)
	}
	writeEpoch(t, mem, s, 1, [][]any{row("a", 5*hour, 7), row("b", 2*hour, 3)})
	writeEpoch(t, mem, s, 2, [][]any{row("a", 9*hour, 11), {"c", nil, nil, nil, nil, nil, nil, nil}})
	if err := s.Commit(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		col       int
		want      string
		wantNulls bool
	}{
		{1, fmt.Sprint(2*hour, 9*hour), true}, // timestamp
		{2, "3 11", true},                     // id
		{4, "1.5 5.5", true},                  // x
	} {
		lo, hi, nulls, ok, err := tbl.Bounds(ctx, tc.col)
		if err != nil || !ok || fmt.Sprint(lo, hi) != tc.want || nulls != tc.wantNulls {
			t.Errorf("column %d: %v %v nulls=%v ok=%v err=%v, want %s nulls=%v", tc.col, lo, hi, nulls, ok, err, tc.want, tc.wantNulls)
		}
	}
	if _, _, _, ok, _ := tbl.Bounds(ctx, 0); ok {
		t.Error("a VARCHAR column was answered from possibly truncated bounds")
	}
	if _, _, _, _, err := tbl.Bounds(ctx, 99); err == nil {
		t.Error("column out of range accepted")
	}
}
