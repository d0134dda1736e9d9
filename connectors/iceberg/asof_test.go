package iceberg

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
)

// Time travel through SQL: each committed epoch is a snapshot, readable by
// id and by the time it was committed.
func TestTimeTravelThroughSQL(t *testing.T) {
	ctx := context.Background()
	mem := checkedMem(t)
	w := newWarehouse(t)
	s, err := w.Sink(ctx, "lake.events", testSchema, TableOptions{JobID: "job"})
	if err != nil {
		t.Fatal(err)
	}
	writeEpoch(t, mem, s, 1, [][]any{row("a", 0, 1), row("a", hour, 2)})
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // snapshot times are in milliseconds
	between := time.Now()
	time.Sleep(5 * time.Millisecond)
	writeEpoch(t, mem, s, 2, [][]any{row("b", 2*hour, 3)})
	if err := s.Commit(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	tbl, err := w.Table(ctx, "lake.events", TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ice, err := w.cat.LoadTable(ctx, splitName("lake.events"))
	if err != nil {
		t.Fatal(err)
	}
	snaps := ice.Metadata().Snapshots()
	if len(snaps) != 2 {
		t.Fatalf("%d snapshots, want 2", len(snaps))
	}
	db := streamsql.New(streamsql.WithAllocator(mem))
	defer db.Close()
	db.RegisterTable("lake.events", tbl)
	for _, tc := range []struct{ sql, want string }{
		{`SELECT COUNT(*), SUM(id) FROM lake.events`, "3 6"},
		{fmt.Sprintf(`SELECT COUNT(*), SUM(id) FROM lake.events FOR SYSTEM_VERSION AS OF %d`, snaps[0].SnapshotID), "2 3"},
		{fmt.Sprintf(`SELECT COUNT(*), SUM(id) FROM lake.events FOR SYSTEM_TIME AS OF TIMESTAMP '%s'`, between.UTC().Format("2006-01-02 15:04:05.000000")), "2 3"},
		{`SELECT COUNT(*), SUM(id) FROM lake.events FOR SYSTEM_TIME AS OF NOW()`, "3 6"},
	} {
		res, err := db.Query(ctx, tc.sql)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		got := res.Batches[0].Column(0).ValueStr(0) + " " + res.Batches[0].Column(1).ValueStr(0)
		res.Release()
		if got != tc.want {
			t.Errorf("%s = %s, want %s", tc.sql, got, tc.want)
		}
	}
	for _, tc := range []struct{ sql, want string }{
		{`SELECT * FROM lake.events FOR SYSTEM_VERSION AS OF 12345`, "has no snapshot 12345 (it has "},
		{`SELECT * FROM lake.events FOR SYSTEM_TIME AS OF TIMESTAMP '2001-01-01 00:00:00'`, "no snapshot at or before 2001-01-01T00:00:00Z"},
	} {
		_, err := db.Query(ctx, tc.sql)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.sql, err, tc.want)
		}
	}
}
