package agg

import (
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// newDistinct wraps inner (count, sum or avg) so it sees each distinct
// non-NULL value of its argument, of type t, once per group.
func newDistinct(inner accumulator, t types.Type) (accumulator, error) {
	switch t.Kind {
	case types.Null:
		d := newDistinctOf(inner, arrow.Null, boolValues, hashBool)
		d.build = func(_ memory.Allocator, keys []bool) (arrow.Array, error) { return array.NewNull(len(keys)), nil }
		return d, nil
	case types.Boolean:
		return newDistinctOf(inner, arrow.FixedWidthTypes.Boolean, boolValues, hashBool), nil
	case types.Integer:
		return newDistinctOf(inner, arrow.PrimitiveTypes.Int32, int32Values, hashInteger[int32]), nil
	case types.Bigint:
		return newDistinctOf(inner, arrow.PrimitiveTypes.Int64, int64Values, hashInteger[int64]), nil
	case types.Double:
		d := newDistinctOf(inner, arrow.PrimitiveTypes.Float64, floatKeys, hashInteger[uint64])
		d.build = buildFloats
		return d, nil
	case types.Varchar, types.JSON:
		seed := maphash.MakeSeed()
		d := newDistinctOf(inner, arrow.BinaryTypes.String, stringValues, func(s string) uint64 { return maphash.String(seed, s) })
		d.clone = strings.Clone
		return d, nil
	case types.Timestamp:
		return newDistinctOf(inner, t.ArrowType(), timestampValues, hashInteger[arrow.Timestamp]), nil
	case types.Date:
		return newDistinctOf(inner, arrow.FixedWidthTypes.Date32, date32Values, hashInteger[arrow.Date32]), nil
	case types.Interval:
		return newDistinctOf(inner, arrow.FixedWidthTypes.MonthDayNanoInterval, intervalValues, hashInterval), nil
	}
	return nil, fmt.Errorf("type %s is not supported", t)
}

func newDistinctOf[K comparable](inner accumulator, dt arrow.DataType, keys valuesFunc[K], hash func(K) uint64) *distinct[K] {
	return &distinct[K]{inner: inner, dt: dt, keys: keys, set: pairSet[K]{hash: hash},
		build: func(mem memory.Allocator, keys []K) (arrow.Array, error) { return buildArray(mem, dt, keys, nil) }}
}

func hashInteger[K ~int32 | ~int64 | ~uint64](k K) uint64 { return uint64(k) }

func hashBool(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func hashInterval(v arrow.MonthDayNanoInterval) uint64 {
	return (uint64(uint32(v.Months))<<32 | uint64(uint32(v.Days))) ^ uint64(v.Nanoseconds)*0xC2B2AE3D27D4EB4F
}

// floatKeys maps doubles to keys equal exactly when the values are equal
// for DISTINCT: -0 equals 0 and all NaNs are one value.
func floatKeys(a arrow.Array, buf []uint64) ([]uint64, bool) {
	vals, ok := float64Values(a, nil)
	if !ok {
		return nil, false
	}
	if cap(buf) < len(vals) {
		buf = make([]uint64, len(vals))
	}
	buf = buf[:len(vals)]
	for i, f := range vals {
		switch {
		case f == 0:
			buf[i] = 0
		case f != f:
			buf[i] = 0x7ff8000000000001
		default:
			buf[i] = math.Float64bits(f)
		}
	}
	return buf, true
}

func buildFloats(mem memory.Allocator, keys []uint64) (arrow.Array, error) {
	f := make([]float64, len(keys))
	for i, k := range keys {
		f[i] = math.Float64frombits(k)
	}
	return buildArray(mem, arrow.PrimitiveTypes.Float64, f, nil)
}

// pairSet is a set of (group, key) pairs: an open-addressing hash table
// with linear probing, at most half full.
type pairSet[K comparable] struct {
	slots []pairSlot[K]
	shift uint // slot of hash h is h >> shift
	len   int
	hash  func(K) uint64
}

type pairSlot[K comparable] struct {
	key   K
	group uint32 // group + 1; 0 marks an empty slot
}

// insert adds (g, k) and reports whether it was new, with its slot.
func (s *pairSet[K]) insert(g uint32, k K) (*pairSlot[K], bool) {
	if 2*(s.len+1) > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	p := pairHash(g, s.hash(k)) >> s.shift
	for {
		sl := &s.slots[p]
		if sl.group == 0 {
			sl.key, sl.group = k, g+1
			s.len++
			return sl, true
		}
		if sl.group == g+1 && sl.key == k {
			return sl, false
		}
		p = (p + 1) & mask
	}
}

func pairHash(g uint32, h uint64) uint64 {
	return (h ^ uint64(g)*0xC2B2AE3D27D4EB4F) * 0x9E3779B97F4A7C15
}

func (s *pairSet[K]) grow() {
	old := s.slots
	n := 2 * len(old)
	if n < 1024 {
		n = 1024
	}
	s.slots = make([]pairSlot[K], n)
	s.shift = uint(64 - bits.TrailingZeros(uint(n)))
	mask := uint64(n - 1)
	for _, sl := range old {
		if sl.group == 0 {
			continue
		}
		p := pairHash(sl.group-1, s.hash(sl.key)) >> s.shift
		for s.slots[p].group != 0 {
			p = (p + 1) & mask
		}
		s.slots[p] = sl
	}
}

// distinct feeds inner only the rows whose (group, value) it has not seen.
// State: the set of values of each group, as list<argument type>.
type distinct[K comparable] struct {
	base
	inner  accumulator
	dt     arrow.DataType
	keys   valuesFunc[K]
	build  func(memory.Allocator, []K) (arrow.Array, error)
	clone  func(K) K // copies keys aliasing an input buffer; nil if none do
	set    pairSet[K]
	buf    []K
	first  []bool
	expand []uint32
}

func (d *distinct[K]) Grow(n int) { d.inner.Grow(n) }
func (d *distinct[K]) Len() int   { return d.inner.Len() }

func (d *distinct[K]) Release() {
	d.inner.Release()
	d.set.slots, d.buf, d.scratch, d.first, d.expand = nil, nil, nil, nil, nil
}

func (d *distinct[K]) StateTypes() []arrow.DataType { return []arrow.DataType{arrow.ListOf(d.dt)} }

func (d *distinct[K]) update(groups []uint32, args []arrow.Array, mask []bool) error {
	first, err := d.dedupe(groups, args[0], mask)
	if err != nil {
		return err
	}
	return d.inner.update(groups, args, first)
}

// dedupe returns which rows selected by mask (nil: all) hold a value not
// seen before in their group, and records those values.
func (d *distinct[K]) dedupe(groups []uint32, arg arrow.Array, mask []bool) ([]bool, error) {
	n := len(groups)
	if cap(d.first) < n {
		d.first = make([]bool, n)
	}
	first := d.first[:n]
	if arg.DataType().ID() == arrow.NULL {
		clear(first)
		return first, nil
	}
	keys, ok := d.keys(arg, d.buf)
	if !ok {
		return nil, argError("updating", d.dt.String(), arg)
	}
	d.buf = keys
	if d.clone != nil {
		defer clear(keys) // drop references to the input's buffer
	}
	keys = keys[:n]
	for i, g := range groups {
		first[i] = false
		if mask != nil && !mask[i] {
			continue
		}
		sl, isNew := d.set.insert(g, keys[i])
		if !isNew {
			continue
		}
		if d.clone != nil {
			sl.key = d.clone(sl.key)
		}
		first[i] = true
	}
	return first, nil
}

func (d *distinct[K]) State(mem memory.Allocator) ([]arrow.Array, error) {
	ng := d.Len()
	offs := make([]int32, ng+1)
	for _, sl := range d.set.slots {
		if sl.group != 0 {
			offs[sl.group]++
		}
	}
	for g := 0; g < ng; g++ {
		offs[g+1] += offs[g]
	}
	keys := make([]K, d.set.len)
	pos := make([]int32, ng)
	copy(pos, offs[:ng])
	for _, sl := range d.set.slots {
		if g := sl.group; g != 0 {
			keys[pos[g-1]] = sl.key
			pos[g-1]++
		}
	}
	child, err := d.build(mem, keys)
	if err != nil {
		return nil, fmt.Errorf("building DISTINCT state: %w", err)
	}
	defer child.Release()
	ob := memory.NewResizableBuffer(mem)
	defer ob.Release()
	ob.Resize(arrow.Int32Traits.BytesRequired(ng + 1))
	copy(arrow.Int32Traits.CastFromBytes(ob.Bytes()), offs)
	data := array.NewData(arrow.ListOf(d.dt), ng, []*memory.Buffer{nil, ob}, []arrow.ArrayData{child.Data()}, 0, 0)
	defer data.Release()
	return []arrow.Array{array.NewListData(data)}, nil
}

func (d *distinct[K]) Merge(groups []uint32, state []arrow.Array) error {
	if len(state) != 1 {
		return stateCountError(len(state), 1)
	}
	l, ok := state[0].(*array.List)
	if !ok || !arrow.TypeEqual(l.ListValues().DataType(), d.dt) {
		return argError("merging", arrow.ListOf(d.dt).String(), state[0])
	}
	n := l.Len()
	if n != len(groups) {
		return fmt.Errorf("merging aggregate (DISTINCT): state has %d rows, want %d", n, len(groups))
	}
	if err := checkGroups(groups, d.Len()); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	lo, _ := l.ValueOffsets(0)
	_, hi := l.ValueOffsets(n - 1)
	child := array.NewSlice(l.ListValues(), lo, hi)
	defer child.Release()
	m := int(hi - lo)
	d.expand = grow(d.expand[:0], m)
	sel := make([]bool, m)
	for i, g := range groups {
		b, e := l.ValueOffsets(i)
		valid := l.IsValid(i)
		for j := b - lo; j < e-lo; j++ {
			d.expand[j] = g
			sel[j] = valid && child.IsValid(int(j))
		}
	}
	args := []arrow.Array{child}
	first, err := d.dedupe(d.expand, child, sel)
	if err != nil {
		return fmt.Errorf("merging aggregate state: %w", err)
	}
	return d.inner.update(d.expand, args, first)
}

func (d *distinct[K]) Finalize(mem memory.Allocator) (arrow.Array, error) {
	return d.inner.Finalize(mem)
}
