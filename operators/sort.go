package operators

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Sort buffers its whole input and, at its end, emits it ordered by keys,
// in batches of at most BatchSize rows. The order is stable: rows with
// equal keys keep their input order.
type Sort struct {
	schema *arrow.Schema
	keys   []SortKey

	mem     memory.Allocator
	kcols   []sortKeyCol // keys of every buffered row, in arrival order
	batches []arrow.RecordBatch
	starts  []int32 // first global row of each batch
	rows    int
}

var _ Operator = (*Sort)(nil)

// NewSort returns a sort of batches of schema by keys (the first key is
// the most significant).
func NewSort(schema *arrow.Schema, keys []SortKey) *Sort {
	return &Sort{schema: schema, keys: keys}
}

// Schema implements Operator.
func (s *Sort) Schema() *arrow.Schema { return s.schema }

// Open implements Operator.
func (s *Sort) Open(ctx context.Context, mem memory.Allocator) error {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	s.mem = mem
	kcols, err := newSortKeyCols(s.schema, s.keys)
	if err != nil {
		return fmt.Errorf("opening sort: %w", err)
	}
	s.kcols = kcols
	return nil
}

// ProcessBatch implements Operator: it extracts the batch's keys and keeps
// the batch.
func (s *Sort) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit Emit) error {
	if s.kcols == nil && len(s.keys) > 0 {
		return fmt.Errorf("sorting batch: operator not opened")
	}
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	if s.rows+n > math.MaxInt32 {
		return fmt.Errorf("sorting batch: more than %d rows", math.MaxInt32)
	}
	for k, key := range s.keys {
		if key.Col >= int(b.NumCols()) {
			return fmt.Errorf("sorting batch: key column %d out of range", key.Col)
		}
		if err := s.kcols[k].appendArray(b.Column(key.Col)); err != nil {
			return fmt.Errorf("sorting batch: %w", err)
		}
	}
	b.Retain()
	s.batches = append(s.batches, b)
	s.starts = append(s.starts, int32(s.rows))
	s.rows += n
	return nil
}

// EndOfInput implements Operator: it emits the sorted rows.
func (s *Sort) EndOfInput(ctx context.Context, input int, emit Emit) error {
	defer s.release()
	if s.rows == 0 {
		return nil
	}
	perm := sortPermutation(s.kcols, s.rows)
	// Map global rows to (batch, row): by division when every batch but
	// the last (which may be shorter) has the same size, the usual case;
	// else through a table.
	size := int32(s.batches[0].NumRows())
	for k := 1; k < len(s.batches); k++ {
		if n := int32(s.batches[k].NumRows()); n != size && (k+1 < len(s.batches) || n > size) {
			size = 0
			break
		}
	}
	var batchOf []int32 // batch of each global row, when sizes vary
	if size == 0 {
		batchOf = make([]int32, s.rows)
		for k := range s.batches {
			end := s.rows
			if k+1 < len(s.starts) {
				end = int(s.starts[k+1])
			}
			for g := int(s.starts[k]); g < end; g++ {
				batchOf[g] = int32(k)
			}
		}
	}
	bi := make([]int32, min(BatchSize, s.rows))
	ri := make([]int32, len(bi))
	for start := 0; start < s.rows; start += BatchSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk := perm[start:min(start+BatchSize, s.rows)]
		bi, ri := bi[:len(chunk)], ri[:len(chunk)]
		switch {
		case len(s.batches) == 1:
			bi = nil
			copy(ri, chunk)
		case batchOf == nil:
			for k, g := range chunk {
				b := g / size
				bi[k], ri[k] = b, g-b*size
			}
		default:
			for k, g := range chunk {
				b := batchOf[g]
				bi[k], ri[k] = b, g-s.starts[b]
			}
		}
		out, err := sortGather(s.mem, s.schema, s.batches, bi, ri)
		if err != nil {
			return fmt.Errorf("sorting rows: %w", err)
		}
		if err := emit(out); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sort) release() {
	for _, b := range s.batches {
		b.Release()
	}
	s.batches, s.starts, s.rows = nil, nil, 0
	for k := range s.kcols {
		s.kcols[k] = sortKeyCol{kind: s.kcols[k].kind, desc: s.kcols[k].desc, nullsFirst: s.kcols[k].nullsFirst}
	}
}

// Close implements Operator.
func (s *Sort) Close() error {
	s.release()
	return nil
}

