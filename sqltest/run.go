package sqltest

import (
	"context"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
)

// RunFile runs every record of the golden file at path on db (batch
// directives only; see RunStreamFile), reporting mismatches through t.
// With rewrite, it writes the actual results back instead.
func RunFile(t *testing.T, path string, db *streamsql.Engine, rewrite bool) {
	t.Helper()
	runFile(t, path, func(r *Record) ([]string, error) { return runRecord(db, r) }, rewrite)
}

// runFile runs every record of a golden file through run.
func runFile(t *testing.T, path string, run func(*Record) ([]string, error), rewrite bool) {
	t.Helper()
	recs, err := Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	changed := false
	for i := range recs {
		r := &recs[i]
		got, err := run(r)
		if err != nil {
			t.Errorf("%s:%d: %v\n%s", path, r.Line, err, r.SQL)
			continue
		}
		if got == nil {
			continue
		}
		if rewrite {
			if !equal(r.Expected, got) || !r.HasBlock {
				r.Expected, r.HasBlock, changed = got, true, true
			}
			continue
		}
		if !equal(r.Expected, got) {
			t.Errorf("%s:%d: %s\n%s\n--- want\n%s\n--- got\n%s", path, r.Line, r.Kind, r.SQL,
				strings.Join(r.Expected, "\n"), strings.Join(got, "\n"))
		}
	}
	if rewrite && changed {
		if err := os.WriteFile(path, []byte(Format(recs)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.TrimRight(a[i], " ") != strings.TrimRight(b[i], " ") {
			return false
		}
	}
	return true
}

// runRecord runs r and returns the lines its expected block should hold
// (nil when it has none to compare), or an error describing a failure
// that no rewrite can fix.
func runRecord(db *streamsql.Engine, r *Record) ([]string, error) {
	ctx := context.Background()
	switch r.Kind {
	case "statement":
		if len(r.Args) == 0 {
			return nil, fmt.Errorf("statement wants ok or error")
		}
		res, err := db.Query(ctx, r.SQL)
		if res != nil {
			res.Release()
		}
		switch r.Args[0] {
		case "ok":
			if err != nil {
				return nil, fmt.Errorf("want ok, got error: %v", err)
			}
			return nil, nil
		case "error":
			if err == nil {
				return nil, fmt.Errorf("want an error, got none")
			}
			if want := strings.Join(r.Args[1:], " "); want != "" {
				if !strings.Contains(err.Error(), want) {
					return nil, fmt.Errorf("want error containing %q, got: %v", want, err)
				}
				return nil, nil
			}
			return strings.Split(err.Error(), "\n"), nil
		}
		return nil, fmt.Errorf("statement wants ok or error, got %q", r.Args[0])
	case "explain":
		plan, err := db.Explain(ctx, r.SQL, false)
		if err != nil {
			return nil, err
		}
		return strings.Split(strings.TrimRight(stripIDs(plan), "\n"), "\n"), nil
	case "query":
		if len(r.Args) > 0 && r.Args[0] == "error" {
			rec := *r
			rec.Kind, rec.Args = "statement", append([]string{"error"}, r.Args[1:]...)
			return runRecord(db, &rec)
		}
		res, err := db.Query(ctx, r.SQL)
		if err != nil {
			return nil, err
		}
		defer res.Release()
		if len(r.Args) > 0 {
			if got := typeLetters(res.Schema); got != r.Args[0] {
				return nil, fmt.Errorf("column types: want %s, got %s", r.Args[0], got)
			}
		}
		rows := renderRows(res)
		if len(r.Args) > 1 && r.Args[1] == "rowsort" {
			sort.Strings(rows)
		}
		if rows == nil {
			rows = []string{}
		}
		return rows, nil
	}
	return nil, fmt.Errorf("unknown directive %s", r.Kind)
}

var idSuffix = regexp.MustCompile(`#-?[0-9]+`)

// stripIDs drops column ids from plans: they are stable but noisy.
func stripIDs(s string) string { return idSuffix.ReplaceAllString(s, "") }

func typeLetters(s *arrow.Schema) string {
	var b strings.Builder
	for _, f := range s.Fields() {
		t, _ := types.FromField(f)
		b.WriteByte(letter(t))
	}
	return b.String()
}

func letter(t types.Type) byte {
	switch t.Kind {
	case types.Integer, types.Bigint:
		return 'I'
	case types.Double:
		return 'R'
	case types.Varchar, types.JSON:
		return 'T'
	case types.Boolean:
		return 'B'
	case types.Timestamp:
		return 'S'
	case types.Date:
		return 'D'
	case types.Interval:
		return 'V'
	}
	return '?'
}

func renderRows(res *streamsql.Result) []string {
	var rows []string
	ts := make([]types.Type, res.Schema.NumFields())
	for i, f := range res.Schema.Fields() {
		ts[i], _ = types.FromField(f)
	}
	for _, b := range res.Batches {
		for r := 0; r < int(b.NumRows()); r++ {
			vals := make([]string, b.NumCols())
			for c := range vals {
				vals[c] = cell(expr.ScalarValue(b.Column(c), r), ts[c])
			}
			rows = append(rows, strings.Join(vals, " "))
		}
	}
	return rows
}

func cell(v any, t types.Type) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		if x == "" {
			return "(empty)"
		}
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return types.FormatDouble(x)
		}
		s := strconv.FormatFloat(x, 'g', 12, 64)
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return types.FormatDouble(f)
		}
		return s
	}
	return types.FormatValue(v, t)
}
