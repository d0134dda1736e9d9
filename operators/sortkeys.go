package operators

import (
	"cmp"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators/expr"
)

// SortKey is one ORDER BY term: the column position in the input, the
// direction, and where NULLs go (independently of the direction).
type SortKey struct {
	Col        int
	Desc       bool
	NullsFirst bool
}

// SortKind is the physical form a sort key is extracted into; operators
// that keep sort keys of their own (rank's top-N) share it.
type SortKind uint8

const (
	SortKindNull   SortKind = iota // every value is NULL
	SortKindInt                    // int32, int64, timestamp, date32, bool, interval: as int64
	SortKindFloat                  // float64
	SortKindString                 // string
)

// sortKeyCol holds the values of one sort key for a run of rows, extracted
// into a flat typed slice. Strings alias the Arrow buffers they came from,
// which must stay alive while the column is used.
type sortKeyCol struct {
	kind       SortKind
	desc       bool
	nullsFirst bool
	ints       []int64
	floats     []float64
	strs       []string
	nulls      []bool // when anyNull, one flag per row
	anyNull    bool
	aliased    bool // ints or floats alias an Arrow buffer (see setArray)
	n          int
}

// SortKindOf maps an Arrow type to the form its keys are extracted into,
// or fails for a type that cannot be sorted.
func SortKindOf(dt arrow.DataType) (SortKind, error) {
	switch dt.ID() {
	case arrow.NULL:
		return SortKindNull, nil
	case arrow.INT32, arrow.INT64, arrow.TIMESTAMP, arrow.DATE32, arrow.BOOL, arrow.INTERVAL_MONTH_DAY_NANO:
		return SortKindInt, nil
	case arrow.FLOAT64:
		return SortKindFloat, nil
	case arrow.STRING:
		return SortKindString, nil
	}
	return 0, fmt.Errorf("sorting by %s: unsupported type", dt)
}

// newSortKeyCols prepares one key column per key for batches of schema s.
func newSortKeyCols(s *arrow.Schema, keys []SortKey) ([]sortKeyCol, error) {
	cols := make([]sortKeyCol, len(keys))
	for i, k := range keys {
		if k.Col < 0 || k.Col >= s.NumFields() {
			return nil, fmt.Errorf("preparing sort key %d: column %d out of range", i, k.Col)
		}
		kind, err := SortKindOf(s.Field(k.Col).Type)
		if err != nil {
			return nil, fmt.Errorf("preparing sort key %s: %w", s.Field(k.Col).Name, err)
		}
		cols[i] = sortKeyCol{kind: kind, desc: k.Desc, nullsFirst: k.NullsFirst}
	}
	return cols, nil
}

// reset empties c, keeping its storage.
func (c *sortKeyCol) reset() {
	if c.aliased {
		c.ints, c.floats, c.aliased = nil, nil, false
	}
	c.ints, c.floats, c.strs = c.ints[:0], c.floats[:0], c.strs[:0]
	c.nulls, c.anyNull = c.nulls[:0], false
	c.n = 0
}

// hasNulls reports whether any extracted row is NULL.
func (c *sortKeyCol) hasNulls() bool { return c.anyNull }

// isNull reports whether row i is NULL.
func (c *sortKeyCol) isNull(i int) bool { return c.anyNull && c.nulls[i] }

// setArray makes c hold exactly the values of arr (borrowed), aliasing
// its buffer for NULL-free int64 and float64 arrays instead of copying.
// Until the next reset, c must not outlive arr nor be appended to.
func (c *sortKeyCol) setArray(arr arrow.Array) error {
	c.reset()
	if arr.NullN() == 0 {
		switch a := arr.(type) {
		case *array.Int64:
			if c.kind == SortKindInt {
				n := a.Len()
				c.ints, c.n, c.aliased = a.Int64Values()[:n:n], n, true
				return nil
			}
		case *array.Float64:
			if c.kind == SortKindFloat {
				n := a.Len()
				c.floats, c.n, c.aliased = a.Float64Values()[:n:n], n, true
				return nil
			}
		}
	}
	return c.appendArray(arr)
}

// appendArray appends the values of arr (borrowed; strings keep aliasing it).
func (c *sortKeyCol) appendArray(arr arrow.Array) error {
	n := arr.Len()
	if arr.NullN() > 0 || c.kind == SortKindNull {
		c.markNulls()
		c.nulls = sortGrow(c.nulls, n)
		for i := range n {
			c.nulls = append(c.nulls, c.kind == SortKindNull || arr.IsNull(i))
		}
	} else if c.anyNull {
		c.nulls = append(c.nulls, make([]bool, n)...)
	}
	c.n += n
	switch c.kind {
	case SortKindInt:
		c.ints = sortGrow(c.ints, n)
	case SortKindFloat:
		c.floats = sortGrow(c.floats, n)
	case SortKindString:
		c.strs = sortGrow(c.strs, n)
	}
	switch a := arr.(type) {
	case *array.Null:
	case *array.Float64:
		c.floats = append(c.floats, a.Float64Values()...)
	case *array.String:
		for i := range n {
			c.strs = append(c.strs, a.Value(i))
		}
	default:
		var ok bool
		if c.ints, ok = AppendInt64s(c.ints, arr); !ok {
			return fmt.Errorf("extracting sort key of type %s: unsupported", arr.DataType())
		}
	}
	if c.kind == SortKindInt && len(c.ints) != c.n || c.kind == SortKindFloat && len(c.floats) != c.n ||
		c.kind == SortKindString && len(c.strs) != c.n {
		return fmt.Errorf("extracting sort key of type %s: column type differs from schema", arr.DataType())
	}
	return nil
}

