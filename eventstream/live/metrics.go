package live

import (
	"sort"
	"time"

	"github.com/streamsql/streamsql/exec"
)

// JobMetrics describes one running shared job.
type JobMetrics struct {
	SQL         string   // the normalised query (parameters inlined)
	Tables      []string // the tables it reads
	Subscribers int
	RowsOut     int64 // result rows the job emitted (each counted once, however many subscribers)
	Updates     int64 // output batches fanned out
	Dropped     int64 // subscribers dropped as too slow
	Started     time.Time
	Job         exec.Metrics // the streaming job's own counters
}

// Metrics is a snapshot of a manager's jobs and counters.
type Metrics struct {
	Jobs        []JobMetrics // running jobs, by SQL
	Subscribers int          // over the running jobs
	JobsStarted int64
	JobsStopped int64
	// Dropped counts subscribers dropped as too slow, over all jobs,
	// running or stopped.
	Dropped int64
}

// Metrics returns the manager's counters; safe to call at any time.
func (m *Manager) Metrics() Metrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := Metrics{JobsStarted: m.started, JobsStopped: m.stopped, Dropped: m.dropped}
	for _, j := range m.jobs { // under the lock: a job leaves the map before it is closed
		subs, rows, updates, dropped := j.fan.stats()
		out.Jobs = append(out.Jobs, JobMetrics{
			SQL: j.query.key, Tables: j.query.tables, Subscribers: subs, RowsOut: rows,
			Updates: updates, Dropped: dropped, Started: j.started, Job: j.job.Metrics(),
		})
		out.Subscribers += subs
		out.Dropped += dropped
	}
	sort.Slice(out.Jobs, func(a, b int) bool { return out.Jobs[a].SQL < out.Jobs[b].SQL })
	return out
}
