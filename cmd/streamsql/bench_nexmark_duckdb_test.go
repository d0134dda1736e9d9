//go:build duckdb

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBenchNexmarkDuckDBRatio(t *testing.T) {
	dir := nexmarkTestQueries(t, false)
	var out bytes.Buffer
	args := []string{"--queries", dir, "--events", "3000", "--runs", "1", "--query", "q0,q5"}
	if err := benchNexmark(args, &out); err != nil {
		t.Fatalf("bench nexmark: %v\n%s", err, out.String())
	}
	text := out.String()
	if !strings.Contains(text, "duckdb s") || !strings.Contains(text, "×") {
		t.Errorf("no DuckDB column or ratio:\n%s", text)
	}
}

// A DuckDB section that fails is reported; the streaming runs still run.
func TestBenchNexmarkDuckDBFails(t *testing.T) {
	dir := t.TempDir()
	q := "-- name: q1\n-- title: Bad\n-- status: runs\n-- streamsql:\nSELECT auction FROM bid;\n-- duckdb:\nSELECT nope FROM bid;\n"
	if err := os.WriteFile(filepath.Join(dir, "q1.sql"), []byte(q), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := benchNexmark([]string{"--queries", dir, "--events", "1000", "--runs", "1"}, &out)
	if err == nil || !strings.Contains(err.Error(), "timing nexmark q1 in DuckDB") {
		t.Fatalf("got %v, want the DuckDB error", err)
	}
	if !strings.Contains(out.String(), "q1  pregenerated") || !strings.Contains(out.String(), "FAILED: timing nexmark q1 in DuckDB") {
		t.Errorf("output:\n%s", out.String())
	}
}
