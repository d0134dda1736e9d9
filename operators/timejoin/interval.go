package timejoin

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// IntervalSpec describes an interval join.
type IntervalSpec struct {
	Left, Right *arrow.Schema
	// LeftKeys and RightKeys are the equi-join key columns, pairwise of the
	// same type; they may be empty (every pair within the interval
	// matches). A NULL key never matches.
	LeftKeys, RightKeys []int
	// LeftTime and RightTime are the event-time columns (TIMESTAMP).
	LeftTime, RightTime int
	// A pair matches when its keys are equal and
	//   right.ts + Lower <= left.ts <= right.ts + Upper
	// (µs; Lower <= Upper; either may be negative).
	Lower, Upper int64
	// LeftOuter also emits each left row that matched nothing, with NULL
	// right columns, once the watermark proves no match can come.
	LeftOuter bool
	// Names are the output column names (left then right columns); nil
	// keeps the input names. Duplicates are allowed.
	Names []string
	// Unbounded makes a regular (unwindowed) inner join: every pair with
	// equal keys matches, whatever its times. Lower, Upper and the time
	// columns are ignored (the time columns may be -1); no row is late and
	// watermarks free nothing, so the state grows with the input (bounded
	// only by the job's state limit) until both inputs end. Matches are
	// emitted on arrival (append-only output), each row's in arrival order
	// of the other side. LeftOuter is an error with Unbounded: a left row
	// could never be proven unmatched.
	Unbounded bool
}

// maxBound bounds |Lower| and |Upper| so interval arithmetic on
// timestamps cannot overflow in ways saturation would hide (2^62 µs is
// 146,000 years).
const maxBound = 1 << 62

// IntervalJoin is the streaming interval join. Input 0 is the left side,
// input 1 the right side; the output is the left columns then the right
// columns (nullable under LeftOuter), in batches of at most
// operators.BatchSize rows.
//
// Matching is symmetric and incremental: ProcessBatch probes each arriving
// row against the other side's buffered rows of its key and emits the
// matches at once (in row order, each row's matches in event-time then
// arrival order), then buffers the row. A left row at tl can still match
// right rows with tr in [tl-Upper, tl-Lower], so it is freed once the
// watermark exceeds tl-Lower (under LeftOuter, OnWatermark then emits it
// NULL-padded if it never matched, in event-time then arrival order); a
// right row at tr is freed once the watermark exceeds tr+Upper. A row
// already past that point when it arrives is probed but not buffered, and
// an unmatched left row of LeftOuter is padded at once.
//
// Late rows: a row whose event time is below the watermark when it
// arrives, or NULL, is dropped, counted in LateRows and passed to the
// LateRouter sink, whatever the join type: the rows it could have matched
// may already be freed, so neither its matches nor, under LeftOuter, its
// padded row could be emitted consistently. Rows with a NULL key are not
// late: they match nothing, so an inner join drops them and LeftOuter
// pads a left one at once.
//
// With IntervalSpec.Unbounded the join ignores time: it is a regular
// inner join whose rows are all buffered until both inputs end, none late.
//
// EndOfInput of both inputs is OnWatermark(operators.WatermarkEnd): every
// unmatched left row is padded and all state is freed. Calls must not be
// concurrent.
type IntervalJoin struct {
	core
	spec   IntervalSpec
	kind   keyKind
	enc    keyEncoder
	keys   *keyMap
	groups []igroup
	due    [2]calendar // groups with rows of a side, by earliest time
	rows   [2]int      // buffered entries per side

	// scratch
	keep    []int32
	matched []bool
	slots   []int32
	lateIx  []int32
	nullIx  []int32
	keyCols []arrow.Array
	padded  []paddedRow
}

// igroup holds the buffered rows of one key, per side sorted by event
// time then arrival.
type igroup struct {
	rows [2][]entry
}

type entry struct {
	ts   int64
	slot int32
}

var (
	_ operators.Operator      = (*IntervalJoin)(nil)
	_ operators.Watermarked   = (*IntervalJoin)(nil)
	_ operators.Stateful      = (*IntervalJoin)(nil)
	_ operators.LateRouter    = (*IntervalJoin)(nil)
	_ operators.StateReporter = (*IntervalJoin)(nil)
)

// NewIntervalJoin checks spec and makes the operator.
func NewIntervalJoin(spec IntervalSpec) (*IntervalJoin, error) {
	j, err := newIntervalJoin(spec)
	if err != nil {
		return nil, fmt.Errorf("creating interval join: %w", err)
	}
	return j, nil
}

func newIntervalJoin(spec IntervalSpec) (*IntervalJoin, error) {
	c, err := newCore("interval join", spec.Left, spec.Right, spec.Names, false, spec.LeftOuter)
	if err != nil {
		return nil, err
	}
	types, err := checkKeys(spec.Left, spec.Right, spec.LeftKeys, spec.RightKeys)
	if err != nil {
		return nil, err
	}
	if spec.Unbounded {
		return newUnbounded(c, spec, types)
	}
	if err := checkTime(spec.Left, spec.LeftTime, "left time"); err != nil {
		return nil, err
	}
	if err := checkTime(spec.Right, spec.RightTime, "right time"); err != nil {
		return nil, err
	}
	if spec.Lower > spec.Upper {
		return nil, fmt.Errorf("lower bound %d µs exceeds upper bound %d µs", spec.Lower, spec.Upper)
	}
	if spec.Lower < -maxBound || spec.Upper > maxBound {
		return nil, fmt.Errorf("bounds [%d, %d] µs out of range", spec.Lower, spec.Upper)
	}
	spec.LeftKeys = append([]int(nil), spec.LeftKeys...)
	spec.RightKeys = append([]int(nil), spec.RightKeys...)
	spec.Names = append([]string(nil), spec.Names...)
	kind := keyKindOf(types)
	return &IntervalJoin{core: c, spec: spec, kind: kind, enc: keyEncoder{kind: kind}}, nil
}

