package window

import (
	"fmt"
	"math"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/agg"
)

// Sessions are kept as cells: the rows of one key in one bucket
// [b, b+gap) (a slice). Two rows of a bucket are less than gap apart, so a
// cell always lies in one session; a session is a chain of cells of its key
// in consecutive buckets, each starting less than gap after the previous
// one's last row. Cells are merged into sessions (agg State/Merge) when
// results are needed.

// cellRef is cell (group) g of slice s.
type cellRef struct {
	s *slice
	g uint32
}

// session is a chain of cells found by sessionPass.
type session struct {
	first, last int64
	seq         int64
	cells       []cellRef
	cont        bool // continues past the buckets the pass looked at
	touched     bool
}

func (se *session) end(gap int64) int64 { return operators.AddSat(se.last, gap) }

// linkCache holds, for the cells of one bucket, the cell of the same key
// in the next bucket (or -1), valid while neither bucket gains cells.
type linkCache struct {
	na, nb int
	next   []int32
}

// link maps the cells of s to the cells of the same keys in nxt.
func (a *Aggregate) link(s, nxt *slice) ([]int32, error) {
	if c, ok := a.links[s.start]; ok && c.na == s.n && c.nb == nxt.n {
		return c.next, nil
	}
	next := make([]int32, s.n)
	for i := range next {
		next[i] = -1
	}
	if s.table == nil {
		if s.n > 0 && nxt.n > 0 {
			next[0] = 0
		}
	} else {
		t, err := agg.NewGroupTable(a.keyTypes)
		if err != nil {
			return nil, fmt.Errorf("linking sessions: %w", err)
		}
		ka, err := s.keyArrays()
		if err != nil {
			return nil, err
		}
		kb, err := nxt.keyArrays()
		if err != nil {
			return nil, err
		}
		// Keys are unique within a bucket: those of s get ids 0..na-1.
		if _, _, err := t.Find(ka, nil, nil); err != nil {
			return nil, fmt.Errorf("linking sessions: %w", err)
		}
		gb, _, err := t.Find(kb, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("linking sessions: %w", err)
		}
		for j, id := range gb {
			if int(id) < s.n {
				next[id] = int32(j)
			}
		}
	}
	a.links[s.start] = &linkCache{na: s.n, nb: nxt.n, next: next}
	return next, nil
}

// sessionPass finds the open sessions whose cells lie in buckets starting
// at or before limit; a session that goes on into a later bucket is marked
// cont.
func (a *Aggregate) sessionPass(limit int64) ([]*session, error) {
	gap := a.spec.Gap
	var sess []*session
	var carry []int32 // session of each cell of the current bucket, or -1
	for _, st := range a.starts {
		s := a.slices[st]
		if st > limit {
			for _, sid := range carry {
				if sid >= 0 {
					sess[sid].cont = true
				}
			}
			break
		}
		ids := make([]int32, s.n)
		for g := 0; g < s.n; g++ {
			ids[g] = -1
			if s.done[g] || s.minT[g] == math.MaxInt64 {
				continue
			}
			var se *session
			if carry != nil && carry[g] >= 0 {
				ids[g] = carry[g]
				se = sess[carry[g]]
			} else {
				ids[g] = int32(len(sess))
				se = &session{first: s.minT[g], last: math.MinInt64, seq: math.MaxInt64}
				sess = append(sess, se)
			}
			se.last = max(se.last, s.maxT[g])
			se.seq = min(se.seq, s.seq[g])
			se.cells = append(se.cells, cellRef{s: s, g: uint32(g)})
			if s.touched != nil && s.touched[g] {
				se.touched = true
			}
		}
		carry = nil
		nxt, ok := a.slices[operators.AddSat(st, gap)]
		if !ok {
			continue
		}
		next, err := a.link(s, nxt)
		if err != nil {
			return nil, err
		}
		carry = make([]int32, nxt.n)
		for i := range carry {
			carry[i] = -1
		}
		for g, sid := range ids {
			ng := next[g]
			if sid < 0 || ng < 0 || nxt.done[ng] || nxt.minT[ng] == math.MaxInt64 {
				continue
			}
			if nxt.minT[ng] < operators.AddSat(s.maxT[g], gap) {
				carry[ng] = sid
			}
		}
	}
	return sess, nil
}

// countSessions is the number of open sessions.
func (a *Aggregate) countSessions() int {
	sess, err := a.sessionPass(math.MaxInt64)
	if err != nil {
		return -1
	}
	return len(sess)
}

