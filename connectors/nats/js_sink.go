package nats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/streamsql/streamsql/catalog"
)

// publishRetries is how often PreCommit publishes again a message whose
// ack failed (the server was restarting): the message id makes a retry
// harmless.
const publishRetries = 5

// maxInflight bounds the messages awaiting their ack: Write waits for the
// older half beyond it, which keeps memory flat between checkpoints and
// stays under the client's own limit of 4000 async publishes (past which
// it would fail publishes).
const maxInflight = 2048

// jsSink publishes rows to a JetStream stream, each with a Nats-Msg-Id:
// the msg_id column's value, or the job's id and the row's ordinal in the
// job's output. The job id is drawn at a fresh start and kept in the
// checkpoint state with the row count, so a resumed job numbers the rows
// it replays as the crashed one did and the server drops those it stored
// already (within the stream's duplicate window, 2 minutes by default):
// exactly once while resumes come within the window. PreCommit waits for
// the acks of everything published.
type jsSink struct {
	t        *Table
	enc      *encoder
	jobID    string
	rows     int64 // ordinal of the next row
	inflight []inflightMsg
	written  bool
	closed   bool
}

// inflightMsg is a message published and not yet acknowledged.
type inflightMsg struct {
	msg *nats.Msg
	id  string
	ack jetstream.PubAckFuture
}

// jsSinkState is the checkpoint state of a JetStream sink.
type jsSinkState struct {
	Job  string `json:"job"`
	Rows int64  `json:"rows"`
}

var _ catalog.Sink = (*jsSink)(nil)

func newJetStreamSink(t *Table, enc *encoder) (*jsSink, error) {
	return &jsSink{t: t, enc: enc, jobID: nuid.Next()}, nil
}

// Write publishes b's rows without waiting for their acks.
func (s *jsSink) Write(ctx context.Context, b arrow.RecordBatch) error {
	if s.closed {
		return errors.New("writing to jetstream: the sink is closed")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.written = true
	for r := 0; r < int(b.NumRows()); r++ {
		subject, err := s.enc.subjectOf(b, r)
		if err != nil {
			return fmt.Errorf("writing to jetstream: %w", err)
		}
		id, err := s.enc.msgID(b, r)
		if err != nil {
			return fmt.Errorf("writing to jetstream: %w", err)
		}
		if id == "" {
			id = s.jobID + "-" + strconv.FormatInt(s.rows, 10)
		}
		s.rows++
		// The client keeps the message to retry it: it owns its bytes.
		m := &nats.Msg{Subject: subject, Data: append([]byte(nil), s.enc.payload(b, r)...)}
		ack, err := s.t.js.PublishMsgAsync(m, jetstream.WithMsgID(id), jetstream.WithExpectStream(s.t.cfg.stream))
		if err != nil {
			return fmt.Errorf("publishing to %s: %w", subject, err)
		}
		s.inflight = append(s.inflight, inflightMsg{msg: m, id: id, ack: ack})
		if len(s.inflight) >= maxInflight {
			if err := s.settle(ctx, maxInflight/2); err != nil {
				return err
			}
		}
	}
	return nil
}

// settle waits for the acks of the n oldest messages in flight and forgets
// them.
func (s *jsSink) settle(ctx context.Context, n int) error {
	for _, m := range s.inflight[:n] {
		if err := s.await(ctx, m); err != nil {
			return err
		}
	}
	rest := copy(s.inflight, s.inflight[n:])
	clear(s.inflight[rest:])
	s.inflight = s.inflight[:rest]
	return nil
}

// PreCommit waits until the stream has stored every message published so
// far, publishing again (same id) those whose ack failed.
func (s *jsSink) PreCommit(ctx context.Context, _ int64) ([]byte, error) {
	if err := s.settle(ctx, len(s.inflight)); err != nil {
		return nil, err
	}
	s.written = true // a Restore now would discard what this state covers
	return json.Marshal(jsSinkState{Job: s.jobID, Rows: s.rows})
}

// await waits for one message's ack, retrying a failed publish.
func (s *jsSink) await(ctx context.Context, m inflightMsg) error {
	var err error
	select {
	case <-m.ack.Ok():
		return nil
	case err = <-m.ack.Err():
	case <-ctx.Done():
		return ctx.Err()
	}
	for try := 0; try < publishRetries; try++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		actx, cancel := context.WithTimeout(ctx, apiTimeout)
		_, err = s.t.js.PublishMsg(actx, m.msg, jetstream.WithMsgID(m.id), jetstream.WithExpectStream(s.t.cfg.stream),
			jetstream.WithRetryAttempts(10), jetstream.WithRetryWait(reconnectWait))
		cancel()
		if err == nil {
			return nil
		}
		if !transient(err) {
			break
		}
		time.Sleep(reconnectWait) // the server is coming back
	}
	return fmt.Errorf("publishing to %s (msg id %s): %w", m.msg.Subject, m.id, err)
}

// Commit has nothing to do: PreCommit stored everything.
func (s *jsSink) Commit(context.Context, int64) error { return nil }

// Restore takes the job id and row count of a checkpoint: the rows the
// resumed job writes again get the ids they had, and the stream drops
// them as duplicates.
func (s *jsSink) Restore(_ context.Context, state []byte) error {
	if s.written {
		return errors.New("restoring jetstream sink: Restore must come before any Write")
	}
	var st jsSinkState
	if err := json.Unmarshal(state, &st); err != nil || st.Job == "" || st.Rows < 0 {
		return fmt.Errorf("restoring jetstream sink: malformed state %q", state)
	}
	s.jobID, s.rows = st.Job, st.Rows
	return nil
}

// Close drops what was not pre-committed (a failing job); after the final
// checkpoint nothing is in flight.
func (s *jsSink) Close() error {
	s.closed = true
	s.inflight = nil
	return nil
}
