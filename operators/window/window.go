// Package window implements streamsql's event-time window aggregate, the
// central operator of the streaming runtime: GROUP BY TUMBLE, HOP and
// SESSION windows over an event-time column, closed by watermarks, with
// EMIT ON WINDOW CLOSE (final rows) or EMIT CHANGES (updates and
// retractions). Window semantics follow Flink and Arroyo.
//
// The aggregate keeps its state in "slices": time ranges each holding a
// group table over the group columns and one agg.Accumulator per
// aggregate. A tumbling window is one slice; a hopping window emitted on
// close is the merge (agg State/Merge) of its size/slide panes, so each row
// is folded once; a hopping window with EMIT CHANGES is its own slice, fed
// every row it covers; a session is a chain of per-key cells in buckets of
// width gap (rows of one key in one bucket are always within gap of each
// other, so they always share a session), merged when it closes; a global
// (unwindowed) aggregate is one slice that closes only at the end of input.
//
// Assign is the stateless companion behind the table functions
// FROM TUMBLE(t, ts, size) and FROM HOP(t, ts, slide, size): it labels rows
// with their windows instead of aggregating them.
package window

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/agg"
	"github.com/streamsql/streamsql/planner/types"
)

// Spec describes a window aggregate. Durations are in microseconds, the
// unit of TIMESTAMP.
type Spec struct {
	Kind Kind
	// Tumble uses Size; Hop uses Slide and Size (a multiple of Slide);
	// Session uses Gap; Global none.
	Size, Slide, Gap int64
	// Input is the schema of the consumed batches.
	Input *arrow.Schema
	// TimeCol is the input column of the event time (TIMESTAMP). Global
	// ignores it (it may be -1).
	TimeCol int
	// GroupCols are the input columns of the group keys, output under
	// GroupNames.
	GroupCols  []int
	GroupNames []string
	// Aggs are the aggregates, as for operators.HashAggregate (Filter -1
	// for none).
	Aggs []operators.AggSpec
	// Emit is OnWindowClose (the default) or Changes.
	Emit EmitMode
	// AllowedLateness keeps windows open, accepting late rows, until the
	// watermark reaches end + AllowedLateness.
	AllowedLateness int64
	// Offset shifts tumbling and hopping windows: they start at Offset
	// plus a multiple of their size (slide), as date_bin's origin does.
	Offset int64
	// LateSink, if non-nil, receives the rows dropped as late (they belong
	// only to windows already closed), with a reason starting "late
	// event: ". The batch has the input schema and belongs to the callee.
	// An error from LateSink fails ProcessBatch. RouteLate sets it too.
	LateSink func(b arrow.RecordBatch, reason string) error
	// EmitEvery, if positive (µs of processing time; Changes only),
	// throttles EMIT CHANGES: touched (window, group)s accumulate and their
	// net changes are emitted once at least EmitEvery has passed since the
	// last emission (checked by ProcessBatch and OnWatermark), and always
	// before a window with pending changes closes.
	EmitEvery int64
	// Now is the processing-time clock of EmitEvery (nil: time.Now).
	Now func() time.Time
	// OpCol is the input column of the change operation (a VARCHAR named
	// operators.OpColumn holding "insert" or "delete") when the input is
	// an updating stream, -1 for an append-only input. Only a Global
	// aggregate with Changes accepts one; its aggregates must be count,
	// sum or avg without DISTINCT (agg.NewRetractable). A delete row
	// retracts an earlier insert of the same row; a group whose rows are
	// all retracted emits the delete of its last result and no insert
	// (without group columns the one group stays, as in batch SQL). For
	// specs that predate the field, OpCol 0 naming another column than
	// operators.OpColumn also means append-only.
	OpCol int
}

// Column names of the window bounds in the output.
const (
	StartColumn = "window_start"
	EndColumn   = "window_end"
)

