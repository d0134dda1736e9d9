package window

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/statecodec"
)

// Snapshot encoding, framed by operators/statecodec: a header of int64s
// (magic, version, the spec's shape, watermark, row count, late count,
// next record id, the processing time of the last throttled emission, the
// start and group count of each slice, the first id and live count of
// each record chunk), then two Arrow IPC streams: one batch per slice
// (keys, accumulator states and per-group metadata, under EMIT CHANGES
// including the pending flags) and, under EMIT CHANGES, one batch per
// chunk of emitted records. EmitEvery is not part of the shape: a
// snapshot restores under another interval, pending changes included.

const (
	snapMagic   = 0x314e4957_4c515353 // "SSQLWIN1"
	snapVersion = 3                   // 2: pending flags, last emission time; 3: checksummed chunks
)

// sliceSchema is the schema of the snapshot batch of a slice.
func (a *Aggregate) sliceSchema() *arrow.Schema {
	var fs []arrow.Field
	for i, dt := range a.keyTypes {
		fs = append(fs, arrow.Field{Name: fmt.Sprintf("k%d", i), Type: dt, Nullable: true})
	}
	for j, sts := range a.accState {
		for k, dt := range sts {
			fs = append(fs, arrow.Field{Name: fmt.Sprintf("a%d_%d", j, k), Type: dt, Nullable: true})
		}
	}
	i64 := arrow.PrimitiveTypes.Int64
	fs = append(fs, arrow.Field{Name: "seq", Type: i64})
	if a.retract {
		fs = append(fs, arrow.Field{Name: "live", Type: i64})
	}
	if a.spec.Kind == Session {
		fs = append(fs, arrow.Field{Name: "min", Type: i64}, arrow.Field{Name: "max", Type: i64},
			arrow.Field{Name: "done", Type: arrow.FixedWidthTypes.Boolean}, arrow.Field{Name: "late_before", Type: i64})
	}
	if a.changes {
		fs = append(fs, arrow.Field{Name: "rec", Type: i64}, arrow.Field{Name: "pending", Type: arrow.FixedWidthTypes.Boolean})
	}
	return arrow.NewSchema(fs, nil)
}

func (a *Aggregate) shape() []int64 {
	s := a.spec
	shape := []int64{int64(s.Kind), int64(s.Emit), s.Size, s.Slide, s.Gap, s.AllowedLateness,
		int64(len(s.GroupCols)), int64(len(s.Aggs))}
	if a.retract {
		// Only then, so append-only snapshots keep their header.
		shape = append(shape, 1)
	}
	return shape
}

// header is the start of the snapshot header: magic, version, shape.
func (a *Aggregate) header() []int64 {
	return append([]int64{snapMagic, snapVersion}, a.shape()...)
}

// Snapshot writes the aggregate's state to w.
func (a *Aggregate) Snapshot(ctx context.Context, w io.Writer) error {
	if !a.opened || a.closed {
		return fmt.Errorf("snapshotting window aggregate: operator not open")
	}
	if err := a.snapshot(ctx, w); err != nil {
		return fmt.Errorf("snapshotting window aggregate: %w", err)
	}
	return nil
}

func (a *Aggregate) snapshot(ctx context.Context, w io.Writer) error {
	hdr := append(a.header(), a.wm, a.seq, a.late, a.recs.next, a.lastEmit, int64(len(a.starts)))
	for _, st := range a.starts {
		hdr = append(hdr, st, int64(a.slices[st].n))
	}
	hdr = append(hdr, int64(len(a.recs.chunks)))
	for _, c := range a.recs.chunks {
		hdr = append(hdr, c.first, int64(c.live))
	}
	if err := statecodec.WriteHeader(w, hdr); err != nil {
		return err
	}
	ss := a.sliceSchema()
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for _, st := range a.starts {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := a.sliceBatch(ss, a.slices[st])
		if err != nil {
			return err
		}
		recs = append(recs, r)
	}
	if err := statecodec.WriteStream(w, a.mem, ss, recs...); err != nil {
		return err
	}
	if !a.changes {
		return nil
	}
	rs := arrow.NewSchema(a.out.Fields()[:a.out.NumFields()-1], nil)
	chunks := make([]arrow.RecordBatch, len(a.recs.chunks))
	for i, c := range a.recs.chunks {
		chunks[i] = array.NewRecordBatch(rs, c.cols, int64(c.cols[0].Len()))
	}
	defer func() {
		for _, r := range chunks {
			r.Release()
		}
	}()
	return statecodec.WriteStream(w, a.mem, rs, chunks...)
}

