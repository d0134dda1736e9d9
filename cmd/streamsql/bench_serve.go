package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The serve suite: `streamsql serve` run in process as the command runs
// it (WAL fsync per ingest, cold tier on). Part A: ingest at a target
// rate into one topic watched by N WebSocket subscribers and a mix of
// live queries, measuring ingest-to-subscriber latency. Part B: events
// spread over 48 hours committed to the warehouse, more events kept
// hot-only, then the unified last-hour and full aggregates through
// POST /query, checked exactly.
func init() { benchRunners["serve"] = benchServe }

// serveBenchTopic is the topic both parts write; serveBenchSchema declares
// its fields so `amount` is a DOUBLE column in both tiers.
const (
	serveBenchTopic  = "bench"
	serveBenchSchema = serveBenchTopic + "=user VARCHAR, amount DOUBLE, sent BIGINT"
)

type serveBenchOptions struct {
	rate        int
	duration    time.Duration
	subscribers []int
	live        int
	coldEvents  int64
	hotEvents   int64
	runs        int
	cpuprofile  string
	memprofile  string
}

func parseBenchServe(args []string) (*serveBenchOptions, error) {
	fs := newFlagSet("bench serve")
	o := &serveBenchOptions{}
	fs.IntVar(&o.rate, "rate", 10_000, "part A: target ingest rate, events per second (POSTs of 10 ms worth of events)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "part A: how long to ingest per subscriber count")
	subs := fs.String("subscribers", "1,100,1000", "part A: comma-separated WebSocket subscriber counts, one run each")
	fs.IntVar(&o.live, "live", 10, "part A: live queries open during each run (a filter, a tumbling count and an EMIT CHANGES group by, in turn)")
	fs.Int64Var(&o.coldEvents, "cold-events", 1_000_000, "part B: events over the past 48 hours committed to the warehouse (0 skips part B)")
	fs.Int64Var(&o.hotEvents, "hot-events", 100_000, "part B: events in the last half hour kept hot-only")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of part A (server and clients) to FILE")
	fs.StringVar(&o.memprofile, "memprofile", "", "write an allocation profile of part A (server and clients) to FILE")
	fs.IntVar(&o.runs, "runs", 5, "part B: timed runs per query (the median is reported), after one checked warm-up")
	if err := fs.Parse(args); err != nil {
		return nil, usagef("bench serve: %v", err)
	}
	if fs.NArg() > 0 {
		return nil, usagef("bench serve takes no arguments, got %q", fs.Args())
	}
	for _, s := range strings.Split(*subs, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, usagef("bench serve: --subscribers wants positive counts, got %q", s)
		}
		o.subscribers = append(o.subscribers, n)
	}
	if o.rate < 1 || o.duration <= 0 || o.live < 0 || o.coldEvents < 0 || o.hotEvents < 0 || o.runs < 1 {
		return nil, usagef("bench serve: --rate, --duration and --runs must be positive, --live, --cold-events and --hot-events not negative")
	}
	return o, nil
}

func benchServe(args []string, out io.Writer) error {
	o, err := parseBenchServe(args)
	if err != nil {
		return err
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "streamsql-bench-serve")
	if err != nil {
		return fmt.Errorf("creating temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)

	fmt.Fprintf(out, "streamsql bench serve: `serve` in process (WAL fsync per ingest, cold tier on), clients in the same process over loopback; load average %s\n", loadAverage())
	if len(o.subscribers) > 0 {
		hot, err := runHotBenches(ctx, dir, o)
		if err != nil {
			return err
		}
		printHotRuns(out, o, hot)
	}
	if o.coldEvents+o.hotEvents > 0 {
		r, err := runUnifiedBench(ctx, dir+"/unified", o)
		if err != nil {
			return fmt.Errorf("bench serve: unified query: %w", err)
		}
		printUnified(out, o, r)
	}
	fmt.Fprintf(out, "load average at the end %s\n", loadAverage())
	return nil
}

// runHotBenches runs part A once per subscriber count, profiled when
// asked.
func runHotBenches(ctx context.Context, dir string, o *serveBenchOptions) ([]*hotRun, error) {
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return nil, fmt.Errorf("creating CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, fmt.Errorf("starting CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if o.memprofile != "" {
		runtime.MemProfileRate = 64 << 10 // enough samples for a few seconds of traffic
	}
	var hot []*hotRun
	for i, n := range o.subscribers {
		r, err := runHotBench(ctx, fmt.Sprintf("%s/hot%d", dir, i), o, n)
		if err != nil {
			return nil, fmt.Errorf("bench serve: %d subscribers: %w", n, err)
		}
		hot = append(hot, r)
	}
	if o.memprofile != "" {
		f, err := os.Create(o.memprofile)
		if err != nil {
			return nil, fmt.Errorf("creating allocation profile: %w", err)
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return nil, fmt.Errorf("writing allocation profile: %w", err)
		}
	}
	return hot, nil
}

// verdict spells a floor's outcome as the other benches do.
func verdict(ok bool) string {
	if ok {
		return "holds"
	}
	return "MISSED"
}

// benchServer is one in-process run of serve.
type benchServer struct {
	base    string // http://host:port
	started time.Duration
	stdout  *lockedBuffer
	stderr  *lockedBuffer
	cancel  context.CancelFunc
	done    chan error
}

// startBenchServer runs serve(args) until stop; it returns once the server
// accepts connections (started is how long that took: WAL replay).
func startBenchServer(ctx context.Context, args []string) (*benchServer, error) {
	ctx, cancel := context.WithCancel(ctx)
	s := &benchServer{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	addr := make(chan string, 1)
	t0 := time.Now()
	go func() { s.done <- serve(ctx, args, s.stdout, s.stderr, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		s.base, s.started = "http://"+a, time.Since(t0)
		return s, nil
	case err := <-s.done:
		cancel()
		if err == nil {
			err = errors.New("serve returned before listening")
		}
		return nil, fmt.Errorf("starting serve: %w (log: %s)", err, s.stderr.tail(400))
	}
}

// stop shuts the server down as SIGINT would and returns serve's error.
func (s *benchServer) stop() error {
	s.cancel()
	if err := <-s.done; err != nil {
		return fmt.Errorf("stopping serve: %w", err)
	}
	return nil
}

// replayed reads the replayed-events count serve printed at start.
func (s *benchServer) replayed() int64 {
	out := s.stdout.String()
	_, after, ok := strings.Cut(out, "replayed ")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(strings.Fields(after)[0], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// lockedBuffer is serve's stdout/stderr: its logger and the cold tier
// write from their own goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tail is the last n bytes written, for error messages.
func (l *lockedBuffer) tail(n int) string {
	s := strings.TrimSpace(l.String())
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	if s == "" {
		return "empty"
	}
	return s
}
