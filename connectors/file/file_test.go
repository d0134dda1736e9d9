package file

import (
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

func TestConnectorFactory(t *testing.T) {
	p := writeTemp(t, "events.log", `{"ts":"2026-03-01 00:00:01.824","user_id":17,"amount":42.5}
{"ts":"2026-03-01 00:00:02","user_id":"x"}
{"ts":"2026-03-01 00:00:03","user_id":18}
`)
	tbl, err := catalog.OpenConnector("file", map[string]string{"connector": "file", "path": p, "format": "jsonl", "sample_rows": "1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := schemaString(t, tbl.Schema()); got != "ts TIMESTAMP, user_id BIGINT, amount DOUBLE" {
		t.Errorf("schema %s", got)
	}
	if d, ok := tbl.(catalog.Describer); !ok || d.Describe() != "file jsonl "+p {
		t.Errorf("Describe: %v", tbl)
	}
	if _, _, err := scan(t, tbl, catalog.ScanRequest{Columns: []int{1}, Limit: -1}); err == nil || !strings.Contains(err.Error(), p+":2: ") {
		t.Errorf("fail mode: %v", err)
	}

	tbl, err = catalog.OpenConnector("file", map[string]string{"path": p, "format": "ndjson", "on_error": "skip", "sample_rows": "1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, mustScan(t, tbl, []int{1, 0}), "17|2026-03-01 00:00:01.824\n18|2026-03-01 00:00:03\n")
	if tbl.(*Table).Skipped() != 1 {
		t.Errorf("Skipped = %d", tbl.(*Table).Skipped())
	}

	// CREATE TABLE columns arrive as the schema
	decl := arrow.NewSchema([]arrow.Field{{Name: "user_id", Type: arrow.BinaryTypes.String}, {Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us}}, nil)
	tbl, err = catalog.OpenConnector("file", map[string]string{"path": p, "format": "json"}, decl)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, mustScan(t, tbl, []int{0, 1}), "17|2026-03-01 00:00:01.824\nx|2026-03-01 00:00:02\n18|2026-03-01 00:00:03\n")

	for _, c := range []struct {
		opts map[string]string
		msg  string
	}{
		{map[string]string{}, "option path is required"},
		{map[string]string{"path": p}, "cannot tell the format"},
		{map[string]string{"path": p, "format": "avro"}, `unknown format "avro"`},
		{map[string]string{"path": p, "format": "jsonl", "on_error": "retry"}, `on_error "retry"`},
		{map[string]string{"path": p, "format": "jsonl", "sample_rows": "lots"}, `sample_rows "lots"`},
	} {
		if _, err := catalog.OpenConnector("file", c.opts, nil); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: %v, want %q", c.opts, err, c.msg)
		}
	}
}

func TestConcurrentScans(t *testing.T) {
	tables := []*Table{
		mustOpen(t, testdataDir+"/events.jsonl", Options{}),
		mustOpen(t, testdataDir+"/events.csv", Options{}),
		mustOpen(t, testdataDir+"/events.parquet", Options{}),
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		tbl := tables[i%len(tables)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := map[string]int{"jsonl": 200, "csv": 20, "parquet": 200}[tbl.Format()]
			rows, _, err := scan(t, tbl, catalog.ScanRequest{Columns: []int{0, 1}, Limit: -1, Alloc: mem})
			if err != nil || len(rows) != want {
				t.Errorf("%s: %d rows, %v", tbl.Format(), len(rows), err)
			}
		}()
	}
	wg.Wait()
}

// A path naming a device or a pipe is refused: /dev/zero used to be read
// as one endless line until the process ran out of memory.
func TestOpenRefusesDevices(t *testing.T) {
	for _, format := range []string{"jsonl", "csv", "parquet"} {
		_, err := Open("/dev/zero", Options{Format: format})
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%s: got %v, want a refusal", format, err)
		}
	}
}
