package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/iceberg"
	"github.com/streamsql/streamsql/connectors/iceberg/rest"
	"github.com/streamsql/streamsql/eventstream"
	"github.com/streamsql/streamsql/eventstream/cold"
)

// tierOptions are serve's cold-tier flags.
type tierOptions struct {
	enabled    bool   // --cold (default true)
	warehouse  string // --warehouse (default: beside the state dir)
	pipelines  string // --pipelines URI: send batches to Cloudflare instead
	batchBytes int64
	batchSecs  int
	stateDir   string // the hot tier's state dir; the dual path's checkpoints go beside it
}

// coldTier is serve's durable half: the dual path from every topic into
// the warehouse (each topic a table events.<topic>, queried together with
// its hot window) or into a Pipelines stream.
type coldTier struct {
	o    tierOptions
	wh   *iceberg.Warehouse
	ice  iceberg.Tier
	dual *cold.DualPath
}

// openCold prepares the cold tier before the hot server is made: with a
// warehouse, topics register as unified tables.
func openCold(cfg *eventstream.Config, o tierOptions) (*coldTier, error) {
	c := &coldTier{o: o}
	if !o.enabled || o.pipelines != "" {
		return c, nil
	}
	dir := o.warehouse
	if dir == "" {
		dir = filepath.Join(filepath.Dir(o.stateDir), "warehouse")
	}
	wh, err := iceberg.OpenWarehouse(dir)
	if err != nil {
		return nil, fmt.Errorf("opening the cold tier: %w", err)
	}
	c.wh, c.ice = wh, iceberg.Tier{W: wh, FileBytes: o.batchBytes}
	// Events wait in the hot tier until the warehouse has them, however
	// long the dual path lags (--hot-max-bytes still bounds memory).
	cfg.RetainAfter = c.ice.RetainAfter
	cfg.TableFor = func(topic string, hot catalog.Table) (catalog.Table, error) {
		u, err := cold.NewUnified(topic, hot, c.ice)
		if err != nil {
			return nil, err
		}
		return catalog.NewStreamTable(u, catalog.EventTime{Column: "timestamp"})
	}
	return c, nil
}

// start runs the dual path over es's topics and serves the warehouse's
// catalog over the Iceberg REST protocol under /iceberg/.
func (c *coldTier) start(ctx context.Context, es *eventstream.Server, logw io.Writer) error {
	if !c.o.enabled {
		return nil
	}
	sink := func(ctx context.Context, topic, job string) (catalog.SinkTable, error) {
		return c.ice.Sink(ctx, topic, job)
	}
	if c.o.pipelines != "" {
		sink = func(context.Context, string, string) (catalog.SinkTable, error) {
			t, err := catalog.OpenURI(c.o.pipelines, catalog.RoleSink, nil)
			if err != nil {
				return nil, err
			}
			st, ok := t.(catalog.SinkTable)
			if !ok {
				return nil, fmt.Errorf("%s cannot be written to", c.o.pipelines)
			}
			return st, nil
		}
	} else {
		es.Handle("/iceberg/", http.StripPrefix("/iceberg", rest.NewHandler(c.wh.Catalog(), rest.Options{})))
	}
	d, err := cold.StartDual(ctx, cold.DualOptions{
		Engine: es.Engine(), Topics: es.Topics,
		Table:    func(topic string) (catalog.Table, error) { return es.Table(topic) },
		Sink:     sink,
		StateDir: filepath.Join(filepath.Dir(c.o.stateDir), "dual"),
		Interval: time.Duration(c.o.batchSecs) * time.Second,
		OnError: func(topic string, err error) {
			fmt.Fprintf(logw, "cold tier: topic %s: %v (retrying)\n", topic, err)
		},
	})
	if err != nil {
		return err
	}
	c.dual = d
	return nil
}

// close stops the dual path (the next start resumes after its last
// commit) and the warehouse.
func (c *coldTier) close() error {
	if c.dual != nil {
		c.dual.Close()
		c.dual = nil
	}
	if c.wh != nil {
		err := c.wh.Close()
		c.wh = nil
		return err
	}
	return nil
}
