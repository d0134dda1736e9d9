package iceberg

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	ice "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql/planner/types"
)

// nativeSchema maps an Iceberg schema to streamsql's native Arrow forms.
// Every column is nullable (NOT NULL is not a streamsql constraint);
// floats and decimals read as DOUBLE, nanosecond timestamps as TIMESTAMP
// (µs). Types streamsql has no form for are read as text, as the Parquet
// reader renders them: structs, lists and maps as JSON, binary and fixed
// as base64, UUIDs and times in their text forms. Variant and the
// geospatial types fail.
func nativeSchema(sc *ice.Schema) (*arrow.Schema, error) {
	fields := make([]arrow.Field, 0, len(sc.Fields()))
	for _, f := range sc.Fields() {
		var t types.Type
		switch f.Type.(type) {
		case ice.Int32Type:
			t = types.IntegerType
		case ice.Int64Type:
			t = types.BigintType
		case ice.Float32Type, ice.Float64Type, ice.DecimalType:
			t = types.DoubleType
		case ice.StringType, ice.BinaryType, ice.FixedType, ice.UUIDType, ice.TimeType:
			t = types.VarcharType
		case *ice.StructType, *ice.ListType, *ice.MapType:
			t = types.JSONType
		case ice.BooleanType:
			t = types.BooleanType
		case ice.TimestampType, ice.TimestampTzType, ice.TimestampNsType, ice.TimestampTzNsType:
			t = types.TimestampType
		case ice.DateType:
			t = types.DateType
		default:
			return nil, fmt.Errorf("mapping column %q: Iceberg type %s has no streamsql type", f.Name, f.Type)
		}
		fields = append(fields, types.Field(f.Name, t, true))
	}
	return arrow.NewSchema(fields, nil), nil
}

// fieldIDs binds each column of native to the Iceberg field of sc with its
// name (exactly, then case-insensitively, as columns are matched
// elsewhere): the ids data files are then read by, so renames and
// drop-then-add keep their meaning. 0 marks a column sc lacks.
func fieldIDs(sc *ice.Schema, native *arrow.Schema) []int {
	ids := make([]int, native.NumFields())
	for i, f := range native.Fields() {
		if fld, ok := sc.FindFieldByName(f.Name); ok {
			ids[i] = fld.ID
		} else if fld, ok := sc.FindFieldByNameCaseInsensitive(f.Name); ok {
			ids[i] = fld.ID
		}
	}
	return ids
}

// writeSchema is the Arrow schema data files are written with: the sink's
// columns, all nullable, without field metadata (Iceberg keeps no JSON
// marker; JSON columns are strings). INTERVAL has no Iceberg type and
// changelog input (an _op column) cannot be appended, so both fail.
func writeSchema(s *arrow.Schema) (*arrow.Schema, error) {
	fields := make([]arrow.Field, s.NumFields())
	for i, f := range s.Fields() {
		if f.Name == "_op" {
			return nil, fmt.Errorf("mapping column %q: the iceberg sink is append-only; use EMIT ON WINDOW CLOSE or an append-only query", f.Name)
		}
		t, err := types.FromArrow(f.Type)
		if err != nil {
			return nil, fmt.Errorf("mapping column %q: %w", f.Name, err)
		}
		if t.Kind == types.Interval {
			return nil, fmt.Errorf("mapping column %q: INTERVAL has no Iceberg type (cast it to VARCHAR or BIGINT)", f.Name)
		}
		fields[i] = arrow.Field{Name: f.Name, Type: t.ArrowType(), Nullable: true}
	}
	return arrow.NewSchema(fields, nil), nil
}

// icebergSchema converts a write schema to a fresh Iceberg schema.
func icebergSchema(ws *arrow.Schema) (*ice.Schema, error) {
	sc, err := table.ArrowSchemaToIcebergWithFreshIDs(ws, false)
	if err != nil {
		return nil, fmt.Errorf("converting schema to Iceberg: %w", err)
	}
	return sc, nil
}

// partitionSpec builds the spec from a partition_by option: a comma list of
// `col` (identity) or `transform(col)` with transform identity, hour, day,
// month or year; "none" means unpartitioned. An empty option means the
// default: identity(topic) and hour(timestamp) for whichever of those
// columns exist (a TIMESTAMP column named timestamp, else _timestamp).
func partitionSpec(sc *ice.Schema, partitionBy string) (*ice.PartitionSpec, error) {
	var opts []ice.PartitionOption
	add := func(col, transform string) error {
		f, ok := sc.FindFieldByNameCaseInsensitive(col)
		if !ok {
			return fmt.Errorf("building partition spec: no column %q", col)
		}
		var tr ice.Transform
		name := f.Name
		switch transform {
		case "identity":
			tr = ice.IdentityTransform{}
		case "hour":
			tr, name = ice.HourTransform{}, f.Name+"_hour"
		case "day":
			tr, name = ice.DayTransform{}, f.Name+"_day"
		case "month":
			tr, name = ice.MonthTransform{}, f.Name+"_month"
		case "year":
			tr, name = ice.YearTransform{}, f.Name+"_year"
		default:
			return fmt.Errorf("building partition spec: unknown transform %q (want identity, hour, day, month or year)", transform)
		}
		opts = append(opts, ice.AddPartitionFieldBySourceID(f.ID, name, tr, sc, nil))
		return nil
	}
	switch p := strings.TrimSpace(strings.ToLower(partitionBy)); p {
	case "none":
	case "":
		if f, ok := sc.FindFieldByName("topic"); ok {
			if _, isStr := f.Type.(ice.StringType); isStr {
				_ = add("topic", "identity")
			}
		}
		for _, ts := range []string{"timestamp", "_timestamp"} {
			if f, ok := sc.FindFieldByName(ts); ok {
				if _, isTS := f.Type.(ice.TimestampTzType); isTS {
					_ = add(ts, "hour")
					break
				}
			}
		}
	default:
		for _, part := range strings.Split(p, ",") {
			part = strings.TrimSpace(part)
			transform, col := "identity", part
			if open := strings.IndexByte(part, '('); open > 0 && strings.HasSuffix(part, ")") {
				transform, col = strings.TrimSpace(part[:open]), strings.TrimSpace(part[open+1:len(part)-1])
			}
			if err := add(col, transform); err != nil {
				return nil, err
			}
		}
	}
	spec, err := ice.NewPartitionSpecOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("building partition spec: %w", err)
	}
	return &spec, nil
}
