package memory

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

func TestStreamReadsRowsWatermarksAndEnd(t *testing.T) {
	mem := checkedMem(t)
	s := NewStream(eventSchema)
	defer s.Release()
	r := openStream(t, s, catalog.StreamRequest{Columns: []int{1, 0}, BatchRows: 2, Linger: -1})[0]
	if r.ID() != "memory" {
		t.Errorf("ID = %q", r.ID())
	}
	wm := r.(*SplitReader)
	if _, ok := wm.SourceWatermark(); ok {
		t.Error("a watermark before any was declared")
	}
	if got := step(t, r); got != "idle" {
		t.Fatalf("empty stream: %s", got)
	}
	appendEvents(t, s, mem, 0, 0, 3)
	if err := s.Watermark(2_000_000); err != nil {
		t.Fatal(err)
	}
	appendEvents(t, s, mem, 0, 3, 5)
	if err := s.Watermark(1_000_000); err != nil { // behind: ignored
		t.Fatal(err)
	}
	s.CloseWrite()
	want := []struct {
		read string
		wm   int64 // -1: none
	}{
		{"1970-01-01 00:00:00|0\n1970-01-01 00:00:01|1\n", -1}, // BatchRows caps the batch
		{"1970-01-01 00:00:02|2\n", 2_000_000},                 // stops at the watermark, which then holds
		{"1970-01-01 00:00:03|3\n1970-01-01 00:00:04|4\n", 2_000_000},
		{"eof", 2_000_000},
	}
	for i, w := range want {
		if got := step(t, r); got != w.read {
			t.Fatalf("read %d = %q, want %q", i, got, w.read)
		}
		ts, ok := wm.SourceWatermark()
		if (w.wm < 0) == ok || (ok && ts != w.wm) {
			t.Errorf("after read %d: watermark %d, %v; want %d", i, ts, ok, w.wm)
		}
	}
	if got := step(t, r); got != "eof" {
		t.Errorf("after the end: %s", got)
	}
}

func TestStreamWatermarkWithoutRowsIsIdleAtOnce(t *testing.T) {
	mem := checkedMem(t)
	s := NewStream(eventSchema)
	defer s.Release()
	// A long linger: a Read that only passes a watermark must not wait.
	r := openStream(t, s, catalog.StreamRequest{Columns: []int{0}, Linger: time.Hour})[0]
	appendEvents(t, s, mem, 0, 0, 2)
	if got := step(t, r); got != "0\n1\n" {
		t.Fatalf("read = %q", got)
	}
	if err := s.Watermark(5_000_000); err != nil {
		t.Fatal(err)
	}
	appendEvents(t, s, mem, 0, 2, 3)
	// The watermark comes first, alone, then the row after it.
	if got := step(t, r); got != "idle" {
		t.Fatalf("read = %q, want idle", got)
	}
	if ts, ok := r.(*SplitReader).SourceWatermark(); !ok || ts != 5_000_000 {
		t.Errorf("watermark = %d, %v", ts, ok)
	}
	if got := step(t, r); got != "2\n" {
		t.Fatalf("read = %q", got)
	}
}

// TestStreamSeekResumesExactly reads part of a split, resumes a fresh
// reader at the position and checks the parts make the whole once, for
// every split point, watermarks included.
func TestStreamSeekResumesExactly(t *testing.T) {
	mem := checkedMem(t)
	s := NewStream(eventSchema)
	defer s.Release()
	for i := int64(0); i < 20; i += 4 {
		appendEvents(t, s, mem, 0, i, i+4)
		if err := s.Watermark(i * 1_000_000); err != nil {
			t.Fatal(err)
		}
	}
	s.CloseWrite()
	req := catalog.StreamRequest{Columns: []int{0}, BatchRows: 3, Linger: -1}
	whole := ids(t, openStream(t, s, req)[0])
	if len(whole) != 20 {
		t.Fatalf("whole = %v", whole)
	}
	for k := 0; k <= 16; k++ {
		first := openStream(t, s, req)[0]
		var head []string
		for range k {
			b, err := first.Read(context.Background())
			if err != nil {
				continue // idle (a watermark) or the end
			}
			for i := 0; i < int(b.NumRows()); i++ {
				head = append(head, strings.TrimSpace(text(b.NewSlice(int64(i), int64(i+1)))))
			}
			b.Release()
		}
		pos, err := first.Position()
		if err != nil {
			t.Fatal(err)
		}
		wm1, ok1 := first.(*SplitReader).SourceWatermark()
		second := openStream(t, s, req)[0]
		if err := second.Seek(context.Background(), pos); err != nil {
			t.Fatal(err)
		}
		if wm2, ok2 := second.(*SplitReader).SourceWatermark(); wm1 != wm2 || ok1 != ok2 {
			t.Errorf("k=%d: watermark after Seek %d,%v; before %d,%v", k, wm2, ok2, wm1, ok1)
		}
		if got := append(head, ids(t, second)...); !slices.Equal(got, whole) {
			t.Fatalf("k=%d (position %s): %v, want %v", k, pos, got, whole)
		}
	}
}

