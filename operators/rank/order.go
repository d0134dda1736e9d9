package rank

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/expr"
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

type orderCol struct {
	kind       operators.SortKind
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
		dt := s.Field(k.Col).Type
		kind, err := operators.SortKindOf(dt)
		if err != nil {
			return o, fmt.Errorf("order column %d has type %s, which cannot be sorted", k.Col, dt)
		}
		c := orderCol{kind: kind, col: k.Col, desc: k.Desc, nullsFirst: k.NullsFirst, nulls: make([]bool, 1)}
		switch kind {
		case operators.SortKindInt:
			c.ints = make([]int64, 1)
		case operators.SortKindFloat:
			c.flts = make([]float64, 1)
		case operators.SortKindString:
			c.strs = make([]string, 1)
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
		case operators.SortKindInt:
			if a, isInt64 := c.arr.(*array.Int64); isInt64 {
				c.bInts, ok = a.Int64Values(), true
			} else {
				c.own, ok = operators.AppendInt64s(c.own[:0], c.arr)
				c.bInts = c.own
			}
		case operators.SortKindFloat:
			var a *array.Float64
			if a, ok = c.arr.(*array.Float64); ok {
				c.bFlts = a.Float64Values()
			}
		case operators.SortKindString:
			c.bStrs, ok = c.arr.(*array.String)
		case operators.SortKindNull:
			ok = true
		}
		if !ok {
			return fmt.Errorf("reading order column %d: type %s differs from the schema", c.col, c.arr.DataType())
		}
	}
	return nil
}

// probe puts row i of the loaded batch, arrived as seq, in slot 0.
func (o *orderKeys) probe(i int, seq int64) {
	o.seq[0] = seq
	for k := range o.cols {
		c := &o.cols[k]
		if c.nulls[0] = c.kind == operators.SortKindNull || c.arr.IsNull(i); c.nulls[0] {
			continue
		}
		switch c.kind {
		case operators.SortKindInt:
			c.ints[0] = c.bInts[i]
		case operators.SortKindFloat:
			c.flts[0] = c.bFlts[i]
		case operators.SortKindString:
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
			case operators.SortKindInt:
				c.ints = grow(c.ints, n)
			case operators.SortKindFloat:
				c.flts = grow(c.flts, n)
			case operators.SortKindString:
				c.strs = grow(c.strs, n)
			}
		}
	}
	o.seq[s] = o.seq[0]
	for k := range o.cols {
		c := &o.cols[k]
		c.nulls[s] = c.nulls[0]
		switch c.kind {
		case operators.SortKindInt:
			c.ints[s] = c.ints[0]
		case operators.SortKindFloat:
			c.flts[s] = c.flts[0]
		case operators.SortKindString:
			c.strs[s] = strings.Clone(c.strs[0])
		}
	}
}

// drop forgets the slot of row id (so its strings can be collected).
func (o *orderKeys) drop(id int32) {
	for k := range o.cols {
		if c := &o.cols[k]; c.kind == operators.SortKindString {
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
	if na, nb := c.nulls[a], c.nulls[b]; na || nb {
		return operators.CompareNulls(na, nb, c.nullsFirst)
	}
	var r int
	switch c.kind {
	case operators.SortKindInt:
		r = cmp.Compare(c.ints[a], c.ints[b])
	case operators.SortKindFloat:
		r = expr.CompareFloat(c.flts[a], c.flts[b])
	case operators.SortKindString:
		r = strings.Compare(c.strs[a], c.strs[b])
	}
	if c.desc {
		return -r
	}
	return r
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
