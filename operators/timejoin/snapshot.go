package timejoin

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

// Snapshot encoding, shared by both joins and framed by
// operators/statecodec: a header of int64s (magic, version, the spec's
// shape, watermark, late count, ended inputs), then one Arrow IPC stream
// per side holding its buffered rows in the order they must be
// re-inserted, with the side's columns (renamed c0, c1, … since input
// names may repeat) and any per-row flags the join adds.

const snapVersion = 2 // 2: checksummed chunks

// readHeader reads a header and checks its magic, version and shape; it
// returns the values after the shape.
func readHeader(r io.Reader, what string, magic int64, shape []int64) ([]int64, error) {
	h, err := statecodec.ReadHeader(r)
	if err != nil {
		return nil, err
	}
	if err := h.Expect(what, append([]int64{magic, snapVersion}, shape...)); err != nil {
		return nil, err
	}
	return h.Rest(), nil
}

// snapSchema is the schema of a side's snapshot stream: the side's column
// types under positional names, then extra.
func snapSchema(s *arrow.Schema, extra ...arrow.Field) *arrow.Schema {
	fs := make([]arrow.Field, 0, s.NumFields()+len(extra))
	for i, f := range s.Fields() {
		fs = append(fs, arrow.Field{Name: fmt.Sprintf("c%d", i), Type: f.Type, Nullable: true})
	}
	return arrow.NewSchema(append(fs, extra...), nil)
}

// typeShape encodes the column types of s for a header, so a snapshot is
// not restored into a join over other types.
func typeShape(s *arrow.Schema) []int64 {
	out := []int64{int64(s.NumFields())}
	for _, f := range s.Fields() {
		out = append(out, int64(f.Type.ID()))
	}
	return out
}

// writeRows writes the rows at slots of st (side schema s) as one IPC
// stream of schema ss, in batches of at most operators.BatchSize rows;
// extra builds the columns after the side's for the slots of a batch.
func (c *core) writeRows(ctx context.Context, w io.Writer, s, ss *arrow.Schema, st *store, slots []int32,
	extra func(slots []int32) []arrow.Array) error {
	var p picker
	defer p.reset()
	return statecodec.WriteStreamFunc(w, c.mem, ss, func(put func(arrow.RecordBatch) error) error {
		for lo := 0; lo < len(slots); lo += operators.BatchSize {
			if err := ctx.Err(); err != nil {
				return err
			}
			part := slots[lo:min(lo+operators.BatchSize, len(slots))]
			p.reset()
			for _, id := range part {
				p.add(st.at(id))
			}
			cols, err := p.columns(c.mem, s.Fields())
			if err != nil {
				return err
			}
			if extra != nil {
				cols = append(cols, extra(part)...)
			}
			rec := array.NewRecordBatch(ss, cols, int64(len(part)))
			operators.ReleaseAll(cols)
			err = put(rec)
			rec.Release()
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// readRows reads one IPC stream of schema ss and calls f with each batch
// (borrowed), checking ctx between batches.
func (c *core) readRows(ctx context.Context, r io.Reader, ss *arrow.Schema, f func(arrow.RecordBatch) error) error {
	return statecodec.ReadStream(r, c.mem, ss, func(rec arrow.RecordBatch) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return f(rec)
	})
}

// sideBatch returns the side's columns of a snapshot batch under the
// side's schema (a new reference owned by the caller).
func sideBatch(s *arrow.Schema, rec arrow.RecordBatch) arrow.RecordBatch {
	return array.NewRecordBatch(s, rec.Columns()[:s.NumFields()], rec.NumRows())
}

// allRows returns 0..n-1.
func allRows(n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

// trailer is the header's tail: the watermark, late count and ended
// inputs.
func (c *core) trailer() []int64 {
	return []int64{c.wm, c.late, boolInt(c.ended[0]), boolInt(c.ended[1])}
}

// setTrailer restores what trailer saved.
func (c *core) setTrailer(rest []int64) error {
	if len(rest) != 4 || rest[1] < 0 {
		return errors.New("bad header")
	}
	c.wm, c.late = rest[0], rest[1]
	for i := range c.ended {
		c.ended[i] = rest[2+i] != 0
		c.reEnd[i] = c.ended[i]
	}
	return nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// checkRestorable validates a Restore call.
func (c *core) checkRestorable(empty bool) error {
	if !c.opened || c.closed {
		return fmt.Errorf("restoring %s: operator not open", c.name)
	}
	if !empty || c.wm != minWM || c.late != 0 || c.ended != [2]bool{} {
		return fmt.Errorf("restoring %s: operator already has state", c.name)
	}
	return nil
}
