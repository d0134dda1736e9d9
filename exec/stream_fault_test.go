package exec

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/operators"
)

var errBoom = errors.New("boom")

// A plan NewJob cannot build or open fails with a clear error, leaving
// nothing open: splits closed, memory released, the sink still the
// caller's.
func TestNewJobFaults(t *testing.T) {
	scan := func(tbl *fakeTable) *operators.Stage { return scanStage("t", tbl, 0, 0) }
	ok := func() *fakeTable { return newFakeTable("a", []any{}, "b", []any{}) }
	cases := []struct {
		name string
		tbl  *fakeTable
		root func(tbl *fakeTable) *operators.Stage
		par  int
		want string
	}{
		{"no plan", ok(), func(*fakeTable) *operators.Stage { return nil }, 1, "creating job: no plan"},
		{"operator without inputs", ok(), func(*fakeTable) *operators.Stage { return opStage("Lonely", newProbe(1)) }, 1,
			"building stage Lonely: an operator stage without inputs"},
		{"scan with inputs", ok(), func(tbl *fakeTable) *operators.Stage {
			s := scan(tbl)
			s.Inputs = []*operators.Stage{scan(tbl)}
			return s
		}, 1, "a stream scan has no operator, source or inputs"},
		{"source with operator", ok(), func(*fakeTable) *operators.Stage {
			return &operators.Stage{Name: "Values", Op: newProbe(1), Source: operators.NewValues(evSchema, nil)}
		}, 1, "building stage Values: a source has no operator or inputs"},
		{"no NewOp", ok(), func(tbl *fakeTable) *operators.Stage {
			return &operators.Stage{Name: "Keyed", Op: newProbe(1), KeyCols: [][]int{{1}}, Inputs: []*operators.Stage{scan(tbl)}}
		}, 2, "building stage Keyed: no NewOp to make its instances"},
		{"NewOp fails", ok(), func(tbl *fakeTable) *operators.Stage {
			return &operators.Stage{Name: "Keyed", NewOp: func() (operators.Operator, error) { return nil, errBoom },
				KeyCols: [][]int{{1}}, Inputs: []*operators.Stage{scan(tbl)}}
		}, 1, "building stage Keyed: boom"},
		{"key lists", ok(), func(tbl *fakeTable) *operators.Stage {
			return keyedStage(func() operators.Operator { return newProbe(2) }, [][]int{{1}}, scan(tbl), scan(tbl))
		}, 2, "building stage Keyed: 1 key column lists for 2 inputs"},
		{"no table", ok(), func(*fakeTable) *operators.Stage {
			return &operators.Stage{Name: "Scan", Stream: &operators.StreamScan{Name: "t"}}
		}, 1, "opening stream t: no table"},
		{"OpenStream fails", &fakeTable{openErr: errBoom}, scan, 1, "opening stream t: boom"},
		{"duplicate split IDs", &fakeTable{dupIDs: true, order: []string{"a", "b"}, scripts: map[string][]any{}}, scan, 1,
			`opening stream t: two splits named "same"`},
		{"Open fails", ok(), func(tbl *fakeTable) *operators.Stage {
			p := newProbe(1)
			p.openErr = errBoom
			return opStage("Probe", p, scan(tbl))
		}, 1, "opening Probe: boom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := newMem()
			sink := &captureSink{}
			_, err := NewJob(context.Background(), c.root(c.tbl), JobOptions{Alloc: mem, Sink: sink, Parallelism: c.par})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if !c.tbl.allClosed() || sink.closes != 0 {
				t.Fatalf("splits closed %v, sink closed %d times", c.tbl.allClosed(), sink.closes)
			}
			mem.AssertSize(t, 0)
		})
	}
	if _, err := NewJob(context.Background(), scan(ok()), JobOptions{}); err == nil || err.Error() != "creating job: no sink" {
		t.Fatalf("no sink: %v", err)
	}
}

func keyedStage(newOp func() operators.Operator, keys [][]int, inputs ...*operators.Stage) *operators.Stage {
	return &operators.Stage{Name: "Keyed", Op: newOp(), NewOp: func() (operators.Operator, error) { return newOp(), nil },
		KeyCols: keys, Inputs: inputs}
}

// A resume that cannot restore something fails naming it.
func TestResumeFaults(t *testing.T) {
	cases := []struct {
		name  string
		setup func(p *resumePlan, opts *JobOptions) *operators.Stage
		want  string
	}{
		{"seek", func(p *resumePlan, _ *JobOptions) *operators.Stage {
			p.table.seekErr = errBoom
			return p.root(t)
		}, "seeking split s1 of t: boom"},
		{"operator restore", func(p *resumePlan, _ *JobOptions) *operators.Stage {
			root := p.root(t)
			p.probe.restoreErr = errBoom
			return root
		}, "restoring Counter: running Counter: boom"},
		{"sink restore", func(p *resumePlan, o *JobOptions) *operators.Stage {
			o.Sink.(*captureSink).restoreErr = errBoom
			return p.root(t)
		}, "restoring the sink: running sink: boom"},
		{"split gone", func(p *resumePlan, _ *JobOptions) *operators.Stage {
			p.table = newFakeTable("s2", p.table.scripts["s2"])
			return p.root(t)
		}, "split s1 of t is in the checkpoint but no longer in the stream"},
		{"stage gone", func(p *resumePlan, _ *JobOptions) *operators.Stage {
			return tumbleStage(t, scanStage("t", p.table, 3, 0))
		}, "the checkpoint reads stream t (r.0.0), which this plan lacks"},
		{"stateless now", func(p *resumePlan, _ *JobOptions) *operators.Stage {
			return tumbleStage(t, opStage("Counter", &testOp{}, scanStage("t", p.table, 3, 0)))
		}, "the checkpoint holds a snapshot of Counter (r.0#0), which keeps no state"},
		{"state dir unreadable", func(p *resumePlan, o *JobOptions) *operators.Stage {
			f, _ := os.CreateTemp(t.TempDir(), "file")
			f.Close()
			o.StateDir = f.Name()
			return p.root(t)
		}, "resuming job: listing checkpoints"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, opts, p := checkpointed(t)
			mem := newMem()
			opts.Alloc = mem
			root := c.setup(p, &opts)
			_, err := NewJob(context.Background(), root, opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			mem.AssertSize(t, 0)
		})
	}
}

