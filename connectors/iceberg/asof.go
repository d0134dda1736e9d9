package iceberg

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql/catalog"
)

var _ catalog.Versioned = (*Table)(nil)

// AsOfVersion implements catalog.Versioned: the table at snapshot id, with
// the schema that snapshot was written with.
func (t *Table) AsOfVersion(ctx context.Context, id int64) (catalog.Table, error) {
	tbl, err := t.w.cat.LoadTable(ctx, splitName(t.name))
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", t.name, err)
	}
	snap := tbl.SnapshotByID(id)
	if snap == nil {
		return nil, fmt.Errorf("%s has no snapshot %d (it has %s)", t.name, id, snapshotList(tbl))
	}
	return t.atSnapshot(tbl, snap)
}

// AsOfTime implements catalog.Versioned: the snapshot that was current at
// micros, from the table's snapshot log (the main branch's history).
func (t *Table) AsOfTime(ctx context.Context, micros int64) (catalog.Table, error) {
	tbl, err := t.w.cat.LoadTable(ctx, splitName(t.name))
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", t.name, err)
	}
	ms := micros / 1000
	var found *table.SnapshotLogEntry
	for e := range tbl.Metadata().SnapshotLogs() {
		if e.TimestampMs <= ms {
			e := e
			found = &e
		}
	}
	when := time.UnixMicro(micros).UTC().Format(time.RFC3339Nano)
	if found == nil {
		return nil, fmt.Errorf("%s has no snapshot at or before %s", t.name, when)
	}
	snap := tbl.SnapshotByID(found.SnapshotID)
	if snap == nil {
		return nil, fmt.Errorf("%s: snapshot %d, current at %s, has expired", t.name, found.SnapshotID, when)
	}
	return t.atSnapshot(tbl, snap)
}

// atSnapshot opens a read-only view of snap.
func (t *Table) atSnapshot(tbl *table.Table, snap *table.Snapshot) (catalog.Table, error) {
	schema := tbl.Schema()
	if snap.SchemaID != nil {
		for _, s := range tbl.Metadata().Schemas() {
			if s.ID == *snap.SchemaID {
				schema = s
			}
		}
	}
	opts := t.opts
	opts.SnapshotID = snap.SnapshotID
	if opts.Schema == nil || schema.ID != tbl.Schema().ID {
		native, err := nativeSchema(schema)
		if err != nil {
			return nil, fmt.Errorf("loading %s at snapshot %d: %w", t.name, snap.SnapshotID, err)
		}
		opts.Schema = native
	}
	return &Table{w: t.w, name: t.name, schema: opts.Schema, ids: fieldIDs(schema, opts.Schema), opts: opts}, nil
}

// snapshotList names a few of the table's snapshots for an error.
func snapshotList(tbl *table.Table) string {
	snaps := tbl.Metadata().Snapshots()
	if len(snaps) == 0 {
		return "none"
	}
	var ids []string
	for i := len(snaps) - 1; i >= 0 && len(ids) < 5; i-- {
		ids = append(ids, strconv.FormatInt(snaps[i].SnapshotID, 10)+" ("+time.UnixMilli(snaps[i].TimestampMs).UTC().Format(time.RFC3339)+")")
	}
	more := ""
	if len(snaps) > len(ids) {
		more = fmt.Sprintf(" and %d older", len(snaps)-len(ids))
	}
	return strings.Join(ids, ", ") + more
}
