//go:build !js

package live

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// TestFilterProjectionPerEvent: a filter and projection delivers each
// appended batch of matching events as one frame.
func TestFilterProjectionPerEvent(t *testing.T) {
	f := newFixture(t, Options{})
	srv := f.server(HandlerOptions{})
	c := dial(t, srv, "SELECT k, v * 10 AS v10 FROM t WHERE v > 1", "")
	f.awaitMetrics("the job", func(m Metrics) bool { return m.Subscribers == 1 })

	f.append("a 1 1", "b 2 2")
	fr := c.next()
	if want := []string{"k", "v10"}; !reflect.DeepEqual(fr.Columns, want) || fr.Ops != nil {
		t.Errorf("frame = %+v, want columns %v and no ops", fr, want)
	}
	if got, want := fr.lines(), []string{"+ b 20"}; !reflect.DeepEqual(got, want) {
		t.Errorf("first event: %v, want %v", got, want)
	}
	f.append("c 3 3")
	if got, want := c.next().lines(), []string{"+ c 30"}; !reflect.DeepEqual(got, want) {
		t.Errorf("second event: %v, want %v", got, want)
	}
}

// TestParamsFromURLAndFirstFrame: $n values come as a JSON array, in the
// URL or in the first frame.
func TestParamsFromURLAndFirstFrame(t *testing.T) {
	f := newFixture(t, Options{})
	srv := f.server(HandlerOptions{})
	byURL := dial(t, srv, "SELECT k FROM t WHERE v >= $1 AND k <> $2", `[2, "x"]`)
	byFrame := dial(t, srv, "", "")
	byFrame.send(`{"sql":"SELECT k FROM t WHERE v >= $1 AND k <> $2","params":[2,"x"]}`)
	mt := f.awaitMetrics("both subscribers", func(m Metrics) bool { return m.Subscribers == 2 })
	if len(mt.Jobs) != 1 || !strings.Contains(mt.Jobs[0].SQL, "'x'") {
		t.Errorf("jobs = %+v, want one with the parameters inlined", mt.Jobs)
	}
	f.append("a 1 1", "x 5 2", "b 3 3")
	for _, c := range []*client{byURL, byFrame} {
		if got, want := c.next().lines(), []string{"+ b"}; !reflect.DeepEqual(got, want) {
			t.Errorf("rows = %v, want %v", got, want)
		}
	}
}

// TestTumbleCountAtWindowClose: a windowed COUNT arrives when the
// watermark (the largest ts) passes the window's end, not before.
func TestTumbleCountAtWindowClose(t *testing.T) {
	f := newFixture(t, Options{})
	srv := f.server(HandlerOptions{})
	c := dial(t, srv, "SELECT window_start, k, COUNT(*) AS n FROM TUMBLE(t, ts, INTERVAL '10' SECOND) GROUP BY window_start, k", "")
	f.awaitMetrics("the job", func(m Metrics) bool { return m.Subscribers == 1 })

	f.append("a 1 1", "a 1 2", "b 1 3")
	f.append("a 1 9")
	f.awaitMetrics("the rows read", func(m Metrics) bool { return len(m.Jobs) == 1 && m.Jobs[0].Job.EventsIn == 4 })
	if mt := f.m.Metrics(); mt.Jobs[0].RowsOut != 0 {
		t.Fatalf("the open window emitted %d rows", mt.Jobs[0].RowsOut)
	}
	f.append("a 1 12") // the watermark passes :10: [:00, :10) closes
	fr := c.next()
	got := fr.lines()
	want := []string{"+ 2026-01-01 00:00:00 a 3", "+ 2026-01-01 00:00:00 b 1"}
	if !reflect.DeepEqual(sorted(got), want) || fr.Ops != nil {
		t.Errorf("window [:00, :10): %v (ops %v), want %v", got, fr.Ops, want)
	}
	if err := f.stream.Watermark(micros(20)); err != nil {
		t.Fatal(err)
	}
	if got, want := c.next().lines(), []string{"+ 2026-01-01 00:00:10 a 1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("window [:10, :20) after a declared watermark: %v, want %v", got, want)
	}
}

