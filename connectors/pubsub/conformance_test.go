package pubsub

import (
	"net/url"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/conformance"
)

// The connector conformance suite over pstest: Pub/Sub redelivers what was
// not acknowledged (at least once, not replayable), and an unordered
// subscription promises no order.
func TestConformance(t *testing.T) {
	f := newFake(t, false)
	conformance.RunSource(t, conformance.Source{
		Name: "pubsub",
		Open: func(t *testing.T) catalog.Streamable {
			tbl, err := catalog.OpenURI(f.uri(f.sub, "ack_extension=10s&schema="+url.QueryEscape(conformance.Columns)), catalog.RoleSource, nil)
			if err != nil {
				t.Fatal(err)
			}
			return tbl.(catalog.Streamable)
		},
		Produce: func(t *testing.T, msgs []conformance.Message) {
			for _, m := range msgs {
				f.srv.Publish(f.topicName(), m.Value, nil)
			}
		},
		Unordered:   true,
		DeadLetters: true,
		Timeout:     30 * time.Second, // unacknowledged messages come back after the 10 s deadline
	})
}
