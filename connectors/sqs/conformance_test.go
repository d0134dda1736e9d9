package sqs

import (
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/conformance"
	"github.com/streamsql/streamsql/connectors/file"
)

// The connector conformance suite over the SQS fake: SQS redelivers what
// was not deleted (at least once, not replayable), and a standard queue
// keeps no order.
func TestConformance(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "conformance", nil)
	schema, err := file.ParseColumns(conformance.Columns)
	if err != nil {
		t.Fatal(err)
	}
	conformance.RunSource(t, conformance.Source{
		Name: "sqs",
		Open: func(t *testing.T) catalog.Streamable {
			tb, err := catalog.OpenConnector("sqs", map[string]string{"connector": "sqs", "endpoint": e.endpoint,
				"queue": "conformance", "visibility": "30", "wait": "1"}, schema)
			if err != nil {
				t.Fatal(err)
			}
			return tb.(catalog.Streamable)
		},
		Produce: func(t *testing.T, msgs []conformance.Message) {
			bodies := make([]string, len(msgs))
			for i, m := range msgs {
				bodies[i] = string(m.Value)
			}
			e.send(t, url, bodies, nil)
		},
		Unordered:   true,
		DeadLetters: true,
		// The SDK's HTTP transport keeps an idle keep-alive connection
		// (a read and a write goroutine) to the fake for a while after
		// a reader closes.
		LeakSlack: 2,
		Timeout:   20 * time.Second, // undeleted messages come back after their visibility timeout
	})
}
