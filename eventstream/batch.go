package eventstream

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// topicSchema is the Arrow schema of a topic table: the reserved columns,
// then the declared fields.
func topicSchema(fields []FieldDef) *arrow.Schema {
	out := []arrow.Field{
		types.Field("_id", types.VarcharType, false),
		types.Field("_ingest_ts", types.TimestampType, false),
		types.Field("topic", types.VarcharType, false),
		types.Field("timestamp", types.TimestampType, false),
		types.Field("data", types.JSONType, false),
	}
	for _, f := range fields {
		out = append(out, types.Field(f.Name, f.Type, true))
	}
	return arrow.NewSchema(out, nil)
}

// buildBatch turns events into one Arrow batch of schema.
func buildBatch(mem memory.Allocator, schema *arrow.Schema, topic string, evs []*event) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	n := len(evs)
	for _, f := range b.Fields() {
		f.Reserve(n)
	}
	ids := b.Field(0).(*array.StringBuilder)
	ingest := b.Field(1).(*array.TimestampBuilder)
	topics := b.Field(2).(*array.StringBuilder)
	times := b.Field(3).(*array.TimestampBuilder)
	data := b.Field(4).(*array.StringBuilder)
	for _, ev := range evs {
		ids.Append(ev.id)
		ingest.Append(arrow.Timestamp(ev.ingestNS / 1000))
		topics.Append(topic)
		times.Append(arrow.Timestamp(ev.eventUS))
		data.BinaryBuilder.Append(ev.raw)
	}
	for c := len(reservedColumns); c < schema.NumFields(); c++ {
		appendColumn(b.Field(c), c-len(reservedColumns), evs)
	}
	return b.NewRecordBatch()
}

// appendColumn appends declared field i of each event to a builder of the
// field's Arrow type (values were converted by fieldValue).
func appendColumn(fb array.Builder, i int, evs []*event) {
	for _, ev := range evs {
		v := ev.fields[i]
		if v == nil {
			fb.AppendNull()
			continue
		}
		switch b := fb.(type) {
		case *array.Int32Builder:
			b.Append(v.(int32))
		case *array.Int64Builder:
			b.Append(v.(int64))
		case *array.Float64Builder:
			b.Append(v.(float64))
		case *array.BooleanBuilder:
			b.Append(v.(bool))
		case *array.StringBuilder:
			b.Append(v.(string))
		case *array.TimestampBuilder:
			b.Append(arrow.Timestamp(v.(int64)))
		case *array.Date32Builder:
			b.Append(arrow.Date32(v.(int32)))
		default:
			panic(fmt.Sprintf("eventstream: no builder for %T", fb)) // fieldValue only makes the types above
		}
	}
}

// project returns b with the columns cols (ordinals of b), in that order.
func project(b arrow.RecordBatch, cols []int) arrow.RecordBatch {
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		fields[i] = b.Schema().Field(c)
		arrs[i] = b.Column(c)
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, b.NumRows())
}

// checkColumns validates requested column ordinals.
func checkColumns(schema *arrow.Schema, cols []int) error {
	for _, c := range cols {
		if c < 0 || c >= schema.NumFields() {
			return fmt.Errorf("column ordinal %d out of range (table has %d columns)", c, schema.NumFields())
		}
	}
	return nil
}
