package iceberg

import (
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	ice "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// identityConstants returns, for a planned data file, the table columns
// the file holds constant: the source columns of its identity partition
// fields (every row of the file has the partition's value there, by the
// spec). The Parquet reader fills them in instead of decoding them —
// grouping by topic no longer reads the topic column at all. A value whose
// Go type does not match the column's is left to be read from the file.
func identityConstants(tbl *table.Table, schema *arrow.Schema, ids []int, f ice.DataFile) map[int]any {
	spec := tbl.Metadata().PartitionSpecByID(int(f.SpecID()))
	if spec == nil {
		return nil
	}
	part := f.Partition()
	var out map[int]any
	for _, pf := range spec.Fields() {
		if _, ok := pf.Transform.(ice.IdentityTransform); !ok || len(pf.SourceIDs) != 1 {
			continue
		}
		col := slices.Index(ids, pf.SourceIDs[0])
		if col < 0 {
			continue
		}
		v, ok := part[pf.FieldID]
		if !ok {
			continue
		}
		lit, ok := constantFor(schema.Field(col).Type, v)
		if !ok {
			continue
		}
		if out == nil {
			out = map[int]any{}
		}
		out[col] = lit
	}
	return out
}

// constantFor converts a partition value to the literal form
// file.ParquetFile.Constants takes for a column of type dt.
func constantFor(dt arrow.DataType, v any) (any, bool) {
	if v == nil {
		return nil, true
	}
	switch dt.ID() {
	case arrow.STRING:
		s, ok := v.(string)
		return s, ok
	case arrow.INT64:
		switch x := v.(type) {
		case int64:
			return x, true
		case int32:
			return int64(x), true
		}
	case arrow.INT32:
		x, ok := v.(int32)
		return x, ok
	case arrow.FLOAT64:
		switch x := v.(type) {
		case float64:
			return x, true
		case float32:
			return float64(x), true
		}
	case arrow.BOOL:
		x, ok := v.(bool)
		return x, ok
	case arrow.TIMESTAMP:
		if x, ok := v.(ice.Timestamp); ok && dt.(*arrow.TimestampType).Unit == arrow.Microsecond {
			return int64(x), true
		}
	case arrow.DATE32:
		if x, ok := v.(ice.Date); ok {
			return int32(x), true
		}
	}
	return nil, false
}
