package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ORDER BY timestamp DESC LIMIT k over a topic reads the hot side first
// and leaves the cold side unread when its statistics show no cold event
// can make the top; otherwise the cold side is read and can win.
func TestServeTopNSkipsTheColdSide(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--addr", "127.0.0.1:0", "--state-dir", filepath.Join(dir, "state"), "--warehouse", filepath.Join(dir, "wh"),
		"--batch-max-seconds", "1"}
	ingest := func(base string, from, to int, hour int) {
		var b strings.Builder
		for i := from; i < to; i++ {
			fmt.Fprintf(&b, `{"n":%d,"timestamp":"2026-11-27T%02d:%02d:00Z"}`+"\n", i, hour, i%60)
		}
		if status, out, err := postJSON(base+"/events?topic=clicks", "", b.String()); status != 200 {
			t.Fatalf("ingest: %d %v %v", status, out, err)
		}
	}
	// 50 old events, committed to the warehouse.
	runServe(t, args, func(base string) {
		ingest(base, 0, 50, 8)
		deadline := time.Now().Add(15 * time.Second)
		for !coldHasTopic(t, filepath.Join(dir, "wh"), "clicks", 50) {
			if time.Now().After(deadline) {
				t.Fatal("the cold tier did not catch up")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	args[len(args)-1] = "3600" // no more commits: what follows stays hot
	runServe(t, args, func(base string) {
		topN := func(limit int) (string, string) {
			sql := fmt.Sprintf(`SELECT CAST(data->>'n' AS BIGINT) AS n FROM clicks ORDER BY timestamp DESC LIMIT %d`, limit)
			status, out, err := postJSON(base+"/query", "", fmt.Sprintf(`{"sql":%q}`, sql))
			if status != 200 {
				t.Fatalf("%s: %d %v %v", sql, status, out, err)
			}
			status, plan, _ := postJSON(base+"/query", "", fmt.Sprintf(`{"sql":%q}`, "EXPLAIN ANALYZE "+sql))
			if status != 200 {
				t.Fatalf("explain: %d %v", status, plan)
			}
			return fmt.Sprint(out["rows"]), fmt.Sprint(plan["rows"])
		}
		ingest(base, 50, 53, 9) // three newer events, hot only
		rows, plan := topN(3)
		if rows != "[[52] [51] [50]]" || !strings.Contains(plan, "cold_skipped=1") {
			t.Fatalf("top 3 from the hot side: rows %s\nplan %s", rows, plan)
		}
		// Five need two cold events: the cold side is read.
		rows, plan = topN(5)
		if rows != "[[52] [51] [50] [49] [48]]" || strings.Contains(plan, "cold_skipped") {
			t.Fatalf("top 5 across the tiers: rows %s\nplan %s", rows, plan)
		}
	})
}
