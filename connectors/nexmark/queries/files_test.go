package queries_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/streamsql/streamsql"
	smem "github.com/streamsql/streamsql/connectors/memory"
	"github.com/streamsql/streamsql/connectors/nexmark/queries"
)

const dir = "../../../testdata/nexmark"

// TestQueryFiles checks testdata/nexmark holds q0…q22, each with the
// Flink text, that every query marked runs plans as a streaming job over
// the nexmark tables (so a planner regression shows in go test ./...), and
// that every query marked unsupported does not.
func TestQueryFiles(t *testing.T) {
	qs, err := queries.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]queries.Query{}
	for _, q := range qs {
		have[q.Name] = q
	}
	for i := range 23 {
		name := fmt.Sprintf("q%d", i)
		q, ok := have[name]
		if !ok {
			t.Errorf("%s is missing", name)
			continue
		}
		if q.Flink == "" || q.Title == "" {
			t.Errorf("%s: no Flink text or title", name)
		}
	}
	ddl := queries.Tables(map[string]string{"events.num": "1000"})
	for _, q := range qs {
		t.Run(q.Name, func(t *testing.T) {
			plans, err := explain(ddl + q.SQL)
			switch {
			case q.Runs && !errors.Is(err, streamsql.ErrExplained):
				t.Fatalf("planning %s: %v", q.Path, err)
			case q.Runs && plans != 1:
				t.Fatalf("%d pipelines planned, want 1", plans)
			case !q.Runs && (err == nil || errors.Is(err, streamsql.ErrExplained)):
				// Keeps the statuses honest: flip it to runs.
				t.Fatalf("%s is marked unsupported (%s) but plans", q.Path, q.Reason)
			}
		})
	}
}

// explain plans script as a streaming job on a fresh engine and counts its
// pipelines.
func explain(script string) (int, error) {
	eng := streamsql.New()
	defer eng.Close()
	sink := smem.NewSink()
	defer sink.Release()
	plans := 0
	_, err := eng.StartJob(context.Background(), script, streamsql.JobOptions{
		Output:  sink,
		Explain: func(_, _ string) { plans++ },
	})
	return plans, err
}

// TestTables checks the DDL quotes its options and declares the three
// tables with their watermark.
func TestTables(t *testing.T) {
	ddl := queries.Tables(map[string]string{"seed": "1", "events.num": "10", "odd": "it's"})
	for _, want := range []string{
		"CREATE TABLE person (", "CREATE TABLE auction (", "CREATE TABLE bid (",
		"WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND",
		"table = 'bid', 'events.num' = '10', 'odd' = 'it''s', 'seed' = '1');",
	} {
		if !strings.Contains(ddl, want) {
			t.Errorf("DDL lacks %q:\n%s", want, ddl)
		}
	}
}
