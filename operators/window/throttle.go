package window

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
)

// Under EMIT CHANGES the groups touched since the last emission are
// pending: their slices' touched flags stay set until emitChanges emits
// them. Unthrottled, that happens after every batch; with EmitEvery, once
// the interval has passed since the last emission (checked on every
// batch, watermark and tick, so a quiet stream flushes too), and always
// before a window with pending changes closes (closing frees the records
// its retractions need).

var _ operators.Ticker = (*Aggregate)(nil)

// OnTick implements operators.Ticker: under EMIT CHANGES EVERY it emits
// the pending changes once the interval has passed since the last
// emission by now, so a quiet stream does not hold them back.
func (a *Aggregate) OnTick(ctx context.Context, now time.Time, emit operators.Emit) error {
	if !a.opened || a.closed {
		return fmt.Errorf("ticking window aggregate: operator not open")
	}
	if !a.changes || a.spec.EmitEvery <= 0 || a.ended {
		return nil
	}
	return a.emitIfDue(ctx, now.UnixMicro(), emit)
}

// maybeEmitChanges emits the pending changes unless EmitEvery holds them
// back.
func (a *Aggregate) maybeEmitChanges(ctx context.Context, emit operators.Emit) error {
	if !a.pending {
		return nil
	}
	if a.spec.EmitEvery <= 0 {
		return a.flushAt(ctx, 0, emit)
	}
	return a.emitIfDue(ctx, a.now().UnixMicro(), emit)
}

// emitIfDue emits the pending changes if EmitEvery has passed by now (µs
// of processing time) since the last emission.
func (a *Aggregate) emitIfDue(ctx context.Context, now int64, emit operators.Emit) error {
	if !a.pending || now < operators.AddSat(a.lastEmit, a.spec.EmitEvery) {
		return nil
	}
	return a.flushAt(ctx, now, emit)
}

// flushChanges emits every pending change now.
func (a *Aggregate) flushChanges(ctx context.Context, emit operators.Emit) error {
	if !a.pending {
		return nil
	}
	var now int64
	if a.spec.EmitEvery > 0 {
		now = a.now().UnixMicro()
	}
	return a.flushAt(ctx, now, emit)
}

// flushAt emits every pending change, at processing time now (µs; read
// only under EmitEvery).
func (a *Aggregate) flushAt(ctx context.Context, now int64, emit operators.Emit) error {
	if a.spec.EmitEvery > 0 {
		a.lastEmit = now
	}
	if err := a.emitChanges(ctx, emit); err != nil {
		return err
	}
	a.pending = false
	return nil
}

// pendingCloses reports whether watermark wm closes a window with pending
// changes.
func (a *Aggregate) pendingCloses(wm int64) (bool, error) {
	if a.spec.Kind == Session {
		fin, err := a.finalSessions(wm)
		if err != nil {
			return false, err
		}
		for _, se := range fin {
			if se.touched {
				return true, nil
			}
		}
		return false, nil
	}
	for _, st := range a.starts {
		if !a.closedAt(operators.AddSat(st, a.windowLen()), wm) {
			break
		}
		if len(a.slices[st].touchList) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// ensureGlobalRow gives a global aggregate without group columns its one
// group even when no row arrived, so that it emits a row at the end as a
// batch COUNT(*) does (under changes, as a pending insert).
func (a *Aggregate) ensureGlobalRow() error {
	if a.spec.Kind != Global || len(a.keyTypes) > 0 {
		return nil
	}
	s, err := a.getSlice(0)
	if err != nil {
		return err
	}
	if s.n == 0 {
		s.addGroups(1)
		s.seq[0] = a.seq
		if a.changes {
			s.touch(0)
		}
	}
	return nil
}

// rowEqual reports whether row i of x equals row j of y (same column
// types; NULL equals NULL).
func rowEqual(x []arrow.Array, i int, y []arrow.Array, j int) bool {
	for c := range x {
		if !valueEqual(x[c], i, y[c], j) {
			return false
		}
	}
	return true
}

func valueEqual(x arrow.Array, i int, y arrow.Array, j int) bool {
	xn, yn := x.IsNull(i), y.IsNull(j)
	if xn || yn {
		return xn == yn
	}
	switch xa := x.(type) {
	case *array.Int64:
		ya, ok := y.(*array.Int64)
		return ok && xa.Value(i) == ya.Value(j)
	case *array.Float64:
		ya, ok := y.(*array.Float64)
		return ok && xa.Value(i) == ya.Value(j)
	case *array.Timestamp:
		ya, ok := y.(*array.Timestamp)
		return ok && xa.Value(i) == ya.Value(j)
	case *array.String:
		ya, ok := y.(*array.String)
		return ok && xa.Value(i) == ya.Value(j)
	case *array.Boolean:
		ya, ok := y.(*array.Boolean)
		return ok && xa.Value(i) == ya.Value(j)
	}
	return array.SliceEqual(x, int64(i), int64(i+1), y, int64(j), int64(j+1))
}
