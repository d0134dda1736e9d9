package window

import (
	"context"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// recStore keeps the rows emitted as inserts under EMIT CHANGES, so that
// a later change can retract them. Records have ids 1, 2, …; the rows of
// one emission share a chunk, freed when all its records are dropped.
type recStore struct {
	mem    memory.Allocator
	next   int64       // id of the next record
	chunks []*recChunk // by first id, increasing
}

type recChunk struct {
	first int64
	cols  []arrow.Array // output columns without _op
	live  int
}

func (r *recStore) init(mem memory.Allocator) {
	r.mem, r.next, r.chunks = mem, 1, nil
}

// add stores cols (retained) as new records and returns the first id; row
// i has id first+i.
func (r *recStore) add(cols []arrow.Array) int64 {
	for _, c := range cols {
		c.Retain()
	}
	n := cols[0].Len()
	first := r.next
	r.next += int64(n)
	r.chunks = append(r.chunks, &recChunk{first: first, cols: cols, live: n})
	return first
}

func (r *recStore) find(id int64) (int, bool) {
	i := sort.Search(len(r.chunks), func(i int) bool { return r.chunks[i].first > id }) - 1
	if i < 0 || id-r.chunks[i].first >= int64(r.chunks[i].cols[0].Len()) {
		return 0, false
	}
	return i, true
}

// drop forgets record id (0: none).
func (r *recStore) drop(id int64) {
	if id == 0 {
		return
	}
	i, ok := r.find(id)
	if !ok {
		return
	}
	c := r.chunks[i]
	if c.live--; c.live == 0 {
		operators.ReleaseAll(c.cols)
		r.chunks = append(r.chunks[:i], r.chunks[i+1:]...)
	}
}

// gather returns the rows of records ids, in order.
func (r *recStore) gather(types []arrow.DataType, ids []int64) ([]arrow.Array, error) {
	refs := make([]srcRow, len(ids))
	srcs := make([][]arrow.Array, 0, 2)
	at := map[int]int32{}
	for i, id := range ids {
		c, ok := r.find(id)
		if !ok {
			return nil, fmt.Errorf("retracting record %d: unknown", id)
		}
		s, seen := at[c]
		if !seen {
			s = int32(len(srcs))
			at[c] = s
			srcs = append(srcs, r.chunks[c].cols)
		}
		refs[i] = srcRow{src: s, row: int32(id - r.chunks[c].first)}
	}
	return gatherRows(r.mem, types, srcs, refs)
}

func (r *recStore) bytes() int64 {
	var b int64
	for _, c := range r.chunks {
		for _, col := range c.cols {
			b += arrayBytes(col)
		}
	}
	return b
}

func (r *recStore) release() {
	for _, c := range r.chunks {
		operators.ReleaseAll(c.cols)
	}
	r.chunks = nil
}

// srcRow is row row of source src.
type srcRow struct{ src, row int32 }

// gatherRows builds columns of the given types whose row i is row
// refs[i].row of srcs[refs[i].src] (borrowed).
func gatherRows(mem memory.Allocator, types []arrow.DataType, srcs [][]arrow.Array, refs []srcRow) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(types))
	rows := make([][]int32, len(srcs))
	for _, r := range refs {
		rows[r.src] = append(rows[r.src], r.row)
	}
	// Position of each ref in the concatenation of the per-source takes.
	base := make([]int32, len(srcs))
	for s := 1; s < len(srcs); s++ {
		base[s] = base[s-1] + int32(len(rows[s-1]))
	}
	var perm []int32
	if len(srcs) > 1 {
		next := append([]int32(nil), base...)
		perm = make([]int32, len(refs))
		ident := true
		for i, r := range refs {
			perm[i] = next[r.src]
			next[r.src]++
			ident = ident && perm[i] == int32(i)
		}
		if ident {
			perm = nil
		}
	}
	for c := range types {
		parts := make([]arrow.Array, 0, len(srcs))
		for s, src := range srcs {
			if len(rows[s]) == 0 {
				continue
			}
			t, err := operators.Take(mem, src[c], rows[s])
			if err != nil {
				operators.ReleaseAll(parts)
				operators.ReleaseAll(out)
				return nil, fmt.Errorf("gathering window rows: %w", err)
			}
			parts = append(parts, t)
		}
		col, err := concat(mem, types[c], parts)
		operators.ReleaseAll(parts)
		if err != nil {
			operators.ReleaseAll(out)
			return nil, err
		}
		out[c] = col
	}
	return permute(mem, out, perm)
}

