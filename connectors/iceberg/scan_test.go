package iceberg

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
)

var t0 = int64(1_780_000_000) * 1e6 / hour * hour // an hour boundary, µs

func TestRoundTripEveryTypeWithNulls(t *testing.T) {
	mem := checkedMem(t)
	w := newWarehouse(t)
	ctx := context.Background()
	s, err := w.Sink(ctx, "ns.all", testSchema, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := [][]any{
		row("a", t0+1, 1),
		row("b", t0+hour+2, 2),
		{nil, nil, int64(3), nil, nil, nil, nil, nil}, // NULL everywhere but id
		row("a", t0-1, -4),
	}
	writeEpoch(t, mem, s, 1, want)
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}

	tbl, err := w.Table(ctx, "ns.all", TableOptions{Schema: testSchema})
	if err != nil {
		t.Fatal(err)
	}
	got := scanAll(t, mem, tbl, catalog.ScanRequest{})
	sortByID(got.rows)
	sortByID(want)
	if !reflect.DeepEqual(got.rows, want) {
		t.Fatalf("rows:\n got %v\nwant %v", got.rows, want)
	}

	// Loaded without a declared schema, the native types come from Iceberg.
	plain, err := w.Table(ctx, "ns.all", TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range plain.Schema().Fields() {
		if wf := testSchema.Field(i); f.Name != wf.Name || !reflect.DeepEqual(f.Type, wf.Type) {
			t.Errorf("column %d: got %s %s, want %s %s", i, f.Name, f.Type, wf.Name, wf.Type)
		}
	}

	// Projection, reordered.
	proj := scanAll(t, mem, plain, catalog.ScanRequest{Columns: []int{2, 0}})
	sort.Slice(proj.rows, func(i, j int) bool { return proj.rows[i][0].(int64) < proj.rows[j][0].(int64) })
	wantProj := [][]any{{int64(-4), "a"}, {int64(1), "a"}, {int64(2), "b"}, {int64(3), nil}}
	if !reflect.DeepEqual(proj.rows, wantProj) {
		t.Fatalf("projection: got %v, want %v", proj.rows, wantProj)
	}
}

func sortByID(rows [][]any) {
	sort.Slice(rows, func(i, j int) bool { return rows[i][2].(int64) < rows[j][2].(int64) })
}

// partitionedTable writes one row per hour for hours 0..3 of t0, one
// partition (and data file) each, and returns the table.
func partitionedTable(t *testing.T, w *Warehouse) *Table {
	t.Helper()
	mem := checkedMem(t)
	ctx := context.Background()
	s, err := w.Sink(ctx, "ns.hours", testSchema, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var rows [][]any
	for h := range int64(4) {
		rows = append(rows, row("a", t0+h*hour+5, h))
	}
	writeEpoch(t, mem, s, 1, rows)
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	tbl, err := w.Table(ctx, "ns.hours", TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func TestPartitionPruningOnTheHour(t *testing.T) {
	mem := checkedMem(t)
	w := newWarehouse(t)
	tbl := partitionedTable(t, w)

	all := scanAll(t, mem, tbl, catalog.ScanRequest{})
	if len(all.rows) != 4 || all.stats["files_considered"] != 4 || all.stats["files_read"] != 4 || all.stats["files_pruned"] != 0 {
		t.Fatalf("full scan: %d rows, stats %v", len(all.rows), all.stats)
	}

	last := scanAll(t, mem, tbl, catalog.ScanRequest{Filters: []catalog.Predicate{{Column: 1, Op: ">=", Value: t0 + 3*hour}}})
	if len(last.rows) != 1 || last.rows[0][2] != int64(3) {
		t.Fatalf("last hour: rows %v", last.rows)
	}
	if want := map[string]int64{"files_considered": 4, "files_pruned": 3, "files_read": 1}; !subset(want, last.stats) {
		t.Fatalf("last hour stats %v, want %v", last.stats, want)
	}

	// Predicates Iceberg cannot use are dropped, not failed: a string
	// compared with a timestamp column prunes nothing.
	odd := scanAll(t, mem, tbl, catalog.ScanRequest{Filters: []catalog.Predicate{{Column: 1, Op: ">", Value: "x"}, {Column: 99, Op: "=", Value: int64(1)}}})
	if len(odd.rows) != 4 || odd.stats["files_pruned"] != 0 {
		t.Fatalf("unusable predicates: %d rows, stats %v", len(odd.rows), odd.stats)
	}

	// Statistics prune other columns too: id = 2 lives in one file.
	one := scanAll(t, mem, tbl, catalog.ScanRequest{Filters: []catalog.Predicate{{Column: 2, Op: "=", Value: int64(2)}, {Column: 0, Op: "=", Value: "a"}}})
	if len(one.rows) != 1 || one.stats["files_read"] != 1 {
		t.Fatalf("id = 2: rows %v stats %v", one.rows, one.stats)
	}
}

func subset(want, got map[string]int64) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

func TestTimeTravelBySnapshotID(t *testing.T) {
	mem := checkedMem(t)
	w := newWarehouse(t)
	ctx := context.Background()
	s, err := w.Sink(ctx, "ns.tt", testSchema, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writeEpoch(t, mem, s, 1, [][]any{row("a", t0, 1)})
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	first := s.mustLoad(t).CurrentSnapshot().SnapshotID
	writeEpoch(t, mem, s, 2, [][]any{row("a", t0, 2)})
	if err := s.Commit(ctx, 2); err != nil {
		t.Fatal(err)
	}
	old, err := w.Table(ctx, "ns.tt", TableOptions{SnapshotID: first})
	if err != nil {
		t.Fatal(err)
	}
	if got := scanAll(t, mem, old, catalog.ScanRequest{}); len(got.rows) != 1 || got.rows[0][2] != int64(1) {
		t.Fatalf("as of the first snapshot: %v", got.rows)
	}
	if !strings.Contains(old.Describe(), "at snapshot") {
		t.Errorf("Describe: %q", old.Describe())
	}
	gone, err := w.Table(ctx, "ns.tt", TableOptions{SnapshotID: 42})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gone.Scan(ctx, catalog.ScanRequest{Columns: []int{0}, Alloc: mem}); err == nil || !strings.Contains(err.Error(), "no snapshot 42") {
		t.Fatalf("unknown snapshot: %v", err)
	}
}

func TestEmptyTableAndListings(t *testing.T) {
	mem := checkedMem(t)
	w := newWarehouse(t)
	ctx := context.Background()
	tbl, err := w.CreateTable(ctx, "ns.empty", testSchema, TableOptions{PartitionBy: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if got := scanAll(t, mem, tbl, catalog.ScanRequest{}); len(got.rows) != 0 || got.stats["files_considered"] != 0 {
		t.Fatalf("empty table: %v %v", got.rows, got.stats)
	}
	nss, err := w.Namespaces(ctx)
	if err != nil || !reflect.DeepEqual(nss, []string{"ns"}) {
		t.Fatalf("namespaces: %v %v", nss, err)
	}
	tbls, err := w.Tables(ctx, "ns")
	if err != nil || !reflect.DeepEqual(tbls, []string{"ns.empty"}) {
		t.Fatalf("tables: %v %v", tbls, err)
	}
	if _, err := w.Table(ctx, "ns.missing", TableOptions{}); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("missing table: %v", err)
	}
	if _, err := w.Table(ctx, "nodot", TableOptions{}); err == nil {
		t.Fatal("a name without a namespace loaded")
	}
	if _, err := w.Tables(ctx, "nope"); err == nil {
		t.Fatal("listing a missing namespace succeeded")
	}
}
