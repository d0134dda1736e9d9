package conformance

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

// Columns is what a source table under test declares (schema= for the
// broker connectors): the fields of every payload the suite produces.
const Columns = "k VARCHAR, seq BIGINT, run VARCHAR"

// Schema is Columns as an Arrow schema.
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "seq", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "run", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// Message is one payload to produce. Key picks the split (Kafka
// partition, NATS subject, SQS message group, Pub/Sub ordering key):
// messages of one key must be read in the order produced.
type Message struct {
	Key, Value []byte
}

// Source is the harness of a source connector.
type Source struct {
	Name string
	// Open returns a fresh table (a new client) over the test stream. It
	// must read from the oldest message not yet acknowledged (Kafka
	// earliest offset with the group's commits, JetStream deliver-all).
	Open func(t *testing.T) catalog.Streamable
	// Produce appends msgs to the test stream, in order.
	Produce func(t *testing.T, msgs []Message)
	// Replayable: Position/Seek resume exactly (Kafka, JetStream), so
	// resumes are checked for exactly once; otherwise (SQS, Pub/Sub)
	// unacknowledged messages are redelivered and at least once is checked.
	Replayable bool
	// Unordered: the system keeps no per-key order (SQS standard
	// queues); the order checks are skipped.
	Unordered bool
	// DeadLetters: the reader decodes payloads, and hands a malformed one
	// to StreamRequest.DeadLetter.
	DeadLetters bool
	// RestartServer stops and restarts the test server, keeping its
	// data; nil when not supported (the reconnect check is skipped).
	RestartServer func(t *testing.T)
	// Timeout bounds each wait for messages (default 10s): raise it for
	// systems that redeliver after a visibility timeout.
	Timeout time.Duration
	// LeakSlack is how many goroutines above the baseline the test
	// server may keep after a client has gone (default 0).
	LeakSlack int
}

// runs numbers the runs of this process, so that the tags of two suites
// over one stream differ.
var runs atomic.Int64

// newRun returns a run tag unique in the process and the stream.
func newRun(check string) string {
	return fmt.Sprintf("%s-%d-%d", check, time.Now().UnixNano(), runs.Add(1))
}

// messages makes n payloads of run over keys keys: seq from..from+n-1,
// key "k<seq mod keys>".
func messages(run string, from, n, keys int) []Message {
	out := make([]Message, n)
	for i := range out {
		seq := from + i
		k := fmt.Sprintf("k%d", seq%keys)
		out[i] = Message{Key: []byte(k), Value: fmt.Appendf(nil, `{"k":%q,"seq":%d,"run":%q}`, k, seq, run)}
	}
	return out
}

func (s *Source) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return 10 * time.Second
}

// RunSource runs every source check as a subtest.
func RunSource(t *testing.T, s Source) {
	if s.Open == nil || s.Produce == nil {
		t.Fatal("conformance: Source needs Open and Produce")
	}
	checks := []struct {
		name string
		run  func(t *testing.T, s *Source) error
	}{
		{"order", checkOrder},
		{"restart_before_commit", checkRestartBeforeCommit},
		{"resume_from_checkpoint", checkResume},
		{"bounded_batches", checkBoundedBatches},
		{"clean_shutdown", checkShutdown},
		{"dead_letters", checkDeadLetters},
		{"reconnect", checkReconnect},
		{"job_killed_and_resumed", checkJob},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(t, &s); err != nil {
				t.Errorf("%s: %s: %v", s.Name, c.name, err)
			}
		})
	}
}
