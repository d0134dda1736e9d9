//go:build !js

package live

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// latencies collects append→delivery times of rows numbered by v.
type latencies struct {
	mu      sync.Mutex
	sent    []time.Time // by row number
	samples []time.Duration
	pending []int // deliveries still due per row
	done    []chan struct{}
}

func newLatencies(rows, subscribers int) *latencies {
	l := &latencies{sent: make([]time.Time, rows), pending: make([]int, rows), done: make([]chan struct{}, rows)}
	for i := range rows {
		l.pending[i] = subscribers
		l.done[i] = make(chan struct{})
	}
	return l
}

func (l *latencies) got(row int) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.samples = append(l.samples, now.Sub(l.sent[row]))
	if l.pending[row]--; l.pending[row] == 0 {
		close(l.done[row])
	}
}

// report adds the p50 and p99 latencies to b's results.
func (l *latencies) report(b *testing.B) {
	l.mu.Lock()
	defer l.mu.Unlock()
	slices.Sort(l.samples)
	if len(l.samples) == 0 {
		return
	}
	pct := func(p float64) float64 {
		return float64(l.samples[int(p*float64(len(l.samples)-1))].Microseconds())
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

// drive appends b.N rows one at a time, each once every subscriber got
// the previous one.
func drive(b *testing.B, f *fixture, l *latencies) {
	b.ResetTimer()
	for i := range b.N {
		l.mu.Lock()
		l.sent[i] = time.Now()
		l.mu.Unlock()
		f.append(fmt.Sprintf("k %d 1", i))
		select {
		case <-l.done[i]:
		case <-time.After(waitFor):
			b.Fatalf("row %d was not delivered to every subscriber", i)
		}
	}
	b.StopTimer()
	l.report(b)
}

// BenchmarkLatency100Subscribers: append→deliver latency of one shared
// filter query with 100 in-process subscribers.
func BenchmarkLatency100Subscribers(b *testing.B) {
	const subs = 100
	f := newFixture(b, Options{QueueLength: 1024})
	l := newLatencies(b.N, subs)
	for range subs {
		cancel, err := f.m.Subscribe(context.Background(), "SELECT k, v FROM t WHERE v >= 0", nil, func(u Update) error {
			for _, row := range u.Rows {
				n, err := strconv.Atoi(string(row[1]))
				if err != nil {
					return err
				}
				l.got(n)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(cancel)
	}
	drive(b, f, l)
}

// BenchmarkLatency100WebSockets: the same over 100 WebSocket clients.
func BenchmarkLatency100WebSockets(b *testing.B) {
	const subs = 100
	f := newFixture(b, Options{QueueLength: 1024})
	srv := f.server(HandlerOptions{})
	l := newLatencies(b.N, subs)
	var wg sync.WaitGroup
	var clients []*client
	b.Cleanup(func() { // before the fixture's leak checks (Cleanup is LIFO)
		for _, c := range clients {
			c.conn.CloseNow()
		}
		wg.Wait()
	})
	for range subs {
		c, err := tryDial(srv, url.Values{"sql": {"SELECT k, v FROM t WHERE v >= 0"}})
		if err != nil {
			b.Fatal(err)
		}
		clients = append(clients, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				fr, err := c.read()
				if err != nil || fr.Error != "" {
					return
				}
				for _, row := range fr.Rows {
					l.got(int(row[1].(float64)))
				}
			}
		}()
	}
	f.awaitMetrics("the subscribers", func(m Metrics) bool { return m.Subscribers == subs })
	drive(b, f, l)
}
