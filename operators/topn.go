package operators

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TopN emits the first limit rows, after skipping offset rows, of its
// input ordered by keys (ORDER BY … LIMIT … OFFSET …). It keeps only the
// best limit+offset rows in a bounded heap, so its memory is bounded by
// that many rows plus about two input batches. Ties keep input order, as
// with Sort.
type TopN struct {
	schema        *arrow.Schema
	keys          []SortKey
	limit, offset int64
	k             int // rows kept: limit+offset

	mem memory.Allocator
	bk  []sortKeyCol // keys of the batch being processed

	// Slots hold the kept rows; slot s is row slotRow[s] of
	// held[slotSrc[s]], arrived as input row slotSeq[s], with keys hk[·] row s.
	hk      []sortKeyCol
	slotSrc []int32
	slotRow []int32
	slotSeq []int64
	heap    []int32 // slots, worst on top

	held     []arrow.RecordBatch
	heldRows int // rows of held batches since the last compaction
	seq      int64
}

var _ Operator = (*TopN)(nil)

// NewTopN returns a top-n operator keeping limit rows after offset.
func NewTopN(schema *arrow.Schema, keys []SortKey, limit, offset int64) *TopN {
	return &TopN{schema: schema, keys: keys, limit: limit, offset: max(offset, 0)}
}

// Schema implements Operator.
func (t *TopN) Schema() *arrow.Schema { return t.schema }

