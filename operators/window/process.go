package window

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
)

// run is a range of rows [lo, hi) of one slice start.
type run struct {
	start  int64
	lo, hi int
}

// ProcessBatch folds b (borrowed) into the windows it belongs to. Late
// rows are dropped, counted and passed to Spec.LateSink. With EMIT CHANGES
// it emits the changed results (with EmitEvery, once the interval has
// passed).
func (a *Aggregate) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit operators.Emit) error {
	if input != 0 {
		return fmt.Errorf("processing window aggregate batch: no input %d", input)
	}
	if !a.opened || a.closed || a.ended {
		return fmt.Errorf("processing window aggregate batch: operator not open or input ended")
	}
	// Types too: a mistyped column would otherwise panic when projected.
	if err := operators.CheckBatchTypes(a.spec.Input, b); err != nil {
		return fmt.Errorf("processing window aggregate batch: %w", err)
	}
	if err := a.foldBatch(b); err != nil {
		return err
	}
	if a.changes {
		return a.maybeEmitChanges(ctx, emit)
	}
	return nil
}

// foldBatch folds the on-time rows of b into their windows.
func (a *Aggregate) foldBatch(b arrow.RecordBatch) error {
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	a.cur = b
	defer func() { a.cur = nil }()
	o := origin{base: a.seq}
	a.seq += int64(n)
	cols := make([]arrow.Array, len(a.proj))
	for i, c := range a.proj {
		cols[i] = b.Column(c)
	}
	pb := array.NewRecordBatch(a.projSchema, cols, int64(n))
	defer pb.Release()
	if a.spec.Kind == Global {
		if a.wm == operators.WatermarkEnd {
			// The global window has closed: nothing can count these rows.
			return a.sinkLate(b, allRows(n), "late event: after the final watermark")
		}
		return a.foldInto(0, pb, nil, o)
	}
	tcol, ok := b.Column(a.spec.TimeCol).(*array.Timestamp)
	if !ok {
		return fmt.Errorf("processing window aggregate batch: time column is %s, want TIMESTAMP", b.Column(a.spec.TimeCol).DataType())
	}
	a.times = extendTo(a.times, n)
	times := a.times
	for i, t := range tcol.TimestampValues()[:n] {
		times[i] = int64(t)
	}
	kept, keep, all, err := a.dropLate(b, tcol, times)
	if err != nil {
		return err
	}
	if !all {
		if len(keep) == 0 {
			return nil // every row was late: counted and dead-lettered
		}
		pb, err = operators.TakeBatch(a.mem, pb, keep, nil)
		if err != nil {
			return fmt.Errorf("processing window aggregate batch: %w", err)
		}
		defer pb.Release()
		times = kept
		o.idx = keep
	}
	return a.assign(pb, times, o)
}

func allRows(n int) []int32 {
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	return idx
}

// lastEnd is the end of the last window a row at t belongs to (for
// sessions, of its own window [t, t+gap)).
func (a *Aggregate) lastEnd(t int64) int64 {
	switch a.spec.Kind {
	case Hop:
		return operators.AddSat(floorOff(t, a.spec.Slide, a.off), a.spec.Size)
	case Session:
		return operators.AddSat(t, a.spec.Gap)
	}
	return operators.AddSat(floorOff(t, a.spec.Size, a.off), a.spec.Size)
}

// dropLate removes late rows and rows without an event time. It reports
// all when it kept every row, else returns the kept rows' times and
// indexes (empty when every row was dropped).
func (a *Aggregate) dropLate(b arrow.RecordBatch, tcol *array.Timestamp, times []int64) (kept []int64, keep []int32, all bool, err error) {
	nulls := tcol.NullN() > 0
	if !nulls {
		if a.wm == math.MinInt64 {
			return nil, nil, true, nil
		}
		lo := times[0]
		for _, t := range times {
			lo = min(lo, t)
		}
		if !a.closedAt(a.lastEnd(lo), a.wm) {
			return nil, nil, true, nil
		}
	}
	a.lateIx, a.keepIx = a.lateIx[:0], a.keepIx[:0]
	var nullIx []int32
	for i, t := range times {
		switch {
		case nulls && tcol.IsNull(i):
			nullIx = append(nullIx, int32(i))
		case a.closedAt(a.lastEnd(t), a.wm):
			a.lateIx = append(a.lateIx, int32(i))
		default:
			a.keepIx = append(a.keepIx, int32(i))
		}
	}
	if err := a.sinkLate(b, nullIx, "late event: NULL event time"); err != nil {
		return nil, nil, false, err
	}
	if err := a.sinkLate(b, a.lateIx, a.lateReason()); err != nil {
		return nil, nil, false, err
	}
	if len(a.keepIx) == len(times) {
		return nil, nil, true, nil
	}
	keep = append([]int32(nil), a.keepIx...)
	kept = make([]int64, len(keep))
	for i, r := range keep {
		kept[i] = times[r]
	}
	return kept, keep, false, nil
}

func (a *Aggregate) lateReason() string {
	return fmt.Sprintf("late event: its windows closed at watermark %s (allowed lateness %s)",
		operators.FormatEventTime(a.wm), time.Duration(a.spec.AllowedLateness)*time.Microsecond)
}

