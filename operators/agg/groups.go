package agg

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// GroupTable assigns dense group ids 0, 1, 2, … to the distinct keys of
// rows, in order of first appearance, for GROUP BY and DISTINCT. A key is
// a row of one or more columns; NULL equals NULL, -0 equals 0 and all NaNs
// are equal. A single integer-like key column (BIGINT, INTEGER, DATE,
// TIMESTAMP, DOUBLE, BOOLEAN) uses an open-addressing table of int64s, a
// single VARCHAR column a table of strings hashed in place; other keys are
// encoded column by column into byte strings.
//
// A GroupTable keeps no reference to the arrays it is given and holds its
// memory in Go slices. It is not safe for concurrent use.
type GroupTable struct {
	kind   groupKind
	types  []arrow.DataType
	n      int   // ids handed out
	nullID int32 // id of the NULL key of a single-column table, or -1

	// groupInts: slots of (key, id+1), id+1 == 0 meaning empty.
	ints   []intSlot
	scr    []int64
	last   int64 // key of the previous non-NULL row, valid if lastID >= 0
	lastID int32

	// groupBytes: slots of (hash, key span in arena, id+1).
	seed   maphash.Seed
	bytes  []bytesSlot
	arena  []byte
	hashes []uint64
	enc    keyEncoder

	shift uint // slot of hash h is h >> shift
	used  int  // occupied slots

	// groupComposite: one table per key column gives each row a dense id
	// per column; pairs[j] then maps (id of columns 0..j, id of column
	// j+1) packed in an int64 to the id of columns 0..j+1.
	parts   []*GroupTable
	pairs   []*GroupTable
	colIDs  [][]uint32
	pairIDs []uint32
	packed  []int64
	discard []int32
}

type groupKind uint8

const (
	groupNone groupKind = iota // no key columns: every row is group 0
	groupInts
	groupString
	groupEncoded
	groupComposite
)

type intSlot struct {
	key int64
	id  uint32
}

type bytesSlot struct {
	hash uint64
	off  uint64
	len  uint32
	id   uint32
}

// NewGroupTable makes a table for keys of the given column types.
func NewGroupTable(keyTypes []arrow.DataType) (*GroupTable, error) {
	t := &GroupTable{types: keyTypes, nullID: -1, lastID: -1}
	for _, dt := range keyTypes {
		if !groupKeyType(dt) {
			return nil, fmt.Errorf("creating group table: unsupported key type %s", dt)
		}
	}
	switch {
	case len(keyTypes) == 0:
		t.kind = groupNone
	case len(keyTypes) > 1 && composable(keyTypes):
		t.kind = groupComposite
		for _, dt := range keyTypes {
			part, err := NewGroupTable([]arrow.DataType{dt})
			if err != nil {
				return nil, err
			}
			t.parts = append(t.parts, part)
		}
		for range keyTypes[1:] {
			pair, _ := NewGroupTable([]arrow.DataType{arrow.PrimitiveTypes.Int64}) // cannot fail
			t.pairs = append(t.pairs, pair)
		}
		t.colIDs = make([][]uint32, len(keyTypes))
	case len(keyTypes) > 1:
		t.kind = groupEncoded
	default:
		switch keyTypes[0].ID() {
		case arrow.INT64, arrow.INT32, arrow.DATE32, arrow.TIMESTAMP, arrow.FLOAT64, arrow.BOOL, arrow.NULL:
			t.kind = groupInts
		case arrow.STRING:
			t.kind = groupString
		default:
			t.kind = groupEncoded
		}
	}
	switch t.kind {
	case groupInts:
		t.ints = make([]intSlot, 1024)
		t.shift = 64 - 10
	case groupString, groupEncoded:
		t.seed = maphash.MakeSeed()
		t.bytes = make([]bytesSlot, 1024)
		t.shift = 64 - 10
	}
	return t, nil
}

