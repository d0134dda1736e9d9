package exec

import (
	"context"
	"fmt"

	"github.com/streamsql/streamsql/catalog"
	"sync"
	"sync/atomic"
	"time"
)

// finalEpoch tags the records nodes make as the end of input passes; the
// final checkpoint gets a real epoch number when the sink takes it.
const finalEpoch int64 = -1

// checkpointsKept is how many checkpoint files stay in StateDir.
const checkpointsKept = 2

// splitRecord is a split's part of a checkpoint: where to resume reading.
type splitRecord struct {
	ID        string
	Position  []byte
	Watermark int64
	Rows      int64 // read before the barrier, across resumes
	Ended     bool
}

// nodeRecord is a node's part of a checkpoint, taken as the barrier
// passed it: its input watermark, counters, and the operator's snapshot.
type nodeRecord struct {
	Watermark    int64
	Late         int64
	DeadLettered int64
	EventsOut    int64 // the sink's
	State        []byte
	HasState     bool
}

// cut collects the records of one checkpoint as its barrier flows.
type cut struct {
	epoch  int64
	splits map[string]map[string]splitRecord // scan key → split ID → record
	nodes  map[string]nodeRecord             // node key → record
}

func newCut(epoch int64) *cut {
	return &cut{epoch: epoch, splits: map[string]map[string]splitRecord{}, nodes: map[string]nodeRecord{}}
}

// coordinator starts checkpoints, collects their records from the nodes
// (on any goroutine) and, when the barrier reaches the sink, commits them.
// One checkpoint is in flight at a time.
type coordinator struct {
	job       *Job
	mu        sync.Mutex
	next      int64        // epoch of the next checkpoint
	inflight  atomic.Int64 // epoch in flight; 0 for none
	lastStart time.Time
	pending   *cut
	final     *cut
	ended     map[string]map[string]splitRecord // final records of ended splits
	completed atomic.Int64
}

func newCoordinator(j *Job) *coordinator {
	return &coordinator{job: j, next: 1, ended: map[string]map[string]splitRecord{}}
}

// reset starts the interval clock (at the first Run or Poll).
func (c *coordinator) reset() {
	c.mu.Lock()
	c.lastStart = c.job.now()
	c.mu.Unlock()
}

// due is the epoch whose barrier splits must inject, or 0.
func (c *coordinator) due() int64 { return c.inflight.Load() }

// maybeTrigger starts a checkpoint when the interval has passed since the
// last one started and none is in flight. It returns the new epoch or 0.
func (c *coordinator) maybeTrigger() int64 {
	if c.job.interval < 0 || c.inflight.Load() != 0 {
		return 0 // the fast path every read of every split takes
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.job.now()
	if c.pending != nil || now.Sub(c.lastStart) < c.job.interval {
		return 0
	}
	return c.beginLocked(now)
}

// begin starts a checkpoint now.
func (c *coordinator) begin() (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending != nil {
		return 0, fmt.Errorf("starting checkpoint: checkpoint %d is still in progress", c.pending.epoch)
	}
	return c.beginLocked(c.job.now()), nil
}

func (c *coordinator) beginLocked(now time.Time) int64 {
	e := c.next
	c.next++
	c.pending = newCut(e)
	c.lastStart = now
	c.inflight.Store(e)
	return e
}

func (c *coordinator) recordSplit(epoch int64, scan string, r splitRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil || c.pending.epoch != epoch {
		return
	}
	addSplit(c.pending.splits, scan, r)
}

func (c *coordinator) recordEnded(scan string, r splitRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	addSplit(c.ended, scan, r)
}

func addSplit(m map[string]map[string]splitRecord, scan string, r splitRecord) {
	if m[scan] == nil {
		m[scan] = map[string]splitRecord{}
	}
	m[scan][r.ID] = r
}

func (c *coordinator) recordNode(epoch int64, key string, r nodeRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case epoch == finalEpoch:
		if c.final == nil {
			c.final = newCut(finalEpoch)
		}
		c.final.nodes[key] = r
	case c.pending != nil && c.pending.epoch == epoch:
		c.pending.nodes[key] = r
	}
}

