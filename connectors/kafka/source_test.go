package kafka

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

// Each partition is a split; declared metadata columns are filled from
// the record, the rest decoded from the JSON value.
func TestSourceReadsPartitionsWithMetadata(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "ev", 2)
	ts := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	produce(t, addr, "ev",
		msg{part: 0, key: "k1", value: `{"id":1,"name":"a"}`, headers: map[string]string{"h": "x"}, ts: ts},
		msg{part: 1, value: `{"id":2}`, ts: ts.Add(time.Second)},
		msg{part: 0, value: `{"id":3,"name":"c"}`, ts: ts.Add(2 * time.Second)},
	)
	schema, err := file.ParseColumns("id BIGINT, name VARCHAR, _topic VARCHAR, _partition INTEGER, _offset BIGINT, _key VARCHAR, _headers JSON, _timestamp TIMESTAMP")
	if err != nil {
		t.Fatal(err)
	}
	tbl := open(t, addr, "ev", schema)
	rs := openReaders(t, tbl, mem, nil)
	if len(rs) != 2 || rs[0].ID() != "ev/0" || rs[1].ID() != "ev/1" {
		t.Fatalf("splits %v", rs)
	}
	got := readRows(t, rs)
	us := ts.UnixMicro()
	want := [][]any{
		{int64(1), "a", "ev", int32(0), int64(0), "k1", `{"h":"x"}`, us},
		{int64(3), "c", "ev", int32(0), int64(1), nil, `{}`, us + 2e6},
		{int64(2), nil, "ev", int32(1), int64(0), nil, `{}`, us + 1e6},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows\n got %v\nwant %v", got, want)
	}
	pos, _ := rs[0].Position()
	if string(pos) != `{"offset":2}` {
		t.Errorf("position %s", pos)
	}
}

// A projection returns only the requested columns, in request order.
func TestSourceProjects(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "ev", 1)
	produce(t, addr, "ev", values(0, `{"a":1,"b":"x"}`)...)
	schema, _ := file.ParseColumns("a BIGINT, b VARCHAR, _offset BIGINT")
	tbl := open(t, addr, "ev", schema)
	rs, err := tbl.OpenStream(context.Background(), catalog.StreamRequest{Columns: []int{2, 1}, Alloc: mem, Linger: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer rs[0].Close()
	if got := readRows(t, rs); !reflect.DeepEqual(got, [][]any{{int64(0), "x"}}) {
		t.Fatalf("rows %v", got)
	}
}

// Without declared columns the schema is sampled from the start offsets;
// the sampled messages are still read by the stream afterwards.
func TestSourceInfersSchemaWithoutConsuming(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "ev", 2)
	produce(t, addr, "ev", msg{part: 0, value: `{"id":1,"ts":"2026-03-01 12:00:00"}`}, msg{part: 1, value: `{"id":2,"ts":"2026-03-01 12:00:01","x":1.5}`})
	tbl := open(t, addr, "ev", nil, "metadata", "_partition,_offset", "group", "g")
	var names []string
	for _, f := range tbl.Schema().Fields() {
		names = append(names, f.Name+" "+f.Type.String())
	}
	want := "id int64, ts timestamp[us, tz=UTC], x float64, _partition int32, _offset int64"
	if got := strings.Join(names, ", "); got != want {
		t.Fatalf("schema %s, want %s", got, want)
	}
	if rows := readRows(t, openReaders(t, tbl, mem, nil)); len(rows) != 2 {
		t.Fatalf("read %d rows after sampling, want 2", len(rows))
	}
	// An empty topic cannot be sampled.
	empty := cluster(t, "none", 1)
	_, err := catalog.OpenConnector("kafka", map[string]string{"brokers": empty, "topic": "none", "type": "source"}, nil)
	mustContain(t, err, "declare the columns", "schema=")
	_, err = catalog.OpenConnector("kafka", map[string]string{"brokers": empty, "topic": "none", "format": "csv"}, nil)
	mustContain(t, err, "CSV messages carry no column names")
}

