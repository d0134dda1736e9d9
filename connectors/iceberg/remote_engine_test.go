package iceberg_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	ice "github.com/apache/iceberg-go"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/iceberg"
	"github.com/streamsql/streamsql/connectors/iceberg/rest"
	"github.com/streamsql/streamsql/operators/expr"
)

// fillHours commits 2 topics × 4 hours of 10 events (ids 0..79) through a
// sink in one epoch: 8 data files, one per partition.
func fillHours(t *testing.T, mem memory.Allocator, w *iceberg.Warehouse, name string) {
	t.Helper()
	ctx := context.Background()
	s, err := w.Sink(ctx, name, eventSchema, iceberg.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for h := range int64(4) {
		for j, topic := range []string{"a", "b"} {
			b := events(mem, topic, h, h*20+int64(j)*10, 10)
			err := s.Write(ctx, b)
			b.Release()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.PreCommit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

// A query through the engine over a table of the REST catalog, declared
// with CREATE TABLE … WITH (connector='iceberg', catalog=…) and the
// secrets in the environment, returns the right rows, and EXPLAIN ANALYZE
// shows the hour partitions pruned.
func TestRemoteQueryThroughEngine(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	r := startRemote(t, rest.Options{})
	fillHours(t, mem, r.open(t), "ns.events")
	t.Setenv(iceberg.EnvCatalogToken, "")
	t.Setenv(iceberg.EnvR2CatalogToken, r.Token) // the fallback
	t.Setenv(iceberg.EnvS3Endpoint, r.S3URL)
	t.Setenv(iceberg.EnvAccessKeyID, "")
	t.Setenv(iceberg.EnvR2AccessKeyID, s3KeyID)
	t.Setenv(iceberg.EnvR2SecretAccessKey, s3Secret)

	db := streamsql.New(streamsql.WithAllocator(mem))
	defer db.Close()
	if _, err := db.Exec(ctx, fmt.Sprintf(`CREATE TABLE ev WITH (connector='iceberg', catalog='%s', table='ns.events')`, r.CatalogURL)); err != nil {
		t.Fatal(err)
	}
	q := "SELECT count(*), sum(id) FROM ev WHERE timestamp >= TIMESTAMP '2026-03-01 03:00:00'"
	res, err := db.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	n, sum := expr.ScalarValue(res.Batches[0].Column(0), 0), expr.ScalarValue(res.Batches[0].Column(1), 0)
	res.Release()
	if n != int64(20) || sum != int64(60*20+190) { // ids 60..79
		t.Errorf("count, sum = %v, %v", n, sum)
	}
	// EXPLAIN ANALYZE sums scan statistics over parallel shares, and each
	// share reports the whole scan's file counts: a serial engine shows
	// them once.
	serial := streamsql.New(streamsql.WithAllocator(mem), streamsql.WithParallelism(1))
	defer serial.Close()
	if _, err := serial.Exec(ctx, fmt.Sprintf(`CREATE TABLE ev WITH (connector='iceberg', catalog='%s', table='ns.events')`, r.CatalogURL)); err != nil {
		t.Fatal(err)
	}
	plan, err := serial.Explain(ctx, q, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"rows=20 ", "files_considered=8", "files_pruned=6", "files_read=2"} {
		if !strings.Contains(plan, want) {
			t.Errorf("EXPLAIN ANALYZE lacks %q:\n%s", want, plan)
		}
	}
	tbl, _, err := serial.Catalog().Lookup([]string{"ev"})
	if err != nil {
		t.Fatal(err)
	}
	if d := tbl.(catalog.Describer).Describe(); d != "iceberg ns.events in "+r.CatalogURL {
		t.Errorf("Describe() = %q", d)
	}
}

// Compaction and snapshot expiry work through the REST catalog and S3:
// small files are replaced in one snapshot, old snapshots and the files
// only they referenced are removed, and the rows stay the same.
func TestRemoteCompactAndExpire(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	r := startRemote(t, rest.Options{})
	w := r.open(t)
	s, err := w.Sink(ctx, "ns.events", eventSchema, iceberg.TableOptions{JobID: "j"})
	if err != nil {
		t.Fatal(err)
	}
	for e := range int64(4) { // four small files in partition (a, hour 0)
		b := events(mem, "a", 0, e*10, 10)
		err := s.Write(ctx, b)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PreCommit(ctx, e+1); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, e+1); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	res, err := w.Compact(ctx, "ns.events", iceberg.CompactOptions{Filter: ice.EqualTo(ice.Reference("topic"), "a")})
	if err != nil {
		t.Fatal(err)
	}
	if res.FilesRemoved != 4 || res.FilesAdded != 1 || res.SnapshotID == 0 {
		t.Fatalf("compact: %+v", res)
	}
	got := scanIDs(t, mem, w, "ns.events", catalog.ScanRequest{})
	if !slices.Equal(got.ids, seq(0, 40)) || got.stats["files_read"] != 1 {
		t.Fatalf("after compaction: ids %v, stats %v", got.ids, got.stats)
	}
	exp, err := w.ExpireSnapshots(ctx, "ns.events", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Kept: the current (compaction) snapshot and the job's last epoch (tagged).
	if exp.Retained != 2 || exp.Removed != 3 || !slices.Equal(exp.Tags, []string{"streamsql-job-j"}) {
		t.Fatalf("expire: %+v", exp)
	}
	if got := scanIDs(t, mem, w, "ns.events", catalog.ScanRequest{}); !slices.Equal(got.ids, seq(0, 40)) {
		t.Fatalf("after expiry: ids %v", got.ids)
	}
}

// Remote data files are staged one at a time: a LIMIT stops fetching, the
// staging directory is gone after Close, and a data file missing from the
// bucket fails the scan naming its location.
func TestRemoteScanStaging(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	r := startRemote(t, rest.Options{})
	w := r.open(t)
	fillHours(t, mem, w, "ns.events")

	got := scanIDs(t, mem, w, "ns.events", catalog.ScanRequest{Limit: 5})
	if len(got.ids) != 5 || got.stats["files_read"] != 1 {
		t.Fatalf("LIMIT 5: ids %v, stats %v", got.ids, got.stats)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("staging left %v behind", left)
	}

	tbl, err := w.Table(ctx, "ns.events", iceberg.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	itbl, err := w.Catalog().LoadTable(ctx, []string{"ns", "events"})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := itbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := itbl.FS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gone := tasks[len(tasks)-1].File.FilePath()
	if err := fs.Remove(gone); err != nil {
		t.Fatal(err)
	}
	rdr, err := tbl.Scan(ctx, catalog.ScanRequest{Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	var scanErr error
	for scanErr == nil {
		b, err := rdr.Next(ctx)
		if err != nil {
			scanErr = err
			break
		}
		b.Release()
	}
	if err := rdr.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(scanErr.Error(), "staging "+gone) {
		t.Fatalf("scan error %v, want one naming %s", scanErr, gone)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Fatalf("staging left %v behind", left)
	}
	// A cancelled context stops before fetching.
	cctx, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	<-cctx.Done()
	rdr, err = tbl.Scan(ctx, catalog.ScanRequest{Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rdr.Next(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next on a cancelled context: %v", err)
	}
	if err := rdr.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rdr.Next(ctx); err == nil {
		t.Error("Next after Close read a batch")
	}
}
