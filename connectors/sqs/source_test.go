package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
)

var bg = context.Background()

func jsonBodies(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"id":%d,"name":"n%d"}`, i, i)
	}
	return out
}

// Messages stay in the queue, in flight, until the checkpoint covering
// them is committed; then they are deleted.
func TestSourceDeletesOnlyAtCommitPosition(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "events", nil)
	e.send(t, url, jsonBodies(25), nil)
	tb := e.open(t, map[string]string{"queue": "events", "schema": "id BIGINT, name VARCHAR, _message_id VARCHAR, _sent_timestamp TIMESTAMP, _group_id VARCHAR"}, nil)
	r := openReader(t, tb, nil)
	rows := readRows(t, r, 25)
	for i, row := range rows {
		if row[0] != int64(i) || row[1] != fmt.Sprintf("n%d", i) || row[2] == nil || row[4] != nil {
			t.Fatalf("row %d = %v", i, row)
		}
		if ts, ok := row[3].(int64); !ok || time.Since(time.UnixMicro(ts)) > time.Minute {
			t.Fatalf("row %d: _sent_timestamp %v", i, row[3])
		}
	}
	pos, err := r.Position()
	if err != nil {
		t.Fatal(err)
	}
	if e.srv.Calls("DeleteMessageBatch") != 0 {
		t.Fatal("messages were deleted before CommitPosition")
	}
	if vis, inflight := e.counts(t, url); vis != 0 || inflight != 25 {
		t.Fatalf("before the commit: %d visible, %d in flight; want 0 and 25", vis, inflight)
	}
	if err := r.CommitPosition(bg, pos); err != nil {
		t.Fatal(err)
	}
	if vis, inflight := e.counts(t, url); vis != 0 || inflight != 0 {
		t.Fatalf("after the commit: %d visible, %d in flight; want none", vis, inflight)
	}
	if n := e.srv.Calls("DeleteMessageBatch"); n != 3 {
		t.Fatalf("DeleteMessageBatch calls = %d, want 3 (25 messages, 10 per batch)", n)
	}
}

// A commit covers only the messages read before its position.
func TestCommitPositionCoversOnlyItsMessages(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "partial", nil)
	tb := e.open(t, map[string]string{"queue": "partial", "format": "raw"}, nil)
	r := openReader(t, tb, nil)
	e.send(t, url, []string{"a", "b"}, nil)
	readRows(t, r, 2)
	first, _ := r.Position()
	e.send(t, url, []string{"c"}, nil)
	readRows(t, r, 1)
	if err := r.CommitPosition(bg, first); err != nil {
		t.Fatal(err)
	}
	if vis, inflight := e.counts(t, url); vis != 0 || inflight != 1 {
		t.Fatalf("after committing the first position: %d visible, %d in flight; want 0 and 1", vis, inflight)
	}
	// Positions of an earlier reader (before a restart) name nothing.
	if err := r.CommitPosition(bg, []byte(`{"session":"other","read":99}`)); err != nil {
		t.Fatal(err)
	}
	if _, inflight := e.counts(t, url); inflight != 1 {
		t.Fatal("a foreign position deleted messages")
	}
	if err := r.CommitPosition(bg, []byte("{")); err == nil {
		t.Fatal("a malformed position was accepted")
	}
	if err := r.Seek(bg, first); err != nil {
		t.Fatalf("Seek with a checkpoint's position: %v", err)
	}
	if err := r.Seek(bg, []byte("nope")); err == nil {
		t.Fatal("Seek accepted a malformed position")
	}
}

// Messages read but never committed come back after their visibility
// timeout (at least once), and unread ones at once when the reader closes.
func TestUncommittedMessagesReappear(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "again", nil)
	e.send(t, url, []string{"x", "y"}, nil)
	tb := e.open(t, map[string]string{"queue": "again", "format": "raw", "visibility": "3"}, nil)
	r := openReader(t, tb, nil)
	readRows(t, r, 2)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the uncommitted messages to reappear", func() bool {
		vis, _ := e.counts(t, url)
		return vis == 2
	})
	if got := e.drain(t, url); !slices.Equal(got, []string{"x", "y"}) {
		t.Fatalf("redelivered %v", got)
	}
}

// While a checkpoint is slow the reader keeps extending the visibility of
// the messages it holds, so nobody else receives them.
func TestVisibilityExtendedWhileCheckpointIsSlow(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "slow", nil)
	e.send(t, url, []string{"p", "q", "r"}, nil)
	// A 400 ms timeout, extended with more than a third of it left: the
	// keeper only falls behind if stalled for over 130 ms.
	tb := e.open(t, map[string]string{"queue": "slow", "format": "raw", "visibility": "20"}, nil)
	r := openReader(t, tb, nil)
	readRows(t, r, 3)
	pos, _ := r.Position()
	// Four visibility timeouts pass without a checkpoint.
	start := time.Now()
	for time.Since(start) < 4*20*testSecond {
		if vis, _ := e.counts(t, url); vis != 0 {
			t.Fatalf("a message became visible %v after it was read", time.Since(start))
		}
		time.Sleep(testSecond)
	}
	if n := e.srv.Calls("ChangeMessageVisibilityBatch"); n < 4 {
		t.Fatalf("ChangeMessageVisibilityBatch called %d times in 4 timeouts", n)
	}
	if err := r.CommitPosition(bg, pos); err != nil {
		t.Fatal(err)
	}
	if vis, inflight := e.counts(t, url); vis+inflight != 0 {
		t.Fatalf("after the commit: %d visible, %d in flight", vis, inflight)
	}
}

// FIFO queues: each group's messages come in order, across checkpoints.
func TestFIFOKeepsGroupOrder(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "orders.fifo", map[string]string{"FifoQueue": "true"})
	var bodies []string
	for i := range 30 {
		bodies = append(bodies, fmt.Sprintf(`{"g":"%c","n":%d}`, 'a'+i%3, i/3))
	}
	e.send(t, url, bodies, func(i int) string { return string(rune('a' + i%3)) })
	tb := e.open(t, map[string]string{"queue": "orders.fifo", "schema": "g VARCHAR, n BIGINT, _group_id VARCHAR"}, nil)
	r := openReader(t, tb, nil)
	seen := map[string][]int64{}
	deadline := time.Now().Add(5 * time.Second)
	for total := 0; total < 30; {
		if time.Now().After(deadline) {
			t.Fatalf("read %d of 30 messages", total)
		}
		b, err := r.Read(bg)
		if errors.Is(err, catalog.ErrIdle) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range values(b) {
			if row[0] != row[2] {
				t.Fatalf("row %v: _group_id differs from g", row)
			}
			seen[row[0].(string)] = append(seen[row[0].(string)], row[1].(int64))
			total++
		}
		b.Release()
		pos, _ := r.Position()
		if err := r.CommitPosition(bg, pos); err != nil { // a checkpoint after every batch
			t.Fatal(err)
		}
	}
	for g, ns := range seen {
		if !slices.Equal(ns, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
			t.Fatalf("group %s came in order %v", g, ns)
		}
	}
}

// Undecodable payloads go to the dead-letter output with their message
// id; the good ones around them flow on, and all are deleted at the
// checkpoint.
func TestMalformedMessagesAreDeadLettered(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "mixed", nil)
	e.send(t, url, []string{`{"id":1}`, `{"id":`, `{"id":"two"}`, `{"id":3}`}, nil)
	tb := e.open(t, map[string]string{"queue": "mixed", "schema": "id BIGINT"}, nil)
	var reasons, raws []string
	r := openReader(t, tb, func(raw []byte, reason string) error {
		reasons, raws = append(reasons, reason), append(raws, string(raw))
		return nil
	})
	rows := readRows(t, r, 2)
	if rows[0][0] != int64(1) || rows[1][0] != int64(3) {
		t.Fatalf("rows %v, want ids 1 and 3", rows)
	}
	if len(reasons) != 2 || raws[0] != `{"id":` || !strings.Contains(reasons[0], "sqs queue mixed: message ") {
		t.Fatalf("dead letters %q %q", reasons, raws)
	}
	pos, _ := r.Position()
	if err := r.CommitPosition(bg, pos); err != nil {
		t.Fatal(err)
	}
	if vis, inflight := e.counts(t, url); vis+inflight != 0 {
		t.Fatalf("after the commit: %d visible, %d in flight; the dead letters must be deleted too", vis, inflight)
	}
}

func TestMalformedMessageWithoutDeadLetterFailsRead(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "strict", nil)
	e.send(t, url, []string{`nope`}, nil)
	tb := e.open(t, map[string]string{"queue": "strict", "schema": "id BIGINT"}, nil)
	r := openReader(t, tb, nil)
	waitFor(t, "Read to fail", func() bool {
		_, err := r.Read(bg)
		if err != nil && !errors.Is(err, catalog.ErrIdle) {
			if !strings.Contains(err.Error(), "sqs queue strict: message ") {
				t.Fatalf("error %v does not name the message", err)
			}
			return true
		}
		return false
	})
}

// A poller that cannot receive (the queue was deleted) fails Read.
func TestReceiveFailureFailsRead(t *testing.T) {
	e := newEnv(t)
	e.create(t, "doomed", nil)
	tb := e.open(t, map[string]string{"queue": "doomed", "format": "raw"}, nil)
	r := openReader(t, tb, nil)
	e.srv.FailNext("ReceiveMessage", 100, "QueueDoesNotExist")
	waitFor(t, "Read to fail", func() bool {
		_, err := r.Read(bg)
		if err != nil && !errors.Is(err, catalog.ErrIdle) {
			if !strings.Contains(err.Error(), "receiving from sqs queue doomed") || strings.Contains(err.Error(), "test-secret") {
				t.Fatalf("error %v", err)
			}
			return true
		}
		return false
	})
}

// Deletions the service fails on its side are retried; if they keep
// failing, CommitPosition fails.
func TestCommitRetriesFailedDeletes(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "flaky", nil)
	e.send(t, url, []string{"a", "b", "c"}, nil)
	tb := e.open(t, map[string]string{"queue": "flaky", "format": "raw"}, nil)
	r := openReader(t, tb, nil)
	readRows(t, r, 3)
	pos, _ := r.Position()
	e.srv.FailEntries("DeleteMessageBatch", 2, "InternalError")
	if err := r.CommitPosition(bg, pos); err != nil {
		t.Fatal(err)
	}
	if vis, inflight := e.counts(t, url); vis+inflight != 0 {
		t.Fatalf("after the retried commit: %d visible, %d in flight", vis, inflight)
	}
	e.send(t, url, []string{"d"}, nil)
	readRows(t, r, 1)
	pos, _ = r.Position()
	e.srv.FailEntries("DeleteMessageBatch", 100, "InternalError")
	if err := r.CommitPosition(bg, pos); err == nil || !strings.Contains(err.Error(), "InternalError") {
		t.Fatalf("CommitPosition with deletes failing for good: %v", err)
	}
}

// Several splits share the queue, each message going to one of them.
func TestSplitsShareTheQueue(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "wide", nil)
	e.send(t, url, jsonBodies(40), nil)
	tb := e.open(t, map[string]string{"queue": "wide", "schema": "id BIGINT", "splits": "3"}, nil)
	rs, err := tb.OpenStream(bg, catalog.StreamRequest{Columns: []int{0}, Linger: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, r := range rs {
			r.Close()
		}
	}()
	if len(rs) != 3 || rs[1].ID() != "wide/1" {
		t.Fatalf("splits %d, second id %q", len(rs), rs[1].ID())
	}
	seen := map[int64]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for len(seen) < 40 && time.Now().Before(deadline) {
		for _, r := range rs {
			b, err := r.Read(bg)
			if errors.Is(err, catalog.ErrIdle) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range values(b) {
				if seen[row[0].(int64)] {
					t.Fatalf("id %v read twice", row[0])
				}
				seen[row[0].(int64)] = true
			}
			b.Release()
		}
	}
	if len(seen) != 40 {
		t.Fatalf("read %d distinct ids, want 40", len(seen))
	}
	var p position
	pos, _ := rs[0].Position()
	if err := json.Unmarshal(pos, &p); err != nil || p.Session == "" {
		t.Fatalf("position %s", pos)
	}
}

// Closing a reader makes the messages it received but never returned
// visible again at once, for other consumers.
func TestCloseReturnsUnreadMessages(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "prefetch", nil)
	e.send(t, url, []string{"a", "b", "c", "d", "e"}, nil)
	tb := e.open(t, map[string]string{"queue": "prefetch", "format": "raw", "visibility": "1000"}, nil)
	rs, err := tb.OpenStream(bg, catalog.StreamRequest{Columns: []int{0}, BatchRows: 1, Linger: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0].(*reader)
	readRows(t, r, 1)
	r.mu.Lock()
	unread := len(r.inbox)
	r.mu.Unlock()
	if unread != 4 {
		t.Fatalf("%d messages prefetched, want 4", unread)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if vis, inflight := e.counts(t, url); vis != 4 || inflight != 1 {
		t.Fatalf("after Close: %d visible, %d in flight; want 4 and 1", vis, inflight)
	}
}

// When extending the visibility keeps failing, the message reappears and
// is received again (at least once); the commit of its stale handle is no
// error.
func TestFailedExtensionMeansRedelivery(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "lossy", nil)
	e.send(t, url, []string{"only"}, nil)
	tb := e.open(t, map[string]string{"queue": "lossy", "format": "raw", "visibility": "2"}, nil)
	e.srv.FailNext("ChangeMessageVisibilityBatch", 1000, "InvalidParameterValue")
	r := openReader(t, tb, nil)
	first := readRows(t, r, 1)
	pos, _ := r.Position()
	second := readRows(t, r, 1) // the same message, received again
	if first[0][0] != "only" || second[0][0] != "only" {
		t.Fatalf("read %v then %v", first, second)
	}
	if err := r.CommitPosition(bg, pos); err != nil {
		t.Fatalf("committing a stale handle: %v", err)
	}
	pos, _ = r.Position()
	e.srv.FailNext("ChangeMessageVisibilityBatch", 0, "")
	if err := r.CommitPosition(bg, pos); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the queue to empty", func() bool {
		vis, inflight := e.counts(t, url)
		return vis+inflight == 0
	})
}