func TestStreamSeekAheadWaitsForRows(t *testing.T) {
	mem := checkedMem(t)
	s := NewStream(eventSchema)
	defer s.Release()
	r := openStream(t, s, catalog.StreamRequest{Columns: []int{0}, Linger: -1})[0]
	if err := r.Seek(context.Background(), []byte(`{"rows":3,"marks":0}`)); err != nil {
		t.Fatal(err)
	}
	appendEvents(t, s, mem, 0, 0, 2)
	if got := step(t, r); got != "idle" {
		t.Fatalf("read = %q", got)
	}
	appendEvents(t, s, mem, 0, 2, 5)
	if got := step(t, r); got != "3\n4\n" {
		t.Fatalf("read = %q", got)
	}
	for _, bad := range []string{"x", `{"rows":-1}`} {
		if err := r.Seek(context.Background(), []byte(bad)); err == nil || !strings.Contains(err.Error(), "malformed position") {
			t.Errorf("Seek(%s) = %v", bad, err)
		}
	}
	r.Close()
	if err := r.Seek(context.Background(), nil); err == nil {
		t.Error("Seek after Close succeeded")
	}
	if _, err := r.Read(context.Background()); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Read after Close = %v", err)
	}
}

func TestStreamReadWaitsWithinLinger(t *testing.T) {
	mem := checkedMem(t)
	s := NewStream(eventSchema)
	defer s.Release()
	r := openStream(t, s, catalog.StreamRequest{Columns: []int{0}, Linger: time.Hour})[0]
	got := make(chan string)
	go func() { got <- step(t, r) }()
	appendEvents(t, s, mem, 0, 0, 1) // wakes the reader, wherever it is
	if g := <-got; g != "0\n" {
		t.Errorf("read = %q", g)
	}
	// A short linger with nothing: idle. A cancelled wait: the context's error.
	short := openStream(t, s, catalog.StreamRequest{Columns: []int{0}, Linger: time.Millisecond})[0]
	step(t, short)
	if g := step(t, short); g != "idle" {
		t.Errorf("read = %q", g)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := r.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Read = %v", err)
	}
	if _, err := r.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Read with a done context = %v", err)
	}
	// CloseWrite wakes a waiting reader too.
	go func() { got <- step(t, r) }()
	s.CloseWrite()
	if g := <-got; g != "eof" {
		t.Errorf("read = %q", g)
	}
}

func TestStreamSplits(t *testing.T) {
	mem := checkedMem(t)
	s := NewStreamSplits(eventSchema, 2)
	defer s.Release()
	if s.Splits() != 2 || s.Describe() != "memory stream (2 splits)" || NewStream(eventSchema).Describe() != "memory stream" {
		t.Errorf("Splits %d, Describe %q", s.Splits(), s.Describe())
	}
	rs := openStream(t, s, catalog.StreamRequest{Columns: []int{0}, Linger: -1})
	if rs[0].ID() != "memory/0" || rs[1].ID() != "memory/1" {
		t.Errorf("IDs %s %s", rs[0].ID(), rs[1].ID())
	}
	// Split 1 runs ahead; split 0 stays idle.
	appendEvents(t, s, mem, 1, 10, 12)
	if err := s.WatermarkTo(1, 11_000_000); err != nil {
		t.Fatal(err)
	}
	if got := step(t, rs[0]); got != "idle" {
		t.Errorf("split 0: %s", got)
	}
	if got := step(t, rs[1]); got != "10\n11\n" {
		t.Errorf("split 1: %s", got)
	}
	if ts, _ := rs[1].(*SplitReader).SourceWatermark(); ts != 11_000_000 {
		t.Errorf("split 1 watermark %d", ts)
	}
	if _, ok := rs[0].(*SplitReader).SourceWatermark(); ok {
		t.Error("split 0 has a watermark")
	}
	appendEvents(t, s, mem, 0, 1, 2)
	if s.Rows(0) != 1 || s.Rows(1) != 2 || s.Rows(7) != 0 {
		t.Errorf("Rows = %d %d", s.Rows(0), s.Rows(1))
	}
	s.CloseWrite()
	if got := ids(t, rs[0]); !slices.Equal(got, []string{"1"}) {
		t.Errorf("split 0 = %v", got)
	}
	if got := step(t, rs[1]); got != "eof" {
		t.Errorf("split 1 = %s", got)
	}
}