// composable reports whether every key column has a single-column table,
// so a multi-column key can be grouped column by column.
func composable(keyTypes []arrow.DataType) bool {
	for _, dt := range keyTypes {
		switch dt.ID() {
		case arrow.INT64, arrow.INT32, arrow.DATE32, arrow.TIMESTAMP, arrow.FLOAT64, arrow.BOOL, arrow.STRING:
		default:
			return false
		}
	}
	return true
}

// findComposite gives each row an id per key column, then folds the
// columns' ids pairwise through int64 tables: cheaper than encoding and
// hashing every row's whole key as bytes.
func (t *GroupTable) findComposite(cols []arrow.Array, groups []uint32, newRows []int32) ([]int32, error) {
	n := len(groups)
	for j, part := range t.parts {
		var err error
		if t.colIDs[j], t.discard, err = part.Find(cols[j:j+1], t.colIDs[j], t.discard[:0]); err != nil {
			return newRows, err
		}
	}
	cur := t.colIDs[0]
	t.packed = grow(t.packed[:0], n)
	for j, pair := range t.pairs {
		next := t.colIDs[j+1]
		for i := range t.packed {
			t.packed[i] = int64(cur[i])<<32 | int64(next[i])
		}
		if j == len(t.pairs)-1 {
			newRows = findInts(pair, t.packed, nil, groups, newRows)
			break
		}
		if cap(t.pairIDs) < n {
			t.pairIDs = make([]uint32, n)
		}
		t.pairIDs = t.pairIDs[:n]
		t.discard = findInts(pair, t.packed, nil, t.pairIDs, t.discard[:0])
		cur = append(cur[:0:0], t.pairIDs...)
	}
	t.n = t.pairs[len(t.pairs)-1].n
	return newRows, nil
}

func groupKeyType(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT64, arrow.INT32, arrow.FLOAT64, arrow.TIMESTAMP, arrow.DATE32,
		arrow.BOOL, arrow.STRING, arrow.INTERVAL_MONTH_DAY_NANO, arrow.NULL:
		return true
	}
	return false
}

// Len is the number of groups (distinct keys) seen so far.
func (t *GroupTable) Len() int { return t.n }

// Find maps each row of cols (borrowed; one array per key column, all of
// equal length) to its group id. It returns groups, resized to the number
// of rows, with groups[i] the id of row i, and newRows extended by the
// rows that introduced a new group, in increasing order (the row of group
// id Len()-before-the-call + j is newRows[j] of the appended part).
func (t *GroupTable) Find(cols []arrow.Array, groups []uint32, newRows []int32) ([]uint32, []int32, error) {
	if len(cols) != len(t.types) {
		return groups, newRows, fmt.Errorf("finding groups: got %d key columns, want %d", len(cols), len(t.types))
	}
	n := 0
	if len(cols) > 0 {
		n = cols[0].Len()
	}
	for i, c := range cols {
		if c.Len() != n {
			return groups, newRows, fmt.Errorf("finding groups: key column %d has %d rows, want %d", i, c.Len(), n)
		}
		if !arrow.TypeEqual(c.DataType(), t.types[i]) {
			return groups, newRows, fmt.Errorf("finding groups: key column %d is %s, want %s", i, c.DataType(), t.types[i])
		}
	}
	if cap(groups) < n {
		groups = make([]uint32, n, n+n/4)
	}
	groups = groups[:n]
	switch t.kind {
	case groupNone:
		return groups, newRows, fmt.Errorf("finding groups: no key columns")
	case groupInts:
		return groups, t.findInts(cols[0], groups, newRows), nil
	case groupComposite:
		newRows, err := t.findComposite(cols, groups, newRows)
		return groups, newRows, err
	case groupString:
		a := cols[0].(*array.String)
		var data []byte
		if buf := a.Data().Buffers()[2]; buf != nil {
			data = buf.Bytes()
		}
		return groups, t.findBytes(data, a.ValueOffsets(), a, groups, newRows), nil
	}
	if err := t.enc.encode(cols, n); err != nil {
		return groups, newRows, err
	}
	return groups, t.findBytes(t.enc.data, t.enc.offs, nil, groups, newRows), nil
}

