package iceberg

import (
	"context"
	"errors"
	"fmt"
	"time"

	ice "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/table/compaction"
)

// DefaultCompactTargetBytes is the data file size Compact aims for when
// CompactOptions.TargetFileBytes is zero.
const DefaultCompactTargetBytes = 128 << 20

// summaryOperation marks maintenance snapshots in their summary, so a
// reader of the history can tell a compaction from a job's epoch.
const summaryOperation = "streamsql.operation"

// beforeCompactCommit, when set (by tests), runs between staging a
// compaction and committing it: a test makes another writer commit there
// to lose the race deterministically.
var beforeCompactCommit func(name string, attempt int)

// CompactOptions configure Warehouse.Compact.
type CompactOptions struct {
	// Filter, when set, limits the compaction to the data files that may
	// hold matching rows; a predicate on partition source columns (say
	// ice.EqualTo(ice.Reference("topic"), "a")) selects whole partitions.
	// Nil compacts every partition.
	Filter ice.BooleanExpression
	// TargetFileBytes is the size of the files written
	// (DefaultCompactTargetBytes when zero). Files under 3/4 of it are
	// rewritten; a partition needs at least two of them.
	TargetFileBytes int64
}

// CompactResult says what Compact did.
type CompactResult struct {
	Groups       int   // the bins rewritten (each within one partition)
	FilesRemoved int   // small data files replaced
	FilesAdded   int   // data files written in their place
	BytesBefore  int64 // size of the files replaced
	BytesAfter   int64 // size of the files written
	SnapshotID   int64 // the replace snapshot; 0 when there was nothing to do
	Attempts     int   // commits tried (more than 1 after losing races)
}

// Compact rewrites the small data files of the table name ("ns.table")
// into files of about opts.TargetFileBytes, partition by partition, and
// replaces them in ONE Iceberg snapshot: readers see either all old files
// or all new ones. Rows are neither lost nor duplicated.
//
// Safe against a concurrent writer: the commit asserts the snapshot it
// staged on. When another writer commits first, Compact reloads the table,
// checks that every file it rewrote is still live (appends by others are
// kept as they are) and re-stages the same new files on the new snapshot;
// if a rewritten file is gone (another compaction or a delete), it gives up
// with an error and removes the files it wrote.
func (w *Warehouse) Compact(ctx context.Context, name string, opts CompactOptions) (CompactResult, error) {
	var res CompactResult
	target := opts.TargetFileBytes
	if target == 0 {
		target = DefaultCompactTargetBytes
	}
	if target < 0 {
		return res, fmt.Errorf("compacting %s: target file size %d is negative", name, target)
	}
	ident := splitName(name)
	if len(ident) < 2 {
		return res, fmt.Errorf("compacting %q: want namespace.table", name)
	}
	tbl, err := w.cat.LoadTable(ctx, ident)
	if err != nil {
		return res, fmt.Errorf("compacting %s: %w", name, err)
	}
	if tbl.CurrentSnapshot() == nil {
		return res, nil // an empty table has no files
	}
	groups, err := planCompaction(ctx, tbl, opts.Filter, target)
	if err != nil {
		return res, fmt.Errorf("compacting %s: %w", name, err)
	}
	if len(groups) == 0 {
		return res, nil
	}
	results := make([]table.CompactionGroupResult, 0, len(groups))
	for _, g := range groups {
		r, err := table.ExecuteCompactionGroup(ctx, tbl, table.CompactionTaskGroup{
			PartitionKey: g.PartitionKey, Tasks: g.Tasks, TotalSizeBytes: g.TotalSizeBytes,
		}, table.WithCompactionTargetFileSize(target))
		results = append(results, r)
		if err != nil {
			return res, errors.Join(fmt.Errorf("compacting %s: rewriting partition %s: %w", name, g.PartitionKey, err),
				removeNewFiles(ctx, tbl, results))
		}
		res.Groups++
		res.FilesRemoved += len(r.OldDataFiles)
		res.FilesAdded += len(r.NewDataFiles)
		res.BytesBefore += r.BytesBefore
		res.BytesAfter += r.BytesAfter
	}
	snap, attempts, err := w.commitCompaction(ctx, name, tbl, results)
	res.SnapshotID, res.Attempts = snap, attempts
	if err != nil {
		return res, errors.Join(err, removeNewFiles(ctx, tbl, results))
	}
	return res, nil
}

