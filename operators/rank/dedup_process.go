package rank

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
)

// ProcessBatch folds b (borrowed) into the state: FirstArrival emits its
// new keys' rows, Latest the changes, Earliest nothing (see Dedup).
func (d *Dedup) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit operators.Emit) error {
	if err := d.checkBatch(input, b); err != nil {
		return err
	}
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	var times *array.Timestamp
	var now int64 // processing time, for a TTL without event time
	if d.eventTime() {
		var ok bool
		if times, ok = b.Column(d.spec.TimeCol).(*array.Timestamp); !ok {
			return fmt.Errorf("processing dedup batch: time column is %s, want TIMESTAMP", b.Column(d.spec.TimeCol).DataType())
		}
	} else if d.spec.TTL > 0 {
		now = d.now().UnixMicro()
		d.expire(now)
	}
	if err := d.keys.encode(b); err != nil {
		return fmt.Errorf("processing dedup batch: %w", err)
	}
	d.lateIx, d.nullIx = d.lateIx[:0], d.nullIx[:0]
	var err error
	switch d.spec.Mode {
	case FirstArrival:
		err = d.firstArrival(b, times, now, emit)
	case Earliest:
		d.earliest(b, times)
	case Latest:
		err = d.latest(b, times, emit)
	}
	d.seq += int64(n)
	if err != nil {
		return err
	}
	if err := d.sinkLate(b, d.nullIx, "late event: NULL event time"); err != nil {
		return err
	}
	if err := d.sinkLate(b, d.lateIx, d.lateReason()); err != nil {
		return err
	}
	if err := d.rows.compact(); err != nil {
		return fmt.Errorf("processing dedup batch: %w", err)
	}
	return nil
}

func (d *Dedup) lateReason() string {
	if d.spec.Mode == Earliest {
		return fmt.Sprintf("late event: event time before watermark %s", operators.FormatEventTime(d.wm))
	}
	return fmt.Sprintf("late event: event time more than the key TTL %s behind watermark %s",
		time.Duration(d.spec.TTL)*time.Microsecond, operators.FormatEventTime(d.wm))
}

// forgotten reports whether a row at t of a key not held is late because
// its key may have been forgotten: its own TTL has passed.
func (d *Dedup) forgotten(t int64) bool {
	return d.spec.TTL > 0 && d.wm > operators.AddSat(t, d.spec.TTL)
}

// firstArrival emits the rows of keys not held; now is the arrival time
// when the TTL is in processing time.
func (d *Dedup) firstArrival(b arrow.RecordBatch, times *array.Timestamp, now int64, emit operators.Emit) error {
	n := int(b.NumRows())
	useTime := times != nil && d.spec.TTL > 0
	d.emitIx = d.emitIx[:0]
	for i := 0; i < n; i++ {
		t := now
		if useTime {
			if times.IsNull(i) {
				d.nullIx = append(d.nullIx, int32(i))
				continue
			}
			t = int64(times.Value(i))
		}
		k := d.keys.row(i)
		if e, ok := d.index[string(k)]; ok {
			en := &d.entries[e]
			en.last = max(en.last, t)
			continue
		}
		if useTime && d.forgotten(t) {
			d.lateIx = append(d.lateIx, int32(i))
			continue
		}
		d.newEntry(k, t)
		d.emitIx = append(d.emitIx, int32(i))
	}
	switch len(d.emitIx) {
	case 0:
		return nil
	case n:
		b.Retain()
		return emit(b)
	}
	out, err := gatherBatch(d.mem, d.out, []arrow.RecordBatch{b}, nil, d.emitIx)
	if err != nil {
		return fmt.Errorf("processing dedup batch: %w", err)
	}
	return emit(out)
}

