package agg

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var (
	errBigintRange   = errors.New("bigint out of range")
	errIntervalRange = errors.New("interval out of range")
)

// nullable is the state shared by sum, min and max: a value per group and
// whether the group has seen a non-NULL input. The two are kept apart
// (not as one slice of structs): the compact has slice stays cached, and
// the smaller footprint of vals beats touching one cache line per update
// when there are millions of groups.
type nullable[T any] struct {
	base
	vals []T
	has  []bool
}

func (s *nullable[T]) Grow(n int) {
	s.vals = grow(s.vals, n)
	s.has = grow(s.has, n)
}

func (s *nullable[T]) Len() int { return len(s.vals) }
func (s *nullable[T]) Release() { s.vals, s.has, s.scratch = nil, nil, nil }

func (s *nullable[T]) finalize(mem memory.Allocator, dt arrow.DataType) (arrow.Array, error) {
	return buildArray(mem, dt, s.vals, s.has)
}

// mergeSelf implements Merge for an accumulator whose state is its result
// column: merging is updating with the state as argument.
func mergeSelf(a accumulator, scratch *[]bool, groups []uint32, state []arrow.Array) error {
	if len(state) != 1 {
		return stateCountError(len(state), 1)
	}
	if err := updateVia(a, scratch, groups, state, nil); err != nil {
		return fmt.Errorf("merging aggregate state: %w", err)
	}
	return nil
}

// sumInt is SUM of INTEGER or BIGINT, in int64 with overflow detection.
// State: the sum (BIGINT, NULL when no input).
type sumInt struct{ nullable[int64] }

func (s *sumInt) StateTypes() []arrow.DataType {
	return []arrow.DataType{arrow.PrimitiveTypes.Int64}
}

func (s *sumInt) update(groups []uint32, args []arrow.Array, mask []bool) error {
	var ovf bool
	if v, ok := int64Values(args[0], nil); ok {
		ovf = addInts(s.vals, s.has, groups, v, mask)
	} else if v, ok := int32Values(args[0], nil); ok {
		ovf = addInts(s.vals, s.has, groups, v, mask)
	} else {
		return argError("updating", "int32 or int64", args[0])
	}
	if ovf {
		return fmt.Errorf("computing sum: %w", errBigintRange)
	}
	return nil
}

// addInts adds vals[i] to sums[groups[i]] for the rows in mask (nil: all)
// and reports whether some addition overflowed.
func addInts[T int32 | int64](sums []int64, has []bool, groups []uint32, vals []T, mask []bool) bool {
	vals = vals[:len(groups)]
	var ovf int64
	if mask == nil {
		for i, g := range groups {
			v := int64(vals[i])
			s := sums[g]
			r := s + v
			ovf |= (s ^ r) & (v ^ r)
			sums[g] = r
			has[g] = true
		}
		return ovf < 0
	}
	mask = mask[:len(groups)]
	for i, g := range groups {
		if !mask[i] {
			continue
		}
		v := int64(vals[i])
		s := sums[g]
		r := s + v
		ovf |= (s ^ r) & (v ^ r)
		sums[g] = r
		has[g] = true
	}
	return ovf < 0
}

func (s *sumInt) State(mem memory.Allocator) ([]arrow.Array, error) { return stateOf(s, mem) }
func (s *sumInt) Merge(groups []uint32, state []arrow.Array) error {
	return mergeSelf(s, &s.scratch, groups, state)
}
func (s *sumInt) Finalize(mem memory.Allocator) (arrow.Array, error) {
	return s.finalize(mem, arrow.PrimitiveTypes.Int64)
}

// stateOf implements State for an accumulator whose state is its result.
func stateOf(a Accumulator, mem memory.Allocator) ([]arrow.Array, error) {
	r, err := a.Finalize(mem)
	if err != nil {
		return nil, err
	}
	return []arrow.Array{r}, nil
}

// sumFloat is SUM of DOUBLE. State: the sum (DOUBLE, NULL when no input).
type sumFloat struct{ nullable[float64] }

func (s *sumFloat) StateTypes() []arrow.DataType {
	return []arrow.DataType{arrow.PrimitiveTypes.Float64}
}

