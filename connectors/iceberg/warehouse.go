// Package iceberg is the connector for Apache Iceberg tables: a local
// warehouse (iceberg-go's SQL catalog on SQLite, pure Go, with data and
// metadata files under one directory), scans that prune files by partition
// and manifest statistics, and an exactly-once sink that commits one
// Iceberg snapshot per checkpoint.
//
// Registered as connector "iceberg": CREATE TABLE t WITH
// (connector='iceberg', warehouse='dir', table='ns.name'
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

// Warehouse is a local Iceberg warehouse: the SQL catalog lives in
// dir/catalog.db and table files under dir/<ns>.db/<table>/. It is safe for
// concurrent use, also by several processes (SQLite serialises catalog
// commits; Iceberg's optimistic concurrency orders table commits).
type Warehouse struct {
	dir string
	db  *sql.DB
	cat *sqlcat.Catalog
}

// OpenWarehouse opens (creating if needed) the warehouse under dir. Close
// releases it.
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
	return &Warehouse{dir: abs, db: db, cat: cat}, nil
}

// Catalog is the warehouse's iceberg-go SQL catalog (what `streamsql
// catalog serve` exposes over REST).
func (w *Warehouse) Catalog() *sqlcat.Catalog { return w.cat }

// Dir is the warehouse's absolute directory.
func (w *Warehouse) Dir() string { return w.dir }

// Close releases the catalog database. Tables and sinks opened from the
// warehouse must not be used afterwards.
func (w *Warehouse) Close() error {
	if err := w.cat.Close(); err != nil {
		w.db.Close()
		return fmt.Errorf("closing warehouse %s: %w", w.dir, err)
	}
	if err := w.db.Close(); err != nil {
		return fmt.Errorf("closing warehouse %s: %w", w.dir, err)
	}
	return nil
}

// Namespaces lists the warehouse's namespaces, dotted, in catalog order.
func (w *Warehouse) Namespaces(ctx context.Context) ([]string, error) {
	nss, err := w.cat.ListNamespaces(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("listing namespaces of %s: %w", w.dir, err)
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
