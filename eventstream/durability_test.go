package eventstream

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	streamsql "github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/eventstream/wal"
)

// slowSyncDir counts syncs, each taking a while like a real disk's.
type slowSyncDir struct {
	wal.Dir
	syncs *atomic.Int64
}
type slowSyncFile struct {
	wal.File
	syncs *atomic.Int64
}

func (d slowSyncDir) Create(name string) (wal.File, error) {
	f, err := d.Dir.Create(name)
	return slowSyncFile{f, d.syncs}, err
}

func (f slowSyncFile) Sync() error {
	f.syncs.Add(1)
	time.Sleep(5 * time.Millisecond) // a disk flush, not synchronisation
	return f.File.Sync()
}

func TestConcurrentIngestsShareAnFsync(t *testing.T) {
	var syncs atomic.Int64
	h := newHarness(t, Config{StateDir: slowSyncDir{wal.OSDir(t.TempDir()), &syncs}})
	const requests = 40
	var wg sync.WaitGroup
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.ingest("t", fmt.Sprintf(`{"i":%d}`, i))
		}()
	}
	wg.Wait()
	if n := syncs.Load(); n >= requests {
		t.Fatalf("%d requests took %d fsyncs: no group commit", requests, n)
	} else {
		t.Logf("%d requests, %d fsyncs", requests, n)
	}
	if rows := h.query(`SELECT count(*) FROM t`); rows[0][0] != float64(requests) {
		t.Fatal(rows)
	}
}

func TestDamagedWALFailsStartCleanly(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, Config{StateDir: wal.OSDir(dir), SegmentBytes: 10})
	h.ingest("t", `{"n":1}`)
	h.ingest("t", `{"n":2}`)
	h.close()
	names, _ := wal.OSDir(dir).List()
	first := filepath.Join(dir, names[0])
	b, _ := os.ReadFile(first)
	b[len(b)-2] ^= 0xff
	os.WriteFile(first, b, 0o644)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	engine := streamsql.New()
	defer engine.Close()
	_, err := New(Config{StateDir: wal.OSDir(dir), Alloc: mem, Engine: engine})
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("start on a damaged log: %v", err)
	}
	if _, _, err := engine.Catalog().Lookup([]string{"t"}); err == nil {
		t.Fatal("a failed start left its topic in the caller's engine")
	}
	mem.AssertSize(t, 0)
}

func TestIDsKeepCountingAfterEverySegmentIsPruned(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	dir := wal.OSDir(t.TempDir())
	cfg := Config{StateDir: dir, Now: clk.Now, HotRetention: time.Minute}
	h := newHarness(t, cfg)
	h.ingest("t", `[{"n":1},{"n":2},{"n":3}]`)
	h.srv.evict() // rotates; the new segment starts with t's position
	clk.Add(2 * time.Minute)
	h.srv.evict() // every event expired, its segment pruned
	h.close()
	for round, want := range []string{"-0000000004", "-0000000005"} {
		clk.Add(2 * time.Minute)
		h := newHarness(t, cfg)
		if h.srv.ReplayedEvents != 0 {
			t.Fatalf("round %d: replayed %d expired events", round, h.srv.ReplayedEvents)
		}
		cur, _ := h.srv.Tail("t", "")
		id := h.ingest("t", `{"n":0}`)[0]
		if !strings.HasSuffix(id, want) {
			t.Fatalf("round %d: id %s, want seq %s", round, id, want)
		}
		if ev, err := cur.Next(context.Background()); err != nil || ev.ID != id {
			t.Fatalf("round %d: subscriber got %v %v", round, ev.ID, err)
		}
		h.srv.evict()
		clk.Add(2 * time.Minute)
		h.srv.evict()
		h.close()
	}
}

// brokenDir fails every sync while broken is set.
type brokenDir struct {
	wal.Dir
	broken *atomic.Bool
}
type brokenFile struct {
	wal.File
	broken *atomic.Bool
}

func (d brokenDir) Create(name string) (wal.File, error) {
	f, err := d.Dir.Create(name)
	return brokenFile{f, d.broken}, err
}

func (f brokenFile) Sync() error {
	if f.broken.Load() {
		return errors.New("sync failed")
	}
	return f.File.Sync()
}

func TestFailedWALWriteIsNotAcknowledged(t *testing.T) {
	var broken atomic.Bool
	broken.Store(true)
	h := newHarness(t, Config{StateDir: brokenDir{wal.OSDir(t.TempDir()), &broken}})
	defer broken.Store(false) // let Close sync
	status, out := h.post("/events?topic=t", "", `{"a":1}`)
	if status != 503 || !strings.Contains(out["error"].(string), "sync failed") {
		t.Fatalf("%d %v", status, out)
	}
	if status, _ := h.post("/events?topic=t", "", `{"a":2}`); status != 503 {
		t.Fatalf("after a failed sync: %d", status)
	}
	if rows := h.query(`SELECT count(*) FROM t`); rows[0][0] != 0.0 {
		t.Fatalf("unacknowledged events visible: %v", rows)
	}
}
