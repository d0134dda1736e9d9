package file

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// writeParquetFile writes rec to path with rowGroup rows per row group.
func writeParquetFile(t testing.TB, path string, rec arrow.RecordBatch, rowGroup int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(rowGroup))
	fw, err := pqarrow.NewFileWriter(rec.Schema(), f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
}

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

// nativeRecord builds 1000 rows of native columns: id 0..999 ascending,
// name with every 7th NULL, ts one second apart, day, score (NaN at 150),
// ok, n INTEGER, sparse non-NULL only in rows 300..399.
func nativeRecord(mem memory.Allocator) (arrow.RecordBatch, []string) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ts", Type: types.TimestampType.ArrowType(), Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "sparse", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	var rows []string
	for i := 0; i < 1000; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		name := fmt.Sprintf("n%03d", i)
		if i%7 == 0 {
			b.Field(1).AppendNull()
			name = "NULL"
		} else {
			b.Field(1).(*array.StringBuilder).Append(name)
		}
		ts := t0 + int64(i)*1e6
		b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(ts))
		b.Field(3).(*array.Date32Builder).Append(arrow.Date32(20000 + i/100))
		score := float64(i) / 2
		if i == 150 {
			score = math.NaN()
		}
		b.Field(4).(*array.Float64Builder).Append(score)
		b.Field(5).(*array.BooleanBuilder).Append(i%2 == 0)
		b.Field(6).(*array.Int32Builder).Append(int32(-i))
		sparse := "NULL"
		if i >= 300 && i < 400 {
			sparse = fmt.Sprint("s", i)
			b.Field(7).(*array.StringBuilder).Append(sparse)
		} else {
			b.Field(7).AppendNull()
		}
		rows = append(rows, strings.Join([]string{fmt.Sprint(i), name, types.FormatTimestamp(ts), types.FormatDate(int32(20000 + i/100)),
			types.FormatDouble(score), fmt.Sprint(i%2 == 0), fmt.Sprint(-i), sparse}, "|"))
	}
	return b.NewRecordBatch(), rows
}

