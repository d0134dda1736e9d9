package operators

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// keyIndex is a hash index over the equi-join key columns of a join's build
// side. Rows with a NULL in any key column are left out: in SQL a NULL key
// never matches.
//
// Rows with equal keys are linked through dup (row r's next equal row is
// dup[r]-1, -1 ending the chain, in build order), so a probe only has to
// find the first build row of its key and the join walks dup from there.
type keyIndex interface {
	// build indexes the n rows of cols (borrowed, but they must stay valid
	// for as long as the index is probed) and fills dup (len n, zeroed).
	build(cols []arrow.Array, n int, dup []int32) error
	// probe sets first[i] (len = rows of cols) to the first build row whose
	// key equals probe row i's, or -1 when there is none or the probe key
	// has a NULL.
	probe(cols []arrow.Array, first []int32) error
}

// newKeyIndex picks the index for key columns of the given types: a single
// integer-like key (BIGINT, INTEGER, DATE, TIMESTAMP) and a single string
// key get specialized tables, anything else is keyed by RowKeys bytes.
func newKeyIndex(keyTypes []arrow.DataType) keyIndex {
	if len(keyTypes) == 1 {
		switch {
		case IntKeyType(keyTypes[0]):
			return &intIndex{}
		case keyTypes[0].ID() == arrow.STRING:
			return &stringIndex{}
		}
	}
	return &bytesIndex{}
}

// IntKeyType reports whether a lone key column of type dt is hashed by
// its integer value (BIGINT, INTEGER, DATE, TIMESTAMP) rather than by its
// RowKeys bytes.
func IntKeyType(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT64, arrow.INT32, arrow.DATE32, arrow.TIMESTAMP:
		return true
	}
	return false
}

// SupportedKeyType reports whether dt can be a key column of a hash join,
// a dedup or a top-N partition: a type RowKeys encodes, or NULL.
func SupportedKeyType(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT64, arrow.INT32, arrow.FLOAT64, arrow.TIMESTAMP, arrow.DATE32,
		arrow.BOOL, arrow.STRING, arrow.INTERVAL_MONTH_DAY_NANO, arrow.NULL:
		return true
	}
	return false
}

// chainTable is a chained hash table over build row numbers. Each bucket
// chains the representative (first) rows of the distinct keys hashing to
// it; duplicates of a key hang off its representative through dup.
type chainTable struct {
	shift uint    // bucket of hash h is h >> shift
	head  []int32 // bucket → representative row + 1 (0: empty)
	next  []int32 // representative row → next representative in its bucket + 1
	last  []int32 // representative row → last row with its key (build only)
}

func (t *chainTable) reset(n int) {
	buckets, bits := 8, 3
	for buckets < 2*n {
		buckets <<= 1
		bits++
	}
	t.shift = uint(64 - bits)
	t.head = make([]int32, buckets)
	t.next = make([]int32, n)
	t.last = make([]int32, n)
}

// add makes row r the representative of a new key in bucket b.
func (t *chainTable) add(b uint64, r int32) {
	t.next[r] = t.head[b]
	t.head[b] = r + 1
	t.last[r] = r
}

// link appends row r to the duplicates of representative e.
func (t *chainTable) link(e, r int32, dup []int32) {
	dup[t.last[e]] = r + 1
	t.last[e] = r
}

// done drops what only building needs.
func (t *chainTable) done() { t.last = nil }

// hashInt mixes an integer key; the table uses the top bits.
func hashInt(k int64) uint64 {
	h := uint64(k)
	h ^= h >> 32
	return h * 0x9E3779B97F4A7C15
}

// intIndex indexes a single integer-like key column.
type intIndex struct {
	chainTable
	keys []int64 // build row → key (garbage for NULL rows, which are not linked)
}

type intLike interface{ ~int32 | ~int64 }

