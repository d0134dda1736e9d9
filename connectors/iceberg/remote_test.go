package iceberg_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/iceberg"
	"github.com/streamsql/streamsql/connectors/iceberg/rest"
)

// scanned is what scanIDs read: the ids, sorted, and the scan statistics.
type scanned struct {
	ids   []int64
	stats map[string]int64
}

// scanIDs scans the id column of the table name of w with req.
func scanIDs(t *testing.T, mem memory.Allocator, w *iceberg.Warehouse, name string, req catalog.ScanRequest) scanned {
	t.Helper()
	ctx := context.Background()
	tbl, err := w.Table(ctx, name, iceberg.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	req.Alloc = mem
	if req.Columns == nil {
		req.Columns = []int{2}
	}
	r, err := tbl.Scan(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got scanned
	for {
		b, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		col := b.Column(slices.Index(req.Columns, 2)).(*array.Int64)
		got.ids = append(got.ids, col.Int64Values()...)
		b.Release()
	}
	got.stats = r.(catalog.ScanStats).Stats()
	slices.Sort(got.ids)
	return got
}

// seq is first, first+1, … first+n-1.
func seq(first, n int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = first + int64(i)
	}
	return out
}

// A sink through the REST catalog and S3 commits each epoch once: a crash
// after PreCommit is finished by Restore in a new client, and neither a
// second Restore nor the replayed epoch writes the rows again.
func TestRemoteSinkExactlyOnceAcrossRestore(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	r := startRemote(t, rest.Options{})
	w := r.open(t)
	opts := iceberg.TableOptions{JobID: "j1"}
	s, err := w.Sink(ctx, "ns.events", eventSchema, opts)
	if err != nil {
		t.Fatal(err)
	}
	write := func(s *iceberg.Sink, topic string, h, first int64) {
		b := events(mem, topic, h, first, 10)
		defer b.Release()
		if err := s.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	write(s, "a", 0, 0)
	if _, err := s.PreCommit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	write(s, "b", 1, 10)
	state, err := s.PreCommit(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(state), `"s3://`+s3Bucket+`/wh/ns.db/events/data/`) {
		t.Fatalf("the pre-committed files are not in the bucket: %s", state)
	}
	if got := scanIDs(t, mem, w, "ns.events", catalog.ScanRequest{}); !slices.Equal(got.ids, seq(0, 10)) {
		t.Fatalf("before the crash's recovery, ids %v", got.ids)
	}
	s.Close() // the crash: epoch 2 is durable in the checkpoint, not committed

	w2 := r.open(t) // the restarted process
	s2, err := w2.Sink(ctx, "ns.events", eventSchema, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Restore(ctx, state); err != nil {
		t.Fatal(err)
	}
	if err := s2.Restore(ctx, state); err != nil { // a second recovery
		t.Fatal(err)
	}
	write(s2, "b", 1, 10) // the source replays epoch 2
	if _, err := s2.PreCommit(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := s2.Commit(ctx, 2); err != nil {
		t.Fatal(err)
	}
	write(s2, "a", 2, 20)
	if _, err := s2.PreCommit(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := s2.Commit(ctx, 3); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if got := scanIDs(t, mem, w2, "ns.events", catalog.ScanRequest{}); !slices.Equal(got.ids, seq(0, 30)) {
		t.Fatalf("ids %v, want 0..29 once each", got.ids)
	}
	tbl, err := w2.Catalog().LoadTable(ctx, table.Identifier{"ns", "events"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tbl.Metadata().Snapshots()); n != 3 {
		t.Errorf("%d snapshots, want one per epoch (3)", n)
	}
	if loc := tbl.MetadataLocation(); !strings.HasPrefix(loc, "s3://"+s3Bucket+"/wh/") {
		t.Errorf("metadata at %s, not in the bucket", loc)
	}
	if w2.Dir() != "" || w2.Location() != r.CatalogURL {
		t.Errorf("Dir %q, Location %q", w2.Dir(), w2.Location())
	}
}

// Two jobs committing to one table through the REST catalog at the same
// time: the losers of each race get a 409, reload and retry, and every
// row of both lands exactly once.
func TestRemoteConcurrentSinks(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	r := startRemote(t, rest.Options{})
	w := r.open(t)
	const epochs, rows = 4, 5
	errs := make(chan error, 2)
	for j, topic := range []string{"a", "b"} {
		wj := r.open(t) // a client of its own, as a second process would have
		go func() {
			errs <- func() error {
				s, err := wj.Sink(ctx, "ns.events", eventSchema, iceberg.TableOptions{JobID: "job-" + topic})
				if err != nil {
					return err
				}
				defer s.Close()
				for e := int64(1); e <= epochs; e++ {
					b := events(mem, topic, e, int64(j*1000)+e*rows, rows)
					err := s.Write(ctx, b)
					b.Release()
					if err != nil {
						return err
					}
					if _, err := s.PreCommit(ctx, e); err != nil {
						return err
					}
					if err := s.Commit(ctx, e); err != nil {
						return err
					}
				}
				return nil
			}()
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var want []int64
	for j := range int64(2) {
		want = append(want, seq(j*1000+rows, epochs*rows)...)
	}
	if got := scanIDs(t, mem, w, "ns.events", catalog.ScanRequest{}); !slices.Equal(got.ids, want) {
		t.Fatalf("ids %v, want %v", got.ids, want)
	}
	tbl, err := w.Catalog().LoadTable(ctx, table.Identifier{"ns", "events"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tbl.Metadata().Snapshots()); n != 2*epochs {
		t.Errorf("%d snapshots, want %d", n, 2*epochs)
	}
}

// A sink that loses the commit race through the REST catalog (another
// job commits between its staging and its commit) gets the server's 409,
// reloads and commits again: both epochs land, once each.
func TestRemoteSinkLosesCommitRace(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	r := startRemote(t, rest.Options{})
	open := func(job string, first int64) *iceberg.Sink {
		s, err := r.open(t).Sink(ctx, "ns.events", eventSchema, iceberg.TableOptions{JobID: job})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		b := events(mem, job, 0, first, 10)
		defer b.Release()
		if err := s.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PreCommit(ctx, 1); err != nil {
			t.Fatal(err)
		}
		return s
	}
	loser, winner := open("a", 0), open("b", 10)
	var attempts []int
	iceberg.SetBeforeCommitForTest(func(_ string, attempt int) {
		attempts = append(attempts, attempt)
		if attempt == 1 {
			iceberg.SetBeforeCommitForTest(nil)
			if err := winner.Commit(ctx, 1); err != nil {
				t.Error(err)
			}
			iceberg.SetBeforeCommitForTest(func(_ string, attempt int) { attempts = append(attempts, attempt) })
		}
	})
	defer iceberg.SetBeforeCommitForTest(nil)
	if err := loser.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(attempts, []int{1, 2}) {
		t.Errorf("commit attempts %v, want [1 2] (one lost race)", attempts)
	}
	if got := scanIDs(t, mem, r.open(t), "ns.events", catalog.ScanRequest{}); !slices.Equal(got.ids, seq(0, 20)) {
		t.Fatalf("ids %v, want 0..19 once each", got.ids)
	}
}
