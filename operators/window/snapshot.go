package window

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/streamsql/streamsql/operators"
)

// Snapshot encoding: a header of little-endian int64s (magic, version,
// the spec's shape, watermark, row count, late count, next record id, the
// processing time of the last throttled emission, the start and group
// count of each slice, the first id and live count of each record chunk),
// then two length-prefixed Arrow IPC streams: one batch per slice (keys,
// accumulator states and per-group metadata, under EMIT CHANGES including
// the pending flags) and, under EMIT CHANGES, one batch per chunk of
// emitted records. EmitEvery is not part of the shape: a snapshot restores
// under another interval, pending changes included.

const (
	snapMagic   = 0x314e4957_4c515353 // "SSQLWIN1"
	snapVersion = 2                   // 2: pending flags, last emission time
)

// maxSnapCount bounds counts read from a snapshot, against corrupt input.
const maxSnapCount = 1 << 40

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
	return []int64{int64(s.Kind), int64(s.Emit), s.Size, s.Slide, s.Gap, s.AllowedLateness,
		int64(len(s.GroupCols)), int64(len(s.Aggs))}
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
	hdr := []int64{snapMagic, snapVersion}
	hdr = append(hdr, a.shape()...)
	hdr = append(hdr, a.wm, a.seq, a.late, a.recs.next, a.lastEmit, int64(len(a.starts)))
	for _, st := range a.starts {
		hdr = append(hdr, st, int64(a.slices[st].n))
	}
	hdr = append(hdr, int64(len(a.recs.chunks)))
	for _, c := range a.recs.chunks {
		hdr = append(hdr, c.first, int64(c.live))
	}
	if err := binary.Write(w, binary.LittleEndian, int64(len(hdr))); err != nil {
		return err
	}
	if err := binary.Write(w, binary.LittleEndian, hdr); err != nil {
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
	if err := writeStream(w, a, ss, recs); err != nil {
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
	return writeStream(w, a, rs, chunks)
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

// writeStream writes recs as one length-prefixed Arrow IPC stream.
func writeStream(w io.Writer, a *Aggregate, s *arrow.Schema, recs []arrow.RecordBatch) error {
	var buf bytes.Buffer
	iw := ipc.NewWriter(&buf, ipc.WithSchema(s), ipc.WithAllocator(a.mem))
	for _, r := range recs {
		if err := iw.Write(r); err != nil {
			iw.Close()
			return fmt.Errorf("encoding state: %w", err)
		}
	}
	if err := iw.Close(); err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	if err := binary.Write(w, binary.LittleEndian, int64(buf.Len())); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
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

type hdrReader struct {
	vals []int64
	err  error
}

func (h *hdrReader) next() int64 {
	if len(h.vals) == 0 {
		h.err = errors.New("truncated header")
		return 0
	}
	v := h.vals[0]
	h.vals = h.vals[1:]
	return v
}

func (h *hdrReader) count() int {
	v := h.next()
	if v < 0 || v > maxSnapCount {
		h.err = fmt.Errorf("bad count %d in header", v)
		return 0
	}
	return int(v)
}

func (a *Aggregate) restore(ctx context.Context, r io.Reader) error {
	var nh int64
	if err := binary.Read(r, binary.LittleEndian, &nh); err != nil {
		return fmt.Errorf("reading header: %w", err)
	}
	if nh < 2 || nh > 1<<24 {
		return fmt.Errorf("reading header: bad length %d", nh)
	}
	h := &hdrReader{vals: make([]int64, nh)}
	if err := binary.Read(r, binary.LittleEndian, h.vals); err != nil {
		return fmt.Errorf("reading header: %w", err)
	}
	if h.next() != snapMagic || h.next() != snapVersion {
		return fmt.Errorf("not a window aggregate snapshot of version %d", snapVersion)
	}
	for i, want := range a.shape() {
		if got := h.next(); got != want && h.err == nil {
			return fmt.Errorf("snapshot of another window aggregate: shape field %d is %d, want %d", i, got, want)
		}
	}
	wm, seq, late, next, lastEmit := h.next(), h.next(), h.next(), h.next(), h.next()
	ns := h.count()
	starts := make([]int64, 0, min(ns, 1<<16))
	sizes := make([]int, 0, min(ns, 1<<16))
	for i := 0; i < ns && h.err == nil; i++ {
		starts = append(starts, h.next())
		sizes = append(sizes, h.count())
	}
	nc := h.count()
	firsts := make([]int64, 0, min(nc, 1<<16))
	lives := make([]int, 0, min(nc, 1<<16))
	for i := 0; i < nc && h.err == nil; i++ {
		firsts = append(firsts, h.next())
		lives = append(lives, h.count())
	}
	if h.err != nil {
		return h.err
	}
	ss := a.sliceSchema()
	i := 0
	err := readStream(r, a, ss, func(rec arrow.RecordBatch) error {
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
	err = readStream(r, a, rs, func(rec arrow.RecordBatch) error {
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

// readStream reads one length-prefixed Arrow IPC stream of schema s and
// calls f with each batch (borrowed). The IPC decoder may panic on corrupt
// input; that is reported as an error.
func readStream(r io.Reader, a *Aggregate, s *arrow.Schema, f func(arrow.RecordBatch) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoding state: corrupt snapshot: %v", p)
		}
	}()
	var n int64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return fmt.Errorf("reading state: %w", err)
	}
	if n < 0 || n > 1<<40 {
		return fmt.Errorf("reading state: bad length %d", n)
	}
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, r, n); err != nil {
		return fmt.Errorf("reading state: %w", err)
	}
	ir, err := ipc.NewReader(&buf, ipc.WithAllocator(a.mem), ipc.WithSchema(s))
	if err != nil {
		return fmt.Errorf("decoding state: %w", err)
	}
	defer ir.Release()
	if !ir.Schema().Equal(s) {
		return fmt.Errorf("decoding state: schema %s, want %s", ir.Schema(), s)
	}
	for ir.Next() {
		if err := f(ir.RecordBatch()); err != nil {
			return err
		}
	}
	if err := ir.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("decoding state: %w", err)
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
