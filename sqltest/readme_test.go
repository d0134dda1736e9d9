package sqltest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/transforms"
)

var sqlBlock = regexp.MustCompile("(?s)```sql\n(.*?)```")

// TestReadmeExamples runs every ```sql block of README.md: each must run
// without error, and each query must return at least one row, so the tour
// never shows an example that fails or says nothing.
func TestReadmeExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := sqlBlock.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 5 {
		t.Fatalf("README has %d sql blocks, want the tour", len(blocks))
	}
	// The DDL example names a path relative to the repository root.
	if err := os.Chdir(".."); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir("sqltest")
	for i, b := range blocks {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		db := newGoldenEngine(t, mem, "")
		results, err := db.Exec(context.Background(), b[1])
		if err != nil {
			t.Errorf("README sql block %d: %v\n%s", i+1, err, b[1])
			db.Close()
			continue
		}
		last := results[len(results)-1]
		if strings.TrimSpace(last.Tag) == "" && last.NumRows() == 0 {
			t.Errorf("README sql block %d returned no rows:\n%s", i+1, b[1])
		}
		for _, r := range results {
			r.Release()
		}
		db.Close()
		mem.AssertSize(t, 0)
	}
}

var streamBlock = regexp.MustCompile("(?s)```sql stream\n(.*?)```")

// TestReadmeStreamExamples runs every ```sql stream block of README.md as
// a transform over the sample events: each must emit rows.
func TestReadmeStreamExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := streamBlock.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("README has no sql stream block")
	}
	for i, b := range blocks {
		tr, err := transforms.Parse(fmt.Sprintf("README block %d", i+1), b[1])
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out.jsonl")
		res, err := transforms.Run(context.Background(), tr, transforms.Config{Input: "../transforms/examples/events.jsonl", Output: out})
		if err != nil {
			t.Errorf("README stream block %d: %v\n%s", i+1, err, b[1])
			continue
		}
		if res.Metrics.EventsOut == 0 {
			t.Errorf("README stream block %d emitted no rows:\n%s", i+1, b[1])
		}
	}
}