// sliceBatch builds the snapshot batch of s.
func (a *Aggregate) sliceBatch(ss *arrow.Schema, s *slice) (arrow.RecordBatch, error) {
	var cols []arrow.Array
	defer func() { operators.ReleaseAll(cols) }()
	if s.table != nil {
		keys, err := s.keyArrays()
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			k.Retain()
			cols = append(cols, k)
		}
	}
	for j, acc := range s.accs {
		st, err := acc.State(a.mem)
		if err != nil {
			return nil, fmt.Errorf("reading aggregate %s state: %w", a.spec.Aggs[j].Name, err)
		}
		cols = append(cols, st...)
	}
	i64 := func(v []int64) arrow.Array {
		b := array.NewInt64Builder(a.mem)
		defer b.Release()
		b.AppendValues(v, nil)
		return b.NewArray()
	}
	cols = append(cols, i64(s.seq))
	if a.retract {
		cols = append(cols, i64(s.live))
	}
	if a.spec.Kind == Session {
		db := array.NewBooleanBuilder(a.mem)
		db.AppendValues(s.done, nil)
		cols = append(cols, i64(s.minT), i64(s.maxT), db.NewArray(), i64(s.lateBefore))
		db.Release()
	}
	if a.changes {
		pb := array.NewBooleanBuilder(a.mem)
		pb.AppendValues(s.touched, nil)
		cols = append(cols, i64(s.rec), pb.NewArray())
		pb.Release()
	}
	for _, c := range cols {
		if c.Len() != s.n {
			return nil, fmt.Errorf("building slice snapshot: column of %d rows for %d groups", c.Len(), s.n)
		}
	}
	return array.NewRecordBatch(ss, cols, int64(s.n)), nil
}

// Restore reads state written by Snapshot of an aggregate with the same
// spec. It must follow Open and precede every batch.
func (a *Aggregate) Restore(ctx context.Context, r io.Reader) error {
	if !a.opened || a.closed {
		return fmt.Errorf("restoring window aggregate: operator not open")
	}
	if a.seq != 0 || len(a.starts) != 0 || a.wm != minWM {
		return fmt.Errorf("restoring window aggregate: operator already has state")
	}
	if err := a.restore(ctx, r); err != nil {
		return fmt.Errorf("restoring window aggregate: %w", err)
	}
	return nil
}

