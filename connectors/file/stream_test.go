package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

// eventLines is n JSONL events; every fourth line is followed by a blank
// line, so offsets are not a multiple of anything.
func eventLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"id":%d,"kind":"k%d","ts":"2026-03-01 00:00:%02d"}`+"\n", i, i%3, i%60)
		if i%4 == 3 {
			b.WriteString("  \n")
		}
	}
	return b.String()
}

func TestStreamOneSplitPerFileProjectedAndBatched(t *testing.T) {
	mem := checkedMem(t)
	dir := t.TempDir()
	writeFile(t, dir, "b.jsonl", `{"id":3,"kind":"z"}`+"\n")
	writeFile(t, dir, "a.jsonl", `{"id":1,"kind":"x"}`+"\n"+`{"id":2,"kind":"y"}`+"\n"+`{"id":4}`)
	tbl, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	splits := openStream(t, tbl, catalog.StreamRequest{Columns: []int{1, 0}, Alloc: mem, BatchRows: 2})
	var ids []string
	for _, s := range splits {
		ids = append(ids, s.ID())
	}
	if want := []string{filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")}; !slices.Equal(ids, want) {
		t.Fatalf("split IDs = %v, want %v", ids, want)
	}
	// At most two rows a batch; the last line has no newline and is read.
	got, err := readOnce(t, splits[0])
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, got, "x|1\ny|2\n")
	checkRows(t, drainSplit(t, splits[0]), "NULL|4\n")
	checkRows(t, drainSplit(t, splits[1]), "z|3\n")
	if _, err := splits[1].Read(context.Background()); !errors.Is(err, io.EOF) {
		t.Errorf("Read after the end = %v, want io.EOF", err)
	}
}

func TestStreamBatchRowsBeyondDefault(t *testing.T) {
	mem := checkedMem(t)
	const n = batchSize + 1000
	p := writeTemp(t, "big.jsonl", eventLines(n))
	tbl, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := openStream(t, tbl, catalog.StreamRequest{Columns: []int{0, 1, 2}, Alloc: mem, BatchRows: 2 * batchSize})[0]
	rec, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rec.NumRows() != n {
		t.Errorf("one batch of %d rows, want %d", rec.NumRows(), n)
	}
	rows := batchRows(rec)
	if rows[n-1][0] != fmt.Sprint(n-1) || rows[n-1][2] != fmt.Sprintf("2026-03-01 00:00:%02d", (n-1)%60) {
		t.Errorf("last row = %v", rows[n-1])
	}
}

// TestStreamSeekResumesExactly reads part of a file, takes the position,
// resumes a fresh reader there and checks that the two parts are the
// whole file once, for every split point.
func TestStreamSeekResumesExactly(t *testing.T) {
	mem := checkedMem(t)
	content := eventLines(40) + `{"id":"bad"}` + "\n" + eventLines(5) + `{"id":99}`
	p := writeTemp(t, "e.jsonl", content)
	tbl, err := Open(p, Options{Schema: arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "kind", Type: arrow.BinaryTypes.String}}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	var dead []string
	req := catalog.StreamRequest{Columns: []int{0, 1}, Alloc: mem, BatchRows: 3, DeadLetter: func(raw []byte, reason string) error {
		dead = append(dead, reason)
		return nil
	}}
	whole := drainSplit(t, openStream(t, tbl, req)[0])
	if len(whole) != 46 || len(dead) != 1 {
		t.Fatalf("whole file: %d rows and %d dead letters, want 46 and 1", len(whole), len(dead))
	}
	for k := 0; k <= 17; k++ {
		first := openStream(t, tbl, req)[0]
		var head [][]string
		for range k {
			rows, err := readOnce(t, first)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			head = append(head, rows...)
		}
		pos, err := first.Position()
		if err != nil {
			t.Fatal(err)
		}
		// Rows decoded after the position must not leak into the resume.
		second := openStream(t, tbl, req)[0]
		if err := second.Seek(context.Background(), pos); err != nil {
			t.Fatalf("k=%d: Seek(%s): %v", k, pos, err)
		}
		if got := append(head, drainSplit(t, second)...); !slices.EqualFunc(got, whole, slices.Equal) {
			t.Fatalf("k=%d: head+resume has %d rows:\n%s\nwant:\n%s", k, len(got), joinRows(got), joinRows(whole))
		}
	}
	// The position is the byte offset just after the last line returned.
	s := openStream(t, tbl, req)[0]
	if _, err := readOnce(t, s); err != nil {
		t.Fatal(err)
	}
	pos, _ := s.Position()
	var sp streamPos
	if err := json.Unmarshal(pos, &sp); err != nil {
		t.Fatal(err)
	}
	wantOff := int64(len(strings.Join(strings.SplitAfter(content, "\n")[:3], "")))
	if sp.Offset != wantOff || sp.Line != 3 {
		t.Errorf("position after 3 rows = %+v, want offset %d line 3", sp, wantOff)
	}
}

func TestStreamSeekKeepsLineNumbersForMessages(t *testing.T) {
	mem := checkedMem(t)
	p := writeTemp(t, "m.jsonl", "{\"id\":1}\n{\"id\":2}\n{\"id\":\"x\"}\n")
	tbl, err := Open(p, Options{Schema: arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	req := catalog.StreamRequest{Columns: []int{0}, Alloc: mem, BatchRows: 1}
	a := openStream(t, tbl, req)[0]
	if _, err := readOnce(t, a); err != nil {
		t.Fatal(err)
	}
	pos, _ := a.Position()
	b := openStream(t, tbl, req)[0]
	if err := b.Seek(context.Background(), pos); err != nil {
		t.Fatal(err)
	}
	checkRows(t, readRows(t, b, 1), "2\n")
	if _, err := b.Read(context.Background()); err == nil || !strings.Contains(err.Error(), p+":3: ") {
		t.Errorf("error = %v, want it to name %s:3", err, p)
	}
}

func TestStreamSeekErrors(t *testing.T) {
	mem := checkedMem(t)
	p := writeTemp(t, "s.jsonl", "{\"id\":1}\n")
	tbl, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := openStream(t, tbl, catalog.StreamRequest{Columns: []int{0}, Alloc: mem})[0]
	ctx := context.Background()
	for _, bad := range []string{"nonsense", `{"offset":-1}`} {
		if err := s.Seek(ctx, []byte(bad)); err == nil || !strings.Contains(err.Error(), "malformed position") {
			t.Errorf("Seek(%s) = %v", bad, err)
		}
	}
	if err := s.Seek(ctx, []byte(`{"offset":100,"line":5}`)); err == nil || !strings.Contains(err.Error(), "has only 9 bytes") {
		t.Errorf("Seek beyond the end = %v", err)
	}
	// An empty position is the start; a failed Seek is undone by a good one.
	if err := s.Seek(ctx, nil); err != nil {
		t.Fatal(err)
	}
	checkRows(t, drainSplit(t, s), "1\n")
	s.Close()
	if err := s.Seek(ctx, nil); err == nil {
		t.Error("Seek after Close succeeded")
	}
	if _, err := s.Read(ctx); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Read after Close = %v", err)
	}
}

func TestStreamMalformedLines(t *testing.T) {
	content := "{\"id\":1}\n{\"id\":2,\n{\"id\":3}\n{\"id\":\"four\"}\n[5]\n{\"id\":6}\n"
	p := writeTemp(t, "bad.jsonl", content)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	open := func(onError string) *Table {
		tbl, err := Open(p, Options{Schema: schema, OnError: onError})
		if err != nil {
			t.Fatal(err)
		}
		return tbl
	}

	t.Run("dead letter", func(t *testing.T) {
		mem := checkedMem(t)
		type letter struct{ raw, reason string }
		var got []letter
		s := openStream(t, open(""), catalog.StreamRequest{Columns: []int{0}, Alloc: mem, DeadLetter: func(raw []byte, reason string) error {
			got = append(got, letter{string(raw), reason})
			return nil
		}})[0]
		// The good lines around the bad ones stay together in one batch.
		rows, err := readOnce(t, s)
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, rows, "1\n3\n6\n")
		want := []letter{
			{`{"id":2,`, p + `:2: `},
			{`{"id":"four"}`, p + `:4: column "id": cannot read string "four" as BIGINT`},
			{`[5]`, p + `:5: line is not a JSON object`},
		}
		if len(got) != len(want) {
			t.Fatalf("dead letters = %q", got)
		}
		for i, w := range want {
			if got[i].raw != w.raw || !strings.HasPrefix(got[i].reason, w.reason) {
				t.Errorf("dead letter %d = %q, want raw %q and a reason starting %q", i, got[i], w.raw, w.reason)
			}
		}
	})

	t.Run("no dead letter fails", func(t *testing.T) {
		mem := checkedMem(t)
		req := catalog.StreamRequest{Columns: []int{0}, Alloc: mem}
		s := openStream(t, open(""), req)[0]
		// The row before the bad line comes first, then the error.
		rows, err := readOnce(t, s)
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, rows, "1\n")
		_, err = s.Read(context.Background())
		if err == nil || !strings.Contains(err.Error(), p+":2: ") {
			t.Fatalf("Read = %v, want an error naming line 2", err)
		}
		if _, again := s.Read(context.Background()); again == nil || again.Error() != err.Error() {
			t.Errorf("second Read = %v, want the same error", again)
		}
		// The position stays before the bad line: a resume fails on it
		// again rather than skipping it.
		pos, _ := s.Position()
		if string(pos) != `{"offset":9,"line":1}` {
			t.Errorf("position = %s", pos)
		}
		r := openStream(t, open(""), req)[0]
		if err := r.Seek(context.Background(), pos); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Read(context.Background()); err == nil || !strings.Contains(err.Error(), p+":2: ") {
			t.Errorf("resumed Read = %v, want the line 2 error", err)
		}
	})

	t.Run("dead letter error fails", func(t *testing.T) {
		mem := checkedMem(t)
		boom := errors.New("boom")
		s := openStream(t, open(""), catalog.StreamRequest{Columns: []int{0}, Alloc: mem, DeadLetter: func([]byte, string) error { return boom }})[0]
		if _, err := readOnce(t, s); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Read(context.Background()); !errors.Is(err, boom) || !strings.Contains(err.Error(), "dead-lettering "+p+":2") {
			t.Errorf("Read = %v", err)
		}
	})

	t.Run("on_error skip", func(t *testing.T) {
		mem := checkedMem(t)
		tbl := open("skip")
		s := openStream(t, tbl, catalog.StreamRequest{Columns: []int{0}, Alloc: mem})[0]
		checkRows(t, drainSplit(t, s), "1\n3\n6\n")
		if tbl.Skipped() != 3 || s.(*jsonlSplit).Stats()["skipped"] != 3 {
			t.Errorf("skipped = %d, %v", tbl.Skipped(), s.(*jsonlSplit).Stats())
		}
	})
}

func TestStreamLongLines(t *testing.T) {
	mem := checkedMem(t)
	long := strings.Repeat("é", 3*streamChunk)
	content := `{"id":1,"s":"` + long + `"}` + "\n" + `{"id":2,"s":"short"}` + "\n"
	p := writeTemp(t, "long.jsonl", content)
	tbl, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	req := catalog.StreamRequest{Columns: []int{0, 1}, Alloc: mem, BatchRows: 1}
	s := openStream(t, tbl, req)[0]
	rows := readRows(t, s, 1)
	if rows[0][1] != long {
		t.Errorf("long value has %d bytes, want %d", len(rows[0][1]), len(long))
	}
	pos, _ := s.Position()
	r := openStream(t, tbl, req)[0]
	if err := r.Seek(context.Background(), pos); err != nil {
		t.Fatal(err)
	}
	checkRows(t, drainSplit(t, r), "2|short\n")
}

func TestOpenStreamErrors(t *testing.T) {
	ctx := context.Background()
	csvPath := writeTemp(t, "t.csv", "a\n1\n")
	tbl, err := Open(csvPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.OpenStream(ctx, catalog.StreamRequest{}); err == nil || !strings.Contains(err.Error(), "cannot be streamed") {
		t.Errorf("csv OpenStream = %v", err)
	}
	j, err := Open(writeTemp(t, "t.jsonl", "{\"a\":1}\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.OpenStream(ctx, catalog.StreamRequest{Columns: []int{1}}); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("bad column = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := j.OpenStream(cancelled, catalog.StreamRequest{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled OpenStream = %v", err)
	}
	// A file that vanished after the stream opened fails Read, stickily.
	dir := t.TempDir()
	writeFile(t, dir, "x.jsonl", "{\"a\":1}\n")
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := openStream(t, d, catalog.StreamRequest{Columns: []int{0}})[0]
	removeFile(t, filepath.Join(dir, "x.jsonl"))
	if _, err := s.Read(ctx); err == nil || !strings.Contains(err.Error(), "opening") {
		t.Errorf("Read of a removed file = %v", err)
	}
	// Nil columns give batches with rows and no columns.
	s = openStream(t, j, catalog.StreamRequest{})[0]
	rec, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rec.NumRows() != 1 || rec.NumCols() != 0 {
		t.Errorf("batch is %d×%d, want 1×0", rec.NumRows(), rec.NumCols())
	}
	rec.Release()
}

func TestStreamFollowsAppends(t *testing.T) {
	mem := checkedMem(t)
	p := writeTemp(t, "f.jsonl", "{\"id\":1}\n{\"id\":2}\n{\"id\":")
	tbl, err := Open(p, Options{Follow: true, Schema: arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	req := catalog.StreamRequest{Columns: []int{0}, Alloc: mem, Linger: time.Millisecond}
	s := openStream(t, tbl, req)[0]
	checkRows(t, readRows(t, s, 2), "1\n2\n")
	// The partial third line is not consumed: nothing more, not the end.
	if _, err := s.Read(context.Background()); !errors.Is(err, catalog.ErrIdle) {
		t.Fatalf("Read at a partial line = %v, want ErrIdle", err)
	}
	pos, _ := s.Position()
	appendFile(t, p, "3}\n{\"id\":4}\n")
	checkRows(t, readRows(t, s, 2), "3\n4\n")
	if _, err := s.Read(context.Background()); !errors.Is(err, catalog.ErrIdle) {
		t.Fatalf("Read at the end = %v, want ErrIdle", err)
	}
	// A reader resumed at the partial line reads it whole.
	r := openStream(t, tbl, req)[0]
	if err := r.Seek(context.Background(), pos); err != nil {
		t.Fatal(err)
	}
	checkRows(t, readRows(t, r, 2), "3\n4\n")
}

func TestStreamFollowKeepsRowsAcrossCancellation(t *testing.T) {
	mem := checkedMem(t)
	p := writeTemp(t, "c.jsonl", "{\"id\":1}\n{\"id\":2}\n")
	tbl, err := Open(p, Options{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	s := openStream(t, tbl, catalog.StreamRequest{Columns: []int{0}, Alloc: mem, Linger: time.Hour})[0]
	// The batch is not full, so Read waits for more lines until the
	// context ends; the two rows it holds are neither lost nor passed.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read = %v, want the context's error", err)
	}
	if pos, _ := s.Position(); string(pos) != `{"offset":0,"line":0}` {
		t.Errorf("position after a cancelled Read = %s", pos)
	}
	appendFile(t, p, "{\"id\":3}\n")
	s.(*jsonlSplit).linger = time.Millisecond
	checkRows(t, readRows(t, s, 3), "1\n2\n3\n")
	cancelled, stop := context.WithCancel(context.Background())
	stop()
	if _, err := s.Read(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a cancelled context = %v", err)
	}
}

func TestConnectorFollowOption(t *testing.T) {
	p := writeTemp(t, "o.jsonl", "{\"a\":1}\n")
	tbl, err := catalog.OpenConnector("file", map[string]string{"path": p, "follow": "true"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !tbl.(*Table).follow {
		t.Error("follow=true not applied")
	}
	if _, err := catalog.OpenConnector("file", map[string]string{"path": p, "follow": "often"}, nil); err == nil || !strings.Contains(err.Error(), `follow "often"`) {
		t.Errorf("bad follow = %v", err)
	}
}

func TestStreamSeekDropsRowsNotReturned(t *testing.T) {
	mem := checkedMem(t)
	p := writeTemp(t, "d.jsonl", "{\"id\":1}\n{\"id\":2}\n")
	tbl, err := Open(p, Options{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	s := openStream(t, tbl, catalog.StreamRequest{Columns: []int{0}, Alloc: mem, Linger: time.Hour})[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := s.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read = %v", err)
	}
	// Two rows wait in the builder; a Seek back to the start drops them,
	// so they come once.
	if err := s.Seek(context.Background(), []byte(`{"offset":0,"line":0}`)); err != nil {
		t.Fatal(err)
	}
	s.(*jsonlSplit).linger = time.Millisecond
	checkRows(t, readRows(t, s, 2), "1\n2\n")
	if _, err := s.Read(context.Background()); !errors.Is(err, catalog.ErrIdle) {
		t.Errorf("Read = %v, want ErrIdle", err)
	}
	// A Seek that cannot reopen the file fails Read too.
	removeFile(t, p)
	if err := s.Seek(context.Background(), []byte(`{"offset":9,"line":1}`)); err == nil || !strings.Contains(err.Error(), "opening") {
		t.Errorf("Seek of a removed file = %v", err)
	}
	if _, err := s.Read(context.Background()); err == nil || !strings.Contains(err.Error(), "opening") {
		t.Errorf("Read after a failed Seek = %v", err)
	}
}