// TestEmitChangesInsertDeletePairs: EMIT CHANGES retracts the earlier
// result of a group and inserts the new one.
func TestEmitChangesInsertDeletePairs(t *testing.T) {
	f := newFixture(t, Options{})
	srv := f.server(HandlerOptions{})
	c := dial(t, srv, "SELECT window_start, k, COUNT(*) AS n, SUM(v) AS total FROM TUMBLE(t, ts, INTERVAL '10' SECOND) GROUP BY window_start, k EMIT CHANGES", "")
	f.awaitMetrics("the job", func(m Metrics) bool { return m.Subscribers == 1 })

	f.append("a 1 1", "a 2 2", "b 5 3")
	fr := c.next()
	if want := []string{"+ 2026-01-01 00:00:00 a 2 3", "+ 2026-01-01 00:00:00 b 1 5"}; !reflect.DeepEqual(sorted(fr.lines()), want) {
		t.Errorf("first batch: %v, want %v", fr.lines(), want)
	}
	if !reflect.DeepEqual(fr.Ops, []string{"insert", "insert"}) {
		t.Errorf("ops = %v", fr.Ops)
	}
	f.append("a 3 4")
	fr = c.next()
	if want := []string{"- 2026-01-01 00:00:00 a 2 3", "+ 2026-01-01 00:00:00 a 3 6"}; !reflect.DeepEqual(fr.lines(), want) {
		t.Errorf("update: %v, want %v", fr.lines(), want)
	}
	if !reflect.DeepEqual(fr.Ops, []string{"delete", "insert"}) {
		t.Errorf("ops = %v, want delete, insert", fr.Ops)
	}
}

// TestLateJoinerGetsSnapshot: joining a running EMIT CHANGES job first
// delivers its current result, then the changes.
func TestLateJoinerGetsSnapshot(t *testing.T) {
	f := newFixture(t, Options{})
	srv := f.server(HandlerOptions{})
	sql := "SELECT k, COUNT(*) AS n FROM t GROUP BY k EMIT CHANGES"
	first := dial(t, srv, sql, "")
	f.awaitMetrics("the job", func(m Metrics) bool { return m.Subscribers == 1 })
	f.append("a 1 1", "b 1 2")
	first.next()
	f.append("a 1 3")
	first.next()

	late := dial(t, srv, sql, "")
	f.awaitMetrics("the late joiner", func(m Metrics) bool { return m.Subscribers == 2 })
	fr := late.next()
	if want := []string{"+ a 2", "+ b 1"}; !fr.Snapshot || !reflect.DeepEqual(sorted(fr.lines()), want) {
		t.Errorf("snapshot = %+v (lines %v), want %v", fr, fr.lines(), want)
	}
	f.append("b 1 4")
	want := []string{"- b 1", "+ b 2"}
	for _, c := range []*client{first, late} {
		if fr := c.next(); fr.Snapshot || !reflect.DeepEqual(fr.lines(), want) {
			t.Errorf("change = %v, want %v", fr.lines(), want)
		}
	}
}

// TestSharedJobIdenticalResults: equal queries (after normalisation)
// share one job and receive identical frames.
func TestSharedJobIdenticalResults(t *testing.T) {
	f := newFixture(t, Options{})
	srv := f.server(HandlerOptions{})
	a := dial(t, srv, "SELECT k, v FROM t WHERE v > $1", "[1]")
	b := dial(t, srv, "select  k,v\nFROM t   where v > $1 -- comment", "[1]")
	mt := f.awaitMetrics("two subscribers", func(m Metrics) bool { return m.Subscribers == 2 })
	if len(mt.Jobs) != 1 || mt.Jobs[0].Subscribers != 2 || mt.JobsStarted != 1 {
		t.Fatalf("metrics = %+v, want one job with two subscribers", mt)
	}
	for i := range 5 {
		f.append(fmt.Sprintf("k%d %d %d", i, i, i))
	}
	var got [2][]string
	for i, c := range []*client{a, b} {
		for len(got[i]) < 3 {
			got[i] = append(got[i], c.next().lines()...)
		}
	}
	want := []string{"+ k2 2", "+ k3 3", "+ k4 4"}
	if !reflect.DeepEqual(got[0], want) || !reflect.DeepEqual(got[1], want) {
		t.Errorf("got %v and %v, want %v for both", got[0], got[1], want)
	}
	if mt := f.m.Metrics(); mt.Jobs[0].RowsOut != 3 {
		t.Errorf("rows out = %d, want 3 (counted once for both subscribers)", mt.Jobs[0].RowsOut)
	}
}

