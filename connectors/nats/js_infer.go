package nats

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamsql/streamsql/connectors/file"
)

// inferSchema samples the messages the consumer would deliver next (from
// just after its ack floor, or the stream's start) by reading them from
// the stream directly: nothing is delivered, nothing acknowledged.
func (t *Table) inferSchema(ctx context.Context) (*arrow.Schema, error) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	c := t.cfg
	st, err := t.js.Stream(ctx, c.stream)
	if err != nil {
		return nil, fmt.Errorf("sampling stream %s: %w", c.stream, err)
	}
	seq, subject := uint64(1), c.subject
	if cons, err := t.js.Consumer(ctx, c.stream, c.consumer); err == nil {
		info := cons.CachedInfo()
		seq = info.AckFloor.Stream + 1
		if subject == "" {
			subject = info.Config.FilterSubject
		}
	}
	if subject == "" {
		subject = ">"
	}
	var samples [][]byte
	for len(samples) < c.sample {
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("sampling stream %s at sequence %d: %w", c.stream, seq, err)
		}
		samples = append(samples, m.Data)
		seq = m.Sequence + 1
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("stream %s has no messages to infer the columns from: declare them (schema='id BIGINT, …')", c.stream)
	}
	s, err := file.InferMessageSchema(c.format, samples)
	if err != nil {
		return nil, fmt.Errorf("sampling stream %s: %w", c.stream, err)
	}
	return s, nil
}