// Start modes: earliest, latest, a time, the group's committed offsets.
func TestSourceStartModes(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "ev", 1)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 4 {
		produce(t, addr, "ev", msg{value: fmt.Sprintf(`{"n":%d}`, i), ts: t0.Add(time.Duration(i) * time.Hour)})
	}
	schema, _ := file.ParseColumns("n BIGINT")
	read := func(kv ...string) []any {
		var out []any
		for _, row := range readRows(t, openReaders(t, open(t, addr, "ev", schema, kv...), mem, nil)) {
			out = append(out, row[0])
		}
		return out
	}
	if got := read("start", "earliest"); len(got) != 4 {
		t.Errorf("earliest read %v", got)
	}
	if got := read("start", "latest"); len(got) != 0 {
		t.Errorf("latest read %v", got)
	}
	if got := read("start", "2026-01-01T02:00:00Z"); !reflect.DeepEqual(got, []any{int64(2), int64(3)}) {
		t.Errorf("from 02:00 read %v", got)
	}
	// A group without commits starts at the earliest offset; with one, at
	// its committed offset.
	if got := read("group", "g"); len(got) != 4 {
		t.Errorf("fresh group read %v", got)
	}
	g := open(t, addr, "ev", schema, "group", "g")
	rs := openReaders(t, g, mem, nil)
	if err := rs[0].(catalog.PositionCommitter).CommitPosition(context.Background(), []byte(`{"offset":3}`)); err != nil {
		t.Fatal(err)
	}
	if got := read("group", "g"); !reflect.DeepEqual(got, []any{int64(3)}) {
		t.Errorf("committed group read %v", got)
	}
	_, err := catalog.OpenConnector("kafka", map[string]string{"brokers": addr, "topic": "ev", "schema": "n BIGINT", "start": "yesterday"}, nil)
	mustContain(t, err, "option start", "RFC 3339")
}

// A malformed message is dead-lettered with where it came from, and the
// messages around it flow on; without a dead letter it fails Read after
// the rows before it.
func TestSourceDeadLettersMalformedMessages(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "ev", 1)
	produce(t, addr, "ev", values(0, `{"n":1}`, `{"n":`, `{"n":3}`)...)
	schema, _ := file.ParseColumns("n BIGINT")
	tbl := open(t, addr, "ev", schema)
	var dead []string
	rs := openReaders(t, tbl, mem, func(raw []byte, reason string) error {
		dead = append(dead, string(raw)+" | "+reason)
		return nil
	})
	if got := readRows(t, rs); !reflect.DeepEqual(got, [][]any{{int64(1)}, {int64(3)}}) {
		t.Fatalf("rows %v", got)
	}
	if len(dead) != 1 || !strings.HasPrefix(dead[0], `{"n": | kafka topic ev partition 0 offset 1: `) {
		t.Fatalf("dead letters %q", dead)
	}
	// No dead letter: the row before comes first, then the error, for good.
	strict := openReaders(t, tbl, mem, nil)[0]
	b, err := strict.Read(context.Background())
	if err != nil || b.NumRows() != 1 {
		t.Fatalf("first read: %v", err)
	}
	b.Release()
	for range 2 {
		_, err = strict.Read(context.Background())
		mustContain(t, err, "kafka topic ev partition 0 offset 1")
	}
	if pos, _ := strict.Position(); string(pos) != `{"offset":1}` {
		t.Errorf("position after the failure %s", pos)
	}
	// A failing dead letter fails the read.
	failing := openReaders(t, tbl, mem, func([]byte, string) error { return errors.New("disk full") })[0]
	for {
		b, err := failing.Read(context.Background())
		if err != nil {
			mustContain(t, err, "dead-lettering kafka ev/0 offset 1", "disk full")
			break
		}
		b.Release()
	}
}

