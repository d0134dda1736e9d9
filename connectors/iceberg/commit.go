package iceberg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	ice "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// Snapshot summary keys recording which job committed which checkpoint.
const (
	summaryJobID   = "streamsql.job-id"
	summaryEpoch   = "streamsql.epoch"
	summarySources = "streamsql.source-positions" // JSON: split → base64 position
)

// maxCommitAttempts bounds the retries of a commit that lost an optimistic
// concurrency race to another writer.
const maxCommitAttempts = 10

// beforeCommit, when set (by tests), runs between loading the table and
// committing to it: a test makes another writer commit there to lose the
// race deterministically.
var beforeCommit func(name string, attempt int)

// committedEpoch is the highest epoch job has committed to tbl, from the
// summaries of the table's snapshots; ok is false when it has none.
func committedEpoch(tbl *table.Table, job string) (epoch int64, ok bool) {
	for _, s := range tbl.Metadata().Snapshots() {
		if s.Summary == nil || s.Summary.Properties[summaryJobID] != job {
			continue
		}
		e, err := strconv.ParseInt(s.Summary.Properties[summaryEpoch], 10, 64)
		if err != nil {
			continue
		}
		if !ok || e > epoch {
			epoch, ok = e, true
		}
	}
	return epoch, ok
}

// isCommitConflict reports whether a commit failed because the table moved
// on under it. Through the SQL catalog iceberg-go v0.7 reports that as a
// plain "requirement failed: branch main has changed" error, not as
// table.ErrCommitFailed, so the message is matched too.
func isCommitConflict(err error) bool {
	if errors.Is(err, table.ErrCommitFailed) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "requirement failed") || strings.Contains(msg, "has changed")
}

// commitEpoch appends files to the table in one snapshot recording job and
// epoch, unless the job already committed that epoch (or a later one): a
// replayed or restored epoch adds nothing. A commit that loses a race with
// another writer reloads the table, re-checks the epoch and retries.
func (s *Sink) commitEpoch(ctx context.Context, epoch int64, files []ice.DataFile, sources map[string]string) error {
	props := ice.Properties{summaryJobID: s.job, summaryEpoch: strconv.FormatInt(epoch, 10)}
	if len(sources) > 0 {
		js, err := json.Marshal(sources)
		if err != nil {
			return fmt.Errorf("committing epoch %d to %s: %w", epoch, s.name, err)
		}
		props[summarySources] = string(js)
	}
	for attempt := 1; ; attempt++ {
		tbl, err := s.w.cat.LoadTable(ctx, splitName(s.name))
		if err != nil {
			return fmt.Errorf("committing epoch %d to %s: %w", epoch, s.name, err)
		}
		if last, ok := committedEpoch(tbl, s.job); ok && last >= epoch {
			return nil
		}
		tx := tbl.NewTransaction()
		if err := tx.AddDataFiles(ctx, files, props); err != nil {
			return fmt.Errorf("committing epoch %d to %s: %w", epoch, s.name, err)
		}
		if beforeCommit != nil {
			beforeCommit(s.name, attempt)
		}
		_, err = tx.Commit(ctx)
		if err == nil {
			return nil
		}
		if !isCommitConflict(err) || attempt >= maxCommitAttempts {
			return fmt.Errorf("committing epoch %d to %s (attempt %d): %w", epoch, s.name, attempt, err)
		}
		// A short, growing pause spreads out writers that keep colliding.
		select {
		case <-ctx.Done():
			return fmt.Errorf("committing epoch %d to %s: %w", epoch, s.name, ctx.Err())
		case <-time.After(time.Duration(attempt) * 5 * time.Millisecond):
		}
	}
}
