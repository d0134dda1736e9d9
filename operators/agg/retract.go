package agg

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// Retractable is an Accumulator that can also take rows back out: the
// aggregate over an updating input (a changelog), where a delete row
// undoes an earlier insert. Ownership and concurrency are as for
// Accumulator.
type Retractable interface {
	Accumulator
	// Retract removes row i of args from group groups[i], for every row i
	// Update would fold (filter TRUE, no NULL argument). Each retracted
	// row must have been folded into its group before; otherwise the
	// results are meaningless. A group whose rows are all retracted is
	// empty again, as if new (sum and avg NULL, count 0).
	Retract(groups []uint32, args []arrow.Array, filter *array.Boolean) error
}

// NewRetractable is New for an aggregate over an updating input: count
// (COUNT(*) and COUNT(x)), sum of INTEGER, BIGINT or DOUBLE and avg, none
// DISTINCT. Results and result types are those of New; sum's partial
// state also holds its count of non-NULL rows, so State and Merge pair
// only with another Retractable. Floating-point sums accumulate rounding
// error across retractions, as in every engine that retracts them.
func NewRetractable(name string, argTypes []types.Type, distinct bool) (Retractable, types.Type, error) {
	name = strings.ToLower(name)
	sig := fmt.Sprintf("%s(%s%s)", name, distinctWord(distinct), typeList(argTypes))
	unsupported := fmt.Errorf("creating aggregate %s: not supported over an updating input", sig)
	if distinct {
		return nil, types.Type{}, unsupported
	}
	switch name {
	case "count", "sum", "avg":
	case "min", "max":
		return nil, types.Type{}, unsupported
	}
	inner, rt, err := newPlain(name, argTypes)
	if err != nil {
		return nil, types.Type{}, err
	}
	inner.core().init(inner, name, len(argTypes))
	switch x := inner.(type) {
	case *count:
		return &retractCount{count: x}, rt, nil
	case *avg[int32]:
		return &retractAvg[int32]{avg: x}, rt, nil
	case *avg[int64]:
		return &retractAvg[int64]{avg: x}, rt, nil
	case *avg[float64]:
		return &retractAvg[float64]{avg: x}, rt, nil
	case *sumInt:
		return &retractSum[int64]{inner: x, sums: &x.nullable, sub: subInts}, rt, nil
	case *sumFloat:
		return &retractSum[float64]{inner: x, sums: &x.nullable, sub: subFloats}, rt, nil
	}
	inner.Release()
	return nil, types.Type{}, unsupported
}

func distinctWord(d bool) string {
	if d {
		return "DISTINCT "
	}
	return ""
}

// retractMask checks a Retract call on a (arity arguments) and returns
// the mask of the rows to retract (nil: all), built in *scratch.
func retractMask(a Accumulator, arity int, scratch *[]bool, groups []uint32, args []arrow.Array, filter *array.Boolean) ([]bool, error) {
	if len(args) != arity {
		return nil, fmt.Errorf("retracting aggregate: got %d arguments, want %d", len(args), arity)
	}
	if err := checkRows(len(groups), args, filter); err != nil {
		return nil, err
	}
	if err := checkGroups(groups, a.Len()); err != nil {
		return nil, err
	}
	return rowMask(scratch, len(groups), args, filter), nil
}

// retractCount is a retractable count: a retraction decrements.
type retractCount struct {
	*count
	mask []bool
}

func (c *retractCount) Retract(groups []uint32, args []arrow.Array, filter *array.Boolean) error {
	mask, err := retractMask(c, c.arity, &c.mask, groups, args, filter)
	if err != nil {
		return err
	}
	for i, g := range groups {
		if mask == nil || mask[i] {
			c.counts[g]--
		}
	}
	return nil
}

// retractAvg is a retractable avg: a retraction subtracts from the sum
// and the count; an emptied group's sum is reset so rounding residue does
// not outlive its rows.
type retractAvg[T int32 | int64 | float64] struct {
	*avg[T]
	mask []bool
}

func (a *retractAvg[T]) Retract(groups []uint32, args []arrow.Array, filter *array.Boolean) error {
	mask, err := retractMask(a, 1, &a.mask, groups, args, filter)
	if err != nil {
		return err
	}
	vals, ok := a.values(args[0], nil)
	if !ok {
		return argError("retracting", "a numeric array", args[0])
	}
	for i, g := range groups {
		if mask != nil && !mask[i] {
			continue
		}
		s := &a.st[g]
		s.sum -= float64(vals[i])
		if s.n--; s.n == 0 {
			s.sum = 0
		}
	}
	return nil
}

