package iceberg

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/apache/iceberg-go/table"
)

// DefaultOrphanAge is the age files must reach before RemoveOrphans
// deletes them when the caller has no better bound (the CLI's default).
const DefaultOrphanAge = 72 * time.Hour

// MinOrphanAge is the youngest age RemoveOrphans accepts without
// OrphanOptions.Force (as Spark's remove_orphan_files insists on).
const MinOrphanAge = 24 * time.Hour

// ErrOrphanAgeTooShort is returned (wrapped) when RemoveOrphans is asked
// for files younger than MinOrphanAge without Force.
var ErrOrphanAgeTooShort = errors.New("files that young may belong to an epoch a job has yet to commit")

// OrphanOptions configure Warehouse.RemoveOrphans.
type OrphanOptions struct {
	// OlderThan is the age (by modification time) a file must exceed to be
	// a candidate. It must not be negative, and under MinOrphanAge only
	// with Force.
	OlderThan time.Duration
	// DryRun lists the orphans without deleting anything.
	DryRun bool
	// Force allows an OlderThan under MinOrphanAge.
	Force bool
}

// OrphanResult says what RemoveOrphans found and did.
type OrphanResult struct {
	Files   []string // the orphan files, sorted (full locations)
	Bytes   int64    // their total size
	Deleted int      // files deleted: 0 on a dry run
}

// RemoveOrphans deletes the files under the location of the table name
// ("ns.table") that no snapshot or metadata file references: data files
// of epochs that never committed (a job killed mid-epoch, or stopped and
// never restarted from its checkpoint), files of a compaction killed
// before its commit, stray files. The listing and matching are iceberg-go's
// DeleteOrphanFiles, through the table's file IO (local or S3).
//
// Only files older than opts.OlderThan are candidates. The age protects
// what is not committed yet but will be: a running sink's data files
// (written by PreCommit, or rolled out earlier in the epoch, and committed
// at the checkpoint), and the pre-committed files of a stopped job, which
// Restore commits when the job restarts from its checkpoint. OlderThan must
// therefore exceed the longest a job may stay stopped before it is
// restarted from its checkpoint: a job restarted after its files were
// removed fails its Restore, and one restarted while RemoveOrphans runs
// may commit files it is deleting. Hence the floor of MinOrphanAge
// (overridden with opts.Force, for tables no job writes).
//
// Snapshots keep the files they reference; run ExpireSnapshots first to
// let go of those of old snapshots.
func (w *Warehouse) RemoveOrphans(ctx context.Context, name string, opts OrphanOptions) (OrphanResult, error) {
	var res OrphanResult
	if opts.OlderThan < 0 {
		return res, fmt.Errorf("removing orphan files of %s: older-than %s is negative", name, opts.OlderThan)
	}
	if opts.OlderThan < MinOrphanAge && !opts.Force {
		return res, fmt.Errorf("removing orphan files of %s: older-than %s is under %s: %w (force to override)",
			name, opts.OlderThan, MinOrphanAge, ErrOrphanAgeTooShort)
	}
	ident := splitName(name)
	if len(ident) < 2 {
		return res, fmt.Errorf("removing orphan files of %q: want namespace.table", name)
	}
	tbl, err := w.cat.LoadTable(ctx, ident)
	if err != nil {
		return res, fmt.Errorf("removing orphan files of %s: %w", name, err)
	}
	out, err := tbl.DeleteOrphanFiles(ctx, table.WithFilesOlderThan(opts.OlderThan), table.WithDryRun(opts.DryRun))
	if err != nil {
		return res, fmt.Errorf("removing orphan files of %s: %w", name, err)
	}
	res.Files = slices.Sorted(slices.Values(out.OrphanFileLocations))
	res.Bytes = out.TotalSizeBytes
	res.Deleted = len(out.DeletedFiles)
	return res, nil
}
