package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamsql/streamsql/connectors/iceberg"
)

// Part B's layout of event time, relative to the bench's start T0: cold
// events spread evenly over the 48 hours before T0 except the half hour
// after the 1-hour boundary, [T0-1h, T0-30m), which stays empty; hot
// events spread over [T0-30m, T0). `timestamp > NOW() - INTERVAL '1 hour'`
// then selects exactly the events at or after T0-30m for as long as NOW()
// is within 30 minutes of T0, however long ingesting takes.
const (
	unifiedSpan    = 48 * time.Hour
	unifiedGap     = 30 * time.Minute
	unifiedPerPost = 5000
	unifiedPosters = 2
	// unifiedNoCommit is the second run's --batch-max-seconds: no dual
	// path commit happens while the hot events are measured.
	unifiedNoCommit = 86400
)

// unifiedRun is part B's result.
type unifiedRun struct {
	cold, hot    int64
	coldIngest   time.Duration
	commitWait   time.Duration // from the last cold ack to the committed position covering it
	restart      time.Duration // second start, WAL replay included
	replayed     int64
	hotIngest    time.Duration
	committedSeq uint64 // the cold tier's position after the queries
	statsFrom    string
	queries      []*unifiedQuery
	coldLastHour int64 // cold events inside the last-hour filter
}

type unifiedQuery struct {
	name, sql        string
	wantN, gotN      int64
	wantSum, gotSum  float64
	median           time.Duration
	considered, read int64
	pruned           int64
	coldAlone        time.Duration // the same query over the warehouse table alone
}

// unifiedTimes gives event i's time in epoch ms and whether it falls in
// the last-hour filter.
type unifiedTimes struct {
	t0   time.Time
	cold int64
	hot  int64
}

func (u unifiedTimes) eventMS(i int64) (int64, bool) {
	if i >= u.cold { // hot: [T0-30m, T0)
		j := i - u.cold
		off := int64(unifiedGap) / u.hot * j
		return u.t0.Add(-unifiedGap).Add(time.Duration(off)).UnixMilli(), true
	}
	span := unifiedSpan - unifiedGap
	off := time.Duration(int64(span) / u.cold * i)
	recent := off >= unifiedSpan-time.Hour
	if recent {
		off += unifiedGap
	}
	return u.t0.Add(-unifiedSpan).Add(off).UnixMilli(), recent
}

func runUnifiedBench(ctx context.Context, dir string, o *serveBenchOptions) (*unifiedRun, error) {
	r := &unifiedRun{cold: o.coldEvents, hot: o.hotEvents}
	times := unifiedTimes{t0: time.Now(), cold: o.coldEvents, hot: o.hotEvents}
	wh := filepath.Join(dir, "wh")
	args := func(batchSecs int) []string {
		return []string{"--addr", "127.0.0.1:0", "--state-dir", filepath.Join(dir, "state"), "--warehouse", wh,
			"--topic-schema", serveBenchSchema, "--hot-retention", "1h", "--hot-max-bytes", strconv.Itoa(4 << 30),
			"--batch-max-seconds", strconv.Itoa(batchSecs)}
	}
	client := newBenchClient()
	defer client.CloseIdleConnections()

	// Run 1: the cold events, committed to the warehouse by the dual path.
	srv, err := startBenchServer(ctx, args(1))
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	err = ingestUnified(ctx, client, srv.base, 0, o.coldEvents, times)
	r.coldIngest = time.Since(t0)
	if err == nil {
		t1 := time.Now()
		err = awaitCommitted(ctx, wh, uint64(o.coldEvents), time.Minute+time.Duration(o.coldEvents/5000)*time.Second)
		r.commitWait = time.Since(t1)
	}
	if stopErr := srv.stop(); err == nil && stopErr != nil {
		err = stopErr
	}
	if err != nil {
		return nil, fmt.Errorf("%w (serve log: %s)", err, srv.stderr.tail(300))
	}

	// Run 2: the hot events, then the queries, with no commit meanwhile.
	if srv, err = startBenchServer(ctx, args(unifiedNoCommit)); err != nil {
		return nil, err
	}
	r.restart, r.replayed = srv.started, srv.replayed()
	err = measureUnified(ctx, client, srv, wh, o, times, r)
	if stopErr := srv.stop(); err == nil && stopErr != nil {
		err = stopErr
	}
	if err != nil {
		return nil, fmt.Errorf("%w (serve log: %s)", err, srv.stderr.tail(300))
	}
	return r, nil
}

func measureUnified(ctx context.Context, client *http.Client, srv *benchServer, wh string, o *serveBenchOptions, times unifiedTimes, r *unifiedRun) error {
	t0 := time.Now()
	if err := ingestUnified(ctx, client, srv.base, o.coldEvents, o.coldEvents+o.hotEvents, times); err != nil {
		return err
	}
	r.hotIngest = time.Since(t0)
	const filter = " WHERE timestamp > NOW() - INTERVAL '1 hour'"
	const agg = "SELECT count(*), sum(amount) FROM " + serveBenchTopic
	last := &unifiedQuery{name: "last_hour", sql: agg + filter}
	full := &unifiedQuery{name: "full", sql: agg}
	for i := range o.coldEvents + o.hotEvents {
		_, recent := times.eventMS(i)
		full.wantN++
		full.wantSum += benchAmount(i)
		if recent {
			last.wantN++
			last.wantSum += benchAmount(i)
			if i < o.coldEvents {
				r.coldLastHour++
			}
		}
	}
	r.queries = []*unifiedQuery{last, full}
	for _, q := range r.queries {
		if err := timeUnifiedQuery(ctx, client, srv.base, q, times.t0, o.runs); err != nil {
			return err
		}
	}
	if err := unifiedFileStats(ctx, client, srv.base, wh, r, o.runs); err != nil {
		return err
	}
	w, err := iceberg.OpenWarehouse(wh)
	if err != nil {
		return err
	}
	defer w.Close()
	seq, _, err := committedSeq(ctx, w)
	if err != nil {
		return err
	}
	r.committedSeq = seq
	if seq != uint64(o.coldEvents) {
		return fmt.Errorf("the cold tier committed up to event %d while the hot events were measured, want %d: they were not hot-only", seq, o.coldEvents)
	}
	return nil
}

