package exec

import (
	"context"
	"fmt"

	"github.com/streamsql/streamsql/catalog"
)

// commitPositions hands each split reader that acknowledges consumption
// (catalog.PositionCommitter) the position the checkpoint recorded for it.
func (c *coordinator) commitPositions(ctx context.Context, ct *cut) error {
	for _, sc := range c.job.scans {
		for _, sp := range sc.splits {
			pc, ok := sp.reader.(catalog.PositionCommitter)
			if !ok {
				continue
			}
			c.mu.Lock()
			r, ok := ct.splits[sc.key][sp.id]
			if !ok {
				r, ok = c.ended[sc.key][sp.id]
			}
			c.mu.Unlock()
			if !ok || r.Position == nil {
				continue
			}
			err := recovered(sc.name, func() error { return pc.CommitPosition(ctx, r.Position) })
			if err != nil {
				return fmt.Errorf("committing the position of split %s of %s at checkpoint %d: %w", sp.id, sc.name, ct.epoch, err)
			}
		}
	}
	return nil
}

// positions collects the cut's split positions (or the final ones of
// ended splits) keyed "<stream>/<split id>". The caller holds c.mu.
func (c *coordinator) positions(ct *cut) map[string][]byte {
	out := map[string][]byte{}
	for _, sc := range c.job.scans {
		for _, sp := range sc.splits {
			r, ok := ct.splits[sc.key][sp.id]
			if !ok {
				r, ok = c.ended[sc.key][sp.id]
			}
			if ok {
				out[sc.name+"/"+sp.id] = r.Position
			}
		}
	}
	return out
}
