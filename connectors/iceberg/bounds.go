package iceberg

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql/catalog"
)

var _ catalog.ColumnBounds = (*Table)(nil)

// Bounds implements catalog.ColumnBounds from the data files' lower and
// upper bounds and null counts in the manifests of the table's snapshot.
// Only fixed-width columns are answered (string bounds may be truncated).
func (t *Table) Bounds(ctx context.Context, col int) (lo, hi any, nulls, ok bool, err error) {
	if col < 0 || col >= t.schema.NumFields() {
		return nil, nil, false, false, fmt.Errorf("bounds of %s: column %d out of range", t.name, col)
	}
	f := t.schema.Field(col)
	switch f.Type.ID() {
	case arrow.INT64, arrow.INT32, arrow.FLOAT64, arrow.TIMESTAMP, arrow.DATE32:
	default:
		return nil, nil, false, false, nil
	}
	tbl, err := t.w.cat.LoadTable(ctx, splitName(t.name))
	if err != nil {
		return nil, nil, false, false, fmt.Errorf("bounds of %s: %w", t.name, err)
	}
	field, found := tbl.Schema().FindFieldByName(f.Name)
	if !found {
		return nil, nil, false, false, nil
	}
	var opts []table.ScanOption
	if id := t.opts.SnapshotID; id != 0 {
		opts = append(opts, table.WithSnapshotID(id))
	}
	if tbl.CurrentSnapshot() == nil && t.opts.SnapshotID == 0 {
		return nil, nil, false, true, nil // empty table
	}
	tasks, err := tbl.Scan(opts...).PlanFiles(ctx)
	if err != nil {
		return nil, nil, false, false, fmt.Errorf("bounds of %s: %w", t.name, err)
	}
	for _, task := range tasks {
		df := task.File
		if n, has := df.NullValueCounts()[field.ID]; !has || n > 0 {
			nulls = true
		}
		l, okL := decodeBound(f.Type, df.LowerBoundValues()[field.ID])
		u, okU := decodeBound(f.Type, df.UpperBoundValues()[field.ID])
		if !okL || !okU {
			if n, has := df.NullValueCounts()[field.ID]; has && n == df.Count() {
				continue // all NULL: no bounds to give
			}
			return nil, nil, false, false, nil
		}
		if lo == nil || less(l, lo) {
			lo = l
		}
		if hi == nil || less(hi, u) {
			hi = u
		}
	}
	return lo, hi, nulls, true, nil
}

// decodeBound reads Iceberg's single-value serialisation (little endian).
func decodeBound(dt arrow.DataType, b []byte) (any, bool) {
	switch dt.ID() {
	case arrow.INT64, arrow.TIMESTAMP:
		if len(b) == 8 {
			return int64(binary.LittleEndian.Uint64(b)), true
		}
	case arrow.INT32, arrow.DATE32:
		if len(b) == 4 {
			return int32(binary.LittleEndian.Uint32(b)), true
		}
	case arrow.FLOAT64:
		if len(b) == 8 {
			return math.Float64frombits(binary.LittleEndian.Uint64(b)), true
		}
	}
	return nil, false
}

// less orders two decoded bounds of one type.
func less(a, b any) bool {
	switch x := a.(type) {
	case int64:
		return x < b.(int64)
	case int32:
		return x < b.(int32)
	case float64:
		return x < b.(float64)
	}
	return false
}
