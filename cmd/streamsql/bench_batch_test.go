//go:build duckdb

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestBenchBatchSmall(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := benchBatch([]string{"--rows", "30000", "--runs", "1", "--threads", "1,2", "--dir", dir}, &out); err != nil {
		t.Fatalf("bench batch: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"threads=1 ", "threads=2 ", "geometric mean ratio", "join_segment"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "DIFF") {
		t.Errorf("engines disagree:\n%s", text)
	}

	out.Reset() // reuses the files generated above
	if err := benchBatch([]string{"--rows", "30000", "--runs", "1", "--threads", "1", "--dir", dir, "--format", "jsonl", "--query", "topn,filter_count"}, &out); err != nil {
		t.Fatalf("bench batch jsonl: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines, got:\n%s", out.String())
	}
	for _, l := range lines {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		for _, k := range []string{"query", "threads", "streamsql_ms", "duckdb_ms", "ratio"} {
			if _, ok := r[k]; !ok {
				t.Errorf("line lacks %q: %s", k, l)
			}
		}
	}
}

func TestBenchBatchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--rows", "0"},
		{"--threads", "x"},
		{"--format", "xml"},
		{"--query", "nope"},
		{"extra"},
	} {
		var ue usageError
		if err := benchBatch(args, &bytes.Buffer{}); !errors.As(err, &ue) {
			t.Errorf("bench batch %v: got %v, want a usage error", args, err)
		}
	}
}
