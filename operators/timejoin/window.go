package timejoin

import (
	"context"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// JoinType is the kind of a window join.
type JoinType int

const (
	// Inner emits the matching pairs.
	Inner JoinType = iota
	// LeftOuter also emits each unmatched left row, right columns NULL.
	LeftOuter
	// RightOuter also emits each unmatched right row, left columns NULL.
	RightOuter
	// FullOuter is LeftOuter and RightOuter together.
	FullOuter
)

var joinTypeNames = [...]string{"inner", "left outer", "right outer", "full outer"}

func (t JoinType) String() string {
	if t >= 0 && int(t) < len(joinTypeNames) {
		return joinTypeNames[t]
	}
	return fmt.Sprintf("JoinType(%d)", int(t))
}

// padsLeft reports whether unmatched left rows are emitted.
func (t JoinType) padsLeft() bool { return t == LeftOuter || t == FullOuter }

// padsRight reports whether unmatched right rows are emitted.
func (t JoinType) padsRight() bool { return t == RightOuter || t == FullOuter }

// WindowJoinSpec describes a window join.
type WindowJoinSpec struct {
	Left, Right *arrow.Schema
	// LeftKeys and RightKeys are the equi-join key columns, pairwise of the
	// same type; they may be empty (all rows of a window match). A NULL key
	// never matches.
	LeftKeys, RightKeys []int
	// The window bound columns (TIMESTAMP) of each side, as produced by
	// the TUMBLE and HOP table functions (window_start, window_end).
	LeftStart, LeftEnd, RightStart, RightEnd int
	Type                                     JoinType
	// Names are the output column names (left then right columns); nil
	// keeps the input names. Duplicates are allowed.
	Names []string
}

// WindowJoin joins two windowed streams: rows join when their windows
// (start and end) are equal and their keys are equal. Input 0 is the left
// side, input 1 the right; the output is the left columns then the right
// columns (nullable on the side an outer join pads), in batches of at
// most operators.BatchSize rows.
//
// ProcessBatch only buffers rows, per window. OnWatermark(wm) joins every
// window with end <= wm and frees it, emitting in a fixed order: by window
// end (then start), then for each left row in arrival order its matches
// in right arrival order (or the row NULL-padded when LeftOuter or
// FullOuter and it has none), then the unmatched right rows in arrival
// order (RightOuter, FullOuter).
//
// Late rows: a row whose window end is <= the watermark when it arrives,
// or whose window bounds are NULL, is dropped, counted in LateRows and
// passed to the LateRouter sink, whatever the join type: its window has
// already been emitted. Rows with a NULL key are not late: an outer join
// keeps those of its padded side and pads them when their window closes;
// other such rows are dropped.
//
// EndOfInput of both inputs is OnWatermark(operators.WatermarkEnd). Calls
// must not be concurrent.
type WindowJoin struct {
	core
	spec    WindowJoinSpec
	kind    keyKind
	enc     keyEncoder
	windows map[wkey]*wwindow
	order   []wkey // of windows, sorted by end then start
	rows    [2]int // buffered rows per side

	// scratch
	keep    []int32
	keepWin []*wwindow
	keepKey []int32
	slots   []int32
	lateIx  []int32
	nullIx  []int32
	keyCols []arrow.Array
	head    []int32
	next    []int32
	hit     []bool
}

// wkey identifies a window; its fields order windows for emission.
type wkey struct{ end, start int64 }

func (a wkey) less(b wkey) bool { return a.end < b.end || a.end == b.end && a.start < b.start }

// wwindow holds the buffered rows of one window, per side in arrival
// order, each with the id of its key in keys (-1 for a NULL key).
type wwindow struct {
	key  wkey
	keys *keyMap
	rows [2][]wrow
}

type wrow struct {
	slot int32
	key  int32
}

var (
	_ operators.Operator      = (*WindowJoin)(nil)
	_ operators.Watermarked   = (*WindowJoin)(nil)
	_ operators.Stateful      = (*WindowJoin)(nil)
	_ operators.LateRouter    = (*WindowJoin)(nil)
	_ operators.StateReporter = (*WindowJoin)(nil)
)

// NewWindowJoin checks spec and makes the operator.
func NewWindowJoin(spec WindowJoinSpec) (*WindowJoin, error) {
	j, err := newWindowJoin(spec)
	if err != nil {
		return nil, fmt.Errorf("creating window join: %w", err)
	}
	return j, nil
}

func newWindowJoin(spec WindowJoinSpec) (*WindowJoin, error) {
	if spec.Type < Inner || spec.Type > FullOuter {
		return nil, fmt.Errorf("unknown join type %d", int(spec.Type))
	}
	c, err := newCore("window join", spec.Left, spec.Right, spec.Names, spec.Type.padsRight(), spec.Type.padsLeft())
	if err != nil {
		return nil, err
	}
	types, err := checkKeys(spec.Left, spec.Right, spec.LeftKeys, spec.RightKeys)
	if err != nil {
		return nil, err
	}
	for _, b := range []struct {
		s    *arrow.Schema
		c    int
		what string
	}{
		{spec.Left, spec.LeftStart, "left window start"}, {spec.Left, spec.LeftEnd, "left window end"},
		{spec.Right, spec.RightStart, "right window start"}, {spec.Right, spec.RightEnd, "right window end"},
	} {
		if err := checkTime(b.s, b.c, b.what); err != nil {
			return nil, err
		}
	}
	spec.LeftKeys = append([]int(nil), spec.LeftKeys...)
	spec.RightKeys = append([]int(nil), spec.RightKeys...)
	spec.Names = append([]string(nil), spec.Names...)
	kind := keyKindOf(types)
	return &WindowJoin{core: c, spec: spec, kind: kind, enc: keyEncoder{kind: kind}}, nil
}

// Schema of the emitted batches.
func (j *WindowJoin) Schema() *arrow.Schema { return j.out }

// Spec returns the spec the join was made with.
func (j *WindowJoin) Spec() WindowJoinSpec { return j.spec }

// Open prepares the state.
func (j *WindowJoin) Open(_ context.Context, mem memory.Allocator) error {
	if err := j.open(mem); err != nil {
		return err
	}
	j.windows = map[wkey]*wwindow{}
	return nil
}

// Close frees everything the join holds. It may be called more than once.
func (j *WindowJoin) Close() error {
	j.release()
	j.windows, j.order, j.rows = nil, nil, [2]int{}
	return nil
}

// RouteLate sets the sink of late rows (see operators.LateRouter).
func (j *WindowJoin) RouteLate(sink func(b arrow.RecordBatch, reason string) error) {
	j.sink = sink
}

// LateRows counts the rows dropped as late.
func (j *WindowJoin) LateRows() int64 { return j.late }

// StateBytes estimates the memory of the buffered rows and their index.
func (j *WindowJoin) StateBytes() int64 {
	if !j.opened || j.closed {
		return 0
	}
	const perRow, perWindow = 8, 96
	n := j.stores[0].stateBytes() + j.stores[1].stateBytes()
	n += int64(j.rows[0]+j.rows[1])*perRow + int64(len(j.order))*perWindow
	for _, w := range j.windows {
		n += w.keys.stateBytes()
	}
	return n
}

// EndOfInput records the end of input; after both, every window is
// emitted as by OnWatermark(operators.WatermarkEnd). An input restored as
// ended may end once more (a source replayed after a restart).
func (j *WindowJoin) EndOfInput(ctx context.Context, input int, emit operators.Emit) error {
	both, err := j.endInput(input)
	if err != nil || !both {
		return err
	}
	return j.OnWatermark(ctx, operators.WatermarkEnd, emit)
}

func (j *WindowJoin) boundCols(side int) (start, end int) {
	if side == 0 {
		return j.spec.LeftStart, j.spec.LeftEnd
	}
	return j.spec.RightStart, j.spec.RightEnd
}

func (j *WindowJoin) keyColumns(side int) []int {
	if side == 0 {
		return j.spec.LeftKeys
	}
	return j.spec.RightKeys
}

// window returns the window k, making it if needed.
func (j *WindowJoin) window(k wkey) *wwindow {
	if w, ok := j.windows[k]; ok {
		return w
	}
	w := &wwindow{key: k, keys: newKeyMap(j.kind)}
	j.windows[k] = w
	i := sort.Search(len(j.order), func(i int) bool { return k.less(j.order[i]) })
	j.order = append(j.order, wkey{})
	copy(j.order[i+1:], j.order[i:])
	j.order[i] = k
	return w
}
