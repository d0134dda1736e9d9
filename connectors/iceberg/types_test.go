package iceberg

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	ice "github.com/apache/iceberg-go"
	icecat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/google/uuid"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/planner/types"
)

// A table another writer made with types streamsql has no form for
// (Cloudflare Pipelines writes binary, list and struct fields; Spark
// decimals, UUIDs and times) opens and reads: decimals as DOUBLE, nested
// values as JSON text that ->> reaches into, binary as base64, UUIDs and
// times as text.
func TestForeignTypesReadAsText(t *testing.T) {
	ctx := context.Background()
	mem := checkedMem(t)
	w := newWarehouse(t)
	sc := ice.NewSchema(0,
		ice.NestedField{ID: 1, Name: "id", Type: ice.PrimitiveTypes.Int64},
		ice.NestedField{ID: 2, Name: "price", Type: ice.DecimalTypeOf(10, 2)},
		ice.NestedField{ID: 3, Name: "raw", Type: ice.PrimitiveTypes.Binary},
		ice.NestedField{ID: 4, Name: "tag", Type: ice.FixedTypeOf(3)},
		ice.NestedField{ID: 5, Name: "uid", Type: ice.PrimitiveTypes.UUID},
		ice.NestedField{ID: 6, Name: "at", Type: ice.PrimitiveTypes.Time},
		ice.NestedField{ID: 7, Name: "who", Type: &ice.StructType{FieldList: []ice.NestedField{
			{ID: 10, Name: "name", Type: ice.PrimitiveTypes.String},
			{ID: 11, Name: "age", Type: ice.PrimitiveTypes.Int32},
		}}},
		ice.NestedField{ID: 8, Name: "nums", Type: &ice.ListType{ElementID: 12, Element: ice.PrimitiveTypes.Int64, ElementRequired: false}},
		ice.NestedField{ID: 9, Name: "attrs", Type: &ice.MapType{KeyID: 13, KeyType: ice.PrimitiveTypes.String, ValueID: 14, ValueType: ice.PrimitiveTypes.Int32, ValueRequired: false}},
	)
	if err := w.cat.CreateNamespace(ctx, table.Identifier{"lake"}, nil); err != nil {
		t.Fatal(err)
	}
	tbl, err := w.cat.CreateTable(ctx, table.Identifier{"lake", "foreign"}, sc, icecat.WithProperties(nil))
	if err != nil {
		t.Fatal(err)
	}
	arrowSchema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "price", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "raw", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "tag", Type: &arrow.FixedSizeBinaryType{ByteWidth: 3}, Nullable: true},
		{Name: "uid", Type: extensions.NewUUIDType(), Nullable: true},
		{Name: "at", Type: arrow.FixedWidthTypes.Time64us, Nullable: true},
		{Name: "who", Type: arrow.StructOf(
			arrow.Field{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "age", Type: arrow.PrimitiveTypes.Int32, Nullable: true}), Nullable: true},
		{Name: "nums", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "attrs", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrowSchema)
	defer b.Release()
	u := uuid.MustParse("0f8fad5b-d9cb-469f-a165-70867728950e")
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
	b.Field(1).(*array.Decimal128Builder).AppendValues([]decimal128.Num{decimal128.FromI64(1234), decimal128.FromI64(-5)}, nil)
	b.Field(2).(*array.BinaryBuilder).AppendValues([][]byte{{0xde, 0xad, 0xbe, 0xef}, nil}, []bool{true, false})
	b.Field(3).(*array.FixedSizeBinaryBuilder).AppendValues([][]byte{[]byte("abc"), []byte("xyz")}, nil)
	b.Field(4).(*extensions.UUIDBuilder).AppendValues([]uuid.UUID{u, u}, []bool{true, false})
	b.Field(5).(*array.Time64Builder).AppendValues([]arrow.Time64{arrow.Time64((13*3600 + 4*60 + 5) * 1e6), 250}, nil)
	sb := b.Field(6).(*array.StructBuilder)
	sb.AppendValues([]bool{true, true})
	sb.FieldBuilder(0).(*array.StringBuilder).AppendValues([]string{"ann", `a "quote"`}, nil)
	sb.FieldBuilder(1).(*array.Int32Builder).AppendValues([]int32{41, 0}, []bool{true, false})
	lb := b.Field(7).(*array.ListBuilder)
	lb.Append(true)
	lb.ValueBuilder().(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, nil)
	lb.Append(true)
	mb := b.Field(8).(*array.MapBuilder)
	mb.Append(true)
	mb.KeyBuilder().(*array.StringBuilder).Append("k")
	mb.ItemBuilder().(*array.Int32Builder).Append(7)
	mb.AppendNull()
	rec := b.NewRecordBatch()
	defer rec.Release()
	tx := tbl.NewTransaction()
	if err := tx.AppendTable(ctx, array.NewTableFromRecords(arrowSchema, []arrow.RecordBatch{rec}), 1024, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	st, err := w.Table(ctx, "lake.foreign", TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, f := range st.Schema().Fields() {
		ty, err := types.FromField(f)
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, ty.String())
	}
	if got, want := fmt.Sprint(kinds), "[BIGINT DOUBLE VARCHAR VARCHAR VARCHAR VARCHAR JSON JSON JSON]"; got != want {
		t.Fatalf("column types %s, want %s", got, want)
	}
	db := streamsql.New(streamsql.WithAllocator(mem))
	defer db.Close()
	db.RegisterTable("lake.foreign", st)
	res, err := db.Query(ctx, `SELECT id, price, raw, tag, uid, at, who, nums, attrs, who->>'name' AS name FROM lake.foreign ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	var got []string
	for _, bt := range res.Batches {
		for r := range int(bt.NumRows()) {
			var vals []string
			for c := range int(bt.NumCols()) {
				vals = append(vals, bt.Column(c).ValueStr(r))
			}
			got = append(got, fmt.Sprint(vals))
		}
	}
	want := []string{
		`[1 12.34 3q2+7w== YWJj 0f8fad5b-d9cb-469f-a165-70867728950e 13:04:05.000000 {"name":"ann","age":41} [1,2,3] {"k":7} ann]`,
		`[2 -0.05 (null) eHl6 (null) 00:00:00.000250 {"name":"a \"quote\"","age":null} [] (null) a "quote"]`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows:\n%s\nwant:\n%s", got, want)
	}
}
