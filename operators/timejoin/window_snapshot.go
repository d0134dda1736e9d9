package timejoin

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/operators/statecodec"
)

const windowMagic = 0x314a_4e57_4c51_5353 // "SSQLWNJ1"

func (j *WindowJoin) shape() []int64 {
	s := j.spec
	out := []int64{int64(s.Type), int64(len(s.LeftKeys)), int64(s.LeftStart), int64(s.LeftEnd),
		int64(s.RightStart), int64(s.RightEnd)}
	out = append(out, typeShape(s.Left)...)
	return append(out, typeShape(s.Right)...)
}

// Snapshot writes the buffered rows of both sides, window by window in
// arrival order, the watermark, the late count and which inputs have
// ended to w.
func (j *WindowJoin) Snapshot(ctx context.Context, w io.Writer) error {
	if !j.opened || j.closed {
		return fmt.Errorf("snapshotting window join: operator not open")
	}
	if err := j.snapshot(ctx, w); err != nil {
		return fmt.Errorf("snapshotting window join: %w", err)
	}
	return nil
}

func (j *WindowJoin) snapshot(ctx context.Context, w io.Writer) error {
	hdr := append([]int64{windowMagic, snapVersion}, j.shape()...)
	if err := statecodec.WriteHeader(w, append(hdr, j.trailer()...)); err != nil {
		return err
	}
	for side, st := range j.stores {
		// Re-inserting window by window in arrival order restores each
		// window's rows in the same order.
		slots := make([]int32, 0, j.rows[side])
		for _, k := range j.order {
			for _, r := range j.windows[k].rows[side] {
				slots = append(slots, r.slot)
			}
		}
		if err := j.writeRows(ctx, w, j.in[side], snapSchema(j.in[side]), st, slots, nil); err != nil {
			return err
		}
	}
	return nil
}

// Restore reads state written by Snapshot of a window join with the same
// spec. It must follow Open and precede every batch.
func (j *WindowJoin) Restore(ctx context.Context, r io.Reader) error {
	if err := j.checkRestorable(len(j.order) == 0); err != nil {
		return err
	}
	if err := j.restore(ctx, r); err != nil {
		return fmt.Errorf("restoring window join: %w", err)
	}
	return nil
}

func (j *WindowJoin) restore(ctx context.Context, r io.Reader) error {
	rest, err := readHeader(r, "window join", windowMagic, j.shape())
	if err != nil {
		return err
	}
	if err := j.setTrailer(rest); err != nil {
		return err
	}
	for side := range 2 {
		err := j.readRows(ctx, r, snapSchema(j.in[side]), func(rec arrow.RecordBatch) error {
			b := sideBatch(j.in[side], rec)
			defer b.Release()
			sc, ec := j.boundCols(side)
			if b.Column(sc).NullN() > 0 || b.Column(ec).NullN() > 0 {
				return errors.New("buffered row without window bounds")
			}
			return j.buffer(side, b, allRows(int(b.NumRows())), true)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