// sortPermutation returns the rows 0..n-1 of kcols in sorted order, ties
// in row order.
func sortPermutation(kcols []sortKeyCol, n int) []int32 {
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	sc := sortScratch{items: make([]sortItem, 0, n), tmp: make([]sortItem, n)}
	sc.refine(kcols, perm)
	return perm
}

// sortItem pairs a normalized key (or string prefix) with its row.
type sortItem struct {
	key uint64
	row int32
}

// sortScratch holds buffers reused while sorting.
type sortScratch struct {
	items, tmp []sortItem
	nulls      []int32
}

// refine sorts rows, which are in ascending order, stably by kcols: by
// the first key with a specialised routine (radix sort for numbers,
// prefix radix sort for strings), then each run of rows equal on it by
// the remaining keys, recursively. Short runs use a comparison sort.
func (sc *sortScratch) refine(kcols []sortKeyCol, rows []int32) {
	if len(kcols) == 0 || len(rows) < 2 {
		return
	}
	if len(rows) <= 32 {
		slices.SortFunc(rows, func(a, b int32) int {
			if r := compareSortRows(kcols, int(a), kcols, int(b)); r != 0 {
				return r
			}
			return cmp.Compare(a, b)
		})
		return
	}
	c := &kcols[0]
	sorted, off, nnull := sc.sortRowsBy(c, rows)
	if len(kcols) == 1 {
		return
	}
	// Collect the runs of rows equal on c from the sorted keys (reading
	// them sequentially), before the scratch is reused.
	var runs [][2]int
	if nnull > 1 {
		start := 0
		if !c.nullsFirst {
			start = len(rows) - nnull
		}
		runs = append(runs, [2]int{start, start + nnull})
	}
	for lo := 0; lo < len(sorted); {
		hi := lo + 1
		for hi < len(sorted) && sorted[hi].key == sorted[lo].key &&
			(c.kind != SortKindString || c.strs[rows[off+hi]] == c.strs[rows[off+lo]]) {
			hi++
		}
		if hi-lo > 1 {
			runs = append(runs, [2]int{off + lo, off + hi})
		}
		lo = hi
	}
	for _, r := range runs {
		sc.refine(kcols[1:], rows[r[0]:r[1]])
	}
}

// sortRowsBy reorders rows, which are in ascending order, stably by the
// single key c. It returns the sorted non-NULL keys (valid until the
// scratch is reused; with a string key, equal keys are equal prefixes),
// the position of the first of them in rows, and the number of NULLs.
func (sc *sortScratch) sortRowsBy(c *sortKeyCol, rows []int32) (sorted []sortItem, off, nnull int) {
	if c.kind == SortKindNull {
		return nil, 0, len(rows)
	}
	nulls, items := sc.nulls[:0], sc.items[:0]
	for _, r := range rows {
		if c.isNull(int(r)) {
			nulls = append(nulls, r)
		}
	}
	lcp := 0
	switch c.kind {
	case SortKindInt, SortKindFloat:
		for _, r := range rows {
			if !c.isNull(int(r)) {
				items = append(items, sortItem{c.normalized(int(r)), r})
			}
		}
	case SortKindString:
		lcp = sortCommonPrefix(c, rows)
		for _, r := range rows {
			if !c.isNull(int(r)) {
				k := sortStringPrefix(c.strs[r][lcp:])
				if c.desc {
					k = ^k
				}
				items = append(items, sortItem{k, r})
			}
		}
	}
	sorted = sortRadix(items, sc.tmp[:len(items)])
	out := rows
	if c.nullsFirst {
		off = copy(rows, nulls)
		out = rows[off:]
	}
	for i, it := range sorted {
		out[i] = it.row
	}
	if !c.nullsFirst {
		copy(rows[len(sorted):], nulls)
	}
	if c.kind == SortKindString {
		sortStringTies(c, sorted, out[:len(sorted)])
	}
	sc.nulls, sc.items = nulls, items
	return sorted, off, len(nulls)
}

// sortCommonPrefix returns the length of the longest prefix shared by the
// non-NULL string keys of rows.
func sortCommonPrefix(c *sortKeyCol, rows []int32) int {
	lcp := -1
	var first string
	for _, r := range rows {
		if c.isNull(int(r)) {
			continue
		}
		s := c.strs[r]
		if lcp < 0 {
			first, lcp = s, len(s)
			continue
		}
		m := min(lcp, len(s))
		j := 0
		for j < m && s[j] == first[j] {
			j++
		}
		lcp = j
	}
	return max(lcp, 0)
}

