package exec

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// orderedScript is a split's script: n batches of two rows with growing
// event times (so no row is late whatever the interleaving of splits),
// keys from prefix, an idle read now and then, and extra steps inserted
// at the given step indexes.
func orderedScript(prefix string, n int, extra map[int]any) []any {
	var s []any
	for i := 0; i < n; i++ {
		if x, ok := extra[i]; ok {
			s = append(s, x)
		}
		ts := int64(i * 4)
		s = append(s, []ev{{ts, prefix + string(rune('a'+i%3)), int64(i)}, {ts + 2, prefix + "z", 1}})
		if i%5 == 4 {
			s = append(s, idle{})
		}
	}
	return s
}

// resumePlan is scan(2 splits) → probe (stateful row count) → tumbling
// window per key → sink, built fresh for each job as a restarted process
// would.
type resumePlan struct {
	table *fakeTable
	probe *probeOp
}

func (p *resumePlan) root(t testing.TB) *operators.Stage {
	p.probe = newProbe(1)
	return tumbleStage(t, opStage("Counter", p.probe, scanStage("t", p.table, 3, 0)))
}

func newResumePlan(wait waitFor) *resumePlan {
	extra := map[int]any{}
	if wait != nil {
		extra[25] = wait
	}
	return &resumePlan{table: newFakeTable("s1", orderedScript("p", 40, extra), "s2", orderedScript("q", 30, extra))}
}

// uninterrupted runs the plan to the end in one job.
func uninterrupted(t *testing.T, par int) ([]string, Metrics) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	p := newResumePlan(nil)
	sink := &captureSink{}
	j := mustJob(t, p.root(t), JobOptions{Alloc: mem, Sink: sink, Parallelism: par})
	defer closeJob(t, j)
	pollAll(t, j)
	return sink.sorted(), j.Metrics()
}

func sameCounts(t *testing.T, got, want Metrics) {
	t.Helper()
	if got.EventsIn != want.EventsIn || got.EventsOut != want.EventsOut || got.Late != want.Late || got.DeadLettered != want.DeadLettered {
		t.Fatalf("counts after resume in=%d out=%d late=%d dead=%d, uninterrupted in=%d out=%d late=%d dead=%d",
			got.EventsIn, got.EventsOut, got.Late, got.DeadLettered, want.EventsIn, want.EventsOut, want.Late, want.DeadLettered)
	}
}

