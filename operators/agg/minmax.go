package agg

import (
	"cmp"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// newMinMax returns MIN (or MAX when max) for arguments of type t, or nil
// when t is not supported.
func newMinMax(t types.Type, max bool) accumulator {
	switch t.Kind {
	case types.Integer:
		return &minMax[int32]{max: max, dt: arrow.PrimitiveTypes.Int32, values: int32Values}
	case types.Bigint:
		return &minMax[int64]{max: max, dt: arrow.PrimitiveTypes.Int64, values: int64Values}
	case types.Double:
		return &minMax[float64]{max: max, dt: arrow.PrimitiveTypes.Float64, values: float64Values}
	case types.Timestamp:
		return &minMax[arrow.Timestamp]{max: max, dt: t.ArrowType(), values: timestampValues}
	case types.Date:
		return &minMax[arrow.Date32]{max: max, dt: arrow.FixedWidthTypes.Date32, values: date32Values}
	case types.Varchar, types.JSON:
		return &minMax[string]{max: max, dt: arrow.BinaryTypes.String, values: stringValues, clone: strings.Clone}
	case types.Boolean:
		return &minMaxFunc[bool]{max: max, dt: arrow.FixedWidthTypes.Boolean, values: boolValues, less: lessBool}
	case types.Interval:
		return &minMaxFunc[arrow.MonthDayNanoInterval]{max: max, dt: arrow.FixedWidthTypes.MonthDayNanoInterval, values: intervalValues, less: lessInterval}
	}
	return nil
}

// minMax is MIN or MAX of an ordered type. DOUBLE orders NaN above every
// other value, as Postgres does. State: the extreme value (NULL when no
// input).
type minMax[T cmp.Ordered] struct {
	nullable[T]
	max    bool
	dt     arrow.DataType
	values valuesFunc[T]
	clone  func(T) T // copies a value aliasing an input buffer; nil if none do
	buf    []T
}

func (m *minMax[T]) StateTypes() []arrow.DataType { return []arrow.DataType{m.dt} }

func (m *minMax[T]) update(groups []uint32, args []arrow.Array, mask []bool) error {
	vals, ok := m.values(args[0], m.buf)
	if !ok {
		return argError("updating", m.dt.String(), args[0])
	}
	if m.clone != nil {
		m.buf = vals
		defer clear(vals) // drop references to the input's buffer
	}
	vals = vals[:len(groups)]
	if mask != nil {
		mask = mask[:len(groups)]
	}
	cur, has := m.vals, m.has
	if m.max {
		for i, g := range groups {
			if mask != nil && !mask[i] {
				continue
			}
			v, c := vals[i], cur[g]
			// v > c, with NaN (v != v) greatest.
			if !has[g] || v > c || (v != v && c == c) {
				if m.clone != nil {
					v = m.clone(v)
				}
				cur[g], has[g] = v, true
			}
		}
		return nil
	}
	for i, g := range groups {
		if mask != nil && !mask[i] {
			continue
		}
		v, c := vals[i], cur[g]
		if !has[g] || v < c || (c != c && v == v) {
			if m.clone != nil {
				v = m.clone(v)
			}
			cur[g], has[g] = v, true
		}
	}
	return nil
}

func (m *minMax[T]) State(mem memory.Allocator) ([]arrow.Array, error) { return stateOf(m, mem) }
func (m *minMax[T]) Merge(groups []uint32, state []arrow.Array) error {
	return mergeSelf(m, &m.scratch, groups, state)
}
func (m *minMax[T]) Finalize(mem memory.Allocator) (arrow.Array, error) {
	return m.finalize(mem, m.dt)
}

// minMaxFunc is MIN or MAX of a type ordered by a less function.
type minMaxFunc[T any] struct {
	nullable[T]
	max    bool
	dt     arrow.DataType
	values valuesFunc[T]
	less   func(a, b T) bool
	buf    []T
}

func (m *minMaxFunc[T]) StateTypes() []arrow.DataType { return []arrow.DataType{m.dt} }

func (m *minMaxFunc[T]) update(groups []uint32, args []arrow.Array, mask []bool) error {
	vals, ok := m.values(args[0], m.buf)
	if !ok {
		return argError("updating", m.dt.String(), args[0])
	}
	m.buf = vals[:0]
	vals = vals[:len(groups)]
	cur, has := m.vals, m.has
	for i, g := range groups {
		if mask != nil && !mask[i] {
			continue
		}
		v := vals[i]
		if !has[g] {
			cur[g], has[g] = v, true
			continue
		}
		if m.max && m.less(cur[g], v) || !m.max && m.less(v, cur[g]) {
			cur[g] = v
		}
	}
	return nil
}

func (m *minMaxFunc[T]) State(mem memory.Allocator) ([]arrow.Array, error) { return stateOf(m, mem) }
func (m *minMaxFunc[T]) Merge(groups []uint32, state []arrow.Array) error {
	return mergeSelf(m, &m.scratch, groups, state)
}
func (m *minMaxFunc[T]) Finalize(mem memory.Allocator) (arrow.Array, error) {
	return m.finalize(mem, m.dt)
}

func lessBool(a, b bool) bool { return !a && b }

// lessInterval orders intervals as Postgres does: by their length with a
// month taken as 30 days and a day as 24 hours.
func lessInterval(a, b arrow.MonthDayNanoInterval) bool {
	ad, an := intervalKey(a)
	bd, bn := intervalKey(b)
	return ad < bd || ad == bd && an < bn
}

func intervalKey(v arrow.MonthDayNanoInterval) (days, nanos int64) {
	const day = 86400e9
	days = int64(v.Months)*30 + int64(v.Days) + v.Nanoseconds/day
	nanos = v.Nanoseconds % day
	if nanos < 0 {
		nanos += day
		days--
	}
	return days, nanos
}

func (m *minMax[T]) updateOne(g uint32, n int, args []arrow.Array, mask []bool) error {
	vals, ok := m.values(args[0], m.buf)
	if !ok {
		return argError("updating", m.dt.String(), args[0])
	}
	if m.clone != nil {
		m.buf = vals
		defer clear(vals) // drop references to the input's buffer
	}
	vals = vals[:n]
	if mask != nil {
		mask = mask[:n]
	}
	c, has, changed := m.vals[g], m.has[g], false
	for i, v := range vals {
		if mask != nil && !mask[i] {
			continue
		}
		// max: v > c; min: v < c; NaN (v != v) is the greatest value.
		if !has || m.max && (v > c || (v != v && c == c)) || !m.max && (v < c || (c != c && v == v)) {
			c, has, changed = v, true, true
		}
	}
	if changed {
		if m.clone != nil {
			c = m.clone(c)
		}
		m.vals[g], m.has[g] = c, true
	}
	return nil
}
