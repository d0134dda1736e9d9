package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// Sink is the harness of a sink connector.
type Sink struct {
	Name string
	// Open returns a fresh table (a new client) over the test destination.
	Open func(t *testing.T) catalog.SinkTable
	// Read returns every payload delivered so far, in delivery order: JSON
	// objects with (at least) the fields of Columns.
	Read func(t *testing.T) [][]byte
	// ExactlyOnce: Restore discards what was written after the restored
	// checkpoint. Otherwise the sink is at least once and every row must
	// arrive at least once.
	ExactlyOnce bool
	// DedupKey, for an at-least-once sink, is the payload field that
	// marks a replay (e.g. "_idempotency_key"): a replayed row must carry
	// the same value and payload, and after dropping repeats every row
	// must be there exactly once.
	DedupKey string
}

// RunSink runs every sink check as a subtest.
func RunSink(t *testing.T, s Sink) {
	if s.Open == nil || s.Read == nil {
		t.Fatal("conformance: Sink needs Open and Read")
	}
	checks := []struct {
		name string
		run  func(t *testing.T, s *Sink) error
	}{
		{"write_and_commit", checkSinkCommit},
		{"resume_after_crash", checkSinkResume},
		{"lifecycle", checkSinkLifecycle},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(t, &s); err != nil {
				t.Errorf("%s: %s: %v", s.Name, c.name, err)
			}
		})
	}
}

// openSink opens a fresh table's sink for Schema.
func (s *Sink) openSink(t *testing.T) (catalog.Sink, func(), error) {
	tbl := s.Open(t)
	release := func() {
		if tt, ok := tbl.(catalog.Table); ok {
			catalog.ReleaseTable(tt)
		}
	}
	k, err := tbl.OpenSink(context.Background(), Schema)
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("opening the sink: %w", err)
	}
	return k, release, nil
}

// batch builds rows seq from..to-1 of run over keys keys.
func batch(mem memory.Allocator, run string, from, to, keys int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, Schema)
	defer b.Release()
	for seq := from; seq < to; seq++ {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("k%d", seq%keys))
		b.Field(1).(*array.Int64Builder).Append(int64(seq))
		b.Field(2).(*array.StringBuilder).Append(run)
	}
	return b.NewRecordBatch()
}

func writeRows(k catalog.Sink, mem memory.Allocator, run string, from, to int) error {
	b := batch(mem, run, from, to, 3)
	defer b.Release()
	if err := k.Write(context.Background(), b); err != nil {
		return fmt.Errorf("writing rows %d to %d: %w", from, to-1, err)
	}
	return nil
}

// delivered reads the payloads of run back: seqs in delivery order, after
// dropping replays by DedupKey.
func (s *Sink) delivered(t *testing.T, run string) ([]int64, map[int64]string, error) {
	var seqs []int64
	keyOf := map[int64]string{}
	byKey := map[string][]byte{}
	for _, p := range s.Read(t) {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(p))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, nil, fmt.Errorf("payload %q is not a JSON object: %w", p, err)
		}
		if m["run"] != run {
			continue
		}
		n, err := m["seq"].(json.Number).Int64()
		if err != nil {
			return nil, nil, fmt.Errorf("payload %q: seq: %v", p, err)
		}
		k, _ := m["k"].(string)
		keyOf[n] = k
		if s.DedupKey != "" {
			dk := fmt.Sprint(m[s.DedupKey])
			if m[s.DedupKey] == nil {
				return nil, nil, fmt.Errorf("payload %q has no %s", p, s.DedupKey)
			}
			if first, ok := byKey[dk]; ok {
				if !bytes.Equal(first, p) {
					return nil, nil, fmt.Errorf("%s %s came with two payloads: %s and %s", s.DedupKey, dk, first, p)
				}
				continue
			}
			byKey[dk] = p
		}
		seqs = append(seqs, n)
	}
	return seqs, keyOf, nil
}

// checkDelivered checks seqs 0..n-1 arrived, once each when exact, each
// key's in order (first deliveries).
func (s *Sink) checkDelivered(t *testing.T, run string, n int) error {
	seqs, keyOf, err := s.delivered(t, run)
	if err != nil {
		return err
	}
	exact := s.ExactlyOnce || s.DedupKey != ""
	count := map[int64]int{}
	last := map[string]int64{}
	for _, seq := range seqs {
		if count[seq]++; count[seq] > 1 {
			if exact {
				return fmt.Errorf("seq %d delivered %d times", seq, count[seq])
			}
			continue
		}
		if prev, ok := last[keyOf[seq]]; ok && prev > seq {
			return fmt.Errorf("key %s: seq %d delivered after %d", keyOf[seq], seq, prev)
		}
		last[keyOf[seq]] = seq
	}
	for seq := range int64(n) {
		if count[seq] == 0 {
			return fmt.Errorf("seq %d was not delivered (%d payloads of the run)", seq, len(seqs))
		}
	}
	if len(count) != n {
		return fmt.Errorf("%d distinct rows delivered, %d written", len(count), n)
	}
	return nil
}

