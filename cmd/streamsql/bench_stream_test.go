package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
)

func TestBenchStreamSmall(t *testing.T) {
	var out bytes.Buffer
	args := []string{"--events", "20000", "--keys", "50", "--runs", "1", "--groups", "3000", "--parallelism", "2", "--splits", "2"}
	if err := benchStream(args, &out); err != nil {
		t.Fatalf("bench stream: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"cores used = min(GOMAXPROCS=", "load average",
		"seed: one row per distinct minute with its exact count", "6× the events' and amounts: ok",
		"per 1M open groups: state",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	rows := map[string]bool{}
	header := false
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 0 && f[0] == "query":
			header = strings.Join(f, " ") == "query source events median s events/s events/s/core cpu s events/cpu-s out rows heap MB live MB floor/core floor"
		case len(f) == 13:
			rows[f[0]+"/"+f[1]] = f[2] == "20000"
		}
	}
	if !header {
		t.Errorf("no table header:\n%s", text)
	}
	for _, want := range []string{"seed/arrow", "hop/arrow", "seed/jsonl", "hop/jsonl"} {
		if !rows[want] {
			t.Errorf("no row %s of 20000 events:\n%s", want, text)
		}
	}
}

func TestBenchStreamCPUProfile(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--events", "5000", "--runs", "2", "--groups", "0", "--query", "seed", "--source", "arrow", "--cpuprofile", dir}
	if err := benchStream(args, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, "seed-arrow.pprof")); err != nil || st.Size() == 0 {
		t.Fatalf("no profile written: %v", err)
	}
}

func TestBenchStreamUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--events", "0"},
		{"--keys", "-1"},
		{"--runs", "x"},
		{"--parallelism", "0"},
		{"--splits", "0"},
		{"--groups", "-1"},
		{"--query", "nope"},
		{"--source", "kafka"},
		{"--bogus"},
		{"extra"},
	} {
		var ue usageError
		if err := benchStream(args, &bytes.Buffer{}); !errors.As(err, &ue) {
			t.Errorf("bench stream %v: got %v, want a usage error", args, err)
		}
	}
	if code, _, stderr := runCLI(t, "", "bench", "stream", "--events", "none"); code != 2 || !strings.Contains(stderr, "bench stream") {
		t.Errorf("exit %d, stderr %q; want 2 and the message", code, stderr)
	}
}

// The correctness checks must reject wrong output.
func TestBenchStreamChecksRejectWrongOutput(t *testing.T) {
	ev := &streamEvents{n: 100, minutes: 2, amount: 50, perMinute: map[int64]int64{0: 60, 60e6: 40}}
	seed, hop := streamQueries[0], streamQueries[1]
	good := streamRun{rows: 2, count: 100, total: 50, perMinute: map[int64]int64{0: 60, 60e6: 40}}
	if err := seed.check(good, ev); err != nil {
		t.Fatalf("seed check rejects right output: %v", err)
	}
	for _, bad := range []streamRun{
		{rows: 3, count: 100, total: 50, perMinute: good.perMinute},
		{rows: 2, count: 99, total: 50, perMinute: good.perMinute},
		{rows: 2, count: 100, total: 50.01, perMinute: good.perMinute},
		{rows: 2, count: 100, total: 50, perMinute: map[int64]int64{0: 61, 60e6: 39}},
	} {
		if err := seed.check(bad, ev); err == nil {
			t.Errorf("seed check accepts %+v", bad)
		}
	}
	if err := hop.check(streamRun{count: 600, total: 300}, ev); err != nil {
		t.Fatalf("hop check rejects right output: %v", err)
	}
	for _, bad := range []streamRun{{count: 100, total: 300}, {count: 600, total: 50}} {
		if err := hop.check(bad, ev); err == nil {
			t.Errorf("hop check accepts %+v", bad)
		}
	}
}

func TestRunStreamJobFailsCleanly(t *testing.T) {
	ev := genStreamEvents(memory.NewGoAllocator(), 100, 3)
	defer ev.release()
	in, err := newArrowStream(ev, 1)
	if err != nil {
		t.Fatal(err)
	}
	in.stream.CloseWrite()
	eng := streamsql.New()
	defer eng.Close()
	if _, err := runStreamJob(context.Background(), eng, "SELECT nope FROM __input__", in.table, 1); err == nil {
		t.Fatal("a bad query ran")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := runStreamJob(ctx, eng, streamQueries[0].sql, in.table, 1); err == nil {
		t.Fatal("a cancelled run succeeded")
	}
}

// Events spanning several minutes close windows before the input ends:
// the open-groups measurement must refuse them rather than under-count.
func TestMeasureOpenGroupsRejectsClosingWindows(t *testing.T) {
	ev := genStreamEvents(memory.NewGoAllocator(), 150_000, 10)
	defer ev.release()
	_, err := measureOpenGroups(context.Background(), ev, 1)
	if err == nil || !strings.Contains(err.Error(), "before its window closed") {
		t.Fatalf("got %v, want a refusal", err)
	}
}

func TestGenStreamEventsDeterministicAndBounded(t *testing.T) {
	a := genStreamEvents(memory.NewGoAllocator(), 10_000, 7)
	defer a.release()
	b := genStreamEvents(memory.NewGoAllocator(), 10_000, 7)
	defer b.release()
	if len(a.batches) != 2 || a.amount != b.amount || a.minutes != b.minutes {
		t.Fatalf("batches %d, amounts %v/%v, minutes %d/%d", len(a.batches), a.amount, b.amount, a.minutes, b.minutes)
	}
	keys := map[string]bool{}
	hi := int64(a.batches[0].Column(0).(*array.Timestamp).Value(0))
	for i, batch := range a.batches {
		if !array.RecordEqual(batch, b.batches[i]) {
			t.Fatalf("batch %d differs between two generations", i)
		}
		ts := batch.Column(0).(*array.Timestamp)
		for j := 0; j < ts.Len(); j++ {
			v := int64(ts.Value(j))
			if v < hi-streamDisorder {
				t.Fatalf("event %d is %d µs behind the largest so far, beyond the disorder bound", j, hi-v)
			}
			hi = max(hi, v)
			keys[batch.Column(3).(*array.String).Value(j)] = true
		}
	}
	if len(keys) != 7 {
		t.Errorf("%d distinct keys, want 7", len(keys))
	}
}

func TestWriteStreamJSONLRoundTrips(t *testing.T) {
	ev := genStreamEvents(memory.NewGoAllocator(), 300, 5)
	defer ev.release()
	dir := t.TempDir()
	glob, size, err := writeStreamJSONL(dir, ev, 2)
	if err != nil || size == 0 {
		t.Fatalf("size %d, err %v", size, err)
	}
	files, _ := filepath.Glob(glob)
	if len(files) != 2 {
		t.Fatalf("files %v", files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(string(data), "\n", 2)[0]
	b := ev.batches[0]
	ts := time.UnixMicro(int64(b.Column(0).(*array.Timestamp).Value(0))).UTC().Format("2006-01-02 15:04:05.000000")
	if !strings.HasPrefix(first, `{"timestamp":"`+ts+`","amount":`) {
		t.Errorf("first line %s", first)
	}
	if _, _, err := writeStreamJSONL(filepath.Join(dir, "missing"), ev, 1); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}
