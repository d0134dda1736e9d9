// Package rank implements streamsql's streaming deduplication and top-N
// operators: Dedup (SELECT DISTINCT over a stream with a state TTL, and
// the ROW_NUMBER() OVER (PARTITION BY … ORDER BY …) = 1 pattern) and TopN
// (ROW_NUMBER() … <= N per window, or over a whole stream as a
// changelog). Both have one input (0), act on event time through
// watermarks, snapshot their state and drop late rows, counting them and
// passing them to the dead-letter output (operators.LateRouter).
package rank

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// minWM is the watermark before the first.
const minWM = math.MinInt64

// base is the lifecycle, watermark and late-row bookkeeping both
// operators share.
type base struct {
	name   string // for errors: "dedup", "top-n"
	input  *arrow.Schema
	mem    memory.Allocator
	opened bool
	ended  bool
	closed bool
	wm     int64 // last watermark, minWM before the first
	late   int64
	sink   func(b arrow.RecordBatch, reason string) error
	rows   rowStore
	// scratch: rows of the batch being processed that are late, and
	// late for a NULL time
	lateIx []int32
	nullIx []int32
}

// RouteLate implements operators.LateRouter: sink receives the rows
// dropped as late.
func (o *base) RouteLate(sink func(b arrow.RecordBatch, reason string) error) { o.sink = sink }

// LateRows implements operators.StateReporter: the rows dropped as late.
func (o *base) LateRows() int64 { return o.late }

func (o *base) open(mem memory.Allocator) error {
	if o.opened {
		return fmt.Errorf("opening %s: already open", o.name)
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	o.mem, o.opened, o.wm = mem, true, minWM
	o.rows.init(mem, o.input)
	return nil
}

// checkBatch validates a ProcessBatch call.
func (o *base) checkBatch(input int, b arrow.RecordBatch) error {
	if input != 0 {
		return fmt.Errorf("processing %s batch: no input %d", o.name, input)
	}
	if !o.opened || o.closed || o.ended {
		return fmt.Errorf("processing %s batch: operator not open or input ended", o.name)
	}
	if int(b.NumCols()) != o.input.NumFields() {
		return fmt.Errorf("processing %s batch: got %d columns, want %d", o.name, b.NumCols(), o.input.NumFields())
	}
	return nil
}

// checkLive validates a call that needs an open operator.
func (o *base) checkLive(verb string) error {
	if !o.opened || o.closed {
		return fmt.Errorf("%s %s: operator not open", verb, o.name)
	}
	return nil
}

// sinkLate counts rows idx of b (the input batch) as late and passes them
// to the late sink.
func (o *base) sinkLate(b arrow.RecordBatch, idx []int32, reason string) error {
	if len(idx) == 0 {
		return nil
	}
	o.late += int64(len(idx))
	if o.sink == nil {
		return nil
	}
	lb, err := gatherBatch(o.mem, o.input, []arrow.RecordBatch{b}, nil, idx)
	if err != nil {
		return fmt.Errorf("dead-lettering late rows: %w", err)
	}
	if err := o.sink(lb, reason); err != nil {
		return fmt.Errorf("dead-lettering late rows: %w", err)
	}
	return nil
}

// timeColumn validates an event-time column index of s (-1 allowed when
// optional).
func timeColumn(s *arrow.Schema, col int, what string, optional bool) error {
	if col == -1 && optional {
		return nil
	}
	if col < 0 || col >= s.NumFields() {
		return fmt.Errorf("%s column %d out of range [0, %d)", what, col, s.NumFields())
	}
	if tt, ok := s.Field(col).Type.(*arrow.TimestampType); !ok || tt.Unit != arrow.Microsecond {
		return fmt.Errorf("%s column %d is %s, want TIMESTAMP", what, col, s.Field(col).Type)
	}
	return nil
}

// keyColumns validates key columns of s: in range and of a type the key
// encoding supports (operators.RowKeys).
func keyColumns(s *arrow.Schema, cols []int, what string) error {
	for _, c := range cols {
		if c < 0 || c >= s.NumFields() {
			return fmt.Errorf("%s column %d out of range [0, %d)", what, c, s.NumFields())
		}
		if dt := s.Field(c).Type; !operators.SupportedKeyType(dt) {
			return fmt.Errorf("%s column %d has type %s, which cannot be a key", what, c, dt)
		}
	}
	return nil
}

// emitChunks emits n output rows in batches of at most
// operators.BatchSize, each built by build(lo, hi).
func emitChunks(n int, build func(lo, hi int) (arrow.RecordBatch, error), emit operators.Emit) error {
	for lo := 0; lo < n; lo += operators.BatchSize {
		b, err := build(lo, min(lo+operators.BatchSize, n))
		if err != nil {
			return err
		}
		if err := emit(b); err != nil {
			return err
		}
	}
	return nil
}

// opArray makes an _op column: OpDelete where del is true, else OpInsert.
func opArray(mem memory.Allocator, del []bool) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(len(del))
	b.ReserveData(len(operators.OpDelete) * len(del))
	for _, x := range del {
		if x {
			b.Append(operators.OpDelete)
		} else {
			b.Append(operators.OpInsert)
		}
	}
	return b.NewArray()
}

// sortChanges orders Latest changes by the arrival of each key's new row.
func sortChanges(chg []change, entries []entry) {
	slices.SortFunc(chg, func(a, b change) int { return cmp.Compare(entries[a.e].seq, entries[b.e].seq) })
}
