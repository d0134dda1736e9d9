package agg

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// count is COUNT(*) (star) or COUNT(x). State: the count (BIGINT).
type count struct {
	base
	star   bool
	counts []int64
}

func (c *count) Grow(n int) { c.counts = grow(c.counts, n) }
func (c *count) Len() int   { return len(c.counts) }
func (c *count) Release()   { c.counts, c.scratch = nil, nil }

func (c *count) StateTypes() []arrow.DataType {
	return []arrow.DataType{arrow.PrimitiveTypes.Int64}
}

func (c *count) update(groups []uint32, _ []arrow.Array, mask []bool) error {
	counts := c.counts
	if mask == nil {
		for _, g := range groups {
			counts[g]++
		}
		return nil
	}
	mask = mask[:len(groups)]
	for i, g := range groups {
		if mask[i] {
			counts[g]++
		}
	}
	return nil
}

func (c *count) State(mem memory.Allocator) ([]arrow.Array, error) {
	a, err := c.Finalize(mem)
	if err != nil {
		return nil, err
	}
	return []arrow.Array{a}, nil
}

func (c *count) Merge(groups []uint32, state []arrow.Array) error {
	if len(state) != 1 {
		return stateCountError(len(state), 1)
	}
	s, ok := state[0].(*array.Int64)
	if !ok {
		return argError("merging", "int64 count state", state[0])
	}
	if s.Len() != len(groups) {
		return fmt.Errorf("merging aggregate count: state has %d rows, want %d", s.Len(), len(groups))
	}
	if err := checkGroups(groups, len(c.counts)); err != nil {
		return err
	}
	vals := s.Int64Values()
	for i, g := range groups {
		if s.IsValid(i) {
			c.counts[g] += vals[i]
		}
	}
	return nil
}

func (c *count) Finalize(mem memory.Allocator) (arrow.Array, error) {
	return buildArray(mem, arrow.PrimitiveTypes.Int64, c.counts, nil)
}

func (c *count) updateOne(g uint32, n int, _ []arrow.Array, mask []bool) error {
	if mask == nil {
		c.counts[g] += int64(n)
		return nil
	}
	k := int64(0)
	for _, m := range mask {
		if m {
			k++
		}
	}
	c.counts[g] += k
	return nil
}
