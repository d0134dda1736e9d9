package nexmark

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
)

func TestSplitCountDoesNotChangeTheRows(t *testing.T) {
	mem := checkedMem(t)
	cfg := Config{Events: 12_345, Seed: 1}
	for _, k := range []Kind{Person, Auction, Bid} {
		want := scanAll(t, testTable(t, k, cfg, 1), catalog.ScanRequest{Alloc: mem, Limit: -1})
		if int64(len(want)) != countOfKind(k, cfg.Events) {
			t.Fatalf("%s scan: %d rows, want %d", k, len(want), countOfKind(k, cfg.Events))
		}
		for _, splits := range []int{1, 3, 7} {
			var got []string
			for _, r := range openStream(t, testTable(t, k, cfg, splits), catalog.StreamRequest{Alloc: mem, BatchRows: 333}) {
				got = append(got, readAll(t, r)...)
			}
			if !slices.Equal(sorted(got), sorted(want)) {
				t.Errorf("%s with %d splits: %d rows differ from the scan's %d", k, splits, len(got), len(want))
			}
		}
	}
}

func TestEachSplitIsInEventTimeOrder(t *testing.T) {
	mem := checkedMem(t)
	tb := testTable(t, Bid, Config{Events: 20_000, Seed: 1}, 3)
	col := Schema(Bid).FieldIndices("date_time")[0]
	for _, r := range openStream(t, tb, catalog.StreamRequest{Alloc: mem, Columns: []int{col}, BatchRows: 500}) {
		last, n := int64(-1), 0
		for {
			b, err := r.Read(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.NumCols() != 1 || b.NumRows() > 500 {
				t.Fatalf("batch of %d columns, %d rows", b.NumCols(), b.NumRows())
			}
			for _, v := range int64s(b, 0) {
				if v <= last {
					t.Fatalf("%s: time %d after %d", r.ID(), v, last)
				}
				last = v
			}
			n += int(b.NumRows())
			b.Release()
		}
		if n < 5000 {
			t.Errorf("%s read only %d rows", r.ID(), n)
		}
	}
}

func TestSeekResumesExactlyAtPosition(t *testing.T) {
	mem := checkedMem(t)
	tb := testTable(t, Auction, Config{Events: 30_000, Seed: 2}, 2)
	req := catalog.StreamRequest{Alloc: mem, BatchRows: 100}
	for split := range 2 {
		whole := readAll(t, openStream(t, tb, req)[split])
		r := openStream(t, tb, req)[split]
		var got []string
		for range 3 {
			b, err := r.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, rows(b)...)
		}
		pos, err := r.Position()
		if err != nil {
			t.Fatal(err)
		}
		fresh := openStream(t, tb, req)[split]
		if err := fresh.Seek(context.Background(), pos); err != nil {
			t.Fatal(err)
		}
		got = append(got, readAll(t, fresh)...)
		if !slices.Equal(got, whole) {
			t.Errorf("split %d: resumed at %s: %d rows, want %d", split, pos, len(got), len(whole))
		}
		end, _ := fresh.Position()
		if string(end) != "30000" {
			t.Errorf("position at the end = %s", end)
		}
		if err := fresh.Seek(context.Background(), end); err != nil {
			t.Fatal(err)
		}
		if _, err := fresh.Read(context.Background()); !errors.Is(err, io.EOF) {
			t.Errorf("read at the end = %v", err)
		}
	}
	r := openStream(t, tb, req)[1]
	for _, bad := range []string{"", "x", "-1", "5"} { // event 5 is split 0's
		if err := r.Seek(context.Background(), []byte(bad)); err == nil {
			t.Errorf("Seek(%q): no error", bad)
		}
	}
	if err := r.Seek(context.Background(), []byte("99999999")); err != nil {
		t.Errorf("Seek past the end: %v", err)
	} else if _, err := r.Read(context.Background()); !errors.Is(err, io.EOF) {
		t.Errorf("read after seeking past the end = %v", err)
	}
}

// fakeClock is a settable Config.Now.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func TestWallRateThrottlesWithErrIdle(t *testing.T) {
	mem := checkedMem(t)
	clock := &fakeClock{now: time.Unix(1000, 0)}
	tb := testTable(t, Bid, Config{Events: 10_000, WallRate: 2000, Now: clock.Now}, 2)
	r := openStream(t, tb, catalog.StreamRequest{Alloc: mem, Linger: -1})[0]
	if _, err := r.Read(context.Background()); !errors.Is(err, catalog.ErrIdle) {
		t.Fatalf("first read = %v, want ErrIdle", err)
	}
	clock.now = clock.now.Add(time.Second) // 1000 events for this split: one block, 920 bids
	b, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b.NumRows() != 920 {
		t.Errorf("after 1 s: %d rows, want 920", b.NumRows())
	}
	b.Release()
	if _, err := r.Read(context.Background()); !errors.Is(err, catalog.ErrIdle) {
		t.Fatalf("read past the budget = %v, want ErrIdle", err)
	}
	clock.now = clock.now.Add(10 * time.Millisecond) // 10 events: bids 4..9 of the next epoch
	b, err = r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b.NumRows() != 6 {
		t.Errorf("after 10 ms more: %d rows, want 6", b.NumRows())
	}
	b.Release()
	pos, _ := r.Position()
	if string(pos) != "2010" { // block 0 (events 0..999) then block 2
		t.Errorf("position = %s, want 2010", pos)
	}
}

