package cold

import (
	"container/heap"
	"context"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/catalog"
)

// topKeeper tracks the Limit best values of the sort column among the hot
// rows read, to decide whether the cold side can hold a better row.
// Values are compared as float64 (exact for timestamps in µs and integers
// within ±2^53; beyond that the keeper gives up and the cold side is read).
type topKeeper struct {
	hint  catalog.TopNHint
	pos   int // the column's position in the scan's output, -1 not projected
	h     valueHeap
	valid bool // false once a value could not be compared exactly
}

func newTopKeeper(hint *catalog.TopNHint, cols []int) *topKeeper {
	k := &topKeeper{hint: *hint, pos: -1, valid: hint.Limit > 0}
	for i, c := range cols {
		if c == hint.Column {
			k.pos = i
		}
	}
	if k.pos < 0 {
		k.valid = false
	}
	k.h.desc = hint.Desc
	return k
}

// observe notes the sort column of a hot batch.
func (k *topKeeper) observe(b arrow.RecordBatch) {
	if !k.valid {
		return
	}
	col := b.Column(k.pos)
	for i := range col.Len() {
		if col.IsNull(i) {
			continue // NULLs only matter for the cold side's nulls check
		}
		v, ok := floatOf(col, i)
		if !ok {
			k.valid = false
			return
		}
		if k.h.Len() < int(k.hint.Limit) {
			heap.Push(&k.h, v)
		} else if k.h.better(v, k.h.vals[0]) {
			k.h.vals[0] = v
			heap.Fix(&k.h, 0)
		}
	}
}

// coldCannotWin says whether no row of the cold side can make the top
// Limit: the hot rows already fill it, and the cold column's bounds (from
// metadata) fall strictly behind the worst of them.
func (k *topKeeper) coldCannotWin(ctx context.Context, t catalog.Table, coldCol int) bool {
	if !k.valid || k.h.Len() < int(k.hint.Limit) {
		return false
	}
	cb, ok := t.(catalog.ColumnBounds)
	if !ok || coldCol < 0 {
		return false
	}
	lo, hi, nulls, ok, err := cb.Bounds(ctx, coldCol)
	if err != nil || !ok {
		return false
	}
	if nulls && k.hint.NullsFirst {
		return false // a NULL would sort first
	}
	worst := k.h.vals[0]
	if lo == nil && hi == nil {
		return true // no values, and no NULL that sorts first
	}
	if k.hint.Desc {
		h, ok := anyFloat(hi)
		return ok && h < worst
	}
	l, ok := anyFloat(lo)
	return ok && l > worst
}

func floatOf(col arrow.Array, i int) (float64, bool) {
	switch c := col.(type) {
	case *array.Int64:
		return exact(c.Value(i))
	case *array.Timestamp:
		return exact(int64(c.Value(i)))
	case *array.Int32:
		return float64(c.Value(i)), true
	case *array.Date32:
		return float64(c.Value(i)), true
	case *array.Float64:
		v := c.Value(i)
		return v, !math.IsNaN(v)
	}
	return 0, false
}

func anyFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return exact(x)
	case int32:
		return float64(x), true
	case float64:
		return x, !math.IsNaN(x)
	}
	return 0, false
}

func exact(v int64) (float64, bool) {
	const lim = 1 << 53
	return float64(v), v > -lim && v < lim
}

// valueHeap keeps the worst kept value on top: a min-heap when the best
// are the largest (desc), a max-heap otherwise.
type valueHeap struct {
	vals []float64
	desc bool
}

func (h *valueHeap) better(a, b float64) bool {
	if h.desc {
		return a > b
	}
	return a < b
}
func (h valueHeap) Len() int           { return len(h.vals) }
func (h valueHeap) Less(i, j int) bool { return h.better(h.vals[j], h.vals[i]) }
func (h valueHeap) Swap(i, j int)      { h.vals[i], h.vals[j] = h.vals[j], h.vals[i] }
func (h *valueHeap) Push(x any)        { h.vals = append(h.vals, x.(float64)) }
func (h *valueHeap) Pop() any {
	v := h.vals[len(h.vals)-1]
	h.vals = h.vals[:len(h.vals)-1]
	return v
}