// complete commits checkpoint epoch, whose barrier reached the sink.
func (c *coordinator) complete(ctx context.Context, epoch int64) error {
	c.mu.Lock()
	ct := c.pending
	c.mu.Unlock()
	if ct == nil || ct.epoch != epoch {
		return fmt.Errorf("completing checkpoint %d: not in progress", epoch)
	}
	if err := c.commit(ctx, ct, false); err != nil {
		return err
	}
	c.mu.Lock()
	c.pending = nil
	c.inflight.Store(0)
	c.mu.Unlock()
	c.completed.Add(1)
	return nil
}

// completeFinal takes the final checkpoint once the end reached the sink.
// A checkpoint whose barrier never got there (every split ended first) is
// superseded by it.
func (c *coordinator) completeFinal(ctx context.Context) error {
	c.mu.Lock()
	ct := c.final
	if ct == nil {
		ct = newCut(finalEpoch)
	}
	ct.epoch = c.next
	c.next++
	c.pending = nil
	c.inflight.Store(0)
	c.mu.Unlock()
	if err := c.commit(ctx, ct, true); err != nil {
		return err
	}
	c.completed.Add(1)
	return nil
}

// commit runs the two phases: the sink pre-commits, the checkpoint file is
// written durably, then the sink commits and older files are removed.
func (c *coordinator) commit(ctx context.Context, ct *cut, final bool) error {
	j := c.job
	sink := j.sink
	if ps, ok := sink.sink.(catalog.SourcePositionSink); ok {
		c.mu.Lock()
		pos := c.positions(ct)
		c.mu.Unlock()
		ps.SourcePositions(ct.epoch, pos)
	}
	var state []byte
	err := guard(sink.name, func() error {
		var err error
		state, err = sink.sink.PreCommit(ctx, ct.epoch)
		return err
	})
	if err != nil {
		return fmt.Errorf("pre-committing checkpoint %d: %w", ct.epoch, err)
	}
	if j.persist() {
		c.mu.Lock()
		data, err := c.assemble(ct, state, final)
		c.mu.Unlock()
		if err != nil {
			return err
		}
		if err := writeCheckpoint(j.opts.StateDir, data); err != nil {
			return err
		}
	}
	if err := guard(sink.name, func() error { return sink.sink.Commit(ctx, ct.epoch) }); err != nil {
		return fmt.Errorf("committing checkpoint %d: %w", ct.epoch, err)
	}
	if err := c.commitPositions(ctx, ct); err != nil {
		return err
	}
	if j.persist() {
		return pruneCheckpoints(j.opts.StateDir, checkpointsKept)
	}
	return nil
}

// assemble builds the checkpoint's contents from the cut: every split's
// record (or its final one, if it ended before the barrier), every node's.
func (c *coordinator) assemble(ct *cut, sinkState []byte, final bool) (*checkpointData, error) {
	j := c.job
	d := &checkpointData{Epoch: ct.epoch, Fingerprint: j.opts.Fingerprint, Parallelism: j.opts.Parallelism,
		Finished: final, Sink: sinkState}
	for _, sc := range j.scans {
		se := scanEntry{Key: sc.key, Name: sc.name}
		for _, sp := range sc.splits {
			r, ok := ct.splits[sc.key][sp.id]
			if !ok {
				r, ok = c.ended[sc.key][sp.id]
			}
			if !ok {
				return nil, fmt.Errorf("writing checkpoint %d: no position for split %s of %s", ct.epoch, sp.id, sc.name)
			}
			se.Splits = append(se.Splits, r)
		}
		d.Scans = append(d.Scans, se)
	}
	keys := []string{}
	for _, sc := range j.scans {
		keys = append(keys, sc.key)
	}
	for _, n := range j.ops {
		keys = append(keys, n.key)
	}
	keys = append(keys, j.sink.key)
	for _, k := range keys {
		r, ok := ct.nodes[k]
		if !ok && c.final != nil {
			r, ok = c.final.nodes[k] // it finished before the barrier came
		}
		if !ok {
			return nil, fmt.Errorf("writing checkpoint %d: no record of stage %s", ct.epoch, k)
		}
		d.Nodes = append(d.Nodes, nodeEntry{Key: k, nodeRecord: r})
	}
	return d, nil
}
