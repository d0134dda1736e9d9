package window

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/planner/types"
)

// AssignSpec describes a window-assigning operator, the table functions
// FROM TUMBLE(t, ts, size) and FROM HOP(t, ts, slide, size). Durations are
// in microseconds.
type AssignSpec struct {
	// Kind is Tumble (uses Size) or Hop (Slide and Size, a multiple of
	// Slide).
	Kind        Kind
	Size, Slide int64
	// TimeCol is the input column of the event time (TIMESTAMP).
	TimeCol int
	// Input is the schema of the consumed batches.
	Input *arrow.Schema
}

// Assign labels rows with the windows holding them; it keeps no state and
// has one input (0).
//
// Output: the input columns, then window_start and window_end (TIMESTAMP,
// UTC). A tumbling window gives one output row per input row; hopping
// windows give Size/Slide rows per input row, one per window covering it,
// in order of window start. Rows keep their input order. A row with a
// NULL event time is dropped, counted (LateRows) and passed to the sink
// set by RouteLate with reason "late event: NULL event time".
//
// Emitted batches belong to the receiver: tumbling windows emit one batch
// per input batch sharing the input's columns; hopping windows emit
// batches of at most max(operators.BatchSize, Size/Slide) rows. ProcessBatch emits as it
// goes; EndOfInput emits nothing. Assign ignores watermarks (it neither
// holds rows nor drops late ones).
type Assign struct {
	spec     AssignSpec
	out      *arrow.Schema
	per      int // windows per row
	lateSink func(b arrow.RecordBatch, reason string) error

	mem    memory.Allocator
	opened bool
	ended  bool
	closed bool
	late   int64

	keep []int32 // scratch: rows with an event time
}

var (
	_ operators.Operator      = (*Assign)(nil)
	_ operators.LateRouter    = (*Assign)(nil)
	_ operators.StateReporter = (*Assign)(nil)
)

// maxWindowsPerRow bounds Size/Slide of hopping windows: every row is
// copied that many times.
const maxWindowsPerRow = 1 << 16

// NewAssign checks spec and makes the operator.
func NewAssign(spec AssignSpec) (*Assign, error) {
	a := &Assign{spec: spec}
	if err := a.init(); err != nil {
		return nil, fmt.Errorf("creating window assignment: %w", err)
	}
	return a, nil
}

func (a *Assign) init() error {
	s := a.spec
	if s.Input == nil {
		return fmt.Errorf("no input schema")
	}
	switch s.Kind {
	case Tumble:
		if s.Size <= 0 {
			return fmt.Errorf("tumble size %d µs: must be positive", s.Size)
		}
		a.spec.Slide, a.per = s.Size, 1
	case Hop:
		if s.Slide <= 0 || s.Size <= 0 {
			return fmt.Errorf("hop slide %d µs and size %d µs: must be positive", s.Slide, s.Size)
		}
		if s.Size%s.Slide != 0 {
			return fmt.Errorf("hop size %d µs is not a multiple of slide %d µs", s.Size, s.Slide)
		}
		if s.Size/s.Slide > maxWindowsPerRow {
			return fmt.Errorf("hop size %d µs over slide %d µs: more than %d windows per row", s.Size, s.Slide, maxWindowsPerRow)
		}
		a.per = int(s.Size / s.Slide)
	default:
		return fmt.Errorf("window kind %s: only tumble and hop assign windows", s.Kind)
	}
	nf := s.Input.NumFields()
	if s.TimeCol < 0 || s.TimeCol >= nf {
		return fmt.Errorf("time column %d out of range [0, %d)", s.TimeCol, nf)
	}
	if tt, ok := s.Input.Field(s.TimeCol).Type.(*arrow.TimestampType); !ok || tt.Unit != arrow.Microsecond {
		return fmt.Errorf("time column %d is %s, want TIMESTAMP", s.TimeCol, s.Input.Field(s.TimeCol).Type)
	}
	ts := types.TimestampType.ArrowType()
	fields := make([]arrow.Field, 0, nf+2)
	fields = append(fields, s.Input.Fields()...)
	fields = append(fields, arrow.Field{Name: StartColumn, Type: ts}, arrow.Field{Name: EndColumn, Type: ts})
	a.out = arrow.NewSchema(fields, nil)
	return nil
}

// Schema of the emitted batches.
func (a *Assign) Schema() *arrow.Schema { return a.out }

// RouteLate makes sink receive the rows dropped for a NULL event time
// (operators.LateRouter); the batch has the input schema and belongs to
// sink. An error from sink fails ProcessBatch. Call it before Open.
func (a *Assign) RouteLate(sink func(b arrow.RecordBatch, reason string) error) {
	a.lateSink = sink
}

// StateBytes is 0: Assign keeps no state (operators.StateReporter).
func (a *Assign) StateBytes() int64 { return 0 }

// LateRows counts the rows dropped for a NULL event time.
func (a *Assign) LateRows() int64 { return a.late }

// Open prepares the operator.
func (a *Assign) Open(_ context.Context, mem memory.Allocator) error {
	if a.opened {
		return fmt.Errorf("opening window assignment: already open")
	}
	a.mem, a.opened = mem, true
	return nil
}