// A checkpoint that fails at any step (split position, snapshot, sink
// pre-commit, file write, sink commit) fails the job with that step.
func TestCheckpointFaults(t *testing.T) {
	cases := []struct {
		name  string
		setup func(tbl *fakeTable, p *probeOp, s *captureSink, dir string)
		want  string
	}{
		{"position", func(tbl *fakeTable, _ *probeOp, _ *captureSink, _ string) { tbl.posErr = errBoom },
			"reading position of split a of t: boom"},
		{"snapshot", func(_ *fakeTable, p *probeOp, _ *captureSink, _ string) { p.snapErr = errBoom },
			"snapshotting Counter for checkpoint 1: running Counter: boom"},
		{"pre-commit", func(_ *fakeTable, _ *probeOp, s *captureSink, _ string) { s.preErr = errBoom },
			"pre-committing checkpoint 1: running sink: boom"},
		{"write", func(_ *fakeTable, _ *probeOp, _ *captureSink, dir string) {
			os.RemoveAll(dir)
			os.WriteFile(dir, nil, 0o644) // the state dir is now a file
		}, "writing checkpoint 1"},
		{"commit", func(_ *fakeTable, _ *probeOp, s *captureSink, _ string) { s.commitErr = errBoom },
			"committing checkpoint 1: running sink: boom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := newMem()
			defer mem.AssertSize(t, 0)
			tbl := newFakeTable("a", orderedScript("p", 5, nil))
			p := newProbe(1)
			sink := &captureSink{}
			dir := t.TempDir() + "/state"
			j := mustJob(t, opStage("Counter", p, scanStage("t", tbl, 0, 0)), JobOptions{Alloc: mem, Sink: sink, StateDir: dir})
			defer closeJob(t, j)
			if _, err := j.Poll(context.Background()); err != nil {
				t.Fatal(err)
			}
			c.setup(tbl, p, sink, dir)
			err := j.Checkpoint(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if _, again := j.Poll(context.Background()); again != err {
				t.Fatalf("the job goes on after a failed checkpoint: %v", again)
			}
		})
	}
}

// Bad reads: a wrong event time column, a reader returning nothing, a
// key column out of range, a dead-letter output that fails.
func TestReadFaults(t *testing.T) {
	cases := []struct {
		name string
		root func(tbl *fakeTable) *operators.Stage
		dl   *deadLetters
		want string
	}{
		{"time column type", func(tbl *fakeTable) *operators.Stage {
			s := scanStage("t", tbl, 0, 0)
			s.Stream.TimeCol = 1
			return s
		}, nil, "reading split a of t: event time column 1 is utf8, want TIMESTAMP"},
		{"time column range", func(tbl *fakeTable) *operators.Stage {
			s := scanStage("t", tbl, 0, 0)
			s.Stream.TimeCol = 7
			return s
		}, nil, "event time column 7 out of range [0, 3)"},
		{"nil batch", func(*fakeTable) *operators.Stage {
			return scanStage("t", newFakeTable("a", []any{nilBatch{}}), 0, 0)
		}, nil, "reading split a of t: no batch and no error"},
		{"key column", func(tbl *fakeTable) *operators.Stage {
			return keyedStage(func() operators.Operator { return newProbe(1) }, [][]int{{9}}, scanStage("t", tbl, 0, 0))
		}, nil, "partitioning batch: key column 9 out of range [0, 3)"},
		{"dead letter raw", func(*fakeTable) *operators.Stage {
			return scanStage("t", newFakeTable("a", []any{malformed("x")}), 0, 0)
		}, &deadLetters{err: errBoom}, "reading split a of t: dead-lettering input of t: boom"},
		{"dead letter rows", func(*fakeTable) *operators.Stage {
			p := newProbe(1)
			p.dropLate = true
			return opStage("Probe", p, scanStage("t", newFakeTable("a", []any{[]ev{{10, "x", 1}}, []ev{{5, "x", 1}}}), 0, 0))
		}, &deadLetters{err: errBoom}, "running Probe: dead-lettering late rows of Probe: boom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := newMem()
			defer mem.AssertSize(t, 0)
			opts := JobOptions{Alloc: mem, Sink: &captureSink{}, Parallelism: 2}
			if c.dl != nil {
				opts.DeadLetter = c.dl
			}
			j := mustJob(t, c.root(newFakeTable("a", orderedScript("p", 3, nil))), opts)
			defer closeJob(t, j)
			var err error
			for i := 0; i < 10 && err == nil; i++ {
				_, err = j.Poll(context.Background())
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}
