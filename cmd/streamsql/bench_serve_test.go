package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A tiny `bench serve` end to end: both parts run against the real
// server, every subscriber gets every event, and the unified queries'
// counts match what was ingested (the bench fails otherwise).
func TestBenchServeTiny(t *testing.T) {
	var out bytes.Buffer
	err := benchCmd([]string{"serve", "--rate", "500", "--duration", "300ms", "--subscribers", "1,5", "--live", "3",
		"--cold-events", "2000", "--hot-events", "200", "--runs", "2"}, &out)
	if err != nil {
		t.Fatalf("bench serve: %v\n%s", err, out.String())
	}
	text := out.String()
	t.Log("\n" + text)
	for _, n := range []string{"1", "5"} {
		row := regexp.MustCompile(`(?m)^\s+` + n + `\s+500\s+\d+\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+(\d+)\s`).FindStringSubmatch(text)
		if row == nil {
			t.Fatalf("no part A row for %s subscribers", n)
		}
		acked, delivered, expected, dropped := atoi(t, row[1]), atoi(t, row[2]), atoi(t, row[3]), atoi(t, row[4])
		if acked == 0 || delivered != expected || expected != acked*atoi(t, n) || dropped != 0 {
			t.Errorf("%s subscribers: acked %d, delivered %d of %d, dropped %d", n, acked, delivered, expected, dropped)
		}
		if atoi(t, row[5]) == 0 {
			t.Errorf("%s subscribers: the live queries got no frames", n)
		}
	}
	if strings.Contains(text, "note:") {
		t.Errorf("part A noted trouble")
	}
	for _, q := range []string{"last_hour", "full"} {
		row := regexp.MustCompile(`(?m)^\s+` + q + `\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+\s+(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+\s+ok`).FindStringSubmatch(text)
		if row == nil {
			t.Fatalf("no part B row for %s", q)
		}
		if row[1] != row[2] || row[3] != row[4] {
			t.Errorf("%s: count %s want %s, sum %s want %s", q, row[1], row[2], row[3], row[4])
		}
		if atoi(t, row[5]) == 0 {
			t.Errorf("%s: no cold files considered", q)
		}
		if pruned := atoi(t, row[6]); (q == "last_hour") != (pruned > 0) {
			t.Errorf("%s: %d cold files pruned", q, pruned)
		}
	}
	for _, want := range []string{"committed position stayed at 2000: hot-only", "2000 events replayed", "floor: p99 below 10ms with 100 subscribers: not measured"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if full := regexp.MustCompile(`(?m)^\s+full\s+2200\s+2200\s`); !full.MatchString(text) {
		t.Errorf("full count is not the 2200 events ingested")
	}
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBenchServeFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--rate", "0"},
		{"--subscribers", "1,x"},
		{"--subscribers", "0"},
		{"--runs", "0"},
		{"--cold-events", "-1"},
		{"extra"},
	} {
		if _, err := parseBenchServe(args); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	o, err := parseBenchServe(nil)
	if err != nil || o.rate != 10_000 || o.duration != 5*time.Second || len(o.subscribers) != 3 || o.live != 10 || o.coldEvents != 1_000_000 || o.hotEvents != 100_000 {
		t.Fatalf("defaults %+v %v", o, err)
	}
}

// The histogram's quantiles are within one bucket (1/32) of the exact
// ones, and the maximum is exact.
func TestLatencyHist(t *testing.T) {
	var h latencyHist
	if h.quantile(0.5) != 0 {
		t.Fatal("empty histogram has a median")
	}
	var exact []time.Duration
	for i := int64(1); i <= 10000; i++ {
		d := time.Duration(i * i * 37) // spread over several powers of two
		h.record(d)
		exact = append(exact, d)
	}
	for _, q := range []float64{0.01, 0.5, 0.99, 1} {
		want := exact[int(q*float64(len(exact)))-1]
		got := h.quantile(q)
		if got > want || float64(want-got) > float64(want)/32 {
			t.Errorf("q%.2f = %s, want within 1/32 below %s", q, got, want)
		}
	}
	if h.max != exact[len(exact)-1] || h.quantile(1) != h.max {
		t.Errorf("max %s, q1 %s, want %s", h.max, h.quantile(1), exact[len(exact)-1])
	}
	var other latencyHist
	other.record(time.Hour)
	h.merge(&other)
	if h.n != 10001 || h.max != time.Hour {
		t.Errorf("merged n %d max %s", h.n, h.max)
	}
	for b := 0; b < len(h.counts); b++ { // bucket bounds invert the bucket map
		if lo := histLower(b); histBucket(lo) != b {
			t.Fatalf("bucket %d: lower bound %d maps to %d", b, lo, histBucket(lo))
		}
	}
}

func TestSentField(t *testing.T) {
	for frame, want := range map[string]int64{
		`{"_id":"x","sent":1732700000123456789,"user":"u1"}`: 1732700000123456789,
		`{"sent":7}`:            7,
		`{"user":"u1"}`:         -1,
		`{"sent":"x"}`:          -1,
		`{"resent":1,"sent":5}`: 5,
		`{"resent":1}`:          -1,
	} {
		got, ok := sentField([]byte(frame))
		if (want < 0) == ok || (ok && got != want) {
			t.Errorf("%s: %d %v", frame, got, ok)
		}
	}
}

// The bench's failure paths: a server that cannot start, an ingest or
// query the server refuses, and answers of the wrong shape are errors,
// never numbers.
func TestBenchServeFaults(t *testing.T) {
	ctx := context.Background()
	if _, err := startBenchServer(ctx, []string{"--addr", "127.0.0.1:0", "--state-dir", t.TempDir(), "--topic-schema", "bad"}); err == nil || !strings.Contains(err.Error(), "starting serve") {
		t.Errorf("bad flags: %v", err)
	}
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":"events not accepted"}`))
	}))
	defer refuse.Close()
	c := newBenchClient()
	if _, err := postEvents(ctx, c, refuse.URL, []byte(`{"a":1}`)); err == nil || !strings.Contains(err.Error(), "status 503") {
		t.Errorf("refused ingest: %v", err)
	}
	if _, err := postQuery(ctx, c, refuse.URL, "SELECT 1"); err == nil || !strings.Contains(err.Error(), "status 503") {
		t.Errorf("refused query: %v", err)
	}
	if _, err := paceIngest(ctx, c, refuse.URL, 1000, 50*time.Millisecond); err == nil {
		t.Error("paced ingest into a refusing server succeeded")
	}
	if err := ingestUnified(ctx, c, refuse.URL, 0, 10, unifiedTimes{t0: time.Now(), cold: 10}); err == nil {
		t.Error("bulk ingest into a refusing server succeeded")
	}
	short := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"accepted":1,"ids":["x"]}`)) // whatever was posted
	}))
	defer short.Close()
	if err := ingestUnified(ctx, c, short.URL, 0, 10, unifiedTimes{t0: time.Now(), cold: 10}); err == nil || !strings.Contains(err.Error(), "acknowledged 1 events, want 10") {
		t.Errorf("short acknowledgement: %v", err)
	}
	for _, rows := range [][][]any{
		nil,
		{{json.Number("1")}},
		{{"x", json.Number("1")}},
		{{json.Number("1.5"), json.Number("1")}},
		{{json.Number("1"), "x"}},
	} {
		if _, _, err := countAndSum(rows); err == nil {
			t.Errorf("%v read as (count, sum)", rows)
		}
	}
	if n, s, err := countAndSum([][]any{{json.Number("0"), nil}}); err != nil || n != 0 || s != 0 {
		t.Errorf("empty sum: %d %v %v", n, s, err)
	}
}

// The last-hour layout: cold events never fall in the half hour after the
// 1-hour boundary, hot events all fall in the last half hour, and the
// events flagged recent are exactly those at or after T0-30m.
func TestUnifiedTimes(t *testing.T) {
	u := unifiedTimes{t0: time.Now(), cold: 4800, hot: 100}
	boundary := u.t0.Add(-time.Hour).UnixMilli()
	recentFrom := u.t0.Add(-unifiedGap).UnixMilli()
	for i := range u.cold + u.hot {
		ms, recent := u.eventMS(i)
		if ms >= boundary && ms < recentFrom {
			t.Fatalf("event %d at %d is inside the empty half hour", i, ms)
		}
		if recent != (ms >= recentFrom) || ms >= u.t0.UnixMilli() || ms < u.t0.Add(-unifiedSpan).UnixMilli() {
			t.Fatalf("event %d at %d: recent %v", i, ms, recent)
		}
		if i >= u.cold && !recent {
			t.Fatalf("hot event %d is not recent", i)
		}
	}
}

// A subscriber the server closes as too slow counts as dropped (1008 on
// /events, 1013 on /live), a live query's error frame is kept, and every
// frame before the close is counted and timed.
func TestBenchSubscriberClassifiesCloses(t *testing.T) {
	for _, tc := range []struct {
		live     bool
		code     websocket.StatusCode
		frame    string
		wantSlow bool
	}{
		{false, websocket.StatusPolicyViolation, `{"_id":"1","sent":%d}`, true},
		{false, websocket.StatusGoingAway, `{"_id":"1","sent":%d}`, false},
		{true, websocket.StatusTryAgainLater, `{"columns":["n"],"rows":[[%d]]}`, true},
		{true, websocket.StatusPolicyViolation, `{"error":"line 1: bad %d"}`, false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			c.Write(r.Context(), websocket.MessageText, []byte(fmt.Sprintf(tc.frame, time.Now().UnixNano())))
			c.Close(tc.code, "bye")
		}))
		ctx := context.Background()
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
		if err != nil {
			t.Fatal(err)
		}
		s := &benchSubscriber{conn: c, live: tc.live}
		s.read(ctx)
		srv.Close()
		if s.slow != tc.wantSlow || s.delivered.Load() != 1 || !s.finished.Load() || s.closedByUs {
			t.Errorf("%+v: slow %v, delivered %d, finished %v, closed by us %v", tc, s.slow, s.delivered.Load(), s.finished.Load(), s.closedByUs)
		}
		if !tc.live && (s.hist.n != 1 || s.unparsed != 0) {
			t.Errorf("%+v: %d timed, %d unparsed", tc, s.hist.n, s.unparsed)
		}
		if wantErr := strings.HasPrefix(tc.frame, `{"error"`); wantErr != (s.errFrame != "") {
			t.Errorf("%+v: error frame %q", tc, s.errFrame)
		}
	}
	// The drain gives up on a subscriber that never receives, and does not
	// wait for one that has ended.
	stuck, ended := &benchSubscriber{}, &benchSubscriber{}
	ended.finished.Store(true)
	if awaitDrain([]*benchSubscriber{stuck}, 1, 50*time.Millisecond) {
		t.Error("drained without deliveries")
	}
	if !awaitDrain([]*benchSubscriber{ended}, 1, time.Minute) {
		t.Error("waited for an ended subscriber")
	}
}
