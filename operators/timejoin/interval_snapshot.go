package timejoin

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators/statecodec"
)

const intervalMagic = 0x314a_544e_4c51_5353 // "SSQLNTJ1"

// matchedField is the snapshot column of the left rows' matched flags.
var matchedField = arrow.Field{Name: "_matched", Type: arrow.FixedWidthTypes.Boolean}

func (j *IntervalJoin) shape() []int64 {
	s := j.spec
	out := []int64{s.Lower, s.Upper, boolInt(s.LeftOuter), int64(len(s.LeftKeys)), int64(s.LeftTime), int64(s.RightTime)}
	out = append(out, typeShape(s.Left)...)
	out = append(out, typeShape(s.Right)...)
	if s.Unbounded {
		// Only then, so bounded joins' snapshots keep their header.
		out = append(out, 1)
	}
	return out
}

func (j *IntervalJoin) snapSchemas() [2]*arrow.Schema {
	return [2]*arrow.Schema{snapSchema(j.spec.Left, matchedField), snapSchema(j.spec.Right)}
}

// Snapshot writes the buffered rows of both sides, with the left rows'
// matched flags, the watermark, the late count and which inputs have
// ended to w.
func (j *IntervalJoin) Snapshot(ctx context.Context, w io.Writer) error {
	if !j.opened || j.closed {
		return fmt.Errorf("snapshotting interval join: operator not open")
	}
	if err := j.snapshot(ctx, w); err != nil {
		return fmt.Errorf("snapshotting interval join: %w", err)
	}
	return nil
}

func (j *IntervalJoin) snapshot(ctx context.Context, w io.Writer) error {
	hdr := append([]int64{intervalMagic, snapVersion}, j.shape()...)
	if err := statecodec.WriteHeader(w, append(hdr, j.trailer()...)); err != nil {
		return err
	}
	ss := j.snapSchemas()
	left := j.stores[0]
	matched := func(slots []int32) []arrow.Array {
		b := array.NewBooleanBuilder(j.mem)
		defer b.Release()
		for _, id := range slots {
			b.Append(left.marked[id])
		}
		return []arrow.Array{b.NewArray()}
	}
	for side, st := range j.stores {
		var extra func([]int32) []arrow.Array
		if side == 0 {
			extra = matched
		}
		// Re-inserting in arrival order rebuilds each key's rows in the
		// same (event time, arrival) order.
		if err := j.writeRows(ctx, w, j.in[side], ss[side], st, st.liveSlots(), extra); err != nil {
			return err
		}
	}
	return nil
}

// Restore reads state written by Snapshot of an interval join with the
// same spec. It must follow Open and precede every batch.
func (j *IntervalJoin) Restore(ctx context.Context, r io.Reader) error {
	if err := j.checkRestorable(j.rows == [2]int{}); err != nil {
		return err
	}
	if err := j.restore(ctx, r); err != nil {
		return fmt.Errorf("restoring interval join: %w", err)
	}
	return nil
}

func (j *IntervalJoin) restore(ctx context.Context, r io.Reader) error {
	rest, err := readHeader(r, "interval join", intervalMagic, j.shape())
	if err != nil {
		return err
	}
	if err := j.setTrailer(rest); err != nil {
		return err
	}
	ss := j.snapSchemas()
	for side := range 2 {
		err := j.readRows(ctx, r, ss[side], func(rec arrow.RecordBatch) error {
			return j.restoreRows(side, rec)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// restoreRows buffers the rows of a snapshot batch of side.
func (j *IntervalJoin) restoreRows(side int, rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	b := sideBatch(j.in[side], rec)
	defer b.Release()
	tcol := j.times(side, b)
	if tcol != nil && tcol.NullN() > 0 {
		return errors.New("buffered row without event time")
	}
	j.keyCols = j.keyCols[:0]
	for _, c := range j.keyColumns(side) {
		j.keyCols = append(j.keyCols, b.Column(c))
	}
	if err := j.enc.encode(j.keyCols); err != nil {
		return err
	}
	matched := make([]bool, n)
	if side == 0 {
		mc := rec.Column(int(rec.NumCols()) - 1).(*array.Boolean)
		for i := range matched {
			matched[i] = mc.Value(i)
		}
	}
	for i := range n {
		if j.enc.null(i) {
			return errors.New("buffered row with a NULL key")
		}
	}
	return j.buffer(side, b, allRows(n), matched)
}
