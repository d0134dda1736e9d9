package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// nexmarkTestQueries writes a small query directory: a pass-through, a
// window aggregate, an unsupported query and (with bad) one that does
// not plan.
func nexmarkTestQueries(t *testing.T, bad bool) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"q0.sql": "-- name: q0\n-- title: Pass Through\n-- status: runs\n-- streamsql:\nSELECT auction, bidder, price, date_time, extra FROM bid;\n" +
			"-- duckdb:\nSELECT auction, bidder, price, date_time, extra FROM bid;\n",
		"q5.sql": "-- name: q5\n-- title: Counts\n-- status: runs\n-- streamsql:\n" +
			"SELECT window_start, auction, count(*) AS num FROM TUMBLE(bid, date_time, INTERVAL '10' SECOND) GROUP BY window_start, auction;\n",
		"q6.sql": "-- name: q6\n-- title: Over\n-- status: unsupported OVER windows\n-- streamsql:\nSELECT 1 FROM bid;\n",
	}
	if bad {
		files["q9.sql"] = "-- name: q9\n-- title: Broken\n-- status: runs\n-- streamsql:\nSELECT nope FROM bid;\n"
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBenchNexmarkTable(t *testing.T) {
	dir := nexmarkTestQueries(t, false)
	var out bytes.Buffer
	args := []string{"--queries", dir, "--events", "5000", "--runs", "1", "--cores", "2", "--splits", "2"}
	if err := benchNexmark(args, &out); err != nil {
		t.Fatalf("bench nexmark: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"load average", "batch ms = per split", "skipped q6 (Over): OVER windows", "peak RSS from"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	rows := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) >= 12 && (f[1] == modeGenerator || f[1] == modePregenerated) {
			rows[f[0]+"/"+f[1]] = f[10] // out rows
		}
	}
	// Both modes read the same events, so they agree on the output.
	if rows["q0/generator"] != "4600" || rows["q0/pregenerated"] != "4600" {
		t.Errorf("q0 rows %v, want 4600 bids in both modes:\n%s", rows, text)
	}
	if rows["q5/generator"] == "" || rows["q5/generator"] != rows["q5/pregenerated"] {
		t.Errorf("q5 rows differ between modes: %v", rows)
	}
}

func TestBenchNexmarkJSONL(t *testing.T) {
	dir := nexmarkTestQueries(t, false)
	var out bytes.Buffer
	args := []string{"--queries", dir, "--events", "3000", "--runs", "2", "--query", "q0", "--format", "jsonl", "--cores", "1"}
	if err := benchNexmark(args, &out); err != nil {
		t.Fatalf("bench nexmark: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per mode, got:\n%s", out.String())
	}
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, line)
		}
		for _, key := range []string{"query", "events", "seconds", "events_per_sec", "events_per_sec_per_core", "p50_batch_ms",
			"p99_batch_ms", "peak_rss_bytes", "generator_included", "rows_out"} {
			if _, ok := m[key]; !ok {
				t.Errorf("line %d lacks %s: %s", i, key, line)
			}
		}
		if m["query"] != "q0" || m["events"] != 3000.0 || m["rows_out"] != 2760.0 || m["generator_included"] != (i == 0) {
			t.Errorf("line %d: %s", i, line)
		}
		if m["peak_rss_bytes"].(float64) <= 0 || m["events_per_sec"].(float64) <= 0 {
			t.Errorf("line %d: no RSS or rate: %s", i, line)
		}
	}
}

func TestBenchNexmarkCPUProfile(t *testing.T) {
	dir, prof := nexmarkTestQueries(t, false), t.TempDir()
	args := []string{"--queries", dir, "--events", "2000", "--runs", "1", "--query", "q5", "--mode", "generator", "--cpuprofile", prof}
	if err := benchNexmark(args, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(prof, "q5-generator.pprof")); err != nil || st.Size() == 0 {
		t.Fatalf("no profile written: %v", err)
	}
}