// AppendInt64s appends the values of an integer-like array (BIGINT,
// INTEGER, TIMESTAMP, DATE, BOOLEAN as 0/1, INTERVAL as its span in µs
// with 30-day months, as Postgres orders intervals) to dst as int64s, the
// form sort and hash keys compare in. ok is false, and dst unchanged, for
// another array type. Values under NULLs are appended as they are.
func AppendInt64s(dst []int64, arr arrow.Array) (out []int64, ok bool) {
	switch a := arr.(type) {
	case *array.Int64:
		dst = append(dst, a.Int64Values()...)
	case *array.Int32:
		for _, v := range a.Int32Values() {
			dst = append(dst, int64(v))
		}
	case *array.Timestamp:
		for _, v := range a.TimestampValues() {
			dst = append(dst, int64(v))
		}
	case *array.Date32:
		for _, v := range a.Date32Values() {
			dst = append(dst, int64(v))
		}
	case *array.Boolean:
		for i := range a.Len() {
			var v int64
			if a.Value(i) {
				v = 1
			}
			dst = append(dst, v)
		}
	case *array.MonthDayNanoInterval:
		const day = 86_400_000_000
		for _, v := range a.MonthDayNanoIntervalValues() {
			dst = append(dst, int64(v.Months)*30*day+int64(v.Days)*day+v.Nanoseconds/1000)
		}
	default:
		return dst, false
	}
	return dst, true
}

// sortGrow returns s with room for n more elements, doubling its capacity
// when it grows (append grows large slices by only 1.25x).
func sortGrow[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	g := make([]T, len(s), max(2*cap(s), len(s)+n))
	copy(g, s)
	return g
}

// appendRow appends row i of src (a column of the same key) to c.
func (c *sortKeyCol) appendRow(src *sortKeyCol, i int) {
	switch c.kind {
	case SortKindInt:
		c.ints = append(c.ints, src.ints[i])
	case SortKindFloat:
		c.floats = append(c.floats, src.floats[i])
	case SortKindString:
		c.strs = append(c.strs, src.strs[i])
	}
	if null := src.isNull(i); null || c.anyNull {
		c.markNulls()
		c.nulls = append(c.nulls, null)
	}
	c.n++
}

// setRow overwrites row j of c with row i of src (a column of the same key).
func (c *sortKeyCol) setRow(j int, src *sortKeyCol, i int) {
	switch c.kind {
	case SortKindInt:
		c.ints[j] = src.ints[i]
	case SortKindFloat:
		c.floats[j] = src.floats[i]
	case SortKindString:
		c.strs[j] = src.strs[i]
	}
	if null := src.isNull(i); null || c.anyNull {
		c.markNulls()
		c.nulls[j] = null
	}
}

// markNulls starts tracking NULL flags, all false for the rows so far.
func (c *sortKeyCol) markNulls() {
	if !c.anyNull {
		c.nulls = append(c.nulls[:0], make([]bool, c.n)...)
		c.anyNull = true
	}
}

// compare orders row i of c against row j of o (a column of the same key),
// applying direction and NULL placement.
func (c *sortKeyCol) compare(i int, o *sortKeyCol, j int) int {
	if c.anyNull || o.anyNull {
		if ni, nj := c.isNull(i), o.isNull(j); ni || nj {
			return CompareNulls(ni, nj, c.nullsFirst)
		}
	}
	var r int
	switch c.kind {
	case SortKindInt:
		r = cmp.Compare(c.ints[i], o.ints[j])
	case SortKindFloat:
		r = expr.CompareFloat(c.floats[i], o.floats[j])
	case SortKindString:
		r = strings.Compare(c.strs[i], o.strs[j])
	}
	if c.desc {
		return -r
	}
	return r
}

// CompareNulls orders two sort key values of which at least one is NULL
// (aNull, bNull say which): NULLs are equal, and go first or last by
// nullsFirst whatever the direction of the key.
func CompareNulls(aNull, bNull, nullsFirst bool) int {
	switch {
	case aNull && bNull:
		return 0
	case aNull == nullsFirst:
		return -1
	}
	return 1
}

// compareSortRows orders row i of a against row j of b over every key.
func compareSortRows(a []sortKeyCol, i int, b []sortKeyCol, j int) int {
	for k := range a {
		if r := a[k].compare(i, &b[k], j); r != 0 {
			return r
		}
	}
	return 0
}

// normalized returns row i's key (non-NULL) as an unsigned integer whose
// order is the key's order, direction included; only for int and float
// keys.
func (c *sortKeyCol) normalized(i int) uint64 {
	var u uint64
	if c.kind == SortKindInt {
		u = uint64(c.ints[i]) ^ 1<<63
	} else {
		u = sortNormalizeFloat(c.floats[i])
	}
	if c.desc {
		return ^u
	}
	return u
}

// sortNormalizeFloat maps f to an unsigned integer with the same order as
// expr.CompareFloat: -0 equals 0, every NaN is equal and greatest.
func sortNormalizeFloat(f float64) uint64 {
	if f == 0 {
		return 1 << 63
	}
	if f != f {
		return math.Float64bits(math.NaN())&^(1<<63) | 1<<63
	}
	b := math.Float64bits(f)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}
