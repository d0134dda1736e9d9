package sqltest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/planner/types"
)

// Clock is the settable processing clock of a streaming golden file:
// give Now to the engine (streamsql.WithClock); `advance` moves it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// maxPolls bounds the polls of one expect: a job that keeps moving after
// that many is reported rather than polled forever.
const maxPolls = 10_000

// RunStreamFile runs a golden file that may hold streaming directives on
// db, whose clock must be clock.Now. Jobs are polled on the test's
// goroutine; everything they hold is released before it returns (the
// memory streams the file created go with db, which is the caller's).
func RunStreamFile(t *testing.T, path string, db *streamsql.Engine, clock *Clock, rewrite bool) {
	t.Helper()
	s := &streamRunner{db: db, clock: clock, dir: t.TempDir()}
	defer func() {
		if err := s.close(); err != nil {
			t.Errorf("%s: closing the streaming job: %v", path, err)
		}
	}()
	runFile(t, path, s.run, rewrite)
}

// streamRunner holds the streaming state of one golden file.
type streamRunner struct {
	db    *streamsql.Engine
	clock *Clock
	dir   string // holds each job's state directory

	runs   int // stream directives so far, to name state directories
	script string
	opts   streamsql.JobOptions
	job    *streamsql.Job
	sink   *trackedSink
	dead   *deadLetters
	seen   int64 // sink rows already shown by expect
	dlSeen int   // dead letters already shown

}

// run runs one record: streaming directives here, the rest as batch
// records (CREATE TABLE of a stream also marking it as one).
func (s *streamRunner) run(r *Record) ([]string, error) {
	ctx := context.Background()
	switch r.Kind {
	case "statement":
		return runRecord(s.db, r)
	case "stream":
		return s.start(ctx, r)
	case "feed":
		return nil, s.feed(r)
	case "watermark":
		return nil, s.watermark(r)
	case "end":
		if len(r.Args) != 1 {
			return nil, fmt.Errorf("end wants a table name")
		}
		st, err := s.stream(r.Args[0])
		if err != nil {
			return nil, err
		}
		st.CloseWrite()
		return nil, nil
	case "advance":
		if len(r.Args) != 1 {
			return nil, fmt.Errorf("advance wants a duration, e.g. advance 10s")
		}
		d, err := time.ParseDuration(r.Args[0])
		if err != nil || d < 0 {
			return nil, fmt.Errorf("advance: bad duration %q", r.Args[0])
		}
		s.clock.Advance(d)
		return nil, nil
	case "checkpoint":
		if s.job == nil {
			return nil, errNoJob
		}
		return nil, s.job.Checkpoint(ctx)
	case "restart":
		return nil, s.restart(ctx)
	case "expect":
		return s.expect(ctx, r)
	case "metrics":
		return s.metrics()
	case "dead_letters":
		return s.deadLetterLines()
	}
	return runRecord(s.db, r)
}

var errNoJob = errors.New("no streaming job: start one with a stream directive")