func TestBenchNexmarkQueryFails(t *testing.T) {
	dir := nexmarkTestQueries(t, true)
	err := benchNexmark([]string{"--queries", dir, "--events", "1000", "--runs", "1", "--query", "q9"}, &bytes.Buffer{})
	var ue usageError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "benchmarking nexmark q9") {
		t.Fatalf("got %v, want the planning error of q9", err)
	}
}

func TestBenchNexmarkUsage(t *testing.T) {
	dir := nexmarkTestQueries(t, false)
	for _, args := range [][]string{
		{"--events", "0"},
		{"--cores", "0"},
		{"--runs", "x"},
		{"--splits", "-1"},
		{"--format", "csv"},
		{"--mode", "replay"},
		{"--query", "q99"},
		{"--query", "q6"}, // unsupported
		{"--queries", t.TempDir()},
		{"--bogus"},
		{"extra"},
	} {
		var ue usageError
		if err := benchNexmark(append([]string{"--queries", dir}, args...), &bytes.Buffer{}); !errors.As(err, &ue) {
			t.Errorf("bench nexmark %v: got %v, want a usage error", args, err)
		}
	}
	if code, _, stderr := runCLI(t, "", "bench", "nexmark", "--events", "none"); code != 2 || !strings.Contains(stderr, "bench nexmark") {
		t.Errorf("exit %d, stderr %q; want 2 and the message", code, stderr)
	}
}

// fakeReader returns n (nil) batches, then an error; only Read and
// Close matter to timedReader.
type fakeReader struct {
	n      int
	closed int
}

func (f *fakeReader) ID() string { return "fake" }
func (f *fakeReader) Read(context.Context) (arrow.RecordBatch, error) {
	if f.n == 0 {
		return nil, errors.New("end")
	}
	f.n--
	return nil, nil
}
func (f *fakeReader) Position() ([]byte, error)          { return nil, nil }
func (f *fakeReader) Seek(context.Context, []byte) error { return nil }
func (f *fakeReader) Close() error                       { f.closed++; return nil }

func TestTimedReaderRecordsOneSamplePerBatch(t *testing.T) {
	lat := &batchTimes{}
	f := &fakeReader{n: 3}
	r := &timedReader{SplitReader: f, lat: lat}
	for {
		if _, err := r.Read(context.Background()); err != nil {
			break
		}
	}
	if _, ok := r.SourceWatermark(); ok {
		t.Error("a reader without its own watermark reported one")
	}
	if err := errors.Join(r.Close(), r.Close()); err != nil || f.closed != 2 {
		t.Fatalf("close: %v, %d", err, f.closed)
	}
	if len(lat.samples) != 3 {
		t.Fatalf("%d samples for 3 batches", len(lat.samples))
	}
}

func TestBatchTimesQuantile(t *testing.T) {
	lat := &batchTimes{}
	if lat.quantile(0.99) != 0 {
		t.Error("quantile of no samples")
	}
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	lat.add(s)
	if p50, p99 := lat.quantile(0.5), lat.quantile(0.99); p50 != 50 || p99 != 99 {
		t.Errorf("p50 %v p99 %v, want 50 and 99", p50, p99)
	}
}

func TestReadPeakRSS(t *testing.T) {
	resetPeakRSS()
	if r := readPeakRSS(); r.bytes <= 0 || r.source == "" {
		t.Errorf("peak RSS %+v", r)
	}
	if r := goHeapSys(); r.bytes <= 0 {
		t.Errorf("heap sys %+v", r)
	}
}

// Every query of testdata/nexmark marked runs goes through the bench.
func TestBenchNexmarkRepositoryQueries(t *testing.T) {
	var out bytes.Buffer
	args := []string{"--queries", "../../testdata/nexmark", "--events", "3000", "--runs", "1", "--cores", "2"}
	if err := benchNexmark(args, &out); err != nil {
		t.Fatalf("bench nexmark: %v\n%s", err, out.String())
	}
	for _, want := range []string{"     q0     generator", "     q5  pregenerated", "skipped q6"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
