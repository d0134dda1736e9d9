package eventstream

import (
	"context"

	streamsql "github.com/streamsql/streamsql"
)

// UnifiedStream is the seed's UnifiedStream: one handle for SQL over the
// hot and cold tiers (when the server's topics are unified with their
// cold tier, as `streamsql serve` registers them through
// Config.TableFor), real-time subscriptions, and emits that take both
// paths (the hot tier now; the dual path batches them into the cold
// tier).
type UnifiedStream struct{ s *Server }

// NewUnifiedStream returns the seed-shaped API of s.
func NewUnifiedStream(s *Server) *UnifiedStream { return &UnifiedStream{s: s} }

// Query runs SQL with $n parameters over the topics.
func (u *UnifiedStream) Query(ctx context.Context, sql string, params ...any) (*streamsql.Result, error) {
	return u.s.Query(ctx, sql, params...)
}

// Subscribe calls handler with every event published to topic from now
// on, in order, until cancel is called or handler returns an error.
func (u *UnifiedStream) Subscribe(topic string, handler func(Event) error) (cancel func(), err error) {
	return u.s.Subscribe(topic, "", handler)
}

// Emit publishes one event (a JSON object, or a value encoding/json
// marshals to one) to topic, returning its ingest id once it is durable.
func (u *UnifiedStream) Emit(ctx context.Context, topic string, event any) (string, error) {
	return u.s.Emit(ctx, topic, event)
}
