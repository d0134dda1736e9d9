package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/planner/parse"
)

// TestSlowSubscriberDropped: a subscriber that does not take its updates
// is dropped when its queue overflows, without stalling the job or the
// other subscriber, and learns why once it resumes.
func TestSlowSubscriberDropped(t *testing.T) {
	f := newFixture(t, Options{QueueLength: 2})
	ctx := context.Background()
	block, entered := make(chan struct{}), make(chan struct{}, 1)
	slow := newCollector()
	cancelSlow, err := f.m.Subscribe(ctx, "SELECT k, v FROM t", nil, func(u Update) error {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-block
		return slow.deliver(u)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cancelSlow()
	fast := newCollector()
	cancelFast, err := f.m.Subscribe(ctx, "SELECT k, v FROM t", nil, fast.deliver)
	if err != nil {
		t.Fatal(err)
	}
	defer cancelFast()

	// The slow subscriber holds one update in deliver and two in its
	// queue; the fourth overflows it.
	for i := range 10 {
		f.append(fmt.Sprintf("k%d %d 1", i, i))
		fast.await(t, "the fast subscriber", func(us []Update) bool { return rowsOf(us) == i+1 })
		if i == 0 {
			<-entered // the first update is in deliver before the queue fills
		}
	}
	mt := f.awaitMetrics("the drop", func(m Metrics) bool { return m.Dropped == 1 })
	if mt.Subscribers != 1 || len(mt.Jobs) != 1 || mt.Jobs[0].RowsOut != 10 {
		t.Errorf("metrics = %+v, want the job running for the fast subscriber", mt)
	}
	close(block)
	got := slow.await(t, "the slow subscriber's end", func(us []Update) bool { return lastErr(us) != nil })
	if !errors.Is(lastErr(got), ErrSlowConsumer) || rowsOf(got) != 3 {
		t.Errorf("slow subscriber got %d rows then %v, want 3 rows then ErrSlowConsumer", rowsOf(got), lastErr(got))
	}
	f.append("late 1 2")
	fast.await(t, "the fast subscriber after the drop", func(us []Update) bool { return rowsOf(us) == 11 })
}

// TestUnsubscribeStopsJob: cancelling the last subscription stops the
// job before cancel returns; cancelling ctx cancels too; a later
// Subscribe starts a fresh job.
func TestUnsubscribeStopsJob(t *testing.T) {
	f := newFixture(t, Options{})
	base, _ := ourGoroutines()
	ctx, cancelCtx := context.WithCancel(context.Background())
	first := newCollector()
	cancel1, err := f.m.Subscribe(ctx, "SELECT k FROM t", nil, first.deliver)
	if err != nil {
		t.Fatal(err)
	}
	cancel2, err := f.m.Subscribe(context.Background(), "SELECT k FROM t", nil, newCollector().deliver)
	if err != nil {
		t.Fatal(err)
	}
	if mt := f.m.Metrics(); len(mt.Jobs) != 1 || mt.Subscribers != 2 {
		t.Fatalf("metrics = %+v", mt)
	}
	cancelCtx() // the first subscription ends with its context
	f.awaitMetrics("one subscriber", func(m Metrics) bool { return m.Subscribers == 1 })
	cancel1() // idempotent after the context ended it
	cancel2()
	cancel2()
	if mt := f.m.Metrics(); len(mt.Jobs) != 0 || mt.JobsStopped != 1 {
		t.Errorf("after the last cancel: %+v, want the job stopped", mt)
	}
	awaitGoroutines(t, base) // the job's and the subscribers' goroutines ended
	again := newCollector()
	cancel3, err := f.m.Subscribe(context.Background(), "SELECT k FROM t", nil, again.deliver)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel3()
	f.append("a 1 1")
	again.await(t, "the new job's row", func(us []Update) bool { return rowsOf(us) == 1 })
	if mt := f.m.Metrics(); mt.JobsStarted != 2 {
		t.Errorf("jobs started = %d, want 2", mt.JobsStarted)
	}
}

// TestDeliverErrorEndsSubscription: an error from deliver ends that
// subscription (here the only one, so the job stops).
func TestDeliverErrorEndsSubscription(t *testing.T) {
	f := newFixture(t, Options{})
	calls := 0
	cancel, err := f.m.Subscribe(context.Background(), "SELECT k FROM t", nil, func(Update) error {
		calls++
		return errors.New("client gone")
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	f.append("a 1 1")
	f.awaitMetrics("the job to stop", func(m Metrics) bool { return len(m.Jobs) == 0 && m.JobsStopped == 1 })
	f.append("b 1 1")
	if calls != 1 {
		t.Errorf("deliver called %d times, want 1", calls)
	}
}

// TestJobFailureEndsSubscriptions: a job that fails (here over its state
// limit) ends its subscriptions with the error.
func TestJobFailureEndsSubscriptions(t *testing.T) {
	f := newFixture(t, Options{Job: streamsql.JobOptions{MaxStateBytes: 1}})
	c := newCollector()
	cancel, err := f.m.Subscribe(context.Background(), "SELECT k, COUNT(*) AS n FROM t GROUP BY k EMIT CHANGES", nil, c.deliver)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	f.append("a 1 1", "b 2 2", "c 3 3")
	got := c.await(t, "the failure", func(us []Update) bool { return lastErr(us) != nil })
	if err := lastErr(got); err == nil || errors.Is(err, ErrInputEnded) || errors.Is(err, ErrClosed) {
		t.Errorf("end = %v, want the job's failure", err)
	}
	f.awaitMetrics("the job to stop", func(m Metrics) bool { return len(m.Jobs) == 0 })
}

// TestCloseEndsSubscriptions: Close ends every subscription with
// ErrClosed, and Subscribe fails afterwards.
func TestCloseEndsSubscriptions(t *testing.T) {
	f := newFixture(t, Options{})
	c := newCollector()
	cancel, err := f.m.Subscribe(context.Background(), "SELECT k FROM t", nil, c.deliver)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	f.m.Close()
	got := c.await(t, "the close", func(us []Update) bool { return lastErr(us) != nil })
	if !errors.Is(lastErr(got), ErrClosed) {
		t.Errorf("end = %v, want ErrClosed", lastErr(got))
	}
	if _, err := f.m.Subscribe(context.Background(), "SELECT k FROM t", nil, c.deliver); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
}

// TestSubscribeErrors: SQL errors are positioned; only queries are
// accepted; a cancelled context is refused.
func TestSubscribeErrors(t *testing.T) {
	f := newFixture(t, Options{})
	deliver := newCollector().deliver
	var perr *parse.Error
	_, err := f.m.Subscribe(context.Background(), "SELECT k FROM t WHERE nope = 1", nil, deliver)
	if !errors.As(err, &perr) || perr.Pos.Line != 1 || perr.Pos.Col != 23 {
		t.Errorf("unknown column: %v, want a *parse.Error at 1:23", err)
	}
	for _, sql := range []string{"CREATE TABLE x (a BIGINT)", "INSERT INTO t SELECT * FROM t", "SELECT 1; SELECT 2"} {
		_, err := f.m.Subscribe(context.Background(), sql, nil, deliver)
		if err == nil || !errors.As(err, &perr) {
			t.Errorf("%s: %v, want a positioned error", sql, err)
		}
	}
	if _, err := f.m.Subscribe(context.Background(), "CREATE VIEW v AS SELECT k FROM t", nil, deliver); !errors.Is(err, ErrNotAQuery) {
		t.Errorf("CREATE VIEW: %v, want ErrNotAQuery", err)
	}
	if _, err := f.m.Subscribe(context.Background(), "SELECT k FROM t WHERE v = $1", []any{struct{}{}}, deliver); err == nil {
		t.Error("an unsupported parameter type was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.m.Subscribe(ctx, "SELECT k FROM t", nil, deliver); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if mt := f.m.Metrics(); mt.JobsStarted != 0 {
		t.Errorf("%d jobs started", mt.JobsStarted)
	}
}

// TestPlanningErrorAtSubscribe: an error found only when the job is
// planned (after binding) is returned by Subscribe, and no job runs.
func TestPlanningErrorAtSubscribe(t *testing.T) {
	f := newFixture(t, Options{})
	_, err := f.m.Subscribe(context.Background(), "SELECT k, ROW_NUMBER() OVER (ORDER BY v) AS n FROM t", nil, newCollector().deliver)
	if err == nil || !strings.Contains(err.Error(), "starting live query") {
		t.Errorf("err = %v, want a planning error", err)
	}
	if mt := f.m.Metrics(); len(mt.Jobs) != 0 || mt.JobsStarted != 0 {
		t.Errorf("metrics = %+v", mt)
	}
}

// TestTables: the tables a query reads, for transports that authorize
// before subscribing; errors as Subscribe's.
func TestTables(t *testing.T) {
	f := newFixture(t, Options{})
	got, err := f.m.Tables("SELECT a.k FROM t a WHERE a.v > $1", []any{1})
	if err != nil || len(got) != 1 || got[0] != "t" {
		t.Errorf("tables = %v, %v; want [t]", got, err)
	}
	var perr *parse.Error
	if _, err := f.m.Tables("SELECT k FROM nope", nil); !errors.As(err, &perr) {
		t.Errorf("unknown table: %v, want a positioned error", err)
	}
	if mt := f.m.Metrics(); mt.JobsStarted != 0 {
		t.Errorf("Tables started %d jobs", mt.JobsStarted)
	}
}

// TestMaxJobs: a new distinct query beyond MaxJobs is refused; joining a
// running one is not; a slot frees when a job stops.
func TestMaxJobs(t *testing.T) {
	f := newFixture(t, Options{MaxJobs: 1})
	ctx := context.Background()
	deliver := newCollector().deliver
	cancel1, err := f.m.Subscribe(ctx, "SELECT k FROM t", nil, deliver)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Subscribe(ctx, "SELECT v FROM t", nil, deliver); !errors.Is(err, ErrTooManyJobs) {
		t.Errorf("second query: %v, want ErrTooManyJobs", err)
	}
	cancel2, err := f.m.Subscribe(ctx, "select k from t", nil, deliver)
	if err != nil {
		t.Errorf("joining the running query: %v", err)
	} else {
		cancel2()
	}
	cancel1()
	cancel3, err := f.m.Subscribe(ctx, "SELECT v FROM t", nil, deliver)
	if err != nil {
		t.Fatalf("after the first job stopped: %v", err)
	}
	cancel3()
}
