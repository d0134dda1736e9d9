package timejoin

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
)

// ProcessBatch buffers b's rows (borrowed) in their windows; it emits
// nothing.
func (j *WindowJoin) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit operators.Emit) error {
	if err := j.checkBatch(input, b); err != nil {
		return err
	}
	if b.NumRows() == 0 {
		return nil
	}
	side := input
	sc, ec := j.boundCols(side)
	starts := b.Column(sc).(*array.Timestamp)
	ends := b.Column(ec).(*array.Timestamp)
	pads := side == 0 && j.spec.Type.padsLeft() || side == 1 && j.spec.Type.padsRight()
	j.keep, j.lateIx, j.nullIx = j.keep[:0], j.lateIx[:0], j.nullIx[:0]
	for i := range int(b.NumRows()) {
		switch {
		case starts.IsNull(i) || ends.IsNull(i):
			j.nullIx = append(j.nullIx, int32(i))
		case j.wm != minWM && int64(ends.Value(i)) <= j.wm:
			j.lateIx = append(j.lateIx, int32(i))
		default:
			j.keep = append(j.keep, int32(i))
		}
	}
	if err := j.sinkLate(b, j.nullIx, "late event: NULL window bounds"); err != nil {
		return err
	}
	reason := fmt.Sprintf("late event: %s row of a window closed at watermark %s", sideName(side), operators.FormatEventTime(j.wm))
	if err := j.sinkLate(b, j.lateIx, reason); err != nil {
		return err
	}
	if err := j.buffer(side, b, j.keep, pads); err != nil {
		return fmt.Errorf("processing window join batch: %w", err)
	}
	return nil
}

// buffer adds rows (increasing) of b to their windows. A row with a NULL
// key is kept only when pads, as it can only be emitted padded.
func (j *WindowJoin) buffer(side int, b arrow.RecordBatch, rows []int32, pads bool) error {
	if len(rows) == 0 {
		return nil
	}
	j.keyCols = j.keyCols[:0]
	for _, c := range j.keyColumns(side) {
		j.keyCols = append(j.keyCols, b.Column(c))
	}
	if err := j.enc.encode(j.keyCols); err != nil {
		return err
	}
	sc, ec := j.boundCols(side)
	starts := b.Column(sc).(*array.Timestamp)
	ends := b.Column(ec).(*array.Timestamp)
	j.keepWin, j.keepKey = j.keepWin[:0], j.keepKey[:0]
	kept := rows[:0:0]
	var w *wwindow
	for _, r := range rows {
		k := wkey{end: int64(ends.Value(int(r))), start: int64(starts.Value(int(r)))}
		if w == nil || w.key != k {
			w = j.window(k)
		}
		key := int32(-1)
		if !j.enc.null(int(r)) {
			key = w.keys.add(&j.enc, int(r))
		} else if !pads {
			continue
		}
		kept = append(kept, r)
		j.keepWin = append(j.keepWin, w)
		j.keepKey = append(j.keepKey, key)
	}
	var err error
	j.slots, err = j.stores[side].add(b, kept, j.slots[:0])
	if err != nil {
		return err
	}
	for i, slot := range j.slots {
		w := j.keepWin[i]
		w.rows[side] = append(w.rows[side], wrow{slot: slot, key: j.keepKey[i]})
	}
	j.rows[side] += len(kept)
	clear(j.keepWin)
	return nil
}

// OnWatermark joins and emits every window with end <= wm, then frees it.
// A watermark not above the last is ignored.
func (j *WindowJoin) OnWatermark(ctx context.Context, wm int64, emit operators.Emit) error {
	if !j.opened || j.closed {
		return fmt.Errorf("advancing window join watermark: operator not open")
	}
	if wm <= j.wm {
		return nil
	}
	j.wm = wm
	n := 0
	for n < len(j.order) && j.order[n].end <= wm {
		n++
	}
	closing := j.order[:n]
	for i, k := range closing {
		if err := ctx.Err(); err != nil {
			return err
		}
		w := j.windows[k]
		if err := j.emitWindow(w, emit); err != nil {
			j.pairs.reset()
			j.order = j.order[i:]
			return err
		}
		j.freeWindow(w)
	}
	j.order = append(j.order[:0], j.order[n:]...)
	if err := j.pairs.flush(j.mem, emit); err != nil {
		return err
	}
	for _, st := range j.stores {
		if err := st.maintain(); err != nil {
			return fmt.Errorf("advancing window join watermark: %w", err)
		}
	}
	return nil
}

// emitWindow adds w's output to the pair writer (which emits full
// batches).
func (j *WindowJoin) emitWindow(w *wwindow, emit operators.Emit) error {
	lst, rst := j.stores[0], j.stores[1]
	rights := w.rows[1]
	// Chain the right rows of each key in arrival order.
	j.head = fill(j.head, w.keys.n, -1)
	j.next = fill(j.next, len(rights), -1)
	j.hit = j.hit[:0]
	for range rights {
		j.hit = append(j.hit, false)
	}
	for r := len(rights) - 1; r >= 0; r-- {
		if k := rights[r].key; k >= 0 {
			j.next[r] = j.head[k]
			j.head[k] = int32(r)
		}
	}
	padL, padR := j.spec.Type.padsLeft(), j.spec.Type.padsRight()
	for _, l := range w.rows[0] {
		lb, lr := lst.at(l.slot)
		r := int32(-1)
		if l.key >= 0 {
			r = j.head[l.key]
		}
		if r < 0 {
			if padL {
				if err := j.pairs.add(j.mem, lb, lr, nil, -1, emit); err != nil {
					return err
				}
			}
			continue
		}
		for ; r >= 0; r = j.next[r] {
			j.hit[r] = true
			rb, rr := rst.at(rights[r].slot)
			if err := j.pairs.add(j.mem, lb, lr, rb, rr, emit); err != nil {
				return err
			}
		}
	}
	if padR {
		for r, row := range rights {
			if j.hit[r] {
				continue
			}
			rb, rr := rst.at(row.slot)
			if err := j.pairs.add(j.mem, nil, -1, rb, rr, emit); err != nil {
				return err
			}
		}
	}
	return nil
}

// freeWindow kills w's rows and forgets it. The rows' chunks stay readable
// until the stores are maintained.
func (j *WindowJoin) freeWindow(w *wwindow) {
	for side, rows := range w.rows {
		for _, r := range rows {
			j.stores[side].kill(r.slot)
		}
		j.rows[side] -= len(rows)
	}
	delete(j.windows, w.key)
}

// fill returns s resized to n with every element v.
func fill(s []int32, n int, v int32) []int32 {
	if cap(s) < n {
		s = make([]int32, n)
	}
	s = s[:n]
	for i := range s {
		s[i] = v
	}
	return s
}
