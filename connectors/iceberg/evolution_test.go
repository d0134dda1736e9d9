package iceberg

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	ice "github.com/apache/iceberg-go"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// Data files are read by Iceberg field id, not by name: after a rename the
// old files still give the renamed column its data, and a column dropped
// and added again under its old name reads NULL from the files written
// before (by name it would read the dropped column's values). Time travel
// to the first snapshot reads with that snapshot's names.
func TestSchemaEvolutionReadsByFieldID(t *testing.T) {
	ctx := context.Background()
	mem := checkedMem(t)
	w := newWarehouse(t)
	s, err := w.Sink(ctx, "lake.evolve", testSchema, TableOptions{JobID: "job", PartitionBy: "none"})
	if err != nil {
		t.Fatal(err)
	}
	writeEpoch(t, mem, s, 1, [][]any{row("a", 0, 1), row("a", hour, 2)})
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	first, err := w.cat.LoadTable(ctx, splitName("lake.evolve"))
	if err != nil {
		t.Fatal(err)
	}
	firstSnap := first.CurrentSnapshot().SnapshotID

	// n becomes count_n; ok is dropped and added again (a new field id);
	// note is new.
	tx := first.NewTransaction()
	if err := tx.UpdateSchema(true, false).
		RenameColumn([]string{"n"}, "count_n").
		DeleteColumn([]string{"ok"}).
		Commit(); err != nil {
		t.Fatal(err)
	}
	renamed, err := tx.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx = renamed.NewTransaction()
	if err := tx.UpdateSchema(true, false).
		AddColumn([]string{"ok"}, ice.PrimitiveTypes.Bool, "", false, nil).
		AddColumn([]string{"note"}, ice.PrimitiveTypes.String, "", false, nil).
		Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	tbl, err := w.Table(ctx, "lake.evolve", TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range tbl.Schema().Fields() {
		names = append(names, f.Name)
	}
	if got, want := fmt.Sprint(names), "[topic timestamp id count_n x d j ok note]"; got != want {
		t.Fatalf("columns after evolution: %s, want %s", got, want)
	}
	got := scanAll(t, mem, tbl, catalog.ScanRequest{})
	if len(got.rows) != 2 {
		t.Fatalf("%d rows, want 2", len(got.rows))
	}
	for _, r := range got.rows {
		id := r[2].(int64)
		if r[3] != int32(id) {
			t.Errorf("id %d: count_n = %v, want the renamed n (%d)", id, r[3], id)
		}
		if r[7] != nil || r[8] != nil {
			t.Errorf("id %d: ok, note = %v, %v; want NULL for columns added after the file", id, r[7], r[8])
		}
	}

	// Rows written after the change land under the new ids.
	evolved := arrow.NewSchema([]arrow.Field{
		{Name: "topic", Type: types.VarcharType.ArrowType(), Nullable: true},
		{Name: "timestamp", Type: types.TimestampType.ArrowType(), Nullable: true},
		{Name: "id", Type: types.BigintType.ArrowType(), Nullable: true},
		{Name: "count_n", Type: types.IntegerType.ArrowType(), Nullable: true},
		{Name: "x", Type: types.DoubleType.ArrowType(), Nullable: true},
		{Name: "d", Type: types.DateType.ArrowType(), Nullable: true},
		{Name: "j", Type: types.VarcharType.ArrowType(), Nullable: true},
		{Name: "ok", Type: types.BooleanType.ArrowType(), Nullable: true},
		{Name: "note", Type: types.VarcharType.ArrowType(), Nullable: true},
	}, nil)
	s2, err := w.Sink(ctx, "lake.evolve", evolved, TableOptions{JobID: "job2"})
	if err != nil {
		t.Fatal(err)
	}
	b := mkRows(mem, evolved, [][]any{{"b", 2 * hour, int64(3), int32(30), 1.5, int32(3), `{}`, true, "new"}})
	err = s2.Write(ctx, b)
	b.Release()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.PreCommit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := s2.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	got = scanAll(t, mem, tbl, catalog.ScanRequest{})
	var newRow []any
	for _, r := range got.rows {
		if r[2].(int64) == 3 {
			newRow = r
		}
	}
	if len(got.rows) != 3 || newRow == nil || newRow[3] != int32(30) || newRow[7] != true || newRow[8] != "new" {
		t.Fatalf("after a write under the new schema: %v", got.rows)
	}

	// The first snapshot, read with its own schema: n and ok as written.
	old, err := tbl.AsOfVersion(ctx, firstSnap)
	if err != nil {
		t.Fatal(err)
	}
	if f := old.Schema().Field(3).Name; f != "n" {
		t.Fatalf("column 3 at the first snapshot is %q, want n", f)
	}
	got = scanAll(t, mem, old, catalog.ScanRequest{})
	for _, r := range got.rows {
		id := r[2].(int64)
		if r[3] != int32(id) || r[5] != (id%2 == 0) {
			t.Errorf("first snapshot, id %d: n, ok = %v, %v", id, r[3], r[5])
		}
	}
}