// byEnd sorts sessions by end, then first appearance.
func byEnd(sess []*session) {
	sort.SliceStable(sess, func(i, j int) bool {
		if sess[i].last != sess[j].last {
			return sess[i].last < sess[j].last
		}
		return sess[i].seq < sess[j].seq
	})
}

// finalSessions lists the open sessions that wm makes final.
func (a *Aggregate) finalSessions(wm int64) ([]*session, error) {
	gap := a.spec.Gap
	// A session is final when last+gap+lateness <= wm: its cells lie in
	// buckets starting at or before bound.
	bound := operators.AddSat(operators.AddSat(wm, -gap), -a.spec.AllowedLateness)
	if bound == math.MinInt64 {
		return nil, nil
	}
	sess, err := a.sessionPass(floorTo(bound, gap))
	if err != nil {
		return nil, err
	}
	var fin []*session
	for _, se := range sess {
		if !se.cont && a.closedAt(se.end(gap), wm) {
			fin = append(fin, se)
		}
	}
	return fin, nil
}

// closeSessions closes the sessions that wm makes final, emitting them
// unless under changes, and frees the buckets no longer needed.
func (a *Aggregate) closeSessions(wm int64, out *outBuf) error {
	gap := a.spec.Gap
	fin, err := a.finalSessions(wm)
	if err != nil {
		return err
	}
	if len(fin) > 0 {
		byEnd(fin)
		if !a.changes {
			cols, err := a.sessionResults(fin)
			if err != nil {
				return err
			}
			if err := out.add(cols); err != nil {
				return err
			}
		}
		if err := a.finishSessions(fin, wm); err != nil {
			return err
		}
	}
	// A bucket is no longer needed when its sessions have closed and any
	// row that could fall in it would be late.
	for _, st := range append([]int64(nil), a.starts...) {
		if !a.closedAt(operators.AddSat(st, 2*gap), wm) {
			break
		}
		s := a.slices[st]
		open := false
		for g := 0; g < s.n && !open; g++ {
			open = !s.done[g] && s.minT[g] != math.MaxInt64
		}
		if !open {
			a.dropSlice(st)
		}
	}
	return nil
}

// finishSessions marks the cells of closed sessions done, drops their
// records, and leaves in the bucket after each session's last one the
// time before which rows of its key are late.
func (a *Aggregate) finishSessions(fin []*session, wm int64) error {
	gap := a.spec.Gap
	tomb := map[*slice][]int32{} // last cells whose session ends in the next bucket
	ends := map[*slice][]int64{}
	for _, se := range fin {
		seen := map[int64]bool{}
		for _, c := range se.cells {
			c.s.done[c.g] = true
			if a.changes {
				if r := c.s.rec[c.g]; r != 0 && !seen[r] {
					seen[r] = true
					a.recs.drop(r)
				}
				c.s.rec[c.g] = 0
			}
		}
		e := se.end(gap)
		if a.closedAt(operators.AddSat(e, gap), wm) {
			continue // rows before e are late anyway
		}
		lc := se.cells[len(se.cells)-1]
		tomb[lc.s] = append(tomb[lc.s], int32(lc.g))
		ends[lc.s] = append(ends[lc.s], e)
	}
	srcs := make([]*slice, 0, len(tomb))
	for s := range tomb {
		srcs = append(srcs, s)
	}
	sort.Slice(srcs, func(i, j int) bool { return srcs[i].start < srcs[j].start })
	for _, s := range srcs {
		nb, err := a.getSlice(operators.AddSat(s.start, gap))
		if err != nil {
			return err
		}
		rows := tomb[s]
		var groups []uint32
		if s.table == nil {
			groups, err = nb.findKeys(nil, len(rows), origin{base: a.seq})
		} else {
			keys, kerr := s.keyArrays()
			if kerr != nil {
				return kerr
			}
			cols := make([]arrow.Array, len(keys))
			for i, k := range keys {
				if cols[i], err = operators.Take(a.mem, k, rows); err != nil {
					operators.ReleaseAll(cols)
					return fmt.Errorf("closing sessions: %w", err)
				}
			}
			groups, err = nb.findKeys(cols, len(rows), origin{base: a.seq})
			operators.ReleaseAll(cols)
		}
		if err != nil {
			return err
		}
		for i, g := range groups {
			nb.lateBefore[g] = max(nb.lateBefore[g], ends[s][i])
		}
	}
	return nil
}

