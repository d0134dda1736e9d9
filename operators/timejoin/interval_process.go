package timejoin

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
)

// ProcessBatch probes b's rows (borrowed) against the other side's
// buffered rows, emits the matches, and buffers the rows that later rows
// of the other side can still match.
func (j *IntervalJoin) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit operators.Emit) error {
	if err := j.checkBatch(input, b); err != nil {
		return err
	}
	if b.NumRows() == 0 {
		return nil
	}
	if err := j.process(input, b, emit); err != nil {
		j.pairs.reset()
		return err
	}
	return nil
}

func (j *IntervalJoin) process(side int, b arrow.RecordBatch, emit operators.Emit) error {
	n := int(b.NumRows())
	tcol := j.times(side, b)
	j.keyCols = j.keyCols[:0]
	for _, c := range j.keyColumns(side) {
		j.keyCols = append(j.keyCols, b.Column(c))
	}
	if err := j.enc.encode(j.keyCols); err != nil {
		return fmt.Errorf("processing interval join batch: %w", err)
	}
	other := 1 - side
	pads := side == 0 && j.spec.LeftOuter
	j.keep, j.matched = j.keep[:0], j.matched[:0]
	j.lateIx, j.nullIx = j.lateIx[:0], j.nullIx[:0]
	for i := 0; i < n; i++ {
		var ts int64 // 0 for every row of an unbounded join
		if tcol != nil {
			if tcol.IsNull(i) {
				j.nullIx = append(j.nullIx, int32(i))
				continue
			}
			ts = int64(tcol.Value(i))
			if ts < j.wm {
				j.lateIx = append(j.lateIx, int32(i))
				continue
			}
		}
		if j.enc.null(i) {
			if pads {
				if err := j.pairs.add(j.mem, b, int32(i), nil, -1, emit); err != nil {
					return err
				}
			}
			continue
		}
		matched, err := j.probe(side, other, b, i, ts, emit)
		if err != nil {
			return err
		}
		switch {
		case !j.expired(side, ts, j.wm):
			j.keep = append(j.keep, int32(i))
			j.matched = append(j.matched, matched)
		case pads && !matched:
			if err := j.pairs.add(j.mem, b, int32(i), nil, -1, emit); err != nil {
				return err
			}
		}
	}
	if err := j.pairs.flush(j.mem, emit); err != nil {
		return err
	}
	if err := j.sinkLate(b, j.nullIx, "late event: NULL event time"); err != nil {
		return err
	}
	reason := fmt.Sprintf("late event: %s event time below the watermark %s", sideName(side), operators.FormatEventTime(j.wm))
	if err := j.sinkLate(b, j.lateIx, reason); err != nil {
		return err
	}
	return j.buffer(side, b, j.keep, j.matched)
}

// probe emits the pairs of row i of b (side, at ts) with the buffered rows
// of the other side and reports whether there was one.
func (j *IntervalJoin) probe(side, other int, b arrow.RecordBatch, i int, ts int64, emit operators.Emit) (bool, error) {
	g := j.keys.find(&j.enc, i)
	if g < 0 {
		return false, nil
	}
	rows := j.groups[g].rows[other]
	lo, hi := j.probeRange(side, ts)
	st := j.stores[other]
	matched := false
	for k := searchFrom(rows, lo); k < len(rows) && rows[k].ts <= hi; k++ {
		matched = true
		ob, or := st.at(rows[k].slot)
		var err error
		if side == 0 {
			err = j.pairs.add(j.mem, b, int32(i), ob, or, emit)
		} else {
			st.marked[rows[k].slot] = true
			err = j.pairs.add(j.mem, ob, or, b, int32(i), emit)
		}
		if err != nil {
			return matched, err
		}
	}
	return matched, nil
}

// buffer keeps rows (increasing) of b, already key-encoded in j.enc, with
// their matched flags.
func (j *IntervalJoin) buffer(side int, b arrow.RecordBatch, rows []int32, matched []bool) error {
	if len(rows) == 0 {
		return nil
	}
	st := j.stores[side]
	var err error
	j.slots, err = st.add(b, rows, j.slots[:0])
	if err != nil {
		return fmt.Errorf("processing interval join batch: %w", err)
	}
	tcol := j.times(side, b)
	for k, r := range rows {
		slot := j.slots[k]
		st.marked[slot] = matched[k]
		g := j.keys.add(&j.enc, int(r))
		var ts int64
		if tcol != nil {
			ts = int64(tcol.Value(int(r)))
		}
		j.insert(side, g, entry{ts: ts, slot: slot})
	}
	return nil
}

