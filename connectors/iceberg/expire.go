package iceberg

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/apache/iceberg-go/table"
)

// jobTagPrefix names the tag that pins a job's newest snapshot: the sink
// finds its last committed epoch in snapshot summaries, so expiring that
// snapshot would make a restarted job commit its last epoch again.
const jobTagPrefix = "streamsql-job-"

// beforeExpireCommit, when set (by tests), runs between staging an expiry
// and committing it.
var beforeExpireCommit func(name string, attempt int)

// ExpireResult says what ExpireSnapshots did.
type ExpireResult struct {
	Removed  int      // snapshots removed from the metadata
	Retained int      // snapshots left
	Tags     []string // job tags created or moved (jobTagPrefix + job id)
	Attempts int      // commits tried (more than 1 after losing races)
}

// ExpireSnapshots removes the snapshots of the table name ("ns.table")
// older than olderThan, keeping at least the retainLast (>= 1) newest of
// the main branch, and deletes the manifests and data files only they
// referenced (iceberg-go's expire). The current snapshot is never removed.
//
// It first tags, per job id found in snapshot summaries, the snapshot with
// the job's highest epoch (tag streamsql-job-<job>, moved on each run):
// tagged snapshots are never expired, so a resumed sink still finds its
// last committed epoch and skips it. Both commits assert the snapshot they
// read; on losing a race to a concurrent writer the whole step reloads and
// retries.
func (w *Warehouse) ExpireSnapshots(ctx context.Context, name string, olderThan time.Duration, retainLast int) (ExpireResult, error) {
	var res ExpireResult
	if retainLast < 1 {
		return res, fmt.Errorf("expiring snapshots of %s: retain-last %d must be at least 1", name, retainLast)
	}
	if olderThan < 0 {
		return res, fmt.Errorf("expiring snapshots of %s: older-than %s is negative", name, olderThan)
	}
	ident := splitName(name)
	if len(ident) < 2 {
		return res, fmt.Errorf("expiring snapshots of %q: want namespace.table", name)
	}
	for res.Attempts = 1; ; res.Attempts++ {
		done, err := w.expireOnce(ctx, name, olderThan, retainLast, &res)
		if done {
			return res, nil
		}
		if !isCommitConflict(err) || res.Attempts >= maxCommitAttempts {
			return res, fmt.Errorf("expiring snapshots of %s (attempt %d): %w", name, res.Attempts, err)
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("expiring snapshots of %s: %w", name, ctx.Err())
		case <-time.After(time.Duration(res.Attempts) * 5 * time.Millisecond):
		}
	}
}

// expireOnce tags the jobs' newest snapshots and expires, reporting
// done=true on success; a failed attempt returns its error.
func (w *Warehouse) expireOnce(ctx context.Context, name string, olderThan time.Duration, retainLast int, res *ExpireResult) (done bool, err error) {
	tbl, err := w.cat.LoadTable(ctx, splitName(name))
	if err != nil {
		return false, err
	}
	cur := tbl.CurrentSnapshot()
	if cur == nil {
		return true, nil // no snapshots
	}
	if err := w.tagJobs(ctx, tbl, &res.Tags); err != nil {
		return false, err
	}
	if tbl, err = w.cat.LoadTable(ctx, splitName(name)); err != nil {
		return false, err
	}
	before := len(tbl.Metadata().Snapshots())
	tx := tbl.NewTransaction()
	if err := tx.ExpireSnapshots(table.WithOlderThan(olderThan), table.WithRetainLast(retainLast)); err != nil {
		return false, fmt.Errorf("staging the expiry: %w", err)
	}
	if beforeExpireCommit != nil {
		beforeExpireCommit(name, res.Attempts)
	}
	after, err := tx.Commit(ctx)
	if err != nil {
		return false, err
	}
	res.Retained = len(after.Metadata().Snapshots())
	res.Removed = before - res.Retained
	return true, nil
}

// tagJobs points each job's tag at its newest committed snapshot (highest
// epoch), asserting the main branch has not moved since tbl was loaded.
// tags collects the tags set.
func (w *Warehouse) tagJobs(ctx context.Context, tbl *table.Table, tags *[]string) error {
	newest := map[string]int64{} // job → snapshot id
	epochs := map[string]int64{}
	for _, s := range tbl.Metadata().Snapshots() {
		if s.Summary == nil {
			continue
		}
		job, ok := s.Summary.Properties[summaryJobID]
		if !ok {
			continue
		}
		e, err := strconv.ParseInt(s.Summary.Properties[summaryEpoch], 10, 64)
		if err != nil {
			continue
		}
		if last, seen := epochs[job]; !seen || e > last {
			epochs[job], newest[job] = e, s.SnapshotID
		}
	}
	var updates []table.Update
	refs := map[string]int64{}
	for name, ref := range tbl.Metadata().Refs() {
		refs[name] = ref.SnapshotID
	}
	for job, id := range newest {
		tag := jobTagPrefix + job
		if refs[tag] == id {
			continue
		}
		updates = append(updates, table.NewSetSnapshotRefUpdate(tag, id, table.TagRef, 0, 0, 0))
		*tags = append(*tags, tag)
	}
	if len(updates) == 0 {
		return nil
	}
	main := tbl.CurrentSnapshot().SnapshotID
	reqs := []table.Requirement{table.AssertTableUUID(tbl.Metadata().TableUUID()), table.AssertRefSnapshotID(table.MainBranch, &main)}
	if _, _, err := w.cat.CommitTable(ctx, tbl.Identifier(), reqs, updates); err != nil {
		return fmt.Errorf("tagging job snapshots: %w", err)
	}
	return nil
}