func (t *GroupTable) findInts(c arrow.Array, groups []uint32, newRows []int32) []int32 {
	switch a := c.(type) {
	case *array.Int64:
		return findInts(t, a.Int64Values(), a, groups, newRows)
	case *array.Timestamp:
		return findInts(t, a.TimestampValues(), a, groups, newRows)
	case *array.Int32:
		return findInts(t, a.Int32Values(), a, groups, newRows)
	case *array.Date32:
		return findInts(t, a.Date32Values(), a, groups, newRows)
	case *array.Float64:
		t.scr = grow(t.scr[:0], a.Len())
		for i, f := range a.Float64Values() {
			t.scr[i] = int64(canonicalFloat(f))
		}
		return findInts(t, t.scr, a, groups, newRows)
	case *array.Boolean:
		t.scr = grow(t.scr[:0], a.Len())
		for i := range t.scr {
			t.scr[i] = 0
			if a.Value(i) {
				t.scr[i] = 1
			}
		}
		return findInts(t, t.scr, a, groups, newRows)
	}
	// NULL type: every row is the NULL key.
	for i := range groups {
		groups[i] = t.nullGroup(&newRows, i)
	}
	return newRows
}

func (t *GroupTable) nullGroup(newRows *[]int32, row int) uint32 {
	if t.nullID < 0 {
		t.nullID = int32(t.n)
		t.n++
		*newRows = append(*newRows, int32(row))
	}
	return uint32(t.nullID)
}

func hashInt(k int64) uint64 { return uint64(k) * 0x9E3779B97F4A7C15 }

func findInts[T ~int32 | ~int64](t *GroupTable, vals []T, a arrow.Array, groups []uint32, newRows []int32) []int32 {
	vals = vals[:len(groups)]
	nulls := a != nil && a.NullN() > 0 // a is nil for keys made up without NULLs
	var bm []byte
	var off int
	if nulls {
		bm, off = a.NullBitmapBytes(), a.Data().Offset()
	}
	slots, mask, shift := t.ints, uint64(len(t.ints)-1), t.shift
	last, lastID := t.last, t.lastID
	for i, v := range vals {
		if nulls && !bitutil.BitIsSet(bm, off+i) {
			groups[i] = t.nullGroup(&newRows, i)
			continue
		}
		k := int64(v)
		if k == last && lastID >= 0 {
			groups[i] = uint32(lastID)
			continue
		}
		p := hashInt(k) >> shift
		for {
			s := &slots[p]
			if s.id == 0 {
				s.key, s.id = k, uint32(t.n)+1
				lastID = int32(t.n)
				t.n++
				t.used++
				newRows = append(newRows, int32(i))
				if 2*t.used > len(slots) {
					t.growInts()
					slots, mask, shift = t.ints, uint64(len(t.ints)-1), t.shift
				}
				break
			}
			if s.key == k {
				lastID = int32(s.id - 1)
				break
			}
			p = (p + 1) & mask
		}
		last = k
		groups[i] = uint32(lastID)
	}
	t.last, t.lastID = last, lastID
	return newRows
}

func (t *GroupTable) growInts() {
	old := t.ints
	t.ints = make([]intSlot, 2*len(old))
	t.shift--
	mask := uint64(len(t.ints) - 1)
	for _, s := range old {
		if s.id == 0 {
			continue
		}
		p := hashInt(s.key) >> t.shift
		for t.ints[p].id != 0 {
			p = (p + 1) & mask
		}
		t.ints[p] = s
	}
}

