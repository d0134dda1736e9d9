//go:build !js

package live

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestSlowClientDropped: a client that stops reading is dropped once its
// queue overflows; the fast client keeps receiving every row.
func TestSlowClientDropped(t *testing.T) {
	f := newFixture(t, Options{QueueLength: 4})
	srv := f.smallServer(HandlerOptions{})
	sql := "SELECT k, v FROM t"
	slow := dial(t, srv, sql, "")
	fast := dial(t, srv, sql, "")
	f.awaitMetrics("two subscribers", func(m Metrics) bool { return m.Subscribers == 2 })

	// Big rows fill the socket buffers of the slow client's connection,
	// then its queue of 4 updates.
	pad := strings.Repeat("x", 16<<10)
	appended, seen := 0, 0
	for f.m.Metrics().Dropped == 0 {
		if appended > 1000 {
			t.Fatal("the slow client was never dropped")
		}
		line := fmt.Sprintf(`{"k":"%s","v":%d,"ts":"2026-01-01 00:00:01"}`, pad, appended)
		if err := f.stream.AppendJSON(line); err != nil {
			t.Fatal(err)
		}
		appended++
		for _, l := range fast.next().lines() { // the fast client keeps up
			if !strings.HasSuffix(l, fmt.Sprintf(" %d", seen)) {
				t.Fatalf("fast client row %d: %.20s…", seen, l)
			}
			seen++
		}
	}
	mt := f.awaitMetrics("one subscriber left", func(m Metrics) bool { return m.Subscribers == 1 })
	if len(mt.Jobs) != 1 || mt.Jobs[0].Dropped != 1 {
		t.Errorf("metrics = %+v, want the job running with one drop", mt)
	}
	f.append("after 1 2")
	if got := fast.next().lines(); len(got) != 1 || got[0] != "+ after 1" {
		t.Errorf("fast client after the drop: %v", got)
	}
	// The slow client reads what was sent, then the error and the close
	// (slowly: TCP backs off probing a window that was closed).
	var last frame
	for {
		fr, err := slow.read()
		if err != nil {
			if code := websocket.CloseStatus(err); code != websocket.StatusTryAgainLater {
				t.Errorf("slow client closed with %v (%v), want StatusTryAgainLater", code, err)
			}
			break
		}
		last = fr
	}
	if !strings.Contains(last.Error, "too slow") {
		t.Errorf("last frame of the slow client = %+v, want the slow-consumer error", last)
	}
}

// TestFrameLimits: updates larger than MaxFrameBytes are split into frames
// of whole rows; a row that does not fit ends the connection; a first
// frame over MaxMessageBytes is refused.
func TestFrameLimits(t *testing.T) {
	f := newFixture(t, Options{})
	srv := f.server(HandlerOptions{MaxFrameBytes: 200, MaxMessageBytes: 100})
	c := dial(t, srv, "SELECT k, v FROM t", "")
	f.awaitMetrics("the job", func(m Metrics) bool { return m.Subscribers == 1 })
	var rows []string
	for i := range 20 {
		rows = append(rows, fmt.Sprintf("key%02d %d 1", i, i))
	}
	f.append(rows...)
	var got []string
	frames := 0
	for len(got) < 20 {
		got = append(got, c.next().lines()...)
		frames++
	}
	if frames < 2 || got[0] != "+ key00 0" || got[19] != "+ key19 19" {
		t.Errorf("%d frames, rows %v", frames, got)
	}
	f.append(strings.Repeat("x", 300) + " 1 1")
	if fr := c.next(); !strings.Contains(fr.Error, "larger than the frame limit") {
		t.Errorf("oversized row: %+v", fr)
	}
	if code := c.closeStatus(); code != websocket.StatusMessageTooBig {
		t.Errorf("close %v, want message too big", code)
	}

	big := dial(t, srv, "", "")
	big.send(`{"sql":"SELECT k FROM t WHERE k <> '` + strings.Repeat("y", 200) + `'"}`)
	if _, err := big.read(); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Errorf("oversized first frame: %v, want close message too big", err)
	}
	long := dial(t, srv, "SELECT k FROM t WHERE k <> '"+strings.Repeat("y", 200)+"'", "")
	if fr := long.next(); !strings.Contains(fr.Error, "longer than 100 bytes") {
		t.Errorf("oversized SQL in the URL: %+v", fr)
	}
}

