package memory

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// firstCol renders the first column of rows.
func firstCol(rows [][]any) string {
	var parts []string
	for _, r := range rows {
		parts = append(parts, fmt.Sprint(r[0]))
	}
	return strings.Join(parts, ",")
}

// write writes events from..to-1 (allocated from mem, released after).
func write(t *testing.T, s catalog.Sink, mem memory.Allocator, from, to int64) {
	t.Helper()
	b := events(mem, from, to)
	defer b.Release()
	if err := s.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

func TestSinkExactlyOncePerCheckpoint(t *testing.T) {
	// The job's allocator is empty after the job although the sink
	// keeps the rows: the sink copies.
	mem := checkedMem(t)
	ctx := context.Background()
	sink := NewSink()
	defer sink.Release()
	s, err := sink.OpenSink(ctx, eventSchema)
	if err != nil {
		t.Fatal(err)
	}
	write(t, s, mem, 0, 3)
	st, err := s.PreCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(st) != `{"rows":3}` {
		t.Errorf("state = %s", st)
	}
	if got := firstCol(sink.Committed()); got != "" {
		t.Errorf("committed before Commit: %s", got)
	}
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	write(t, s, mem, 3, 5)
	if got := firstCol(sink.Rows()); got != "0,1,2,3,4" {
		t.Errorf("rows = %s", got)
	}
	if got := firstCol(sink.Committed()); got != "0,1,2" {
		t.Errorf("committed = %s", got)
	}
	if _, err := s.PreCommit(ctx, 2); err != nil {
		t.Fatal(err)
	}
	write(t, s, mem, 5, 6)
	// Crash before epoch 2 is durable: the job closes without Commit and
	// resumes from epoch 1.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if sink.Len() != 6 {
		t.Errorf("Close dropped rows: %d left", sink.Len())
	}
	r, err := sink.OpenSink(ctx, eventSchema)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Restore(ctx, st); err != nil {
		t.Fatal(err)
	}
	write(t, r, mem, 3, 4)
	if got := firstCol(sink.Rows()); got != "0,1,2,3" {
		t.Errorf("after resume rows = %s", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	lines := sink.JSONL()
	if len(lines) != 4 || lines[3] != `{"id":3,"ts":"1970-01-01 00:00:03"}` {
		t.Errorf("JSONL = %q", lines)
	}
	bs := sink.Batches()
	var n int64
	for _, b := range bs {
		n += b.NumRows()
		b.Release()
	}
	if n != 4 || !sink.Schema().Equal(eventSchema) {
		t.Errorf("Batches hold %d rows", n)
	}

	// A fresh job (no Restore) starts the sink empty, even without rows.
	f, err := sink.OpenSink(ctx, eventSchema)
	if err != nil {
		t.Fatal(err)
	}
	if sink.Len() != 4 {
		t.Error("OpenSink emptied the sink before knowing whether the job resumes")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if sink.Len() != 0 || len(sink.Committed()) != 0 {
		t.Errorf("a fresh job left %d rows", sink.Len())
	}
}

func TestSinkTruncatesWithinABatch(t *testing.T) {
	mem := checkedMem(t)
	ctx := context.Background()
	sink := NewSink()
	s, _ := sink.OpenSink(ctx, eventSchema)
	write(t, s, mem, 0, 2)
	write(t, s, mem, 2, 6)
	s.Close()
	r, _ := sink.OpenSink(ctx, eventSchema)
	if err := r.Restore(ctx, []byte(`{"rows":4}`)); err != nil {
		t.Fatal(err)
	}
	if got := firstCol(sink.Rows()); got != "0,1,2,3" {
		t.Errorf("rows = %s", got)
	}
	r.Close()
	sink.Release()
	if sink.Len() != 0 {
		t.Errorf("Release left %d rows", sink.Len())
	}
}

func TestSinkErrors(t *testing.T) {
	mem := checkedMem(t)
	ctx := context.Background()
	sink := NewSink()
	defer sink.Release()
	b := events(mem, 0, 1)
	defer b.Release()
	if err := sink.Write(ctx, b); err == nil || !strings.Contains(err.Error(), "not open") {
		t.Errorf("Write before OpenSink = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := sink.OpenSink(cancelled, eventSchema); err == nil {
		t.Error("cancelled OpenSink succeeded")
	}
	s, err := sink.OpenSink(ctx, eventSchema)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sink.OpenSink(ctx, eventSchema); err == nil || !strings.Contains(err.Error(), "already open") {
		t.Errorf("second OpenSink = %v", err)
	}
	for _, c := range []struct{ state, msg string }{
		{"x", "malformed state"},
		{`{"rows":-2}`, "malformed state"},
		{`{"rows":9}`, "holds 0 rows but the checkpoint committed 9"},
	} {
		if err := s.Restore(ctx, []byte(c.state)); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Restore(%s) = %v", c.state, err)
		}
	}
	if err := s.Write(cancelled, b); err == nil {
		t.Error("Write with a cancelled context succeeded")
	}
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(ctx, []byte(`{"rows":0}`)); err == nil || !strings.Contains(err.Error(), "before any Write") {
		t.Errorf("Restore after Write = %v", err)
	}
	if err := s.Commit(ctx, 4); err == nil || !strings.Contains(err.Error(), "not pre-committed") {
		t.Errorf("Commit without PreCommit = %v", err)
	}
	s.Close()
	if _, err := s.PreCommit(ctx, 1); err == nil {
		t.Error("PreCommit after Close succeeded")
	}
	if err := s.Commit(ctx, 1); err == nil {
		t.Error("Commit after Close succeeded")
	}
	if err := s.Restore(ctx, []byte(`{"rows":0}`)); err == nil {
		t.Error("Restore after Close succeeded")
	}
	// A batch of another shape is refused.
	w, _ := NewSink().OpenSink(ctx, arrow.NewSchema(eventSchema.Fields()[:1], nil))
	if err := w.Write(ctx, b); err == nil || !strings.Contains(err.Error(), "2 columns, the sink 1") {
		t.Errorf("Write of another shape = %v", err)
	}
}

// TestSinkAccessorsWhileWriting runs under -race: a reader polls the
// accessors while the job writes and checkpoints.
func TestSinkAccessorsWhileWriting(t *testing.T) {
	mem := checkedMem(t)
	ctx := context.Background()
	sink := NewSink()
	defer sink.Release()
	s, _ := sink.OpenSink(ctx, eventSchema)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			_ = sink.Rows()
			_ = sink.Committed()
			_ = sink.JSONL()
			for _, b := range sink.Batches() {
				b.Release()
			}
		}
	}()
	for i := int64(0); i < 50; i++ {
		write(t, s, mem, i, i+1)
		if _, err := s.PreCommit(ctx, i); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	if len(sink.Committed()) != 50 {
		t.Errorf("committed %d rows", len(sink.Committed()))
	}
	s.Close()
}