// findBytes groups the keys data[offs[i]:offs[i+1]]; valid (nil: none
// NULL) says which rows are NULL.
func (t *GroupTable) findBytes(data []byte, offs []int32, valid arrow.Array, groups []uint32, newRows []int32) []int32 {
	nulls := valid != nil && valid.NullN() > 0
	var bm []byte
	var voff int
	if nulls {
		bm, voff = valid.NullBitmapBytes(), valid.Data().Offset()
	}
	n := len(groups)
	offs = offs[:n+1]
	if !nulls && n > 1 && sameKeys(data, offs) {
		// One key for the whole batch (a partition column constant in
		// its file, a sorted run): one lookup, then fill.
		newRows = t.findBytes(data, offs[:2], nil, groups[:1], newRows)
		for i := range groups {
			groups[i] = groups[0]
		}
		return newRows
	}
	// Hash every key first: a tight loop the CPU pipelines well. A key
	// equal to the one before it (sorted or clustered input, a partition
	// column constant per file) reuses its hash: comparing a few bytes is
	// cheaper than hashing them.
	t.hashes = grow(t.hashes[:0], n)
	hashes := t.hashes
	var last []byte
	for i := range hashes {
		key := data[offs[i]:offs[i+1]]
		if i > 0 && bytes.Equal(key, last) {
			hashes[i] = hashes[i-1]
			continue
		}
		hashes[i], last = maphash.Bytes(t.seed, key), key
	}
	slots, mask, shift := t.bytes, uint64(len(t.bytes)-1), t.shift
	var prevHash uint64
	var prev []byte
	prevID := int32(-1)
	for i, h := range hashes {
		if nulls && !bitutil.BitIsSet(bm, voff+i) {
			groups[i] = t.nullGroup(&newRows, i)
			continue
		}
		key := data[offs[i]:offs[i+1]]
		// Runs of one key (sorted or clustered input) skip the table.
		if h == prevHash && prevID >= 0 && bytes.Equal(key, prev) {
			groups[i] = uint32(prevID)
			continue
		}
		p := h >> shift
		for {
			s := &slots[p]
			if s.id == 0 {
				off := uint64(len(t.arena))
				t.arena = append(t.arena, key...)
				*s = bytesSlot{hash: h, off: off, len: uint32(len(key)), id: uint32(t.n) + 1}
				prevID = int32(t.n)
				t.n++
				t.used++
				newRows = append(newRows, int32(i))
				if 2*t.used > len(slots) {
					t.growBytes()
					slots, mask, shift = t.bytes, uint64(len(t.bytes)-1), t.shift
				}
				break
			}
			if s.hash == h && int(s.len) == len(key) && bytes.Equal(t.arena[s.off:s.off+uint64(s.len)], key) {
				prevID = int32(s.id - 1)
				break
			}
			p = (p + 1) & mask
		}
		prev, prevHash = key, h
		groups[i] = uint32(prevID)
	}
	return newRows
}

// sameKeys reports whether every key data[offs[i]:offs[i+1]] equals the
// first, stopping at the first that differs (so mixed batches pay little).
func sameKeys(data []byte, offs []int32) bool {
	first := data[offs[0]:offs[1]]
	l := offs[1] - offs[0]
	for i := 1; i < len(offs)-1; i++ {
		if offs[i+1]-offs[i] != l || !bytes.Equal(data[offs[i]:offs[i+1]], first) {
			return false
		}
	}
	return true
}

func (t *GroupTable) growBytes() {
	old := t.bytes
	t.bytes = make([]bytesSlot, 2*len(old))
	t.shift--
	mask := uint64(len(t.bytes) - 1)
	for _, s := range old {
		if s.id == 0 {
			continue
		}
		p := s.hash >> t.shift
		for t.bytes[p].id != 0 {
			p = (p + 1) & mask
		}
		t.bytes[p] = s
	}
}

// canonicalFloat makes -0 equal 0 and every NaN equal, as GROUP BY needs.
func canonicalFloat(f float64) uint64 {
	if f == 0 {
		return 0
	}
	if f != f {
		return 0x7ff8000000000001
	}
	return math.Float64bits(f)
}

// keyEncoder encodes rows of key columns into byte strings, equal exactly
// when the keys are equal (NULL equal to NULL), one column at a time.
type keyEncoder struct {
	data []byte
	offs []int32 // row i is data[offs[i]:offs[i+1]]
	pos  []int32
}