// Seek on a fresh reader resumes exactly after the position: nothing read
// twice, nothing skipped.
func TestSourceSeekResumesExactly(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "ev", 1)
	for i := range 10 {
		produce(t, addr, "ev", values(0, fmt.Sprintf(`{"n":%d}`, i))...)
	}
	schema, _ := file.ParseColumns("n BIGINT")
	tbl := open(t, addr, "ev", schema)
	rs, err := tbl.OpenStream(context.Background(), catalog.StreamRequest{Columns: []int{0}, Alloc: mem, BatchRows: 4, Linger: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b, err := rs[0].Read(context.Background())
	if err != nil || b.NumRows() != 4 {
		t.Fatalf("first batch: %v", err)
	}
	b.Release()
	pos, _ := rs[0].Position()
	rs[0].Close()
	again := openReaders(t, tbl, mem, nil)[0]
	if err := again.Seek(context.Background(), pos); err != nil {
		t.Fatal(err)
	}
	got := readRows(t, []catalog.SplitReader{again})
	if len(got) != 6 || got[0][0] != int64(4) || got[5][0] != int64(9) {
		t.Fatalf("after seek read %v", got)
	}
	// Seeking back re-reads.
	if err := again.Seek(context.Background(), []byte(`{"offset":8}`)); err != nil {
		t.Fatal(err)
	}
	if got := readRows(t, []catalog.SplitReader{again}); len(got) != 2 {
		t.Fatalf("after seek back read %v", got)
	}
	mustContain(t, again.Seek(context.Background(), []byte(`{"offset":-1}`)), "malformed position")
	again.Close()
	_, err = again.Read(context.Background())
	mustContain(t, err, "closed")
}

// A batch query scans what the topic holds now and ends.
func TestScanReadsToTheCurrentEnd(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "ev", 2)
	produce(t, addr, "ev", msg{part: 0, value: `{"n":1}`}, msg{part: 1, value: `{"n":2}`}, msg{part: 1, value: `{"n":3}`})
	schema, _ := file.ParseColumns("n BIGINT")
	tbl := open(t, addr, "ev", schema)
	sc, err := tbl.Scan(context.Background(), catalog.ScanRequest{Columns: []int{0}, Alloc: mem, Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	n := 0
	for {
		b, err := sc.Next(context.Background())
		if err != nil {
			mustContain(t, err, "EOF")
			break
		}
		n += int(b.NumRows())
		b.Release()
	}
	if n != 3 {
		t.Fatalf("scanned %d rows", n)
	}
}

// A Read cancelled after decoding some rows keeps them for the next Read,
// and the position does not move past rows not yet returned.
func TestSourceCancelledReadKeepsItsRows(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "ev", 1)
	produce(t, addr, "ev", values(0, `{"n":1}`, `bad`, `{"n":3}`)...)
	schema, _ := file.ParseColumns("n BIGINT")
	ctx, cancel := context.WithCancel(context.Background())
	r := openReaders(t, open(t, addr, "ev", schema), mem, func([]byte, string) error {
		cancel() // the job stops while the reader decodes
		return nil
	})[0]
	for {
		b, err := r.Read(ctx)
		if errors.Is(err, context.Canceled) {
			break
		}
		if err != nil && !errors.Is(err, catalog.ErrIdle) {
			t.Fatal(err)
		}
		if b != nil {
			t.Fatalf("read %d rows before the cancellation", b.NumRows())
		}
	}
	if pos, _ := r.Position(); string(pos) != `{"offset":0}` {
		t.Fatalf("position after the cancelled read %s", pos)
	}
	if got := readRows(t, []catalog.SplitReader{r}); !reflect.DeepEqual(got, [][]any{{int64(1)}, {int64(3)}}) {
		t.Fatalf("rows after the cancelled read %v", got)
	}
	if pos, _ := r.Position(); string(pos) != `{"offset":3}` {
		t.Fatalf("position %s", pos)
	}
}

// Records go back to the client's pool once decoded: rows decoded from
// reused memory keep their own values, keys and headers.
func TestSourceRowsSurviveRecordReuse(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "ev", 1)
	var want [][]any
	for round := range 4 { // one produce per round: batches whose memory the next reuse
		var ms []msg
		for i := range 2000 {
			n := round*2000 + i
			v := fmt.Sprintf(`{"id":%d,"name":"%s"}`, n, strings.Repeat("x", n%40))
			ms = append(ms, msg{value: v, key: fmt.Sprint("k", n), headers: map[string]string{"h": fmt.Sprint(n)}})
			want = append(want, []any{int64(n), strings.Repeat("x", n%40), fmt.Sprint("k", n), fmt.Sprintf(`{"h":"%d"}`, n)})
		}
		produce(t, addr, "ev", ms...)
	}
	schema, _ := file.ParseColumns("id BIGINT, name VARCHAR, _key VARCHAR, _headers JSON")
	got := readRows(t, openReaders(t, open(t, addr, "ev", schema), mem, nil))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read %d rows, want %d; first differences: %v", len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(got, want [][]any) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf("row %d: got %v, want %v", i, got[i], want[i])
		}
	}
	return "none in the common prefix"
}