func TestParquetRoundTripAndPruning(t *testing.T) {
	rec, want := nativeRecord(memory.DefaultAllocator)
	defer rec.Release()
	p := filepath.Join(t.TempDir(), "t.parquet")
	writeParquetFile(t, p, rec, 100)

	tbl := mustOpen(t, p, Options{})
	if got := schemaString(t, tbl.Schema()); got != "id BIGINT, name VARCHAR, ts TIMESTAMP, day DATE, score DOUBLE, ok BOOLEAN, n INTEGER, sparse VARCHAR" {
		t.Fatalf("schema %s", got)
	}
	if tbl.Describe() != "file parquet "+p {
		t.Errorf("Describe %q", tbl.Describe())
	}
	if got := joinRows(mustScan(t, tbl, allCols(tbl))); got != strings.Join(want, "\n")+"\n" {
		t.Errorf("round trip differs")
	}
	checkRows(t, mustScan(t, tbl, []int{6, 0, 6})[:2], "0|0|0\n-1|1|-1\n")
	if n := len(mustScan(t, tbl, nil)); n != 1000 {
		t.Errorf("count-only: %d rows", n)
	}

	pred := func(col int, op string, v any) catalog.Predicate {
		return catalog.Predicate{Column: col, Op: op, Value: v}
	}
	for _, c := range []struct {
		name    string
		filters []catalog.Predicate
		pruned  int64
		first   string // first id read
	}{
		{"id >= 950", []catalog.Predicate{pred(0, ">=", int64(950))}, 9, "900"},
		{"id = 123", []catalog.Predicate{pred(0, "=", int64(123))}, 9, "100"},
		{"id < 0", []catalog.Predicate{pred(0, "<", int64(0))}, 10, ""},
		{"id <= 99.5", []catalog.Predicate{pred(0, "<=", 99.5)}, 9, "0"},
		{"id > int32 899", []catalog.Predicate{pred(0, ">", int32(899))}, 9, "900"},
		{"id <> 5", []catalog.Predicate{pred(0, "<>", int64(5))}, 0, "0"},
		{"ts > +500s", []catalog.Predicate{pred(2, ">", t0+500e6)}, 5, "500"},
		{"ts < +100s", []catalog.Predicate{pred(2, "<", t0+100e6)}, 9, "0"},
		{"day = 20003", []catalog.Predicate{pred(3, "=", int32(20003))}, 9, "300"},
		{"name = n555", []catalog.Predicate{pred(1, "=", "n555")}, 9, "500"},
		{"name >= n990", []catalog.Predicate{pred(1, ">=", "n990")}, 9, "900"},
		{"score < 10", []catalog.Predicate{pred(4, "<", 10.0)}, 9, "0"},
		{"score > 480 (NaN-safe)", []catalog.Predicate{pred(4, ">", 480.0)}, 0, "0"},
		{"ok = true", []catalog.Predicate{pred(5, "=", true)}, 0, "0"},
		{"n > -100", []catalog.Predicate{pred(6, ">", int32(-100))}, 9, "0"},
		{"sparse is not null", []catalog.Predicate{pred(7, "is_not_null", nil)}, 9, "300"},
		{"sparse is null", []catalog.Predicate{pred(7, "is_null", nil)}, 1, "0"},
		{"sparse = s350 and id > 500", []catalog.Predicate{pred(7, "=", "s350"), pred(0, ">", int64(500))}, 10, ""},
		{"name is null", []catalog.Predicate{pred(1, "is_null", nil)}, 0, "0"},
		{"id = NULL", []catalog.Predicate{pred(0, "=", nil)}, 0, "0"},
		{"unknown op", []catalog.Predicate{pred(0, "like", "x")}, 0, "0"},
	} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		rows, rd, err := scan(t, tbl, catalog.ScanRequest{Columns: []int{0}, Filters: c.filters, Limit: 5, Alloc: mem})
		mem.AssertSize(t, 0)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		st := rd.(catalog.ScanStats).Stats()
		if st["row_groups"] != 10 || st["row_groups_pruned"] != c.pruned {
			t.Errorf("%s: stats %v, want %d pruned", c.name, st, c.pruned)
		}
		if want := (10 - c.pruned) * 100; int64(len(rows)) != want {
			t.Errorf("%s: %d rows, want %d (limit ignored with filters)", c.name, len(rows), want)
		}
		if len(rows) > 0 && rows[0][0] != c.first || len(rows) == 0 && c.first != "" {
			t.Errorf("%s: first row %v, want %s", c.name, rows, c.first)
		}
	}

	// limit without filters: exactly Limit rows, one batch
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	rows, _, err := scan(t, tbl, catalog.ScanRequest{Columns: []int{1, 0}, Limit: 3, Alloc: mem})
	if err != nil || joinRows(rows) != "NULL|0\nn001|1\nn002|2\n" {
		t.Errorf("limit 3: %v %v", rows, err)
	}
	rows, _, err = scan(t, tbl, catalog.ScanRequest{Columns: nil, Limit: 250, Alloc: mem})
	if err != nil || len(rows) != 250 {
		t.Errorf("count-only limit 250: %d rows, %v", len(rows), err)
	}
	mem.AssertSize(t, 0)
}

func TestParquetTypeConversion(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dec := &arrow.Decimal128Type{Precision: 10, Scale: 2}
	dict := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
		{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
		{Name: "u32", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "ts_ms_ny", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "America/New_York"}, Nullable: true},
		{Name: "ts_ns", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}, Nullable: true},
		{Name: "ts_s", Type: &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}, Nullable: true},
		{Name: "ts_us", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "d64", Type: arrow.FixedWidthTypes.Date64, Nullable: true},
		{Name: "dec", Type: dec, Nullable: true},
		{Name: "dict", Type: dict, Nullable: true},
	}, nil)
	rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(`[
{"i8":-8,"i16":-16,"u8":8,"u16":16,"u32":4000000000,"u64":9000000000,"f32":1.5,"ls":"large","ts_ms_ny":1772323201824,
 "ts_ns":1772323201824999999,"ts_s":1772323201,"ts_us":1772323201824567,"d64":1772323200000,"dec":"12.34","dict":"red"},
{"i8":null,"i16":null,"u8":null,"u16":null,"u32":null,"u64":null,"f32":null,"ls":null,"ts_ms_ny":null,
 "ts_ns":-1,"ts_s":null,"ts_us":null,"d64":null,"dec":null,"dict":null}
]`))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "conv.parquet")
	writeParquetFile(t, p, rec, 1)
	rec.Release()

	tbl := mustOpen(t, p, Options{})
	want := "i8 INTEGER, i16 INTEGER, u8 INTEGER, u16 INTEGER, u32 BIGINT, u64 BIGINT, f32 DOUBLE, ls VARCHAR, " +
		"ts_ms_ny TIMESTAMP, ts_ns TIMESTAMP, ts_s TIMESTAMP, ts_us TIMESTAMP, d64 DATE, dec DOUBLE, dict VARCHAR"
	if got := schemaString(t, tbl.Schema()); got != want {
		t.Errorf("schema:\n%s\nwant:\n%s", got, want)
	}
	rows, _, err := scan(t, tbl, catalog.ScanRequest{Columns: allCols(tbl), Limit: -1, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, `
-8|-16|8|16|4000000000|9000000000|1.5|large|2026-03-01 00:00:01.824|2026-03-01 00:00:01.824999|2026-03-01 00:00:01|2026-03-01 00:00:01.824567|2026-03-01|12.34|red
NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|1969-12-31 23:59:59.999999|NULL|NULL|NULL|NULL|NULL
`)
	// statistics in other units are rescaled before comparing
	for _, c := range []struct {
		col    int
		op     string
		v      any
		pruned int64
	}{
		{8, "=", t0 + 1_824_000, 1}, {8, ">", t0 + 1_824_000, 2}, {9, "=", t0 + 1_824_999, 1}, {9, "<", t0 - 1, 1},
		{10, ">=", t0 + 1_000_000, 1}, {4, ">", int64(3999999999), 1}, {5, "<", int64(1), 1}, {13, "=", 12.34, 1},
	} {
		_, rd, err := scan(t, tbl, catalog.ScanRequest{Columns: []int{c.col}, Limit: -1, Alloc: mem,
			Filters: []catalog.Predicate{{Column: c.col, Op: c.op, Value: c.v}}})
		if err != nil {
			t.Fatal(err)
		}
		if st := rd.(catalog.ScanStats).Stats(); st["row_groups_pruned"] != c.pruned {
			t.Errorf("%s %s %v: stats %v, want %d pruned", tbl.Schema().Field(c.col).Name, c.op, c.v, st, c.pruned)
		}
	}
}

