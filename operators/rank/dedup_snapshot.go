package rank

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators/statecodec"
)

// Dedup snapshot: the header (magic, version, the spec's shape, then
// watermark, arrival count, late count, key count), an IPC stream of one
// batch with a row per key (its encoded key, last seen, held row's time
// and arrival, emitted and has-row flags) and an IPC stream of the held
// rows, in key order.

const (
	dedupMagic   = 0x31505544_4c515353 // "SSQLDUP1"
	dedupVersion = 1
)

var entrySchema = arrow.NewSchema([]arrow.Field{
	{Name: "key", Type: arrow.BinaryTypes.Binary},
	{Name: "last", Type: arrow.PrimitiveTypes.Int64},
	{Name: "ts", Type: arrow.PrimitiveTypes.Int64},
	{Name: "seq", Type: arrow.PrimitiveTypes.Int64},
	{Name: "done", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "row", Type: arrow.FixedWidthTypes.Boolean},
}, nil)

func (d *Dedup) shape() []int64 {
	s := d.spec
	sh := []int64{dedupMagic, dedupVersion, int64(s.Mode), int64(s.TimeCol), s.TTL,
		int64(s.Input.NumFields()), int64(len(s.KeyCols))}
	for _, c := range s.KeyCols {
		sh = append(sh, int64(c))
	}
	return sh
}

// Snapshot implements operators.Stateful.
func (d *Dedup) Snapshot(ctx context.Context, w io.Writer) error {
	if err := d.checkLive("snapshotting"); err != nil {
		return err
	}
	if err := d.snapshot(ctx, w); err != nil {
		return fmt.Errorf("snapshotting dedup: %w", err)
	}
	return nil
}

func (d *Dedup) snapshot(ctx context.Context, w io.Writer) error {
	hdr := append(d.shape(), d.wm, d.seq, d.late, int64(len(d.index)))
	if err := statecodec.WriteHeader(w, hdr); err != nil {
		return err
	}
	kb := array.NewBinaryBuilder(d.mem, arrow.BinaryTypes.Binary)
	defer kb.Release()
	var last, ts, seq []int64
	var done, has []bool
	var ids []int32
	for _, e := range d.entries {
		if !e.live {
			continue
		}
		kb.AppendString(e.key)
		last, ts, seq = append(last, e.last), append(ts, e.ts), append(seq, e.seq)
		done, has = append(done, e.done), append(has, e.row >= 0)
		if e.row >= 0 {
			ids = append(ids, e.row)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cols := []arrow.Array{kb.NewArray(), int64Array(d.mem, last), int64Array(d.mem, ts),
		int64Array(d.mem, seq), boolArray(d.mem, done), boolArray(d.mem, has)}
	eb := array.NewRecordBatch(entrySchema, cols, int64(len(last)))
	releaseArrays(cols)
	defer eb.Release()
	if err := statecodec.WriteStream(w, d.mem, entrySchema, eb); err != nil {
		return err
	}
	rb, err := d.rows.gather(ids)
	if err != nil {
		return err
	}
	defer rb.Release()
	return statecodec.WriteStream(w, d.mem, d.input, rb)
}

// Restore implements operators.Stateful: it reads state written by
// Snapshot of a Dedup with the same spec, after Open and before any batch.
func (d *Dedup) Restore(ctx context.Context, r io.Reader) error {
	if err := d.checkLive("restoring"); err != nil {
		return err
	}
	if d.seq != 0 || len(d.index) != 0 || d.wm != minWM {
		return fmt.Errorf("restoring dedup: operator already has state")
	}
	if err := d.restore(ctx, r); err != nil {
		return fmt.Errorf("restoring dedup: %w", err)
	}
	return nil
}

func (d *Dedup) restore(ctx context.Context, r io.Reader) error {
	h, err := statecodec.ReadHeader(r)
	if err != nil {
		return err
	}
	if err := h.Expect("dedup", d.shape()); err != nil {
		return err
	}
	wm, seq, late, n := h.Next(), h.Next(), h.Next(), h.Count()
	if h.Err() != nil {
		return h.Err()
	}
	var withRow []int32 // entries holding a row, in order
	err = statecodec.ReadStream(r, d.mem, entrySchema, func(b arrow.RecordBatch) error {
		keys, ok1 := b.Column(0).(*array.Binary)
		last, ok2 := b.Column(1).(*array.Int64)
		ts, ok3 := b.Column(2).(*array.Int64)
		sq, ok4 := b.Column(3).(*array.Int64)
		done, ok5 := b.Column(4).(*array.Boolean)
		has, ok6 := b.Column(5).(*array.Boolean)
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 {
			return errors.New("bad key batch")
		}
		for i := 0; i < int(b.NumRows()); i++ {
			k := keys.Value(i)
			if _, dup := d.index[string(k)]; dup {
				return errors.New("keys are not distinct")
			}
			e := d.newEntry(k, last.Value(i))
			en := &d.entries[e]
			en.ts, en.seq, en.done = ts.Value(i), sq.Value(i), done.Value(i)
			if has.Value(i) {
				withRow = append(withRow, e)
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	if len(d.index) != n {
		return fmt.Errorf("read %d keys, header lists %d", len(d.index), n)
	}
	next := 0
	err = statecodec.ReadStream(r, d.mem, d.input, func(b arrow.RecordBatch) error {
		for i := 0; i < int(b.NumRows()); i++ {
			if next == len(withRow) {
				return errors.New("more rows than keys holding one")
			}
			en := &d.entries[withRow[next]]
			en.row = d.rows.add(b, i)
			next++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if next != len(withRow) {
		return fmt.Errorf("read %d rows, keys hold %d", next, len(withRow))
	}
	for _, e := range withRow {
		if en := d.entries[e]; d.spec.Mode == Earliest && !en.done {
			d.pending.push(candidate{ts: en.ts, seq: en.seq, e: e})
		}
	}
	d.wm, d.seq, d.late = wm, seq, late
	return nil
}

func int64Array(mem memory.Allocator, v []int64) arrow.Array {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(v, nil)
	return b.NewArray()
}

func boolArray(mem memory.Allocator, v []bool) arrow.Array {
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	b.AppendValues(v, nil)
	return b.NewArray()
}