// sortStringTies finishes a string sort: out holds the rows of sorted,
// ordered by 8-byte prefixes; runs of equal prefixes holding different
// strings are sorted by the whole strings (ties by row, so stably).
func sortStringTies(c *sortKeyCol, sorted []sortItem, out []int32) {
	strs := c.strs
	cmpRows := func(a, b int32) int {
		r := strings.Compare(strs[a], strs[b])
		if c.desc {
			r = -r
		}
		if r != 0 {
			return r
		}
		return cmp.Compare(a, b)
	}
	for lo := 0; lo < len(sorted); {
		hi := lo + 1
		tied := false
		for hi < len(sorted) && sorted[hi].key == sorted[lo].key {
			tied = tied || strs[sorted[hi].row] != strs[sorted[lo].row]
			hi++
		}
		if tied {
			slices.SortFunc(out[lo:hi], cmpRows)
		}
		lo = hi
	}
}

// sortStringPrefix returns the first 8 bytes of s as a big-endian integer,
// zero-padded, so that prefixes order as the strings do (ties excepted).
func sortStringPrefix(s string) uint64 {
	if len(s) >= 8 {
		return uint64(s[0])<<56 | uint64(s[1])<<48 | uint64(s[2])<<40 | uint64(s[3])<<32 |
			uint64(s[4])<<24 | uint64(s[5])<<16 | uint64(s[6])<<8 | uint64(s[7])
	}
	var p uint64
	for i := range 8 {
		p <<= 8
		if i < len(s) {
			p |= uint64(s[i])
		}
	}
	return p
}

// sortRadix sorts items stably by key with a radix sort over bytes. Keys
// are first rebased on their minimum, and bytes on which all keys agree
// are skipped, so narrow key ranges take few passes. Large inputs are
// first split on their most significant varying byte, so that each part
// is then sorted least-significant byte first while it fits in cache.
// tmp must be as long as items; the result is one of the two. The keys
// are modified (rebased) but keep their order and equalities.
func sortRadix(items, tmp []sortItem) []sortItem {
	if len(items) < 256 {
		slices.SortStableFunc(items, func(a, b sortItem) int { return cmp.Compare(a.key, b.key) })
		return items
	}
	lo := items[0].key
	for _, it := range items {
		lo = min(lo, it.key)
	}
	for i := range items {
		items[i].key -= lo
	}
	return sortRadixBytes(items, tmp)
}

// sortRadixBytes is sortRadix without the rebasing.
func sortRadixBytes(items, tmp []sortItem) []sortItem {
	n := len(items)
	if n < 256 {
		slices.SortStableFunc(items, func(a, b sortItem) int { return cmp.Compare(a.key, b.key) })
		return items
	}
	var counts [8][256]int
	for _, it := range items {
		k := it.key
		counts[0][byte(k)]++
		counts[1][byte(k>>8)]++
		counts[2][byte(k>>16)]++
		counts[3][byte(k>>24)]++
		counts[4][byte(k>>32)]++
		counts[5][byte(k>>40)]++
		counts[6][byte(k>>48)]++
		counts[7][byte(k>>56)]++
	}
	varying := func(d int) bool { return counts[d][byte(items[0].key>>(d*8))] != n }
	src, dst := items, tmp[:n]
	if n >= 1<<16 {
		top := 7
		for top > 0 && !varying(top) {
			top--
		}
		if top > 0 {
			c := &counts[top]
			var starts [257]int
			for b := range 256 {
				starts[b+1] = starts[b] + c[b]
			}
			next := starts
			shift := uint(top * 8)
			for _, it := range src {
				b := byte(it.key >> shift)
				dst[next[b]] = it
				next[b]++
			}
			for b := range 256 {
				part := dst[starts[b]:starts[b+1]]
				if len(part) > 1 {
					if r := sortRadixBytes(part, src[starts[b]:starts[b+1]]); &r[0] != &part[0] {
						copy(part, r)
					}
				}
			}
			return dst
		}
	}
	for d := range 8 {
		if !varying(d) {
			continue
		}
		c := &counts[d]
		shift := uint(d * 8)
		sum := 0
		for b := range c {
			sum, c[b] = sum+c[b], sum
		}
		for _, it := range src {
			b := byte(it.key >> shift)
			dst[c[b]] = it
			c[b]++
		}
		src, dst = dst, src
	}
	return src
}
