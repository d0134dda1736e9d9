package iceberg

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

func init() {
	catalog.RegisterConnector("iceberg", newConnectorTable)
}

// warehouses are the warehouses opened by CREATE TABLE, one per directory
// or catalog, kept open for the life of the process (tables hold them).
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
	return shared("dir "+abs, func() (*Warehouse, error) { return OpenWarehouse(abs) })
}

// sharedCatalog returns the process's warehouse for the REST catalog uri
// with opts (secrets from the environment), opening it once.
func sharedCatalog(ctx context.Context, uri string, opts CatalogOptions) (*Warehouse, error) {
	// The secrets are part of the identity (a rotated token is a new
	// client) but only as a digest.
	secrets := sha256.Sum256([]byte(opts.Token + "\x00" + opts.S3AccessKeyID + "\x00" + opts.S3SecretAccessKey))
	key := fmt.Sprintf("catalog %s %s %s %s %s %t %x", uri, opts.Warehouse, opts.Prefix, opts.S3Endpoint, opts.S3Region, opts.S3CompatMode, secrets)
	return shared(key, func() (*Warehouse, error) { return OpenCatalog(ctx, uri, opts) })
}

func shared(key string, open func() (*Warehouse, error)) (*Warehouse, error) {
	warehousesMu.Lock()
	defer warehousesMu.Unlock()
	if w, ok := warehouses[key]; ok {
		return w, nil
	}
	w, err := open()
	if err != nil {
		return nil, err
	}
	warehouses[key] = w
	return w, nil
}

// connectorOptions are the options of the "iceberg" connector.
var connectorOptions = []string{"table", "warehouse", "catalog", "catalog_warehouse", "catalog_prefix",
	"s3_endpoint", "s3_region", "partition_by", "job_id", "snapshot_id", "target_file_size", "roll_interval"}

// newConnectorTable is the "iceberg" TableFactory. Options: table
// (required, "ns.name"); warehouse (a local directory, default
// DefaultWarehouse) or catalog (a REST catalog URI, see OpenCatalog, with
// catalog_warehouse, catalog_prefix, s3_endpoint, s3_region overriding
// the environment and R2 defaults; the token and keys come from the
// environment only, see CatalogOptionsFromEnv); partition_by, job_id,
// snapshot_id; target_file_size (bytes, e.g. 134217728) and roll_interval
// (a duration) for sinks. With declared columns a missing table is created; without,
// it must exist.
func newConnectorTable(options map[string]string, schema *arrow.Schema) (catalog.Table, error) {
	for k := range options {
		if k != "connector" && !slices.Contains(connectorOptions, k) {
			return nil, fmt.Errorf("opening iceberg table: unknown option %q (have %s)", k, strings.Join(connectorOptions, ", "))
		}
	}
	name := options["table"]
	if name == "" {
		return nil, errors.New("opening iceberg table: option table='namespace.name' is required")
	}
	opts := TableOptions{Schema: schema, PartitionBy: options["partition_by"], JobID: options["job_id"]}
	if v := options["snapshot_id"]; v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("opening iceberg table %s: snapshot_id %q: %w", name, v, err)
		}
		opts.SnapshotID = id
	}
	if v := options["target_file_size"]; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("opening iceberg table %s: target_file_size %q: want a positive number of bytes", name, v)
		}
		opts.TargetFileBytes = n
	}
	if v := options["roll_interval"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("opening iceberg table %s: roll_interval %q: want a positive duration such as 5m", name, v)
		}
		opts.RollInterval = d
	}
	ctx := context.Background()
	w, err := connectorWarehouse(ctx, options)
	if err != nil {
		return nil, fmt.Errorf("opening iceberg table %s: %w", name, err)
	}
	if schema == nil {
		return w.Table(ctx, name, opts)
	}
	return w.CreateTable(ctx, name, schema, opts)
}

// connectorWarehouse opens the warehouse the options name: catalog or
// warehouse (not both), else the default local warehouse.
func connectorWarehouse(ctx context.Context, options map[string]string) (*Warehouse, error) {
	uri := options["catalog"]
	if uri == "" {
		for _, k := range []string{"catalog_warehouse", "catalog_prefix", "s3_endpoint", "s3_region"} {
			if options[k] != "" {
				return nil, fmt.Errorf("option %s goes with catalog='URI'", k)
			}
		}
		dir := options["warehouse"]
		if dir == "" {
			dir = DefaultWarehouse
		}
		return sharedWarehouse(dir)
	}
	if options["warehouse"] != "" {
		return nil, errors.New("options warehouse (a local directory) and catalog (a REST catalog URI) are mutually exclusive")
	}
	opts := CatalogOptionsFromEnv()
	for k, dst := range map[string]*string{"catalog_warehouse": &opts.Warehouse, "catalog_prefix": &opts.Prefix,
		"s3_endpoint": &opts.S3Endpoint, "s3_region": &opts.S3Region} {
		if v := options[k]; v != "" {
			*dst = v
		}
	}
	return sharedCatalog(ctx, uri, opts)
}
