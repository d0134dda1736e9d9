//go:build duckdb

package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/difftest"
)

// The DuckDB side of bench nexmark: the pre-generated tables go to Parquet
// files, then into DuckDB tables (so the timing reads memory, not files),
// with the UTC timestamps as plain TIMESTAMP, as the queries' DuckDB
// sections expect.
func init() { openNexmarkDuck = openDuckNexmark }

type duckNexmark struct{ db *sql.DB }

func openDuckNexmark(ctx context.Context, t *nexmarkTables, threads int) (nexmarkBatchEngine, error) {
	dir, err := os.MkdirTemp("", "streamsql-bench-nexmark")
	if err != nil {
		return nil, fmt.Errorf("creating temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	db, err := difftest.OpenDuckDB(ctx)
	if err != nil {
		return nil, err
	}
	d := &duckNexmark{db: db}
	if _, err := db.ExecContext(ctx, fmt.Sprintf("SET threads = %d", threads)); err != nil {
		d.Close()
		return nil, fmt.Errorf("setting duckdb threads: %w", err)
	}
	for _, k := range nexmarkKinds {
		name := k.String()
		bs := t.batches[name]
		if len(bs) == 0 {
			continue
		}
		path := filepath.Join(dir, name+".parquet")
		if err := writeNexmarkParquet(path, bs); err != nil {
			d.Close()
			return nil, err
		}
		q := fmt.Sprintf("CREATE TABLE %s AS SELECT * %s FROM read_parquet('%s')", name, replaceTimestamps(bs[0].Schema()),
			strings.ReplaceAll(path, "'", "''"))
		if _, err := db.ExecContext(ctx, q); err != nil {
			d.Close()
			return nil, fmt.Errorf("loading %s into duckdb: %w", name, err)
		}
	}
	return d, nil
}

// replaceTimestamps turns the UTC timestamp columns DuckDB reads as
// TIMESTAMPTZ back into TIMESTAMP.
func replaceTimestamps(s *arrow.Schema) string {
	var cols []string
	for _, f := range s.Fields() {
		if f.Type.ID() == arrow.TIMESTAMP {
			cols = append(cols, fmt.Sprintf("CAST(%s AS TIMESTAMP) AS %s", f.Name, f.Name))
		}
	}
	if len(cols) == 0 {
		return ""
	}
	return "REPLACE (" + strings.Join(cols, ", ") + ")"
}

func writeNexmarkParquet(path string, bs []arrow.RecordBatch) error {
	w, err := benchWriter(path, bs[0].Schema())
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	for _, b := range bs {
		if err := w.Write(b); err != nil {
			w.Close()
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func (d *duckNexmark) Time(ctx context.Context, q string, runs int) (time.Duration, error) {
	med, _, _, err := timeRuns(runs, func() error { return drainDuck(ctx, d.db, q) })
	return med, err
}

func (d *duckNexmark) Close() error { return d.db.Close() }
