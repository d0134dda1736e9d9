package pubsub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/streamsql/streamsql/planner/types"
)

var varchar = types.VarcharType

// maxAckIDs is the most ack ids one Acknowledge or ModifyAckDeadline
// request carries (requests must stay under the service's size limit).
const maxAckIDs = 1000

// Position implements catalog.SplitReader.
func (r *reader) Position() ([]byte, error) { return encodePosition(r.seq), nil }

// Seek implements catalog.SplitReader. Pub/Sub cannot rewind: the
// messages after a checkpoint were never acknowledged and come back by
// themselves once their deadlines lapse. Seek only continues the
// position's numbering.
func (r *reader) Seek(_ context.Context, pos []byte) error {
	seq, err := decodePosition(pos)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq, r.pending = seq, nil
	return nil
}

// CommitPosition implements catalog.PositionCommitter: it acknowledges
// every message read up to pos.
func (r *reader) CommitPosition(ctx context.Context, pos []byte) error {
	seq, err := decodePosition(pos)
	if err != nil {
		return err
	}
	r.mu.Lock()
	if r.client == nil {
		r.mu.Unlock()
		return fmt.Errorf("acknowledging %s: the reader is closed", r.sub)
	}
	n := 0
	for n < len(r.pending) && r.pending[n].seq <= seq {
		n++
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = r.pending[i].ackID
	}
	r.pending = r.pending[n:]
	c := r.client
	r.mu.Unlock()
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), maxAckIDs)]
		ids = ids[len(chunk):]
		err := c.SubscriptionAdminClient.Acknowledge(ctx, &pubsubpb.AcknowledgeRequest{Subscription: r.sub, AckIds: chunk})
		if err != nil {
			// An expired ack id is redelivered and processed again: the
			// at-least-once case, not a failure of the job.
			if status.Code(err) == codes.InvalidArgument {
				continue
			}
			return fmt.Errorf("acknowledging %d messages of %s: %w", len(chunk), r.sub, err)
		}
	}
	return nil
}

// extend pushes the deadlines of the messages waiting for a checkpoint
// ack_extension ahead, every third of it.
func (r *reader) extend(ctx context.Context) error {
	r.mu.Lock()
	if time.Since(r.extended) < r.src.o.ackExtension/3 || len(r.pending) == 0 {
		r.mu.Unlock()
		return nil
	}
	r.extended = time.Now()
	ids := make([]string, len(r.pending))
	for i, p := range r.pending {
		ids[i] = p.ackID
	}
	r.mu.Unlock()
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), maxAckIDs)]
		ids = ids[len(chunk):]
		err := r.client.SubscriptionAdminClient.ModifyAckDeadline(ctx, &pubsubpb.ModifyAckDeadlineRequest{
			Subscription: r.sub, AckIds: chunk, AckDeadlineSeconds: int32(r.src.o.ackExtension / time.Second)})
		if err != nil && status.Code(err) != codes.InvalidArgument {
			return fmt.Errorf("extending the deadlines of %d messages of %s: %w", len(chunk), r.sub, err)
		}
	}
	return nil
}

// isDeadline reports a Pull that timed out waiting (the linger), as the
// gRPC status the client returns for it.
func isDeadline(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded
}

// Close implements catalog.SplitReader.
func (r *reader) Close() error {
	if r.dec != nil {
		r.dec.Release()
		r.dec = nil
	}
	r.mu.Lock()
	c := r.client
	r.client = nil
	r.mu.Unlock()
	if c == nil {
		return nil
	}
	err := c.Close()
	if err != nil {
		return fmt.Errorf("closing Pub/Sub client: %w", err)
	}
	return nil
}
