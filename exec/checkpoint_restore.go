package exec

import (
	"bytes"
	"context"
	"fmt"
)

// resume restores the job from the newest checkpoint in StateDir, if any:
// the plan must be the same (fingerprint, parallelism); every split seeks
// to its position (a split the checkpoint lacks starts from the
// beginning), every Stateful operator restores its snapshot, watermarks
// and counters come back, the sink restores its state, and the next epoch
// follows the stored one. A checkpoint taken at the end of input leaves
// the job finished: Run and Poll return at once.
func (j *Job) resume(ctx context.Context) error {
	d, path, err := loadNewestCheckpoint(j.opts.StateDir)
	if err != nil {
		return fmt.Errorf("resuming job: %w", err)
	}
	if d == nil {
		return nil
	}
	if err := j.restore(ctx, d); err != nil {
		return fmt.Errorf("resuming from checkpoint %s: %w", path, err)
	}
	return nil
}

func (j *Job) restore(ctx context.Context, d *checkpointData) error {
	if d.Fingerprint != j.opts.Fingerprint {
		return fmt.Errorf("the checkpoint belongs to another plan (fingerprint %q, this plan's %q); use another state directory", d.Fingerprint, j.opts.Fingerprint)
	}
	if d.Parallelism != j.opts.Parallelism {
		return fmt.Errorf("the checkpoint was taken with parallelism %d, this job has %d; run with the same parallelism", d.Parallelism, j.opts.Parallelism)
	}
	j.coord.next = d.Epoch + 1
	if err := j.restoreSplits(ctx, d); err != nil {
		return err
	}
	nodes := map[string]nodeRecord{}
	for _, n := range d.Nodes {
		nodes[n.Key] = n.nodeRecord
	}
	for _, sc := range j.scans {
		r := nodes[sc.key]
		delete(nodes, sc.key)
		sc.in.wm = max(r.Watermark, noWatermark)
		sc.wm.Store(sc.in.wm)
		sc.dead.Store(r.DeadLettered)
	}
	for _, n := range j.ops {
		r, ok := nodes[n.key]
		delete(nodes, n.key)
		if err := j.restoreOp(ctx, n, r, ok && !d.Finished); err != nil {
			return err
		}
	}
	sr := nodes[j.sink.key]
	delete(nodes, j.sink.key)
	for k := range nodes {
		return fmt.Errorf("the checkpoint holds state of stage %s, which this plan lacks", k)
	}
	j.sink.in.wm = max(sr.Watermark, noWatermark)
	j.sink.wm.Store(j.sink.in.wm)
	j.sink.eventsOut.Store(sr.EventsOut)
	if err := guard(j.sink.name, func() error { return j.sink.sink.Restore(ctx, d.Sink) }); err != nil {
		return fmt.Errorf("restoring the sink: %w", err)
	}
	j.finished = d.Finished
	j.restoreEdgeWatermarks()
	return nil
}

// restoreEdgeWatermarks gives every edge the watermark its producer had
// forwarded, so a consumer's minimum is what it was at the checkpoint
// rather than held back until each producer advances again.
func (j *Job) restoreEdgeWatermarks() {
	for _, g := range j.edges {
		for pj, p := range g.producers {
			wm := noWatermark
			switch p := p.(type) {
			case *scanNode:
				wm = p.in.wm
			case *opNode:
				wm = p.in.wm
			}
			for _, c := range g.consumers {
				c.in.subs[g.offset+pj].wm = wm
			}
		}
	}
	for _, sp := range j.splits {
		sp.scan.in.subs[sp.sub].wm = sp.wm
	}
}

// restoreSplits seeks the splits to their stored positions (not for a
// finished job, whose splits are never read again).
func (j *Job) restoreSplits(ctx context.Context, d *checkpointData) error {
	scans := map[string]*scanNode{}
	for _, sc := range j.scans {
		scans[sc.key] = sc
	}
	for _, se := range d.Scans {
		sc := scans[se.Key]
		if sc == nil {
			return fmt.Errorf("the checkpoint reads stream %s (%s), which this plan lacks", se.Name, se.Key)
		}
		byID := map[string]*splitState{}
		for _, sp := range sc.splits {
			byID[sp.id] = sp
		}
		for _, r := range se.Splits {
			sp := byID[r.ID]
			if sp == nil {
				return fmt.Errorf("split %s of %s is in the checkpoint but no longer in the stream", r.ID, sc.name)
			}
			sp.rows = r.Rows
			sp.mRows.Store(r.Rows)
			if d.Finished {
				continue
			}
			err := recovered(sc.name, func() error { return sp.reader.Seek(ctx, r.Position) })
			if err != nil {
				return fmt.Errorf("seeking split %s of %s: %w", r.ID, sc.name, err)
			}
			if !r.Ended {
				sp.wm = max(r.Watermark, noWatermark)
				sp.mWM.Store(sp.wm)
			}
		}
	}
	return nil
}

// restoreOp restores an operator instance's snapshot (when withState),
// its input watermark and its counters.
func (j *Job) restoreOp(ctx context.Context, n *opNode, r nodeRecord, withState bool) error {
	if withState && r.HasState {
		if n.stateful == nil {
			return fmt.Errorf("the checkpoint holds a snapshot of %s (%s), which keeps no state", n.name, n.key)
		}
		err := guard(n.name, func() error { return n.stateful.Restore(ctx, bytes.NewReader(r.State)) })
		if err != nil {
			return fmt.Errorf("restoring %s: %w", n.name, err)
		}
	}
	n.in.wm = max(r.Watermark, noWatermark)
	n.wm.Store(n.in.wm)
	n.dead.Store(r.DeadLettered)
	if err := n.report(false); err != nil {
		return err
	}
	n.lateBase.Store(r.Late - n.late.Load())
	return nil
}
