package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

const (
	defaultLinger    = 100 * time.Millisecond
	defaultBatchRows = 8192
)

// splitReader reads one partition. It owns a client consuming just that
// partition from the reader's position (made at the first Read, remade by
// Seek), and one more for group commits, since CommitPosition may run
// concurrently with Read.
type splitReader struct {
	t      *Table
	part   int32
	id     string
	req    catalog.StreamRequest
	rows   int
	linger time.Duration
	end    int64 // offset the split ends at (a bounded scan), -1 for none
	cols   []int
	out    *arrow.Schema

	cl      *kgo.Client
	pending [][]*kgo.Record // polled runs of records, not yet decoded (after next, in order)
	buf     [][]*kgo.Record // pending's backing array, reused
	next    int64           // offset of the first record not yet decoded
	pos     int64           // offset of the first record not yet returned: the position
	dec     *file.MessageDecoder
	meta    *metaBuilder
	err     error // sticky

	commitMu  sync.Mutex
	committer *kgo.Client
	committed int64 // last offset committed to the group
	closed    bool
}

var (
	_ catalog.SplitReader       = (*splitReader)(nil)
	_ catalog.PositionCommitter = (*splitReader)(nil)
)

// position is the encoded Position of a split: the next offset to read.
type position struct {
	Offset int64 `json:"offset"`
}

func newSplitReader(t *Table, part int32, from, end int64, req catalog.StreamRequest) (*splitReader, error) {
	r := &splitReader{t: t, part: part, id: fmt.Sprintf("%s/%d", t.cfg.topic, part), req: req,
		rows: req.BatchRows, linger: req.Linger, end: end, cols: req.Columns, next: from, pos: from, committed: -1}
	if r.rows <= 0 {
		r.rows = defaultBatchRows
	}
	if r.linger == 0 {
		r.linger = defaultLinger
	}
	dec, err := file.NewMessageDecoder(t.cfg.format, t.layout.payload, req.Alloc)
	if err != nil {
		return nil, err
	}
	r.dec = dec
	fields := make([]arrow.Field, len(req.Columns))
	var kinds []metaKind
	for i, c := range req.Columns {
		fields[i] = t.layout.schema.Field(c)
		if src := t.layout.src[c]; src.meta {
			kinds = append(kinds, src.kind)
		}
	}
	r.out = arrow.NewSchema(fields, nil)
	r.meta = newMetaBuilder(req.Alloc, kinds)
	return r, nil
}

// ID implements catalog.SplitReader: "topic/partition".
func (r *splitReader) ID() string { return r.id }

// Read implements catalog.SplitReader. It waits up to Linger for the
// first records, then takes what the client has buffered, up to
// BatchRows. Undecodable values go to the request's DeadLetter (without
// one they fail Read after the rows before them are returned).
func (r *splitReader) Read(ctx context.Context) (arrow.RecordBatch, error) {
	if r.closed {
		return nil, fmt.Errorf("reading kafka %s: the reader is closed", r.id)
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.end >= 0 && r.next >= r.end {
		return nil, io.EOF
	}
	if r.cl == nil {
		cl, err := r.t.cfg.newClient(r.t.cfg.consumerOpts(map[int32]int64{r.part: r.next})...)
		if err != nil {
			return nil, fmt.Errorf("reading kafka %s: %w", r.id, err)
		}
		r.cl = cl
	}
	waited := false
	for r.dec.Rows() < r.rows && r.err == nil {
		if len(r.pending) <= 1 {
			// Take the next fetch as soon as the client has it: the
			// client asks the broker for the one after only once it is
			// taken, so this keeps a fetch in flight while the reader
			// decodes. Wait only for the first rows: rows decoded
			// already go out now rather than after Linger.
			wait := len(r.pending) == 0 && !waited && r.dec.Rows() == 0
			if err := r.poll(ctx, wait); err != nil {
				return nil, err
			}
			waited = waited || wait
			if len(r.pending) == 0 {
				break
			}
		}
		run := r.pending[0]
		take := min(len(run), r.rows-r.dec.Rows())
		for _, rec := range run[:take] {
			r.add(rec)
		}
		if take < len(run) {
			r.pending[0] = run[take:]
		} else {
			r.pending[0] = nil // let the records go
			r.pending = r.pending[1:]
		}
	}
	b := r.flush()
	r.pos = r.next // the decoder is empty: everything up to next is out
	if b != nil {
		return b, nil
	}
	switch {
	case r.err != nil:
		return nil, r.err
	case r.end >= 0 && r.next >= r.end:
		return nil, io.EOF
	}
	return nil, catalog.ErrIdle
}

// poll appends every record the client has buffered to pending, waiting
// up to Linger for some when wait is set. Only a cancelled ctx is
// returned (the records polled are kept); a broker error becomes the
// sticky r.err.
func (r *splitReader) poll(ctx context.Context, wait bool) error {
	var fs kgo.Fetches
	if wait {
		pctx, cancel := context.WithTimeout(ctx, r.linger)
		fs = r.cl.PollRecords(pctx, 0)
		cancel()
	} else {
		fs = r.cl.PollRecords(nil, 0) // what is buffered, at once
	}
	if len(r.pending) == 0 {
		r.pending = r.buf[:0]
	}
	// A partition's records are taken as the client's own slice, not
	// copied record by record.
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) > 0 {
			r.pending = append(r.pending, p.Records)
		}
	})
	r.buf = r.pending[:0]
	if err := ctx.Err(); err != nil {
		return err // not sticky: decoded rows stay for the next Read
	}
	if err := fetchError(ctx, fs); err != nil {
		r.err = fmt.Errorf("reading kafka %s at offset %d: %w", r.id, r.fetched(), err)
	}
	return nil
}