func TestParquetMultiFileAndDeclared(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	s1 := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "tag", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	s2 := arrow.NewSchema([]arrow.Field{
		{Name: "extra", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "ID", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	}, nil)
	r1, _, err := array.RecordFromJSON(mem, s1, strings.NewReader(`[{"id":1,"tag":"a"},{"id":2,"tag":null}]`))
	if err != nil {
		t.Fatal(err)
	}
	r2, _, err := array.RecordFromJSON(mem, s2, strings.NewReader(`[{"extra":true,"ID":3},{"extra":false,"ID":4}]`))
	if err != nil {
		t.Fatal(err)
	}
	writeParquetFile(t, filepath.Join(dir, "part-1.parquet"), r1, 10)
	writeParquetFile(t, filepath.Join(dir, "part-2.parquet"), r2, 10)
	r1.Release()
	r2.Release()
	writeFile(t, dir, "_SUCCESS", "")

	tbl := mustOpen(t, dir, Options{})
	if got := schemaString(t, tbl.Schema()); got != "id BIGINT, tag VARCHAR" {
		t.Errorf("schema %s", got)
	}
	rows, rd, err := scan(t, tbl, catalog.ScanRequest{Columns: []int{1, 0}, Limit: -1, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, "a|1\nNULL|2\nNULL|3\nNULL|4\n")
	if st := rd.(catalog.ScanStats).Stats(); st["files"] != 2 || st["row_groups"] != 2 {
		t.Errorf("stats %v", st)
	}
	// a filter on a column a file lacks prunes it (the column reads as NULL)
	rows, rd, err = scan(t, tbl, catalog.ScanRequest{Columns: []int{0}, Limit: -1, Alloc: mem,
		Filters: []catalog.Predicate{{Column: 1, Op: "=", Value: "a"}}})
	if err != nil || joinRows(rows) != "1\n2\n" || rd.(catalog.ScanStats).Stats()["row_groups_pruned"] != 1 {
		t.Errorf("pruned by a missing column: %v %v %v", rows, err, rd.(catalog.ScanStats).Stats())
	}

	// a declared schema selects and casts columns by name
	decl := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "extra", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "tag", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	tbl = mustOpen(t, filepath.Join(dir, "*.parquet"), Options{Schema: decl})
	rows, _, err = scan(t, tbl, catalog.ScanRequest{Columns: []int{0, 1}, Limit: -1, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, "1|NULL\n2|NULL\n3|true\n4|false\n")
	// values that do not convert fail the scan
	if _, _, err = scan(t, tbl, catalog.ScanRequest{Columns: []int{2}, Limit: -1, Alloc: mem}); err == nil ||
		!strings.Contains(err.Error(), `reading column "tag" of `+filepath.Join(dir, "part-1.parquet")) {
		t.Errorf("bad conversion: %v", err)
	}

	// nested and binary columns are read as text (JSON, base64): see
	// TestParquetRendersNestedAndBinary
	if _, err := Open(writeTemp(t, "junk.parquet", "not parquet at all"), Options{}); err == nil {
		t.Error("junk parquet opened")
	}
}
