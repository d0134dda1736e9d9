package exec

// Fakes for the streaming runtime tests: a Streamable table whose splits
// play scripts (batches, idle reads, declared watermarks, malformed input,
// failures) with positions; a capture sink honouring PreCommit/Restore;
// probe operators that record what they were called with.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/planner/types"
)

// evSchema is the test stream: ts TIMESTAMP, k VARCHAR, v BIGINT.
var evSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: types.TimestampType.ArrowType(), Nullable: true},
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// ev is one row; ts < 0 is NULL.
type ev struct {
	ts int64
	k  string
	v  int64
}

func evBatch(mem memory.Allocator, rows []ev) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, evSchema)
	defer b.Release()
	for _, r := range rows {
		if r.ts < 0 {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(r.ts))
		}
		b.Field(1).(*array.StringBuilder).Append(r.k)
		b.Field(2).(*array.Int64Builder).Append(r.v)
	}
	return b.NewRecordBatch()
}

// Script steps of a fake split.
type (
	idle      struct{}      // Read returns ErrIdle
	declareWM int64         // the reader's SourceWatermark becomes this; Read returns ErrIdle
	malformed string        // undecodable input: dead-lettered, or Read fails
	failRead  string        // Read fails with this message
	panicRead struct{}      // Read panics
	waitFor   chan struct{} // Read returns ErrIdle until the channel is closed
	nilBatch  struct{}      // Read returns neither a batch nor an error
)

// fakeTable is a catalog.Streamable whose splits play scripts. Every
// OpenStream makes fresh readers of the same scripts, as a restarted
// process would reopen the same files.
type fakeTable struct {
	scripts map[string][]any // split ID → steps ([]ev or the step types above)
	order   []string
	// forever makes every split emit batches without end after its script.
	forever bool
	// Faults: of OpenStream, and of every split's Position and Seek.
	openErr, posErr, seekErr error
	dupIDs                   bool // every split is named "same"
	mu                       sync.Mutex
	opened                   []*fakeSplit
}

func newFakeTable(splits ...any) *fakeTable {
	t := &fakeTable{scripts: map[string][]any{}}
	for i := 0; i < len(splits); i += 2 {
		id := splits[i].(string)
		t.order = append(t.order, id)
		t.scripts[id] = splits[i+1].([]any)
	}
	return t
}

func (t *fakeTable) Schema() *arrow.Schema { return evSchema }
func (t *fakeTable) Scan(context.Context, catalog.ScanRequest) (catalog.BatchReader, error) {
	return nil, errors.New("fake table: no batch scans")
}

func (t *fakeTable) OpenStream(_ context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.openErr != nil {
		return nil, t.openErr
	}
	var rs []catalog.SplitReader
	for _, id := range t.order {
		s := &fakeSplit{id: id, steps: t.scripts[id], req: req, forever: t.forever, table: t}
		if t.dupIDs {
			s.id = "same"
		}
		t.opened = append(t.opened, s)
		rs = append(rs, s)
	}
	return rs, nil
}

// allClosed says whether every split opened was closed.
func (t *fakeTable) allClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.opened {
		if !s.closed {
			return false
		}
	}
	return true
}

type fakeSplit struct {
	table   *fakeTable
	id      string
	steps   []any
	req     catalog.StreamRequest
	forever bool
	next    int // the step Read plays next: the position
	wm      int64
	hasWM   bool
	closed  bool
}

func (s *fakeSplit) ID() string { return s.id }

func (s *fakeSplit) Read(ctx context.Context) (arrow.RecordBatch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.next >= len(s.steps) {
		if s.forever {
			s.next++
			return evBatch(s.req.Alloc, []ev{{ts: int64(s.next), k: "k" + strconv.Itoa(s.next%7), v: 1}}), nil
		}
		return nil, io.EOF
	}
	step := s.steps[s.next]
	if w, ok := step.(waitFor); ok {
		select {
		case <-w:
		default:
			return nil, catalog.ErrIdle
		}
	}
	s.next++
	switch st := step.(type) {
	case []ev:
		return evBatch(s.req.Alloc, st), nil
	case idle, waitFor:
		return nil, catalog.ErrIdle
	case declareWM:
		s.wm, s.hasWM = int64(st), true
		return nil, catalog.ErrIdle
	case malformed:
		if s.req.DeadLetter == nil {
			return nil, fmt.Errorf("%s:%d: malformed input %q", s.id, s.next, st)
		}
		if err := s.req.DeadLetter([]byte(st), fmt.Sprintf("%s:%d: malformed", s.id, s.next)); err != nil {
			return nil, err
		}
		return nil, catalog.ErrIdle
	case failRead:
		return nil, errors.New(string(st))
	case nilBatch:
		return nil, nil
	case panicRead:
		panic("reader bug")
	}
	return nil, fmt.Errorf("unknown step %T", step)
}

func (s *fakeSplit) SourceWatermark() (int64, bool) { return s.wm, s.hasWM }

func (s *fakeSplit) Position() ([]byte, error) {
	if s.table.posErr != nil {
		return nil, s.table.posErr
	}
	return binary.AppendVarint(nil, int64(s.next)), nil
}

