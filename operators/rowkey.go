package operators

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// RowKeys holds, for each row of a batch, a byte string encoding its key
// columns, such that two rows' strings are equal exactly when their keys are
// equal with NULL equal to NULL (grouping semantics; joins consult AnyNull
// to apply SQL's NULL ≠ NULL). Reuse one RowKeys across batches to avoid
// allocation.
type RowKeys struct {
	Data    []byte
	Offsets []int32 // row i is Data[Offsets[i]:Offsets[i+1]]
	AnyNull []bool  // row i has a NULL in some key column
}

// Row returns row i's key; it aliases Data, so copy it to keep it.
func (k *RowKeys) Row(i int) []byte { return k.Data[k.Offsets[i]:k.Offsets[i+1]] }

// Len is the number of encoded rows.
func (k *RowKeys) Len() int { return len(k.Offsets) - 1 }

// Encode fills k with the keys of cols (all of the same length, borrowed).
func (k *RowKeys) Encode(cols []arrow.Array) error {
	n := 0
	if len(cols) > 0 {
		n = cols[0].Len()
	}
	k.Data = k.Data[:0]
	k.Offsets = append(k.Offsets[:0], 0)
	if cap(k.AnyNull) < n {
		k.AnyNull = make([]bool, n)
	}
	k.AnyNull = k.AnyNull[:n]
	clear(k.AnyNull)
	// Encode column by column into per-row scratch would need n buffers;
	// instead encode row by row, which keeps each key contiguous.
	for i := 0; i < n; i++ {
		for _, c := range cols {
			if c.IsNull(i) {
				k.Data = append(k.Data, 0)
				k.AnyNull[i] = true
				continue
			}
			k.Data = append(k.Data, 1)
			var err error
			if k.Data, err = appendValue(k.Data, c, i); err != nil {
				return err
			}
		}
		k.Offsets = append(k.Offsets, int32(len(k.Data)))
	}
	return nil
}

func appendValue(dst []byte, c arrow.Array, i int) ([]byte, error) {
	switch a := c.(type) {
	case *array.Int64:
		return binary.LittleEndian.AppendUint64(dst, uint64(a.Value(i))), nil
	case *array.Int32:
		return binary.LittleEndian.AppendUint32(dst, uint32(a.Value(i))), nil
	case *array.Float64:
		return binary.LittleEndian.AppendUint64(dst, canonicalFloat(a.Value(i))), nil
	case *array.Timestamp:
		return binary.LittleEndian.AppendUint64(dst, uint64(a.Value(i))), nil
	case *array.Date32:
		return binary.LittleEndian.AppendUint32(dst, uint32(a.Value(i))), nil
	case *array.Boolean:
		if a.Value(i) {
			return append(dst, 1), nil
		}
		return append(dst, 0), nil
	case *array.String:
		s := a.Value(i)
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		return append(dst, s...), nil
	case *array.MonthDayNanoInterval:
		v := a.Value(i)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(v.Months))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(v.Days))
		return binary.LittleEndian.AppendUint64(dst, uint64(v.Nanoseconds)), nil
	}
	return dst, fmt.Errorf("encoding key of type %s: unsupported", c.DataType())
}

// canonicalFloat makes -0 equal 0 and every NaN equal, as GROUP BY needs.
func canonicalFloat(f float64) uint64 {
	if f == 0 {
		return 0
	}
	if math.IsNaN(f) {
		return 0x7ff8000000000001
	}
	return math.Float64bits(f)
}
