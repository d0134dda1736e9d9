package conformance

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
)

// checkOrder: a fresh reader delivers every message, messages produced
// before and after it opened, each key from one split and in order.
func checkOrder(t *testing.T, s *Source) error {
	run, n, keys := newRun("order"), 200, 5
	s.Produce(t, messages(run, 0, n/2, keys))
	ss, err := open(t, s, run, 0)
	if err != nil {
		return err
	}
	s.Produce(t, messages(run, n/2, n/2, keys))
	if err := ss.readUntil(s.timeout(), "every message", func() bool { return ss.distinct() == n }); err != nil {
		return err
	}
	if err := ss.checkKeys(s); err != nil {
		return err
	}
	if s.Replayable && len(ss.rows) != n {
		return fmt.Errorf("%d rows for %d messages: duplicates from a fresh reader", len(ss.rows), n)
	}
	return ss.close()
}

// checkKeys checks each key came from one split, in produced order
// (first deliveries; redeliveries may repeat older messages).
func (ss *session) checkKeys(s *Source) error {
	splitOf := map[string]string{}
	last := map[string]int64{}
	seen := map[int64]bool{}
	for _, r := range ss.rows {
		if sp, ok := splitOf[r.key]; ok && sp != r.split {
			return fmt.Errorf("key %s came from splits %s and %s: a key's messages must share a split", r.key, sp, r.split)
		}
		splitOf[r.key] = r.split
		if seen[r.seq] {
			continue
		}
		seen[r.seq] = true
		if prev, ok := last[r.key]; ok && prev > r.seq && !s.Unordered {
			return fmt.Errorf("key %s: seq %d came after %d: per-key order broken", r.key, r.seq, prev)
		}
		last[r.key] = r.seq
	}
	return nil
}

// checkRestartBeforeCommit: a reader that read messages and closed before
// any checkpoint acknowledged them loses nothing: a fresh reader gets them.
func checkRestartBeforeCommit(t *testing.T, s *Source) error {
	run, n := newRun("restart"), 100
	s.Produce(t, messages(run, 0, n, 4))
	a, err := open(t, s, run, 10)
	if err != nil {
		return err
	}
	if err := a.readUntil(s.timeout(), "a first batch", func() bool { return len(a.rows) > 0 }); err != nil {
		return err
	}
	if err := a.close(); err != nil {
		return err
	}
	b, err := open(t, s, run, 10)
	if err != nil {
		return err
	}
	if err := b.readUntil(s.timeout(), "every message again after the restart", func() bool { return b.distinct() == n }); err != nil {
		return err
	}
	return b.close()
}

// checkResume: the runtime's checkpoint protocol. Reader A reads part of
// the stream, the checkpoint takes its positions, A reads on, the
// checkpoint becomes durable (CommitPosition), A dies. A resumed reader
// (Seek to the positions when Replayable) delivers exactly the messages
// after the checkpoint; otherwise at least those, and none that were
// acknowledged.
func checkResume(t *testing.T, s *Source) error {
	run, n := newRun("resume"), 120
	s.Produce(t, messages(run, 0, n, 4))
	a, err := open(t, s, run, 16)
	if err != nil {
		return err
	}
	if err := a.readUntil(s.timeout(), "half the messages", func() bool { return a.distinct() >= n/2 }); err != nil {
		return err
	}
	pos, err := a.positions()
	if err != nil {
		return err
	}
	before := map[int64]bool{}
	for _, r := range a.rows {
		before[r.seq] = true
	}
	// Read on past the checkpoint: these reads must not be acknowledged.
	if err := a.readUntil(s.timeout(), "the rest", func() bool { return a.distinct() == n }); err != nil {
		return err
	}
	acks, err := a.commit(pos)
	if err != nil {
		return err
	}
	if err := a.close(); err != nil {
		return err
	}
	b, err := open(t, s, run, 16)
	if err != nil {
		return err
	}
	if s.Replayable {
		if err := b.seek(pos); err != nil {
			return err
		}
	}
	covered := func() bool {
		seen := map[int64]bool{}
		for _, r := range b.rows {
			if !before[r.seq] {
				seen[r.seq] = true
			}
		}
		return len(seen) == n-len(before)
	}
	if err := b.readUntil(s.timeout(), "the messages after the checkpoint", covered); err != nil {
		return err
	}
	for _, r := range b.rows {
		if before[r.seq] && (s.Replayable || acks) {
			return fmt.Errorf("seq %d, read before the checkpoint, came again after resuming from it", r.seq)
		}
	}
	if s.Replayable && len(b.rows) != n-len(before) {
		return fmt.Errorf("the resumed reader read %d rows for the %d messages after the checkpoint: not exactly once", len(b.rows), n-len(before))
	}
	return b.close()
}