func (x *intIndex) build(cols []arrow.Array, n int, dup []int32) error {
	x.reset(n)
	x.keys = make([]int64, n)
	switch a := cols[0].(type) {
	case *array.Int64:
		buildInts(x, a.Int64Values(), a, dup)
	case *array.Int32:
		buildInts(x, a.Int32Values(), a, dup)
	case *array.Date32:
		buildInts(x, a.Date32Values(), a, dup)
	case *array.Timestamp:
		buildInts(x, a.TimestampValues(), a, dup)
	default:
		return fmt.Errorf("building integer key index: unexpected key type %s", a.DataType())
	}
	x.done()
	return nil
}

func buildInts[T intLike](x *intIndex, vals []T, a arrow.Array, dup []int32) {
	nulls := a.NullN() > 0
	for r, v := range vals {
		k := int64(v)
		x.keys[r] = k
		if nulls && a.IsNull(r) {
			continue
		}
		b := hashInt(k) >> x.shift
		e := x.head[b] - 1
		for e >= 0 && x.keys[e] != k {
			e = x.next[e] - 1
		}
		if e >= 0 {
			x.link(e, int32(r), dup)
		} else {
			x.add(b, int32(r))
		}
	}
}

func (x *intIndex) probe(cols []arrow.Array, first []int32) error {
	switch a := cols[0].(type) {
	case *array.Int64:
		probeInts(x, a.Int64Values(), a, first)
	case *array.Int32:
		probeInts(x, a.Int32Values(), a, first)
	case *array.Date32:
		probeInts(x, a.Date32Values(), a, first)
	case *array.Timestamp:
		probeInts(x, a.TimestampValues(), a, first)
	default:
		return fmt.Errorf("probing integer key index: unexpected key type %s", a.DataType())
	}
	return nil
}

func probeInts[T intLike](x *intIndex, vals []T, a arrow.Array, first []int32) {
	nulls := a.NullN() > 0
	head, next, keys, shift := x.head, x.next, x.keys, x.shift
	first = first[:len(vals)]
	for i, v := range vals {
		e := int32(-1)
		if !nulls || a.IsValid(i) {
			k := int64(v)
			e = head[hashInt(k)>>shift] - 1
			for e >= 0 && keys[e] != k {
				e = next[e] - 1
			}
		}
		first[i] = e
	}
}

// stringIndex indexes a single string key column.
type stringIndex struct {
	chainTable
	seed   maphash.Seed
	hashes []uint64
	col    *array.String
}

func (x *stringIndex) build(cols []arrow.Array, n int, dup []int32) error {
	a, ok := cols[0].(*array.String)
	if !ok {
		return fmt.Errorf("building string key index: unexpected key type %s", cols[0].DataType())
	}
	x.reset(n)
	x.seed = maphash.MakeSeed()
	x.hashes = make([]uint64, n)
	x.col = a
	nulls := a.NullN() > 0
	for r := 0; r < n; r++ {
		if nulls && a.IsNull(r) {
			continue
		}
		s := a.Value(r)
		h := maphash.String(x.seed, s)
		x.hashes[r] = h
		b := h >> x.shift
		e := x.head[b] - 1
		for e >= 0 && (x.hashes[e] != h || a.Value(int(e)) != s) {
			e = x.next[e] - 1
		}
		if e >= 0 {
			x.link(e, int32(r), dup)
		} else {
			x.add(b, int32(r))
		}
	}
	x.done()
	return nil
}

func (x *stringIndex) probe(cols []arrow.Array, first []int32) error {
	a, ok := cols[0].(*array.String)
	if !ok {
		return fmt.Errorf("probing string key index: unexpected key type %s", cols[0].DataType())
	}
	nulls := a.NullN() > 0
	for i := range a.Len() {
		e := int32(-1)
		if !nulls || a.IsValid(i) {
			s := a.Value(i)
			h := maphash.String(x.seed, s)
			e = x.head[h>>x.shift] - 1
			for e >= 0 && (x.hashes[e] != h || x.col.Value(int(e)) != s) {
				e = x.next[e] - 1
			}
		}
		first[i] = e
	}
	return nil
}

// bytesIndex indexes any key columns by their RowKeys encoding.
type bytesIndex struct {
	chainTable
	seed    maphash.Seed
	hashes  []uint64
	keys    RowKeys // build side
	scratch RowKeys // probe side, reused across batches
}

