package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Part A's pacing: a POST carries hotBatchEvery worth of the target rate,
// and hotPosters POSTs may be in flight at once (each waits for its fsync).
const (
	hotBatchEvery = 10 * time.Millisecond
	hotPosters    = 4
	// hotDrainWait bounds the wait, after the last acknowledgement, for
	// subscribers to receive every event (or be dropped).
	hotDrainWait = 15 * time.Second
)

// hotRun is part A's result for one subscriber count.
type hotRun struct {
	subscribers int
	acked       int64
	ingestWall  time.Duration
	busyWall    time.Duration // ingest plus drain
	cpu         time.Duration // process CPU over busyWall (server and clients); < 0 unknown
	delivered   int64
	dropped     int   // closed by the server as too slow (1008)
	ended       int   // ended for another reason before the drain finished
	unparsed    int64 // frames without a readable "sent"
	drained     bool  // every subscriber still connected got every event
	lat         latencyHist
	liveQueries int
	liveFrames  int64
	liveDropped int
	liveErrors  []string
}

// runHotBench runs part A with n subscribers against a fresh server.
func runHotBench(ctx context.Context, dir string, o *serveBenchOptions, n int) (*hotRun, error) {
	srv, err := startBenchServer(ctx, []string{"--addr", "127.0.0.1:0", "--state-dir", filepath.Join(dir, "state"),
		"--warehouse", filepath.Join(dir, "wh"), "--topic-schema", serveBenchSchema})
	if err != nil {
		return nil, err
	}
	r, err := driveHot(ctx, srv.base, o, n)
	if stopErr := srv.stop(); err == nil && stopErr != nil {
		err = stopErr
	}
	return r, err
}

func driveHot(ctx context.Context, base string, o *serveBenchOptions, n int) (*hotRun, error) {
	client := newBenchClient()
	defer client.CloseIdleConnections()
	// The topic exists (for live queries) once it holds an event; the
	// subscribers below join after it and do not see it.
	warm := appendBenchEvent(nil, 0, time.Now().UnixNano(), time.Now().UnixMilli())
	if _, err := postEvents(ctx, client, base, warm); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(base, "http")
	subs := make([]*benchSubscriber, n)
	var readers sync.WaitGroup
	defer readers.Wait()
	for i := range subs {
		c, err := dialRaw(runCtx, base, "/events?topic="+serveBenchTopic)
		if err != nil {
			closeSubscribers(subs[:i])
			return nil, fmt.Errorf("subscribing %d of %d: %w", i+1, n, err)
		}
		subs[i] = &benchSubscriber{raw: c}
	}
	defer closeSubscribers(subs)
	lives := make([]*benchSubscriber, o.live)
	for i := range lives {
		sql := liveBenchQuery(i)
		c, _, err := websocket.Dial(runCtx, ws+"/live?sql="+url.QueryEscape(sql), nil)
		if err != nil {
			closeSubscribers(lives[:i])
			return nil, fmt.Errorf("opening live query %q: %w", sql, err)
		}
		lives[i] = &benchSubscriber{conn: c, live: true}
	}
	defer closeSubscribers(lives)
	for _, s := range append(append([]*benchSubscriber(nil), subs...), lives...) {
		readers.Add(1)
		go func() { defer readers.Done(); s.read(runCtx) }()
	}

	r := &hotRun{subscribers: n, liveQueries: o.live}
	t0, cpu0 := time.Now(), processCPUTime()
	acked, err := paceIngest(runCtx, client, base, o.rate, o.duration)
	r.acked, r.ingestWall = acked, time.Since(t0)
	if err != nil {
		return nil, err
	}
	r.drained = awaitDrain(subs, acked, hotDrainWait)
	r.busyWall, r.cpu = time.Since(t0), -1
	if cpu0 >= 0 {
		r.cpu = processCPUTime() - cpu0
	}
	cancel()
	closeSubscribers(subs)
	closeSubscribers(lives)
	readers.Wait()
	for _, s := range subs {
		r.delivered += s.delivered.Load()
		r.unparsed += s.unparsed
		r.lat.merge(&s.hist)
		switch {
		case s.slow:
			r.dropped++
		case s.endErr != nil && !s.closedByUs:
			r.ended++
		}
	}
	for _, s := range lives {
		r.liveFrames += s.delivered.Load()
		if s.slow {
			r.liveDropped++
		}
		if s.errFrame != "" {
			r.liveErrors = append(r.liveErrors, s.errFrame)
		}
	}
	return r, nil
}

// liveBenchQuery is the i-th live query: a filter/projection, a
// one-second-or-longer tumbling count, and an EMIT CHANGES group by, in
// turn; the constants differ so each is its own job.
func liveBenchQuery(i int) string {
	k := i / 3
	switch i % 3 {
	case 0:
		return fmt.Sprintf(`SELECT "user", amount FROM %s WHERE amount >= %d`, serveBenchTopic, 50+k)
	case 1:
		return fmt.Sprintf(`SELECT window_start, COUNT(*) AS n, SUM(amount) AS total FROM TUMBLE(%s, timestamp, INTERVAL '%d' SECOND) GROUP BY window_start`, serveBenchTopic, 1+k)
	default:
		return fmt.Sprintf(`SELECT "user", COUNT(*) AS n, SUM(amount) AS total FROM %s WHERE amount >= %d GROUP BY "user" EMIT CHANGES`, serveBenchTopic, k)
	}
}

