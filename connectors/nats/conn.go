package nats

import (
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// reconnectWait is the pause between reconnection attempts: short, so a
// job resumes soon after a server restarts.
const reconnectWait = 250 * time.Millisecond

// connect opens a connection that reconnects for ever: a job outlives a
// server restart (its reads return catalog.ErrIdle meanwhile). Only the
// first connection must succeed at once.
func connect(c *config) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name("streamsql"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(reconnectWait),
		nats.ReconnectJitter(50*time.Millisecond, 50*time.Millisecond),
		// Keep publishes (acks, sink rows) made while reconnecting.
		nats.ReconnectBufSize(64 << 20),
	}
	if c.token != "" {
		opts = append(opts, nats.Token(c.token))
	}
	if c.creds != "" {
		opts = append(opts, nats.UserCredentials(c.creds))
	}
	nc, err := nats.Connect(c.servers, opts...)
	if err != nil {
		// nats errors do not echo the URL; redactServers names it safely.
		return nil, fmt.Errorf("connecting to %s: %w", redactServers(c.servers), err)
	}
	return nc, nil
}
