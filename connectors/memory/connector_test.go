package memory

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

func TestConnectorFactory(t *testing.T) {
	tbl, err := catalog.OpenConnector("memory", map[string]string{"connector": "memory"}, eventSchema)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := tbl.(*Stream)
	if !ok || s.Splits() != 1 || !s.Schema().Equal(eventSchema) {
		t.Fatalf("table = %#v", tbl)
	}
	tbl, err = catalog.OpenConnector("memory", map[string]string{"splits": "3"}, eventSchema)
	if err != nil || tbl.(*Stream).Splits() != 3 {
		t.Fatalf("splits=3: %v", err)
	}
	for _, c := range []struct {
		opts   map[string]string
		schema *arrow.Schema
		msg    string
	}{
		{nil, nil, "declare its columns"},
		{nil, arrow.NewSchema(nil, nil), "declare its columns"},
		{map[string]string{"splits": "0"}, eventSchema, `splits "0"`},
		{map[string]string{"splits": "many"}, eventSchema, `splits "many"`},
		{map[string]string{"splits": "5000"}, eventSchema, `splits "5000"`},
	} {
		if _, err := catalog.OpenConnector("memory", c.opts, c.schema); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("OpenConnector(%v) = %v, want %q", c.opts, err, c.msg)
		}
	}
}

// TestStreamAsSink: INSERT INTO a memory stream appends the query's rows,
// which its readers see; a resumed job takes back what it wrote after its
// checkpoint.
func TestStreamAsSink(t *testing.T) {
	mem := checkedMem(t)
	ctx := context.Background()
	s := NewStream(eventSchema)
	defer s.Release()
	r := openStream(t, s, catalog.StreamRequest{Columns: []int{0}, Linger: -1})[0]
	// Output column names need not match; types must.
	out := arrow.NewSchema([]arrow.Field{{Name: "n", Type: eventSchema.Field(0).Type}, {Name: "t", Type: eventSchema.Field(1).Type}}, nil)
	k, err := s.OpenSink(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	write(t, k, mem, 0, 2)
	if got := step(t, r); got != "0\n1\n" {
		t.Fatalf("reader saw %q", got)
	}
	st, err := k.PreCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	write(t, k, mem, 2, 4)
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	// The job resumes from epoch 1: rows 2 and 3 are taken back.
	k2, err := s.OpenSink(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if err := k2.Restore(ctx, st); err != nil {
		t.Fatal(err)
	}
	write(t, k2, mem, 2, 3)
	if s.Rows(0) != 3 {
		t.Errorf("stream holds %d rows, want 3", s.Rows(0))
	}
	if err := k2.Restore(ctx, st); err == nil || !strings.Contains(err.Error(), "before any Write") {
		t.Errorf("Restore after Write = %v", err)
	}
	k2.Close()
	if err := k2.Write(ctx, nil); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Write after Close = %v", err)
	}
	for _, call := range []func() error{
		func() error { _, err := k2.PreCommit(ctx, 2); return err },
		func() error { return k2.Commit(ctx, 2) },
		func() error { return k2.Restore(ctx, st) },
	} {
		if err := call(); err == nil {
			t.Error("a call after Close succeeded")
		}
	}
	// A fresh reader sees the stream's rows: 0, 1 and the rewritten 2.
	s.CloseWrite()
	fresh := openStream(t, s, catalog.StreamRequest{Columns: []int{0}, Linger: -1})[0]
	if got := strings.Join(ids(t, fresh), ","); got != "0,1,2" {
		t.Errorf("stream = %s", got)
	}
}

func TestStreamAsSinkErrors(t *testing.T) {
	mem := checkedMem(t)
	ctx := context.Background()
	s := NewStream(eventSchema)
	defer s.Release()
	if _, err := s.OpenSink(ctx, arrow.NewSchema(eventSchema.Fields()[:1], nil)); err == nil || !strings.Contains(err.Error(), "1 columns, the table 2") {
		t.Errorf("narrow OpenSink = %v", err)
	}
	swapped := arrow.NewSchema([]arrow.Field{eventSchema.Field(1), eventSchema.Field(0)}, nil)
	if _, err := s.OpenSink(ctx, swapped); err == nil || !strings.Contains(err.Error(), "column id is int64 but the query gives timestamp") {
		t.Errorf("swapped OpenSink = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.OpenSink(cancelled, eventSchema); err == nil {
		t.Error("cancelled OpenSink succeeded")
	}
	k, err := s.OpenSink(ctx, eventSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ state, msg string }{
		{"x", "malformed state"},
		{`{"rows":5}`, "the stream has 0 rows, the checkpoint 5"},
	} {
		if err := k.Restore(ctx, []byte(c.state)); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Restore(%s) = %v", c.state, err)
		}
	}
	b := events(mem, 0, 1)
	defer b.Release()
	if err := k.Write(cancelled, b); err == nil {
		t.Error("Write with a cancelled context succeeded")
	}
	s.CloseWrite()
	if err := k.Write(ctx, b); err == nil || !strings.Contains(err.Error(), "closed for writing") {
		t.Errorf("Write after CloseWrite = %v", err)
	}
	s.Release()
	if err := k.Restore(ctx, []byte(`{"rows":0}`)); err == nil || !strings.Contains(err.Error(), "released") {
		t.Errorf("Restore after Release = %v", err)
	}
}