// TestLastDisconnectStopsJob: when the last client leaves, the job stops
// and its goroutines end (the fixture checks the goroutine count).
func TestLastDisconnectStopsJob(t *testing.T) {
	f := newFixture(t, Options{})
	srv := f.server(HandlerOptions{})
	a := dial(t, srv, "SELECT k FROM t", "")
	b := dial(t, srv, "SELECT k FROM t", "")
	f.awaitMetrics("two subscribers", func(m Metrics) bool { return m.Subscribers == 2 })
	a.conn.Close(websocket.StatusNormalClosure, "")
	f.awaitMetrics("one subscriber", func(m Metrics) bool { return m.Subscribers == 1 && len(m.Jobs) == 1 })
	b.conn.Close(websocket.StatusNormalClosure, "")
	f.awaitMetrics("the job to stop", func(m Metrics) bool { return len(m.Jobs) == 0 && m.JobsStopped == 1 })
}

// TestBadSQLPositionedError: SQL errors come back as an error frame with
// line and column, and the connection closes; non-queries are refused.
func TestBadSQLPositionedError(t *testing.T) {
	f := newFixture(t, Options{})
	srv := f.server(HandlerOptions{})
	cases := []struct{ sql, want string }{
		{"SELECT nope FROM t", "line 1, column 8"},
		{"SELECT k FROM t WHERE", "line 1, column"},
		{"SELECT k FROM missing", "line 1, column 15"},
		{"DROP TABLE t", ErrNotAQuery.Error()},
		{"SELECT k FROM t WHERE v > $1", "$1"},
	}
	for _, tc := range cases {
		c := dial(t, srv, tc.sql, "")
		fr := c.next()
		if !strings.Contains(fr.Error, tc.want) {
			t.Errorf("%s: error frame %q, want %q", tc.sql, fr.Error, tc.want)
		}
		if code := c.closeStatus(); code != websocket.StatusPolicyViolation {
			t.Errorf("%s: close %v, want policy violation", tc.sql, code)
		}
	}
	c := dial(t, srv, "", "")
	c.send(`{"sql":"SELECT k FROM t WHERE v > 1 +","params":[]}`)
	if fr := c.next(); !strings.Contains(fr.Error, "line 1, column") {
		t.Errorf("first-frame SQL error = %q", fr.Error)
	}
	c = dial(t, srv, "", "")
	c.send(`not json`)
	if fr := c.next(); !strings.Contains(fr.Error, "reading request") {
		t.Errorf("malformed first frame = %q", fr.Error)
	}
	c = dial(t, srv, "SELECT k FROM t", `[{"a":1}]`)
	if fr := c.next(); !strings.Contains(fr.Error, "reading params") {
		t.Errorf("bad params = %q", fr.Error)
	}
	if mt := f.m.Metrics(); mt.JobsStarted != 0 {
		t.Errorf("bad requests started %d jobs", mt.JobsStarted)
	}
}