// timeUnifiedQuery runs q once checked, then runs times timed and
// checked; every answer must equal what was ingested.
func timeUnifiedQuery(ctx context.Context, client *http.Client, base string, q *unifiedQuery, t0 time.Time, runs int) error {
	walls := make([]time.Duration, runs)
	for i := -1; i < runs; i++ {
		if since := time.Since(t0); since >= unifiedGap {
			return fmt.Errorf("%s: the bench ran %s past its start; the last-hour count is exact for %s only", q.name, since.Round(time.Second), unifiedGap)
		}
		start := time.Now()
		rows, err := postQuery(ctx, client, base, q.sql)
		wall := time.Since(start)
		if err != nil {
			return fmt.Errorf("%s: %w", q.name, err)
		}
		if q.gotN, q.gotSum, err = countAndSum(rows); err != nil {
			return fmt.Errorf("%s: %w", q.name, err)
		}
		if q.gotN != q.wantN || q.gotSum != q.wantSum {
			return fmt.Errorf("%s counted %d events summing to %v, want %d summing to %v", q.name, q.gotN, q.gotSum, q.wantN, q.wantSum)
		}
		if i >= 0 {
			walls[i] = wall
		}
	}
	q.median = median(walls)
	return nil
}

// countAndSum reads a one-row (count, sum) answer; an empty sum is 0.
func countAndSum(rows [][]any) (int64, float64, error) {
	if len(rows) != 1 || len(rows[0]) != 2 {
		return 0, 0, fmt.Errorf("want one row of (count, sum), got %v", rows)
	}
	cn, ok := rows[0][0].(json.Number)
	if !ok {
		return 0, 0, fmt.Errorf("count is %v, want a number", rows[0][0])
	}
	n, err := cn.Int64()
	if err != nil {
		return 0, 0, fmt.Errorf("reading the count: %w", err)
	}
	if rows[0][1] == nil {
		return n, 0, nil
	}
	sn, ok := rows[0][1].(json.Number)
	if !ok {
		return 0, 0, fmt.Errorf("sum is %v, want a number", rows[0][1])
	}
	sum, err := sn.Float64()
	if err != nil {
		return 0, 0, fmt.Errorf("reading the sum: %w", err)
	}
	return n, sum, nil
}

// ingestUnified posts events [from, to) in batches of unifiedPerPost,
// unifiedPosters at a time, and checks every one was acknowledged.
func ingestUnified(ctx context.Context, client *http.Client, base string, from, to int64, times unifiedTimes) error {
	starts := make(chan int64)
	var acked atomic.Int64
	var firstErr error
	var once sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range unifiedPosters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body []byte
			for first := range starts {
				body = body[:0]
				sent := time.Now().UnixNano()
				for i := first; i < min(first+unifiedPerPost, to); i++ {
					ms, _ := times.eventMS(i)
					body = appendBenchEvent(body, i, sent, ms)
				}
				n, err := postEvents(ctx, client, base, body)
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					continue
				}
				acked.Add(int64(n))
			}
		}()
	}
feed:
	for first := from; first < to; first += unifiedPerPost {
		select {
		case starts <- first:
		case <-ctx.Done():
			break feed
		}
	}
	close(starts)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if got := acked.Load(); got != to-from {
		return fmt.Errorf("the server acknowledged %d events, want %d", got, to-from)
	}
	return nil
}

// awaitCommitted waits until the warehouse's events.<topic> covers the
// first seq events of the topic (the dual path's committed position).
func awaitCommitted(ctx context.Context, dir string, seq uint64, wait time.Duration) error {
	w, err := iceberg.OpenWarehouse(dir)
	if err != nil {
		return err
	}
	defer w.Close()
	deadline := time.Now().Add(wait)
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for {
		got, _, err := committedSeq(ctx, w)
		if err != nil {
			return err
		}
		if got >= seq {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for the cold tier: it committed %d of %d events in %s", got, seq, wait)
		}
		select {
		case <-poll.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// committedSeq is the hot sequence the topic's newest dual-path commit
// covers (0 before the first), and that commit's snapshot.
func committedSeq(ctx context.Context, w *iceberg.Warehouse) (uint64, int64, error) {
	name := iceberg.TierNamespace + "." + serveBenchTopic
	snap, pos, ok, err := w.CommittedPosition(ctx, name, "eventstream/"+serveBenchTopic)
	if err != nil || !ok {
		return 0, 0, err
	}
	var p struct {
		Seq uint64 `json:"seq"`
	}
	if err := json.Unmarshal(pos, &p); err != nil {
		return 0, 0, fmt.Errorf("reading the position committed to %s: %w", name, err)
	}
	return p.Seq, snap, nil
}