// TestDeadPeerDropped: a client that completed the handshake and then
// vanished (no reads, no pongs) is noticed by the ping and its
// subscription ends, stopping the job.
func TestDeadPeerDropped(t *testing.T) {
	f := newFixture(t, Options{})
	srv := f.server(HandlerOptions{PingInterval: 20 * time.Millisecond, WriteTimeout: 100 * time.Millisecond})
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	q := url.Values{"sql": {"SELECT k FROM t"}}
	fmt.Fprintf(conn, "GET /live?%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", q.Encode(), srv.Listener.Addr())
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %s", resp.Status)
	}
	f.awaitMetrics("the subscriber", func(m Metrics) bool { return m.JobsStarted == 1 })
	// The peer now neither reads nor answers pings.
	f.awaitMetrics("the dead peer to be dropped", func(m Metrics) bool { return len(m.Jobs) == 0 && m.JobsStopped == 1 })
}

// TestWriteTimeoutEndsSubscription: a client that stops reading while its
// queue still has room is cut off when a write takes longer than
// WriteTimeout (not counted as a queue overflow).
func TestWriteTimeoutEndsSubscription(t *testing.T) {
	f := newFixture(t, Options{QueueLength: 4096})
	srv := f.smallServer(HandlerOptions{WriteTimeout: 100 * time.Millisecond})
	dial(t, srv, "SELECT k, v FROM t", "") // never reads
	f.awaitMetrics("the subscriber", func(m Metrics) bool { return m.Subscribers == 1 })
	pad := strings.Repeat("x", 16<<10)
	for i := range 200 { // 3 MiB: far more than the socket buffers hold
		if err := f.stream.AppendJSON(fmt.Sprintf(`{"k":"%s","v":%d}`, pad, i)); err != nil {
			t.Fatal(err)
		}
	}
	mt := f.awaitMetrics("the job to stop", func(m Metrics) bool { return len(m.Jobs) == 0 })
	if mt.Dropped != 0 {
		t.Errorf("dropped = %d, want 0 (a write timeout, not an overflow)", mt.Dropped)
	}
}

// TestFirstFrameErrors: no first frame within FirstFrameTimeout, or a
// binary one, ends the connection with an error frame.
func TestFirstFrameErrors(t *testing.T) {
	f := newFixture(t, Options{})
	srv := f.server(HandlerOptions{FirstFrameTimeout: 50 * time.Millisecond})
	quiet := dial(t, srv, "", "")
	if fr := quiet.next(); !strings.Contains(fr.Error, "reading request") {
		t.Errorf("no first frame: %+v", fr)
	}
	if code := quiet.closeStatus(); code != websocket.StatusPolicyViolation {
		t.Errorf("close %v, want policy violation", code)
	}
	binary := dial(t, srv, "", "")
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := binary.conn.Write(ctx, websocket.MessageBinary, []byte(`{"sql":"SELECT k FROM t"}`)); err != nil {
		t.Fatal(err)
	}
	if fr := binary.next(); !strings.Contains(fr.Error, "want a text frame") {
		t.Errorf("binary first frame: %+v", fr)
	}
}

// TestTooManyJobsOverWebSocket: a query beyond MaxJobs gets an error frame
// and a try-again-later close; the running query is unaffected.
func TestTooManyJobsOverWebSocket(t *testing.T) {
	f := newFixture(t, Options{MaxJobs: 1})
	srv := f.server(HandlerOptions{})
	running := dial(t, srv, "SELECT k FROM t", "")
	f.awaitMetrics("the first job", func(m Metrics) bool { return m.Subscribers == 1 })
	refused := dial(t, srv, "SELECT v FROM t", "")
	if fr := refused.next(); !strings.Contains(fr.Error, ErrTooManyJobs.Error()) {
		t.Errorf("refused query: %+v", fr)
	}
	if code := refused.closeStatus(); code != websocket.StatusTryAgainLater {
		t.Errorf("close %v, want try again later", code)
	}
	f.append("a 1 1")
	if got := running.next().lines(); len(got) != 1 || got[0] != "+ a" {
		t.Errorf("running query: %v", got)
	}
}
