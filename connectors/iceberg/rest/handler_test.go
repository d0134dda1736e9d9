package rest

import (
	"context"
	"errors"
	"slices"
	"testing"

	icecat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql/connectors/iceberg"
)

func TestAppendLoadScanThroughREST(t *testing.T) {
	ctx := context.Background()
	url, dir := serve(t, Options{})
	c := client(t, url)
	tbl := createEvents(t, c, "app")

	tbl, err := appendRows(t, tbl, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := appendRows(t, tbl, 10, 5); err != nil {
		t.Fatal(err)
	}

	loaded, err := c.LoadTable(ctx, table.Identifier{"app", "events"})
	if err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, loaded); got != 15 {
		t.Fatalf("rows = %d, want 15", got)
	}
	if n := len(loaded.Metadata().Snapshots()); n != 2 {
		t.Fatalf("snapshots = %d, want 2", n)
	}

	nss, err := c.ListNamespaces(ctx, nil)
	if err != nil || !slices.EqualFunc(nss, []table.Identifier{{"app"}}, slices.Equal) {
		t.Fatalf("namespaces = %v, %v", nss, err)
	}
	props, err := c.LoadNamespaceProperties(ctx, table.Identifier{"app"})
	if err != nil || props["owner"] != "test" {
		t.Fatalf("namespace properties = %v, %v", props, err)
	}
	var ids []table.Identifier
	for id, err := range c.ListTables(ctx, table.Identifier{"app"}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if !slices.EqualFunc(ids, []table.Identifier{{"app", "events"}}, slices.Equal) {
		t.Fatalf("tables = %v", ids)
	}

	// The served warehouse is the one streamsql jobs use.
	w, err := iceberg.OpenWarehouse(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	names, err := w.Tables(ctx, "app")
	if err != nil || !slices.Equal(names, []string{"app.events"}) {
		t.Fatalf("warehouse tables = %v, %v", names, err)
	}
}

func TestCommitWithStaleRequirementIsCommitFailure(t *testing.T) {
	ctx := context.Background()
	url, _ := serve(t, Options{})
	c := client(t, url)
	stale := createEvents(t, c, "cf")
	if _, err := appendRows(t, stale, 0, 3); err != nil {
		t.Fatal(err)
	}

	// A commit that asserts the branch is still where it was (absent)
	// loses to the append above: 409, reported as a commit failure.
	var none *int64
	_, _, err := c.CommitTable(ctx, table.Identifier{"cf", "events"},
		[]table.Requirement{table.AssertRefSnapshotID("main", none)},
		[]table.Update{table.NewSetPropertiesUpdate(map[string]string{"k": "v"})})
	if !errors.Is(err, table.ErrCommitFailed) {
		t.Fatalf("stale commit: %v, want table.ErrCommitFailed", err)
	}

	// An append through the stale table (loaded before the first append)
	// conflicts the same way: iceberg-go v0.7 does not rebase it.
	if _, err := appendRows(t, stale, 3, 2); !errors.Is(err, table.ErrCommitFailed) {
		t.Fatalf("stale append: %v, want table.ErrCommitFailed", err)
	}
	loaded, err := c.LoadTable(ctx, table.Identifier{"cf", "events"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := loaded.Properties()["k"]; ok {
		t.Fatal("the failed commit's property was applied")
	}
	if got := countRows(t, loaded); got != 3 {
		t.Fatalf("rows = %d, want 3 (the failed commits added none)", got)
	}
}

func TestCatalogErrorsMapToProtocolErrors(t *testing.T) {
	ctx := context.Background()
	url, _ := serve(t, Options{})
	c := client(t, url)
	createEvents(t, c, "ns")

	if err := c.CreateNamespace(ctx, table.Identifier{"ns"}, nil); !errors.Is(err, icecat.ErrNamespaceAlreadyExists) {
		t.Errorf("create existing namespace: %v", err)
	}
	if _, err := c.CreateTable(ctx, table.Identifier{"ns", "events"}, eventsSchema); !errors.Is(err, icecat.ErrTableAlreadyExists) {
		t.Errorf("create existing table: %v", err)
	}
	if _, err := c.CreateTable(ctx, table.Identifier{"nope", "t"}, eventsSchema); !errors.Is(err, icecat.ErrNoSuchNamespace) {
		t.Errorf("create table in missing namespace: %v", err)
	}
	if _, err := c.LoadTable(ctx, table.Identifier{"ns", "missing"}); !errors.Is(err, icecat.ErrNoSuchTable) {
		t.Errorf("load missing table: %v", err)
	}
	if _, err := c.LoadNamespaceProperties(ctx, table.Identifier{"nope"}); !errors.Is(err, icecat.ErrNoSuchNamespace) {
		t.Errorf("load missing namespace: %v", err)
	}
	if err := c.DropNamespace(ctx, table.Identifier{"ns"}); !errors.Is(err, icecat.ErrNamespaceNotEmpty) {
		t.Errorf("drop non-empty namespace: %v", err)
	}
	if _, _, err := c.CommitTable(ctx, table.Identifier{"ns", "missing"}, nil, nil); !errors.Is(err, icecat.ErrNoSuchTable) {
		t.Errorf("commit to missing table: %v", err)
	}

	if ok, err := c.CheckTableExists(ctx, table.Identifier{"ns", "events"}); err != nil || !ok {
		t.Errorf("table exists = %v, %v", ok, err)
	}
	if err := c.DropTable(ctx, table.Identifier{"ns", "events"}); err != nil {
		t.Fatal(err)
	}
	if err := c.DropTable(ctx, table.Identifier{"ns", "events"}); !errors.Is(err, icecat.ErrNoSuchTable) {
		t.Errorf("drop missing table: %v", err)
	}
	if ok, err := c.CheckTableExists(ctx, table.Identifier{"ns", "events"}); err != nil || ok {
		t.Errorf("dropped table exists = %v, %v", ok, err)
	}
	if err := c.DropNamespace(ctx, table.Identifier{"ns"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.CheckNamespaceExists(ctx, table.Identifier{"ns"}); err != nil || ok {
		t.Errorf("dropped namespace exists = %v, %v", ok, err)
	}
}

func TestPurgeDropsTable(t *testing.T) {
	ctx := context.Background()
	url, _ := serve(t, Options{})
	c := client(t, url)
	createEvents(t, c, "p")
	if err := c.PurgeTable(ctx, table.Identifier{"p", "events"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.CheckTableExists(ctx, table.Identifier{"p", "events"}); err != nil || ok {
		t.Fatalf("purged table exists = %v, %v", ok, err)
	}
}