// Poll mode: checkpoint, go on, crash (Close), resume: the output and the
// counts equal an uninterrupted run's, with no duplicate; the operator's
// state came back; a rerun of the finished job emits nothing.
func TestResumePoll(t *testing.T) {
	for _, par := range []int{1, 2} {
		t.Run(map[int]string{1: "serial", 2: "partitioned"}[par], func(t *testing.T) {
			want, wantM := uninterrupted(t, par)
			mem := newMem()
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			sink := &captureSink{}
			opts := JobOptions{Alloc: mem, Sink: sink, StateDir: dir, Parallelism: par, Fingerprint: "plan-1", CheckpointInterval: -1}
			p := newResumePlan(nil)
			j := mustJob(t, p.root(t), opts)
			for i := 0; i < 12; i++ {
				if _, err := j.Poll(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if err := j.Checkpoint(context.Background()); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 8; i++ {
				if _, err := j.Poll(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			rowsBefore := len(sink.rows)
			closeJob(t, j) // a crash: no final checkpoint

			j = mustJob(t, p.root(t), opts)
			if len(sink.rows) >= rowsBefore {
				t.Fatalf("resume kept %d rows of %d: the sink was not restored", len(sink.rows), rowsBefore)
			}
			pollAll(t, j)
			if p.probe.rows != wantM.EventsIn {
				t.Fatalf("restored counter saw %d rows in all, want %d", p.probe.rows, wantM.EventsIn)
			}
			sameCounts(t, j.Metrics(), wantM)
			closeJob(t, j)
			if got := sink.sorted(); !reflect.DeepEqual(got, want) {
				t.Fatalf("resumed output\n%q\nwant\n%q", got, want)
			}

			// The final checkpoint makes a rerun a no-op.
			n := len(sink.rows)
			j = mustJob(t, p.root(t), opts)
			defer closeJob(t, j)
			if _, err := j.Poll(context.Background()); !errors.Is(err, io.EOF) {
				t.Fatalf("rerun of a finished job: %v, want io.EOF", err)
			}
			if len(sink.rows) != n {
				t.Fatalf("rerun of a finished job wrote %d rows", len(sink.rows)-n)
			}
			sameCounts(t, j.Metrics(), wantM)
		})
	}
}

// Run mode: checkpoints every read; the job is cancelled after its third
// commit while the splits wait mid-script, then resumed to the end.
func TestResumeRun(t *testing.T) {
	want, wantM := uninterrupted(t, 1)
	for _, par := range []int{1, 2} {
		if par == 2 {
			want, wantM = uninterrupted(t, 2)
		}
		mem := newMem()
		dir := t.TempDir()
		wait := make(waitFor)
		p := newResumePlan(wait)
		ctx, cancel := context.WithCancel(context.Background())
		sink := &captureSink{onCommit: func(e int64) {
			if e == 3 {
				cancel()
			}
		}}
		opts := JobOptions{Alloc: mem, Sink: sink, StateDir: dir, Parallelism: par, Fingerprint: "plan-1", CheckpointInterval: 1}
		j := mustJob(t, p.root(t), opts)
		if err := j.Run(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("first run: %v, want context.Canceled", err)
		}
		cancel()
		closeJob(t, j)

		close(wait)
		sink.onCommit = nil
		j = mustJob(t, p.root(t), opts)
		if err := j.Run(context.Background()); err != nil {
			t.Fatalf("resumed run: %v", err)
		}
		sameCounts(t, j.Metrics(), wantM)
		closeJob(t, j)
		if got := sink.sorted(); !reflect.DeepEqual(got, want) {
			t.Fatalf("parallelism %d: resumed output\n%q\nwant\n%q", par, got, want)
		}
		mem.AssertSize(t, 0)
	}
}

// checkpointed leaves a checkpoint of the resume plan in a new directory.
func checkpointed(t *testing.T) (string, JobOptions, *resumePlan) {
	mem := newMem()
	dir := t.TempDir()
	opts := JobOptions{Alloc: mem, Sink: &captureSink{}, StateDir: dir, Fingerprint: "plan-1", CheckpointInterval: -1}
	p := newResumePlan(nil)
	j := mustJob(t, p.root(t), opts)
	for i := 0; i < 3; i++ {
		if _, err := j.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := j.Checkpoint(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	closeJob(t, j)
	mem.AssertSize(t, 0)
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 2 {
		t.Fatalf("state dir holds %q, want the newest 2 checkpoints", files)
	}
	return files[1], opts, p
}

// A damaged, truncated or foreign checkpoint stops the resume with a
// clear error instead of starting from zero.
func TestResumeRefusesBadCheckpoints(t *testing.T) {
	cases := []struct {
		name   string
		change func(path string, opts *JobOptions)
		want   string
		is     error
	}{
		{"truncated", func(path string, _ *JobOptions) {
			data, _ := os.ReadFile(path)
			os.WriteFile(path, data[:len(data)-7], 0o644)
		}, "checksum mismatch", ErrCorruptCheckpoint},
		{"tiny", func(path string, _ *JobOptions) { os.WriteFile(path, []byte("SSQL"), 0o644) }, "truncated", ErrCorruptCheckpoint},
		{"damaged", func(path string, _ *JobOptions) {
			data, _ := os.ReadFile(path)
			data[len(data)/2] ^= 0x40
			os.WriteFile(path, data, 0o644)
		}, "checksum mismatch", ErrCorruptCheckpoint},
		{"fingerprint", func(_ string, o *JobOptions) { o.Fingerprint = "plan-2" }, `another plan (fingerprint "plan-1", this plan's "plan-2")`, nil},
		{"parallelism", func(_ string, o *JobOptions) { o.Parallelism = 3 }, "parallelism 1, this job has 3", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, opts, p := checkpointed(t)
			c.change(path, &opts)
			mem := newMem()
			opts.Alloc = mem
			_, err := NewJob(context.Background(), p.root(t), opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if c.is != nil && (!errors.Is(err, c.is) || !strings.Contains(err.Error(), path)) {
				t.Fatalf("error %v does not wrap %v or name %s", err, c.is, path)
			}
			mem.AssertSize(t, 0)
		})
	}
}

// The sink sees PreCommit before Commit for each epoch, the final one
// included; epochs go on after a resume.
func TestCheckpointSinkProtocol(t *testing.T) {
	_, opts, p := checkpointed(t)
	sink := opts.Sink.(*captureSink)
	if want := []string{"precommit 1", "commit 1", "precommit 2", "commit 2", "precommit 3", "commit 3"}; !reflect.DeepEqual(sink.calls, want) {
		t.Fatalf("sink calls %q, want %q", sink.calls, want)
	}
	sink.calls = nil
	opts.Alloc = memory.NewGoAllocator()
	j := mustJob(t, p.root(t), opts)
	defer closeJob(t, j)
	pollAll(t, j)
	want := []string{"restore " + strings.TrimPrefix(sink.calls[0], "restore "), "precommit 4", "commit 4"}
	if !reflect.DeepEqual(sink.calls, want) {
		t.Fatalf("sink calls %q, want %q", sink.calls, want)
	}
	if m := j.Metrics(); m.Checkpoints != 1 {
		t.Fatalf("%d checkpoints after resume, want 1", m.Checkpoints)
	}
}

// Poll takes a checkpoint once the interval passed on the job's clock; a
// split the checkpoint does not know starts from its beginning.
func TestPollIntervalAndNewSplit(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	clock := newClock()
	dir := t.TempDir()
	sink := &captureSink{}
	opts := JobOptions{Alloc: mem, Sink: sink, StateDir: dir, Now: clock.now, CheckpointInterval: 10 * time.Second}
	p := newResumePlan(nil)
	j := mustJob(t, p.root(t), opts)
	for i := 0; i < 4; i++ {
		if _, err := j.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.advance(4 * time.Second)
	}
	if m := j.Metrics(); m.Checkpoints != 1 {
		t.Fatalf("%d checkpoints after 16s at a 10s interval, want 1", m.Checkpoints)
	}
	closeJob(t, j)

	p.table = newFakeTable("s1", p.table.scripts["s1"], "s2", p.table.scripts["s2"], "s3", orderedScript("n", 3, nil))
	j = mustJob(t, p.root(t), opts)
	defer closeJob(t, j)
	pollAll(t, j)
	if m := j.Metrics(); m.Splits[2].ID != "s3" || m.Splits[2].Rows != 6 || m.EventsIn != 146 {
		t.Fatalf("after adding split s3: %+v", m.Splits)
	}
}
