package sqltest

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/connectors/file"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected blocks of the golden files")

// goldenClock fixes NOW() so golden files are reproducible.
var goldenClock = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

// newGoldenEngine registers the sample tables every golden file may use.
// dir is the path of the repository root relative to the working directory.
func newGoldenEngine(t *testing.T, mem memory.Allocator, dir string) *streamsql.Engine {
	db := streamsql.New(streamsql.WithAllocator(mem), streamsql.WithClock(func() time.Time { return goldenClock }))
	for name, path := range map[string]string{"events": "testdata/events.jsonl", "users": "testdata/users.csv"} {
		if err := db.RegisterFile(name, dir+path, file.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func TestGolden(t *testing.T) {
	var files []string
	err := filepath.WalkDir("../testdata/sql", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".test") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files under testdata/sql")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".test")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			if strings.HasPrefix(name, "stream_") {
				clock := NewClock(streamClock)
				db := newStreamEngine(t, mem, "../", clock)
				RunStreamFile(t, f, db, clock, *rewrite)
				db.Close()
				mem.AssertSize(t, 0)
				return
			}
			db := newGoldenEngine(t, mem, "../")
			RunFile(t, f, db, *rewrite)
			db.Close()
			mem.AssertSize(t, 0)
		})
	}
}

// streamClock is where the processing clock of streaming golden files
// starts; `advance` moves it.
var streamClock = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// newStreamEngine makes the engine of a streaming golden file (stream_*):
// its clock is clock, and the one sample table is users, a bounded CSV
// file for lookup joins (the file creates its streams).
func newStreamEngine(t *testing.T, mem memory.Allocator, dir string, clock *Clock) *streamsql.Engine {
	db := streamsql.New(streamsql.WithAllocator(mem), streamsql.WithClock(clock.Now))
	if err := db.RegisterFile("users", dir+"testdata/users.csv", file.Options{}); err != nil {
		t.Fatal(err)
	}
	return db
}