func TestThrottledReadWaitsForLinger(t *testing.T) {
	mem := checkedMem(t)
	clock := &fakeClock{now: time.Unix(1000, 0)}
	tb := testTable(t, Person, Config{Events: 10_000, WallRate: 1, Now: clock.Now}, 1)
	r := openStream(t, tb, catalog.StreamRequest{Alloc: mem, Linger: time.Millisecond})[0]
	if _, err := r.Read(context.Background()); !errors.Is(err, catalog.ErrIdle) {
		t.Fatalf("read = %v, want ErrIdle", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("read with a cancelled context = %v", err)
	}
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep with a cancelled context = %v", err)
	}
}

func TestReaderAndScanFaults(t *testing.T) {
	mem := checkedMem(t)
	ctx := context.Background()
	tb := testTable(t, Person, Config{Events: 500}, 2)
	rs := openStream(t, tb, catalog.StreamRequest{Alloc: mem})
	if !strings.Contains(rs[1].ID(), "person/1-of-2") {
		t.Errorf("split id %q", rs[1].ID())
	}
	rs[0].Close()
	if _, err := rs[0].Read(ctx); err == nil {
		t.Error("read after Close: no error")
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := tb.OpenStream(done, catalog.StreamRequest{}); err == nil {
		t.Error("OpenStream with a cancelled context: no error")
	}
	if _, err := tb.Scan(done, catalog.ScanRequest{}); err == nil {
		t.Error("Scan with a cancelled context: no error")
	}
	if err := rs[1].Seek(done, []byte("0")); err == nil {
		t.Error("Seek with a cancelled context: no error")
	}
	if _, err := tb.OpenStream(ctx, catalog.StreamRequest{Columns: []int{8}}); err == nil {
		t.Error("OpenStream of column 8: no error")
	}
	if _, err := tb.Scan(ctx, catalog.ScanRequest{Columns: []int{-1}}); err == nil {
		t.Error("Scan of column -1: no error")
	}
	if _, err := testTable(t, Bid, Config{}, 1).Scan(ctx, catalog.ScanRequest{}); err == nil {
		t.Error("Scan of an unbounded table: no error")
	}
	if got := scanAll(t, tb, catalog.ScanRequest{Columns: []int{0}, Limit: -1}); len(got) != 10 { // nil Alloc: Go's
		t.Errorf("scan with no allocator: %d rows", len(got))
	}
	if got := readAll(t, openStream(t, tb, catalog.StreamRequest{Columns: []int{0}})[0]); len(got) != 10 { // split 0 owns block 0, all 500 events
		t.Errorf("stream with no allocator: %d rows", len(got))
	}
	br, err := tb.Scan(ctx, catalog.ScanRequest{Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	br.Close()
	if _, err := br.Next(ctx); err == nil {
		t.Error("Next after Close: no error")
	}
	if _, err := br.Next(done); err == nil {
		t.Error("Next with a cancelled context: no error")
	}
	for _, splits := range []int{0, maxSplits + 1} {
		if _, err := NewTable(Bid, Config{}, splits); err == nil {
			t.Errorf("NewTable with %d splits: no error", splits)
		}
	}
	if _, err := NewTable(Kind(3), Config{}, 1); err == nil {
		t.Error("NewTable of kind 3: no error")
	}
	if _, err := NewTable(Bid, Config{Events: -5}, 1); err == nil {
		t.Error("NewTable with negative events: no error")
	}
}

func TestScanLimitAndNoColumns(t *testing.T) {
	mem := checkedMem(t)
	tb := testTable(t, Bid, Config{Events: 50_000}, 4)
	if got := scanAll(t, tb, catalog.ScanRequest{Alloc: mem, Limit: 10_000}); len(got) != 10_000 {
		t.Errorf("limit 10000: %d rows", len(got))
	}
	// COUNT(*) asks for no columns: rows without columns.
	if got := scanAll(t, tb, catalog.ScanRequest{Alloc: mem, Columns: []int{}, Limit: -1}); len(got) != 46_000 {
		t.Errorf("no columns: %d rows, want 46000", len(got))
	}
	if d := tb.Describe(); !strings.Contains(d, "nexmark bid") || tb.Kind() != Bid || tb.Generator().Config().Rate != DefaultRate {
		t.Errorf("Describe = %q", d)
	}
}

func TestPreGenerate(t *testing.T) {
	mem := checkedMem(t)
	bs, err := PreGenerate(Bid, Config{Events: 10_000, Alloc: mem}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, b := range bs {
		n += b.NumRows()
		b.Release()
	}
	if len(bs) != 10 || n != 9200 {
		t.Errorf("%d batches, %d rows", len(bs), n)
	}
	for _, c := range []struct {
		cfg  Config
		rows int
	}{{Config{}, 10}, {Config{Events: 10}, 0}, {Config{Events: 10, Rate: -1}, 10}} {
		if _, err := PreGenerate(Bid, c.cfg, c.rows); err == nil {
			t.Errorf("PreGenerate(%+v, %d): no error", c.cfg, c.rows)
		}
	}
}
