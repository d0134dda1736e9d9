package eventstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/eventstream/wal"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestRetentionEvictsEventsAndWALSegments(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	dir := wal.OSDir(t.TempDir())
	h := newHarness(t, Config{StateDir: dir, Now: clk.Now, HotRetention: time.Minute})
	old := h.ingest("t", `[{"n":1},{"n":2}]`)
	h.srv.evict() // rotates: the old events' segment is closed
	clk.Add(45 * time.Second)
	h.ingest("t", `{"n":3}`)
	clk.Add(30 * time.Second) // the first two are now 75 s old
	h.srv.evict()
	rows := h.query(`SELECT data->>'n' FROM t`)
	if len(rows) != 1 || rows[0][0] != "3" {
		t.Fatalf("after retention: %v", rows)
	}
	// A cursor resuming after an evicted id learns it fell behind.
	if cur, err := h.srv.Tail("t", old[0]); err != nil {
		t.Fatal(err)
	} else if _, err := cur.Next(context.Background()); !errors.Is(err, ErrFellBehind) {
		t.Fatalf("resume after an expired id: %v", err)
	}
	h.close()
	h2 := newHarness(t, Config{StateDir: dir, Now: clk.Now, HotRetention: time.Minute})
	if h2.srv.ReplayedEvents != 1 {
		t.Fatalf("expired segment not pruned: replayed %d events", h2.srv.ReplayedEvents)
	}
	// The pruned events' ids are not reused: the count goes on.
	if next := h2.ingest("t", `{"n":4}`); !strings.HasSuffix(next[0], "-0000000004") {
		t.Fatalf("id after pruning and restart: %s", next[0])
	}
}

func TestSizeCapEvictsOldestChunks(t *testing.T) {
	h := newHarness(t, Config{HotMaxBytes: 1})
	body := strings.TrimSuffix(strings.Repeat(`{"x":1},`, chunkRows+10), ",")
	h.ingest("t", "["+body+"]")
	h.srv.evict()
	rows := h.query(`SELECT count(*) FROM t`)
	if rows[0][0] != 10.0 { // the full first chunk went; the newest chunk stays
		t.Fatalf("after size cap: %v", rows)
	}
}

func TestTornWALTailIsRepairedOnStart(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, Config{StateDir: wal.OSDir(dir)})
	h.ingest("t", `[{"n":1},{"n":2}]`)
	h.close()
	names, _ := wal.OSDir(dir).List()
	var seg string
	for _, n := range names {
		if fi, _ := os.Stat(filepath.Join(dir, n)); fi.Size() > 0 {
			seg = filepath.Join(dir, n)
		}
	}
	f, _ := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{200, 0, 0, 0, 1, 2, 3}) // a record header cut short
	f.Close()
	h2 := newHarness(t, Config{StateDir: wal.OSDir(dir)})
	if h2.srv.Replayed.TornBytes != 7 || h2.srv.ReplayedEvents != 2 {
		t.Fatalf("replay %+v", h2.srv.Replayed)
	}
	if !strings.Contains(h2.logs.String(), "torn tail") {
		t.Fatalf("repair not logged: %s", h2.logs)
	}
}

func TestClosedServerRefusesEvents(t *testing.T) {
	h := newHarness(t, Config{})
	h.srv.Close()
	if _, err := h.srv.Emit(context.Background(), "t", `{}`); !errors.Is(err, ErrClosed) {
		t.Fatalf("emit after close: %v", err)
	}
	if status, _ := h.post("/events?topic=t", "", `{}`); status != 503 {
		t.Fatalf("POST after close: %d", status)
	}
}

