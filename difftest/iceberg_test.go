//go:build duckdb

package difftest

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/connectors/iceberg"
	"github.com/streamsql/streamsql/planner/types"
)

// iceSchema has every column type the Iceberg sink writes (JSON is
// written as a string).
var iceSchema = arrow.NewSchema([]arrow.Field{
	{Name: "topic", Type: types.VarcharType.ArrowType(), Nullable: true},
	{Name: "timestamp", Type: types.TimestampType.ArrowType(), Nullable: true},
	{Name: "user_id", Type: types.BigintType.ArrowType(), Nullable: true},
	{Name: "qty", Type: types.IntegerType.ArrowType(), Nullable: true},
	{Name: "amount", Type: types.DoubleType.ArrowType(), Nullable: true},
	{Name: "flag", Type: types.BooleanType.ArrowType(), Nullable: true},
	{Name: "day", Type: types.DateType.ArrowType(), Nullable: true},
	{Name: "note", Type: types.VarcharType.ArrowType(), Nullable: true},
	{Name: "payload", Type: types.JSONType.ArrowType(), Nullable: true,
		Metadata: arrow.NewMetadata([]string{"streamsql.type"}, []string{"JSON"})},
}, nil)

// iceTotals is what the generator wrote, per topic ("" for NULL), as a
// third opinion beside the two engines.
type iceTotals struct {
	rows, userSum int64
}

// iceBatch builds rows [first, first+n): three topics over five hours,
// with NULLs in every column (NULL topics and timestamps land in NULL
// partitions), negative, large and fractional numbers, empty and
// non-ASCII strings. Deterministic.
func iceBatch(mem memory.Allocator, first, n int, totals map[string]*iceTotals) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, iceSchema)
	defer b.Release()
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	day0 := int32(base.Unix() / 86400)
	topics := []string{"orders", "clicks", "payments"}
	for i := first; i < first+n; i++ {
		topic := ""
		if i%17 == 0 {
			b.Field(0).AppendNull()
		} else {
			topic = topics[i%3]
			b.Field(0).(*array.StringBuilder).Append(topic)
		}
		if i%23 == 0 {
			b.Field(1).AppendNull()
		} else {
			us := base.UnixMicro() + int64(i*7919%(5*3600))*1e6 + int64(i%1000)*1000 + int64(i%7)
			b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(us))
		}
		t := totals[topic]
		if t == nil {
			t = &iceTotals{}
			totals[topic] = t
		}
		t.rows++
		switch {
		case i%11 == 0:
			b.Field(2).AppendNull()
		case i%101 == 0:
			v := int64(1)<<40 + int64(i)
			b.Field(2).(*array.Int64Builder).Append(v)
			t.userSum += v
		default:
			v := int64(i*13%97) - 40
			b.Field(2).(*array.Int64Builder).Append(v)
			t.userSum += v
		}
		if i%13 == 0 {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Int32Builder).Append(int32(i%50 - 10))
		}
		if i%7 == 0 {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.Float64Builder).Append(float64(i%500-100) + float64(i%100)/100)
		}
		if i%5 == 0 {
			b.Field(5).AppendNull()
		} else {
			b.Field(5).(*array.BooleanBuilder).Append(i%2 == 0)
		}
		if i%19 == 0 {
			b.Field(6).AppendNull()
		} else {
			b.Field(6).(*array.Date32Builder).Append(arrow.Date32(day0 + int32(i%40) - 20))
		}
		switch {
		case i%9 == 0:
			b.Field(7).AppendNull()
		case i%29 == 0:
			b.Field(7).(*array.StringBuilder).Append("")
		default:
			b.Field(7).(*array.StringBuilder).Append(fmt.Sprintf("n%d é ✓", i%13))
		}
		if i%31 == 0 {
			b.Field(8).AppendNull()
		} else {
			b.Field(8).(*array.StringBuilder).Append(fmt.Sprintf(`{"i":%d,"k":"v%d"}`, i, i%4))
		}
	}
	return b.NewRecordBatch()
}