// TestAuthorizeRejections: Authorize sees the query's tables; its errors
// answer 401, or 403 when they wrap ErrForbidden, before the upgrade; in
// the first-frame form a refusal is an error frame.
func TestAuthorizeRejections(t *testing.T) {
	f := newFixture(t, Options{})
	var seen [][]string
	srv := f.server(HandlerOptions{Authorize: func(r *http.Request, tables []string) error {
		seen = append(seen, tables)
		switch r.Header.Get("X-Token") + r.URL.Query().Get("token") {
		case "good":
			return nil
		case "reader":
			if len(tables) > 0 {
				return fmt.Errorf("may not read %v: %w", tables, ErrForbidden)
			}
			return nil
		}
		return errors.New("no valid token")
	}})
	sql := "WITH x AS (SELECT k FROM t) SELECT k FROM x"
	_, err := tryDial(srv, url.Values{"sql": {sql}})
	var de *dialError
	if !errors.As(err, &de) || de.status != http.StatusUnauthorized || !strings.HasPrefix(de.challenge, "Bearer") {
		t.Errorf("no token: %v, want 401 with a Bearer challenge", err)
	}
	if want := []string{"t"}; len(seen) != 1 || !reflect.DeepEqual(seen[0], want) {
		t.Errorf("Authorize saw tables %v, want [%v]", seen, want)
	}
	_, err = tryDial(srv, url.Values{"sql": {sql}, "token": {"reader"}})
	if !errors.As(err, &de) || de.status != http.StatusForbidden {
		t.Errorf("reader token: %v, want 403", err)
	}
	if _, err = tryDial(srv, url.Values{"token": {"nobody"}}); !errors.As(err, &de) || de.status != http.StatusUnauthorized {
		t.Errorf("first-frame form without a token: %v, want 401", err)
	}
	ok, err := tryDial(srv, url.Values{"sql": {sql}, "token": {"good"}})
	if err != nil {
		t.Fatal(err)
	}
	ok.withT(t)
	f.awaitMetrics("the authorized subscriber", func(m Metrics) bool { return m.Subscribers == 1 })
	ok.conn.Close(websocket.StatusNormalClosure, "")
	f.awaitMetrics("the job to stop", func(m Metrics) bool { return len(m.Jobs) == 0 })

	// First-frame form: connecting is allowed, reading t is not.
	c, err := tryDial(srv, url.Values{"token": {"reader"}})
	if err != nil {
		t.Fatal(err)
	}
	c.withT(t).send(`{"sql":"SELECT k FROM t"}`)
	if fr := c.next(); !strings.Contains(fr.Error, "forbidden") {
		t.Errorf("refused first frame: %q", fr.Error)
	}
	if code := c.closeStatus(); code != websocket.StatusPolicyViolation {
		t.Errorf("close %v, want policy violation", code)
	}
	if mt := f.m.Metrics(); mt.JobsStarted != 1 {
		t.Errorf("%d jobs started, want 1 (the authorized one)", mt.JobsStarted)
	}
}

// TestNotAWebSocket: plain HTTP requests are refused with a JSON error.
func TestNotAWebSocket(t *testing.T) {
	f := newFixture(t, Options{})
	srv := f.server(HandlerOptions{})
	for _, tc := range []struct {
		method string
		want   int
	}{{http.MethodGet, http.StatusUpgradeRequired}, {http.MethodPost, http.StatusMethodNotAllowed}} {
		req, _ := http.NewRequest(tc.method, srv.URL+"/live?sql=SELECT+k+FROM+t", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s, want %d JSON", tc.method, resp.StatusCode, resp.Header.Get("Content-Type"), tc.want)
		}
	}
}

// TestInputEndClosesNormally: when the stream ends, clients get the end as
// an error frame and a normal close.
func TestInputEndClosesNormally(t *testing.T) {
	f := newFixture(t, Options{})
	srv := f.server(HandlerOptions{})
	c := dial(t, srv, "SELECT k FROM t", "")
	f.awaitMetrics("the job", func(m Metrics) bool { return m.Subscribers == 1 })
	f.append("a 1 1")
	f.stream.CloseWrite()
	if got := c.next().lines(); !reflect.DeepEqual(got, []string{"+ a"}) {
		t.Errorf("rows = %v", got)
	}
	if fr := c.next(); !strings.Contains(fr.Error, "input ended") {
		t.Errorf("end frame = %+v", fr)
	}
	if code := c.closeStatus(); code != websocket.StatusNormalClosure {
		t.Errorf("close %v, want normal closure", code)
	}
	f.awaitMetrics("the job to stop", func(m Metrics) bool { return len(m.Jobs) == 0 && m.JobsStopped == 1 })
}
