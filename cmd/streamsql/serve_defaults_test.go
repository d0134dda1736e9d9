package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors/iceberg"
)

// The README's first command, `streamsql serve` with nothing else, in a
// fresh directory: the hot tier's log under .streamsql/serve, the cold
// tier in the local warehouse .streamsql/warehouse, and an event ingested
// is queryable at once and reaches the warehouse.
func TestServeDefaults(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	runServe(t, []string{"--addr", "127.0.0.1:0", "--batch-max-seconds", "1"}, func(base string) {
		if status, out, err := postJSON(base+"/events?topic=orders", "", `{"id":1,"amount":9.5}`); status != 200 {
			t.Fatalf("ingest: %d %v %v", status, out, err)
		}
		status, out, err := postJSON(base+"/query", "", `{"sql":"SELECT COUNT(*) FROM orders"}`)
		if status != 200 || out["rows"].([]any)[0].([]any)[0] != 1.0 {
			t.Fatalf("query: %d %v %v", status, out, err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for !coldHas(t, filepath.Join(dir, iceberg.DefaultWarehouse), 1) {
			if time.Now().After(deadline) {
				t.Fatal("the event did not reach .streamsql/warehouse")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	for _, p := range []string{".streamsql/serve", ".streamsql/warehouse/catalog.db", ".streamsql/dual"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
