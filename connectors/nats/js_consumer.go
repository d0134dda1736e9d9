package nats

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// apiTimeout bounds one JetStream API call (consumer lookup, reset), as
// nats.go's own default does.
const apiTimeout = 5 * time.Second

// ensureConsumer looks the durable pull consumer up, creating it when
// missing with explicit acks (or ack_policy=all), so that nothing is
// acknowledged before a checkpoint says so.
func (t *Table) ensureConsumer(ctx context.Context) (jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	c := t.cfg
	cons, err := t.js.Consumer(ctx, c.stream, c.consumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		cfg := jetstream.ConsumerConfig{
			Durable: c.consumer, AckPolicy: c.ackPolicy, DeliverPolicy: jetstream.DeliverAllPolicy,
			AckWait: c.ackWait, MaxAckPending: c.maxAckPending, FilterSubject: c.subject,
		}
		cons, err = t.js.CreateConsumer(ctx, c.stream, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("opening consumer %s of stream %s: %w", c.consumer, c.stream, err)
	}
	info := cons.CachedInfo().Config
	if info.AckPolicy != jetstream.AckExplicitPolicy && info.AckPolicy != jetstream.AckAllPolicy {
		return nil, fmt.Errorf("opening consumer %s of stream %s: its ack policy is %s; the connector needs explicit or all", c.consumer, c.stream, info.AckPolicy)
	}
	if c.subject != "" && info.FilterSubject != c.subject && !slices.Contains(info.FilterSubjects, c.subject) {
		return nil, fmt.Errorf("opening consumer %s of stream %s: it filters %q, not subject %q", c.consumer, c.stream, info.FilterSubject, c.subject)
	}
	return cons, nil
}

// resetConsumer makes the consumer deliver again from stream sequence
// seq (0: just after its ack floor), forgetting its deliveries in flight,
// and returns the sequence it starts from. It needs nats-server 2.14 or
// later and a consumer delivering all messages or from a start sequence.
func (t *Table) resetConsumer(ctx context.Context, seq uint64) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	resp, err := t.js.ResetConsumerToSequence(ctx, t.cfg.stream, t.cfg.consumer, seq)
	if err != nil {
		return 0, fmt.Errorf("resetting consumer %s of stream %s to sequence %d: %w", t.cfg.consumer, t.cfg.stream, seq, err)
	}
	return resp.ResetSeq, nil
}

// transient reports whether a JetStream call may succeed if retried: the
// connection or the server is coming back.
func transient(err error) bool {
	var api *jetstream.APIError
	if errors.As(err, &api) {
		// 10008: JetStream temporarily unavailable (a restarting server).
		return api.ErrorCode == 10008 || api.Code == 503
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoHeartbeat) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, nats.ErrDisconnected) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabled)
}
