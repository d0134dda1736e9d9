package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/expr"
)

// checkJob runs the table through the real runtime (exec, Run mode, a
// checkpoint every 20 ms, CommitPosition called by exec, possibly while a
// Read is in progress): a job is cancelled mid-stream like a crash and a
// second job resumes from its state directory with more messages produced
// meanwhile. The sink, which like a file truncates to its checkpoint on
// Restore, must then hold every message: exactly once when Replayable, at
// least once otherwise.
func checkJob(t *testing.T, s *Source) error {
	run := newRun("job")
	dir := t.TempDir()
	out := &collectSink{run: run}
	s.Produce(t, messages(run, 0, 100, 4))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j1, err := startJob(t, s, out, dir, 0)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- j1.Run(ctx) }()
	deadline := time.Now().Add(s.timeout())
	for out.committed() == 0 {
		select {
		case err := <-done:
			j1.close()
			return fmt.Errorf("the first job ended before a checkpoint with rows: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			j1.close()
			return fmt.Errorf("no checkpoint committed rows of the run within %s", s.timeout())
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.Produce(t, messages(run, 100, 100, 4))
	cancel() // the crash, wherever the job is
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		j1.close()
		return fmt.Errorf("the first job failed: %w", err)
	}
	if err := j1.close(); err != nil {
		return err
	}

	s.Produce(t, messages(run, 200, 50, 4))
	j2, err := startJob(t, s, out, dir, max(500*time.Millisecond, s.timeout()/10))
	if err != nil {
		return err
	}
	if err := j2.Run(context.Background()); err != nil {
		j2.close()
		return fmt.Errorf("the resumed job failed: %w", err)
	}
	if err := j2.close(); err != nil {
		return err
	}
	rows := out.all()
	seen := map[int64]int{}
	last := map[string]int64{}
	for _, r := range rows {
		seen[r.seq]++
		if prev, ok := last[r.key]; ok && prev > r.seq && s.Replayable && !s.Unordered {
			return fmt.Errorf("key %s: seq %d after %d in the output", r.key, r.seq, prev)
		}
		last[r.key] = r.seq
	}
	for seq := range int64(250) {
		switch n := seen[seq]; {
		case n == 0:
			return fmt.Errorf("seq %d is missing from the output (%d rows)", seq, len(rows))
		case n > 1 && s.Replayable:
			return fmt.Errorf("seq %d is %d times in the output: not exactly once", seq, n)
		}
	}
	return nil
}

// startJob opens a fresh table and a job reading it into out, resuming
// from dir when it holds a checkpoint; untilIdle 0 runs until cancelled.
func startJob(t *testing.T, s *Source, out *collectSink, dir string, untilIdle time.Duration) (*job, error) {
	tbl := s.Open(t)
	var cols []int
	for _, f := range Schema.Fields() {
		idx := tbl.Schema().FieldIndices(f.Name)
		if len(idx) != 1 {
			catalog.ReleaseTable(tbl)
			return nil, fmt.Errorf("the table lacks column %s (declare %s)", f.Name, Columns)
		}
		cols = append(cols, idx[0])
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	root := &operators.Stage{Name: "Scan " + s.Name, Stream: &operators.StreamScan{
		Name: s.Name, Table: tbl, Columns: cols, Schema: Schema, TimeCol: -1}}
	j, err := exec.NewJob(context.Background(), root, exec.JobOptions{Alloc: mem, Sink: out, StateDir: dir, DeadLetter: skipDead{},
		CheckpointInterval: 20 * time.Millisecond, Linger: 20 * time.Millisecond, UntilIdle: untilIdle})
	if err != nil {
		catalog.ReleaseTable(tbl)
		return nil, fmt.Errorf("starting a job: %w", err)
	}
	return &job{Job: j, table: tbl, mem: mem}, nil
}

// skipDead drops dead letters: those of the dead-letter check's malformed
// message, which other checks' jobs read too.
type skipDead struct{}

func (skipDead) Raw(context.Context, []byte, string) error             { return nil }
func (skipDead) Rows(context.Context, arrow.RecordBatch, string) error { return nil }

// job is a running exec job over a table of its own.
type job struct {
	*exec.Job
	table catalog.Table
	mem   *memory.CheckedAllocator
}

// close closes the job and releases its table; no Arrow memory may stay.
func (j *job) close() error {
	err := j.Job.Close()
	catalog.ReleaseTable(j.table)
	if err != nil {
		return fmt.Errorf("closing the job: %w", err)
	}
	if n := j.mem.CurrentAlloc(); n != 0 {
		return fmt.Errorf("%d bytes of Arrow memory still allocated after the job closed", n)
	}
	return nil
}

// collectSink is a catalog.Sink keeping the rows of one run, exactly once
// per checkpoint: PreCommit returns the row count, Restore truncates to it.
type collectSink struct {
	mu       sync.Mutex
	run      string
	rows     []row
	done     int // rows at the last Commit
	pending  map[int64]int
	restored bool
}

var _ catalog.Sink = (*collectSink)(nil)

func (c *collectSink) Write(_ context.Context, b arrow.RecordBatch) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range int(b.NumRows()) {
		run, _ := expr.ScalarValue(b.Column(2), i).(string)
		if run != c.run {
			continue
		}
		k, _ := expr.ScalarValue(b.Column(0), i).(string)
		seq, _ := expr.ScalarValue(b.Column(1), i).(int64)
		c.rows = append(c.rows, row{key: k, seq: seq, run: run})
	}
	return nil
}

func (c *collectSink) PreCommit(_ context.Context, epoch int64) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		c.pending = map[int64]int{}
	}
	c.pending[epoch] = len(c.rows)
	return json.Marshal(len(c.rows))
}

func (c *collectSink) Commit(_ context.Context, epoch int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.pending[epoch]
	if !ok {
		return fmt.Errorf("committing epoch %d: not pre-committed", epoch)
	}
	c.done = n
	return nil
}

func (c *collectSink) Restore(_ context.Context, st []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int
	if err := json.Unmarshal(st, &n); err != nil || n < 0 || n > len(c.rows) {
		return fmt.Errorf("restoring: bad state %q for %d rows", st, len(c.rows))
	}
	c.rows, c.done, c.restored = c.rows[:n], n, true
	return nil
}

func (c *collectSink) Close() error { return nil }

// committed is the number of rows of the run committed so far.
func (c *collectSink) committed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

func (c *collectSink) all() []row {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]row(nil), c.rows...)
}