func (x *bytesIndex) build(cols []arrow.Array, n int, dup []int32) error {
	if err := x.keys.Encode(cols); err != nil {
		return fmt.Errorf("building key index: %w", err)
	}
	x.reset(n)
	x.seed = maphash.MakeSeed()
	x.hashes = make([]uint64, n)
	for r := 0; r < n; r++ {
		if x.keys.AnyNull[r] {
			continue
		}
		k := x.keys.Row(r)
		h := maphash.Bytes(x.seed, k)
		x.hashes[r] = h
		b := h >> x.shift
		e := x.head[b] - 1
		for e >= 0 && (x.hashes[e] != h || !bytes.Equal(x.keys.Row(int(e)), k)) {
			e = x.next[e] - 1
		}
		if e >= 0 {
			x.link(e, int32(r), dup)
		} else {
			x.add(b, int32(r))
		}
	}
	x.done()
	return nil
}

func (x *bytesIndex) probe(cols []arrow.Array, first []int32) error {
	if err := x.scratch.Encode(cols); err != nil {
		return fmt.Errorf("probing key index: %w", err)
	}
	for i := range x.scratch.Len() {
		e := int32(-1)
		if !x.scratch.AnyNull[i] {
			k := x.scratch.Row(i)
			h := maphash.Bytes(x.seed, k)
			e = x.head[h>>x.shift] - 1
			for e >= 0 && (x.hashes[e] != h || !bytes.Equal(x.keys.Row(int(e)), k)) {
				e = x.next[e] - 1
			}
		}
		first[i] = e
	}
	return nil
}

// anyKeyNull reports whether row i has a NULL in some column of cols.
func anyKeyNull(cols []arrow.Array, i int) bool {
	for _, c := range cols {
		if c.IsNull(i) {
			return true
		}
	}
	return false
}

// allKeysNull reports whether row i is NULL in every column of cols.
func allKeysNull(cols []arrow.Array, i int) bool {
	for _, c := range cols {
		if !c.IsNull(i) {
			return false
		}
	}
	return true
}

// keysMaybeEqual reports whether comparing probe row i with build row j
// key by key (p₁ = b₁ AND p₂ = b₂ …) is not FALSE, i.e. TRUE or NULL: no
// key column has two non-NULL values that differ. NOT IN uses it.
func keysMaybeEqual(probe []arrow.Array, i int, build []arrow.Array, j int) bool {
	for k, p := range probe {
		b := build[k]
		if p.IsNull(i) || b.IsNull(j) {
			continue
		}
		if !valuesEqual(p, i, b, j) {
			return false
		}
	}
	return true
}

// valuesEqual compares a[i] and b[j], both non-NULL and of the same type,
// with SQL equality (NaN equals NaN and -0 equals 0, as in Postgres).
// Values of different or unsupported types compare unequal.
func valuesEqual(a arrow.Array, i int, b arrow.Array, j int) bool {
	switch x := a.(type) {
	case *array.Int64:
		y, ok := b.(*array.Int64)
		return ok && x.Value(i) == y.Value(j)
	case *array.Int32:
		y, ok := b.(*array.Int32)
		return ok && x.Value(i) == y.Value(j)
	case *array.Float64:
		y, ok := b.(*array.Float64)
		if !ok {
			return false
		}
		u, v := x.Value(i), y.Value(j)
		return u == v || (math.IsNaN(u) && math.IsNaN(v))
	case *array.Timestamp:
		y, ok := b.(*array.Timestamp)
		return ok && x.Value(i) == y.Value(j)
	case *array.Date32:
		y, ok := b.(*array.Date32)
		return ok && x.Value(i) == y.Value(j)
	case *array.Boolean:
		y, ok := b.(*array.Boolean)
		return ok && x.Value(i) == y.Value(j)
	case *array.String:
		y, ok := b.(*array.String)
		return ok && x.Value(i) == y.Value(j)
	case *array.MonthDayNanoInterval:
		y, ok := b.(*array.MonthDayNanoInterval)
		return ok && x.Value(i) == y.Value(j)
	}
	return false
}
