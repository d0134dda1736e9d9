package window

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/agg"
)

// OnWatermark closes the windows that watermark wm makes final (end +
// AllowedLateness <= wm): with OnWindowClose it emits their rows; in every
// mode it frees their state. Under throttled EMIT CHANGES it first emits
// the pending changes if the interval has passed or a window holding some
// closes. A watermark not above the last one closes nothing.
func (a *Aggregate) OnWatermark(ctx context.Context, wm int64, emit operators.Emit) error {
	if !a.opened || a.closed {
		return fmt.Errorf("advancing window aggregate watermark: operator not open")
	}
	if wm <= a.wm {
		if a.changes {
			return a.maybeEmitChanges(ctx, emit)
		}
		return nil
	}
	if wm == operators.WatermarkEnd {
		if err := a.ensureGlobalRow(); err != nil {
			return fmt.Errorf("closing windows at watermark %s: %w", operators.FormatEventTime(wm), err)
		}
	}
	if a.changes && a.pending {
		closing, err := a.pendingCloses(wm)
		if err != nil {
			return fmt.Errorf("closing windows at watermark %s: %w", operators.FormatEventTime(wm), err)
		}
		if closing {
			err = a.flushChanges(ctx, emit)
		} else {
			err = a.maybeEmitChanges(ctx, emit)
		}
		if err != nil {
			return err
		}
	}
	prev := a.wm
	a.wm = wm
	out := &outBuf{ctx: ctx, mem: a.mem, schema: a.out, emit: emit}
	defer out.release()
	var err error
	switch {
	case a.spec.Kind == Session:
		err = a.closeSessions(wm, out)
	case a.panes:
		err = a.closeHop(prev, wm, out)
	default:
		err = a.closeWindows(wm, out)
	}
	if err != nil {
		if out.emitErr {
			return err
		}
		return fmt.Errorf("closing windows at watermark %s: %w", operators.FormatEventTime(wm), err)
	}
	return out.flush(true)
}

// EndOfInput closes every window, as OnWatermark(operators.WatermarkEnd);
// after that call it emits nothing more.
func (a *Aggregate) EndOfInput(ctx context.Context, input int, emit operators.Emit) error {
	if input != 0 {
		return fmt.Errorf("ending window aggregate input: no input %d", input)
	}
	if !a.opened || a.closed || a.ended {
		return fmt.Errorf("ending window aggregate input: operator not open or input already ended")
	}
	if err := a.OnWatermark(ctx, operators.WatermarkEnd, emit); err != nil {
		return err
	}
	a.ended = true
	return nil
}

// closeWindows closes the whole-window slices (tumbling windows, hopping
// windows with changes) that wm makes final.
func (a *Aggregate) closeWindows(wm int64, out *outBuf) error {
	for len(a.starts) > 0 {
		st := a.starts[0]
		if !a.closedAt(operators.AddSat(st, a.windowLen()), wm) {
			return nil
		}
		s := a.slices[st]
		if !a.changes && s.n > 0 {
			cols, err := a.sliceResult(s)
			if err != nil {
				return err
			}
			if err := out.add(cols); err != nil {
				return err
			}
		}
		a.dropSlice(st)
	}
	return nil
}

// sliceResult builds the output columns (without _op) of every group of a
// whole-window slice.
func (a *Aggregate) sliceResult(s *slice) ([]arrow.Array, error) {
	cols := make([]arrow.Array, 0, a.out.NumFields())
	if a.bounds {
		cols = append(cols, tsConst(a.mem, s.start, s.n), tsConst(a.mem, operators.AddSat(s.start, a.windowLen()), s.n))
	}
	keys, err := s.keyArrays()
	if err != nil {
		operators.ReleaseAll(cols)
		return nil, err
	}
	for _, k := range keys {
		k.Retain()
		cols = append(cols, k)
	}
	for j, acc := range s.accs {
		r, err := acc.Finalize(a.mem)
		if err != nil {
			operators.ReleaseAll(cols)
			return nil, fmt.Errorf("computing aggregate %s: %w", a.spec.Aggs[j].Name, err)
		}
		cols = append(cols, r)
	}
	return cols, nil
}