// retractSum is a retractable sum. It counts each group's non-NULL rows
// (nn) to know when a group is empty again (its sum turns NULL). State:
// (sum, non-NULL count BIGINT).
type retractSum[T int64 | float64] struct {
	inner accumulator // *sumInt or *sumFloat
	sums  *nullable[T]
	sub   func(s *nullable[T], groups []uint32, arg arrow.Array, mask []bool) error
	nn    []int64
	mask  []bool
}

func (s *retractSum[T]) Grow(n int) {
	s.inner.Grow(n)
	s.nn = grow(s.nn, n)
}

func (s *retractSum[T]) Len() int { return s.inner.Len() }

func (s *retractSum[T]) Release() {
	s.inner.Release()
	s.nn, s.mask = nil, nil
}

func (s *retractSum[T]) Update(groups []uint32, args []arrow.Array, filter *array.Boolean) error {
	if err := s.inner.Update(groups, args, filter); err != nil {
		return err
	}
	mask := rowMask(&s.mask, len(groups), args, filter)
	for i, g := range groups {
		if mask == nil || mask[i] {
			s.nn[g]++
		}
	}
	return nil
}

func (s *retractSum[T]) UpdateOne(g uint32, n int, args []arrow.Array, filter *array.Boolean) error {
	if err := s.inner.UpdateOne(g, n, args, filter); err != nil {
		return err
	}
	mask := rowMask(&s.mask, n, args, filter)
	if mask == nil {
		s.nn[g] += int64(n)
		return nil
	}
	for _, m := range mask {
		if m {
			s.nn[g]++
		}
	}
	return nil
}

func (s *retractSum[T]) Retract(groups []uint32, args []arrow.Array, filter *array.Boolean) error {
	mask, err := retractMask(s, 1, &s.mask, groups, args, filter)
	if err != nil {
		return err
	}
	if err := s.sub(s.sums, groups, args[0], mask); err != nil {
		return err
	}
	var zero T
	for i, g := range groups {
		if mask != nil && !mask[i] {
			continue
		}
		if s.nn[g]--; s.nn[g] <= 0 {
			s.sums.vals[g], s.sums.has[g] = zero, false
		}
	}
	return nil
}

func (s *retractSum[T]) StateTypes() []arrow.DataType {
	return append(s.inner.StateTypes(), arrow.PrimitiveTypes.Int64)
}

func (s *retractSum[T]) State(mem memory.Allocator) ([]arrow.Array, error) {
	st, err := s.inner.State(mem)
	if err != nil {
		return nil, err
	}
	nn, err := buildArray(mem, arrow.PrimitiveTypes.Int64, s.nn, nil)
	if err != nil {
		st[0].Release()
		return nil, err
	}
	return append(st, nn), nil
}

func (s *retractSum[T]) Merge(groups []uint32, state []arrow.Array) error {
	if len(state) != 2 {
		return stateCountError(len(state), 2)
	}
	nn, ok := state[1].(*array.Int64)
	if !ok || nn.Len() != len(groups) {
		return fmt.Errorf("merging aggregate sum: bad non-NULL count state %s", state[1].DataType())
	}
	if err := s.inner.Merge(groups, state[:1]); err != nil {
		return err
	}
	for i, g := range groups {
		if nn.IsValid(i) {
			s.nn[g] += nn.Value(i)
		}
	}
	return nil
}

func (s *retractSum[T]) Finalize(mem memory.Allocator) (arrow.Array, error) {
	return s.inner.Finalize(mem)
}

// subInts subtracts the rows in mask of arg (INTEGER or BIGINT) from
// their groups' sums, failing on overflow.
func subInts(s *nullable[int64], groups []uint32, arg arrow.Array, mask []bool) error {
	var ovf int64
	sub := func(g uint32, v int64) {
		a := s.vals[g]
		r := a - v
		ovf |= (a ^ v) & (a ^ r)
		s.vals[g] = r
	}
	if v, ok := int64Values(arg, nil); ok {
		for i, g := range groups {
			if mask == nil || mask[i] {
				sub(g, v[i])
			}
		}
	} else if v, ok := int32Values(arg, nil); ok {
		for i, g := range groups {
			if mask == nil || mask[i] {
				sub(g, int64(v[i]))
			}
		}
	} else {
		return argError("retracting", "int32 or int64", arg)
	}
	if ovf < 0 {
		return fmt.Errorf("computing sum: %w", errBigintRange)
	}
	return nil
}

// subFloats subtracts the rows in mask of arg (DOUBLE) from their groups'
// sums.
func subFloats(s *nullable[float64], groups []uint32, arg arrow.Array, mask []bool) error {
	v, ok := float64Values(arg, nil)
	if !ok {
		return argError("retracting", "float64", arg)
	}
	for i, g := range groups {
		if mask == nil || mask[i] {
			s.vals[g] -= v[i]
		}
	}
	return nil
}
