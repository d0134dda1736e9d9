package file

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/render"
)

// sinkSchema has a column of every kind the JSON output treats apart.
var sinkSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "ts", Type: types.TimestampType.ArrowType(), Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "j", Type: arrow.BinaryTypes.String, Nullable: true, Metadata: arrow.NewMetadata([]string{types.MetadataKey}, []string{"JSON"})},
}, nil)

// sinkBatch builds a batch of sinkSchema from JSON rows.
func sinkBatch(t *testing.T, mem memory.Allocator, rows string) arrow.RecordBatch {
	t.Helper()
	rec, _, err := array.RecordFromJSON(mem, sinkSchema, strings.NewReader(rows))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// renderJSONL is what `streamsql query --format jsonl` prints for b.
func renderJSONL(t *testing.T, b arrow.RecordBatch) string {
	t.Helper()
	var out bytes.Buffer
	w, err := render.New("jsonl", &out)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, b.NumCols())
	for i, f := range b.Schema().Fields() {
		names[i] = f.Name
	}
	if err := w.Header(names, b.Schema()); err != nil {
		t.Fatal(err)
	}
	if err := w.Batch(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestJSONLSinkExactlyOncePerCheckpoint(t *testing.T) {
	mem := checkedMem(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "out.jsonl")
	one := sinkBatch(t, mem, `[{"id":1,"ts":"2026-03-01T00:00:01.5Z","s":"a\"b","x":1.5,"j":"{\"k\":[1]}"},{"id":null,"ts":null,"s":null,"x":null,"j":null}]`)
	defer one.Release()
	two := sinkBatch(t, mem, `[{"id":2,"s":"after the checkpoint"}]`)
	defer two.Release()
	three := sinkBatch(t, mem, `[{"id":3,"x":-0.25}]`)
	defer three.Release()

	// First run: a checkpoint after one, then two, then a crash (no Close).
	s, err := NewJSONLSink(path).OpenSink(ctx, sinkSchema)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, one); err != nil {
		t.Fatal(err)
	}
	state, err := s.PreCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got, want := readText(t, path), renderJSONL(t, one); got != want {
		t.Fatalf("after PreCommit the file holds:\n%s\nwant:\n%s", got, want)
	}
	if err := s.Write(ctx, two); err != nil {
		t.Fatal(err)
	}
	s.(*jsonlWriter).flush(false) // as a full buffer would
	crashed := s.(*jsonlWriter).f // the process dies: nothing closes it
	defer crashed.Close()

	// Resume: the rows after the checkpoint are gone, new ones follow.
	r, err := NewJSONLSink(path).OpenSink(ctx, sinkSchema)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Restore(ctx, state); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(ctx, three); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if got, want := readText(t, path), renderJSONL(t, one)+renderJSONL(t, three); got != want {
		t.Errorf("after resume the file holds:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(readText(t, path), `{"id":1,"ts":"2026-03-01 00:00:01.5","s":"a\"b","x":1.5,"j":{"k":[1]}}`) {
		t.Errorf("unexpected formatting:\n%s", readText(t, path))
	}

	// A fresh job (no Restore) starts the file empty, even without rows.
	f, err := NewJSONLSink(path).OpenSink(ctx, sinkSchema)
	if err != nil {
		t.Fatal(err)
	}
	if got := readText(t, path); got == "" {
		t.Error("OpenSink truncated before knowing whether the job resumes")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readText(t, path); got != "" {
		t.Errorf("a fresh job left %q", got)
	}
}

func TestJSONLSinkErrors(t *testing.T) {
	mem := checkedMem(t)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "out.jsonl")
	b := sinkBatch(t, mem, `[{"id":1}]`)
	defer b.Release()

	if _, err := NewJSONLSink(filepath.Join(dir, "missing", "x.jsonl")).OpenSink(ctx, sinkSchema); err == nil || !strings.Contains(err.Error(), "opening sink") {
		t.Errorf("OpenSink in a missing directory = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := NewJSONLSink(path).OpenSink(cancelled, sinkSchema); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled OpenSink = %v", err)
	}

	s, err := NewJSONLSink(path).OpenSink(ctx, sinkSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"x", `{"length":-1}`} {
		if err := s.Restore(ctx, []byte(bad)); err == nil || !strings.Contains(err.Error(), "malformed sink state") {
			t.Errorf("Restore(%s) = %v", bad, err)
		}
	}
	if err := s.Restore(ctx, []byte(`{"length":100}`)); err == nil || !strings.Contains(err.Error(), "has 0 bytes but the checkpoint committed 100") {
		t.Errorf("Restore beyond the file = %v", err)
	}
	narrow := arrow.NewSchema(sinkSchema.Fields()[:1], nil)
	nb, _, err := array.RecordFromJSON(mem, narrow, strings.NewReader(`[{"id":1}]`))
	if err != nil {
		t.Fatal(err)
	}
	defer nb.Release()
	if err := s.Write(ctx, nb); err == nil || !strings.Contains(err.Error(), "1 columns, the sink 5") {
		t.Errorf("Write of another shape = %v", err)
	}
	if err := s.Write(cancelled, b); !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a cancelled context = %v", err)
	}
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(ctx, []byte(`{"length":0}`)); err == nil || !strings.Contains(err.Error(), "before any Write") {
		t.Errorf("Restore after Write = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, b); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Write after Close = %v", err)
	}
	if _, err := s.PreCommit(ctx, 1); err == nil {
		t.Error("PreCommit after Close succeeded")
	}
	if err := s.Commit(ctx, 1); err == nil {
		t.Error("Commit after Close succeeded")
	}
	if err := s.Restore(ctx, []byte(`{"length":0}`)); err == nil {
		t.Error("Restore after Close succeeded")
	}
}

func TestWriterSinkIsAtLeastOnce(t *testing.T) {
	mem := checkedMem(t)
	ctx := context.Background()
	b := sinkBatch(t, mem, `[{"id":1},{"id":2}]`)
	defer b.Release()
	var out bytes.Buffer
	sink := NewWriterSink(&out)
	if sink.Describe() != "jsonl stdout" || NewJSONLSink("-").Describe() != "jsonl stdout" || NewJSONLSink("o.jsonl").Describe() != "jsonl o.jsonl" {
		t.Errorf("Describe: %q", sink.Describe())
	}
	s, err := sink.OpenSink(ctx, sinkSchema)
	if err != nil {
		t.Fatal(err)
	}
	// Restore takes nothing back; every Write reaches the writer at once.
	if err := s.Restore(ctx, []byte(`{"length":7}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if out.String() != renderJSONL(t, b) {
		t.Errorf("output:\n%s", out.String())
	}
	state, err := s.PreCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var st sinkState
	if err := json.Unmarshal(state, &st); err != nil || st.Length != 7+int64(out.Len()) {
		t.Errorf("state = %s (%v)", state, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A failing writer fails Write, and every call after it.
	boom := errors.New("boom")
	f, err := NewWriterSink(failWriter{boom}).OpenSink(ctx, sinkSchema)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write(ctx, b); !errors.Is(err, boom) {
		t.Errorf("Write = %v", err)
	}
	if _, err := f.PreCommit(ctx, 1); !errors.Is(err, boom) {
		t.Errorf("PreCommit after a failed Write = %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("Close after a failed Write = %v", err)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestDeadLetterWriter(t *testing.T) {
	mem := checkedMem(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dead.jsonl")
	if err := os.WriteFile(path, []byte("{\"earlier\":true}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := NewDeadLetterWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Raw(ctx, []byte("{\"id\":\"x\" \xff"), "events.jsonl:3: bad"); err != nil {
		t.Fatal(err)
	}
	b := sinkBatch(t, mem, `[{"id":1,"ts":"2026-03-01T00:00:00Z"},{"id":2}]`)
	defer b.Release()
	if err := d.Rows(ctx, b, "late event: 10s behind the watermark"); err != nil {
		t.Fatal(err)
	}
	if d.Count() != 3 {
		t.Errorf("Count = %d, want 3", d.Count())
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	rows := strings.Split(renderJSONL(t, b), "\n")
	want := "{\"earlier\":true}\n" +
		`{"reason":"events.jsonl:3: bad","raw":"{\"id\":\"x\" \ufffd"}` + "\n" +
		`{"reason":"late event: 10s behind the watermark","row":` + rows[0] + "}\n" +
		`{"reason":"late event: 10s behind the watermark","row":` + rows[1] + "}\n"
	if got := readText(t, path); got != want {
		t.Errorf("dead letters:\n%s\nwant:\n%s", got, want)
	}
	for _, line := range strings.Split(strings.TrimSpace(readText(t, path)), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("not JSON: %s", line)
		}
	}
	if err := d.Raw(ctx, nil, "x"); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Raw after Close = %v", err)
	}
	if err := d.Rows(ctx, b, "x"); err == nil {
		t.Error("Rows after Close succeeded")
	}
	if _, err := NewDeadLetterWriter(filepath.Join(path, "sub")); err == nil {
		t.Error("dead-letter file under a file opened")
	}
	if std, err := NewDeadLetterWriter("-"); err != nil || std.name != "dead letters" {
		t.Errorf("NewDeadLetterWriter(-) = %v, %v", std, err)
	}
}

func TestDeadLetterWriterConcurrentAndFailing(t *testing.T) {
	var out bytes.Buffer
	d := NewDeadLetterWriterTo(&out)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if err := d.Raw(context.Background(), []byte{byte('a' + g)}, "r"); err != nil {
					t.Error(err)
				}
				_ = i
				_ = d.Count()
			}
		}()
	}
	wg.Wait()
	if d.Count() != 200 || strings.Count(out.String(), "\n") != 200 {
		t.Errorf("Count = %d, lines = %d", d.Count(), strings.Count(out.String(), "\n"))
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	boom := errors.New("boom")
	f := NewDeadLetterWriterTo(failWriter{boom})
	if err := f.Raw(context.Background(), []byte("x"), "r"); !errors.Is(err, boom) {
		t.Errorf("Raw = %v", err)
	}
	if err := f.Raw(context.Background(), []byte("x"), "r"); !errors.Is(err, boom) {
		t.Errorf("Raw after a failure = %v", err)
	}
}

var _ catalog.Sink = (*jsonlWriter)(nil)
