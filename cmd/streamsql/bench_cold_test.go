package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestBenchColdSmall runs the whole suite on a tiny table: the answers are
// checked against the generator inside benchCold, and the last-hour query
// must read only the last hour's files.
func TestBenchColdSmall(t *testing.T) {
	var out bytes.Buffer
	if err := benchCold([]string{"--events", "4800", "--runs", "1"}, &out); err != nil {
		t.Fatalf("bench cold: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"192 data files", "last_hour", "full_scan", "files considered",
		"last_hour reads at most 1/40 of the files: 4 of 192 (1/48): holds", "at most 3× DuckDB"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

func TestBenchColdUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--events", "10"},
		{"--runs", "0"},
		{"--bogus"},
		{"extra"},
	} {
		err := benchCold(args, &bytes.Buffer{})
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("bench cold %q: got %v, want a usage error", args, err)
		}
	}
}

func TestColdTotalsCheck(t *testing.T) {
	want := coldTotals{}
	want.add("a", 1.5)
	want.add("b", 2)
	got := coldTotals{"a": {n: 1, sum: 1.5}, "b": {n: 1, sum: 2}}
	if err := got.check(want); err != nil {
		t.Fatalf("equal totals: %v", err)
	}
	for name, bad := range map[string]coldTotals{
		"missing topic": {"a": {n: 1, sum: 1.5}},
		"other topic":   {"a": {n: 1, sum: 1.5}, "c": {n: 1, sum: 2}},
		"count":         {"a": {n: 2, sum: 1.5}, "b": {n: 1, sum: 2}},
		"sum":           {"a": {n: 1, sum: 1.6}, "b": {n: 1, sum: 2}},
	} {
		if err := bad.check(want); err == nil {
			t.Errorf("%s: check passed", name)
		}
	}
	if want.count() != 2 {
		t.Errorf("count = %d, want 2", want.count())
	}
}