// hopWindows lists, in order, the starts of the hopping windows holding at
// least one pane whose end satisfies keep.
func (a *Aggregate) hopWindows(keep func(end int64) bool) []int64 {
	slide, size := a.spec.Slide, a.spec.Size
	seen := map[int64]bool{}
	var ws []int64
	for _, p := range a.starts {
		for s := p; s > p-size; s -= slide {
			if !seen[s] && keep(operators.AddSat(s, size)) {
				seen[s] = true
				ws = append(ws, s)
			}
		}
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i] < ws[j] })
	return ws
}

// closeHop emits the hopping windows that became final between the
// watermarks prev and wm, merging their panes, and frees the panes no open
// window holds.
func (a *Aggregate) closeHop(prev, wm int64, out *outBuf) error {
	wins := a.hopWindows(func(end int64) bool { return a.closedAt(end, wm) && !a.closedAt(end, prev) })
	states := map[int64][][]arrow.Array{}
	defer func() {
		for _, st := range states {
			for _, cols := range st {
				operators.ReleaseAll(cols)
			}
		}
	}()
	for _, ws := range wins {
		cols, err := a.mergePanes(ws, states)
		if err != nil {
			return err
		}
		if err := out.add(cols); err != nil {
			return err
		}
	}
	for len(a.starts) > 0 && a.closedAt(operators.AddSat(a.starts[0], a.spec.Size), wm) {
		a.dropSlice(a.starts[0])
	}
	return nil
}

// paneState returns the accumulator states of s, cached in states.
func (a *Aggregate) paneState(s *slice, states map[int64][][]arrow.Array) ([][]arrow.Array, error) {
	if st, ok := states[s.start]; ok {
		return st, nil
	}
	st := make([][]arrow.Array, len(s.accs))
	for j, acc := range s.accs {
		cols, err := acc.State(a.mem)
		if err != nil {
			for _, c := range st {
				operators.ReleaseAll(c)
			}
			return nil, fmt.Errorf("reading aggregate %s state: %w", a.spec.Aggs[j].Name, err)
		}
		st[j] = cols
	}
	states[s.start] = st
	return st, nil
}

// merger merges groups of slices into fresh accumulators keyed by group
// key, remembering each group's earliest first appearance.
type merger struct {
	a     *Aggregate
	table *agg.GroupTable
	accs  []agg.Accumulator
	keys  [][]arrow.Array
	seq   []int64
	n     int

	groups  []uint32
	newRows []int32
}

func newMerger(a *Aggregate) (*merger, error) {
	m := &merger{a: a}
	if len(a.keyTypes) > 0 {
		t, err := agg.NewGroupTable(a.keyTypes)
		if err != nil {
			return nil, fmt.Errorf("merging window state: %w", err)
		}
		m.table = t
	}
	for j, as := range a.spec.Aggs {
		acc, _, err := agg.New(as.Func, a.argTypes[j], as.Distinct)
		if err != nil {
			m.release()
			return nil, fmt.Errorf("merging window state: %w", err)
		}
		m.accs = append(m.accs, acc)
	}
	return m, nil
}

func (m *merger) release() {
	for _, acc := range m.accs {
		acc.Release()
	}
	for _, k := range m.keys {
		operators.ReleaseAll(k)
	}
	m.accs, m.keys = nil, nil
}

// add merges every group of s, whose states are st, into the merger.
func (m *merger) add(s *slice, st [][]arrow.Array) error {
	if s.n == 0 {
		return nil
	}
	var groups []uint32
	if m.table == nil {
		groups = make([]uint32, s.n)
		if m.n == 0 {
			m.n = 1
			m.seq = append(m.seq, math.MaxInt64)
		}
	} else {
		keys, err := s.keyArrays()
		if err != nil {
			return err
		}
		m.groups, m.newRows, err = m.table.Find(keys, m.groups[:0], m.newRows[:0])
		if err != nil {
			return fmt.Errorf("merging window state: %w", err)
		}
		groups = m.groups
		if len(m.newRows) > 0 {
			chunk := make([]arrow.Array, len(keys))
			for i, k := range keys {
				c, err := operators.Take(m.a.mem, k, m.newRows)
				if err != nil {
					operators.ReleaseAll(chunk)
					return fmt.Errorf("merging window keys: %w", err)
				}
				chunk[i] = c
			}
			m.keys = append(m.keys, chunk)
			m.n = m.table.Len()
			m.seq = extend(m.seq, len(m.newRows), math.MaxInt64)
		}
	}
	for _, acc := range m.accs {
		acc.Grow(m.n)
	}
	for r, g := range groups {
		m.seq[g] = min(m.seq[g], s.seq[r])
	}
	for j, acc := range m.accs {
		if err := acc.Merge(groups, st[j]); err != nil {
			return fmt.Errorf("merging aggregate %s: %w", m.a.spec.Aggs[j].Name, err)
		}
	}
	return nil
}

