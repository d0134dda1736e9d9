package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/iceberg"
)

// icebergScheme prefixes an --output naming an Iceberg table of the
// warehouse: iceberg:NS.TABLE.
const icebergScheme = "iceberg:"

// icebergTableName returns the NS.TABLE of an iceberg:NS.TABLE output, or
// ok=false when output is not one.
func icebergTableName(output string) (name string, ok bool, err error) {
	name, ok = strings.CutPrefix(output, icebergScheme)
	if !ok {
		return "", false, nil
	}
	if i := strings.LastIndexByte(name, '.'); i <= 0 || i == len(name)-1 {
		return "", true, usagef("--output %s wants %sNAMESPACE.TABLE", output, icebergScheme)
	}
	return name, true, nil
}

// icebergSinkTable writes a job's output to the warehouse table name,
// created from the query's schema when missing. Unlike a loaded
// iceberg.Table it needs no table up front: the schema is known only
// once the job is planned.
type icebergSinkTable struct {
	w    *iceberg.Warehouse
	name string
}

// OpenSink opens the exactly-once Iceberg sink (its epochs are stored in
// the job's checkpoints, so --state-dir makes it exactly once).
func (t icebergSinkTable) OpenSink(ctx context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	return t.w.Sink(ctx, t.name, schema, iceberg.TableOptions{})
}

// openIcebergOutput opens the warehouse of an iceberg:NS.TABLE output, the
// REST catalog uri or else the local warehouse under dir
// (DefaultWarehouse when empty, created if needed), and a sink table on
// name. The caller closes the warehouse once the job is closed.
func openIcebergOutput(dir, uri, name string) (catalog.SinkTable, *iceberg.Warehouse, error) {
	var w *iceberg.Warehouse
	var err error
	if uri != "" {
		w, err = openCatalog(context.Background(), uri)
	} else {
		if dir == "" {
			dir = iceberg.DefaultWarehouse
		}
		w, err = iceberg.OpenWarehouse(dir)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("opening output %s%s: %w", icebergScheme, name, err)
	}
	return icebergSinkTable{w: w, name: name}, w, nil
}

// openCatalog opens the REST catalog uri (r2://ACCOUNT/BUCKET or an
// http(s) URI) with the token, S3 endpoint and keys of the environment.
func openCatalog(ctx context.Context, uri string) (*iceberg.Warehouse, error) {
	return iceberg.OpenCatalog(ctx, uri, iceberg.CatalogOptionsFromEnv())
}

// exclusiveTableSource is the usage error of --catalog with --warehouse.
func exclusiveTableSource() error {
	return usagef("--catalog (a REST catalog URI) and --warehouse (a local directory) are mutually exclusive")
}

// attachWarehouse registers every table of the warehouse under dir with
// db by its dotted name (ns.table), so queries can read them. An empty dir
// means DefaultWarehouse, attached only when it exists: a query run
// anywhere must not leave a warehouse behind. The caller closes the
// returned warehouse (nil when none was attached) after the queries.
func attachWarehouse(ctx context.Context, db *streamsql.Engine, dir string) (*iceberg.Warehouse, error) {
	if dir == "" {
		dir = iceberg.DefaultWarehouse
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
	}
	w, err := iceberg.OpenWarehouse(dir)
	if err != nil {
		return nil, fmt.Errorf("attaching warehouse %s: %w", dir, err)
	}
	if err := registerWarehouseTables(ctx, db, w); err != nil {
		return nil, errors.Join(fmt.Errorf("attaching warehouse %s: %w", w.Location(), err), w.Close())
	}
	return w, nil
}

// attachCatalog registers every table of the REST catalog uri with db by
// its dotted name (ns.table), as attachWarehouse does for a directory.
// The caller closes the returned warehouse after the queries.
func attachCatalog(ctx context.Context, db *streamsql.Engine, uri string) (*iceberg.Warehouse, error) {
	w, err := openCatalog(ctx, uri)
	if err != nil {
		return nil, fmt.Errorf("attaching catalog: %w", err)
	}
	if err := registerWarehouseTables(ctx, db, w); err != nil {
		return nil, errors.Join(fmt.Errorf("attaching catalog %s: %w", w.Location(), err), w.Close())
	}
	return w, nil
}

// registerWarehouseTables loads each table of w (at start: the listing is
// cheap, and each scan reloads the table's metadata anyway).
func registerWarehouseTables(ctx context.Context, db *streamsql.Engine, w *iceberg.Warehouse) error {
	nss, err := w.Namespaces(ctx)
	if err != nil {
		return err
	}
	for _, ns := range nss {
		names, err := w.Tables(ctx, ns)
		if err != nil {
			return err
		}
		for _, name := range names {
			t, err := w.Table(ctx, name, iceberg.TableOptions{})
			if err != nil {
				return err
			}
			db.RegisterTable(name, t)
		}
	}
	return nil
}
