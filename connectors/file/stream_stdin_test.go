package file

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

func TestStdinInfersWithoutLosingLinesAndReadsLastLine(t *testing.T) {
	mem := checkedMem(t)
	input := "{\"id\":1,\"s\":\"a\"}\n\n{\"id\":2,\"s\":\"b\"}\n{\"id\":3,\"s\":\"c\"}\n{\"id\":4,\"s\":\"d\"}" // no final newline
	// Reads of one byte at a time: inference stops mid-line after its sample.
	st, err := NewStdinTable(&oneByteReader{r: strings.NewReader(input)}, nil, Options{SampleRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := schemaString(t, st.Schema()); got != "id BIGINT, s VARCHAR" {
		t.Errorf("schema = %s", got)
	}
	if st.Describe() != "stdin jsonl" {
		t.Errorf("Describe = %q", st.Describe())
	}
	s := openStream(t, st, catalog.StreamRequest{Columns: []int{1, 0}, Alloc: mem, Linger: time.Millisecond})[0]
	if s.ID() != "-" {
		t.Errorf("ID = %q, want -", s.ID())
	}
	checkRows(t, drainSplit(t, s), "a|1\nb|2\nc|3\nd|4\n")
	// Read once only.
	if _, err := st.OpenStream(context.Background(), catalog.StreamRequest{}); err == nil || !strings.Contains(err.Error(), "only once") {
		t.Errorf("second OpenStream = %v", err)
	}
	if _, err := st.Scan(context.Background(), catalog.ScanRequest{}); err == nil || !strings.Contains(err.Error(), "only once") {
		t.Errorf("Scan after OpenStream = %v", err)
	}
}

func TestStdinTrickleAndNoResume(t *testing.T) {
	mem := checkedMem(t)
	pr, pw := io.Pipe()
	defer pr.Close()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	st, err := NewStdinTable(pr, schema, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := openStream(t, st, catalog.StreamRequest{Columns: []int{0}, Alloc: mem, Linger: time.Millisecond, BatchRows: 100})[0]
	ctx := context.Background()
	// Seeking to where it is (the start) is allowed.
	if err := s.Seek(ctx, []byte(`{"offset":0,"line":0}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(ctx); !errors.Is(err, catalog.ErrIdle) {
		t.Fatalf("Read with nothing written = %v, want ErrIdle", err)
	}
	if _, err := pw.Write([]byte("{\"id\":1}\n{\"id\":2}\n{\"id\"")); err != nil {
		t.Fatal(err)
	}
	// A partial batch comes after the linger; the partial line waits.
	checkRows(t, readRows(t, s, 2), "1\n2\n")
	if _, err := s.Read(ctx); !errors.Is(err, catalog.ErrIdle) {
		t.Fatalf("Read at a partial line = %v, want ErrIdle", err)
	}
	pos, _ := s.Position()
	if string(pos) != `{"offset":18,"line":2}` {
		t.Errorf("position = %s", pos)
	}
	if _, err := pw.Write([]byte(":3}")); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	checkRows(t, drainSplit(t, s), "3\n")
	// Stdin cannot go back: a checkpoint of it cannot be resumed.
	err = s.Seek(ctx, pos)
	if err == nil || !strings.Contains(err.Error(), "stdin cannot resume") {
		t.Errorf("Seek = %v", err)
	}
}

func TestStdinResumeRefusedOnFreshReader(t *testing.T) {
	st, err := NewStdinTable(strings.NewReader("{\"a\":1}\n"), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := openStream(t, st, catalog.StreamRequest{Columns: []int{0}})[0]
	if err := s.Seek(context.Background(), []byte(`{"offset":8,"line":1}`)); err == nil || !strings.Contains(err.Error(), "stdin cannot resume") {
		t.Errorf("Seek = %v", err)
	}
}

func TestStdinScan(t *testing.T) {
	st, err := NewStdinTable(strings.NewReader("{\"a\":1}\n{\"a\":\"x\"}\n{\"a\":3}"), arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil), Options{OnError: "skip"})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, mustScan(t, st, []int{0}), "1\n3\n")
	if st.Skipped() != 1 {
		t.Errorf("Skipped = %d", st.Skipped())
	}
}

func TestStdinErrors(t *testing.T) {
	if _, err := NewStdinTable(strings.NewReader(""), nil, Options{}); err == nil || !strings.Contains(err.Error(), "no JSON objects") {
		t.Errorf("empty stdin = %v", err)
	}
	if _, err := NewStdinTable(strings.NewReader(""), nil, Options{OnError: "maybe"}); err == nil || !strings.Contains(err.Error(), "on_error") {
		t.Errorf("bad on_error = %v", err)
	}
	boom := errors.New("boom")
	if _, err := NewStdinTable(&failReader{err: boom}, nil, Options{}); !errors.Is(err, boom) {
		t.Errorf("failing reader at inference = %v", err)
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
	st, err := NewStdinTable(&failReader{data: "{\"a\":1}\n", err: boom}, schema, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := openStream(t, st, catalog.StreamRequest{Columns: []int{0}, Linger: time.Millisecond})[0]
	checkRows(t, readRows(t, s, 1), "1\n")
	var got error
	for tries := 0; tries < 10000; tries++ {
		if _, got = s.Read(context.Background()); !errors.Is(got, catalog.ErrIdle) {
			break
		}
	}
	if !errors.Is(got, boom) || !strings.Contains(got.Error(), "reading stdin") {
		t.Errorf("Read after a failing reader = %v", got)
	}
	st2, err := NewStdinTable(&failReader{err: boom}, schema, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st2.OpenStream(context.Background(), catalog.StreamRequest{Columns: []int{3}}); err == nil {
		t.Error("bad column accepted")
	}
	sc, err := st2.Scan(context.Background(), catalog.ScanRequest{Columns: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if _, err := sc.Next(context.Background()); !errors.Is(err, boom) {
		t.Errorf("Scan of a failing reader = %v", err)
	}
}

// oneByteReader returns at most one byte a Read.
type oneByteReader struct{ r io.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

// failReader returns data, then err.
type failReader struct {
	data string
	err  error
}

func (f *failReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}
