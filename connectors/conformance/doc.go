// Package conformance is the one test suite every streaming connector
// runs: RunSource checks a catalog.Streamable against the stream
// contracts of package catalog (split order, resume from positions,
// acknowledgement only at checkpoints, bounded batches, clean shutdown,
// reconnects, dead letters, and a real exec job killed and resumed), and
// RunSink checks a catalog.SinkTable (two-phase commits, resume after a
// crash, per-key order, idempotent replays).
//
// A connector adopts it from its own tests by filling in a harness over
// its in-process test server:
//
//	func TestConformance(t *testing.T) {
//		broker := startFakeBroker(t) // kfake, nats-server, pstest, …
//		conformance.RunSource(t, conformance.Source{
//			Name: "kafka",
//			// A fresh table (a new client) over the test topic, each call,
//			// declaring conformance.Columns, starting at the oldest
//			// unacknowledged message.
//			Open: func(t *testing.T) catalog.Streamable { … },
//			// Append payloads; the key picks the partition (ordering key).
//			Produce:       func(t *testing.T, msgs []conformance.Message) { … },
//			Replayable:    true, // Position/Seek resume exactly
//			RestartServer: func(t *testing.T) { … }, // nil if not supported
//			DeadLetters:   true,                     // payloads are decoded (format json)
//		})
//		conformance.RunSink(t, conformance.Sink{
//			Name: "kafka",
//			Open: func(t *testing.T) catalog.SinkTable { … },
//			Read: func(t *testing.T) [][]byte { … }, // every payload written so far, in order
//			ExactlyOnce: true,
//		})
//	}
//
// Payloads are JSON objects {"k": KEY, "seq": N, "run": RUN}: the table
// must have at least the columns of Columns (k VARCHAR, seq BIGINT, run
// VARCHAR; others, such as metadata columns, are ignored). Each check
// tags its messages with its own run, so checks share one stream (a topic,
// a queue) and skip each other's leftovers. Open's table is released
// (catalog.ReleaseTable) at the end of each use, and must not delete the
// stream itself. Checks run sequentially, never in parallel.
//
// Every check is a subtest, so a connector that cannot meet one skips it
// with -run or documents why in its harness. The suite imports exec (never
// the root package), so a connector package's internal tests can adopt
// it without an import cycle.
package conformance
