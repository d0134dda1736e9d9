package rank

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/operators"
)

// keyEncoder encodes the key columns of each batch row into bytes with
// operators.RowKeys: equal exactly when the keys are equal with NULL equal
// to NULL (SQL DISTINCT semantics), -0 equal to 0 and NaN to NaN. The
// encoding depends on the values only, so snapshots store it as is.
type keyEncoder struct {
	cols []int
	rk   operators.RowKeys
	arrs []arrow.Array
}

// newKeyEncoder encodes columns cols of schema s. NULL-typed columns hold
// one value, NULL, so they are left out of the key.
func newKeyEncoder(s *arrow.Schema, cols []int) keyEncoder {
	var k keyEncoder
	for _, c := range cols {
		if s.Field(c).Type.ID() != arrow.NULL {
			k.cols = append(k.cols, c)
		}
	}
	return k
}

// encode encodes the key of every row of b (borrowed).
func (k *keyEncoder) encode(b arrow.RecordBatch) error {
	k.arrs = k.arrs[:0]
	for _, c := range k.cols {
		k.arrs = append(k.arrs, b.Column(c))
	}
	if len(k.cols) == 0 {
		// No key columns: every row has the same, empty key.
		n := int(b.NumRows())
		k.rk.Data = k.rk.Data[:0]
		k.rk.Offsets = append(k.rk.Offsets[:0], make([]int32, n+1)...)
		return nil
	}
	if err := k.rk.Encode(k.arrs); err != nil {
		return fmt.Errorf("encoding keys: %w", err)
	}
	return nil
}

// row is row i's key; it aliases scratch memory, so copy it to keep it.
func (k *keyEncoder) row(i int) []byte { return k.rk.Row(i) }
