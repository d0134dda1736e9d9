package catalog

import "context"

// Versioned is implemented by tables that keep their history (Iceberg
// snapshots), for time travel: `FROM t FOR SYSTEM_TIME AS OF <time>` and
// `FROM t FOR SYSTEM_VERSION AS OF <id>`. The returned table is an
// independent read-only view of that version, with that version's schema;
// it holds no resource needing release (queries drop it when done).
type Versioned interface {
	// AsOfVersion returns the table at version id (a snapshot id); an
	// unknown id is an error naming the versions that exist.
	AsOfVersion(ctx context.Context, id int64) (Table, error)
	// AsOfTime returns the table as it was at micros (microseconds since
	// the Unix epoch, UTC): its last version committed at or before then.
	// A time before the first version is an error.
	AsOfTime(ctx context.Context, micros int64) (Table, error)
}
