//go:build duckdb

package difftest

import (
	"context"
	"testing"
)

// TestDiffDetects proves the comparison is not vacuous: known-different
// answers from the two engines must be reported, known-equal ones not.
func TestDiffDetects(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, ss, duck string
		same           bool
	}{
		{"equal ints", "SELECT 1, 'a'", "SELECT 1, 'a'", true},
		{"value differs", "SELECT 1", "SELECT 2", false},
		{"string vs int", "SELECT '1'", "SELECT 1", false},
		{"null vs value", "SELECT NULL", "SELECT 0", false},
		{"null vs null", "SELECT NULL", "SELECT NULL", true},
		{"float within tolerance", "SELECT 0.1 + 0.2", "SELECT 0.3::DOUBLE", true},
		{"float outside tolerance", "SELECT 1.0000001", "SELECT 1.0::DOUBLE", false},
		{"int vs double same value", "SELECT 3", "SELECT 3.0::DOUBLE", true},
		{"column count", "SELECT 1, 2", "SELECT 1", false},
		{"row count", "SELECT * FROM (VALUES (1), (2)) v(x)", "SELECT * FROM (VALUES (1)) v(x)", false},
		{"order ignored without ORDER BY", "SELECT * FROM (VALUES (1), (2)) v(x)", "SELECT * FROM (VALUES (2), (1)) v(x)", true},
		{"order checked with ORDER BY", "SELECT x FROM (VALUES (1), (2)) v(x) ORDER BY x", "SELECT x FROM (VALUES (1), (2)) v(x) ORDER BY x DESC", false},
		{"timestamp vs date", "SELECT TIMESTAMP '2026-03-01 00:00:00'", "SELECT DATE '2026-03-01'", false},
		{"timestamp text", "SELECT TIMESTAMP '2026-03-01 10:00:00.5'", "SELECT TIMESTAMPTZ '2026-03-01 10:00:00.5'", true},
		{"interval", "SELECT INTERVAL '1 day 02:00:00'", "SELECT INTERVAL '26 hours'", false},
		{"bool", "SELECT true", "SELECT 'true'", false},
	}
	for _, c := range cases {
		got, err := EngineQuery(ctx, env.ss, c.ss)
		if err != nil {
			t.Fatalf("%s: streamsql: %v", c.name, err)
		}
		want, err := DuckQuery(ctx, env.duck, c.duck)
		if err != nil {
			t.Fatalf("%s: duckdb: %v", c.name, err)
		}
		err = Diff(got, want, HasTopLevelOrderBy(c.ss))
		if c.same && err != nil {
			t.Errorf("%s: reported a difference: %v", c.name, err)
		}
		if !c.same && err == nil {
			t.Errorf("%s: difference not detected", c.name)
		}
	}
}

func TestHasTopLevelOrderBy(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT a FROM t ORDER BY a":                           true,
		"SELECT a FROM (SELECT a FROM t ORDER BY a) s":         false,
		"SELECT 'ORDER BY' FROM t":                             false,
		"SELECT a AS reorder_by FROM t":                        false,
		"SELECT a FROM t UNION ALL SELECT b FROM u ORDER BY 1": true,
	} {
		if got := HasTopLevelOrderBy(q); got != want {
			t.Errorf("HasTopLevelOrderBy(%q) = %v, want %v", q, got, want)
		}
	}
}
