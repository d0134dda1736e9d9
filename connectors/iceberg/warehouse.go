// Package iceberg is the connector for Apache Iceberg tables behind an
// iceberg-go catalog: a local warehouse (the SQL catalog on SQLite, pure
// Go, with data and metadata files under one directory; OpenWarehouse) or
// a remote Iceberg REST catalog with S3-compatible storage, such as R2
// Data Catalog (OpenCatalog). Scans prune files by partition and manifest
// statistics; the sink commits exactly once, one Iceberg snapshot per
// checkpoint; Compact, ExpireSnapshots and RemoveOrphans maintain
// tables. All of it works the same on both kinds of warehouse.
//
// Registered as connector "iceberg": CREATE TABLE t WITH
// (connector='iceberg', table='ns.name', warehouse='dir' | catalog='URI'
// [, partition_by='topic, hour(ts)'] [, job_id='…'] [, snapshot_id='…']).
// The registration is linked only where imported (cmd/streamsql), since
// iceberg-go is a heavy dependency.
//
// This package owns iceberg-go: nothing in planner, catalog, operators or
// exec may import it (they build to wasm).
package iceberg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	ice "github.com/apache/iceberg-go"
	icecat "github.com/apache/iceberg-go/catalog"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/apache/iceberg-go/table"
	_ "modernc.org/sqlite" // the pure-Go "sqlite" database/sql driver

	"github.com/streamsql/streamsql/catalog"
)

// DefaultWarehouse is the warehouse directory callers use when none is given.
const DefaultWarehouse = ".streamsql/warehouse"

// Warehouse is a set of Iceberg tables behind one iceberg-go catalog:
// either a local warehouse (OpenWarehouse: the SQL catalog lives in
// dir/catalog.db and table files under dir/<ns>.db/<table>/) or a remote
// REST catalog whose files live in S3-compatible storage (OpenCatalog, e.g.
// R2 Data Catalog). Every operation (tables, sinks, compaction, expiry)
// works the same on both. It is safe for concurrent use, also by several
// processes (the catalog serialises commits; Iceberg's optimistic
// concurrency orders table commits).
type Warehouse struct {
	loc   string         // where the tables are, for messages: dir or catalog URI (never secrets)
	dir   string         // the local directory; "" for a remote catalog
	cat   icecat.Catalog // the SQL catalog (local) or the REST catalog
	close func() error   // releases the catalog
}

// OpenWarehouse opens (creating if needed) the local warehouse under dir.
// Close releases it.
func OpenWarehouse(dir string) (*Warehouse, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("opening warehouse %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("opening warehouse %s: %w", dir, err)
	}
	// WAL and a busy timeout let writers in several connections (and
	// processes) queue on the SQLite lock instead of failing with BUSY.
	dsn := "file:" + filepath.Join(abs, "catalog.db") +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening warehouse %s: %w", dir, err)
	}
	warehouse := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	cat, err := sqlcat.NewCatalog("streamsql", db, sqlcat.SQLite, ice.Properties{"warehouse": warehouse})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening warehouse %s: %w", dir, err)
	}
	closeAll := func() error {
		if err := cat.Close(); err != nil {
			db.Close()
			return err
		}
		return db.Close()
	}
	return &Warehouse{loc: abs, dir: abs, cat: cat, close: closeAll}, nil
}

// Catalog is the warehouse's iceberg-go catalog: the SQL catalog of a
// local warehouse (what `streamsql catalog serve` exposes over REST) or
// the REST catalog client.
func (w *Warehouse) Catalog() icecat.Catalog { return w.cat }

// Dir is a local warehouse's absolute directory; "" for a remote catalog
// (only a local warehouse has one).
func (w *Warehouse) Dir() string { return w.dir }

// Location names the warehouse for messages: its directory, or the URI of
// its REST catalog (without credentials).
func (w *Warehouse) Location() string { return w.loc }

// Close releases the catalog (the SQLite database, or the REST client's
// connections). Tables and sinks opened from the warehouse must not be
// used afterwards.
func (w *Warehouse) Close() error {
	if err := w.close(); err != nil {
		return fmt.Errorf("closing warehouse %s: %w", w.loc, err)
	}
	return nil
}

// Namespaces lists the warehouse's namespaces, dotted, in catalog order.
func (w *Warehouse) Namespaces(ctx context.Context) ([]string, error) {
	nss, err := w.cat.ListNamespaces(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("listing namespaces of %s: %w", w.loc, err)
	}
	out := make([]string, len(nss))
	for i, ns := range nss {
		out[i] = strings.Join(ns, ".")
	}
	return out, nil
}

