//go:build duckdb

package difftest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/iceberg"
	"github.com/streamsql/streamsql/eventstream"
	"github.com/streamsql/streamsql/eventstream/cold"
)

// A topic's unified table (hot window + Iceberg cold tier, split at the
// committed position) answers like DuckDB over every event in one table —
// before any commit, while the dual path commits batches, and after it
// caught up.
func TestUnifiedTopicMatchesDuckDB(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	wh, err := iceberg.OpenWarehouse(filepath.Join(dir, "wh"))
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	coldSide := iceberg.Tier{W: wh}
	ts, err := eventstream.ParseTopicSchema("orders=customer VARCHAR, amount DOUBLE, qty BIGINT")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := eventstream.New(eventstream.Config{Topics: []eventstream.TopicSchema{ts},
		TableFor: func(topic string, hot catalog.Table) (catalog.Table, error) {
			u, err := cold.NewUnified(topic, hot, coldSide)
			if err != nil {
				return nil, err
			}
			return catalog.NewStreamTable(u, catalog.EventTime{Column: "timestamp"})
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	duck, err := OpenDuckDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	if _, err := duck.ExecContext(ctx, `CREATE TABLE orders (customer VARCHAR, amount DOUBLE, qty BIGINT, "timestamp" TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	dual, err := cold.StartDual(ctx, cold.DualOptions{Engine: srv.Engine(), Topics: srv.Topics,
		Table:    func(topic string) (catalog.Table, error) { return srv.Table(topic) },
		Sink:     coldSide.Sink,
		StateDir: filepath.Join(dir, "dual"), Interval: 40 * time.Millisecond, Poll: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer dual.Close()

	base := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	cut := base.Add(150 * time.Minute).Format("2006-01-02 15:04:05")
	queries := []struct {
		sql     string
		ordered bool
	}{
		{`SELECT COUNT(*), SUM(amount), SUM(qty), MIN("timestamp"), MAX("timestamp") FROM orders`, false},
		{`SELECT customer, COUNT(*), SUM(amount), MAX(qty) FROM orders GROUP BY customer ORDER BY customer`, true},
		{`SELECT COUNT(*), SUM(amount) FROM orders WHERE "timestamp" > TIMESTAMP '` + cut + `' - INTERVAL '1 hour'`, false},
		{`SELECT qty, COUNT(DISTINCT customer) FROM orders WHERE amount >= 10 GROUP BY qty ORDER BY qty`, true},
	}
	compare := func(when string) {
		t.Helper()
		for _, q := range queries {
			got, err := EngineQuery(ctx, srv.Engine(), q.sql)
			if err != nil {
				t.Fatalf("%s: streamsql: %s: %v", when, q.sql, err)
			}
			want, err := DuckQuery(ctx, duck, q.sql)
			if err != nil {
				t.Fatalf("%s: duckdb: %s: %v", when, q.sql, err)
			}
			if err := Diff(got, want, q.ordered); err != nil {
				t.Fatalf("%s: %s:\n%v", when, q.sql, err)
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 11))
	n := 0
	var committed []uint64
	for round := range 10 {
		var vals []string
		for range 200 {
			customer := fmt.Sprintf("c%02d", rng.IntN(17))
			amount := float64(rng.IntN(400)) / 4
			qty := rng.IntN(9)
			at := base.Add(time.Duration(rng.IntN(180*60)) * time.Second)
			ev := map[string]any{"customer": customer, "amount": amount, "qty": qty, "timestamp": at.Format(time.RFC3339)}
			if _, err := srv.Emit(ctx, "orders", ev); err != nil {
				t.Fatal(err)
			}
			vals = append(vals, fmt.Sprintf("('%s', %v, %d, TIMESTAMP '%s')", customer, amount, qty, at.Format("2006-01-02 15:04:05")))
			n++
		}
		if _, err := duck.ExecContext(ctx, "INSERT INTO orders VALUES "+strings.Join(vals, ", ")); err != nil {
			t.Fatal(err)
		}
		_, seq, _, _ := coldSide.Snapshot(ctx, "orders")
		committed = append(committed, seq)
		compare(fmt.Sprintf("round %d (%d events, %d in the cold tier)", round, n, seq))
	}
	t.Logf("events in the cold tier at each round: %v", committed)
	if committed[len(committed)-1] == 0 {
		t.Error("no batch reached the cold tier while the rounds ran: the boundary was never crossed")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, seq, ok, err := coldSide.Snapshot(ctx, "orders")
		if err != nil {
			t.Fatal(err)
		}
		if ok && seq == uint64(n) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cold tier reached %d of %d events", seq, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	compare("after the cold tier caught up")
	if err := dual.Err("orders"); err != nil {
		t.Fatalf("dual path: %v", err)
	}
}
