package rank

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A processing-time TTL expires keys on ticks alone: no batch and no
// watermark needed.
func TestDedupTickExpiresProcessingTTL(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var clock int64 // the operator's own clock, for its batches
	spec := DedupSpec{Input: dedupSchema, KeyCols: []int{1}, TimeCol: -1, TTL: 100,
		Now: func() time.Time { return time.UnixMicro(clock) }}
	h := newHarness(t, mem, dedupSchema, dedupOp(spec))
	defer h.close()
	d := h.op.(*Dedup)
	tick := func(at int64) {
		t.Helper()
		emit := func(b arrow.RecordBatch) error {
			b.Release()
			t.Errorf("OnTick emitted %d rows", b.NumRows())
			return nil
		}
		if err := d.OnTick(context.Background(), time.UnixMicro(at), emit); err != nil {
			t.Fatalf("OnTick: %v", err)
		}
	}
	h.run(rows{{1, "a", 0, 1}, {2, "b", 0, 2}})
	clock = 50
	h.run(rows{{3, "a", 0, 3}}) // a last seen at 50, b at 0
	tick(100)                   // nothing past its TTL yet
	if k := d.Keys(); k != 2 {
		t.Fatalf("keys %d at 100, want 2", k)
	}
	tick(120) // b forgotten (0+100 < 120)
	if k := d.Keys(); k != 1 {
		t.Fatalf("keys %d at 120, want 1", k)
	}
	tick(151) // a forgotten (50+100 < 151)
	if k := d.Keys(); k != 0 || d.StateBytes() != 0 {
		t.Fatalf("keys %d, state bytes %d after every TTL passed, want 0 and 0", k, d.StateBytes())
	}
	clock = 160
	h.run(rows{{4, "a", 0, 4}, {5, "b", 0, 5}}) // both new again
	equal(t, "output", h.out, []string{"1 a 0 1", "2 b 0 2", "4 a 0 4", "5 b 0 5"})
}

// Ticks leave keys under an event-time TTL or without a TTL alone: only
// watermarks (or nothing) expire them.
func TestDedupTickIgnoresEventTimeTTL(t *testing.T) {
	for _, spec := range []DedupSpec{
		{KeyCols: []int{1}, TimeCol: 0, TTL: 10},
		{KeyCols: []int{1}, TimeCol: -1},
		{KeyCols: []int{1}, TimeCol: 0, Mode: Latest, TTL: 10},
	} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		spec.Input = dedupSchema
		h := newHarness(t, mem, dedupSchema, dedupOp(spec))
		h.run(rows{{1, "a", 0, 1}})
		if err := h.op.(*Dedup).OnTick(context.Background(), time.UnixMicro(1<<50), h.emit); err != nil {
			t.Fatalf("OnTick: %v", err)
		}
		if k := h.op.(*Dedup).Keys(); k != 1 {
			t.Errorf("%+v: keys %d after a tick, want 1", spec, k)
		}
		h.close()
		mem.AssertSize(t, 0)
	}
}

func TestDedupTickNotOpen(t *testing.T) {
	d, err := NewDedup(DedupSpec{Input: dedupSchema, KeyCols: []int{1}, TimeCol: -1, TTL: 10})
	if err != nil {
		t.Fatal(err)
	}
	err = d.OnTick(context.Background(), time.Now(), nil)
	if err == nil || !strings.Contains(err.Error(), "ticking dedup: operator not open") {
		t.Fatalf("OnTick before Open: %v, want an operator-not-open error", err)
	}
}