// start runs a stream directive: it closes the previous job and starts
// one on a fresh sink and state directory.
func (s *streamRunner) start(ctx context.Context, r *Record) ([]string, error) {
	a, err := parseStreamArgs(r.Args)
	if err != nil {
		return nil, err
	}
	if err := s.stop(); err != nil {
		return nil, err
	}
	s.runs++
	s.script, s.opts = r.SQL, a.opts
	s.sink, s.seen, s.dlSeen = newTrackedSink(), 0, 0
	s.opts.Output = s.sink
	if a.input != "" {
		t, _, err := s.db.Catalog().Lookup(strings.Split(a.input, "."))
		if err != nil {
			return nil, fmt.Errorf("stream: input: %w", err)
		}
		s.opts.Input = t
	}
	s.opts.StateDir = filepath.Join(s.dir, fmt.Sprintf("run-%d", s.runs))
	if err := os.MkdirAll(s.opts.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	s.dead = nil
	if !a.noDead {
		s.dead = &deadLetters{}
		s.opts.DeadLetter = s.dead
	}
	if a.explain {
		return s.explain(ctx)
	}
	job, err := s.db.StartJob(ctx, s.script, s.opts)
	if !a.isError {
		if err != nil {
			return nil, fmt.Errorf("want the job to start, got error: %v", err)
		}
		s.job = job
		return nil, nil
	}
	if err == nil {
		s.job = job
		return nil, fmt.Errorf("want an error, the job started")
	}
	return errorLines(err, a.want)
}

// explain plans the script without starting it and returns each
// pipeline's operator tree.
func (s *streamRunner) explain(ctx context.Context) ([]string, error) {
	var out []string
	opts := s.opts
	opts.Explain = func(_, plan string) {
		out = append(out, strings.Split(strings.TrimRight(plan, "\n"), "\n")...)
	}
	job, err := s.db.StartJob(ctx, s.script, opts)
	if err == nil {
		return nil, errors.Join(errors.New("stream explain: the job started"), job.Close())
	}
	if !errors.Is(err, streamsql.ErrExplained) {
		return nil, err
	}
	return out, nil
}

// restart crashes the job (Close without a checkpoint) and starts it
// again on the same script, state directory, sink and tables.
func (s *streamRunner) restart(ctx context.Context) error {
	if s.job == nil {
		return errNoJob
	}
	err := s.job.Close()
	s.job = nil
	if err != nil {
		return fmt.Errorf("closing job: %w", err)
	}
	s.sink.restored = false
	job, err := s.db.StartJob(ctx, s.script, s.opts)
	if err != nil {
		return fmt.Errorf("restarting job: %w", err)
	}
	s.job = job
	// A resumed sink dropped the rows after the checkpoint; a sink that
	// did not resume starts empty at its first write.
	if s.sink.restored {
		s.seen = min(s.seen, s.sink.Len())
	} else {
		s.seen = 0
	}
	return nil
}

// settle polls until nothing moves: two polls in a row that read no row,
// wrote nothing to the sink and left the watermark where it was; or the
// end of every input.
func (s *streamRunner) settle(ctx context.Context) error {
	quiet := 0
	for range maxPolls {
		before, wm := s.sink.Len(), s.job.Metrics().Watermark
		n, err := s.job.Poll(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if n > 0 || s.sink.Len() != before || s.job.Metrics().Watermark != wm {
			quiet = 0
			continue
		}
		if quiet++; quiet == 2 {
			return nil
		}
	}
	return fmt.Errorf("the job still moves after %d polls", maxPolls)
}

// expect polls the job until it settles and returns the rows the sink
// received since the last expect.
func (s *streamRunner) expect(ctx context.Context, r *Record) ([]string, error) {
	if s.job == nil {
		return nil, errNoJob
	}
	err := s.settle(ctx)
	if len(r.Args) > 0 && r.Args[0] == "error" {
		if err == nil {
			return nil, fmt.Errorf("want an error, the job polled without one")
		}
		return errorLines(err, strings.Join(r.Args[1:], " "))
	}
	if err != nil {
		return nil, fmt.Errorf("polling job: %w", err)
	}
	from, sorted := s.seen, false
	for _, a := range r.Args {
		switch a {
		case "rowsort":
			sorted = true
		case "all":
			from = 0
		default:
			return nil, fmt.Errorf("expect takes all, rowsort or error, not %q", a)
		}
	}
	rows, err := s.sink.lines(from)
	if err != nil {
		return nil, err
	}
	s.seen = s.sink.Len()
	if sorted {
		sort.Strings(rows)
	}
	return rows, nil
}

// metrics formats the job's counters.
func (s *streamRunner) metrics() ([]string, error) {
	if s.job == nil {
		return nil, errNoJob
	}
	m := s.job.Metrics()
	wm := "none"
	switch {
	case m.Watermark == operators.WatermarkEnd:
		wm = "end"
	case m.Watermark != math.MinInt64:
		wm = types.FormatValue(m.Watermark, types.TimestampType)
	}
	return []string{fmt.Sprintf("events_in=%d events_out=%d late=%d dead_lettered=%d watermark=%s",
		m.EventsIn, m.EventsOut, m.Late, m.DeadLettered, wm)}, nil
}

// deadLetterLines returns the dead letters collected since the last
// dead_letters directive.
func (s *streamRunner) deadLetterLines() ([]string, error) {
	if s.dead == nil {
		return nil, fmt.Errorf("the job collects no dead letters (dead_letter=off or no stream)")
	}
	all := s.dead.snapshot()
	out := append([]string{}, all[s.dlSeen:]...)
	s.dlSeen = len(all)
	return out, nil
}

// stop closes the running job, if any.
func (s *streamRunner) stop() error {
	var err error
	if s.job != nil {
		err = s.job.Close()
		s.job = nil
	}
	if s.sink != nil {
		s.sink.Release()
	}
	return err
}

// close releases everything the file's streaming held.
func (s *streamRunner) close() error {
	err := s.stop()
	return err
}