// rowTypes are the output column types without _op.
func (a *Aggregate) rowTypes() []arrow.DataType {
	n := a.out.NumFields()
	if a.changes {
		n--
	}
	ts := make([]arrow.DataType, n)
	for i := range ts {
		ts[i] = a.out.Field(i).Type
	}
	return ts
}

// emitChanges emits the changes of the (window, group) results the last
// batch touched.
func (a *Aggregate) emitChanges(ctx context.Context, emit operators.Emit) error {
	out := &outBuf{ctx: ctx, mem: a.mem, schema: a.out, emit: emit}
	defer out.release()
	var err error
	if a.spec.Kind == Session {
		err = a.sessionChanges(out)
	} else {
		err = a.windowChanges(out)
	}
	if err != nil {
		if out.emitErr {
			return err
		}
		return fmt.Errorf("emitting window changes: %w", err)
	}
	return out.flush(true)
}

// windowChanges emits the changes of whole-window slices.
func (a *Aggregate) windowChanges(out *outBuf) error {
	for _, st := range a.starts {
		s := a.slices[st]
		if len(s.touchList) == 0 {
			continue
		}
		idx := make([]int32, len(s.touchList))
		for i, g := range s.touchList {
			idx[i] = int32(g)
		}
		s.clearTouched()
		sort.Slice(idx, func(i, j int) bool { return idx[i] < idx[j] })
		idx, err := a.retireGroups(s, idx, out)
		if err != nil {
			return err
		}
		if len(idx) == 0 {
			continue
		}
		all, err := a.sliceResult(s)
		if err != nil {
			return err
		}
		cols, err := permute(a.mem, all, idx)
		if err != nil {
			return err
		}
		prev := make([][]int64, len(idx))
		for i, g := range idx {
			if r := s.rec[g]; r != 0 {
				prev[i] = []int64{r}
			}
		}
		ids, err := a.changeRows(cols, prev, out)
		if err != nil {
			return err
		}
		for i, g := range idx {
			s.rec[g] = ids[i]
		}
	}
	return nil
}

// changeRows emits, for each row i of cols (owned), deletes of the
// records prev[i] then an insert of row i, stores the inserted rows as new
// records, drops the retracted ones, and returns each row's record id.
// Throttled, a row equal to its one previous record is a net non-change:
// it emits nothing and keeps that record's id.
func (a *Aggregate) changeRows(cols []arrow.Array, prev [][]int64, out *outBuf) ([]int64, error) {
	defer operators.ReleaseAll(cols)
	var flat []int64
	for _, p := range prev {
		flat = append(flat, p...)
	}
	n := cols[0].Len()
	ids := make([]int64, n)
	ops := array.NewStringBuilder(a.mem)
	defer ops.Release()
	if len(flat) == 0 {
		rows := make([]arrow.Array, len(cols), len(cols)+1)
		for i, c := range cols {
			c.Retain()
			rows[i] = c
		}
		for i := 0; i < n; i++ {
			ops.Append(operators.OpInsert)
		}
		first := a.recs.add(cols)
		for i := range ids {
			ids[i] = first + int64(i)
		}
		return ids, out.add(append(rows, ops.NewArray()))
	}
	old, err := a.recs.gather(a.rowTypes(), flat)
	if err != nil {
		return nil, err
	}
	defer operators.ReleaseAll(old)
	var same []bool
	if a.spec.EmitEvery > 0 {
		same = make([]bool, n)
		p := 0
		for i := 0; i < n; i++ {
			same[i] = len(prev[i]) == 1 && rowEqual(old, p, cols, i)
			p += len(prev[i])
		}
	}
	var refs []srcRow
	p := int32(0)
	for i := 0; i < n; i++ {
		if same != nil && same[i] {
			p++
			continue
		}
		for range prev[i] {
			refs = append(refs, srcRow{src: 0, row: p})
			ops.Append(operators.OpDelete)
			p++
		}
		refs = append(refs, srcRow{src: 1, row: int32(i)})
		ops.Append(operators.OpInsert)
	}
	if len(refs) == 0 {
		for i := range ids {
			ids[i] = prev[i][0]
		}
		return ids, nil
	}
	rows, err := gatherRows(a.mem, a.rowTypes(), [][]arrow.Array{old, cols}, refs)
	if err != nil {
		return nil, err
	}
	first := a.recs.add(cols)
	for i := range ids {
		if same != nil && same[i] {
			ids[i] = prev[i][0]
			a.recs.drop(first + int64(i)) // never emitted
			continue
		}
		ids[i] = first + int64(i)
		for _, id := range prev[i] {
			a.recs.drop(id)
		}
	}
	return ids, out.add(append(rows, ops.NewArray()))
}
