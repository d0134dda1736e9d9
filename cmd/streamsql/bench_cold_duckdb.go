//go:build duckdb

package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/streamsql/streamsql/difftest"
)

// DuckDB reads the Iceberg table's data files with read_parquet (a view
// named cold over the current snapshot's files), pruning by its own
// row-group statistics, in the same process and run as streamsql.
func init() { coldDuckDB = duckCold }

func duckCold(ctx context.Context, files []string, queries []string, runs int) (medians []time.Duration, counts []int64, err error) {
	db, err := difftest.OpenDuckDB(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	view := "CREATE VIEW cold AS SELECT * FROM read_parquet([" + strings.Join(quoted, ", ") + "])"
	if _, err := db.ExecContext(ctx, view); err != nil {
		return nil, nil, fmt.Errorf("creating duckdb view over %d files: %w", len(files), err)
	}
	for _, q := range queries {
		n, err := duckCount(ctx, db, q)
		if err != nil {
			return nil, nil, fmt.Errorf("running duckdb %s: %w", q, err)
		}
		walls := make([]time.Duration, runs)
		for i := range walls {
			t0 := time.Now()
			if err := drainDuck(ctx, db, q); err != nil {
				return nil, nil, fmt.Errorf("running duckdb %s: %w", q, err)
			}
			walls[i] = time.Since(t0)
		}
		medians, counts = append(medians, median(walls)), append(counts, n)
	}
	return medians, counts, nil
}

// duckCount runs a (topic, count, sum) query and totals its counts.
func duckCount(ctx context.Context, db *sql.DB, q string) (int64, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var topic string
		var n int64
		var sum float64
		if err := rows.Scan(&topic, &n, &sum); err != nil {
			return 0, err
		}
		total += n
	}
	return total, rows.Err()
}
