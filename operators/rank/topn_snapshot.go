package rank

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/statecodec"
)

// TopN snapshot: the header (magic, version, the spec's shape, then
// watermark, arrival count, late count, partition count and, per
// partition in order of first row, that arrival and its row count), then
// an IPC stream of the kept rows, partition by partition, best first,
// with their arrival appended as a last column.

const (
	topnMagic   = 0x314e504f_54515353 // "SSQTOPN1"
	topnVersion = 1
)

func (t *TopN) shape() []int64 {
	s := t.spec
	sh := []int64{topnMagic, topnVersion, int64(s.CloseCol), s.CloseOffset, s.N, b2i(s.RowNumber),
		int64(s.Input.NumFields()), int64(len(s.PartitionCols))}
	for _, c := range s.PartitionCols {
		sh = append(sh, int64(c))
	}
	sh = append(sh, int64(len(s.Order)))
	for _, k := range s.Order {
		sh = append(sh, int64(k.Col), b2i(k.Desc), b2i(k.NullsFirst))
	}
	return sh
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (t *TopN) snapSchema() *arrow.Schema {
	return withFields(t.input, arrow.Field{Name: "seq", Type: arrow.PrimitiveTypes.Int64})
}

// Snapshot implements operators.Stateful.
func (t *TopN) Snapshot(ctx context.Context, w io.Writer) error {
	if err := t.checkLive("snapshotting"); err != nil {
		return err
	}
	if err := t.snapshot(ctx, w); err != nil {
		return fmt.Errorf("snapshotting top-n: %w", err)
	}
	return nil
}

func (t *TopN) snapshot(ctx context.Context, w io.Writer) error {
	parts := make([]*partition, 0, len(t.parts))
	for _, p := range t.parts {
		parts = append(parts, p)
	}
	slices.SortFunc(parts, func(a, b *partition) int { return cmp.Compare(a.first, b.first) })
	hdr := append(t.shape(), t.wm, t.seq, t.late, int64(len(parts)))
	var ids []int32
	for _, p := range parts {
		rows := p.rows
		if !t.changes {
			rows = slices.Clone(p.heap.items)
			slices.SortFunc(rows, func(a, b int32) int { return t.order.compare(int(a)+1, int(b)+1) })
		}
		hdr = append(hdr, p.first, int64(len(rows)))
		ids = append(ids, rows...)
	}
	if err := statecodec.WriteHeader(w, hdr); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rb, err := t.rows.gather(ids)
	if err != nil {
		return err
	}
	defer rb.Release()
	seqs := make([]int64, len(ids))
	for i, id := range ids {
		seqs[i] = t.order.seq[id+1]
	}
	cols := append(slices.Clone(rb.Columns()), int64Array(t.mem, seqs))
	defer cols[len(cols)-1].Release()
	sb := array.NewRecordBatch(t.snapSchema(), cols, int64(len(ids)))
	defer sb.Release()
	return statecodec.WriteStream(w, t.mem, t.snapSchema(), sb)
}

// Restore implements operators.Stateful: it reads state written by
// Snapshot of a TopN with the same spec, after Open and before any batch.
func (t *TopN) Restore(ctx context.Context, r io.Reader) error {
	if err := t.checkLive("restoring"); err != nil {
		return err
	}
	if t.seq != 0 || len(t.parts) != 0 || t.wm != minWM {
		return fmt.Errorf("restoring top-n: operator already has state")
	}
	if err := t.restore(ctx, r); err != nil {
		return fmt.Errorf("restoring top-n: %w", err)
	}
	return nil
}

func (t *TopN) restore(ctx context.Context, r io.Reader) error {
	h, err := statecodec.ReadHeader(r)
	if err != nil {
		return err
	}
	if err := h.Expect("top-n", t.shape()); err != nil {
		return err
	}
	wm, seq, late, np := h.Next(), h.Next(), h.Next(), h.Count()
	var firsts []int64
	var sizes []int
	for i := 0; i < np && h.Err() == nil; i++ {
		firsts = append(firsts, h.Next())
		if sizes = append(sizes, h.Count()); sizes[i] < 1 || int64(sizes[i]) > t.spec.N {
			return fmt.Errorf("partition of %d rows", sizes[i])
		}
	}
	if h.Err() != nil {
		return h.Err()
	}
	pi, left := 0, 0 // partition being read, and its rows still to read
	var cur *partition
	err = statecodec.ReadStream(r, t.mem, t.snapSchema(), func(sb arrow.RecordBatch) error {
		b := array.NewRecordBatch(t.input, sb.Columns()[:t.input.NumFields()], sb.NumRows())
		defer b.Release()
		seqs, ok := sb.Column(t.input.NumFields()).(*array.Int64)
		if !ok {
			return errors.New("bad arrival column")
		}
		if err := t.keys.encode(b); err != nil {
			return err
		}
		if err := t.order.load(b); err != nil {
			return err
		}
		var closes *array.Timestamp
		if !t.changes {
			if closes, ok = b.Column(t.spec.CloseCol).(*array.Timestamp); !ok {
				return errors.New("bad close column")
			}
		}
		for i := 0; i < int(b.NumRows()); i++ {
			k := t.keys.row(i)
			if left == 0 {
				if pi == len(sizes) {
					return errors.New("more rows than the header lists")
				}
				if _, dup := t.parts[string(k)]; dup {
					return errors.New("partition keys are not distinct")
				}
				var c int64
				if closes != nil {
					if closes.IsNull(i) {
						return errors.New("NULL close time")
					}
					c = operators.AddSat(int64(closes.Value(i)), t.spec.CloseOffset)
				}
				cur = t.partition(k, c, firsts[pi])
				left = sizes[pi]
				pi++
			} else if string(k) != cur.key {
				return errors.New("rows of a partition have different keys")
			}
			left--
			t.order.probe(i, seqs.Value(i))
			id := t.rows.add(b, i)
			t.order.keep(id)
			if t.changes {
				t.rank, t.cur = grow(t.rank, int(id)+1), grow(t.cur, int(id)+1)
				cur.rows = append(cur.rows, id)
				cur.emitted = append(cur.emitted, id)
				t.rank[id] = int64(len(cur.rows))
			} else {
				cur.heap.push(id)
			}
		}
		return ctx.Err()
	})
	t.last = nil
	if err != nil {
		return err
	}
	if pi != len(sizes) || left != 0 {
		return fmt.Errorf("read %d partitions, header lists %d", pi, len(sizes))
	}
	t.wm, t.seq, t.late = wm, seq, late
	return nil
}
