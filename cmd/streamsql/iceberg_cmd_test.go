package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/connectors/iceberg"
)

// writeSmallFiles commits epochs 1..epochs to the warehouse table name,
// each one row in partition topic=a and one in topic=b of one hour: two
// small data files per epoch. The ids are 1..2*epochs.
func writeSmallFiles(t *testing.T, dir, name string, epochs int) {
	t.Helper()
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "topic", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "timestamp", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	w, err := iceberg.OpenWarehouse(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s, err := w.Sink(ctx, name, schema, iceberg.TableOptions{JobID: "j"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const ts = int64(1_780_000_000_000_000)
	for e := int64(1); e <= int64(epochs); e++ {
		b := array.NewRecordBuilder(mem, schema)
		for i, topic := range []string{"a", "b"} {
			b.Field(0).(*array.StringBuilder).Append(topic)
			b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(ts))
			b.Field(2).(*array.Int64Builder).Append(2*e - 1 + int64(i))
		}
		rec := b.NewRecordBatch()
		b.Release()
		err := s.Write(ctx, rec)
		rec.Release()
		if err == nil {
			_, err = s.PreCommit(ctx, e)
		}
		if err == nil {
			err = s.Commit(ctx, e)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestIcebergCompactAndExpireCommands(t *testing.T) {
	dir := t.TempDir()
	wh := filepath.Join(dir, "wh")
	writeSmallFiles(t, wh, "demo.t", 4)
	const sql = "SELECT count(*) AS n, sum(id) AS s FROM demo.t"
	const want = "n,s\n8,36\n"
	check := func(step string) {
		t.Helper()
		code, out, errOut := runCLIIn(t, dir, "", "query", "--warehouse", wh, "--format", "csv", sql)
		if code != 0 || out != want {
			t.Fatalf("%s: query: exit %d, stderr %q, got:\n%s", step, code, errOut, out)
		}
	}
	check("before")

	code, out, errOut := runCLIIn(t, dir, "", "iceberg", "compact", "demo.t", "--warehouse", wh, "--target-size", "1MB")
	if code != 0 || !strings.Contains(out, "demo.t: replaced 8 data files") || !strings.Contains(out, "with 2 (") {
		t.Fatalf("compact: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	check("compacted")
	// Flags before the table name work too; nothing is left to do.
	code, out, errOut = runCLIIn(t, dir, "", "iceberg", "compact", "--warehouse", wh, "--partition", "topic=a", "demo.t")
	if code != 0 || !strings.Contains(out, "nothing to compact") {
		t.Fatalf("second compact: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}

	time.Sleep(3 * time.Millisecond) // snapshot ages are in ms: make them > 0
	code, out, errOut = runCLIIn(t, dir, "", "iceberg", "expire-snapshots", "demo.t", "--warehouse", wh, "--older-than", "0s")
	// Kept: the compaction (current) and job j's last epoch.
	if code != 0 || !strings.Contains(out, "demo.t: expired 3 snapshots, 2 retained") || !strings.Contains(out, "streamsql-job-j") {
		t.Fatalf("expire-snapshots: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	check("expired")
	code, out, errOut = runCLIIn(t, dir, "", "iceberg", "expire-snapshots", "demo.t", "--warehouse", wh)
	if code != 0 || !strings.Contains(out, "expired 0 snapshots, 2 retained") {
		t.Fatalf("default expire-snapshots: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}

	// A missing table is a failure (exit 1), not a usage error.
	code, _, errOut = runCLIIn(t, dir, "", "iceberg", "compact", "demo.missing", "--warehouse", wh)
	if code != 1 || !strings.Contains(errOut, "demo.missing") {
		t.Fatalf("missing table: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLIIn(t, dir, "", "iceberg", "expire-snapshots", "demo.missing", "--warehouse", wh)
	if code != 1 || !strings.Contains(errOut, "demo.missing") {
		t.Fatalf("missing table: exit %d, stderr %q", code, errOut)
	}
}

// TestIcebergRemoveOrphansCommand plants two files no snapshot
// references in the table's data directory, one 100h old and one new: the
// default age (72h) finds only the old one, --force with 0s the other.
func TestIcebergRemoveOrphansCommand(t *testing.T) {
	dir := t.TempDir()
	wh := filepath.Join(dir, "wh")
	writeSmallFiles(t, wh, "demo.t", 2)
	data := filepath.Join(wh, "demo.db", "t", "data")
	old, young := filepath.Join(data, "old.parquet"), filepath.Join(data, "x", "young")
	if err := os.MkdirAll(filepath.Dir(young), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, content := range map[string]string{old: "12345", young: "1234567"} {
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-100 * time.Hour)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}
	exists := func(p string) bool {
		_, err := os.Stat(p)
		return err == nil
	}
	const sql = "SELECT count(*) AS n, sum(id) AS s FROM demo.t"

	code, out, errOut := runCLIIn(t, dir, "", "iceberg", "remove-orphans", "demo.t", "--warehouse", wh, "--dry-run")
	if want := "demo.t: would remove 1 orphan files (5 bytes)\n" + old + "\n"; code != 0 || out != want {
		t.Fatalf("dry run: exit %d, stderr %q, got:\n%s\nwant:\n%s", code, errOut, out, want)
	}
	if !exists(old) || !exists(young) {
		t.Fatal("the dry run removed files")
	}
	code, out, errOut = runCLIIn(t, dir, "", "iceberg", "remove-orphans", "--warehouse", wh, "demo.t")
	if code != 0 || out != "demo.t: removed 1 orphan files (5 bytes)\n" {
		t.Fatalf("remove-orphans: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	if exists(old) || !exists(young) {
		t.Fatalf("after removing files older than 72h: old exists %t, young exists %t", exists(old), exists(young))
	}
	code, _, errOut = runCLIIn(t, dir, "", "iceberg", "remove-orphans", "demo.t", "--warehouse", wh, "--older-than", "0s")
	if code != 2 || !strings.Contains(errOut, "--force") || !exists(young) {
		t.Fatalf("0s without --force: exit %d, stderr %q", code, errOut)
	}
	time.Sleep(3 * time.Millisecond) // make the young file older than 0s
	code, out, errOut = runCLIIn(t, dir, "", "iceberg", "remove-orphans", "demo.t", "--warehouse", wh, "--older-than", "0s", "--force")
	if code != 0 || out != "demo.t: removed 1 orphan files (7 bytes)\n" || exists(young) {
		t.Fatalf("--force: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	code, out, errOut = runCLIIn(t, dir, "", "query", "--warehouse", wh, "--format", "csv", sql)
	if code != 0 || out != "n,s\n4,10\n" {
		t.Fatalf("query: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	code, _, errOut = runCLIIn(t, dir, "", "iceberg", "remove-orphans", "demo.missing", "--warehouse", wh)
	if code != 1 || !strings.Contains(errOut, "demo.missing") {
		t.Fatalf("missing table: exit %d, stderr %q", code, errOut)
	}
}

func TestIcebergCommandUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"iceberg"},
		{"iceberg", "vacuum"},
		{"iceberg", "compact"},
		{"iceberg", "compact", "a.b", "c.d"},
		{"iceberg", "compact", "nodots"},
		{"iceberg", "compact", "a.b", "--target-size", "lots"},
		{"iceberg", "compact", "a.b", "--target-size", "0"},
		{"iceberg", "compact", "a.b", "--partition", "nodelim"},
		{"iceberg", "compact", "a.b", "--bogus"},
		{"iceberg", "expire-snapshots"},
		{"iceberg", "expire-snapshots", "a.b", "--retain-last", "0"},
		{"iceberg", "expire-snapshots", "a.b", "--older-than", "-1h"},
		{"iceberg", "expire-snapshots", "a.b", "--older-than", "soon"},
		{"iceberg", "remove-orphans"},
		{"iceberg", "remove-orphans", "a.b", "--older-than", "-1h", "--force"},
		{"iceberg", "remove-orphans", "a.b", "--older-than", "23h"},
		{"iceberg", "remove-orphans", "a.b", "--dry-run=maybe"},
	} {
		code, _, errOut := runCLIIn(t, dir, "", args...)
		if code != 2 || !strings.Contains(errOut, "usage:") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{"128MB": 128 << 20, "512kb": 512 << 10, "1GiB": 1 << 30, "4096": 4096, "10B": 10} {
		if got, err := parseByteSize(in); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-1MB", "1.5MB", "9999999999GB"} {
		if _, err := parseByteSize(in); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}
