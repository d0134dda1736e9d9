package pipelines

import (
	"encoding/json"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/conformance"
)

// TestConformance runs the connector conformance suite's sink checks
// against a fake endpoint that fails now and then after storing a request
// (the client retries: duplicates), so the at-least-once delivery and the
// idempotency keys are what is checked.
func TestConformance(t *testing.T) {
	f := newFakePipelines(t, "", 4096)
	f.decide = func(n int, _ []map[string]any) fault {
		if n%3 == 1 {
			return acceptThenDrop
		}
		return accept
	}
	conformance.RunSink(t, conformance.Sink{
		Name: "pipelines",
		Open: func(t *testing.T) catalog.SinkTable {
			tbl, err := catalog.OpenConnector("pipelines", map[string]string{"url": f.url(), "max_request_bytes": "1024", "retry_backoff": "1ms"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return tbl.(catalog.SinkTable)
		},
		Read: func(t *testing.T) [][]byte {
			var out [][]byte
			for _, row := range f.received() {
				p, err := json.Marshal(row)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, p)
			}
			return out
		},
		DedupKey: IdempotencyKey,
	})
}