func (e *keyEncoder) encode(cols []arrow.Array, n int) error {
	e.offs = grow(e.offs[:0], n+1)
	clear(e.offs)
	lens := e.offs[1:]
	for _, c := range cols {
		// Every value has a 1-byte NULL marker, then its bytes if not NULL.
		w := 0
		switch c.DataType().ID() {
		case arrow.INT64, arrow.FLOAT64, arrow.TIMESTAMP:
			w = 8
		case arrow.INT32, arrow.DATE32:
			w = 4
		case arrow.BOOL:
			w = 1
		case arrow.INTERVAL_MONTH_DAY_NANO:
			w = 16
		case arrow.STRING:
			s := c.(*array.String)
			for i := range lens {
				lens[i] += 1 + 4
				if s.IsValid(i) {
					lens[i] += int32(s.ValueLen(i))
				}
			}
			continue
		case arrow.NULL:
		default:
			return fmt.Errorf("encoding group key of type %s: unsupported", c.DataType())
		}
		for i := range lens {
			lens[i] += 1 + int32(w)
		}
	}
	for i := 1; i <= n; i++ {
		e.offs[i] += e.offs[i-1]
	}
	e.data = grow(e.data[:0], int(e.offs[n]))
	e.pos = grow(e.pos[:0], n)
	copy(e.pos, e.offs[:n])
	d, pos := e.data, e.pos
	for _, c := range cols {
		nulls := c.NullN() > 0
		for i := range pos {
			if nulls && c.IsNull(i) {
				d[pos[i]] = 0
				pos[i]++
				continue
			}
			d[pos[i]] = 1
			pos[i]++
		}
		switch a := c.(type) {
		case *array.Int64:
			putFixed(d, pos, a.Int64Values(), a, 8, func(b []byte, v int64) { binary.LittleEndian.PutUint64(b, uint64(v)) })
		case *array.Timestamp:
			putFixed(d, pos, a.TimestampValues(), a, 8, func(b []byte, v arrow.Timestamp) { binary.LittleEndian.PutUint64(b, uint64(v)) })
		case *array.Float64:
			putFixed(d, pos, a.Float64Values(), a, 8, func(b []byte, v float64) { binary.LittleEndian.PutUint64(b, canonicalFloat(v)) })
		case *array.Int32:
			putFixed(d, pos, a.Int32Values(), a, 4, func(b []byte, v int32) { binary.LittleEndian.PutUint32(b, uint32(v)) })
		case *array.Date32:
			putFixed(d, pos, a.Date32Values(), a, 4, func(b []byte, v arrow.Date32) { binary.LittleEndian.PutUint32(b, uint32(v)) })
		case *array.MonthDayNanoInterval:
			putFixed(d, pos, a.MonthDayNanoIntervalValues(), a, 16, func(b []byte, v arrow.MonthDayNanoInterval) {
				binary.LittleEndian.PutUint32(b, uint32(v.Months))
				binary.LittleEndian.PutUint32(b[4:], uint32(v.Days))
				binary.LittleEndian.PutUint64(b[8:], uint64(v.Nanoseconds))
			})
		case *array.Boolean:
			for i := range pos {
				if a.IsNull(i) {
					d[pos[i]] = 0
				} else if a.Value(i) {
					d[pos[i]] = 1
				} else {
					d[pos[i]] = 2
				}
				pos[i]++
			}
		case *array.String:
			for i := range pos {
				s := ""
				if a.IsValid(i) {
					s = a.Value(i)
				}
				binary.LittleEndian.PutUint32(d[pos[i]:], uint32(len(s)))
				pos[i] += 4
				pos[i] += int32(copy(d[pos[i]:], s))
			}
		}
	}
	return nil
}

// putFixed writes the w-byte encoding of each value at pos[i] (zeros for
// NULL rows, so that NULL keys encode equally) and advances pos.
func putFixed[T any](d []byte, pos []int32, vals []T, a arrow.Array, w int32, put func([]byte, T)) {
	nulls := a.NullN() > 0
	vals = vals[:len(pos)]
	for i, v := range vals {
		b := d[pos[i] : pos[i]+w]
		if nulls && a.IsNull(i) {
			clear(b)
		} else {
			put(b, v)
		}
		pos[i] += w
	}
}