func TestTopicTableStreamsWithPositions(t *testing.T) {
	h := newHarness(t, Config{})
	h.ingest("t", `[{"n":1},{"n":2},{"n":3}]`)
	tb, err := h.srv.Table("t")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	readers, err := tb.OpenStream(ctx, catalog.StreamRequest{Columns: []int{4, 0}, Linger: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := readers[0]
	defer r.Close()
	b, err := r.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.NumRows() != 3 || b.Schema().Field(0).Name != "data" || b.Column(0).(*array.String).Value(2) != `{"n":3}` {
		t.Fatalf("first read: %v", b)
	}
	b.Release()
	pos, _ := r.Position()
	if _, err := r.Read(ctx); !errors.Is(err, catalog.ErrIdle) {
		t.Fatalf("idle read: %v", err)
	}
	h.ingest("t", `{"n":4}`)
	b, err = r.Read(ctx)
	if err != nil || b.NumRows() != 1 {
		t.Fatalf("tail read: %v %v", b, err)
	}
	b.Release()
	// A fresh reader seeked to the saved position resumes at event 4.
	again, _ := tb.OpenStream(ctx, catalog.StreamRequest{Columns: []int{4}, Linger: -1})
	defer again[0].Close()
	if err := again[0].Seek(ctx, pos); err != nil {
		t.Fatal(err)
	}
	b, err = again[0].Read(ctx)
	if err != nil || b.Column(0).(*array.String).Value(0) != `{"n":4}` {
		t.Fatalf("after seek: %v %v", b, err)
	}
	b.Release()
	if err := again[0].Seek(ctx, []byte("junk")); err == nil {
		t.Fatal("seek accepted a malformed position")
	}
	if _, err := tb.OpenStream(ctx, catalog.StreamRequest{Columns: []int{9}}); err == nil {
		t.Fatal("bad column accepted")
	}
	h.srv.Close()
	if _, err := r.Read(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("read after close: %v", err)
	}
}

func TestSealedChunksScanAsArrowBatches(t *testing.T) {
	h := newHarness(t, Config{})
	var sb strings.Builder
	n := chunkRows + 100
	for i := range n {
		fmt.Fprintf(&sb, "{\"i\":%d}\n", i)
	}
	h.ingest("big", sb.String())
	rows := h.query(`SELECT count(*), sum(CAST(data->>'i' AS BIGINT)), min(_id) < max(_id) FROM big`)
	if rows[0][0] != float64(n) || rows[0][1] != float64(n*(n-1)/2) || rows[0][2] != true {
		t.Fatalf("scan over a sealed and an open chunk: %v", rows)
	}
	c := h.dial("/events?topic=big&from=earliest", nil)
	f := readFrames(t, c, n)
	if f[n-1]["i"] != float64(n-1) {
		t.Fatal(f[n-1])
	}
}

func TestConfigParsing(t *testing.T) {
	ts, err := ParseTopicSchema("orders=id BIGINT, amount DOUBLE PRECISION, timestamp TIMESTAMP, note JSON")
	if err != nil || len(ts.Fields) != 3 || ts.Fields[1].Type.String() != "DOUBLE" {
		t.Fatalf("%+v %v", ts, err)
	}
	for _, bad := range []string{"orders", "orders=", "orders=id", "orders=id BLOB", "orders=data VARCHAR", "orders=a INT, A INT", "bad topic=a INT"} {
		if _, err := ParseTopicSchema(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	rule, ok, err := ParseTokenLine("tok orders.* read,write")
	if err != nil || !ok || rule.Scopes != ScopeRead|ScopeWrite || strings.Contains(rule.String(), "tok ") {
		t.Fatalf("%v %v %v", rule, ok, err)
	}
	if _, ok, _ := ParseTokenLine("  # comment"); ok {
		t.Fatal("comment parsed as a rule")
	}
	for _, bad := range []string{"tok", "tok * admin", "tok [ read"} {
		if _, _, err := ParseTokenLine(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDeclaredFieldTypeMismatchRejectsRequest(t *testing.T) {
	ts, _ := ParseTopicSchema("orders=id BIGINT, ok BOOLEAN, d DATE, at TIMESTAMP, n INT")
	h := newHarness(t, Config{Topics: []TopicSchema{ts}})
	for _, body := range []string{`{"id":"seven"}`, `{"id":1.5}`, `{"ok":"yes"}`, `{"d":"03/01/2026"}`, `{"at":true}`, `{"n":99999999999}`} {
		status, out := h.post("/events?topic=orders", "", `[{"id":1},`+body+`]`)
		if status != 400 || !strings.Contains(out["error"].(string), "event 2") {
			t.Errorf("%s: %d %v", body, status, out)
		}
	}
	h.ingest("orders", `{"id":2,"ok":true,"d":"2026-03-01","at":"2026-03-01T00:00:00Z","n":5}`)
	rows := h.query(`SELECT id, ok, d, at, n FROM orders`)
	if len(rows) != 1 || rows[0][1] != true || rows[0][2] != "2026-03-01" {
		t.Fatalf("%v", rows)
	}
}

func TestCursorNextBatchResumesByID(t *testing.T) {
	h := newHarness(t, Config{})
	ids := h.ingest("t", `[{"n":1},{"n":2},{"n":3}]`)
	cur, err := h.srv.Tail("t", "earliest")
	if err != nil {
		t.Fatal(err)
	}
	b, last, err := cur.NextBatch(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if b.NumRows() != 2 || last != ids[1] || b.Column(0).(*array.String).Value(1) != ids[1] {
		t.Fatalf("batch %v last %s", b, last)
	}
	b.Release()
	// A restarted reader resumes after the last id it stored.
	again, _ := h.srv.Tail("t", last)
	b, last, err = again.NextBatch(context.Background(), 0)
	if err != nil || b.NumRows() != 1 || last != ids[2] {
		t.Fatalf("resumed batch %v %s %v", b, last, err)
	}
	b.Release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := again.NextBatch(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
}

func TestEventTimeFieldPerTopic(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	h := newHarness(t, Config{EventTimeFields: map[string]string{"m": "at"}, Now: clk.Now})
	h.ingest("m", `[{"at":1772359200000},{"at":"2026-03-01T10:00:00+01:00"},{"at":"soon"},{"timestamp":"2020-01-01T00:00:00Z"}]`)
	rows := h.query(`SELECT timestamp, _ingest_ts FROM m ORDER BY _id`)
	want := []string{"2026-03-01 10:00:00", "2026-03-01 09:00:00", "2026-03-01 12:00:00", "2026-03-01 12:00:00"}
	for i, r := range rows {
		if r[0] != want[i] {
			t.Errorf("event %d: event time %v, want %s", i+1, r[0], want[i])
		}
		if !strings.HasPrefix(r[1].(string), "2026-03-01 12:00:00") {
			t.Errorf("event %d: ingest time %v", i+1, r[1])
		}
	}
}
