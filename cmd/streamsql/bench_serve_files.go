package main

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/connectors/iceberg"
)

// explainStat finds `files_considered=N`-style counts in EXPLAIN ANALYZE
// lines.
var explainStat = regexp.MustCompile(`\b(files_considered|files_pruned|files_read)=(\d+)`)

// unifiedFileStats fills each query's files considered / pruned / read
// and its time over the cold side alone. The file counts come from the
// server (EXPLAIN ANALYZE through POST /query) when its plan carries them;
// the unified table's reader does not pass the cold side's statistics on
// today, so otherwise they come from the same query over the warehouse's
// events.<topic> alone, the unified scan's cold side.
func unifiedFileStats(ctx context.Context, client *http.Client, base, wh string, r *unifiedRun, runs int) error {
	if err := coldSideAlone(ctx, wh, r.queries, runs); err != nil {
		return err
	}
	all := true
	for _, q := range r.queries {
		rows, err := postQuery(ctx, client, base, "EXPLAIN ANALYZE "+q.sql)
		if err != nil {
			return fmt.Errorf("%s: %w", q.name, err)
		}
		stats := map[string]int64{}
		for _, row := range rows {
			if len(row) == 0 {
				continue
			}
			line, _ := row[0].(string)
			for _, m := range explainStat.FindAllStringSubmatch(line, -1) {
				n, _ := strconv.ParseInt(m[2], 10, 64)
				stats[m[1]] += n
			}
		}
		if _, ok := stats["files_considered"]; !ok {
			all = false
			break
		}
		q.considered, q.pruned, q.read = stats["files_considered"], stats["files_pruned"], stats["files_read"]
	}
	if all {
		r.statsFrom = "EXPLAIN ANALYZE through POST /query"
		return nil
	}
	r.statsFrom = "EXPLAIN ANALYZE through POST /query shows no file counts for the unified table, so they come from the same query over the warehouse's " +
		iceberg.TierNamespace + "." + serveBenchTopic + " alone (the unified scan's cold side)"
	return nil
}

// coldSideAlone runs each query in a fresh engine over the topic's
// warehouse table, registered under the topic's name: one checked run
// whose Iceberg scan statistics it keeps, then runs timed runs.
func coldSideAlone(ctx context.Context, wh string, qs []*unifiedQuery, runs int) error {
	w, err := iceberg.OpenWarehouse(wh)
	if err != nil {
		return err
	}
	defer w.Close()
	t, err := w.Table(ctx, iceberg.TierNamespace+"."+serveBenchTopic, iceberg.TableOptions{})
	if err != nil {
		return err
	}
	db := streamsql.New()
	defer db.Close()
	st := &statsTable{Table: t}
	db.RegisterTable(serveBenchTopic, st)
	for _, q := range qs {
		walls := make([]time.Duration, runs)
		for i := -1; i < runs; i++ {
			st.reset()
			start := time.Now()
			res, err := db.Query(ctx, q.sql)
			if err != nil {
				return fmt.Errorf("%s over the warehouse: %w", q.name, err)
			}
			if i >= 0 {
				walls[i] = time.Since(start)
			}
			res.Release()
		}
		s := st.lastStats()
		q.considered, q.pruned, q.read = s["files_considered"], s["files_pruned"], s["files_read"]
		q.coldAlone = median(walls)
	}
	return nil
}
