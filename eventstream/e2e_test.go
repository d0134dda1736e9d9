package eventstream

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/streamsql/streamsql/eventstream/wal"
)

func TestIngestReachesSubscriberInOrder(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.dial("/events?topic=orders", nil) // the seed's client: no options at all
	var ids []string
	ids = append(ids, h.ingest("orders", `{"order":1,"amount":9.5}`)...)
	ids = append(ids, h.ingest("orders", `[{"order":2},{"order":3}]`)...)
	ids = append(ids, h.ingest("orders", "{\"order\":4}\n{\"order\":5}\n")...)
	h.ingest("other", `{"order":99}`) // another topic: not delivered here
	if !slices.IsSorted(ids) || len(ids) != 5 {
		t.Fatalf("ids not increasing: %v", ids)
	}
	frames := readFrames(t, c, 5)
	for i, f := range frames {
		if f["order"] != float64(i+1) || f["_id"] != ids[i] || f["topic"] != "orders" {
			t.Fatalf("frame %d: %v (want order %d, id %s)", i, f, i+1, ids[i])
		}
		if _, err := time.Parse(time.RFC3339Nano, f["_ingest_ts"].(string)); err != nil {
			t.Fatalf("frame %d: _ingest_ts: %v", i, err)
		}
	}
	if frames[0]["amount"] != 9.5 {
		t.Fatalf("original fields lost: %v", frames[0])
	}
}

func TestReplayThenTailIsExactlyOnceInOrder(t *testing.T) {
	h := newHarness(t, Config{})
	var mu sync.Mutex
	var acked []string
	add := func(ids []string) { mu.Lock(); acked = append(acked, ids...); mu.Unlock() }
	for i := range 50 {
		add(h.ingest("clicks", fmt.Sprintf(`{"n":%d}`, i)))
	}
	// Writers keep ingesting while the subscriber replays and switches to
	// tailing.
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				add(h.ingest("clicks", fmt.Sprintf(`[{"w":%d,"i":%d},{"w":%d,"i":%d}]`, w, i, w, i)))
			}
		}()
	}
	c := h.dial("/events?topic=clicks&from=earliest", nil)
	wg.Wait()
	total := 50 + 3*40*2
	frames := readFrames(t, c, total)
	got := make([]string, len(frames))
	for i, f := range frames {
		got[i] = f["_id"].(string)
	}
	if !slices.IsSorted(got) {
		t.Fatal("subscriber saw events out of order")
	}
	slices.Sort(acked)
	if !slices.Equal(got, slices.Compact(slices.Clone(got))) || !slices.Equal(got, acked) {
		t.Fatalf("subscriber ids differ from acknowledged ids (%d vs %d)", len(got), len(acked))
	}
}

func TestFromIDAndTimeResume(t *testing.T) {
	h := newHarness(t, Config{})
	ids := h.ingest("t", `[{"n":1},{"n":2},{"n":3}]`)
	c := h.dial("/events?topic=t&from="+ids[0], nil)
	f := readFrames(t, c, 2)
	if f[0]["n"] != 2.0 || f[1]["n"] != 3.0 {
		t.Fatalf("from=id: %v", f)
	}
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	c2 := h.dial("/events?topic=t&from="+past, nil)
	if f := readFrames(t, c2, 3); f[0]["n"] != 1.0 {
		t.Fatalf("from=time: %v", f)
	}
	req, _ := http.NewRequest(http.MethodGet, h.http.URL+"/events?topic=t&from=yesterday-ish", nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("bad from=: %d", resp.StatusCode)
	}
}

func TestMalformedJSONRejectsTheWholeRequest(t *testing.T) {
	h := newHarness(t, Config{})
	h.ingest("bad", `{"a":0}`)
	for _, body := range []string{
		"{\"a\":1}\n{\"a\":2\n{\"a\":3}",
		`[{"a":1},{"a":2},]`,
		`{"a":1} 42`,
		`[{"a":1}, "x"]`,
		``,
	} {
		status, out := h.post("/events?topic=bad", "", body)
		if status != 400 {
			t.Fatalf("%q: status %d %v", body, status, out)
		}
		msg := out["error"].(string)
		if strings.HasPrefix(body, "{\"a\":1}\n{") && !strings.Contains(msg, "line 3, column 2") {
			t.Fatalf("%q: error %q lacks the position", body, msg)
		}
	}
	if rows := h.query(`SELECT count(*) FROM bad`); rows[0][0] != 1.0 {
		t.Fatalf("a rejected request left %v events", rows[0][0])
	}
}

