package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// crashEventCount is the size of the crash tests' input: 300k events over
// an hour of event time (about 30 MB).
const crashEventCount = 300_000

// TestRunResumesAfterKill is the crash-recovery test of `streamsql run`:
// a job over a growing input file is SIGKILLed twice mid-stream, resumed
// with the same state directory each time, and finally run to the end of
// the completed file; its output must then equal, byte for byte (line for
// line, sorted, where parallel instances or scans make the order vary),
// that of an uninterrupted run without a state directory (the file sink
// truncates what a killed run wrote after its last checkpoint), and its
// --metrics must count every input event exactly once across the three
// processes.
//
// The input grows while the job follows it (--follow), fed phase by phase
// by the test, so the kills land while the job is busy with fresh input
// however fast or slow the machine is: a bounded file of any sensible size
// is read to its end in well under a second here, often before a first
// checkpoint could be seen. The last run reads the same file without
// --follow so that it ends.
func TestRunResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the streamsql binary and runs it over 300k events")
	}
	bin := crashBinary(t, t.TempDir())
	events := crashEvents(crashEventCount)
	for _, c := range []crashCase{
		{name: "aggregate", script: "aggregate.sql"},
		// Session windows: operator snapshots of open sessions per user.
		{name: "sessions", script: "sessions.sql"},
		// Dedup writes most events back out: the output outgrows the
		// sink's buffer between checkpoints, so the killed runs leave
		// rows past their last checkpoint that the resume must cut.
		{name: "dedup", script: "dedup.sql"},
		// Two key-partitioned dedup instances write to the one sink in an
		// order that varies from run to run: compared as sorted lines.
		{name: "dedup_parallel", script: "dedup.sql", args: []string{"--parallelism", "2"}, sorted: true},
		// The interval join reads __input__ twice (events_in counts both
		// scans); its two scans run on their own goroutines, so the order
		// of its output varies from run to run.
		{name: "interval_join", script: "paid_orders.sql", sorted: true, scans: 2},
	} {
		t.Run(c.name, func(t *testing.T) { crashAndResume(t, bin, events, c) })
	}
}

type crashCase struct {
	name   string
	script string   // in transforms/examples
	args   []string // more flags, for every run
	sorted bool     // the row order is not deterministic: compare sorted
	scans  int      // times the script reads __input__ (0: once)
}

func crashAndResume(t *testing.T, bin string, events [][]byte, c crashCase) {
	dir := t.TempDir()
	in, out, ref, state := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl"),
		filepath.Join(dir, "ref.jsonl"), filepath.Join(dir, "state")
	script := filepath.Join(repoRoot, "transforms", "examples", c.script)
	args := append([]string{"run", script, "--input", in, "--output", out, "--state-dir", state,
		"--checkpoint-interval", "50ms", "--metrics"}, c.args...)
	follow := append(slices.Clone(args), "--follow")

	feed := newCrashFeeder(in, events, 1000, 2*time.Millisecond)
	t.Cleanup(func() { feed.allow(1); <-feed.done })
	feed.allow(0.4)
	feed.waitWritten(t, 0.01) // enough lines for the schema inference

	// Kill 1: at (or just after) the first checkpoint with output.
	p := startCrashProc(t, bin, follow...)
	p.waitUntil(t, "a first checkpoint with output", 30*time.Second, func() bool {
		return newestCheckpoint(state) > 0 && fileSize(out) > 0
	})
	crashPause()
	p.kill(t)
	epoch1, size1 := newestCheckpoint(state), fileSize(out)

	// Kill 2: once the resumed job has taken two more checkpoints and
	// half of the input has been written.
	feed.allow(0.7)
	p = startCrashProc(t, bin, follow...)
	p.waitUntil(t, "two more checkpoints", 30*time.Second, func() bool {
		return newestCheckpoint(state) >= epoch1+2 && feed.progress() >= 0.5
	})
	crashPause()
	p.kill(t)
	epoch2, size2 := newestCheckpoint(state), fileSize(out)
	t.Logf("killed at checkpoint %d (output %d bytes) and %d (%d bytes)", epoch1, size1, epoch2, size2)

	// The rest: the same command over the completed file, to the end.
	feed.allow(1)
	feed.waitWritten(t, 1)
	stderr := startCrashProc(t, bin, args...).wait(t, time.Minute)
	refArgs := append([]string{"run", script, "--input", in, "--output", ref, "--metrics"}, c.args...)
	refStderr := startCrashProc(t, bin, refArgs...).wait(t, time.Minute)

	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("the uninterrupted run wrote nothing")
	}
	if err := sameOutput(got, want, c.sorted); err != nil {
		t.Errorf("resumed output differs from the uninterrupted run's: %v", err)
	}

	// Counters are checkpointed: the resumed run reports the totals of an
	// uninterrupted one, each event counted once.
	in1, out1, late1, dead1 := runMetrics(t, stderr)
	in0, out0, _, _ := runMetrics(t, refStderr)
	lines := int64(bytes.Count(want, []byte("\n")))
	total := int64(len(events) * max(c.scans, 1))
	if in0 != total || out0 != lines {
		t.Errorf("uninterrupted run: events_in=%d events_out=%d, want %d and %d", in0, out0, total, lines)
	}
	if in1 != total || out1 != lines || late1 != 0 || dead1 != 0 {
		t.Errorf("resumed run: events_in=%d events_out=%d late=%d dead_lettered=%d, want %d, %d, 0, 0",
			in1, out1, late1, dead1, total, lines)
	}
}

// crashPause waits a random moment, so that kills land anywhere between
// two checkpoints rather than right after one.
func crashPause() { time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond) }
