package transforms_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/render"
	"github.com/streamsql/streamsql/transforms"
)

var rewrite = flag.Bool("rewrite", false, "rewrite transforms/examples/expected/*.jsonl")

const exampleInput = "examples/events.jsonl"

// runExample runs a shipped transform over the sample events and returns
// its output lines.
func runExample(t *testing.T, name string, cfg transforms.Config) []string {
	t.Helper()
	tr, err := transforms.Load(filepath.Join("examples", name+".sql"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	cfg.Input, cfg.Output = exampleInput, out
	res, err := transforms.Run(context.Background(), tr, cfg)
	if err != nil {
		t.Fatalf("running %s: %v", name, err)
	}
	if res.Metrics.EventsIn == 0 {
		t.Fatalf("%s read no events", name)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if int64(len(lines)) != res.Metrics.EventsOut {
		t.Errorf("%s: %d output lines, metrics say %d rows out", name, len(lines), res.Metrics.EventsOut)
	}
	return lines
}

// batchLines runs the transform's SQL as a batch query over the whole
// input (registered as __input__), rendered like the JSONL sink.
func batchLines(t *testing.T, sql string) []string {
	t.Helper()
	db := streamsql.New()
	defer db.Close()
	if err := db.RegisterFile(streamsql.InputTable, exampleInput, file.Options{Format: "jsonl"}); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	w, err := render.New("jsonl", &sb)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Stream(context.Background(), sql, nil,
		func(names []string, s *arrow.Schema) { _ = w.Header(names, s) },
		func(b arrow.RecordBatch) error { defer b.Release(); return w.Batch(b) },
		func(string) {})
	if err != nil {
		t.Fatalf("batch query: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(sb.String(), "\n"), "\n")
}

func sameMultiset(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := append([]string{}, got...), append([]string{}, want...)
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("%s: streaming output differs from the batch answer\n--- streaming (%d rows)\n%s\n--- batch (%d rows)\n%s",
			what, len(g), strings.Join(g, "\n"), len(w), strings.Join(w, "\n"))
	}
}

// The examples whose SQL also means something in batch must give the
// batch answer over the whole input: the sample's disorder stays within
// the watermark delay, so no event is late.
func TestExamplesEqualBatch(t *testing.T) {
	for _, name := range []string{"aggregate", "dedup", "top_pages", "paid_orders"} {
		t.Run(name, func(t *testing.T) {
			got := runExample(t, name, transforms.Config{})
			sql, err := os.ReadFile(filepath.Join("examples", name+".sql"))
			if err != nil {
				t.Fatal(err)
			}
			sameMultiset(t, name, got, batchLines(t, string(sql)))
		})
	}
}

// Every example's output is pinned (sessions have no batch meaning).
func TestExamplesGolden(t *testing.T) {
	names, err := filepath.Glob("examples/*.sql")
	if err != nil || len(names) < 5 {
		t.Fatalf("want at least 5 examples, got %v (%v)", names, err)
	}
	for _, path := range names {
		name := strings.TrimSuffix(filepath.Base(path), ".sql")
		if name == "pipeline" {
			continue // names its own files: TestPipelineExample
		}
		t.Run(name, func(t *testing.T) {
			lines := runExample(t, name, transforms.Config{})
			// Two inputs are read concurrently, so a join's rows come in
			// the order the inputs interleave: compare those as sets.
			if sql, _ := os.ReadFile(path); strings.Count(string(sql), "__input__") > 1 {
				sort.Strings(lines)
			}
			got := strings.Join(lines, "\n") + "\n"
			want := filepath.Join("examples", "expected", name+".jsonl")
			if *rewrite {
				if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(want, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			data, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run with -rewrite to create it)", err)
			}
			if string(data) != got {
				t.Errorf("%s: output differs from %s\n--- got\n%s", name, want, got)
			}
		})
	}
}

// Running with two key-partitioned instances gives the same rows.
func TestExamplesParallel(t *testing.T) {
	for _, name := range []string{"aggregate", "dedup", "sessions", "top_pages", "paid_orders"} {
		t.Run(name, func(t *testing.T) {
			one := runExample(t, name, transforms.Config{})
			two := runExample(t, name, transforms.Config{Options: transforms.Options{Parallelism: 2}})
			sameMultiset(t, name+" with parallelism 2", two, one)
		})
	}
}

// The pipeline example declares its tables: run from the repository root
// with its sink redirected, it must give the batch answer.
func TestPipelineExample(t *testing.T) {
	sql, err := os.ReadFile("examples/pipeline.sql")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "revenue.jsonl")
	text := strings.Replace(string(sql), "path = 'revenue.jsonl'", "path = '"+out+"'", 1)
	t.Chdir("..")
	tr, err := transforms.Parse("pipeline.sql", text)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := transforms.Run(context.Background(), tr, transforms.Config{StateDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	t.Chdir("transforms")
	want := batchLines(t, `SELECT window_start, window_end, user_id, count(*) AS orders, sum(amount) AS revenue
		FROM TUMBLE(__input__, timestamp, INTERVAL '5' MINUTE) WHERE type = 'order'
		GROUP BY window_start, window_end, user_id`)
	if len(got) < 10 {
		t.Fatalf("pipeline wrote %d rows", len(got))
	}
	sameMultiset(t, "pipeline", got, want)
}
