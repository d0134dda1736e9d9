package nats

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/conformance"
)

// The connector conformance suite over an in-process nats-server: the
// JetStream source replays exactly from positions, and the JetStream sink
// is exactly once through its message ids.
func TestConformance(t *testing.T) {
	ts := startServer(t)
	nc, js := ts.client()
	createStream(t, js, "CONF", "conf.>")
	createStream(t, js, "CONFOUT", "confout.>")
	uri := func(path, query string) string {
		return fmt.Sprintf("jetstream://127.0.0.1:%d/%s?%s", ts.port, path, query)
	}
	conformance.RunSource(t, conformance.Source{
		Name: "jetstream",
		Open: func(t *testing.T) catalog.Streamable {
			tbl, err := catalog.OpenURI(uri("CONF/conf", "ack_wait=5s&schema="+url.QueryEscape(conformance.Columns)), catalog.RoleSource, nil)
			if err != nil {
				t.Fatal(err)
			}
			return tbl.(catalog.Streamable)
		},
		Produce: func(t *testing.T, msgs []conformance.Message) {
			for _, m := range msgs {
				publishRetrying(t, js, "conf."+string(m.Key), m.Value)
			}
		},
		Replayable:  true,
		DeadLetters: true,
		RestartServer: func(t *testing.T) {
			ts.stop()
			ts.start()
			waitStreamReady(t, nc, js, "CONF")
		},
	})
	conformance.RunSink(t, conformance.Sink{
		Name: "jetstream",
		Open: func(t *testing.T) catalog.SinkTable {
			tbl, err := catalog.OpenURI(uri("CONFOUT", "subject=confout.x"), catalog.RoleSink, nil)
			if err != nil {
				t.Fatal(err)
			}
			return tbl.(catalog.SinkTable)
		},
		Read: func(t *testing.T) [][]byte {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			st, err := js.Stream(ctx, "CONFOUT")
			if err != nil {
				t.Fatal(err)
			}
			info, err := st.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var out [][]byte
			for s := info.State.FirstSeq; info.State.Msgs > 0 && s <= info.State.LastSeq; s++ {
				m, err := st.GetMsg(ctx, s)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, m.Data)
			}
			return out
		},
		ExactlyOnce: true,
	})
}

// publishRetrying publishes with the payload as the message id, so that a
// publish retried after a lost acknowledgement is stored once.
func publishRetrying(t *testing.T, js jetstream.JetStream, subject string, payload []byte) {
	t.Helper()
	var err error
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = js.Publish(ctx, subject, payload, jetstream.WithMsgID(string(payload)))
		cancel()
		if err == nil {
			return
		}
	}
	t.Fatalf("publishing to %s: %v", subject, err)
}