func (s *fakeSplit) Seek(_ context.Context, pos []byte) error {
	if s.table.seekErr != nil {
		return s.table.seekErr
	}
	n, k := binary.Varint(pos)
	if k <= 0 {
		return fmt.Errorf("bad position %x", pos)
	}
	s.next = int(n)
	return nil
}

func (s *fakeSplit) Close() error { s.closed = true; return nil }

// captureSink keeps rendered rows, like a file: PreCommit stores the row
// count, Restore truncates to it. One store serves successive jobs.
type captureSink struct {
	mu       sync.Mutex
	rows     []string
	calls    []string
	onCommit func(epoch int64) // called after Commit
	failOn   string            // a Write of a row rendering to this fails
	// Faults of PreCommit, Commit and Restore.
	preErr, commitErr, restoreErr error
	closes                        int
}

func (c *captureSink) Write(_ context.Context, b arrow.RecordBatch) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < int(b.NumRows()); i++ {
		r := renderRow(b, i)
		if c.failOn != "" && r == c.failOn {
			return errors.New("disk full")
		}
		c.rows = append(c.rows, r)
	}
	return nil
}

func (c *captureSink) PreCommit(_ context.Context, epoch int64) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, fmt.Sprintf("precommit %d", epoch))
	if c.preErr != nil {
		return nil, c.preErr
	}
	return json.Marshal(len(c.rows))
}

func (c *captureSink) Commit(_ context.Context, epoch int64) error {
	c.mu.Lock()
	c.calls = append(c.calls, fmt.Sprintf("commit %d", epoch))
	f := c.onCommit
	c.mu.Unlock()
	if c.commitErr != nil {
		return c.commitErr
	}
	if f != nil {
		f(epoch)
	}
	return nil
}

func (c *captureSink) Restore(_ context.Context, state []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.restoreErr != nil {
		return c.restoreErr
	}
	var n int
	if err := json.Unmarshal(state, &n); err != nil {
		return err
	}
	c.calls = append(c.calls, fmt.Sprintf("restore %d", n))
	c.rows = c.rows[:n]
	return nil
}

func (c *captureSink) Close() error {
	c.mu.Lock()
	c.closes++
	c.mu.Unlock()
	return nil
}

func (c *captureSink) sorted() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]string(nil), c.rows...)
	sort.Strings(out)
	return out
}

func renderRow(b arrow.RecordBatch, i int) string {
	parts := make([]string, b.NumCols())
	for c := range parts {
		a := b.Column(c)
		switch {
		case a.IsNull(i):
			parts[c] = "NULL"
		case a.DataType().ID() == arrow.TIMESTAMP:
			parts[c] = strconv.FormatInt(int64(a.(*array.Timestamp).Value(i)), 10)
		default:
			parts[c] = a.ValueStr(i)
		}
	}
	return strings.Join(parts, " ")
}

func fmtWM(wm int64) string {
	switch wm {
	case operators.WatermarkEnd:
		return "end"
	case noWatermark:
		return "none"
	}
	return strconv.FormatInt(wm, 10)
}

// wmsOf keeps the watermark entries of a probe log.
func wmsOf(log []string) []string {
	var out []string
	for _, l := range log {
		if strings.HasPrefix(l, "wm:") {
			out = append(out, l[3:])
		}
	}
	return out
}

// scanStage is a stream leaf over t with event time in column 0.
func scanStage(name string, t catalog.Streamable, delay int64, idle time.Duration) *operators.Stage {
	return &operators.Stage{Name: "Scan " + name, Stream: &operators.StreamScan{
		Name: name, Table: t, Columns: []int{0, 1, 2}, Schema: evSchema, TimeCol: 0, Delay: delay, IdleTimeout: idle,
	}}
}

func opStage(name string, op operators.Operator, inputs ...*operators.Stage) *operators.Stage {
	return &operators.Stage{Name: name, Op: op, Inputs: inputs}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Unix(1_000_000, 0)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newMem() *memory.CheckedAllocator { return memory.NewCheckedAllocator(memory.NewGoAllocator()) }

// pollAll polls j until io.EOF (at most limit times).
func pollAll(t *testing.T, j *Job) {
	t.Helper()
	for i := 0; i < 10000; i++ {
		_, err := j.Poll(context.Background())
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("Poll: %v", err)
		}
	}
	t.Fatal("job did not end")
}

func mustJob(t *testing.T, root *operators.Stage, opts JobOptions) *Job {
	t.Helper()
	j, err := NewJob(context.Background(), root, opts)
	if err != nil {
		t.Fatalf("NewJob: %v", err)
	}
	return j
}

func closeJob(t *testing.T, j *Job) {
	t.Helper()
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// committingSplit is a fakeSplit that records the positions the job
// commits to it (catalog.PositionCommitter), with the sink's commit count
// at that moment.
type committingSplit struct {
	*fakeSplit
	sink    *captureSink
	commits *[]string
	fail    error
}

func (s committingSplit) CommitPosition(_ context.Context, pos []byte) error {
	n, _ := binary.Varint(pos)
	s.sink.mu.Lock()
	last := s.sink.calls[len(s.sink.calls)-1]
	s.sink.mu.Unlock()
	*s.commits = append(*s.commits, fmt.Sprintf("%s@%d after %s", s.id, n, last))
	return s.fail
}