// mergePanes builds the output columns (without _op) of the hopping
// window starting at ws, in order of the groups' first appearance.
func (a *Aggregate) mergePanes(ws int64, states map[int64][][]arrow.Array) ([]arrow.Array, error) {
	m, err := newMerger(a)
	if err != nil {
		return nil, err
	}
	defer m.release()
	for p := ws; p < ws+a.spec.Size; p += a.spec.Slide {
		s, ok := a.slices[p]
		if !ok {
			continue
		}
		st, err := a.paneState(s, states)
		if err != nil {
			return nil, err
		}
		if err := m.add(s, st); err != nil {
			return nil, err
		}
	}
	cols := []arrow.Array{tsConst(a.mem, ws, m.n), tsConst(a.mem, operators.AddSat(ws, a.spec.Size), m.n)}
	for i := range a.keyTypes {
		parts := make([]arrow.Array, len(m.keys))
		for c, k := range m.keys {
			parts[c] = k[i]
		}
		k, err := concat(a.mem, a.keyTypes[i], parts)
		if err != nil {
			operators.ReleaseAll(cols)
			return nil, err
		}
		cols = append(cols, k)
	}
	for j, acc := range m.accs {
		r, err := acc.Finalize(a.mem)
		if err != nil {
			operators.ReleaseAll(cols)
			return nil, fmt.Errorf("computing aggregate %s: %w", a.spec.Aggs[j].Name, err)
		}
		cols = append(cols, r)
	}
	return permute(a.mem, cols, orderBy(m.seq, nil))
}

// orderBy returns the row order sorting by (end, seq), or nil if the rows
// are already in order; ends may be nil.
func orderBy(seq, ends []int64) []int32 {
	sorted := true
	for i := 1; i < len(seq) && sorted; i++ {
		if ends != nil && ends[i] != ends[i-1] {
			sorted = ends[i] > ends[i-1]
			continue
		}
		sorted = seq[i] > seq[i-1]
	}
	if sorted {
		return nil
	}
	idx := make([]int32, len(seq))
	for i := range idx {
		idx[i] = int32(i)
	}
	sort.Slice(idx, func(x, y int) bool {
		i, j := idx[x], idx[y]
		if ends != nil && ends[i] != ends[j] {
			return ends[i] < ends[j]
		}
		return seq[i] < seq[j]
	})
	return idx
}

// permute reorders cols (owned; released) by idx (nil: unchanged).
func permute(mem memory.Allocator, cols []arrow.Array, idx []int32) ([]arrow.Array, error) {
	if idx == nil {
		return cols, nil
	}
	defer operators.ReleaseAll(cols)
	out := make([]arrow.Array, len(cols))
	for i, c := range cols {
		t, err := operators.Take(mem, c, idx)
		if err != nil {
			operators.ReleaseAll(out)
			return nil, fmt.Errorf("ordering window rows: %w", err)
		}
		out[i] = t
	}
	return out, nil
}

// concat concatenates parts (borrowed) into a new array of type dt.
func concat(mem memory.Allocator, dt arrow.DataType, parts []arrow.Array) (arrow.Array, error) {
	switch len(parts) {
	case 0:
		return array.MakeArrayOfNull(mem, dt, 0), nil
	case 1:
		parts[0].Retain()
		return parts[0], nil
	}
	c, err := array.Concatenate(parts, mem)
	if err != nil {
		return nil, fmt.Errorf("concatenating window rows: %w", err)
	}
	return c, nil
}
