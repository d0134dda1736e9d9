package file

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// value is one decoded field of the record being read. Readers decode a
// whole record into values first and append them only once the record is
// known to be well-formed, so a skipped record leaves no trace.
type value struct {
	set bool    // false: NULL
	i   int64   // BIGINT, INTEGER, TIMESTAMP, DATE, BOOLEAN (0/1)
	f   float64 // DOUBLE
	b   []byte  // VARCHAR, JSON (when str is not used)
	str string  // VARCHAR, JSON from CSV
	isS bool    // str holds the text
	iv  types.IntervalValue
}

// column accumulates one projected column of a batch.
type column struct {
	kind types.Kind
	b    array.Builder
	i64  *array.Int64Builder
	i32  *array.Int32Builder
	f64  *array.Float64Builder
	str  *strColumn // VARCHAR, JSON; b is nil
	bool *array.BooleanBuilder
	ts   *array.TimestampBuilder
	d32  *array.Date32Builder
	iv   *array.MonthDayNanoIntervalBuilder
}

func newColumn(mem memory.Allocator, kind types.Kind) column {
	c := column{kind: kind}
	switch kind {
	case types.Bigint:
		c.i64 = array.NewInt64Builder(mem)
		c.b = c.i64
	case types.Integer:
		c.i32 = array.NewInt32Builder(mem)
		c.b = c.i32
	case types.Double:
		c.f64 = array.NewFloat64Builder(mem)
		c.b = c.f64
	case types.Boolean:
		c.bool = array.NewBooleanBuilder(mem)
		c.b = c.bool
	case types.Timestamp:
		c.ts = array.NewTimestampBuilder(mem, types.TimestampType.ArrowType().(*arrow.TimestampType))
		c.b = c.ts
	case types.Date:
		c.d32 = array.NewDate32Builder(mem)
		c.b = c.d32
	case types.Interval:
		c.iv = array.NewMonthDayNanoIntervalBuilder(mem)
		c.b = c.iv
	default: // VARCHAR, JSON
		c.str = newStrColumn(mem)
	}
	return c
}

// reserve makes room for n more fixed-width values (a string column
// sizes itself).
func (c *column) reserve(n int) {
	if c.b != nil {
		c.b.Reserve(n)
	}
}

// append adds v; fixed-width builders were reserved for a whole batch.
func (c *column) append(v *value) {
	if !v.set {
		if c.str != nil {
			c.str.appendNull()
		} else {
			c.b.UnsafeAppendBoolToBitmap(false)
		}
		return
	}
	switch c.kind {
	case types.Bigint:
		c.i64.UnsafeAppend(v.i)
	case types.Integer:
		c.i32.UnsafeAppend(int32(v.i))
	case types.Double:
		c.f64.UnsafeAppend(v.f)
	case types.Boolean:
		c.bool.UnsafeAppend(v.i != 0)
	case types.Timestamp:
		c.ts.UnsafeAppend(arrow.Timestamp(v.i))
	case types.Date:
		c.d32.UnsafeAppend(arrow.Date32(v.i))
	case types.Interval:
		c.iv.Append(arrow.MonthDayNanoInterval{Months: v.iv.Months, Days: v.iv.Days, Nanoseconds: v.iv.Micros * 1000})
	default:
		if v.isS {
			appendStr(c.str, v.str)
		} else {
			appendStr(c.str, v.b)
		}
	}
}

// batchBuilder builds the batches of one scan: one column per distinct
// projected table column, assembled in request order.
type batchBuilder struct {
	schema *arrow.Schema // output schema
	cols   []column      // distinct projected columns
	out    []int         // output position → cols index
	vals   []value       // the record being decoded, one per cols entry
	slotOf []int         // table ordinal → cols index, -1 if not projected
	n      int           // rows in the current batch
	chunk  int           // rows reserved at a time (fixed-width appends are unchecked)
}

func newBatchBuilder(mem memory.Allocator, table, out *arrow.Schema, proj []int) *batchBuilder {
	bb := &batchBuilder{schema: out, out: make([]int, len(proj)), slotOf: make([]int, table.NumFields()), chunk: batchSize}
	for i := range bb.slotOf {
		bb.slotOf[i] = -1
	}
	for i, c := range proj {
		if bb.slotOf[c] < 0 {
			bb.slotOf[c] = len(bb.cols)
			bb.cols = append(bb.cols, newColumn(mem, kindOf(table.Field(c))))
		}
		bb.out[i] = bb.slotOf[c]
	}
	bb.vals = make([]value, len(bb.cols))
	return bb
}

// kindOf is the kind of the projected column in slot i.
func (bb *batchBuilder) kindOf(i int) types.Kind { return bb.cols[i].kind }

// reset marks every value of the record being decoded NULL. Decoders set
// the other fields a kind uses whenever they set a value.
func (bb *batchBuilder) reset() {
	for i := range bb.vals {
		bb.vals[i].set = false
	}
}

// commit appends the decoded record.
func (bb *batchBuilder) commit() {
	if bb.n%bb.chunk == 0 {
		for i := range bb.cols {
			bb.cols[i].reserve(bb.chunk)
		}
	}
	for i := range bb.cols {
		bb.cols[i].append(&bb.vals[i])
	}
	bb.n++
}

// flush returns the rows appended so far as a batch, nil if there are none.
func (bb *batchBuilder) flush() arrow.RecordBatch {
	if bb.n == 0 {
		return nil
	}
	arrs := make([]arrow.Array, len(bb.cols))
	for i := range bb.cols {
		if c := &bb.cols[i]; c.str != nil {
			arrs[i] = c.str.flush()
		} else {
			arrs[i] = c.b.NewArray()
		}
	}
	cols := make([]arrow.Array, len(bb.out))
	for i, s := range bb.out {
		cols[i] = arrs[s]
	}
	rec := array.NewRecordBatch(bb.schema, cols, int64(bb.n))
	for _, a := range arrs {
		a.Release()
	}
	bb.n = 0
	return rec
}

func (bb *batchBuilder) release() {
	for i := range bb.cols {
		if c := &bb.cols[i]; c.str != nil {
			c.str.release()
		} else {
			c.b.Release()
		}
	}
	bb.cols = nil
}