// planCompaction bins the small files of tbl's current snapshot matching
// filter, per partition, dropping partitions with fewer than two.
func planCompaction(ctx context.Context, tbl *table.Table, filter ice.BooleanExpression, target int64) ([]compaction.Group, error) {
	var scanOpts []table.ScanOption
	if filter != nil {
		scanOpts = append(scanOpts, table.WithRowFilter(filter))
	}
	tasks, err := tbl.Scan(scanOpts...).PlanFiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("planning files: %w", err)
	}
	cfg := compaction.DefaultConfig()
	cfg.TargetFileSizeBytes = target
	cfg.MinFileSizeBytes = target * 3 / 4
	cfg.MaxFileSizeBytes = target * 9 / 5
	cfg.MinInputFiles = 2
	if cfg.MinFileSizeBytes >= cfg.MaxFileSizeBytes { // tiny targets round down
		cfg.MaxFileSizeBytes = cfg.MinFileSizeBytes + 1
	}
	plan, err := cfg.PlanCompaction(tasks)
	if err != nil {
		return nil, fmt.Errorf("planning compaction: %w", err)
	}
	return plan.Groups, nil
}

// commitCompaction replaces the old files of results by their new ones in
// one snapshot, retrying on a lost race as Compact describes.
func (w *Warehouse) commitCompaction(ctx context.Context, name string, tbl *table.Table, results []table.CompactionGroupResult) (snapshotID int64, attempt int, err error) {
	props := ice.Properties{summaryOperation: "compact"}
	for attempt = 1; ; attempt++ {
		if attempt > 1 {
			if tbl, err = w.cat.LoadTable(ctx, splitName(name)); err != nil {
				return 0, attempt, fmt.Errorf("compacting %s: %w", name, err)
			}
			if err := checkStillLive(ctx, tbl, results); err != nil {
				return 0, attempt, fmt.Errorf("compacting %s: %w", name, err)
			}
		}
		tx := tbl.NewTransaction()
		rw := tx.NewRewrite(props)
		for _, r := range results {
			rw.ApplyResult(r)
		}
		if err := rw.Commit(ctx); err != nil {
			return 0, attempt, fmt.Errorf("compacting %s: staging the rewrite: %w", name, err)
		}
		if beforeCompactCommit != nil {
			beforeCompactCommit(name, attempt)
		}
		committed, err := tx.Commit(ctx)
		if err == nil {
			return committed.CurrentSnapshot().SnapshotID, attempt, nil
		}
		if !isCommitConflict(err) || attempt >= maxCommitAttempts {
			return 0, attempt, fmt.Errorf("compacting %s (attempt %d): %w", name, attempt, err)
		}
		select {
		case <-ctx.Done():
			return 0, attempt, fmt.Errorf("compacting %s: %w", name, ctx.Err())
		case <-time.After(time.Duration(attempt) * 5 * time.Millisecond):
		}
	}
}

// checkStillLive fails unless every file the rewrite replaces is in tbl's
// current snapshot: replacing a file another writer already removed would
// bring its rows back.
func checkStillLive(ctx context.Context, tbl *table.Table, results []table.CompactionGroupResult) error {
	live := map[string]bool{}
	if tbl.CurrentSnapshot() != nil {
		tasks, err := tbl.Scan().PlanFiles(ctx)
		if err != nil {
			return fmt.Errorf("planning files: %w", err)
		}
		for _, t := range tasks {
			live[t.File.FilePath()] = true
		}
	}
	for _, r := range results {
		for _, f := range r.OldDataFiles {
			if !live[f.FilePath()] {
				return fmt.Errorf("data file %s was removed by another writer", f.FilePath())
			}
		}
	}
	return nil
}

// removeNewFiles deletes the files a compaction wrote but did not commit,
// so a failed compaction leaves no orphans.
func removeNewFiles(ctx context.Context, tbl *table.Table, results []table.CompactionGroupResult) error {
	fs, err := tbl.FS(ctx)
	if err != nil {
		return fmt.Errorf("removing uncommitted compaction output: %w", err)
	}
	var errs []error
	for _, r := range results {
		for _, f := range r.NewDataFiles {
			if err := fs.Remove(f.FilePath()); err != nil {
				errs = append(errs, fmt.Errorf("removing uncommitted compaction output %s: %w", f.FilePath(), err))
			}
		}
	}
	return errors.Join(errs...)
}
