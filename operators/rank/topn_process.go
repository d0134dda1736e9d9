package rank

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
)

// ProcessBatch folds b (borrowed) into the partitions; in changelog mode
// it emits the changes.
func (t *TopN) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit operators.Emit) error {
	if err := t.checkBatch(input, b); err != nil {
		return err
	}
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	if err := t.keys.encode(b); err != nil {
		return fmt.Errorf("processing top-n batch: %w", err)
	}
	if err := t.order.load(b); err != nil {
		return fmt.Errorf("processing top-n batch: %w", err)
	}
	t.last = nil
	var err error
	if t.changes {
		err = t.changelog(b, emit)
	} else {
		err = t.windowed(b)
	}
	t.seq += int64(n)
	t.last = nil
	if err != nil {
		return err
	}
	if err := t.rows.compact(); err != nil {
		return fmt.Errorf("processing top-n batch: %w", err)
	}
	return nil
}

// windowed adds the on-time rows of b to their partitions' heaps.
func (t *TopN) windowed(b arrow.RecordBatch) error {
	closes, ok := b.Column(t.spec.CloseCol).(*array.Timestamp)
	if !ok {
		return fmt.Errorf("processing top-n batch: close column is %s, want TIMESTAMP", b.Column(t.spec.CloseCol).DataType())
	}
	t.lateIx, t.nullIx = t.lateIx[:0], t.nullIx[:0]
	for i := 0; i < int(b.NumRows()); i++ {
		if closes.IsNull(i) {
			t.nullIx = append(t.nullIx, int32(i))
			continue
		}
		c := operators.AddSat(int64(closes.Value(i)), t.spec.CloseOffset)
		if c <= t.wm {
			t.lateIx = append(t.lateIx, int32(i))
			continue
		}
		seq := t.seq + int64(i)
		p := t.partition(t.keys.row(i), c, seq)
		t.order.probe(i, seq)
		h := &p.heap
		if int64(h.len()) < t.spec.N {
			id := t.rows.add(b, i)
			t.order.keep(id)
			h.push(id)
			continue
		}
		if worst := h.top(); t.order.compare(0, int(worst)+1) < 0 {
			t.rows.remove(worst)
			t.order.drop(worst)
			id := t.rows.add(b, i)
			t.order.keep(id)
			h.replaceTop(id)
		}
	}
	if err := t.sinkLate(b, t.nullIx, "late event: NULL window close time"); err != nil {
		return err
	}
	return t.sinkLate(b, t.lateIx, fmt.Sprintf("late event: its window closed at watermark %s", operators.FormatEventTime(t.wm)))
}

// OnWatermark implements operators.Watermarked: windowed, it emits and
// frees the partitions the watermark closes.
func (t *TopN) OnWatermark(ctx context.Context, wm int64, emit operators.Emit) error {
	if err := t.checkLive("advancing watermark of"); err != nil {
		return err
	}
	if wm <= t.wm {
		return nil
	}
	t.wm = wm
	if t.changes {
		return nil
	}
	var ids []int32
	var ranks []int64
	for t.closing.len() > 0 && t.closing.top().close <= wm {
		p := t.closing.pop()
		delete(t.parts, p.key)
		rows := p.heap.items
		slices.SortFunc(rows, func(a, b int32) int { return t.order.compare(int(a)+1, int(b)+1) })
		for r, id := range rows {
			ids, ranks = append(ids, id), append(ranks, int64(r+1))
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	err := emitChunks(len(ids), func(lo, hi int) (arrow.RecordBatch, error) {
		return t.outBatch(ids[lo:hi], ranks[lo:hi], nil)
	}, emit)
	for _, id := range ids {
		t.rows.remove(id)
		t.order.drop(id)
	}
	if err != nil {
		return err
	}
	if err := t.rows.compact(); err != nil {
		return fmt.Errorf("advancing watermark of top-n: %w", err)
	}
	return nil
}

// EndOfInput emits every open partition (windowed).
func (t *TopN) EndOfInput(ctx context.Context, input int, emit operators.Emit) error {
	if input != 0 {
		return fmt.Errorf("ending top-n input: no input %d", input)
	}
	if err := t.checkLive("ending input of"); err != nil {
		return err
	}
	if t.ended {
		return nil
	}
	t.ended = true
	return t.OnWatermark(ctx, operators.WatermarkEnd, emit)
}

// changelog adds the rows of b to their partitions' top N and emits the
// changes.
func (t *TopN) changelog(b arrow.RecordBatch, emit operators.Emit) error {
	n := t.spec.N
	for i := 0; i < int(b.NumRows()); i++ {
		seq := t.seq + int64(i)
		p := t.partition(t.keys.row(i), 0, seq)
		t.order.probe(i, seq)
		if int64(len(p.rows)) == n && t.order.compare(0, int(p.rows[len(p.rows)-1])+1) > 0 {
			continue
		}
		id := t.rows.add(b, i)
		t.order.keep(id)
		t.rank, t.cur = grow(t.rank, int(id)+1), grow(t.cur, int(id)+1)
		t.rank[id] = 0
		// After every kept row that orders before it (all equal ones
		// arrived earlier).
		pos := sort.Search(len(p.rows), func(j int) bool { return t.order.compare(int(p.rows[j])+1, int(id)+1) > 0 })
		p.rows = slices.Insert(p.rows, pos, id)
		if int64(len(p.rows)) > n {
			ev := p.rows[len(p.rows)-1]
			p.rows = p.rows[:len(p.rows)-1]
			if t.rank[ev] > 0 {
				t.cur[ev] = 0
				t.evicted = append(t.evicted, ev) // needed for its delete
			} else {
				t.rows.remove(ev)
				t.order.drop(ev)
			}
		}
		if !p.touched {
			p.touched = true
			t.touched = append(t.touched, p)
		}
	}
	return t.emitChanges(emit)
}

// emitChanges emits the difference between what the touched partitions
// emitted before and their top N now, then frees the rows that left.
func (t *TopN) emitChanges(emit operators.Emit) error {
	var ids []int32
	var ranks []int64
	var del []bool
	rn := t.spec.RowNumber
	for _, p := range t.touched {
		for r, id := range p.rows {
			t.cur[id] = int64(r + 1)
		}
		for r, id := range p.emitted {
			if c := t.cur[id]; c == 0 || rn && c != int64(r+1) {
				ids, ranks, del = append(ids, id), append(ranks, int64(r+1)), append(del, true)
			}
		}
		for r, id := range p.rows {
			if old := t.rank[id]; old == 0 || rn && old != int64(r+1) {
				ids, ranks, del = append(ids, id), append(ranks, int64(r+1)), append(del, false)
			}
		}
		p.emitted = append(p.emitted[:0], p.rows...)
		for r, id := range p.rows {
			t.rank[id] = int64(r + 1)
		}
		p.touched = false
	}
	t.touched = t.touched[:0]
	err := emitChunks(len(ids), func(lo, hi int) (arrow.RecordBatch, error) {
		return t.outBatch(ids[lo:hi], ranks[lo:hi], del[lo:hi])
	}, emit)
	for _, id := range t.evicted {
		t.rank[id] = 0
		t.rows.remove(id)
		t.order.drop(id)
	}
	t.evicted = t.evicted[:0]
	return err
}