// paceIngest posts events at rate per second for d: a pacer hands out a
// batch every interval, hotPosters workers post them. A batch's events
// carry the time its POST starts. When the server cannot keep up the
// pacer waits and the achieved rate falls below the target.
func paceIngest(ctx context.Context, client *http.Client, base string, rate int, d time.Duration) (int64, error) {
	per := max(1, int(int64(rate)*int64(hotBatchEvery)/int64(time.Second)))
	interval := time.Duration(int64(per) * int64(time.Second) / int64(rate))
	batches := make(chan int64, hotPosters)
	var acked atomic.Int64
	var firstErr error
	var errOnce sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range hotPosters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body []byte
			for first := range batches {
				body = body[:0]
				now := time.Now()
				for i := first; i < first+int64(per); i++ {
					body = appendBenchEvent(body, i, now.UnixNano(), now.UnixMilli())
				}
				n, err := postEvents(ctx, client, base, body)
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					continue
				}
				acked.Add(int64(n))
			}
		}()
	}
	start := time.Now()
	tick := time.NewTicker(interval)
pace:
	for k := int64(0); time.Since(start) < d; k++ {
		select {
		case batches <- k * int64(per):
		case <-ctx.Done():
			break pace
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			break pace
		}
	}
	tick.Stop()
	close(batches)
	wg.Wait()
	return acked.Load(), firstErr
}

// awaitDrain waits until every subscriber still connected has received
// want events, or wait passes; it reports whether they all did.
func awaitDrain(subs []*benchSubscriber, want int64, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for {
		done := true
		for _, s := range subs {
			if !s.finished.Load() && s.delivered.Load() < want {
				done = false
				break
			}
		}
		if done {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		<-poll.C
	}
}

// benchSubscriber reads one WebSocket: an /events subscriber recording
// each frame's latency, or a live query counting frames.
type benchSubscriber struct {
	conn       *websocket.Conn
	raw        *rawSubscriber // /events subscribers (conn is nil)
	live       bool
	delivered  atomic.Int64
	finished   atomic.Bool // read returned
	closedByUs bool
	// Owned by read until it returns.
	hist     latencyHist
	unparsed int64
	slow     bool   // the server closed it as too slow
	endErr   error  // why read returned
	errFrame string // a live query's error frame
}

func (s *benchSubscriber) read(ctx context.Context) {
	defer s.finished.Store(true)
	buf := make([]byte, 0, 1024)
	if s.raw != nil {
		s.readRaw(ctx, buf)
		return
	}
	for {
		_, rd, err := s.conn.Reader(ctx)
		if err == nil {
			buf, err = readInto(buf[:0], rd)
		}
		if err != nil {
			s.endErr = err
			code := websocket.CloseStatus(err)
			// /events closes a lagging subscriber with 1008, /live with 1013.
			if s.live {
				s.slow = code == websocket.StatusTryAgainLater
			} else {
				s.slow = code == websocket.StatusPolicyViolation
			}
			s.closedByUs = ctx.Err() != nil || errors.Is(err, context.Canceled)
			return
		}
		now := time.Now().UnixNano()
		s.delivered.Add(1)
		if s.live {
			if strings.HasPrefix(string(buf[:min(len(buf), 9)]), `{"error":`) {
				s.errFrame = string(buf)
			}
			continue
		}
		if sent, ok := sentField(buf); ok {
			s.hist.record(time.Duration(now - sent))
		} else {
			s.unparsed++
		}
	}
}

// readInto reads a whole message into buf, reusing its capacity.
func readInto(buf []byte, rd io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			if errors.Is(err, io.EOF) {
				return buf, nil
			}
			return buf, err
		}
	}
}

// readRaw is read for an /events subscriber on a raw connection.
func (s *benchSubscriber) readRaw(ctx context.Context, buf []byte) {
	for {
		var err error
		buf, err = s.raw.next(buf)
		if err != nil {
			s.endErr = err
			var cf errClosedFrame
			s.slow = errors.As(err, &cf) && cf.code == int(websocket.StatusPolicyViolation)
			s.closedByUs = ctx.Err() != nil
			return
		}
		s.delivered.Add(1)
		if sent, ok := sentField(buf); ok {
			s.hist.record(time.Duration(s.raw.arrivedAt() - sent))
		} else {
			s.unparsed++
		}
	}
}

func closeSubscribers(subs []*benchSubscriber) {
	for _, s := range subs {
		switch {
		case s == nil:
		case s.raw != nil:
			s.raw.close()
		default:
			s.conn.CloseNow()
		}
	}
}