func (s *sumFloat) update(groups []uint32, args []arrow.Array, mask []bool) error {
	vals, ok := float64Values(args[0], nil)
	if !ok {
		return argError("updating", "float64", args[0])
	}
	vals = vals[:len(groups)]
	sums, has := s.vals, s.has
	if mask == nil {
		for i, g := range groups {
			sums[g] += vals[i]
			has[g] = true
		}
		return nil
	}
	mask = mask[:len(groups)]
	for i, g := range groups {
		if mask[i] {
			sums[g] += vals[i]
			has[g] = true
		}
	}
	return nil
}

func (s *sumFloat) State(mem memory.Allocator) ([]arrow.Array, error) { return stateOf(s, mem) }
func (s *sumFloat) Merge(groups []uint32, state []arrow.Array) error {
	return mergeSelf(s, &s.scratch, groups, state)
}
func (s *sumFloat) Finalize(mem memory.Allocator) (arrow.Array, error) {
	return s.finalize(mem, arrow.PrimitiveTypes.Float64)
}

// sumInterval is SUM of INTERVAL, adding months, days and nanoseconds
// separately as Postgres does. State: the sum (INTERVAL, NULL when no
// input).
type sumInterval struct {
	nullable[arrow.MonthDayNanoInterval]
}

func (s *sumInterval) StateTypes() []arrow.DataType {
	return []arrow.DataType{arrow.FixedWidthTypes.MonthDayNanoInterval}
}

func (s *sumInterval) update(groups []uint32, args []arrow.Array, mask []bool) error {
	vals, ok := intervalValues(args[0], nil)
	if !ok {
		return argError("updating", "month_day_nano_interval", args[0])
	}
	vals = vals[:len(groups)]
	var ovf32 int32
	var ovf64 int64
	for i, g := range groups {
		if mask != nil && !mask[i] {
			continue
		}
		v, a := vals[i], s.vals[g]
		r := arrow.MonthDayNanoInterval{Months: a.Months + v.Months, Days: a.Days + v.Days, Nanoseconds: a.Nanoseconds + v.Nanoseconds}
		ovf32 |= (a.Months^r.Months)&(v.Months^r.Months) | (a.Days^r.Days)&(v.Days^r.Days)
		ovf64 |= (a.Nanoseconds ^ r.Nanoseconds) & (v.Nanoseconds ^ r.Nanoseconds)
		s.vals[g] = r
		s.has[g] = true
	}
	if ovf32 < 0 || ovf64 < 0 {
		return fmt.Errorf("computing sum: %w", errIntervalRange)
	}
	return nil
}

func (s *sumInterval) State(mem memory.Allocator) ([]arrow.Array, error) { return stateOf(s, mem) }
func (s *sumInterval) Merge(groups []uint32, state []arrow.Array) error {
	return mergeSelf(s, &s.scratch, groups, state)
}
func (s *sumInterval) Finalize(mem memory.Allocator) (arrow.Array, error) {
	return s.finalize(mem, arrow.FixedWidthTypes.MonthDayNanoInterval)
}

// avg is AVG of INTEGER, BIGINT or DOUBLE, accumulated in float64.
// State: (sum DOUBLE, count BIGINT), never NULL. A group's sum and count
// sit side by side so that an update touches one cache line.
type avg[T int32 | int64 | float64] struct {
	base
	values valuesFunc[T]
	st     []avgState
}

type avgState struct {
	sum float64
	n   int64
}

func (a *avg[T]) Grow(n int) { a.st = grow(a.st, n) }
func (a *avg[T]) Len() int   { return len(a.st) }
func (a *avg[T]) Release()   { a.st, a.scratch = nil, nil }

func (a *avg[T]) StateTypes() []arrow.DataType {
	return []arrow.DataType{arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int64}
}

func (a *avg[T]) update(groups []uint32, args []arrow.Array, mask []bool) error {
	vals, ok := a.values(args[0], nil)
	if !ok {
		return argError("updating", "a numeric array", args[0])
	}
	vals = vals[:len(groups)]
	st := a.st
	if mask == nil {
		for i, g := range groups {
			s := &st[g]
			s.sum += float64(vals[i])
			s.n++
		}
		return nil
	}
	mask = mask[:len(groups)]
	for i, g := range groups {
		if mask[i] {
			s := &st[g]
			s.sum += float64(vals[i])
			s.n++
		}
	}
	return nil
}

