package window

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/agg"
)

// slice is the state of one time range: a window (tumbling windows,
// hopping windows with EMIT CHANGES), a pane of one slide (hopping windows
// emitted on close) or a bucket of width gap (sessions). It maps group
// keys to dense group ids with a GroupTable and keeps one accumulator per
// aggregate plus per-group metadata.
type slice struct {
	a     *Aggregate
	start int64
	n     int // groups
	table *agg.GroupTable
	keys  []arrow.Array   // key columns of groups [0, rows of keys)
	pend  [][]arrow.Array // key chunks appended since keys was built
	accs  []agg.Accumulator
	seq   []int64 // input row number of each group's first row

	// Sessions: the time range of each cell's rows (min MaxInt64 for a
	// cell without rows), whether its session has closed, and the time
	// before which rows are late (a closed session of the key ended there).
	minT, maxT []int64
	done       []bool
	lateBefore []int64

	// EMIT CHANGES: each group's last emitted record (0: none) and the
	// groups the current batch touched.
	rec       []int64
	touched   []bool
	touchList []uint32

	// Changelog input (Spec.OpCol): each group's net row count.
	live []int64

	groups  []uint32
	newRows []int32
	zeros   []uint32
	args    []arrow.Array
	keyCols []arrow.Array
}

func newSlice(a *Aggregate, start int64) (*slice, error) {
	s := &slice{a: a, start: start}
	if len(a.keyTypes) > 0 {
		t, err := agg.NewGroupTable(a.keyTypes)
		if err != nil {
			return nil, fmt.Errorf("creating window state: %w", err)
		}
		s.table = t
	}
	for j, as := range a.spec.Aggs {
		acc, _, err := a.newAcc(as.Func, a.argTypes[j], as.Distinct)
		if err != nil {
			s.release()
			return nil, fmt.Errorf("creating window state: %w", err)
		}
		s.accs = append(s.accs, acc)
	}
	return s, nil
}

func (s *slice) release() {
	for _, acc := range s.accs {
		acc.Release()
	}
	operators.ReleaseAll(s.keys)
	for _, p := range s.pend {
		operators.ReleaseAll(p)
	}
	s.accs, s.keys, s.pend, s.table = nil, nil, nil, nil
}

// origin maps the rows of a batch handed to a slice back to the input
// batch: row r is input row idx[r] (idx nil: lo+r) of the batch whose first
// row has sequence number base.
type origin struct {
	base int64
	lo   int
	idx  []int32
}

func (o origin) row(r int) int {
	if o.idx != nil {
		return int(o.idx[r])
	}
	return o.lo + r
}

func (o origin) sub(lo, hi int) origin {
	if o.idx != nil {
		return origin{base: o.base, idx: o.idx[lo:hi]}
	}
	return origin{base: o.base, lo: o.lo + lo}
}

// find maps the rows of the projected batch b to group ids, adding new
// groups.
func (s *slice) find(b arrow.RecordBatch, o origin) ([]uint32, error) {
	s.keyCols = s.keyCols[:0]
	for _, c := range s.a.projKeys {
		s.keyCols = append(s.keyCols, b.Column(c))
	}
	return s.findKeys(s.keyCols, int(b.NumRows()), o)
}

// findKeys maps n rows of key columns (borrowed) to group ids, adding new
// groups; the returned slice is reused by the next call.
func (s *slice) findKeys(keyCols []arrow.Array, n int, o origin) ([]uint32, error) {
	if s.table == nil {
		if cap(s.zeros) < n {
			s.zeros = make([]uint32, n)
		}
		if s.n == 0 && n > 0 {
			s.addGroups(1)
			s.seq[0] = o.base + int64(o.row(0))
		}
		return s.zeros[:n], nil
	}
	var err error
	s.groups, s.newRows, err = s.table.Find(keyCols, s.groups[:0], s.newRows[:0])
	if err != nil {
		return nil, fmt.Errorf("grouping window rows: %w", err)
	}
	if len(s.newRows) == 0 {
		return s.groups, nil
	}
	if err := s.appendKeys(keyCols, s.newRows); err != nil {
		return nil, err
	}
	first := s.n
	s.addGroups(len(s.newRows))
	for j, r := range s.newRows {
		s.seq[first+j] = o.base + int64(o.row(int(r)))
	}
	return s.groups, nil
}

// appendKeys records rows of cols as the keys of new groups.
func (s *slice) appendKeys(cols []arrow.Array, rows []int32) error {
	chunk := make([]arrow.Array, len(cols))
	for i, c := range cols {
		k, err := operators.Take(s.a.mem, c, rows)
		if err != nil {
			operators.ReleaseAll(chunk)
			return fmt.Errorf("storing window keys: %w", err)
		}
		chunk[i] = k
	}
	s.pend = append(s.pend, chunk)
	return nil
}