// Aggregate is the window aggregate operator. It has one input (0).
//
// Output: window_start and window_end (TIMESTAMP; not for Global), the
// group columns, one column per aggregate (the result types of
// operators.HashAggregate), and with EMIT CHANGES a final _op column
// (operators.OpColumn).
//
// With OnWindowClose, ProcessBatch emits nothing; OnWatermark(wm) emits
// every window with end + AllowedLateness <= wm, in order of window end
// then of the group's first appearance in the window, and frees its state;
// EndOfInput is OnWatermark(operators.WatermarkEnd). With Changes,
// ProcessBatch emits, for each (window, group) the batch touched, in the
// same order, a delete row with the previously emitted result (if any)
// followed by an insert row with the new one; closing a window emits
// nothing. With EmitEvery, the changes of everything touched since the
// last emission are emitted together, omitting groups whose result ended
// up unchanged, when the interval has passed and before a window with
// pending changes closes.
//
// A Global aggregate's one window closes at operators.WatermarkEnd (or
// EndOfInput): with OnWindowClose its rows are emitted then. Without group
// columns it has exactly one group, emitted even for empty input (as a
// batch COUNT(*)); under Changes that row's first insert comes with the
// first batch, or at the end if there was none.
//
// OnWatermark(operators.WatermarkEnd) followed by EndOfInput emits the
// same as EndOfInput alone.
//
// A row is late, and dropped, when every window it belongs to has
// closed: for tumbling and hopping windows when the last window holding
// it has end + AllowedLateness <= the watermark; for sessions when its own
// window [t, t+Gap) has, and it does not merge into an open session, or
// when it falls before the end of a session of its key that has closed
// (it would have extended a result already final). Late rows change no
// state, even when a whole batch is late: they are only counted (LateRows)
// and passed to the late sink. A Global aggregate has no late rows, except
// rows arriving after operators.WatermarkEnd.
//
// A Global aggregate with Changes may consume an updating input (a
// changelog, Spec.OpCol): its delete rows retract earlier inserts.
type Aggregate struct {
	spec     Spec
	out      *arrow.Schema
	keyTypes []arrow.DataType
	argTypes [][]types.Type
	accState [][]arrow.DataType
	// proj lists the input columns the aggregate reads, in order; the
	// batches handed to slices are projected to them.
	proj     []int
	projKeys []int // of the group columns
	projArgs [][]int
	projFilt []int // of each agg's filter, or -1

	width   int64 // slice width: the window, pane or bucket length
	off     int64 // Offset normalized into [0, size or slide)
	changes bool
	panes   bool // hop windows emitted on close, merged from panes
	retract bool // the input is a changelog (Spec.OpCol)
	projOp  int  // of the op column, under retract
	bounds  bool // the output has window_start, window_end
	now     func() time.Time

	mem    memory.Allocator
	opened bool
	ended  bool
	closed bool
	wm     int64 // last watermark, math.MinInt64 before the first
	seq    int64 // input rows seen, for the order of first appearance
	late   int64

	// EMIT CHANGES: some group is touched and its change not yet emitted;
	// the processing time (µs) of the last emission, neverEmitted before.
	pending  bool
	lastEmit int64

	slices map[int64]*slice // by start
	starts []int64          // sorted keys of slices

	recs recStore // EMIT CHANGES: previously emitted rows

	links map[int64]*linkCache // sessions: key links to the next bucket

	projSchema *arrow.Schema
	cur        arrow.RecordBatch // the input batch being processed

	// scratch
	times    []int64
	rowStart []int64
	lateIx   []int32
	keepIx   []int32
	runs     []run
}

var (
	_ operators.Operator      = (*Aggregate)(nil)
	_ operators.Watermarked   = (*Aggregate)(nil)
	_ operators.Stateful      = (*Aggregate)(nil)
	_ operators.LateRouter    = (*Aggregate)(nil)
	_ operators.StateReporter = (*Aggregate)(nil)
)

// minWM is the watermark before the first.
const minWM = math.MinInt64

// neverEmitted is lastEmit before the first throttled emission.
const neverEmitted = math.MinInt64

// NewAggregate checks spec and makes the operator.
func NewAggregate(spec Spec) (*Aggregate, error) {
	a := &Aggregate{spec: spec, wm: minWM, lastEmit: neverEmitted, now: spec.Now}
	if a.now == nil {
		a.now = time.Now
	}
	if err := a.init(); err != nil {
		return nil, fmt.Errorf("creating window aggregate: %w", err)
	}
	return a, nil
}