func (a *avg[T]) State(mem memory.Allocator) ([]arrow.Array, error) {
	sums := make([]float64, len(a.st))
	counts := make([]int64, len(a.st))
	for g, s := range a.st {
		sums[g], counts[g] = s.sum, s.n
	}
	s, err := buildArray(mem, arrow.PrimitiveTypes.Float64, sums, nil)
	if err != nil {
		return nil, err
	}
	c, err := buildArray(mem, arrow.PrimitiveTypes.Int64, counts, nil)
	if err != nil {
		s.Release()
		return nil, err
	}
	return []arrow.Array{s, c}, nil
}

func (a *avg[T]) Merge(groups []uint32, state []arrow.Array) error {
	if len(state) != 2 {
		return stateCountError(len(state), 2)
	}
	s, ok1 := state[0].(*array.Float64)
	c, ok2 := state[1].(*array.Int64)
	if !ok1 || !ok2 {
		return fmt.Errorf("merging aggregate avg: state is (%s, %s), want (float64, int64)", state[0].DataType(), state[1].DataType())
	}
	if s.Len() != len(groups) || c.Len() != len(groups) {
		return fmt.Errorf("merging aggregate avg: state has %d rows, want %d", s.Len(), len(groups))
	}
	if err := checkGroups(groups, len(a.st)); err != nil {
		return err
	}
	sv, cv := s.Float64Values(), c.Int64Values()
	for i, g := range groups {
		if s.IsValid(i) && c.IsValid(i) {
			a.st[g].sum += sv[i]
			a.st[g].n += cv[i]
		}
	}
	return nil
}

func (a *avg[T]) Finalize(mem memory.Allocator) (arrow.Array, error) {
	res := make([]float64, len(a.st))
	valid := make([]bool, len(a.st))
	for g, s := range a.st {
		if s.n > 0 {
			res[g] = s.sum / float64(s.n)
			valid[g] = true
		}
	}
	return buildArray(mem, arrow.PrimitiveTypes.Float64, res, valid)
}

func (s *sumInt) updateOne(g uint32, _ int, args []arrow.Array, mask []bool) error {
	var r sumOne
	if v, ok := int64Values(args[0], nil); ok {
		r = addIntsOne(s.vals[g], v, mask)
	} else if v, ok := int32Values(args[0], nil); ok {
		r = addIntsOne(s.vals[g], v, mask)
	} else {
		return argError("updating", "int32 or int64", args[0])
	}
	if r.ovf {
		return fmt.Errorf("computing sum: %w", errBigintRange)
	}
	if r.any {
		s.vals[g], s.has[g] = r.sum, true
	}
	return nil
}

type sumOne struct {
	sum      int64
	any, ovf bool
}

// addIntsOne adds the vals in mask (nil: all) to sum.
func addIntsOne[T int32 | int64](sum int64, vals []T, mask []bool) sumOne {
	var ovf int64
	any := false
	if mask == nil {
		for _, x := range vals {
			v := int64(x)
			r := sum + v
			ovf |= (sum ^ r) & (v ^ r)
			sum = r
		}
		return sumOne{sum, len(vals) > 0, ovf < 0}
	}
	mask = mask[:len(vals)]
	for i, x := range vals {
		if mask[i] {
			v := int64(x)
			r := sum + v
			ovf |= (sum ^ r) & (v ^ r)
			sum = r
			any = true
		}
	}
	return sumOne{sum, any, ovf < 0}
}

func (s *sumFloat) updateOne(g uint32, _ int, args []arrow.Array, mask []bool) error {
	vals, ok := float64Values(args[0], nil)
	if !ok {
		return argError("updating", "float64", args[0])
	}
	sum, any := s.vals[g], false
	if mask == nil {
		for _, v := range vals {
			sum += v
		}
		any = len(vals) > 0
	} else {
		mask = mask[:len(vals)]
		for i, v := range vals {
			if mask[i] {
				sum += v
				any = true
			}
		}
	}
	if any {
		s.vals[g], s.has[g] = sum, true
	}
	return nil
}

func (a *avg[T]) updateOne(g uint32, _ int, args []arrow.Array, mask []bool) error {
	vals, ok := a.values(args[0], nil)
	if !ok {
		return argError("updating", "a numeric array", args[0])
	}
	st := a.st[g]
	if mask == nil {
		for _, v := range vals {
			st.sum += float64(v)
		}
		st.n += int64(len(vals))
	} else {
		mask = mask[:len(vals)]
		for i, v := range vals {
			if mask[i] {
				st.sum += float64(v)
				st.n++
			}
		}
	}
	a.st[g] = st
	return nil
}
