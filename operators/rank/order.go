package rank

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
)

// orderKeys holds the ORDER BY keys and arrival of TopN's kept rows, in
// slots: slot 0 is the probe (the batch row being considered), slot id+1
// the kept row id. Rows order by the keys, then by arrival (stable), with
// the semantics of operators.Sort: NULLs placed by NullsFirst whatever the
// direction, NaN above every number, -0 equal to 0.
type orderKeys struct {
	cols []orderCol
	seq  []int64 // by slot
}

type orderKind uint8

const (
	orderNull   orderKind = iota // every value is NULL
	orderInt                     // integers, timestamps, dates, booleans, intervals: as int64
	orderFloat                   // float64
	orderString                  // string
)

type orderCol struct {
	kind       orderKind
	col        int
	desc       bool
	nullsFirst bool

	// The batch being processed.
	arr   arrow.Array
	own   []int64 // bInts when converted rather than aliased
	bInts []int64
	bFlts []float64
	bStrs *array.String

	// By slot.
	ints  []int64
	flts  []float64
	strs  []string
	nulls []bool
}

func newOrderKeys(s *arrow.Schema, keys []operators.SortKey) (orderKeys, error) {
	o := orderKeys{seq: make([]int64, 1)}
	for _, k := range keys {
		if k.Col < 0 || k.Col >= s.NumFields() {
			return o, fmt.Errorf("order column %d out of range [0, %d)", k.Col, s.NumFields())
		}
		c := orderCol{col: k.Col, desc: k.Desc, nullsFirst: k.NullsFirst, nulls: make([]bool, 1)}
		switch dt := s.Field(k.Col).Type; dt.ID() {
		case arrow.NULL:
			c.kind = orderNull
		case arrow.INT32, arrow.INT64, arrow.TIMESTAMP, arrow.DATE32, arrow.BOOL, arrow.INTERVAL_MONTH_DAY_NANO:
			c.kind, c.ints = orderInt, make([]int64, 1)
		case arrow.FLOAT64:
			c.kind, c.flts = orderFloat, make([]float64, 1)
		case arrow.STRING:
			c.kind, c.strs = orderString, make([]string, 1)
		default:
			return o, fmt.Errorf("order column %d has type %s, which cannot be sorted", k.Col, dt)
		}
		o.cols = append(o.cols, c)
	}
	return o, nil
}

// load makes the keys of b (borrowed, for the duration of its
// processing) available to probe.
func (o *orderKeys) load(b arrow.RecordBatch) error {
	for k := range o.cols {
		c := &o.cols[k]
		c.arr = b.Column(c.col)
		var ok bool
		switch c.kind {
		case orderInt:
			if a, isInt64 := c.arr.(*array.Int64); isInt64 {
				c.bInts, ok = a.Int64Values(), true
			} else {
				c.own, ok = intValues(c.arr, c.own[:0])
				c.bInts = c.own
			}
		case orderFloat:
			var a *array.Float64
			if a, ok = c.arr.(*array.Float64); ok {
				c.bFlts = a.Float64Values()
			}
		case orderString:
			c.bStrs, ok = c.arr.(*array.String)
		case orderNull:
			ok = true
		}
		if !ok {
			return fmt.Errorf("reading order column %d: type %s differs from the schema", c.col, c.arr.DataType())
		}
	}
	return nil
}

// intValues reads an integer-like array other than BIGINT as int64s,
// appending to buf.
func intValues(a arrow.Array, buf []int64) ([]int64, bool) {
	switch a := a.(type) {
	case *array.Int32:
		for _, v := range a.Int32Values() {
			buf = append(buf, int64(v))
		}
	case *array.Timestamp:
		for _, v := range a.TimestampValues() {
			buf = append(buf, int64(v))
		}
	case *array.Date32:
		for _, v := range a.Date32Values() {
			buf = append(buf, int64(v))
		}
	case *array.Boolean:
		for i := range a.Len() {
			var v int64
			if a.Value(i) {
				v = 1
			}
			buf = append(buf, v)
		}
	case *array.MonthDayNanoInterval:
		// Postgres orders intervals by their span with 30-day months.
		const day = 86_400_000_000
		for _, v := range a.MonthDayNanoIntervalValues() {
			buf = append(buf, int64(v.Months)*30*day+int64(v.Days)*day+v.Nanoseconds/1000)
		}
	default:
		return buf, false
	}
	return buf, true
}

// probe puts row i of the loaded batch, arrived as seq, in slot 0.
func (o *orderKeys) probe(i int, seq int64) {
	o.seq[0] = seq
	for k := range o.cols {
		c := &o.cols[k]
		if c.nulls[0] = c.kind == orderNull || c.arr.IsNull(i); c.nulls[0] {
			continue
		}
		switch c.kind {
		case orderInt:
			c.ints[0] = c.bInts[i]
		case orderFloat:
			c.flts[0] = c.bFlts[i]
		case orderString:
			c.strs[0] = c.bStrs.Value(i) // aliases the batch: keep copies
		}
	}
}

// keep copies the probe into the slot of row id.
func (o *orderKeys) keep(id int32) {
	s := int(id) + 1
	if s >= len(o.seq) {
		n := max(2*len(o.seq), s+1)
		o.seq = grow(o.seq, n)
		for k := range o.cols {
			c := &o.cols[k]
			c.nulls = grow(c.nulls, n)
			switch c.kind {
			case orderInt:
				c.ints = grow(c.ints, n)
			case orderFloat:
				c.flts = grow(c.flts, n)
			case orderString:
				c.strs = grow(c.strs, n)
			}
		}
	}
	o.seq[s] = o.seq[0]
	for k := range o.cols {
		c := &o.cols[k]
		c.nulls[s] = c.nulls[0]
		switch c.kind {
		case orderInt:
			c.ints[s] = c.ints[0]
		case orderFloat:
			c.flts[s] = c.flts[0]
		case orderString:
			c.strs[s] = strings.Clone(c.strs[0])
		}
	}
}

// drop forgets the slot of row id (so its strings can be collected).
func (o *orderKeys) drop(id int32) {
	for k := range o.cols {
		if c := &o.cols[k]; c.kind == orderString {
			c.strs[id+1] = ""
		}
	}
}

// compare orders slots a and b: keys, then arrival.
func (o *orderKeys) compare(a, b int) int {
	for k := range o.cols {
		if r := o.cols[k].compare(a, b); r != 0 {
			return r
		}
	}
	return cmp.Compare(o.seq[a], o.seq[b])
}

func (c *orderCol) compare(a, b int) int {
	na, nb := c.nulls[a], c.nulls[b]
	if na || nb {
		switch {
		case na && nb:
			return 0
		case na == c.nullsFirst:
			return -1
		}
		return 1
	}
	var r int
	switch c.kind {
	case orderInt:
		r = cmp.Compare(c.ints[a], c.ints[b])
	case orderFloat:
		r = compareFloat(c.flts[a], c.flts[b])
	case orderString:
		r = strings.Compare(c.strs[a], c.strs[b])
	}
	if c.desc {
		return -r
	}
	return r
}

// compareFloat orders floats as Postgres does: NaN equals NaN and sorts
// after every number; -0 equals 0.
func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	an, bn := a != a, b != b
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	}
	return -1
}

// grow returns s extended to at least length n, keeping its contents;
// its capacity at least doubles when it must grow.
func grow[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		return s[:n]
	}
	g := make([]T, n, max(n, 2*cap(s)))
	copy(g, s)
	return g
}