func (a *Aggregate) restore(ctx context.Context, r io.Reader) error {
	h, err := statecodec.ReadHeader(r)
	if err != nil {
		return err
	}
	if err := h.Expect("window aggregate", a.header()); err != nil {
		return err
	}
	wm, seq, late, next, lastEmit := h.Next(), h.Next(), h.Next(), h.Next(), h.Next()
	ns := h.Count()
	starts := make([]int64, 0, min(ns, 1<<16))
	sizes := make([]int, 0, min(ns, 1<<16))
	for i := 0; i < ns && h.Err() == nil; i++ {
		starts = append(starts, h.Next())
		sizes = append(sizes, h.Count())
	}
	nc := h.Count()
	firsts := make([]int64, 0, min(nc, 1<<16))
	lives := make([]int, 0, min(nc, 1<<16))
	for i := 0; i < nc && h.Err() == nil; i++ {
		firsts = append(firsts, h.Next())
		lives = append(lives, h.Count())
	}
	if err := h.Err(); err != nil {
		return err
	}
	ss := a.sliceSchema()
	i := 0
	err = statecodec.ReadStream(r, a.mem, ss, func(rec arrow.RecordBatch) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if i >= len(starts) || int(rec.NumRows()) != sizes[i] {
			return errors.New("slice batches do not match the header")
		}
		err := a.restoreSlice(starts[i], rec)
		i++
		return err
	})
	if err != nil {
		return err
	}
	if i != len(starts) {
		return fmt.Errorf("read %d slices, header lists %d", i, len(starts))
	}
	a.wm, a.seq, a.late, a.recs.next, a.lastEmit = wm, seq, late, next, lastEmit
	if !a.changes {
		return nil
	}
	rs := arrow.NewSchema(a.out.Fields()[:a.out.NumFields()-1], nil)
	i = 0
	err = statecodec.ReadStream(r, a.mem, rs, func(rec arrow.RecordBatch) error {
		if i >= len(firsts) {
			return errors.New("record chunks do not match the header")
		}
		cols := make([]arrow.Array, rec.NumCols())
		for c := range cols {
			cols[c] = rec.Column(c)
			cols[c].Retain()
		}
		a.recs.chunks = append(a.recs.chunks, &recChunk{first: firsts[i], cols: cols, live: lives[i]})
		i++
		return nil
	})
	if err != nil {
		return err
	}
	if i != len(firsts) {
		return fmt.Errorf("read %d record chunks, header lists %d", i, len(firsts))
	}
	return nil
}

// restoreSlice rebuilds the slice starting at start from its snapshot
// batch.
func (a *Aggregate) restoreSlice(start int64, rec arrow.RecordBatch) error {
	s, err := a.getSlice(start)
	if err != nil {
		return err
	}
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	if s.table == nil && n != 1 {
		return fmt.Errorf("slice without keys has %d groups", n)
	}
	nk := len(a.keyTypes)
	c := 0
	keys := make([]arrow.Array, nk)
	for ; c < nk; c++ {
		keys[c] = rec.Column(c)
	}
	groups, err := s.findKeys(keys, n, origin{})
	if err != nil {
		return err
	}
	for r, g := range groups {
		if int(g) != r {
			return fmt.Errorf("slice keys are not distinct")
		}
	}
	groups = append([]uint32(nil), groups...)
	for j, acc := range s.accs {
		st := make([]arrow.Array, len(a.accState[j]))
		for k := range st {
			st[k] = rec.Column(c)
			c++
		}
		if err := acc.Merge(groups, st); err != nil {
			return fmt.Errorf("restoring aggregate %s: %w", a.spec.Aggs[j].Name, err)
		}
	}
	i64 := func() ([]int64, error) {
		col, ok := rec.Column(c).(*array.Int64)
		c++
		if !ok {
			return nil, errors.New("bad metadata column")
		}
		return col.Int64Values(), nil
	}
	seq, err := i64()
	if err != nil {
		return err
	}
	copy(s.seq, seq)
	if a.retract {
		live, err := i64()
		if err != nil {
			return err
		}
		for _, n := range live {
			if n < 0 {
				return errors.New("negative group row count")
			}
		}
		copy(s.live, live)
	}
	if a.spec.Kind == Session {
		minT, err := i64()
		if err != nil {
			return err
		}
		maxT, err := i64()
		if err != nil {
			return err
		}
		done, ok := rec.Column(c).(*array.Boolean)
		c++
		if !ok {
			return errors.New("bad metadata column")
		}
		lateBefore, err := i64()
		if err != nil {
			return err
		}
		copy(s.minT, minT)
		copy(s.maxT, maxT)
		copy(s.lateBefore, lateBefore)
		for g := range s.done {
			s.done[g] = done.Value(g)
		}
	}
	if a.changes {
		recs, err := i64()
		if err != nil {
			return err
		}
		copy(s.rec, recs)
		pending, ok := rec.Column(c).(*array.Boolean)
		if !ok {
			return errors.New("bad metadata column")
		}
		for g := 0; g < n; g++ {
			if pending.Value(g) {
				s.touch(uint32(g))
			}
		}
	}
	return nil
}
