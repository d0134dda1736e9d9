package nats

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamsql/streamsql/catalog"
)

// Read returns held rows as soon as nothing more is at hand, not after
// the request's Linger: the tests read with a long linger and allow far
// less than it (generously: it is not a timing benchmark).
const (
	longLinger = 5 * time.Second
	promptly   = 2 * time.Second
)

// openReaderWith opens the table's one reader on all its columns with the
// given batch size and linger.
func openReaderWith(t *testing.T, tab *Table, mem memory.Allocator, batchRows int, linger time.Duration) catalog.SplitReader {
	t.Helper()
	cols := make([]int, tab.Schema().NumFields())
	for i := range cols {
		cols[i] = i
	}
	rs, err := tab.OpenStream(context.Background(), catalog.StreamRequest{Columns: cols, Alloc: mem, BatchRows: batchRows, Linger: linger})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("want one split, got %d", len(rs))
	}
	t.Cleanup(func() { _ = rs[0].Close() })
	return rs[0]
}

// timedRead calls Read once and returns its rows' ids (nil when idle) and
// how long it took.
func timedRead(t *testing.T, r catalog.SplitReader) ([]int64, time.Duration) {
	t.Helper()
	start := time.Now()
	b, err := r.Read(context.Background())
	took := time.Since(start)
	if errors.Is(err, catalog.ErrIdle) {
		return nil, took
	}
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	ids := make([]int64, b.NumRows())
	for i := range ids {
		ids[i] = b.Column(0).(*array.Int64).Value(i)
	}
	return ids, took
}

// readBacklog reads n rows of a backlog and checks that they come in
// order in full batches of batchRows (the last one the rest), promptly.
func readBacklog(t *testing.T, r catalog.SplitReader, from, n, batchRows int) {
	t.Helper()
	var got []int64
	start := time.Now()
	for len(got) < n {
		ids, took := timedRead(t, r)
		if took >= promptly {
			t.Fatalf("a Read of the backlog took %s (linger %s) after %d of %d rows", took, longLinger, len(got), n)
		}
		if want := min(batchRows, n-len(got)); len(ids) != want {
			t.Fatalf("a batch of %d rows after %d of the %d queued, want %d (BatchRows %d)", len(ids), len(got), n, want, batchRows)
		}
		got = append(got, ids...)
	}
	if fmt.Sprint(got) != fmt.Sprint(seq(from, from+n)) {
		t.Fatalf("ids %v", got)
	}
	t.Logf("%d queued rows in batches of %d in %s", n, batchRows, time.Since(start))
}

// The core reader returns a message at once rather than after Linger,
// still fills whole batches from a backlog, and still waits the linger
// when nothing comes.
func TestCoreReadDoesNotLinger(t *testing.T) {
	ts := startServer(t)
	nc, _ := ts.client()
	const batchRows, backlog = 10, 95
	tab := openTable(t, "nats", map[string]string{"servers": ts.url(), "subject": "lat", "schema": "id BIGINT"}, nil)
	r := openReaderWith(t, tab, checkedMem(t), batchRows, longLinger)
	publish := func(from, to int) {
		for i := from; i < to; i++ {
			if err := nc.Publish("lat", fmt.Appendf(nil, `{"id":%d}`, i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
	}

	publish(0, 1)
	ids, took := timedRead(t, r)
	if fmt.Sprint(ids) != "[0]" || took >= promptly {
		t.Fatalf("one message: rows %v after %s, want [0] well within the linger of %s", ids, took, longLinger)
	}

	// A backlog queued in the subscription comes back in full batches.
	publish(1, 1+backlog)
	msgs := r.(*coreReader).msgs
	for end := time.Now().Add(10 * time.Second); len(msgs) < backlog; {
		if time.Now().After(end) {
			t.Fatalf("%d of %d messages reached the subscription", len(msgs), backlog)
		}
		time.Sleep(time.Millisecond) // polling the subscription's buffer
	}
	readBacklog(t, r, 1, backlog, batchRows)

	// Nothing at all: Read waits the linger, then is idle.
	const linger = 200 * time.Millisecond
	idle := openReaderWith(t, openTable(t, "nats", map[string]string{"servers": ts.url(), "subject": "quiet", "schema": "id BIGINT"}, nil),
		checkedMem(t), batchRows, linger)
	if ids, took := timedRead(t, idle); ids != nil || took < linger {
		t.Fatalf("no message: rows %v after %s, want ErrIdle after the linger of %s", ids, took, linger)
	}
}

// The JetStream reader returns a message at once rather than after
// Linger, still fills whole batches from a backlog, and still waits the
// linger when nothing comes.
func TestJetStreamReadDoesNotLinger(t *testing.T) {
	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	const batchRows, backlog = 10, 95
	tab := openTable(t, "jetstream", jsOptions(ts, "subject", "ev.a", "schema", "id BIGINT, name VARCHAR"), nil)
	r := openReaderWith(t, tab, checkedMem(t), batchRows, longLinger)

	publishEvents(t, js, "ev.a", 0, 1)
	ids, took := timedRead(t, r)
	if fmt.Sprint(ids) != "[0]" || took >= promptly {
		t.Fatalf("one message: rows %v after %s, want [0] well within the linger of %s", ids, took, longLinger)
	}

	// A backlog the consumer delivered already comes back in full
	// batches (the reader pulls more than batchRows at a time).
	publishEvents(t, js, "ev.a", 1, 1+backlog)
	awaitInfo(t, js, "EV", "job", "every message delivered", func(i *jetstream.ConsumerInfo) bool {
		return i.Delivered.Stream == 1+backlog
	})
	readBacklog(t, r, 1, backlog, batchRows)
	if p := string(position(t, r)); p != fmt.Sprintf(`{"seq":%d}`, 1+backlog) {
		t.Fatalf("position %s", p)
	}

	// Nothing at all: Read waits the linger, then is idle.
	const linger = 200 * time.Millisecond
	idle := openReaderWith(t, openTable(t, "jetstream", jsOptions(ts, "consumer", "quiet", "subject", "ev.quiet", "schema", "id BIGINT"), nil),
		checkedMem(t), batchRows, linger)
	if ids, took := timedRead(t, idle); ids != nil || took < linger {
		t.Fatalf("no message: rows %v after %s, want ErrIdle after the linger of %s", ids, took, linger)
	}
}
