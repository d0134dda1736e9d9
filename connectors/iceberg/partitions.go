package iceberg

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql/catalog"
)

// maxPartitions caps the shares of a parallel scan: beyond it the per-share
// planning (every share reads the manifests) costs more than it saves.
const maxPartitions = 64

var _ catalog.Partitioned = (*Table)(nil)

// Partitions implements catalog.Partitioned: the data files of the current
// snapshot, capped at maxPartitions. It pins that snapshot, and every
// scan asking for a share (Partitions > 1) reads it, so the shares of one
// query see the same files even if a commit lands while they start. Each
// call re-pins, since each planning is a new query that should see the
// latest commits. Errors (the table vanished) say 1: the serial scan that
// follows reports them.
func (t *Table) Partitions() int {
	if t.opts.SnapshotID != 0 {
		return t.filesIn(t.opts.SnapshotID)
	}
	tbl, err := t.w.cat.LoadTable(context.Background(), splitName(t.name))
	if err != nil {
		return 1
	}
	snap := tbl.CurrentSnapshot()
	if snap == nil {
		return 1
	}
	t.mu.Lock()
	t.pinned = snap.SnapshotID
	t.mu.Unlock()
	return partitionsOf(snap)
}

// filesIn is the partition count of a time-travel table's snapshot.
func (t *Table) filesIn(id int64) int {
	tbl, err := t.w.cat.LoadTable(context.Background(), splitName(t.name))
	if err != nil {
		return 1
	}
	snap := tbl.SnapshotByID(id)
	if snap == nil {
		return 1
	}
	return partitionsOf(snap)
}

// partitionsOf is the number of data files in snap, in [1, maxPartitions].
func partitionsOf(snap *table.Snapshot) int {
	if snap.Summary == nil {
		return 1
	}
	n, err := strconv.Atoi(snap.Summary.Properties["total-data-files"])
	if err != nil {
		return 1
	}
	return min(max(n, 1), maxPartitions)
}

// snapshotFor is the snapshot id a scan must read: the table's time-travel
// snapshot, else for a share the pinned one (pinning the current one if
// Partitions was never called), else 0 for the latest.
func (t *Table) snapshotFor(tbl *table.Table, req catalog.ScanRequest) int64 {
	if t.opts.SnapshotID != 0 {
		return t.opts.SnapshotID
	}
	if req.Partitions <= 1 {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pinned == 0 {
		if snap := tbl.CurrentSnapshot(); snap != nil {
			t.pinned = snap.SnapshotID
		}
	}
	return t.pinned
}

// sharedPlan is the sorted file plan of one snapshot under one filter set.
type sharedPlan struct {
	key   string
	tasks []table.FileScanTask // sorted by path; read only once shared
}

// planShared returns the tasks of a scan sorted by path. The shares of a
// parallel scan plan the same snapshot with the same filters, so the first
// plans (reading every manifest) and its siblings reuse the result: one
// slot is enough, since shares of one query start together. Serial scans
// plan alone.
func (t *Table) planShared(snapshotID int64, req catalog.ScanRequest, plan func() ([]table.FileScanTask, error)) ([]table.FileScanTask, error) {
	if req.Partitions <= 1 {
		tasks, err := plan()
		sortTasks(tasks)
		return tasks, err
	}
	key := fmt.Sprintf("%d %v", snapshotID, req.Filters)
	t.planMu.Lock()
	defer t.planMu.Unlock()
	if t.plan != nil && t.plan.key == key {
		return t.plan.tasks, nil
	}
	tasks, err := plan()
	if err != nil {
		return nil, err
	}
	sortTasks(tasks)
	t.plan = &sharedPlan{key: key, tasks: tasks}
	return tasks, nil
}

// sortTasks orders tasks by path, so every share deals from the same deck.
func sortTasks(tasks []table.FileScanTask) {
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].File.FilePath() < tasks[j].File.FilePath() })
}

// shareOf is the tasks of partition part of parts, dealt round-robin from
// the sorted tasks (all of them when parts <= 1). tasks is not modified.
func shareOf(tasks []table.FileScanTask, part, parts int) []table.FileScanTask {
	if parts <= 1 {
		return tasks
	}
	var mine []table.FileScanTask
	for i, task := range tasks {
		if i%parts == part {
			mine = append(mine, task)
		}
	}
	return mine
}
