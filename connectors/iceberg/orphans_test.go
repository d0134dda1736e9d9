package iceberg_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/iceberg"
	"github.com/streamsql/streamsql/connectors/iceberg/rest"
)

func TestRemoveOrphansLocal(t *testing.T) {
	w, err := iceberg.OpenWarehouse(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	})
	testRemoveOrphans(t, w)
}

func TestRemoveOrphansS3(t *testing.T) {
	testRemoveOrphans(t, startRemote(t, rest.Options{}).open(t))
}

// testRemoveOrphans commits two epochs of job j, leaves behind the data
// files of an epoch job k pre-committed but never committed and a stray
// file, and removes exactly those.
func testRemoveOrphans(t *testing.T, w *iceberg.Warehouse) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	const name = "ns.events"
	epoch := func(s *iceberg.Sink, e int64, first int64) []byte {
		t.Helper()
		for h, topic := range []string{"a", "b"} {
			b := events(mem, topic, int64(h), first+int64(h)*10, 10)
			err := s.Write(ctx, b)
			b.Release()
			if err != nil {
				t.Fatal(err)
			}
		}
		state, err := s.PreCommit(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		return state
	}
	j, err := w.Sink(ctx, name, eventSchema, iceberg.TableOptions{JobID: "j"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for e := int64(1); e <= 2; e++ {
		epoch(j, e, (e-1)*20)
		if err := j.Commit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// Job k dies after pre-committing its epoch 1 (two data files).
	k, err := w.Sink(ctx, name, eventSchema, iceberg.TableOptions{JobID: "k"})
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Pending []struct{ Files []string } }
	if err := json.Unmarshal(epoch(k, 1, 1000), &st); err != nil || len(st.Pending) != 1 {
		t.Fatalf("job k's state: %+v, %v", st, err)
	}
	k.Close()
	tbl, fsys := loadWithIO(t, w, name)
	stray := strings.TrimSuffix(tbl.Location(), "/") + "/data/stray.txt"
	if err := fsys.(iceio.WriteFileIO).WriteFile(stray, []byte("not iceberg")); err != nil {
		t.Fatal(err)
	}
	want := localPaths(append(slices.Clone(st.Pending[0].Files), stray))
	if len(want) != 3 {
		t.Fatalf("orphans to be %v", want)
	}
	var wantBytes int64
	for _, p := range want {
		wantBytes += size(t, fsys, p)
	}
	time.Sleep(5 * time.Millisecond) // modification times are in ms at best: make the files older than 0s

	young, err := w.RemoveOrphans(ctx, name, iceberg.OrphanOptions{OlderThan: time.Hour, Force: true})
	if err != nil || len(young.Files) != 0 || young.Deleted != 0 {
		t.Fatalf("files younger than an hour: %+v, %v", young, err)
	}
	dry, err := w.RemoveOrphans(ctx, name, iceberg.OrphanOptions{Force: true, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(localPaths(dry.Files), want) || dry.Bytes != wantBytes || dry.Deleted != 0 {
		t.Fatalf("dry run %+v, want files %v of %d bytes", dry, want, wantBytes)
	}
	for _, p := range want {
		size(t, fsys, p) // still there
	}

	res, err := w.RemoveOrphans(ctx, name, iceberg.OrphanOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(localPaths(res.Files), want) || res.Bytes != wantBytes || res.Deleted != 3 {
		t.Fatalf("removal %+v, want files %v of %d bytes", res, want, wantBytes)
	}
	for _, p := range want {
		if _, err := fsys.(iceio.StatIO).Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("orphan %s: %v, want it gone", p, err)
		}
	}
	if got := scanIDs(t, mem, w, name, catalog.ScanRequest{}); !slices.Equal(got.ids, seq(0, 40)) {
		t.Fatalf("after the removal, ids %v, want 0..39", got.ids)
	}
	tbl, fsys = loadWithIO(t, w, name)
	if n := checkReferenced(t, tbl, fsys); n < 4 {
		t.Errorf("only %d referenced files checked", n)
	}
	again, err := w.RemoveOrphans(ctx, name, iceberg.OrphanOptions{Force: true})
	if err != nil || len(again.Files) != 0 {
		t.Fatalf("second removal: %+v, %v", again, err)
	}
}

func TestRemoveOrphansFaults(t *testing.T) {
	w, err := iceberg.OpenWarehouse(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := context.Background()
	if _, err := w.CreateTable(ctx, "ns.t", eventSchema, iceberg.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = w.RemoveOrphans(ctx, "ns.t", iceberg.OrphanOptions{OlderThan: time.Hour})
	if !errors.Is(err, iceberg.ErrOrphanAgeTooShort) || !strings.Contains(err.Error(), "force") {
		t.Errorf("1h without force: %v", err)
	}
	for _, c := range []struct {
		name string
		opts iceberg.OrphanOptions
	}{
		{"ns.t", iceberg.OrphanOptions{OlderThan: -time.Hour, Force: true}},
		{"ns.t", iceberg.OrphanOptions{OlderThan: 23 * time.Hour}},
		{"nodots", iceberg.OrphanOptions{OlderThan: iceberg.DefaultOrphanAge}},
		{"ns.missing", iceberg.OrphanOptions{OlderThan: iceberg.DefaultOrphanAge}},
	} {
		if _, err := w.RemoveOrphans(ctx, c.name, c.opts); err == nil {
			t.Errorf("%+v: removed", c)
		}
	}
	res, err := w.RemoveOrphans(ctx, "ns.t", iceberg.OrphanOptions{OlderThan: iceberg.MinOrphanAge})
	if err != nil || len(res.Files) != 0 {
		t.Errorf("table without snapshots: %+v, %v", res, err)
	}
}

// loadWithIO loads the Iceberg table name of w and its file IO.
func loadWithIO(t *testing.T, w *iceberg.Warehouse, name string) (*table.Table, iceio.IO) {
	t.Helper()
	ctx := context.Background()
	tbl, err := w.Catalog().LoadTable(ctx, strings.Split(name, "."))
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := tbl.FS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return tbl, fsys
}

// checkReferenced fails unless every file tbl's metadata references (the
// metadata file, and of every snapshot the manifest list, the manifests
// and the live data files) exists; it returns how many it checked.
func checkReferenced(t *testing.T, tbl *table.Table, fsys iceio.IO) int {
	t.Helper()
	paths := []string{tbl.MetadataLocation()}
	for _, s := range tbl.Metadata().Snapshots() {
		paths = append(paths, s.ManifestList)
		manifests, err := s.Manifests(fsys)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range manifests {
			paths = append(paths, m.FilePath())
			for e, err := range m.Entries(fsys, true) {
				if err != nil {
					t.Fatal(err)
				}
				paths = append(paths, e.DataFile().FilePath())
			}
		}
	}
	for _, p := range paths {
		size(t, fsys, p)
	}
	return len(paths)
}

// size is the size of the file at p, which must exist.
func size(t *testing.T, fsys iceio.IO, p string) int64 {
	t.Helper()
	fi, err := fsys.(iceio.StatIO).Stat(p)
	if err != nil {
		t.Fatalf("stat %s: %v", p, err)
	}
	return fi.Size()
}

// localPaths is paths sorted, file:// URIs as plain paths (the local
// file IO lists plain paths, the metadata names file:// URIs).
func localPaths(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = strings.TrimPrefix(p, "file://")
	}
	slices.Sort(out)
	return out
}
