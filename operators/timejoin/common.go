// Package timejoin implements streamsql's time-bounded streaming joins:
// the interval join (a.ts BETWEEN b.ts + lower AND b.ts + upper) and the
// window join (both inputs windowed by the same TUMBLE or HOP, joined per
// window). Both keep only the rows that a future row could still match,
// freed as the watermark advances, so their state stays bounded on
// unbounded streams. Input 0 is the left side, input 1 the right side;
// the output is the left columns then the right columns.
//
// Rows are buffered columnar: input batches are retained (or copied down
// to the rows kept) and addressed through stable slot ids, with a hash map
// from the equi-join key to the rows of each side.
package timejoin

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// minWM is the watermark before the first: nothing is late yet.
const minWM = math.MinInt64

// core is what both joins share: lifecycle, schemas, watermark, late-row
// routing and the buffered rows of each side.
type core struct {
	name   string // for error messages, e.g. "interval join"
	in     [2]*arrow.Schema
	out    *arrow.Schema
	mem    memory.Allocator
	opened bool
	closed bool
	ended  [2]bool
	// reEnd marks inputs restored as ended: exec may replay their end of
	// input after a restart, which is then accepted once.
	reEnd  [2]bool
	wm     int64
	late   int64
	sink   func(b arrow.RecordBatch, reason string) error
	stores [2]*store
	pairs  *pairWriter
}

func newCore(name string, left, right *arrow.Schema, names []string, leftNullable, rightNullable bool) (core, error) {
	c := core{name: name, wm: minWM}
	if left == nil || right == nil {
		return c, fmt.Errorf("missing input schema")
	}
	c.in = [2]*arrow.Schema{left, right}
	nl, nr := left.NumFields(), right.NumFields()
	if names != nil && len(names) != nl+nr {
		return c, fmt.Errorf("%d output names for %d columns", len(names), nl+nr)
	}
	fields := make([]arrow.Field, 0, nl+nr)
	for side, s := range c.in {
		for i, f := range s.Fields() {
			if !pickable(f.Type) {
				return c, fmt.Errorf("%s column %d (%s) has unsupported type %s", sideName(side), i, f.Name, f.Type)
			}
			if side == 0 && leftNullable || side == 1 && rightNullable {
				f.Nullable = true
			}
			if names != nil {
				f.Name = names[len(fields)]
			}
			f.Metadata = arrow.Metadata{}
			fields = append(fields, f)
		}
	}
	c.out = arrow.NewSchema(fields, nil)
	c.pairs = newPairWriter(c.out, left, right)
	return c, nil
}

func sideName(side int) string {
	if side == 0 {
		return "left"
	}
	return "right"
}

// checkKeys validates equi-join key columns and returns their types.
func checkKeys(left, right *arrow.Schema, lk, rk []int) ([]arrow.DataType, error) {
	if len(lk) != len(rk) {
		return nil, fmt.Errorf("%d left keys and %d right keys", len(lk), len(rk))
	}
	types := make([]arrow.DataType, len(lk))
	for k := range lk {
		if err := checkColumn(left, lk[k], "left key"); err != nil {
			return nil, err
		}
		if err := checkColumn(right, rk[k], "right key"); err != nil {
			return nil, err
		}
		lt, rt := left.Field(lk[k]).Type, right.Field(rk[k]).Type
		if !arrow.TypeEqual(lt, rt) {
			return nil, fmt.Errorf("key %d: left type %s differs from right type %s", k, lt, rt)
		}
		if !keyType(lt) {
			return nil, fmt.Errorf("key %d: unsupported key type %s", k, lt)
		}
		types[k] = lt
	}
	return types, nil
}

func checkColumn(s *arrow.Schema, c int, what string) error {
	if c < 0 || c >= s.NumFields() {
		return fmt.Errorf("%s column %d out of range [0, %d)", what, c, s.NumFields())
	}
	return nil
}

// checkTime validates an event-time (or window bound) column.
func checkTime(s *arrow.Schema, c int, what string) error {
	if err := checkColumn(s, c, what); err != nil {
		return err
	}
	if tt, ok := s.Field(c).Type.(*arrow.TimestampType); !ok || tt.Unit != arrow.Microsecond {
		return fmt.Errorf("%s column %d is %s, want TIMESTAMP", what, c, s.Field(c).Type)
	}
	return nil
}

func (c *core) open(mem memory.Allocator) error {
	if c.opened {
		return fmt.Errorf("opening %s: already open", c.name)
	}
	c.mem, c.opened = mem, true
	c.stores = [2]*store{newStore(mem), newStore(mem)}
	return nil
}

func (c *core) release() {
	for _, s := range c.stores {
		if s != nil {
			s.release()
		}
	}
	if c.pairs != nil {
		c.pairs.reset()
	}
	c.closed = true
}

// checkBatch validates a ProcessBatch call.
func (c *core) checkBatch(input int, b arrow.RecordBatch) error {
	if input != 0 && input != 1 {
		return fmt.Errorf("processing %s batch: no input %d", c.name, input)
	}
	if !c.opened || c.closed {
		return fmt.Errorf("processing %s batch: operator not open", c.name)
	}
	if c.ended[input] {
		return fmt.Errorf("processing %s batch: %s input already ended", c.name, sideName(input))
	}
	if err := operators.CheckBatchTypes(c.in[input], b); err != nil {
		return fmt.Errorf("processing %s batch: %s input: %w", c.name, sideName(input), err)
	}
	return nil
}

// endInput records the end of input and reports whether both have ended.
func (c *core) endInput(input int) (bool, error) {
	if input != 0 && input != 1 {
		return false, fmt.Errorf("ending %s input: no input %d", c.name, input)
	}
	if !c.opened || c.closed {
		return false, fmt.Errorf("ending %s input: operator not open", c.name)
	}
	if c.ended[input] {
		if c.reEnd[input] {
			c.reEnd[input] = false
			return false, nil
		}
		return false, fmt.Errorf("ending %s input: %s input already ended", c.name, sideName(input))
	}
	c.ended[input] = true
	return c.ended[0] && c.ended[1], nil
}

// sinkLate counts the rows idx of b (an input batch, borrowed) as late
// and passes them to the late sink.
func (c *core) sinkLate(b arrow.RecordBatch, idx []int32, reason string) error {
	if len(idx) == 0 {
		return nil
	}
	c.late += int64(len(idx))
	if c.sink == nil {
		return nil
	}
	lb, err := operators.TakeBatch(c.mem, b, idx, nil)
	if err != nil {
		return fmt.Errorf("dead-lettering late rows: %w", err)
	}
	if err := c.sink(lb, reason); err != nil {
		return fmt.Errorf("dead-lettering late rows: %w", err)
	}
	return nil
}