// fetched is the offset after the last record polled.
func (r *splitReader) fetched() int64 {
	if len(r.pending) == 0 {
		return r.next
	}
	run := r.pending[len(r.pending)-1]
	return run[len(run)-1].Offset + 1
}

// add decodes one record, or dead-letters it, and hands its memory back
// to the client's pool: nothing of it is kept.
func (r *splitReader) add(rec *kgo.Record) {
	defer rec.Recycle()
	if r.err != nil || rec.Offset < r.next || (r.end >= 0 && rec.Offset >= r.end) {
		return // after a failure; before the position (a batch's head); past a scan's end
	}
	if err := r.dec.Decode(rec.Value); err != nil {
		reason := fmt.Sprintf("kafka topic %s partition %d offset %d: %v", rec.Topic, rec.Partition, rec.Offset, err)
		if r.req.DeadLetter == nil {
			r.err = fmt.Errorf("reading %s", reason)
			return
		}
		if err := r.req.DeadLetter(append([]byte(nil), rec.Value...), reason); err != nil {
			r.err = fmt.Errorf("dead-lettering kafka %s offset %d: %w", r.id, rec.Offset, err)
			return
		}
	} else if len(r.meta.kinds) > 0 {
		r.meta.add(rec)
	}
	r.next = rec.Offset + 1
}

// flush returns the decoded rows in the request's column order, nil when
// there are none.
func (r *splitReader) flush() arrow.RecordBatch {
	if r.dec.Rows() == 0 {
		return nil
	}
	payload := r.dec.Flush()
	defer payload.Release()
	meta := r.meta.arrays()
	defer func() {
		for _, a := range meta {
			a.Release()
		}
	}()
	cols := make([]arrow.Array, len(r.cols))
	m := 0
	for i, c := range r.cols {
		if src := r.t.layout.src[c]; src.meta {
			cols[i] = meta[m]
			m++
		} else {
			cols[i] = payload.Column(src.payload)
		}
	}
	return array.NewRecordBatch(r.out, cols, payload.NumRows())
}

// Position implements catalog.SplitReader: the offset after the last
// record returned (or dead-lettered). Rows decoded by a Read that ctx
// cancelled are not returned yet, so they are not behind it.
func (r *splitReader) Position() ([]byte, error) {
	return json.Marshal(position{Offset: r.pos})
}

func decodePosition(id string, pos []byte) (int64, error) {
	var p position
	if err := json.Unmarshal(pos, &p); err != nil || p.Offset < 0 {
		return 0, fmt.Errorf("malformed position %q of kafka %s", pos, id)
	}
	return p.Offset, nil
}

// Seek implements catalog.SplitReader: the next Read starts at pos's
// offset. Rows decoded but not returned are dropped.
func (r *splitReader) Seek(_ context.Context, pos []byte) error {
	if r.closed {
		return fmt.Errorf("seeking kafka %s: the reader is closed", r.id)
	}
	off, err := decodePosition(r.id, pos)
	if err != nil {
		return fmt.Errorf("seeking: %w", err)
	}
	if r.cl != nil {
		r.cl.Close() // its buffered fetches are from the old offset
		r.cl = nil
	}
	clear(r.pending)
	r.pending = nil
	if r.dec.Rows() > 0 {
		r.flush().Release()
	}
	r.next, r.pos, r.err = off, off, nil
	return nil
}

// CommitPosition implements catalog.PositionCommitter: with a group, the
// checkpoint's offset is committed to it (Kafka's committed offset is
// the next one to read, as Position). Retriable broker errors and a
// group rebalancing are left to the next checkpoint; other refusals (an
// active consumer in the group, missing rights) fail the job.
func (r *splitReader) CommitPosition(ctx context.Context, pos []byte) error {
	if r.t.cfg.group == "" {
		return nil
	}
	off, err := decodePosition(r.id, pos)
	if err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	r.commitMu.Lock()
	defer r.commitMu.Unlock()
	if r.closed {
		return fmt.Errorf("committing kafka %s: the reader is closed", r.id)
	}
	if off == r.committed {
		return nil
	}
	if r.committer == nil {
		if r.committer, err = r.t.cfg.newClient(); err != nil {
			return fmt.Errorf("committing kafka %s: %w", r.id, err)
		}
	}
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: r.t.cfg.topic, Partition: r.part, At: off, LeaderEpoch: -1})
	resp, err := kadm.NewClient(r.committer).CommitOffsets(ctx, r.t.cfg.group, os)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		if kerr.IsRetriable(err) || errors.Is(err, kerr.RebalanceInProgress) {
			return nil // the next checkpoint commits a later offset
		}
		return fmt.Errorf("committing offset %d of kafka %s to group %s: %w", off, r.id, r.t.cfg.group, err)
	}
	r.committed = off
	return nil
}

// Close implements catalog.SplitReader; it may be called more than once.
func (r *splitReader) Close() error {
	r.commitMu.Lock()
	defer r.commitMu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	if r.cl != nil {
		r.cl.Close()
		r.cl = nil
	}
	if r.committer != nil {
		r.committer.Close()
		r.committer = nil
	}
	if r.dec.Rows() > 0 {
		r.flush().Release()
	}
	r.dec.Release()
	r.meta.release()
	return nil
}
