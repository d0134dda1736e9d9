package nats

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
)

// A wildcard subscription sees every matching subject, with _subject
// filled by the connector; others are not delivered.
func TestCoreWildcard(t *testing.T) {
	ts := startServer(t)
	nc, _ := ts.client()
	tab := openTable(t, "nats", map[string]string{"servers": ts.url(), "subject": "orders.>", "schema": "id BIGINT, _subject VARCHAR"}, nil)
	r := openReader(t, tab, checkedMem(t), nil)
	for i, subj := range []string{"orders.eu", "payments.eu", "orders.us.west", "orders"} {
		if err := nc.Publish(subj, fmt.Appendf(nil, `{"id":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	rows := readRows(t, r, 2, 5*time.Second)
	for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); {
		rows = append(rows, readOnce(t, r)...)
	}
	if fmt.Sprint(rows) != "[[0 orders.eu] [2 orders.us.west]]" {
		t.Fatalf("rows %v", rows)
	}
	if p := position(t, r); p != nil {
		t.Fatalf("core NATS cannot replay, yet position %q", p)
	}
}

// Two jobs in one queue group share a subject's messages: each message
// goes to exactly one of them.
func TestCoreQueueGroup(t *testing.T) {
	ts := startServer(t)
	nc, _ := ts.client()
	opts := func() map[string]string {
		return map[string]string{"servers": ts.url(), "subject": "work.*", "queue": "q", "format": "raw"}
	}
	a := openReader(t, openTable(t, "nats", opts(), nil), checkedMem(t), nil)
	b := openReader(t, openTable(t, "nats", opts(), nil), checkedMem(t), nil)
	const n = 200
	for i := range n {
		if err := nc.Publish(fmt.Sprintf("work.%d", i%3), fmt.Appendf(nil, "m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	var fromA, fromB int
	for end := time.Now().Add(5 * time.Second); len(got) < n && time.Now().Before(end); {
		ra, rb := readOnce(t, a), readOnce(t, b)
		fromA, fromB = fromA+len(ra), fromB+len(rb)
		for _, r := range append(ra, rb...) {
			got = append(got, r[0].(string))
		}
	}
	slices.Sort(got)
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("m%d", i)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %d messages, want each of %d once", len(got), n)
	}
	if fromA == 0 || fromB == 0 {
		t.Fatalf("the queue group did not share: %d and %d", fromA, fromB)
	}
}

// Core NATS columns cannot be sampled: they must be declared (or raw).
func TestCoreNeedsColumns(t *testing.T) {
	ts := startServer(t)
	_, err := catalog.OpenConnector("nats", map[string]string{"connector": "nats", "servers": ts.url(), "subject": "x"}, nil)
	if err == nil || !strings.Contains(err.Error(), "declare the columns") {
		t.Fatalf("want a declare-the-columns error, got %v", err)
	}
}

// A core sink publishes each row as a JSON object, to a fixed subject or
// to the one a column names.
func TestCoreSink(t *testing.T) {
	ts := startServer(t)
	nc, _ := ts.client()
	sub, err := nc.SubscribeSync("out.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	mem := checkedMem(t)
	b := eventBatch(t, mem, []int64{1, 2}, []string{"out.a", "out.b"})
	defer b.Release()
	tab := openTable(t, "nats", map[string]string{"servers": ts.url(), "type": "sink", "subject_column": "dest"}, nil)
	s, err := tab.OpenSink(context.Background(), b.Schema())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PreCommit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 2 {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m.Subject+" "+string(m.Data))
	}
	want := []string{`out.a {"id":1,"dest":"out.a"}`, `out.b {"id":2,"dest":"out.b"}`}
	if !slices.Equal(got, want) {
		t.Fatalf("published %q, want %q", got, want)
	}
}