func (a *Aggregate) init() error {
	s := &a.spec
	if s.Input == nil {
		return fmt.Errorf("no input schema")
	}
	switch s.Kind {
	case Tumble:
		if s.Size <= 0 {
			return fmt.Errorf("tumble size %d µs: must be positive", s.Size)
		}
		a.width = s.Size
		a.off = s.Offset - floorTo(s.Offset, s.Size)
	case Hop:
		if s.Slide <= 0 || s.Size <= 0 {
			return fmt.Errorf("hop slide %d µs and size %d µs: must be positive", s.Slide, s.Size)
		}
		if s.Size%s.Slide != 0 {
			return fmt.Errorf("hop size %d µs is not a multiple of slide %d µs", s.Size, s.Slide)
		}
		a.off = s.Offset - floorTo(s.Offset, s.Slide)
	case Session:
		if s.Gap <= 0 {
			return fmt.Errorf("session gap %d µs: must be positive", s.Gap)
		}
		a.width = s.Gap
	case Global:
		a.width = math.MaxInt64 // one slice, starting at 0
	default:
		return fmt.Errorf("unknown window kind %d", int(s.Kind))
	}
	switch s.Emit {
	case OnWindowClose:
	case Changes:
		a.changes = true
	default:
		return fmt.Errorf("unknown emit mode %d", int(s.Emit))
	}
	if s.Kind == Hop {
		// Emitted on close, a hopping window is merged from panes of one
		// slide; with changes every window is kept whole.
		a.panes = !a.changes
		a.width = s.Slide
		if a.changes {
			a.width = s.Size
		}
	}
	if s.AllowedLateness < 0 {
		return fmt.Errorf("allowed lateness %d µs: must not be negative", s.AllowedLateness)
	}
	if s.EmitEvery < 0 {
		return fmt.Errorf("emit interval %d µs: must not be negative", s.EmitEvery)
	}
	if s.EmitEvery > 0 && !a.changes {
		return fmt.Errorf("emit interval %d µs: needs EMIT CHANGES", s.EmitEvery)
	}
	nf := s.Input.NumFields()
	if err := a.initOpCol(); err != nil {
		return err
	}
	a.bounds = s.Kind != Global
	if a.bounds {
		if s.TimeCol < 0 || s.TimeCol >= nf {
			return fmt.Errorf("time column %d out of range [0, %d)", s.TimeCol, nf)
		}
		if tt, ok := s.Input.Field(s.TimeCol).Type.(*arrow.TimestampType); !ok || tt.Unit != arrow.Microsecond {
			return fmt.Errorf("time column %d is %s, want TIMESTAMP", s.TimeCol, s.Input.Field(s.TimeCol).Type)
		}
	}
	if len(s.GroupNames) != len(s.GroupCols) {
		return fmt.Errorf("%d group names for %d group columns", len(s.GroupNames), len(s.GroupCols))
	}
	var fields []arrow.Field
	if a.bounds {
		ts := types.TimestampType.ArrowType()
		fields = append(fields, arrow.Field{Name: StartColumn, Type: ts}, arrow.Field{Name: EndColumn, Type: ts})
	}
	for i, c := range s.GroupCols {
		if c < 0 || c >= nf {
			return fmt.Errorf("group column %d out of range [0, %d)", c, nf)
		}
		dt := s.Input.Field(c).Type
		a.keyTypes = append(a.keyTypes, dt)
		a.projKeys = append(a.projKeys, a.use(c))
		fields = append(fields, arrow.Field{Name: s.GroupNames[i], Type: dt, Nullable: true})
	}
	if len(a.keyTypes) > 0 {
		if _, err := agg.NewGroupTable(a.keyTypes); err != nil {
			return err
		}
	}
	for _, as := range s.Aggs {
		var ats []types.Type
		var pa []int
		for _, c := range as.Args {
			if c < 0 || c >= nf {
				return fmt.Errorf("aggregate %s: argument column %d out of range [0, %d)", as.Name, c, nf)
			}
			dt := s.Input.Field(c).Type
			if !types.IsNative(dt) {
				return fmt.Errorf("aggregate %s: argument column %d has type %s; cast it to a SQL type first", as.Name, c, dt)
			}
			t, err := types.FromArrow(dt)
			if err != nil {
				return fmt.Errorf("aggregate %s: %w", as.Name, err)
			}
			ats = append(ats, t)
			pa = append(pa, a.use(c))
		}
		pf := -1
		if as.Filter != -1 {
			if as.Filter < 0 || as.Filter >= nf {
				return fmt.Errorf("aggregate %s: filter column %d out of range [0, %d)", as.Name, as.Filter, nf)
			}
			if dt := s.Input.Field(as.Filter).Type; dt.ID() != arrow.BOOL {
				return fmt.Errorf("aggregate %s: filter column %d is %s, want BOOLEAN", as.Name, as.Filter, dt)
			}
			pf = a.use(as.Filter)
		}
		acc, rt, err := a.newAcc(as.Func, ats, as.Distinct)
		if err != nil {
			return fmt.Errorf("aggregate %s: %w", as.Name, err)
		}
		a.accState = append(a.accState, acc.StateTypes())
		acc.Release()
		a.argTypes = append(a.argTypes, ats)
		a.projArgs = append(a.projArgs, pa)
		a.projFilt = append(a.projFilt, pf)
		fields = append(fields, arrow.Field{Name: as.Name, Type: rt.ArrowType(), Nullable: true})
	}
	if a.changes {
		fields = append(fields, arrow.Field{Name: operators.OpColumn, Type: arrow.BinaryTypes.String})
	}
	a.out = arrow.NewSchema(fields, nil)
	pf := make([]arrow.Field, len(a.proj))
	for i, c := range a.proj {
		pf[i] = s.Input.Field(c)
	}
	a.projSchema = arrow.NewSchema(pf, nil)
	return nil
}