func TestStreamScanIsASnapshot(t *testing.T) {
	mem := checkedMem(t)
	s := NewStreamSplits(eventSchema, 2)
	defer s.Release()
	appendEvents(t, s, mem, 0, 0, 2)
	appendEvents(t, s, mem, 1, 5, 6)
	rd, err := s.Scan(context.Background(), catalog.ScanRequest{Columns: []int{0, 0}, Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	appendEvents(t, s, mem, 0, 2, 3) // after the scan started: not in it
	var got string
	for {
		b, err := rd.Next(context.Background())
		if err != nil {
			break
		}
		got += text(b)
	}
	rd.Close()
	if got != "0|0\n1|1\n5|5\n" {
		t.Errorf("scan = %q", got)
	}
	// A reader closed early releases the rest.
	rd, err = s.Scan(context.Background(), catalog.ScanRequest{Columns: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	rd.Close()
	if _, err := s.Scan(context.Background(), catalog.ScanRequest{Columns: []int{2}}); err == nil {
		t.Error("bad column accepted")
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Scan(cancelled, catalog.ScanRequest{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Scan = %v", err)
	}
}

func TestStreamErrors(t *testing.T) {
	mem := checkedMem(t)
	ctx := context.Background()
	s := NewStream(eventSchema)
	b := events(mem, 0, 1)
	defer b.Release()
	if err := s.AppendTo(1, b); err == nil || !strings.Contains(err.Error(), "no split 1") {
		t.Errorf("AppendTo(1) = %v", err)
	}
	narrow := b.NewSlice(0, 1)
	defer narrow.Release()
	one := arrow.NewSchema(eventSchema.Fields()[:1], nil)
	if err := NewStream(one).Append(b); err == nil || !strings.Contains(err.Error(), "got 2 columns, want 1") {
		t.Errorf("Append of another shape = %v", err)
	}
	swapped := arrow.NewSchema([]arrow.Field{eventSchema.Field(1), eventSchema.Field(0)}, nil)
	if err := NewStream(swapped).Append(b); err == nil || !strings.Contains(err.Error(), "has type int64") {
		t.Errorf("Append of other types = %v", err)
	}
	if _, err := s.OpenStream(ctx, catalog.StreamRequest{Columns: []int{5}}); err == nil {
		t.Error("bad column accepted")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.OpenStream(cancelled, catalog.StreamRequest{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled OpenStream = %v", err)
	}
	r := openStream(t, s, catalog.StreamRequest{Columns: []int{0}, Linger: -1})[0]
	if _, err := r.Read(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a cancelled context = %v", err)
	}
	s.CloseWrite()
	s.CloseWrite()
	if err := s.Append(b); !errors.Is(err, ErrClosedForWriting) {
		t.Errorf("Append after CloseWrite = %v", err)
	}
	if err := s.Watermark(1); !errors.Is(err, ErrClosedForWriting) {
		t.Errorf("Watermark after CloseWrite = %v", err)
	}
	s.Release()
	s.Release()
	if _, err := r.Read(ctx); err == nil || !strings.Contains(err.Error(), "released") {
		t.Errorf("Read after Release = %v", err)
	}
	if _, err := s.Scan(ctx, catalog.ScanRequest{}); err == nil {
		t.Error("Scan after Release succeeded")
	}
	if err := s.Append(b); err == nil || !strings.Contains(err.Error(), "released") {
		t.Errorf("Append after Release = %v", err)
	}
	// An empty batch is accepted and changes nothing.
	e := NewStream(eventSchema)
	empty := b.NewSlice(0, 0)
	defer empty.Release()
	if err := e.Append(empty); err != nil || e.Rows(0) != 0 {
		t.Errorf("empty Append = %v, rows %d", err, e.Rows(0))
	}
}

func TestStreamAppendJSON(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "j", Type: arrow.BinaryTypes.String, Nullable: true, Metadata: arrow.NewMetadata([]string{"streamsql.type"}, []string{"JSON"})},
		{Name: "ts", Type: eventSchema.Field(1).Type, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "iv", Type: arrow.FixedWidthTypes.MonthDayNanoInterval, Nullable: true},
	}, nil)
	s := NewStream(schema)
	defer s.Release()
	err := s.AppendJSON(
		`{"id":1,"n":2,"x":1.5,"ok":true,"s":"a","j":{"k": [1, 2]},"TS":"2026-03-01 00:00:01.5","d":"2026-03-01","iv":"1 hour"}`,
		`{"id":null,"s":7,"j":"text","ts":1000000,"extra":1}`,
	)
	if err != nil {
		t.Fatal(err)
	}
	s.CloseWrite()
	r := openStream(t, s, catalog.StreamRequest{Columns: []int{0, 1, 2, 3, 4, 5, 6, 7, 8}, Linger: -1})[0]
	want := "1|2|1.5|true|a|{\"k\":[1,2]}|2026-03-01 00:00:01.5|2026-03-01|01:00:00\n" +
		"NULL|NULL|NULL|NULL|7|\"text\"|1970-01-01 00:00:01|NULL|NULL\n"
	if got := step(t, r); got != want {
		t.Errorf("rows:\n%s\nwant:\n%s", got, want)
	}
	e := NewStream(schema)
	for _, c := range []struct{ line, msg string }{
		{`not json`, "line 1: invalid character"},
		{`{"n":3000000000}`, `column "n": cannot read 3000000000 as INTEGER`},
		{`{"id":1.5}`, `column "id": cannot read 1.5 as BIGINT`},
		{`{"x":"1"}`, `cannot read "1" as DOUBLE`},
		{`{"ok":1}`, `cannot read 1 as BOOLEAN`},
		{`{"ts":"yesterday"}`, `cannot read "yesterday" as TIMESTAMP`},
		{`{"d":1}`, `cannot read 1 as DATE`},
		{`{"d":"soon"}`, `cannot read "soon" as DATE`},
		{`{"iv":1}`, `cannot read 1 as INTERVAL`},
		{`{"iv":"forever"}`, `cannot read "forever" as INTERVAL`},
	} {
		if err := e.AppendJSON(c.line); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("AppendJSON(%s) = %v, want %q", c.line, err, c.msg)
		}
	}
	odd := NewStream(arrow.NewSchema([]arrow.Field{{Name: "f", Type: arrow.PrimitiveTypes.Float32}}, nil))
	if err := odd.AppendJSON(`{"f":1}`); err == nil || !strings.Contains(err.Error(), "native") {
		t.Errorf("AppendJSON on float32 = %v", err)
	}
}

// TestStreamConcurrentWritersAndReaders runs under -race: writers append
// to two splits while a reader per split reads everything once.
func TestStreamConcurrentWritersAndReaders(t *testing.T) {
	mem := checkedMem(t)
	s := NewStreamSplits(eventSchema, 2)
	defer s.Release()
	rs := openStream(t, s, catalog.StreamRequest{Columns: []int{0}, BatchRows: 7, Linger: time.Millisecond})
	var wg sync.WaitGroup
	got := make([][]string, 2)
	for i, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = ids(t, r)
		}()
	}
	var writers sync.WaitGroup
	for split := range 2 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := int64(0); i < 100; i += 10 {
				b := events(mem, i, i+10)
				if err := s.AppendTo(split, b); err != nil {
					t.Error(err)
				}
				b.Release()
				if err := s.WatermarkTo(split, i); err != nil {
					t.Error(err)
				}
				// Snapshots race with appends.
				if rd, err := s.Scan(context.Background(), catalog.ScanRequest{}); err == nil {
					rd.Close()
				}
			}
		}()
	}
	writers.Wait()
	s.CloseWrite()
	wg.Wait()
	for i := range got {
		if len(got[i]) != 100 || got[i][99] != "99" {
			t.Errorf("split %d read %d rows", i, len(got[i]))
		}
	}
}