// Open implements Operator.
func (t *TopN) Open(ctx context.Context, mem memory.Allocator) error {
	if t.limit < 0 {
		return fmt.Errorf("opening top-n: limit %d is negative", t.limit)
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	t.mem = mem
	k := t.limit + t.offset
	if k < 0 || k > math.MaxInt32 {
		k = math.MaxInt32
	}
	t.k = int(k)
	var err error
	if t.bk, err = newSortKeyCols(t.schema, t.keys); err != nil {
		return fmt.Errorf("opening top-n: %w", err)
	}
	if t.hk, err = newSortKeyCols(t.schema, t.keys); err != nil {
		return fmt.Errorf("opening top-n: %w", err)
	}
	return nil
}

// worse reports whether slot a orders after slot b.
func (t *TopN) worse(a, b int32) bool {
	if r := compareSortRows(t.hk, int(a), t.hk, int(b)); r != 0 {
		return r > 0
	}
	return t.slotSeq[a] > t.slotSeq[b]
}

func (t *TopN) siftUp(i int) {
	h := t.heap
	for i > 0 {
		p := (i - 1) / 2
		if !t.worse(h[i], h[p]) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (t *TopN) siftDown(i int) {
	h := t.heap
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && t.worse(h[r], h[l]) {
			c = r
		}
		if !t.worse(h[c], h[i]) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// push adds row i of the current batch (held[src]-to-be) as a new slot.
func (t *TopN) push(src int32, i int) {
	s := int32(len(t.slotSrc))
	t.slotSrc = append(t.slotSrc, src)
	t.slotRow = append(t.slotRow, int32(i))
	t.slotSeq = append(t.slotSeq, t.seq+int64(i))
	for k := range t.hk {
		t.hk[k].appendRow(&t.bk[k], i)
	}
	t.heap = append(t.heap, s)
	t.siftUp(len(t.heap) - 1)
}

// replace puts row i of the current batch in place of the worst slot.
func (t *TopN) replace(src int32, i int) {
	s := t.heap[0]
	t.slotSrc[s], t.slotRow[s], t.slotSeq[s] = src, int32(i), t.seq+int64(i)
	for k := range t.hk {
		t.hk[k].setRow(int(s), &t.bk[k], i)
	}
	t.siftDown(0)
}

// ProcessBatch implements Operator.
func (t *TopN) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit Emit) error {
	if t.bk == nil && len(t.keys) > 0 {
		return fmt.Errorf("processing top-n batch: operator not opened")
	}
	n := int(b.NumRows())
	if n == 0 || t.k == 0 {
		return nil
	}
	for k, key := range t.keys {
		if key.Col >= int(b.NumCols()) {
			return fmt.Errorf("processing top-n batch: key column %d out of range", key.Col)
		}
		if err := t.bk[k].setArray(b.Column(key.Col)); err != nil {
			return fmt.Errorf("processing top-n batch: %w", err)
		}
	}
	src := int32(len(t.held))
	used := false
	i := 0
	for ; i < n && len(t.heap) < t.k; i++ {
		t.push(src, i)
		used = true
	}
	if i < n && len(t.keys) == 1 && !t.bk[0].hasNulls() {
		switch t.bk[0].kind {
		case SortKindInt:
			i, used = t.scanInts(src, i, used)
		case SortKindFloat:
			i, used = t.scanFloats(src, i, used)
		}
	}
	for ; i < n; i++ {
		if compareSortRows(t.bk, i, t.hk, int(t.heap[0])) < 0 {
			t.replace(src, i)
			used = true
		}
	}
	t.seq += int64(n)
	if !used {
		return nil
	}
	b.Retain()
	t.held = append(t.held, b)
	t.heldRows += n
	if t.heldRows > max(t.k, BatchSize) {
		if err := t.compact(); err != nil {
			return fmt.Errorf("processing top-n batch: %w", err)
		}
	}
	return nil
}

// scanInts replaces kept rows by rows i… of the current batch, whose
// single key is a NULL-free integer, comparing normalized keys with the
// worst kept one in a tight loop. It stops early, returning the next row
// to examine, if the worst kept key becomes NULL.
func (t *TopN) scanInts(src int32, i int, used bool) (int, bool) {
	ints := t.bk[0].ints
	x := uint64(1 << 63) // sortKeyCol.normalized for ints: flip the sign bit
	if t.bk[0].desc {
		x = ^x
	}
	for i < len(ints) {
		w := int(t.heap[0])
		if t.hk[0].isNull(w) {
			break
		}
		wk := t.hk[0].normalized(w)
		for i < len(ints) && uint64(ints[i])^x >= wk {
			i++
		}
		if i == len(ints) {
			break
		}
		t.replace(src, i)
		used = true
		i++
	}
	return i, used
}

// scanFloats is scanInts for a float key.
func (t *TopN) scanFloats(src int32, i int, used bool) (int, bool) {
	fs := t.bk[0].floats
	var x uint64
	if t.bk[0].desc {
		x = ^x
	}
	for i < len(fs) {
		w := int(t.heap[0])
		if t.hk[0].isNull(w) {
			break
		}
		wk := t.hk[0].normalized(w)
		for i < len(fs) && sortNormalizeFloat(fs[i])^x >= wk {
			i++
		}
		if i == len(fs) {
			break
		}
		t.replace(src, i)
		used = true
		i++
	}
	return i, used
}

// compact copies the kept rows into one new batch, in slot order, and
// drops the batches they came from.
func (t *TopN) compact() error {
	c, err := sortGather(t.mem, t.schema, t.held, t.slotSrc, t.slotRow)
	if err != nil {
		return err
	}
	t.releaseHeld()
	t.held = append(t.held, c)
	for s := range t.slotSrc {
		t.slotSrc[s], t.slotRow[s] = 0, int32(s)
	}
	// String keys alias the released batches: point them at c.
	for k, key := range t.keys {
		if t.hk[k].kind != SortKindString {
			continue
		}
		col := c.Column(key.Col).(*array.String)
		for s := range t.hk[k].strs {
			if !t.hk[k].isNull(s) {
				t.hk[k].strs[s] = col.Value(s)
			}
		}
	}
	return nil
}

func (t *TopN) releaseHeld() {
	for _, b := range t.held {
		b.Release()
	}
	t.held = t.held[:0]
	t.heldRows = 0
}

// EndOfInput implements Operator: it emits the kept rows in order, skipping
// offset.
func (t *TopN) EndOfInput(ctx context.Context, input int, emit Emit) error {
	defer t.reset()
	order := make([]int32, len(t.slotSrc))
	for s := range order {
		order[s] = int32(s)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if r := compareSortRows(t.hk, int(a), t.hk, int(b)); r != 0 {
			return r
		}
		return cmp.Compare(t.slotSeq[a], t.slotSeq[b])
	})
	if t.offset >= int64(len(order)) {
		return nil
	}
	order = order[t.offset:]
	bi := make([]int32, min(BatchSize, len(order)))
	ri := make([]int32, len(bi))
	for start := 0; start < len(order); start += BatchSize {
		chunk := order[start:min(start+BatchSize, len(order))]
		bi, ri := bi[:len(chunk)], ri[:len(chunk)]
		for k, s := range chunk {
			bi[k], ri[k] = t.slotSrc[s], t.slotRow[s]
		}
		out, err := sortGather(t.mem, t.schema, t.held, bi, ri)
		if err != nil {
			return fmt.Errorf("emitting top-n rows: %w", err)
		}
		if err := emit(out); err != nil {
			return err
		}
	}
	return nil
}

// reset drops every kept row.
func (t *TopN) reset() {
	t.releaseHeld()
	t.slotSrc, t.slotRow, t.slotSeq, t.heap = nil, nil, nil, nil
	for k := range t.hk {
		t.hk[k] = sortKeyCol{kind: t.hk[k].kind, desc: t.hk[k].desc, nullsFirst: t.hk[k].nullsFirst}
		t.bk[k].reset()
	}
	t.seq = 0
}

// Close implements Operator.
func (t *TopN) Close() error {
	t.reset()
	return nil
}