// times is the event-time column of a batch of side; nil for an
// unbounded join, which ignores time.
func (j *IntervalJoin) times(side int, b arrow.RecordBatch) *array.Timestamp {
	if j.spec.Unbounded {
		return nil
	}
	return b.Column(j.timeCol(side)).(*array.Timestamp)
}

func (j *IntervalJoin) timeCol(side int) int {
	if side == 0 {
		return j.spec.LeftTime
	}
	return j.spec.RightTime
}

func (j *IntervalJoin) keyColumns(side int) []int {
	if side == 0 {
		return j.spec.LeftKeys
	}
	return j.spec.RightKeys
}

// paddedRow is an expired, never matched left row of LeftOuter.
type paddedRow struct {
	ts, seq int64
	row     int32
	b       arrow.RecordBatch
}

// comparePadded orders padded rows by event time then arrival.
func comparePadded(a, b paddedRow) int {
	if c := cmp.Compare(a.ts, b.ts); c != 0 {
		return c
	}
	if c := cmp.Compare(a.seq, b.seq); c != 0 {
		return c
	}
	return cmp.Compare(a.row, b.row)
}

// OnWatermark frees the rows no later row can match; under LeftOuter it
// first emits the unmatched left rows among them, NULL-padded, in event
// time then arrival order. A watermark not above the last is ignored.
func (j *IntervalJoin) OnWatermark(ctx context.Context, wm int64, emit operators.Emit) error {
	if !j.opened || j.closed {
		return fmt.Errorf("advancing interval join watermark: operator not open")
	}
	if wm <= j.wm {
		return nil
	}
	j.wm = wm
	j.padded = j.padded[:0]
	for side := range 2 {
		j.evict(side, wm)
	}
	// Eviction walks buckets in time order, so the check usually spares
	// the sort.
	if !slices.IsSortedFunc(j.padded, comparePadded) {
		slices.SortFunc(j.padded, comparePadded)
	}
	for _, p := range j.padded {
		if err := j.pairs.add(j.mem, p.b, p.row, nil, -1, emit); err != nil {
			j.pairs.reset()
			return err
		}
	}
	clear(j.padded)
	if err := j.pairs.flush(j.mem, emit); err != nil {
		return err
	}
	for _, st := range j.stores {
		if err := st.maintain(); err != nil {
			return fmt.Errorf("advancing interval join watermark: %w", err)
		}
	}
	return nil
}

// evict frees the expired rows of side, collecting the ones to pad.
func (j *IntervalJoin) evict(side int, wm int64) {
	cut, all := j.cutoff(side, wm)
	// Padded rows come out nearly sorted when buckets are (see OnWatermark).
	pads := side == 0 && j.spec.LeftOuter
	j.due[side].drain(cut, all, pads, func(e qent, last int64) { j.expireGroup(side, e, cut, all, last) })
}

// expireGroup frees the rows of side up to last and below cut (all of
// them up to last when all) of the group e files, and files the group at
// its new earliest row. A stale entry (the group's earliest row is no
// longer at e.ts) is ignored.
func (j *IntervalJoin) expireGroup(side int, e qent, cut int64, all bool, last int64) {
	gr := &j.groups[e.g]
	rows := gr.rows[side]
	if len(rows) == 0 || rows[0].ts != e.ts {
		return
	}
	st := j.stores[side]
	pads := side == 0 && j.spec.LeftOuter
	k := 0
	for k < len(rows) && rows[k].ts <= last && (all || rows[k].ts < cut) {
		r := rows[k]
		if pads && !st.marked[r.slot] {
			seq, _ := st.order(r.slot)
			b, row := st.at(r.slot)
			j.padded = append(j.padded, paddedRow{ts: r.ts, seq: seq, row: row, b: b})
		}
		st.kill(r.slot)
		k++
	}
	if k == 0 {
		return
	}
	j.rows[side] -= k
	rows = rows[k:]
	if len(rows) == 0 {
		gr.rows[side] = nil
		if len(gr.rows[1-side]) == 0 {
			j.keys.remove(e.g)
		}
		return
	}
	if cap(rows) > 4*len(rows)+16 {
		rows = append([]entry(nil), rows...)
	}
	gr.rows[side] = rows
	j.due[side].file(rows[0].ts, e.g)
}
