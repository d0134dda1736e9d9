package iceberg

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

func init() {
	catalog.RegisterConnector("iceberg", newConnectorTable)
}

// warehouses are the warehouses opened by CREATE TABLE, one per directory,
// kept open for the life of the process (tables hold them).
var (
	warehousesMu sync.Mutex
	warehouses   = map[string]*Warehouse{}
)

// sharedWarehouse returns the process's warehouse for dir, opening it once.
func sharedWarehouse(dir string) (*Warehouse, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("opening warehouse %s: %w", dir, err)
	}
	warehousesMu.Lock()
	defer warehousesMu.Unlock()
	if w, ok := warehouses[abs]; ok {
		return w, nil
	}
	w, err := OpenWarehouse(abs)
	if err != nil {
		return nil, err
	}
	warehouses[abs] = w
	return w, nil
}

// newConnectorTable is the "iceberg" TableFactory. Options: table
// (required, "ns.name"), warehouse (default DefaultWarehouse),
// partition_by, job_id, snapshot_id. With declared columns a missing table
// is created; without, it must exist.
func newConnectorTable(options map[string]string, schema *arrow.Schema) (catalog.Table, error) {
	for k := range options {
		switch k {
		case "connector", "table", "warehouse", "partition_by", "job_id", "snapshot_id":
		default:
			return nil, fmt.Errorf("opening iceberg table: unknown option %q (have table, warehouse, partition_by, job_id, snapshot_id)", k)
		}
	}
	name := options["table"]
	if name == "" {
		return nil, errors.New("opening iceberg table: option table='namespace.name' is required")
	}
	dir := options["warehouse"]
	if dir == "" {
		dir = DefaultWarehouse
	}
	opts := TableOptions{Schema: schema, PartitionBy: options["partition_by"], JobID: options["job_id"]}
	if v := options["snapshot_id"]; v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("opening iceberg table %s: snapshot_id %q: %w", name, v, err)
		}
		opts.SnapshotID = id
	}
	w, err := sharedWarehouse(dir)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if schema == nil {
		return w.Table(ctx, name, opts)
	}
	return w.CreateTable(ctx, name, schema, opts)
}
