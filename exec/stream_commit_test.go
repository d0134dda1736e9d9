package exec

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
)

// committingTable wraps a fakeTable's splits as PositionCommitters.
type committingTable struct {
	*fakeTable
	sink    *captureSink
	commits []string
	fail    error
}

func (t *committingTable) OpenStream(ctx context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	rs, err := t.fakeTable.OpenStream(ctx, req)
	for i, r := range rs {
		rs[i] = committingSplit{fakeSplit: r.(*fakeSplit), sink: t.sink, commits: &t.commits, fail: t.fail}
	}
	return rs, err
}

// Sources acknowledge only what a committed checkpoint covers: the
// position recorded at the barrier, after the sink's Commit.
func TestSourcePositionsCommittedAfterSink(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	sink := &captureSink{}
	tbl := &committingTable{sink: sink, fakeTable: newFakeTable(
		"a", []any{[]ev{{ts: 1, k: "x", v: 1}}, []ev{{ts: 2, k: "x", v: 1}}, idle{}, []ev{{ts: 3, k: "x", v: 1}}},
		"b", []any{[]ev{{ts: 1, k: "y", v: 1}}},
	)}
	j := mustJob(t, scanStage("s", tbl, 0, 0), JobOptions{Alloc: mem, Sink: sink, StateDir: t.TempDir(), CheckpointInterval: -1})
	for range 2 {
		if _, err := j.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(tbl.commits) != 0 {
		t.Fatalf("committed before any checkpoint: %v", tbl.commits)
	}
	if err := j.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	pollAll(t, j)
	closeJob(t, j)
	want := []string{"a@2 after commit 1", "b@1 after commit 1", "a@4 after commit 2", "b@1 after commit 2"}
	if !reflect.DeepEqual(tbl.commits, want) {
		t.Fatalf("commits %q, want %q", tbl.commits, want)
	}
}

// A failing acknowledgement fails the job, naming the split.
func TestSourcePositionCommitFailureFailsJob(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	sink := &captureSink{}
	tbl := &committingTable{sink: sink, fail: errors.New("broker gone"),
		fakeTable: newFakeTable("a", []any{[]ev{{ts: 1, k: "x", v: 1}}})}
	j := mustJob(t, scanStage("s", tbl, 0, time.Duration(0)), JobOptions{Alloc: mem, Sink: sink, CheckpointInterval: -1})
	defer j.Close()
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = j.Poll(context.Background())
	}
	if err == nil || !strings.Contains(err.Error(), "split a") || !strings.Contains(err.Error(), "broker gone") {
		t.Fatalf("err = %v", err)
	}
}

// positionSink records the positions each checkpoint hands it.
type positionSink struct {
	*captureSink
	got []string
}

func (p *positionSink) SourcePositions(epoch int64, pos map[string][]byte) {
	for k, v := range pos {
		n, _ := binary.Varint(v)
		p.got = append(p.got, fmt.Sprintf("%d %s@%d", epoch, k, n))
	}
	sort.Strings(p.got)
}

// Sinks that record source positions get the checkpoint's, before its
// PreCommit, ended splits included.
func TestSinkGetsSourcePositions(t *testing.T) {
	mem := newMem()
	defer mem.AssertSize(t, 0)
	sink := &positionSink{captureSink: &captureSink{}}
	tbl := newFakeTable(
		"a", []any{[]ev{{ts: 1, k: "x", v: 1}}, []ev{{ts: 2, k: "x", v: 1}}},
		"b", []any{[]ev{{ts: 1, k: "y", v: 1}}},
	)
	j := mustJob(t, scanStage("s", tbl, 0, 0), JobOptions{Alloc: mem, Sink: sink, CheckpointInterval: -1})
	pollAll(t, j)
	closeJob(t, j)
	want := []string{"1 s/a@2", "1 s/b@1"}
	if !reflect.DeepEqual(sink.got, want) {
		t.Fatalf("positions %q, want %q", sink.got, want)
	}
	if len(sink.calls) == 0 || sink.calls[0] != "precommit 1" {
		t.Fatalf("calls %q", sink.calls)
	}
}
