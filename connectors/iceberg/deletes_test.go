package iceberg

import (
	"context"
	"iter"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	ice "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
)

// Rows deleted by other engines stay deleted: a position delete (a
// merge-on-read DELETE, as Spark writes) and an equality delete on id,
// each through iceberg-go's own writer. Files without deletes still take
// the Parquet reader; together the scan returns exactly the rows left,
// with projection, a limit and its stats.
func TestScanAppliesDeleteFiles(t *testing.T) {
	ctx := context.Background()
	mem := checkedMem(t)
	w := newWarehouse(t)
	var rows [][]any
	for id := int64(1); id <= 30; id++ {
		rows = append(rows, row([]string{"a", "b", "c"}[id%3], (id%3)*hour, id))
	}
	writeTable(t, mem, w, "lake.del", TableOptions{JobID: "job"}, rows)

	// Topic a: a position delete of id 3 (merge-on-read).
	tbl, err := w.cat.LoadTable(ctx, splitName("lake.del"))
	if err != nil {
		t.Fatal(err)
	}
	tx := tbl.NewTransaction()
	if err := tx.SetProperties(ice.Properties{table.WriteDeleteModeKey: table.WriteModeMergeOnRead}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Delete(ctx, ice.EqualTo(ice.Reference("id"), int64(3)), nil); err != nil {
		t.Fatal(err)
	}
	if tbl, err = tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// Topic b: equality deletes of ids 4 and 7.
	idField, _ := tbl.Schema().FindFieldByName("id")
	keys := arrow.NewSchema([]arrow.Field{
		{Name: "topic", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "timestamp", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, keys)
	for _, id := range []int64{4, 7} {
		b.Field(0).(*array.StringBuilder).Append("b")
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(hour))
		b.Field(2).(*array.Int64Builder).Append(id)
	}
	del := b.NewRecordBatch()
	b.Release()
	tx = tbl.NewTransaction()
	var one iter.Seq2[arrow.RecordBatch, error] = func(yield func(arrow.RecordBatch, error) bool) { yield(del, nil) }
	if err := tx.CommitEqualityDeletes(ctx, []int{idField.ID}, one, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	st, err := w.Table(ctx, "lake.del", TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := scanAll(t, mem, st, catalog.ScanRequest{})
	n, sum := sumIDs(got.rows)
	if want := 30*31/2 - 3 - 4 - 7; n != 27 || sum != int64(want) {
		t.Fatalf("%d rows with id sum %d, want 27 and %d", n, sum, want)
	}
	for _, r := range got.rows {
		id := r[2].(int64)
		if r[3] != int32(id) || r[4] != float64(id)/2 || r[5] != (id%2 == 0) || r[6] != int32(id) {
			t.Fatalf("row %v: columns do not match id %d", r, id)
		}
	}
	if got.stats["files_with_deletes"] != 2 || got.stats["files_read"] != 3 {
		t.Errorf("stats %v: want 3 files read, 2 of them with deletes", got.stats)
	}

	// Projection out of order, and a count with no column read.
	got = scanAll(t, mem, st, catalog.ScanRequest{Columns: []int{2, 0}})
	if len(got.rows) != 27 || len(got.rows[0]) != 2 {
		t.Fatalf("projected scan: %d rows of %d columns", len(got.rows), len(got.rows[0]))
	}
	got = scanAll(t, mem, st, catalog.ScanRequest{Columns: []int{}})
	if len(got.rows) != 27 {
		t.Fatalf("count scan: %d rows, want 27", len(got.rows))
	}

	// Through SQL, serial and in parallel shares, filtered and limited.
	for _, par := range []int{1, 2} {
		db := streamsql.New(streamsql.WithAllocator(mem), streamsql.WithParallelism(par))
		db.RegisterTable("lake.del", st)
		for sql, want := range map[string]string{
			`SELECT count(*), sum(id) FROM lake.del WHERE topic = 'b'`:        "8 134",
			`SELECT count(*), sum(id) FROM lake.del WHERE id BETWEEN 2 AND 8`: "4 21",
			`SELECT count(*), min(id) FROM (SELECT id FROM lake.del LIMIT 5)`: "5 ",
		} {
			res, err := db.Query(ctx, sql)
			if err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
			got := res.Batches[0].Column(0).ValueStr(0) + " " + res.Batches[0].Column(1).ValueStr(0)
			res.Release()
			if !strings.HasPrefix(got, want) {
				t.Errorf("parallelism %d: %s = %s, want %s", par, sql, got, want)
			}
		}
		db.Close()
	}
}
