package iceberg

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	icecat "github.com/apache/iceberg-go/catalog"

	"github.com/streamsql/streamsql/catalog"
)

// CommittedPosition reads, from one consistent view of table name, its
// current snapshot and the source position the newest commit recording a
// split whose key ends in suffix stored (the sinks record positions per
// checkpoint: see Sink.SourcePositions). Snapshots without positions
// (compactions) are looked through to their ancestors. ok is false when
// the table does not exist or no commit recorded the split.
func (w *Warehouse) CommittedPosition(ctx context.Context, name, suffix string) (snapshotID int64, pos []byte, ok bool, err error) {
	tbl, err := w.cat.LoadTable(ctx, splitName(name))
	if err != nil {
		if errors.Is(err, icecat.ErrNoSuchTable) || errors.Is(err, icecat.ErrNoSuchNamespace) {
			return 0, nil, false, nil
		}
		return 0, nil, false, fmt.Errorf("reading the committed position of %s: %w", name, err)
	}
	cur := tbl.CurrentSnapshot()
	for s := cur; s != nil; {
		if s.Summary != nil {
			if js := s.Summary.Properties[summarySources]; js != "" {
				var m map[string]string
				if err := json.Unmarshal([]byte(js), &m); err != nil {
					return 0, nil, false, fmt.Errorf("reading the committed position of %s: snapshot %d: %w", name, s.SnapshotID, err)
				}
				for k, v := range m {
					if strings.HasSuffix(k, suffix) {
						b, err := base64.StdEncoding.DecodeString(v)
						if err != nil {
							return 0, nil, false, fmt.Errorf("reading the committed position of %s: snapshot %d: %w", name, s.SnapshotID, err)
						}
						return cur.SnapshotID, b, true, nil
					}
				}
			}
		}
		if s.ParentSnapshotID == nil {
			break
		}
		s = tbl.SnapshotByID(*s.ParentSnapshotID)
	}
	return 0, nil, false, nil
}

// TableAt loads table name pinned at snapshot id.
func (w *Warehouse) TableAt(ctx context.Context, name string, id int64) (catalog.Table, error) {
	t, err := w.Table(ctx, name, TableOptions{})
	if err != nil {
		return nil, err
	}
	return t.AsOfVersion(ctx, id)
}