// keyArrays returns the key columns of all groups (owned by the slice).
func (s *slice) keyArrays() ([]arrow.Array, error) {
	if len(s.pend) == 0 {
		return s.keys, nil
	}
	if s.keys == nil && len(s.pend) == 1 {
		s.keys, s.pend = s.pend[0], s.pend[:0]
		return s.keys, nil
	}
	cat := make([]arrow.Array, len(s.a.keyTypes))
	for i := range cat {
		parts := make([]arrow.Array, 0, len(s.pend)+1)
		if s.keys != nil {
			parts = append(parts, s.keys[i])
		}
		for _, p := range s.pend {
			parts = append(parts, p[i])
		}
		c, err := array.Concatenate(parts, s.a.mem)
		if err != nil {
			operators.ReleaseAll(cat)
			return nil, fmt.Errorf("concatenating window keys: %w", err)
		}
		cat[i] = c
	}
	operators.ReleaseAll(s.keys)
	for _, p := range s.pend {
		operators.ReleaseAll(p)
	}
	s.keys, s.pend = cat, s.pend[:0]
	return s.keys, nil
}

// addGroups makes room for k new groups.
func (s *slice) addGroups(k int) {
	s.n += k
	for _, acc := range s.accs {
		acc.Grow(s.n)
	}
	s.seq = extend(s.seq, k, 0)
	if s.a.spec.Kind == Session {
		s.minT = extend(s.minT, k, math.MaxInt64)
		s.maxT = extend(s.maxT, k, math.MinInt64)
		s.done = extend(s.done, k, false)
		s.lateBefore = extend(s.lateBefore, k, math.MinInt64)
	}
	if s.a.retract {
		s.live = extend(s.live, k, 0)
	}
	if s.a.changes {
		s.rec = extend(s.rec, k, 0)
		s.touched = extend(s.touched, k, false)
	}
}

func extend[T any](s []T, k int, v T) []T {
	for ; k > 0; k-- {
		s = append(s, v)
	}
	return s
}

// fold updates the accumulators with the rows of the projected batch b in
// groups; times are the rows' event times (used by sessions).
func (s *slice) fold(b arrow.RecordBatch, groups []uint32, times []int64) error {
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	if err := s.accumulate(b, groups, false); err != nil {
		return err
	}
	if s.minT != nil {
		minT, maxT := s.minT, s.maxT
		for i, t := range times[:n] {
			g := groups[i]
			if t < minT[g] {
				minT[g] = t
			}
			if t > maxT[g] {
				maxT[g] = t
			}
		}
	}
	if s.touched != nil {
		if s.table == nil {
			s.touch(0)
		} else {
			for _, g := range groups {
				if !s.touched[g] {
					s.touch(g)
				}
			}
		}
	}
	return nil
}

// accumulate folds (or, under retract, retracts) the rows of the projected
// batch b into the accumulators of groups.
func (s *slice) accumulate(b arrow.RecordBatch, groups []uint32, retract bool) error {
	n := int(b.NumRows())
	for j, acc := range s.accs {
		s.args = s.args[:0]
		for _, c := range s.a.projArgs[j] {
			s.args = append(s.args, b.Column(c))
		}
		var filter *array.Boolean
		if f := s.a.projFilt[j]; f >= 0 {
			fb, ok := b.Column(f).(*array.Boolean)
			if !ok {
				return fmt.Errorf("reading filter of aggregate %s: got %s, want BOOLEAN", s.a.spec.Aggs[j].Name, b.Column(f).DataType())
			}
			filter = fb
		}
		var err error
		switch {
		case retract:
			err = acc.(agg.Retractable).Retract(groups, s.args, filter)
		case s.table == nil:
			err = acc.UpdateOne(0, n, s.args, filter)
		default:
			err = acc.Update(groups, s.args, filter)
		}
		if err != nil {
			return fmt.Errorf("computing aggregate %s: %w", s.a.spec.Aggs[j].Name, err)
		}
	}
	return nil
}

func (s *slice) touch(g uint32) {
	if !s.touched[g] {
		s.touched[g] = true
		s.touchList = append(s.touchList, g)
		s.a.pending = true
	}
}

func (s *slice) clearTouched() {
	for _, g := range s.touchList {
		s.touched[g] = false
	}
	s.touchList = s.touchList[:0]
}

// bytes estimates the memory the slice holds.
func (s *slice) bytes() int64 {
	per := int64(8 + 24*len(s.accs)) // seq, accumulator state
	if s.table != nil {
		per += 32 // group table slots
	}
	if s.minT != nil {
		per += 25
	}
	if s.rec != nil {
		per += 9
	}
	if s.live != nil {
		per += 8
	}
	b := per * int64(s.n)
	for _, k := range s.keys {
		b += arrayBytes(k)
	}
	for _, p := range s.pend {
		for _, k := range p {
			b += arrayBytes(k)
		}
	}
	return b
}

func arrayBytes(a arrow.Array) int64 {
	var n int64
	var walk func(d arrow.ArrayData)
	walk = func(d arrow.ArrayData) {
		for _, buf := range d.Buffers() {
			if buf != nil {
				n += int64(buf.Len())
			}
		}
		for _, c := range d.Children() {
			walk(c)
		}
	}
	walk(a.Data())
	return n
}