// earliest holds each key's earliest on-time row.
func (d *Dedup) earliest(b arrow.RecordBatch, times *array.Timestamp) {
	for i := 0; i < int(b.NumRows()); i++ {
		if times.IsNull(i) {
			d.nullIx = append(d.nullIx, int32(i))
			continue
		}
		t := int64(times.Value(i))
		k := d.keys.row(i)
		e, ok := d.index[string(k)]
		if ok && d.entries[e].done {
			d.entries[e].last = max(d.entries[e].last, t)
			continue
		}
		if t < d.wm {
			d.lateIx = append(d.lateIx, int32(i))
			continue
		}
		if !ok {
			e = d.newEntry(k, t)
		}
		en := &d.entries[e]
		en.last = max(en.last, t)
		if en.row >= 0 && t >= en.ts {
			continue
		}
		if en.row >= 0 {
			d.rows.remove(en.row)
		}
		en.row, en.ts, en.seq = d.rows.add(b, i), t, d.seq+int64(i)
		d.pending.push(candidate{ts: t, seq: en.seq, e: e})
	}
}

// latest keeps each key's latest row and emits the changes.
func (d *Dedup) latest(b arrow.RecordBatch, times *array.Timestamp, emit operators.Emit) error {
	d.chg = d.chg[:0]
	for i := 0; i < int(b.NumRows()); i++ {
		if times.IsNull(i) {
			d.nullIx = append(d.nullIx, int32(i))
			continue
		}
		t := int64(times.Value(i))
		k := d.keys.row(i)
		e, ok := d.index[string(k)]
		if !ok {
			if d.forgotten(t) {
				d.lateIx = append(d.lateIx, int32(i))
				continue
			}
			e = d.newEntry(k, t)
		}
		en := &d.entries[e]
		en.last = max(en.last, t)
		if en.row >= 0 && t < en.ts {
			continue
		}
		switch {
		case en.chg == 0:
			// First change of the key in this batch: keep the row emitted
			// before, for the delete.
			d.chg = append(d.chg, change{e: e, prev: en.row})
			en.chg = int32(len(d.chg))
		case en.row >= 0:
			d.rows.remove(en.row) // an earlier row of this batch, never emitted
		}
		en.row, en.ts, en.seq = d.rows.add(b, i), t, d.seq+int64(i)
	}
	if len(d.chg) == 0 {
		return nil
	}
	return d.emitChanges(emit)
}

// emitChanges emits, for each changed key in input order of its new row,
// a delete of its previous row and an insert of the new one, then frees
// the previous rows.
func (d *Dedup) emitChanges(emit operators.Emit) error {
	ids := make([]int32, 0, 2*len(d.chg))
	del := make([]bool, 0, 2*len(d.chg))
	// Changes are in order of each key's first change; sort by new row.
	sortChanges(d.chg, d.entries)
	for _, c := range d.chg {
		if c.prev >= 0 {
			ids, del = append(ids, c.prev), append(del, true)
		}
		ids, del = append(ids, d.entries[c.e].row), append(del, false)
	}
	err := emitChunks(len(ids), func(lo, hi int) (arrow.RecordBatch, error) {
		return d.changeBatch(ids[lo:hi], del[lo:hi])
	}, emit)
	for _, c := range d.chg {
		if c.prev >= 0 {
			d.rows.remove(c.prev)
		}
		d.entries[c.e].chg = 0
	}
	d.chg = d.chg[:0]
	return err
}

// changeBatch builds an output batch of rows ids with _op from del.
func (d *Dedup) changeBatch(ids []int32, del []bool) (arrow.RecordBatch, error) {
	rb, err := d.rows.gather(ids)
	if err != nil {
		return nil, fmt.Errorf("emitting dedup changes: %w", err)
	}
	defer rb.Release()
	cols := make([]arrow.Array, 0, d.out.NumFields())
	for _, c := range rb.Columns() {
		c.Retain()
		cols = append(cols, c)
	}
	cols = append(cols, opArray(d.mem, del))
	defer releaseArrays(cols)
	return array.NewRecordBatch(d.out, cols, int64(len(ids))), nil
}