// Schema of the emitted batches.
func (j *IntervalJoin) Schema() *arrow.Schema { return j.out }

// Spec returns the spec the join was made with.
func (j *IntervalJoin) Spec() IntervalSpec { return j.spec }

// Open prepares the state.
func (j *IntervalJoin) Open(_ context.Context, mem memory.Allocator) error {
	if err := j.open(mem); err != nil {
		return err
	}
	j.keys = newKeyMap(j.kind)
	for side := range j.due {
		j.due[side] = newCalendar(j.spec.Lower, j.spec.Upper)
	}
	return nil
}

// Close frees everything the join holds. It may be called more than once.
func (j *IntervalJoin) Close() error {
	j.release()
	j.groups, j.due, j.rows = nil, [2]calendar{}, [2]int{}
	j.keys = nil
	return nil
}

// RouteLate sets the sink of late rows (see operators.LateRouter).
func (j *IntervalJoin) RouteLate(sink func(b arrow.RecordBatch, reason string) error) {
	j.sink = sink
}

// LateRows counts the rows dropped as late.
func (j *IntervalJoin) LateRows() int64 { return j.late }

// StateBytes estimates the memory of the buffered rows and their index.
func (j *IntervalJoin) StateBytes() int64 {
	if !j.opened || j.closed {
		return 0
	}
	const perEntry, perGroup = 16, 48
	n := j.stores[0].stateBytes() + j.stores[1].stateBytes()
	n += int64(j.rows[0]+j.rows[1])*perEntry + int64(j.keys.live)*perGroup
	return n + j.keys.stateBytes()
}

// EndOfInput records the end of input; after both, every row is flushed
// as by OnWatermark(operators.WatermarkEnd). An input restored as ended
// may end once more (a source replayed after a restart).
func (j *IntervalJoin) EndOfInput(ctx context.Context, input int, emit operators.Emit) error {
	both, err := j.endInput(input)
	if err != nil || !both {
		return err
	}
	return j.OnWatermark(ctx, operators.WatermarkEnd, emit)
}

// expired reports whether a row of side at ts can match no row arriving
// at watermark wm or later: a left row once wm > ts-Lower, a right row
// once wm > ts+Upper.
func (j *IntervalJoin) expired(side int, ts, wm int64) bool {
	switch {
	case wm == minWM:
		return false
	case wm == operators.WatermarkEnd:
		return true
	case j.spec.Unbounded:
		return false
	}
	if side == 0 {
		return ts < operators.AddSat(wm, j.spec.Lower)
	}
	return ts < operators.AddSat(wm, -j.spec.Upper)
}

// cutoff is the event time below which rows of side expire at watermark
// wm (see expired); all when every row does.
func (j *IntervalJoin) cutoff(side int, wm int64) (cut int64, all bool) {
	switch {
	case wm == operators.WatermarkEnd:
		return 0, true
	case wm == minWM || j.spec.Unbounded:
		return minWM, false
	case side == 0:
		return operators.AddSat(wm, j.spec.Lower), false
	}
	return operators.AddSat(wm, -j.spec.Upper), false
}

// probeRange is the event-time range of the other side's rows a row of
// side at ts matches.
func (j *IntervalJoin) probeRange(side int, ts int64) (lo, hi int64) {
	if j.spec.Unbounded {
		return minWM, maxInt64
	}
	if side == 0 {
		return operators.AddSat(ts, -j.spec.Upper), operators.AddSat(ts, -j.spec.Lower)
	}
	return operators.AddSat(ts, j.spec.Lower), operators.AddSat(ts, j.spec.Upper)
}

// group returns the group of id, making room for a new one.
func (j *IntervalJoin) group(id int32) *igroup {
	for int(id) >= len(j.groups) {
		j.groups = append(j.groups, igroup{})
	}
	return &j.groups[id]
}

// insert adds a buffered row of side to group g, keeping the rows sorted
// by event time then arrival, and files the group anew when the row is
// its earliest.
func (j *IntervalJoin) insert(side int, g int32, e entry) {
	gr := j.group(g)
	rows := gr.rows[side]
	n := len(rows)
	switch {
	case n == 0 || rows[n-1].ts <= e.ts:
		rows = append(rows, e)
	default:
		i := searchAfter(rows, e.ts)
		rows = append(rows, entry{})
		copy(rows[i+1:], rows[i:])
		rows[i] = e
	}
	gr.rows[side] = rows
	j.rows[side]++
	if n == 0 || rows[0] == e {
		j.due[side].file(e.ts, g)
	}
}

// searchFrom is the index of the first row with ts >= t.
func searchFrom(rows []entry, t int64) int {
	lo, hi := 0, len(rows)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if rows[m].ts < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// searchAfter is the index of the first row with ts > t.
func searchAfter(rows []entry, t int64) int {
	if t == maxInt64 {
		return len(rows)
	}
	return searchFrom(rows, t+1)
}

const maxInt64 = 1<<63 - 1
