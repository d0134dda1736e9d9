package iceberg

import (
	"context"
	"testing"

	ice "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql/catalog"
)

// On a format-3 table a merge-on-read DELETE writes a deletion vector
// (a Puffin bitmap) instead of a position delete file; it is applied too.
func TestScanAppliesDeletionVectors(t *testing.T) {
	ctx := context.Background()
	mem := checkedMem(t)
	w := newWarehouse(t)
	var rows [][]any
	for id := int64(1); id <= 10; id++ {
		rows = append(rows, row("a", 0, id))
	}
	writeTable(t, mem, w, "lake.dv", TableOptions{JobID: "job", PartitionBy: "none"}, rows)
	tbl, err := w.cat.LoadTable(ctx, splitName("lake.dv"))
	if err != nil {
		t.Fatal(err)
	}
	tx := tbl.NewTransaction()
	if err := tx.UpgradeFormatVersion(3); err != nil {
		t.Fatal(err)
	}
	if err := tx.SetProperties(ice.Properties{table.WriteDeleteModeKey: table.WriteModeMergeOnRead}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Delete(ctx, ice.LessThan(ice.Reference("id"), int64(4)), nil); err != nil {
		t.Fatal(err)
	}
	if tbl, err = tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 || len(tasks[0].DeletionVectorFiles) != 1 {
		t.Fatalf("planned %d tasks; want one data file with a deletion vector", len(tasks))
	}
	st, err := w.Table(ctx, "lake.dv", TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := scanAll(t, mem, st, catalog.ScanRequest{})
	if n, sum := sumIDs(got.rows); n != 7 || sum != 55-6 {
		t.Fatalf("%d rows with id sum %d, want 7 and 49", n, sum)
	}
	if got.stats["files_with_deletes"] != 1 {
		t.Errorf("stats %v: want the one file with its deletion vector", got.stats)
	}
}