// ProcessBatch emits the rows of b (borrowed) with their windows.
func (a *Assign) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit operators.Emit) error {
	if input != 0 {
		return fmt.Errorf("processing window assignment batch: no input %d", input)
	}
	if !a.opened || a.closed || a.ended {
		return fmt.Errorf("processing window assignment batch: operator not open or input ended")
	}
	if int(b.NumCols()) != a.spec.Input.NumFields() {
		return fmt.Errorf("processing window assignment batch: got %d columns, want %d", b.NumCols(), a.spec.Input.NumFields())
	}
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	tcol, ok := b.Column(a.spec.TimeCol).(*array.Timestamp)
	if !ok {
		return fmt.Errorf("processing window assignment batch: time column is %s, want TIMESTAMP", b.Column(a.spec.TimeCol).DataType())
	}
	var keep []int32 // nil: every row
	if tcol.NullN() > 0 {
		if err := a.dropNulls(b, tcol); err != nil {
			return err
		}
		if keep = a.keep; len(keep) == 0 {
			return nil
		}
	}
	if a.per == 1 && keep == nil {
		return a.emitTumble(b, tcol, emit)
	}
	// Gather each kept row once per window, in chunks of rows that keep
	// batches within BatchSize rows.
	m := n
	if keep != nil {
		m = len(keep)
	}
	step := max(1, operators.BatchSize/a.per)
	for lo := 0; lo < m; lo += step {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("processing window assignment batch: %w", err)
		}
		hi := min(lo+step, m)
		if err := a.emitGathered(b, tcol, keep, lo, hi, emit); err != nil {
			return err
		}
	}
	return nil
}

// dropNulls sets a.keep to the rows of b with an event time and hands the
// others to the late sink.
func (a *Assign) dropNulls(b arrow.RecordBatch, tcol *array.Timestamp) error {
	a.keep = a.keep[:0]
	var nulls []int32
	for i := 0; i < tcol.Len(); i++ {
		if tcol.IsNull(i) {
			nulls = append(nulls, int32(i))
		} else {
			a.keep = append(a.keep, int32(i))
		}
	}
	a.late += int64(len(nulls))
	if a.lateSink == nil {
		return nil
	}
	lb, err := operators.TakeBatch(a.mem, b, nulls, nil)
	if err != nil {
		return fmt.Errorf("dead-lettering rows without event time: %w", err)
	}
	if err := a.lateSink(lb, "late event: NULL event time"); err != nil {
		return fmt.Errorf("dead-lettering rows without event time: %w", err)
	}
	return nil
}

// emitTumble emits b's columns (shared) with each row's tumbling window.
func (a *Assign) emitTumble(b arrow.RecordBatch, tcol *array.Timestamp, emit operators.Emit) error {
	n := int(b.NumRows())
	size := a.spec.Size
	sb, starts := newTSBuffer(a.mem, n)
	eb, ends := newTSBuffer(a.mem, n)
	for i, t := range tcol.TimestampValues()[:n] {
		s := floorTo(int64(t), size)
		starts[i], ends[i] = s, operators.AddSat(s, size)
	}
	return a.emitWith(b.Columns(), sb, eb, n, emit)
}

// emitGathered emits kept rows [lo, hi) (keep nil: input rows), each
// repeated per window.
func (a *Assign) emitGathered(b arrow.RecordBatch, tcol *array.Timestamp, keep []int32, lo, hi int, emit operators.Emit) error {
	k, slide, size := a.per, a.spec.Slide, a.spec.Size
	rows := (hi - lo) * k
	idx := make([]int32, rows)
	sb, starts := newTSBuffer(a.mem, rows)
	eb, ends := newTSBuffer(a.mem, rows)
	vals := tcol.TimestampValues()
	p := 0
	for r := lo; r < hi; r++ {
		row := int32(r)
		if keep != nil {
			row = keep[r]
		}
		s := floorTo(int64(vals[row]), slide) - int64(k-1)*slide
		for j := 0; j < k; j++ {
			idx[p], starts[p], ends[p] = row, s, operators.AddSat(s, size)
			s += slide
			p++
		}
	}
	g, err := operators.TakeBatch(a.mem, b, idx, nil)
	if err != nil {
		sb.Release()
		eb.Release()
		return fmt.Errorf("assigning windows: %w", err)
	}
	defer g.Release()
	return a.emitWith(g.Columns(), sb, eb, rows, emit)
}

// emitWith emits cols (borrowed) plus the window bounds held in sb and eb
// (owned) as one batch of n rows.
func (a *Assign) emitWith(cols []arrow.Array, sb, eb *memory.Buffer, n int, emit operators.Emit) error {
	start, end := tsFromBuffer(sb, n), tsFromBuffer(eb, n)
	out := make([]arrow.Array, 0, len(cols)+2)
	out = append(append(out, cols...), start, end)
	rec := array.NewRecordBatch(a.out, out, int64(n))
	start.Release()
	end.Release()
	return emit(rec)
}

// EndOfInput marks the input ended; Assign has nothing to emit.
func (a *Assign) EndOfInput(_ context.Context, input int, _ operators.Emit) error {
	if input != 0 {
		return fmt.Errorf("ending window assignment input: no input %d", input)
	}
	if !a.opened || a.closed || a.ended {
		return fmt.Errorf("ending window assignment input: operator not open or input already ended")
	}
	a.ended = true
	return nil
}

// Close ends the operator; Assign holds nothing between calls.
func (a *Assign) Close() error {
	a.closed = true
	return nil
}

// newTSBuffer allocates a buffer of n int64 values and returns it with
// its values to fill.
func newTSBuffer(mem memory.Allocator, n int) (*memory.Buffer, []int64) {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n * 8)
	return buf, arrow.Int64Traits.CastFromBytes(buf.Bytes())[:n]
}

// tsFromBuffer makes a TIMESTAMP array without NULLs of the n values in
// buf, taking over buf.
func tsFromBuffer(buf *memory.Buffer, n int) arrow.Array {
	data := array.NewData(types.TimestampType.ArrowType(), n, []*memory.Buffer{nil, buf}, nil, 0, 0)
	buf.Release()
	defer data.Release()
	return array.MakeFromData(data)
}