// sessionResults builds the output columns (without _op) of sessions, in
// order, merging the states of their cells.
func (a *Aggregate) sessionResults(sess []*session) ([]arrow.Array, error) {
	ns := len(sess)
	trash := uint32(ns)
	accs := make([]agg.Accumulator, 0, len(a.spec.Aggs))
	defer func() {
		for _, acc := range accs {
			acc.Release()
		}
	}()
	for j, as := range a.spec.Aggs {
		acc, _, err := agg.New(as.Func, a.argTypes[j], as.Distinct)
		if err != nil {
			return nil, fmt.Errorf("merging sessions: %w", err)
		}
		acc.Grow(ns + 1)
		accs = append(accs, acc)
	}
	groups := map[*slice][]uint32{}
	for i, se := range sess {
		for _, c := range se.cells {
			gs, ok := groups[c.s]
			if !ok {
				gs = make([]uint32, c.s.n)
				for k := range gs {
					gs[k] = trash
				}
				groups[c.s] = gs
			}
			gs[c.g] = uint32(i)
		}
	}
	slices := make([]*slice, 0, len(groups))
	for s := range groups {
		slices = append(slices, s)
	}
	sort.Slice(slices, func(i, j int) bool { return slices[i].start < slices[j].start })
	for _, s := range slices {
		for j, acc := range s.accs {
			st, err := acc.State(a.mem)
			if err != nil {
				return nil, fmt.Errorf("reading aggregate %s state: %w", a.spec.Aggs[j].Name, err)
			}
			err = accs[j].Merge(groups[s], st)
			operators.ReleaseAll(st)
			if err != nil {
				return nil, fmt.Errorf("merging aggregate %s: %w", a.spec.Aggs[j].Name, err)
			}
		}
	}
	starts := make([]int64, ns)
	ends := make([]int64, ns)
	for i, se := range sess {
		starts[i], ends[i] = se.first, se.end(a.spec.Gap)
	}
	cols := []arrow.Array{tsArray(a.mem, starts), tsArray(a.mem, ends)}
	if len(a.keyTypes) > 0 {
		var srcs [][]arrow.Array
		at := map[*slice]int32{}
		refs := make([]srcRow, ns)
		for i, se := range sess {
			c := se.cells[0]
			k, ok := at[c.s]
			if !ok {
				keys, err := c.s.keyArrays()
				if err != nil {
					operators.ReleaseAll(cols)
					return nil, err
				}
				k = int32(len(srcs))
				at[c.s] = k
				srcs = append(srcs, keys)
			}
			refs[i] = srcRow{src: k, row: int32(c.g)}
		}
		keys, err := gatherRows(a.mem, a.keyTypes, srcs, refs)
		if err != nil {
			operators.ReleaseAll(cols)
			return nil, err
		}
		cols = append(cols, keys...)
	}
	for j, acc := range accs {
		r, err := acc.Finalize(a.mem)
		if err != nil {
			operators.ReleaseAll(cols)
			return nil, fmt.Errorf("computing aggregate %s: %w", a.spec.Aggs[j].Name, err)
		}
		cols = append(cols, array.NewSlice(r, 0, int64(ns)))
		r.Release()
	}
	return cols, nil
}

// sessionChanges emits the changes of the sessions the last batch touched.
func (a *Aggregate) sessionChanges(out *outBuf) error {
	sess, err := a.sessionPass(math.MaxInt64)
	if err != nil {
		return err
	}
	for _, st := range a.starts {
		a.slices[st].clearTouched()
	}
	var ch []*session
	for _, se := range sess {
		if se.touched {
			ch = append(ch, se)
		}
	}
	if len(ch) == 0 {
		return nil
	}
	byEnd(ch)
	cols, err := a.sessionResults(ch)
	if err != nil {
		return err
	}
	prev := make([][]int64, len(ch))
	for i, se := range ch {
		seen := map[int64]bool{}
		for _, c := range se.cells {
			if r := c.s.rec[c.g]; r != 0 && !seen[r] {
				seen[r] = true
				prev[i] = append(prev[i], r)
			}
		}
	}
	ids, err := a.changeRows(cols, prev, out)
	if err != nil {
		return err
	}
	for i, se := range ch {
		for _, c := range se.cells {
			c.s.rec[c.g] = ids[i]
		}
	}
	return nil
}
