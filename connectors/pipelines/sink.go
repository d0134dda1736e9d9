package pipelines

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

// flushFactor bounds the rows a sink buffers between checkpoints: once
// this many full requests' worth are buffered, Write sends them early
// (still at least once: a replay resends them under the same keys).
const flushFactor = 16

// sink is the catalog.Sink of a Table. Calls are never concurrent.
type sink struct {
	cfg     *config
	enc     *encoder
	send    *sender
	dead    *deadLetter // nil: undeliverable rows fail the job
	jobID   string
	ordinal int64      // rows written so far: the next row's ordinal
	lanes   [][][]byte // encoded rows buffered, by lane, in order
	bytes   int        // bytes buffered
	flushAt int
	started bool  // restored or written to
	err     error // sticky: rows may have been half sent
	closed  bool
}

var _ catalog.Sink = (*sink)(nil)

// sinkState is the checkpoint state: the job's id and the number of rows
// delivered, so that a resumed job keys its rows as the crashed one did.
type sinkState struct {
	JobID string `json:"job_id"`
	Rows  int64  `json:"rows"`
}

func (s *sink) usable(verb string) error {
	switch {
	case s.closed:
		return fmt.Errorf("%s pipelines sink: the sink is closed", verb)
	case s.err != nil:
		return s.err
	}
	return nil
}

// start draws a job id for a job that did not resume.
func (s *sink) start() error {
	if s.started {
		return nil
	}
	s.started = true
	if s.jobID == "" {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return fmt.Errorf("drawing a job id: %w", err)
		}
		s.jobID = hex.EncodeToString(b[:])
	}
	return nil
}

// Write encodes b's rows (borrowed) and buffers them; it sends early when
// the buffer is large.
func (s *sink) Write(ctx context.Context, b arrow.RecordBatch) error {
	if err := s.usable("writing to"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.start(); err != nil {
		return fmt.Errorf("writing to pipelines sink: %w", err)
	}
	if int(b.NumCols()) != len(s.enc.names) {
		return fmt.Errorf("writing to pipelines sink: batch has %d columns, the sink %d", b.NumCols(), len(s.enc.names))
	}
	for r := 0; r < int(b.NumRows()); r++ {
		key := s.jobID + "-" + strconv.FormatInt(s.ordinal, 10)
		s.ordinal++
		obj, lane, err := s.enc.encode(b, r, key)
		if err != nil {
			if err := s.send.deadLetter(ctx, [][]byte{obj}, fmt.Sprintf("row %s: %v", key, err)); err != nil {
				return s.fail(err)
			}
			continue
		}
		s.lanes[lane] = append(s.lanes[lane], obj)
		s.bytes += len(obj)
	}
	if s.bytes >= s.flushAt {
		return s.flush(ctx)
	}
	return nil
}

// flush sends every buffered row.
func (s *sink) flush(ctx context.Context) error {
	if s.bytes == 0 {
		return nil
	}
	if err := s.send.flush(ctx, s.lanes); err != nil {
		return s.fail(err)
	}
	for i := range s.lanes {
		clear(s.lanes[i])
		s.lanes[i] = s.lanes[i][:0]
	}
	s.bytes = 0
	return nil
}

// fail makes err sticky: after a failed send the endpoint holds an
// unknown part of the buffer, so the job must resume from a checkpoint.
func (s *sink) fail(err error) error {
	s.err = fmt.Errorf("writing to pipelines sink: %w", err)
	return s.err
}

// PreCommit sends everything buffered and returns once it is accepted or
// dead-lettered.
func (s *sink) PreCommit(ctx context.Context, _ int64) ([]byte, error) {
	if err := s.usable("pre-committing"); err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		return nil, fmt.Errorf("pre-committing pipelines sink: %w", err)
	}
	if err := s.flush(ctx); err != nil {
		return nil, err
	}
	return json.Marshal(sinkState{JobID: s.jobID, Rows: s.ordinal})
}

// Commit has nothing to do: PreCommit delivered the rows.
func (s *sink) Commit(context.Context, int64) error { return s.usable("committing") }

// Restore takes the job id and row count of the checkpoint. Rows sent
// after it cannot be taken back: the resumed job resends them under the
// same keys.
func (s *sink) Restore(_ context.Context, st []byte) error {
	if err := s.usable("restoring"); err != nil {
		return err
	}
	if s.started {
		return errors.New("restoring pipelines sink: Restore must come before any Write")
	}
	var x sinkState
	if err := json.Unmarshal(st, &x); err != nil || x.JobID == "" || x.Rows < 0 {
		return fmt.Errorf("restoring pipelines sink: malformed state %q", st)
	}
	if s.cfg.jobID != "" && x.JobID != s.cfg.jobID {
		return fmt.Errorf("restoring pipelines sink: the checkpoint was taken with job_id %q, the option says %q", x.JobID, s.cfg.jobID)
	}
	s.started, s.jobID, s.ordinal = true, x.JobID, x.Rows
	return nil
}

// Close drops rows not pre-committed (a resumed job sends them again) and
// closes the dead-letter output; it may be called more than once.
func (s *sink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.lanes, s.bytes = nil, 0
	if s.dead != nil {
		if err := s.dead.Close(); err != nil {
			return fmt.Errorf("closing pipelines sink: %w", err)
		}
	}
	return nil
}