// Tables lists the tables of namespace ns as "ns.name".
func (w *Warehouse) Tables(ctx context.Context, ns string) ([]string, error) {
	var out []string
	for id, err := range w.cat.ListTables(ctx, splitName(ns)) {
		if err != nil {
			return nil, fmt.Errorf("listing tables of %s: %w", ns, err)
		}
		out = append(out, strings.Join(id, "."))
	}
	return out, nil
}

// TableOptions configure Table and CreateTable.
type TableOptions struct {
	// SnapshotID, when non-zero, makes scans read that snapshot (time travel).
	SnapshotID int64
	// Schema, when set, is the declared schema: its columns (native types,
	// JSON markers kept) are read by name from the Iceberg columns.
	Schema *arrow.Schema
	// PartitionBy is the partition spec of a table CreateTable creates
	// (see the package doc; "" means identity(topic) + hour(timestamp)).
	PartitionBy string
	// JobID names the writing job in snapshot summaries (sinks only;
	// DefaultJobID when empty).
	JobID string
	// TargetFileBytes bounds the rows a sink buffers: once they take this
	// much memory they are written out as data files (staged, committed
	// with the epoch). Parquet compression makes the files smaller. 0
	// means DefaultTargetFileBytes.
	TargetFileBytes int64
	// RollInterval, when positive, also writes buffered rows out once the
	// oldest has waited this long, so a long checkpoint interval does not
	// hold a whole interval of rows in memory.
	RollInterval time.Duration
}

// Table loads the existing table name ("ns.table") as a catalog.Table. A
// missing table fails with an error wrapping catalog.ErrNotFound.
func (w *Warehouse) Table(ctx context.Context, name string, opts TableOptions) (*Table, error) {
	ident := splitName(name)
	if len(ident) < 2 {
		return nil, fmt.Errorf("loading table %q: want namespace.table", name)
	}
	tbl, err := w.cat.LoadTable(ctx, ident)
	if err != nil {
		if errors.Is(err, icecat.ErrNoSuchTable) || errors.Is(err, icecat.ErrNoSuchNamespace) {
			return nil, fmt.Errorf("loading table %s: %w", name, catalog.ErrNotFound)
		}
		return nil, fmt.Errorf("loading table %s: %w", name, err)
	}
	return newTable(w, name, tbl, opts)
}

// CreateTable returns the table name, creating it (and its namespace) from
// schema when missing, partitioned by opts.PartitionBy. An existing table is
// returned as is.
func (w *Warehouse) CreateTable(ctx context.Context, name string, schema *arrow.Schema, opts TableOptions) (*Table, error) {
	tbl, err := w.loadOrCreate(ctx, name, schema, opts.PartitionBy)
	if err != nil {
		return nil, err
	}
	return newTable(w, name, tbl, opts)
}

// loadOrCreate loads the Iceberg table, creating it from schema when
// missing. A concurrent creator winning the race is fine: its table loads.
func (w *Warehouse) loadOrCreate(ctx context.Context, name string, schema *arrow.Schema, partitionBy string) (*table.Table, error) {
	ident := splitName(name)
	if len(ident) < 2 {
		return nil, fmt.Errorf("creating table %q: want namespace.table", name)
	}
	tbl, err := w.cat.LoadTable(ctx, ident)
	if err == nil {
		return tbl, nil
	}
	if !errors.Is(err, icecat.ErrNoSuchTable) && !errors.Is(err, icecat.ErrNoSuchNamespace) {
		return nil, fmt.Errorf("loading table %s: %w", name, err)
	}
	ws, err := writeSchema(schema)
	if err != nil {
		return nil, fmt.Errorf("creating table %s: %w", name, err)
	}
	sc, err := icebergSchema(ws)
	if err != nil {
		return nil, fmt.Errorf("creating table %s: %w", name, err)
	}
	spec, err := partitionSpec(sc, partitionBy)
	if err != nil {
		return nil, fmt.Errorf("creating table %s: %w", name, err)
	}
	ns := ident[:len(ident)-1]
	if err := w.cat.CreateNamespace(ctx, ns, nil); err != nil && !errors.Is(err, icecat.ErrNamespaceAlreadyExists) {
		return nil, fmt.Errorf("creating namespace %s: %w", strings.Join(ns, "."), err)
	}
	tbl, err = w.cat.CreateTable(ctx, ident, sc, icecat.WithPartitionSpec(spec),
		icecat.WithProperties(ice.Properties{table.ParquetCompressionKey: "zstd"}))
	if errors.Is(err, icecat.ErrTableAlreadyExists) {
		tbl, err = w.cat.LoadTable(ctx, ident)
	}
	if err != nil {
		return nil, fmt.Errorf("creating table %s: %w", name, err)
	}
	return tbl, nil
}

// splitName splits a dotted name into an Iceberg identifier.
func splitName(name string) table.Identifier {
	if name == "" {
		return nil
	}
	return strings.Split(name, ".")
}