// sinkLate counts the rows of b (the input batch) at idx as late and
// passes them to the late sink.
func (a *Aggregate) sinkLate(b arrow.RecordBatch, idx []int32, reason string) error {
	if len(idx) == 0 {
		return nil
	}
	a.late += int64(len(idx))
	if a.spec.LateSink == nil {
		return nil
	}
	lb, err := operators.TakeBatch(a.mem, b, idx, nil)
	if err != nil {
		return fmt.Errorf("dead-lettering late rows: %w", err)
	}
	if err := a.spec.LateSink(lb, reason); err != nil {
		return fmt.Errorf("dead-lettering late rows: %w", err)
	}
	return nil
}

// assign folds the (projected, on-time) rows of pb into their slices.
func (a *Aggregate) assign(pb arrow.RecordBatch, times []int64, o origin) error {
	n := len(times)
	a.rowStart = extendTo(a.rowStart, n)
	starts := a.rowStart
	w := a.width
	if a.spec.Kind == Hop && a.changes {
		w = a.spec.Slide
	}
	off := a.off
	if a.spec.Kind == Session {
		off = 0
	}
	cur := floorOff(times[0], w, off)
	for i, t := range times {
		if d := t - cur; d < 0 || d >= w {
			cur = floorOff(t, w, off)
		}
		starts[i] = cur
	}
	if a.spec.Kind != Hop || !a.changes {
		return a.route(pb, starts, times, o)
	}
	// Hopping windows with changes: each row goes to every open window of
	// length size that holds it, the one starting at its slide and the
	// size/slide-1 before.
	slide := a.spec.Slide
	for j := int64(0); j < a.spec.Size/slide; j++ {
		if j > 0 {
			for i := range starts {
				starts[i] -= slide
			}
		}
		if err := a.route(pb, starts, times, o); err != nil {
			return err
		}
	}
	return nil
}

// route splits the rows of pb by starts and folds each part into its
// slice: whole, by contiguous runs, or gathered.
func (a *Aggregate) route(pb arrow.RecordBatch, starts, times []int64, o origin) error {
	n := len(starts)
	a.runs = a.runs[:0]
	for i := 0; i < n; {
		j := i + 1
		for j < n && starts[j] == starts[i] {
			j++
		}
		a.runs = append(a.runs, run{start: starts[i], lo: i, hi: j})
		i = j
	}
	if len(a.runs) == 1 {
		return a.foldInto(starts[0], pb, times, o)
	}
	if n/len(a.runs) >= 32 {
		runs := append([]run(nil), a.runs...)
		for _, r := range runs {
			part := pb.NewSlice(int64(r.lo), int64(r.hi))
			err := a.foldInto(r.start, part, times[r.lo:r.hi], o.sub(r.lo, r.hi))
			part.Release()
			if err != nil {
				return err
			}
		}
		return nil
	}
	byStart := map[int64][]int32{}
	for i, s := range starts {
		byStart[s] = append(byStart[s], int32(i))
	}
	keys := make([]int64, 0, len(byStart))
	for s := range byStart {
		keys = append(keys, s)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, s := range keys {
		rows := byStart[s]
		part, err := operators.TakeBatch(a.mem, pb, rows, nil)
		if err != nil {
			return fmt.Errorf("splitting window rows: %w", err)
		}
		pt := make([]int64, len(rows))
		po := origin{base: o.base, idx: make([]int32, len(rows))}
		for i, r := range rows {
			pt[i] = times[r]
			po.idx[i] = int32(o.row(int(r)))
		}
		err = a.foldInto(s, part, pt, po)
		part.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// foldInto folds the rows of pb into the slice starting at start.
func (a *Aggregate) foldInto(start int64, pb arrow.RecordBatch, times []int64, o origin) error {
	if a.spec.Kind == Hop && a.changes && a.closedAt(operators.AddSat(start, a.spec.Size), a.wm) {
		return nil // a window of these rows that has already closed
	}
	s, err := a.getSlice(start)
	if err != nil {
		return err
	}
	groups, err := s.find(pb, o)
	if err != nil {
		return err
	}
	if a.spec.Kind == Session {
		var late, keep []int32
		for r, g := range groups {
			if s.done[g] || times[r] < s.lateBefore[g] {
				late = append(late, int32(o.row(r)))
			} else {
				keep = append(keep, int32(r))
			}
		}
		if len(late) > 0 {
			if err := a.sinkLate(a.cur, late, "late event: the session it belongs to has closed"); err != nil {
				return err
			}
			if len(keep) == 0 {
				return nil
			}
			kb, err := operators.TakeBatch(a.mem, pb, keep, nil)
			if err != nil {
				return fmt.Errorf("dropping late rows: %w", err)
			}
			defer kb.Release()
			kg := make([]uint32, len(keep))
			kt := make([]int64, len(keep))
			for i, r := range keep {
				kg[i], kt[i] = groups[r], times[r]
			}
			pb, groups, times = kb, kg, kt
		}
	}
	if a.retract {
		return s.foldChanges(pb, groups)
	}
	return s.fold(pb, groups, times)
}

func extendTo[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
