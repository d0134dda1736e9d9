package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/streamsql/streamsql"
)

// Options configure a Manager. Zero values take the documented defaults.
type Options struct {
	// QueueLength is how many updates a subscriber may have waiting before
	// it is dropped as too slow (default 256). The shared job never waits
	// for a subscriber.
	QueueLength int
	// MaxSnapshotRows bounds the current result an EMIT CHANGES job keeps
	// for late joiners (default 10000 distinct rows; the oldest go first).
	MaxSnapshotRows int
	// MaxJobs bounds the distinct queries running at once; Subscribe to
	// one more fails with ErrTooManyJobs (0: no limit). Joining a running
	// query is always allowed.
	MaxJobs int
	// Job is the template of every job's options (AllowedLateness,
	// Parallelism, BatchRows, Linger, DeadLetter, MaxStateBytes …). Output
	// is set by the manager; Input and StateDir are ignored: live jobs read
	// the catalog's tables and keep no checkpoints.
	Job streamsql.JobOptions
}

// Manager runs live queries on an engine's tables, one job per distinct
// query shared by all its subscribers. Safe for concurrent use.
type Manager struct {
	engine *streamsql.Engine
	opts   Options

	mu      sync.Mutex
	jobs    map[string]*sharedJob
	closed  bool
	started int64
	stopped int64
	dropped int64 // subscribers dropped as slow, over all jobs that ended
}

// sharedJob is one running query and its subscribers.
type sharedJob struct {
	query   *query
	fan     *fanout
	job     *streamsql.Job
	cancel  context.CancelFunc
	done    chan struct{} // closed once Run returned and the job is closed
	started time.Time
}

// NewManager returns a manager of live queries over e's catalog.
func NewManager(e *streamsql.Engine, opts Options) *Manager {
	if opts.QueueLength <= 0 {
		opts.QueueLength = 256
	}
	if opts.MaxSnapshotRows <= 0 {
		opts.MaxSnapshotRows = 10000
	}
	return &Manager{engine: e, opts: opts, jobs: map[string]*sharedJob{}}
}

// Subscribe starts delivering the results of sql (a SELECT or WITH query
// over the catalog's tables; $1… bound to params) to deliver, joining the
// running job of an equal query or starting one. SQL errors come back
// here, with line and column (a *parse.Error).
//
// deliver runs on a goroutine of the subscription, one update at a time,
// in order; an error from it ends the subscription. The last update has
// Err set (see Update) unless the subscription was cancelled. cancel is
// idempotent and may be called from deliver; when the subscriber was the
// job's last, cancel stops the job and returns once it has stopped.
// Cancelling ctx cancels the subscription too.
func (m *Manager) Subscribe(ctx context.Context, sql string, params []any, deliver func(Update) error) (cancel func(), err error) {
	q, err := m.prepare(sql, params)
	if err != nil {
		return nil, err
	}
	return m.subscribe(ctx, q, deliver)
}

// Tables validates sql like Subscribe and returns the tables it reads, as
// the catalog names them: for transports other than Handler that
// authorize a query before subscribing it.
func (m *Manager) Tables(sql string, params []any) ([]string, error) {
	q, err := m.prepare(sql, params)
	if err != nil {
		return nil, err
	}
	return append([]string(nil), q.tables...), nil
}

// prepare validates a query against the engine's catalog.
func (m *Manager) prepare(sql string, params []any) (*query, error) {
	return prepare(m.engine.Catalog(), sql, params)
}

// subscribe registers a subscriber of a prepared query.
func (m *Manager) subscribe(ctx context.Context, q *query, deliver func(Update) error) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("subscribing: %w", err)
	}
	s := newSubscriber(m.opts.QueueLength, deliver)
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	j := m.jobs[q.key]
	if j == nil && m.opts.MaxJobs > 0 && len(m.jobs) >= m.opts.MaxJobs {
		m.mu.Unlock()
		return nil, fmt.Errorf("subscribing: %w (%d running)", ErrTooManyJobs, len(m.jobs))
	}
	if j == nil {
		var err error
		if j, err = m.start(q); err != nil {
			m.mu.Unlock()
			return nil, err
		}
	}
	s.job = j
	j.fan.add(s)
	m.mu.Unlock()

	var once sync.Once
	cancel := func() {
		once.Do(func() {
			s.cancel()
			m.leave(s)
		})
	}
	s.release = context.AfterFunc(ctx, cancel)
	go s.run(m.leave)
	return cancel, nil
}

// start launches the job of q. Called locked.
func (m *Manager) start(q *query) (*sharedJob, error) {
	fan := newFanout(m.opts.QueueLength, q.changes, m.opts.MaxSnapshotRows)
	opts := m.opts.Job
	opts.Output, opts.Input, opts.StateDir, opts.Explain = fan, nil, "", nil
	ctx, cancel := context.WithCancel(context.Background())
	job, err := m.engine.StartJob(ctx, q.text, opts)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("starting live query: %w", err)
	}
	j := &sharedJob{query: q, fan: fan, job: job, cancel: cancel, done: make(chan struct{}), started: time.Now()}
	m.jobs[q.key] = j
	m.started++
	go m.run(ctx, j)
	return j, nil
}

// run runs j until its input ends, it fails or it is cancelled, then
// ends its subscriptions with the reason.
func (m *Manager) run(ctx context.Context, j *sharedJob) {
	defer close(j.done)
	runErr := j.job.Run(ctx)
	m.mu.Lock()
	if m.jobs[j.query.key] == j {
		m.retire(j)
	}
	m.mu.Unlock()
	// Metrics reads only jobs in the map, so Close cannot race with it.
	closeErr := j.job.Close()
	err := errors.Join(runErr, closeErr)
	switch {
	case ctx.Err() != nil:
		err = ErrClosed // stopped by the manager: no subscriber is left, or Close ended them
	case err == nil:
		err = ErrInputEnded
	default:
		err = fmt.Errorf("running live query: %w", err)
	}
	j.fan.endAll(err)
}

// leave unregisters s; the job stops when s was its last subscriber.
func (m *Manager) leave(s *subscriber) {
	m.mu.Lock()
	var stopping *sharedJob
	if j := s.job; j.fan.remove(s) == 0 && m.jobs[j.query.key] == j {
		m.retire(j)
		stopping = j
	}
	m.mu.Unlock()
	if stopping != nil {
		stopping.cancel()
		<-stopping.done
	}
}

// retire takes j out of the running jobs, keeping its drop count.
// Called locked.
func (m *Manager) retire(j *sharedJob) {
	delete(m.jobs, j.query.key)
	m.stopped++
	_, _, _, dropped := j.fan.stats()
	m.dropped += dropped
}

// Close ends every subscription (with ErrClosed) and stops every job;
// Subscribe fails afterwards.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	jobs := make([]*sharedJob, 0, len(m.jobs))
	for _, j := range m.jobs {
		jobs = append(jobs, j)
		m.retire(j)
	}
	m.mu.Unlock()
	for _, j := range jobs {
		j.fan.endAll(ErrClosed)
		j.cancel()
		<-j.done
	}
}
