package file

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// writeTemp writes a file into a fresh temp dir and returns its path.
func writeTemp(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeFile writes dir/name.
func writeFile(t testing.TB, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// allCols is every column ordinal of tbl.
func allCols(tbl catalog.Table) []int {
	cols := make([]int, tbl.Schema().NumFields())
	for i := range cols {
		cols[i] = i
	}
	return cols
}

// scan reads a whole scan as text rows ("NULL" for nulls), checking the
// batch schema and that every batch is non-empty.
func scan(t testing.TB, tbl catalog.Table, req catalog.ScanRequest) ([][]string, catalog.BatchReader, error) {
	t.Helper()
	rd, err := tbl.Scan(context.Background(), req)
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	var rows [][]string
	for {
		rec, err := rd.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rows, rd, err
		}
		if rec.NumRows() == 0 {
			t.Errorf("empty batch")
		}
		if int(rec.NumCols()) != len(req.Columns) {
			t.Errorf("batch has %d columns, want %d", rec.NumCols(), len(req.Columns))
		}
		for i, c := range req.Columns {
			if !arrow.TypeEqual(rec.Column(i).DataType(), tbl.Schema().Field(c).Type) {
				t.Errorf("column %d is %s, want %s", i, rec.Column(i).DataType(), tbl.Schema().Field(c).Type)
			}
		}
		for r := 0; r < int(rec.NumRows()); r++ {
			row := make([]string, rec.NumCols())
			for c := range row {
				row[c] = cell(rec.Column(c), r)
			}
			rows = append(rows, row)
		}
		rec.Release()
	}
	if _, err := rd.Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Errorf("Next after EOF: %v, want io.EOF", err)
	}
	return rows, rd, nil
}

// mustScan scans with a checked allocator and fails the test on error.
func mustScan(t testing.TB, tbl catalog.Table, cols []int, filters ...catalog.Predicate) [][]string {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows, _, err := scan(t, tbl, catalog.ScanRequest{Columns: cols, Filters: filters, Limit: -1, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// cell renders one value as text.
func cell(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	switch a := a.(type) {
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Int32:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Float64:
		return types.FormatDouble(a.Value(i))
	case *array.Boolean:
		return strconv.FormatBool(a.Value(i))
	case *array.String:
		return a.Value(i)
	case *array.Timestamp:
		return types.FormatTimestamp(int64(a.Value(i)))
	case *array.Date32:
		return types.FormatDate(int32(a.Value(i)))
	case *array.MonthDayNanoInterval:
		v := a.Value(i)
		return types.FormatInterval(types.IntervalValue{Months: v.Months, Days: v.Days, Micros: v.Nanoseconds / 1000})
	}
	return a.ValueStr(i)
}

// schemaString renders a schema as "name TYPE, …".
func schemaString(t testing.TB, s *arrow.Schema) string {
	t.Helper()
	var parts []string
	for _, f := range s.Fields() {
		ty, err := types.FromArrow(f.Type)
		if err != nil {
			t.Fatal(err)
		}
		if !types.IsNative(f.Type) {
			t.Errorf("column %s: %s is not native", f.Name, f.Type)
		}
		if !f.Nullable {
			t.Errorf("column %s is not nullable", f.Name)
		}
		if k := kindOf(f); k != ty.Kind {
			ty.Kind = k
		}
		parts = append(parts, f.Name+" "+ty.String())
	}
	return strings.Join(parts, ", ")
}

// joinRows renders rows one per line, cells separated by |.
func joinRows(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, "|"))
		b.WriteByte('\n')
	}
	return b.String()
}

func checkRows(t testing.TB, got [][]string, want string) {
	t.Helper()
	want = strings.TrimLeft(want, "\n")
	if g := joinRows(got); g != want {
		t.Errorf("rows:\n%s\nwant:\n%s", g, want)
	}
}