// use adds input column c to the projection and returns its index there.
func (a *Aggregate) use(c int) int {
	for i, p := range a.proj {
		if p == c {
			return i
		}
	}
	a.proj = append(a.proj, c)
	return len(a.proj) - 1
}

// Schema of the emitted batches.
func (a *Aggregate) Schema() *arrow.Schema { return a.out }

// Spec returns the spec the aggregate was made with.
func (a *Aggregate) Spec() Spec { return a.spec }

// Open prepares the state.
func (a *Aggregate) Open(_ context.Context, mem memory.Allocator) error {
	if a.opened {
		return fmt.Errorf("opening window aggregate: already open")
	}
	a.mem = mem
	a.opened = true
	a.slices = map[int64]*slice{}
	a.links = map[int64]*linkCache{}
	a.recs.init(mem)
	return nil
}

// Close frees everything the aggregate holds.
func (a *Aggregate) Close() error {
	for _, st := range a.starts {
		a.slices[st].release()
	}
	a.slices, a.starts, a.links = nil, nil, nil
	a.recs.release()
	a.closed = true
	return nil
}

// getSlice returns the slice starting at start, making it if needed.
func (a *Aggregate) getSlice(start int64) (*slice, error) {
	if s, ok := a.slices[start]; ok {
		return s, nil
	}
	s, err := newSlice(a, start)
	if err != nil {
		return nil, err
	}
	a.slices[start] = s
	i := sort.Search(len(a.starts), func(i int) bool { return a.starts[i] >= start })
	a.starts = append(a.starts, 0)
	copy(a.starts[i+1:], a.starts[i:])
	a.starts[i] = start
	return s, nil
}

// dropSlice frees the slice starting at start.
func (a *Aggregate) dropSlice(start int64) {
	s, ok := a.slices[start]
	if !ok {
		return
	}
	if a.changes {
		for _, r := range s.rec {
			a.recs.drop(r)
		}
	}
	s.release()
	delete(a.slices, start)
	delete(a.links, start)
	delete(a.links, start-a.width)
	i := sort.Search(len(a.starts), func(i int) bool { return a.starts[i] >= start })
	if i < len(a.starts) && a.starts[i] == start {
		a.starts = append(a.starts[:i], a.starts[i+1:]...)
	}
}

// windowLen is the length of a window (the slice length for tumbling
// windows and whole hopping windows; the gap for sessions; unbounded for
// the global window, so it closes only at operators.WatermarkEnd).
func (a *Aggregate) windowLen() int64 {
	switch a.spec.Kind {
	case Hop:
		return a.spec.Size
	case Session:
		return a.spec.Gap
	case Global:
		return math.MaxInt64
	}
	return a.spec.Size
}

// closed reports whether a window ending at end is final at watermark wm.
func (a *Aggregate) closedAt(end, wm int64) bool {
	return operators.AddSat(end, a.spec.AllowedLateness) <= wm
}
