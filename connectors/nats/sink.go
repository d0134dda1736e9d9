package nats

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

// coreSink publishes each row to core NATS. PreCommit waits until the
// server has every message (a flush), but core NATS keeps nothing: a
// subscriber that is away misses the message, and a resumed job publishes
// again what the crashed one published after its last checkpoint (at
// least once from the job, at most once to each subscriber).
type coreSink struct {
	t      *Table
	enc    *encoder
	closed bool
}

var _ catalog.Sink = (*coreSink)(nil)

// Write publishes b's rows.
func (s *coreSink) Write(ctx context.Context, b arrow.RecordBatch) error {
	if s.closed {
		return errors.New("writing to nats: the sink is closed")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for r := 0; r < int(b.NumRows()); r++ {
		subject, err := s.enc.subjectOf(b, r)
		if err != nil {
			return fmt.Errorf("writing to nats: %w", err)
		}
		// Publish copies the payload into the connection's buffer.
		if err := s.t.nc.Publish(subject, s.enc.payload(b, r)); err != nil {
			return fmt.Errorf("publishing to %s: %w", subject, err)
		}
	}
	return nil
}

// PreCommit waits until the server has every message published so far.
func (s *coreSink) PreCommit(ctx context.Context, _ int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	if err := s.t.nc.FlushWithContext(ctx); err != nil {
		return nil, fmt.Errorf("flushing to nats: %w", err)
	}
	return nil, nil
}

// Commit has nothing to do: published messages are gone.
func (s *coreSink) Commit(context.Context, int64) error { return nil }

// Restore has nothing to discard: core NATS cannot take messages back.
func (s *coreSink) Restore(context.Context, []byte) error { return nil }

// Close flushes what is still buffered.
func (s *coreSink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.t.nc.IsClosed() {
		return nil
	}
	if err := s.t.nc.Flush(); err != nil {
		return fmt.Errorf("closing nats sink: %w", err)
	}
	return nil
}