// checkBoundedBatches: batches hold at most BatchRows rows, and a slow
// consumer does not make the reader buffer the backlog as Arrow memory.
func checkBoundedBatches(t *testing.T, s *Source) error {
	const batchRows, n, limit = 8, 2000, 32 << 10
	run := newRun("bounded")
	s.Produce(t, messages(run, 0, n, 4))
	ss, err := open(t, s, run, batchRows)
	if err != nil {
		return err
	}
	if err := ss.readUntil(s.timeout(), "a first batch", func() bool { return len(ss.rows) > 0 }); err != nil {
		return err
	}
	// The consumer stalls; whatever a reader prefetches meanwhile must stay
	// bounded (the whole backlog is about 100 KiB as Arrow).
	deadline := time.Now().Add(200 * time.Millisecond)
	for time.Now().Before(deadline) {
		if held := ss.mem.CurrentAlloc(); held > limit {
			return fmt.Errorf("the reader holds %d bytes of Arrow memory while the consumer stalls (limit %d): it buffers the backlog", held, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := ss.readUntil(s.timeout(), "every message", func() bool { return ss.distinct() == n }); err != nil {
		return err
	}
	if ss.biggest > batchRows {
		return fmt.Errorf("a batch of %d rows for BatchRows %d", ss.biggest, batchRows)
	}
	return ss.close()
}

// checkShutdown: Close releases everything: Arrow memory, goroutines
// (back to the baseline), and the reader refuses to Read afterwards.
func checkShutdown(t *testing.T, s *Source) error {
	baseline := settledGoroutines()
	run := newRun("shutdown")
	s.Produce(t, messages(run, 0, 50, 2))
	ss, err := open(t, s, run, 0)
	if err != nil {
		return err
	}
	if err := ss.readUntil(s.timeout(), "a first batch", func() bool { return len(ss.rows) > 0 }); err != nil {
		return err
	}
	if err := ss.close(); err != nil {
		return err
	}
	for _, r := range ss.readers {
		if err := r.Close(); err != nil {
			return fmt.Errorf("closing split %s twice: %w", r.ID(), err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		b, err := r.Read(ctx)
		cancel()
		if b != nil {
			b.Release()
		}
		if err == nil || errors.Is(err, catalog.ErrIdle) {
			return fmt.Errorf("Read on closed split %s returned %v, want an error", r.ID(), err)
		}
	}
	wait := min(5*time.Second, s.timeout())
	deadline := time.Now().Add(wait)
	for {
		n := runtime.NumGoroutine()
		if n <= baseline+s.LeakSlack {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d goroutines %s after Close, %d before Open: the reader or its client leaks goroutines", n, wait, baseline)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settledGoroutines counts goroutines once the count holds still (five
// samples 10 ms apart, for at most a second): goroutines of earlier checks
// still winding down would otherwise raise the baseline, then exit and
// hide a leak of the same size.
func settledGoroutines() int {
	n, same := runtime.NumGoroutine(), 0
	for deadline := time.Now().Add(time.Second); same < 5 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		if m := runtime.NumGoroutine(); m == n {
			same++
		} else {
			n, same = m, 0
		}
	}
	return n
}

// checkDeadLetters: a malformed payload goes to the dead letters with a
// reason, and the messages around it flow on.
func checkDeadLetters(t *testing.T, s *Source) error {
	if !s.DeadLetters {
		t.Skip("the harness says the reader does not decode payloads")
	}
	run := newRun("dead")
	msgs := messages(run, 0, 10, 1)
	bad := fmt.Sprintf(`{"run":%q,"seq":`, run) // truncated JSON, tagged with the run
	msgs = append(msgs[:5], append([]Message{{Key: []byte("k0"), Value: []byte(bad)}}, msgs[5:]...)...)
	s.Produce(t, msgs)
	ss, err := open(t, s, run, 0)
	if err != nil {
		return err
	}
	ours := func() []deadLetter {
		ss.mu.Lock()
		defer ss.mu.Unlock()
		var out []deadLetter
		for _, d := range ss.dead {
			if strings.Contains(d.raw, run) {
				out = append(out, d)
			}
		}
		return out
	}
	if err := ss.readUntil(s.timeout(), "the good messages and the dead letter", func() bool {
		return ss.distinct() == 10 && len(ours()) > 0
	}); err != nil {
		return err
	}
	d := ours()
	if d[0].raw != bad || strings.TrimSpace(d[0].reason) == "" {
		return fmt.Errorf("dead letter %+v, want raw %q with a reason", d[0], bad)
	}
	if s.Replayable && len(d) != 1 {
		return fmt.Errorf("%d dead letters for one malformed message", len(d))
	}
	if err := ss.checkKeys(s); err != nil {
		return err
	}
	return ss.close()
}

// checkReconnect: a reader rides out a server restart; Read must not fail
// (the runtime would fail the job) and messages produced after the
// restart arrive.
func checkReconnect(t *testing.T, s *Source) error {
	if s.RestartServer == nil {
		t.Skip("the harness cannot restart its server")
	}
	run, n := newRun("reconnect"), 40
	s.Produce(t, messages(run, 0, n/2, 2))
	ss, err := open(t, s, run, 0)
	if err != nil {
		return err
	}
	if err := ss.readUntil(s.timeout(), "the messages before the restart", func() bool { return ss.distinct() == n/2 }); err != nil {
		return err
	}
	s.RestartServer(t)
	s.Produce(t, messages(run, n/2, n/2, 2))
	if err := ss.readUntil(s.timeout(), "the messages after the restart", func() bool { return ss.distinct() == n }); err != nil {
		return err
	}
	if err := ss.checkKeys(s); err != nil {
		return err
	}
	return ss.close()
}