// writeIceTable writes the generated rows to name through the sink in two
// checkpoints (two snapshots), returning the generator's totals.
func writeIceTable(ctx context.Context, t *testing.T, mem memory.Allocator, w *iceberg.Warehouse, name string) map[string]*iceTotals {
	t.Helper()
	totals := map[string]*iceTotals{}
	sink, err := w.Sink(ctx, name, iceSchema, iceberg.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	for epoch, spans := range [][][2]int{{{0, 1500}}, {{1500, 1000}, {2500, 500}}} {
		for _, span := range spans {
			b := iceBatch(mem, span[0], span[1], totals)
			err := sink.Write(ctx, b)
			b.Release()
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := sink.PreCommit(ctx, int64(epoch+1)); err != nil {
			t.Fatal(err)
		}
		if err := sink.Commit(ctx, int64(epoch+1)); err != nil {
			t.Fatal(err)
		}
	}
	return totals
}

// iceDataFiles lists the local paths of the data files of name's current
// snapshot, as the manifests name them.
func iceDataFiles(ctx context.Context, t *testing.T, w *iceberg.Warehouse, name string) []string {
	t.Helper()
	tbl, err := w.Catalog().LoadTable(ctx, table.Identifier(strings.Split(name, ".")))
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, task := range tasks {
		u, err := url.Parse(task.File.FilePath())
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, u.Path)
	}
	slices.Sort(files)
	return files
}

// duckView (re)creates the DuckDB view name over exactly files, reading
// only their contents: hive partitioning is off, so the partition
// directories (topic=…/timestamp_hour=…) add no columns and override none.
func duckView(ctx context.Context, t *testing.T, name string, files []string) {
	t.Helper()
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	q := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT * FROM read_parquet([%s], hive_partitioning = false)", name, strings.Join(quoted, ", "))
	if _, err := env.duck.ExecContext(ctx, q); err != nil {
		t.Fatalf("duckdb: %s: %v", q, err)
	}
}

// iceQueries are asked of streamsql over the Iceberg table and of DuckDB
// over its data files; both name the table ice_events.
var iceQueries = []struct{ name, sql string }{
	{"non-NULL counts", `SELECT COUNT(*), COUNT(topic), COUNT(timestamp), COUNT(user_id), COUNT(qty), COUNT(amount),
		COUNT(flag), COUNT(day), COUNT(note), COUNT(payload) FROM ice_events`},
	{"per topic", `SELECT topic, COUNT(*), SUM(user_id), SUM(qty), SUM(amount), SUM(CASE WHEN flag THEN 1 ELSE 0 END),
		MIN(timestamp), MAX(timestamp), MIN(day), MAX(day), MIN(note), MAX(note) FROM ice_events GROUP BY topic`},
	{"per hour partition", `SELECT DATE_TRUNC('hour', timestamp) AS h, COUNT(*), SUM(amount) FROM ice_events GROUP BY h`},
	{"every row", `SELECT * FROM ice_events`},
}

// TestIcebergDataFilesMatchDuckDB writes a table through the Iceberg sink
// (default partitioning: identity(topic) + hour(timestamp)) and checks that
// DuckDB's read_parquet over the files the manifests list agrees with
// streamsql's scan of the table, on aggregates and on every row.
func TestIcebergDataFilesMatchDuckDB(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	w, err := iceberg.OpenWarehouse(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	}()
	const name = "diff.events"
	totals := writeIceTable(ctx, t, mem, w, name)

	files := iceDataFiles(ctx, t, w, name)
	if len(files) < 2*3*5 { // two snapshots × three topics × five hours, plus NULL partitions
		t.Fatalf("%d data files, want at least 30 (two commits over 3 topics × 5 hours)", len(files))
	}
	for _, f := range files {
		if !strings.Contains(f, "/topic=") || !strings.Contains(f, "/timestamp_hour=") {
			t.Fatalf("data file %s is not under topic=…/timestamp_hour=… partition directories", f)
		}
	}
	duckView(ctx, t, "ice_events", files)

	tbl, err := w.Table(ctx, name, iceberg.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkIceTypes(ctx, t, tbl.Schema())
	var rows int64
	for _, tot := range totals {
		rows += tot.rows
	}
	version, err := DuckQuery(ctx, env.duck, "SELECT version()")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d data files in %s, %d rows; DuckDB %s", len(files), name, rows, version.Rows[0][0].S)
	for _, par := range []int{1, 4} {
		db := streamsql.New(streamsql.WithAllocator(mem), streamsql.WithParallelism(par))
		db.RegisterTable("ice_events", tbl)
		for _, q := range iceQueries {
			want, err := DuckQuery(ctx, env.duck, q.sql)
			if err != nil {
				t.Fatalf("duckdb %s: %v", q.name, err)
			}
			got, err := EngineQuery(ctx, db, q.sql)
			if err != nil {
				t.Fatalf("streamsql (parallelism %d) %s: %v", par, q.name, err)
			}
			if err := Diff(got, want, false); err != nil {
				t.Errorf("parallelism %d, %s: %v", par, q.name, err)
			}
			if len(want.Rows) == 0 {
				t.Errorf("%s: no rows in either engine: the check tests nothing", q.name)
			}
		}
		checkIceTotals(ctx, t, db, totals)
		db.Close()
	}

	// Not vacuous: DuckDB over all files but one must disagree.
	duckView(ctx, t, "ice_events", files[1:])
	want, err := DuckQuery(ctx, env.duck, iceQueries[0].sql)
	if err != nil {
		t.Fatal(err)
	}
	db := streamsql.New(streamsql.WithAllocator(mem))
	defer db.Close()
	db.RegisterTable("ice_events", tbl)
	got, err := EngineQuery(ctx, db, iceQueries[0].sql)
	if err != nil {
		t.Fatal(err)
	}
	if Diff(got, want, false) == nil {
		t.Errorf("DuckDB over %d of %d files agrees with streamsql over the table: the comparison is vacuous", len(files)-1, len(files))
	}
}

// checkIceTypes checks that the written types come back: in streamsql
// from the Iceberg schema, in DuckDB from the Parquet files (Diff alone
// would let an INTEGER pass as BIGINT or DOUBLE).
func checkIceTypes(ctx context.Context, t *testing.T, ss *arrow.Schema) {
	t.Helper()
	want := [][3]string{ // column, streamsql type, DuckDB type
		{"topic", "VARCHAR", "VARCHAR"}, {"timestamp", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"},
		{"user_id", "BIGINT", "BIGINT"}, {"qty", "INTEGER", "INTEGER"}, {"amount", "DOUBLE", "DOUBLE"},
		{"flag", "BOOLEAN", "BOOLEAN"}, {"day", "DATE", "DATE"}, {"note", "VARCHAR", "VARCHAR"},
		{"payload", "VARCHAR", "VARCHAR"}, // Iceberg has no JSON type: JSON is written as a string
	}
	duck, err := DuckQuery(ctx, env.duck, "SELECT column_name, column_type FROM (DESCRIBE ice_events)")
	if err != nil {
		t.Fatal(err)
	}
	if ss.NumFields() != len(want) || len(duck.Rows) != len(want) {
		t.Fatalf("%d columns in streamsql, %d in DuckDB, want %d", ss.NumFields(), len(duck.Rows), len(want))
	}
	for i, c := range want {
		st, err := types.FromArrow(ss.Field(i).Type)
		if err != nil || ss.Field(i).Name != c[0] || st.String() != c[1] {
			t.Errorf("streamsql column %d is %s %s (%v), want %s %s", i, ss.Field(i).Name, ss.Field(i).Type, err, c[0], c[1])
		}
		if duck.Rows[i][0].S != c[0] || duck.Rows[i][1].S != c[2] {
			t.Errorf("DuckDB column %d is %s %s, want %s %s", i, duck.Rows[i][0].S, duck.Rows[i][1].S, c[0], c[2])
		}
	}
}

// checkIceTotals compares streamsql's per-topic count and user_id sum with
// what the generator wrote.
func checkIceTotals(ctx context.Context, t *testing.T, db *streamsql.Engine, totals map[string]*iceTotals) {
	t.Helper()
	got, err := EngineQuery(ctx, db, "SELECT COALESCE(topic, ''), COUNT(*), SUM(user_id) FROM ice_events GROUP BY topic")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Rows) != len(totals) {
		t.Fatalf("streamsql sees %d topics, the generator wrote %d", len(got.Rows), len(totals))
	}
	for _, r := range got.Rows {
		want := totals[r[0].S]
		if want == nil || r[1].S != fmt.Sprint(want.rows) || r[2].S != fmt.Sprint(want.userSum) {
			t.Errorf("topic %q: streamsql has %s rows, user_id sum %s; the generator wrote %+v", r[0].S, r[1].S, r[2].S, want)
		}
	}
}
