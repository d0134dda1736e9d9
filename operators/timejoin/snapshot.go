package timejoin

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

// Snapshot encoding, shared by both joins: a length-prefixed header of
// little-endian int64s (magic, version, the spec's shape, watermark, late
// count, ended inputs), then one length-prefixed Arrow IPC stream per side holding its
// buffered rows in the order they must be re-inserted, with the side's
// columns (renamed c0, c1, … since input names may repeat) and any
// per-row flags the join adds.

const snapVersion = 1

// maxHeader bounds the header length read from a snapshot, against corrupt
// input.
const maxHeader = 1 << 16

func writeHeader(w io.Writer, hdr []int64) error {
	if err := binary.Write(w, binary.LittleEndian, int64(len(hdr))); err != nil {
		return err
	}
	return binary.Write(w, binary.LittleEndian, hdr)
}

// readHeader reads a header and checks its magic, version and shape; it
// returns the values after the shape.
func readHeader(r io.Reader, magic int64, shape []int64) ([]int64, error) {
	var n int64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	if n < 2 || n > maxHeader {
		return nil, fmt.Errorf("reading header: bad length %d", n)
	}
	hdr := make([]int64, n)
	if err := binary.Read(r, binary.LittleEndian, hdr); err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	if hdr[0] != magic || hdr[1] != snapVersion {
		return nil, fmt.Errorf("not a snapshot of this operator of version %d", snapVersion)
	}
	hdr = hdr[2:]
	if len(hdr) < len(shape) {
		return nil, errors.New("truncated header")
	}
	for i, want := range shape {
		if hdr[i] != want {
			return nil, fmt.Errorf("snapshot of another join: shape field %d is %d, want %d", i, hdr[i], want)
		}
	}
	return hdr[len(shape):], nil
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

// writeRows writes the rows at slots of st (side schema s) as one
// length-prefixed IPC stream of schema ss, in batches of at most
// operators.BatchSize rows; extra builds the columns after the side's for
// the slots of a batch.
func (c *core) writeRows(ctx context.Context, w io.Writer, s, ss *arrow.Schema, st *store, slots []int32,
	extra func(slots []int32) []arrow.Array) error {
	var buf bytes.Buffer
	iw := ipc.NewWriter(&buf, ipc.WithSchema(ss), ipc.WithAllocator(c.mem))
	var p picker
	for lo := 0; lo < len(slots); lo += operators.BatchSize {
		if err := ctx.Err(); err != nil {
			iw.Close()
			return err
		}
		part := slots[lo:min(lo+operators.BatchSize, len(slots))]
		p.reset()
		for _, id := range part {
			p.add(st.at(id))
		}
		cols, err := p.columns(c.mem, s.Fields())
		if err != nil {
			iw.Close()
			return err
		}
		if extra != nil {
			cols = append(cols, extra(part)...)
		}
		rec := array.NewRecordBatch(ss, cols, int64(len(part)))
		operators.ReleaseAll(cols)
		err = iw.Write(rec)
		rec.Release()
		if err != nil {
			iw.Close()
			return fmt.Errorf("encoding state: %w", err)
		}
	}
	p.reset()
	if err := iw.Close(); err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	if err := binary.Write(w, binary.LittleEndian, int64(buf.Len())); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// readRows reads one length-prefixed IPC stream of schema ss and calls f
// with each batch (borrowed). The IPC decoder may panic on corrupt input;
// that is reported as an error.
func (c *core) readRows(ctx context.Context, r io.Reader, ss *arrow.Schema, f func(arrow.RecordBatch) error) (err error) {
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
	ir, err := ipc.NewReader(&buf, ipc.WithAllocator(c.mem), ipc.WithSchema(ss))
	if err != nil {
		return fmt.Errorf("decoding state: %w", err)
	}
	defer ir.Release()
	if !ir.Schema().Equal(ss) {
		return fmt.Errorf("decoding state: schema %s, want %s", ir.Schema(), ss)
	}
	for ir.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f(ir.RecordBatch()); err != nil {
			return err
		}
	}
	if err := ir.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("decoding state: %w", err)
	}
	return nil
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
