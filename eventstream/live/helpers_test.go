package live

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	mstream "github.com/streamsql/streamsql/connectors/memory"
	"github.com/streamsql/streamsql/planner/types"
)

// waitFor bounds every wait of the tests.
const waitFor = 10 * time.Second

// fixture is an engine with one memory stream, t(k, v, ts) whose
// watermark is its largest ts, and a Manager over it. It checks at the
// end that nothing leaked: Arrow memory and goroutines.
type fixture struct {
	t      testing.TB
	mem    *memory.CheckedAllocator
	engine *streamsql.Engine
	stream *mstream.Stream
	m      *Manager
}

func newFixture(t testing.TB, opts Options) *fixture {
	t.Helper()
	base, _ := ourGoroutines()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	e := streamsql.New(streamsql.WithAllocator(mem))
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "ts", Type: types.TimestampType.ArrowType(), Nullable: true},
	}, nil)
	s := mstream.NewStream(schema)
	st, err := catalog.NewStreamTable(s, catalog.EventTime{Column: "ts"})
	if err != nil {
		t.Fatal(err)
	}
	e.RegisterTable("t", st)
	f := &fixture{t: t, mem: mem, engine: e, stream: s, m: NewManager(e, opts)}
	t.Cleanup(func() {
		f.m.Close()
		e.Close()
		awaitGoroutines(t, base)
		mem.AssertSize(t, 0)
	})
	return f
}

// append adds rows given as "k v second" triples, ts = 2026-01-01
// 00:00:<second>, as one batch.
func (f *fixture) append(rows ...string) {
	f.t.Helper()
	lines := make([]string, len(rows))
	for i, r := range rows {
		var k string
		var v, sec int
		if _, err := fmt.Sscan(r, &k, &v, &sec); err != nil {
			f.t.Fatalf("bad row %q: %v", r, err)
		}
		lines[i] = fmt.Sprintf(`{"k":%q,"v":%d,"ts":"2026-01-01 00:00:%02d"}`, k, v, sec)
	}
	if err := f.stream.AppendJSON(lines...); err != nil {
		f.t.Fatal(err)
	}
}

// awaitGoroutines waits until no more of our goroutines run than at base
// (see ourGoroutines).
func awaitGoroutines(t testing.TB, base int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		n, stacks := ourGoroutines()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left, want %d:\n%s", n, base, stacks)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, not synchronising
	}
}

// ourGoroutines counts the goroutines running code of this module or of
// the WebSocket library: the runtime, the test framework and the HTTP
// client's idle connections come and go on their own schedule.
func ourGoroutines() (int, string) {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	var ours []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/streamsql/streamsql") || strings.Contains(g, "github.com/coder/websocket") {
			count++
			ours = append(ours, g)
		}
	}
	return count, strings.Join(ours, "\n\n")
}

// awaitMetrics waits until cond holds for the manager's metrics.
func (f *fixture) awaitMetrics(what string, cond func(Metrics) bool) Metrics {
	f.t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		mt := f.m.Metrics()
		if cond(mt) {
			return mt
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("waiting for %s: metrics %+v", what, mt)
		}
		time.Sleep(2 * time.Millisecond) // polling a condition, not synchronising
	}
}

// collector is a Manager.Subscribe callback that keeps what it gets.
type collector struct {
	mu      sync.Mutex
	updates []Update
	changed chan struct{}
}

func newCollector() *collector { return &collector{changed: make(chan struct{}, 1)} }

func (c *collector) deliver(u Update) error {
	c.mu.Lock()
	c.updates = append(c.updates, u)
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
	return nil
}

// await waits until cond holds for the updates received.
func (c *collector) await(t testing.TB, what string, cond func([]Update) bool) []Update {
	t.Helper()
	timer := time.NewTimer(waitFor)
	defer timer.Stop()
	for {
		c.mu.Lock()
		got := append([]Update(nil), c.updates...)
		c.mu.Unlock()
		if cond(got) {
			return got
		}
		select {
		case <-c.changed:
		case <-timer.C:
			t.Fatalf("waiting for %s: got %d updates", what, len(got))
		}
	}
}

// rowsOf counts the rows of updates.
func rowsOf(us []Update) int {
	n := 0
	for _, u := range us {
		n += len(u.Rows)
	}
	return n
}

// lastErr is the Err of the last update, if any.
func lastErr(us []Update) error {
	if len(us) == 0 {
		return nil
	}
	return us[len(us)-1].Err
}

// sorted returns a sorted copy of lines.
func sorted(lines []string) []string {
	out := append([]string(nil), lines...)
	sort.Strings(out)
	return out
}

// micros is 2026-01-01 00:00:<sec> in µs since the epoch.
func micros(sec int) int64 {
	return time.Date(2026, 1, 1, 0, 0, sec, 0, time.UTC).UnixMicro()
}