// checkSinkCommit: rows written and committed are delivered.
func checkSinkCommit(t *testing.T, s *Sink) error {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	run := newRun("sink")
	k, release, err := s.openSink(t)
	if err != nil {
		return err
	}
	defer release()
	for _, r := range [][2]int{{0, 20}, {20, 50}} {
		if err := writeRows(k, mem, run, r[0], r[1]); err != nil {
			k.Close()
			return err
		}
	}
	if _, err := k.PreCommit(context.Background(), 1); err != nil {
		k.Close()
		return fmt.Errorf("pre-committing: %w", err)
	}
	if err := k.Commit(context.Background(), 1); err != nil {
		k.Close()
		return fmt.Errorf("committing: %w", err)
	}
	if err := k.Close(); err != nil {
		return fmt.Errorf("closing: %w", err)
	}
	if n := mem.CurrentAlloc(); n != 0 {
		return fmt.Errorf("%d bytes of Arrow memory left (Write borrows batches)", n)
	}
	return s.checkDelivered(t, run, 50)
}

// checkSinkResume: a job writes and commits checkpoint 1, writes more and
// pre-commits checkpoint 2 (which never becomes durable), writes again and
// crashes; the resumed job restores checkpoint 1 and writes everything
// after it again. Exactly-once sinks deliver each row once; others at
// least once (once after dropping replays by DedupKey).
func checkSinkResume(t *testing.T, s *Sink) error {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	ctx := context.Background()
	run := newRun("sink-resume")
	k, release, err := s.openSink(t)
	if err != nil {
		return err
	}
	var st []byte
	for _, step := range []func() error{
		func() error { return writeRows(k, mem, run, 0, 30) },
		func() (err error) { st, err = k.PreCommit(ctx, 1); return err },
		func() error { return k.Commit(ctx, 1) },
	} {
		if err := step(); err != nil {
			k.Close()
			release()
			return fmt.Errorf("the first job: %w", err)
		}
	}
	for _, step := range []func() error{
		func() error { return writeRows(k, mem, run, 30, 60) },
		func() error { _, err := k.PreCommit(ctx, 2); return err },
		func() error { return writeRows(k, mem, run, 60, 70) },
	} {
		if err := step(); err != nil {
			k.Close()
			release()
			return fmt.Errorf("the first job: %w", err)
		}
	}
	k.Close() // the crash: checkpoint 2 never became durable
	release()

	k2, release2, err := s.openSink(t)
	if err != nil {
		return err
	}
	defer release2()
	for _, step := range []func() error{
		func() error { return k2.Restore(ctx, st) },
		func() error { return writeRows(k2, mem, run, 30, 55) },
		func() error { return writeRows(k2, mem, run, 55, 80) },
		func() error { _, err := k2.PreCommit(ctx, 2); return err },
		func() error { return k2.Commit(ctx, 2) },
	} {
		if err := step(); err != nil {
			k2.Close()
			return fmt.Errorf("the resumed job: %w", err)
		}
	}
	if err := k2.Close(); err != nil {
		return fmt.Errorf("closing: %w", err)
	}
	if n := mem.CurrentAlloc(); n != 0 {
		return fmt.Errorf("%d bytes of Arrow memory left (Write borrows batches)", n)
	}
	return s.checkDelivered(t, run, 80)
}

// checkSinkLifecycle: checkpoints without rows, Close twice, no Write
// after Close.
func checkSinkLifecycle(t *testing.T, s *Sink) error {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	ctx := context.Background()
	k, release, err := s.openSink(t)
	if err != nil {
		return err
	}
	defer release()
	for epoch := int64(1); epoch <= 2; epoch++ {
		if _, err := k.PreCommit(ctx, epoch); err != nil {
			k.Close()
			return fmt.Errorf("pre-committing an empty checkpoint: %w", err)
		}
		if err := k.Commit(ctx, epoch); err != nil {
			k.Close()
			return fmt.Errorf("committing an empty checkpoint: %w", err)
		}
	}
	if err := k.Close(); err != nil {
		return fmt.Errorf("closing: %w", err)
	}
	if err := k.Close(); err != nil {
		return fmt.Errorf("closing twice: %w", err)
	}
	b := batch(mem, newRun("closed"), 0, 1, 1)
	defer b.Release()
	if err := k.Write(ctx, b); err == nil {
		return fmt.Errorf("Write after Close succeeded")
	}
	return nil
}