func TestQueryAPI(t *testing.T) {
	orders, err := ParseTopicSchema("orders=id BIGINT, amount DOUBLE, customer VARCHAR")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Config{Topics: []TopicSchema{orders}})
	h.ingest("orders", `[{"id":1,"amount":10.5,"customer":"ann","timestamp":"2026-03-01T10:00:00Z"},
		{"id":2,"amount":3,"customer":"bob","timestamp":1772359200000},{"id":3,"amount":7,"customer":"ann"}]`)
	h.ingest("logs", `[{"level":"error","msg":"a"},{"level":"info","msg":"b"}]`)

	rows := h.query(`SELECT customer, sum(amount) FROM orders WHERE customer = $1 GROUP BY customer`, "ann")
	if len(rows) != 1 || rows[0][0] != "ann" || rows[0][1] != 17.5 {
		t.Fatalf("declared columns: %v", rows)
	}
	rows = h.query(`SELECT id, timestamp FROM orders WHERE id <= $1 ORDER BY id`, 2)
	if rows[0][1] != "2026-03-01 10:00:00" || rows[1][1] != "2026-03-01 10:00:00" {
		t.Fatalf("event time from RFC 3339 and epoch millis: %v", rows)
	}
	rows = h.query(`SELECT data->>'msg' FROM logs WHERE data->>'level' = $1`, "error")
	if len(rows) != 1 || rows[0][0] != "a" {
		t.Fatalf("undeclared topic via data: %v", rows)
	}
	// A parameter is a value, never SQL.
	rows = h.query(`SELECT count(*) FROM logs WHERE data->>'level' = $1`, "x' OR '1'='1")
	if rows[0][0] != 0.0 {
		t.Fatalf("parameter was spliced: %v", rows)
	}
	rows = h.query(`WITH t AS (SELECT _id FROM orders) SELECT count(*) FROM t`)
	if rows[0][0] != 3.0 {
		t.Fatal(rows)
	}
	if rows := h.query(`EXPLAIN SELECT * FROM orders`); len(rows) == 0 {
		t.Fatal("EXPLAIN returned nothing")
	}
	for sql, want := range map[string]int{
		`DROP TABLE orders`:                       403,
		`CREATE VIEW v AS SELECT 1`:               403,
		`INSERT INTO orders SELECT * FROM orders`: 403,
		`SELEC 1`:                 400,
		`SELECT nope FROM orders`: 400,
		`SELECT * FROM orders; DROP TABLE orders`: 400,
	} {
		status, out := h.post("/query", "", mustJSON(map[string]any{"sql": sql}))
		if status != want {
			t.Errorf("%s: %d %v, want %d", sql, status, out, want)
		}
	}
	if status, _ := h.post("/query", "", `{"sql":"SELECT $1","params":[{"a":1}]}`); status != 400 {
		t.Errorf("object parameter: %d", status)
	}
}

func TestQueryAPIArrowStream(t *testing.T) {
	h := newHarness(t, Config{})
	h.ingest("e", `[{"k":"a"},{"k":"b"}]`)
	req, _ := http.NewRequest(http.MethodPost, h.http.URL+"/query", strings.NewReader(`{"sql":"SELECT data->>'k' AS k FROM e ORDER BY k"}`))
	req.Header.Set("Accept", ArrowStreamType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != ArrowStreamType {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	rd, err := ipc.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	var got []string
	for rd.Next() {
		col := rd.RecordBatch().Column(0).(*array.String)
		for i := range col.Len() {
			got = append(got, col.Value(i))
		}
	}
	if rd.Schema().Field(0).Name != "k" || strings.Join(got, ",") != "a,b" {
		t.Fatalf("arrow result %v %v", rd.Schema(), got)
	}
}

func TestRestartFromWALKeepsAcknowledgedEvents(t *testing.T) {
	dir := wal.OSDir(t.TempDir())
	h := newHarness(t, Config{StateDir: dir})
	var acked []string
	for i := range 20 {
		acked = append(acked, h.ingest("orders", fmt.Sprintf(`[{"i":%d},{"i":%d}]`, i, i))...)
	}
	h.close()

	h2 := newHarness(t, Config{StateDir: dir})
	if h2.srv.ReplayedEvents != 40 {
		t.Fatalf("replayed %+v", h2.srv.Replayed)
	}
	rows := h2.query(`SELECT _id FROM orders ORDER BY _id`)
	var got []string
	for _, r := range rows {
		got = append(got, r[0].(string))
	}
	if !slices.Equal(got, acked) {
		t.Fatalf("after restart %d ids, acknowledged %d", len(got), len(acked))
	}
	next := h2.ingest("orders", `{"i":99}`)
	if next[0] <= acked[len(acked)-1] {
		t.Fatalf("id after restart %s does not sort after %s", next[0], acked[len(acked)-1])
	}
	c := h2.dial("/events?topic=orders&from=earliest", nil)
	if f := readFrames(t, c, 41); f[40]["_id"] != next[0] || f[0]["_id"] != acked[0] {
		t.Fatal("replay after restart differs")
	}
}

func TestGoAPIEmitSubscribeQuery(t *testing.T) {
	h := newHarness(t, Config{})
	got := make(chan Event, 10)
	cancel, err := h.srv.Subscribe("jobs", "", func(ev Event) error { got <- ev; return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	id, err := h.srv.Emit(context.Background(), "jobs", map[string]any{"state": "done"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-got:
		var m map[string]any
		json.Unmarshal(ev.Frame, &m)
		if ev.ID != id || m["state"] != "done" || m["_id"] != id {
			t.Fatalf("event %+v %v", ev, m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	res, err := h.srv.Query(context.Background(), `SELECT count(*) FROM jobs WHERE data->>'state' = $1`, "done")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if res.Batches[0].Column(0).(*array.Int64).Value(0) != 1 {
		t.Fatal("query via Go API")
	}
	if _, err := h.srv.Emit(context.Background(), "jobs", "[1,2]"); err == nil {
		t.Fatal("Emit accepted a non-object")
	}
	if _, err := h.srv.Subscribe("bad topic!", "", nil); err == nil {
		t.Fatal("Subscribe accepted a bad topic")
	}
}
