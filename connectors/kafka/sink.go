package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/render"
)

// errNotSink is returned when a source table is opened as a sink.
var errNotSink = errors.New("the table is a source (type=source)")

// OpenSink implements catalog.SinkTable: the query's rows become records
// of the topic (see the package doc for the value, key and headers, and
// the delivery guarantee).
func (t *Table) OpenSink(ctx context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	if t.cfg.role != forSink {
		return nil, fmt.Errorf("opening kafka topic %s as a sink: %w", t.cfg.topic, errNotSink)
	}
	s := &sink{topic: t.cfg.topic, raw: -1, key: -1, headers: -1, txn: t.cfg.txnID != "", txnID: t.cfg.txnID}
	if err := s.columns(t.cfg, schema); err != nil {
		return nil, fmt.Errorf("opening kafka topic %s as a sink: %w", t.cfg.topic, err)
	}
	more := []kgo.Opt{kgo.DefaultProduceTopic(t.cfg.topic), kgo.RequiredAcks(kgo.AllISRAcks())}
	if s.txn {
		more = append(more, kgo.TransactionalID(t.cfg.txnID), kgo.TransactionTimeout(t.cfg.txnTimeout))
	}
	cl, err := t.cfg.newClient(more...)
	if err != nil {
		return nil, fmt.Errorf("opening kafka topic %s as a sink: %w", t.cfg.topic, err)
	}
	s.cl = cl
	return s, nil
}

// sink is the catalog.Sink of a Table.
type sink struct {
	topic   string
	cl      *kgo.Client
	names   []string // value columns
	types   []types.Type
	value   []int // value column ordinals in the batch
	raw     int   // the value column for format raw, else -1
	key     int   // -1: no key
	keyType types.Type
	headers int // -1: no headers
	hdrName string
	txn     bool
	inTxn   bool
	fenced  bool  // the transactional id is initialised by this sink
	pid     int64 // producer id and epoch of the open transaction, at PreCommit
	pepoch  int16
	bumps   bool // the broker bumps the epoch at every commit (KIP-890)

	txnID string // "" for a plain sink

	mu     sync.Mutex
	failed error // first failed produce, sticky
	closed bool
}

// columns resolves the value, key and headers columns of schema.
func (s *sink) columns(cfg *config, schema *arrow.Schema) error {
	find := func(opt, name string) (int, error) {
		idx := schema.FieldIndices(name)
		if len(idx) != 1 {
			return -1, fmt.Errorf("option %s: the query has no column %q", opt, name)
		}
		return idx[0], nil
	}
	var err error
	if cfg.key != "" {
		if s.key, err = find("key", cfg.key); err != nil {
			return err
		}
		s.keyType, _ = types.FromField(schema.Field(s.key))
	}
	if cfg.headers != "" {
		s.hdrName = cfg.headers
		if s.headers, err = find("headers", cfg.headers); err != nil {
			return err
		}
		if t, _ := types.FromField(schema.Field(s.headers)); !t.IsString() {
			return fmt.Errorf("option headers: column %s is %s, want a JSON object (JSON or VARCHAR)", cfg.headers, t)
		}
	}
	if cfg.format == file.MessageRaw {
		if s.raw, err = find("format", "value"); err != nil {
			return errors.New(`format raw writes the VARCHAR column "value": the query has none`)
		}
		if t, _ := types.FromField(schema.Field(s.raw)); !t.IsString() {
			return fmt.Errorf(`format raw: column value is %s, want VARCHAR`, t)
		}
		return nil
	}
	for i, f := range schema.Fields() {
		if i == s.headers {
			continue // headers travel as headers only
		}
		t, _ := types.FromField(f) // unknown types print as text
		s.names, s.types, s.value = append(s.names, f.Name), append(s.types, t), append(s.value, i)
	}
	return nil
}

// Write produces b's rows (borrowed), inside the open transaction for a
// transactional sink (beginning one if needed).
func (s *sink) Write(ctx context.Context, b arrow.RecordBatch) error {
	if err := s.usable("writing to"); err != nil {
		return err
	}
	if b.NumRows() == 0 {
		return nil
	}
	if err := s.fence(ctx); err != nil {
		return err
	}
	if s.txn && !s.inTxn {
		if err := s.cl.BeginTransaction(); err != nil {
			return fmt.Errorf("writing to kafka topic %s: beginning a transaction: %w", s.topic, err)
		}
		s.inTxn = true
	}
	vals := b
	if s.raw < 0 && len(s.value) != int(b.NumCols()) {
		vals = s.project(b)
		defer vals.Release()
	}
	var arena []byte // value bytes of every row: records keep sub-slices
	for r := 0; r < int(b.NumRows()); r++ {
		rec := &kgo.Record{Topic: s.topic}
		start := len(arena)
		switch {
		case s.raw < 0:
			arena = render.AppendJSONRow(arena, s.names, s.types, vals, r)
			rec.Value = arena[start:len(arena):len(arena)]
		case !b.Column(s.raw).IsNull(r): // a NULL value stays a null record value
			arena = append(arena, b.Column(s.raw).(*array.String).Value(r)...)
			rec.Value = arena[start:len(arena):len(arena)]
		}
		if s.key >= 0 && !b.Column(s.key).IsNull(r) {
			rec.Key = []byte(keyText(b.Column(s.key), r, s.keyType))
		}
		if s.headers >= 0 && !b.Column(s.headers).IsNull(r) {
			hs, err := parseHeaders(b.Column(s.headers).(*array.String).Value(r))
			if err != nil {
				return fmt.Errorf("writing to kafka topic %s: column %s: %w", s.topic, s.hdrName, err)
			}
			rec.Headers = hs
		}
		s.cl.Produce(ctx, rec, s.promise)
	}
	return s.firstFailure()
}

// project returns b's value columns (all but the headers column).
func (s *sink) project(b arrow.RecordBatch) arrow.RecordBatch {
	cols := make([]arrow.Array, len(s.value))
	fields := make([]arrow.Field, len(s.value))
	for i, c := range s.value {
		cols[i], fields[i] = b.Column(c), b.Schema().Field(c)
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, b.NumRows())
}

// keyText renders a key column's value as text.
func keyText(col arrow.Array, r int, t types.Type) string {
	if s, ok := col.(*array.String); ok {
		return s.Value(r)
	}
	return types.FormatValue(expr.ScalarValue(col, r), t)
}

// parseHeaders reads a JSON object into headers: strings as they are,
// other values as their JSON text.
func parseHeaders(s string) ([]kgo.RecordHeader, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("headers %q: want a JSON object", s)
	}
	hs := make([]kgo.RecordHeader, 0, len(m))
	for k, v := range m {
		var str string
		if json.Unmarshal(v, &str) == nil {
			hs = append(hs, kgo.RecordHeader{Key: k, Value: []byte(str)})
		} else {
			hs = append(hs, kgo.RecordHeader{Key: k, Value: []byte(v)})
		}
	}
	return hs, nil
}

// promise records the first failed produce.
func (s *sink) promise(_ *kgo.Record, err error) {
	if err == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed == nil {
		s.failed = fmt.Errorf("producing to kafka topic %s: %w", s.topic, err)
	}
}

func (s *sink) firstFailure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

func (s *sink) usable(verb string) error {
	if s.closed {
		return fmt.Errorf("%s kafka topic %s: the sink is closed", verb, s.topic)
	}
	return s.firstFailure()
}

// fence initialises the transactional id once, before the sink's first
// transaction: that bumps its epoch, so a zombie writer with the id is
// fenced and the transaction it left open is aborted.
func (s *sink) fence(ctx context.Context) error {
	if !s.txn || s.fenced {
		return nil
	}
	if _, _, err := s.cl.ProducerID(ctx); err != nil {
		return fmt.Errorf("initialising the transactional id of kafka topic %s: %w", s.topic, err)
	}
	s.fenced = true
	s.bumps = s.bumps || epochBumps(ctx, s.cl)
	return nil
}

// epochBumps reports whether the cluster bumps a producer's epoch at
// every EndTxn (KIP-890 part 2: transaction.version 2 finalized and EndTxn
// v5), as franz-go then does. Unknown counts as no.
func epochBumps(ctx context.Context, cl *kgo.Client) bool {
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil || resp.ErrorCode != 0 {
		return false
	}
	feature := false
	for _, f := range resp.FinalizedFeatures {
		feature = feature || (f.Name == "transaction.version" && f.MaxVersionLevel >= 2)
	}
	for _, k := range resp.ApiKeys {
		if k.ApiKey == int16(kmsg.EndTxn) {
			return feature && k.MaxVersion >= 5
		}
	}
	return false
}

// sinkState is what PreCommit stores in the checkpoint. For a
// transaction left open by PreCommit it names the producer id and epoch
// that can still commit it, and whether the broker bumps epochs at each
// commit (KIP-890), which makes committing it after a crash safe.
type sinkState struct {
	Epoch         int64 `json:"epoch"`
	Transactional bool  `json:"transactional"`
	Open          bool  `json:"open,omitempty"`
	ProducerID    int64 `json:"producer_id,omitempty"`
	ProducerEpoch int16 `json:"producer_epoch,omitempty"`
	EpochBumps    bool  `json:"epoch_bumps,omitempty"`
}

// PreCommit waits until every record written is acknowledged by all
// in-sync replicas. In a transaction the records stay invisible to
// read_committed consumers until Commit.
func (s *sink) PreCommit(ctx context.Context, epoch int64) ([]byte, error) {
	if err := s.usable("pre-committing"); err != nil {
		return nil, err
	}
	if err := s.fence(ctx); err != nil { // a job with nothing to write still ends a zombie's transaction
		return nil, err
	}
	if err := s.cl.Flush(ctx); err != nil {
		return nil, fmt.Errorf("pre-committing kafka topic %s: flushing: %w", s.topic, err)
	}
	if err := s.firstFailure(); err != nil {
		return nil, fmt.Errorf("pre-committing epoch %d: %w", epoch, err)
	}
	st := sinkState{Epoch: epoch, Transactional: s.txn, Open: s.inTxn, EpochBumps: s.bumps}
	if s.inTxn {
		pid, pepoch, err := s.cl.ProducerID(ctx)
		if err != nil {
			return nil, fmt.Errorf("pre-committing kafka topic %s: %w", s.topic, err)
		}
		s.pid, s.pepoch = pid, pepoch
		st.ProducerID, st.ProducerEpoch = pid, pepoch
	}
	return json.Marshal(st)
}

// Commit commits the open transaction (a transactional sink).
func (s *sink) Commit(ctx context.Context, epoch int64) error {
	if err := s.usable("committing"); err != nil {
		return err
	}
	if !s.inTxn {
		return nil
	}
	if err := s.cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return fmt.Errorf("committing the kafka transaction of epoch %d to %s: %w", epoch, s.topic, err)
	}
	s.inTxn = false
	if _, after, err := s.cl.ProducerID(ctx); err == nil && after != s.pepoch {
		s.bumps = true
	}
	return nil
}

// Restore resumes from a checkpoint's state. A transaction the state
// left open belongs to that durable checkpoint, so it is committed now if
// the crash came before Commit did it (only when the broker bumps epochs
// at each commit: then a later transaction of the same id has another
// epoch and cannot be committed by mistake). Then the transactional id is
// initialised, which aborts whatever the crashed run wrote after the
// checkpoint. A plain sink cannot take records back (at least once).
func (s *sink) Restore(ctx context.Context, state []byte) error {
	if s.closed {
		return fmt.Errorf("restoring kafka topic %s: the sink is closed", s.topic)
	}
	if s.inTxn {
		return fmt.Errorf("restoring kafka topic %s: Restore must come before any Write", s.topic)
	}
	var st sinkState
	if err := json.Unmarshal(state, &st); err != nil {
		return fmt.Errorf("restoring kafka topic %s: malformed sink state %q", s.topic, state)
	}
	if !s.txn {
		return nil
	}
	if st.Transactional && st.Open && st.EpochBumps && !s.fenced {
		if err := s.commitLeftOpen(ctx, st); err != nil {
			return fmt.Errorf("restoring kafka topic %s: %w", s.topic, err)
		}
	}
	s.bumps = st.EpochBumps
	return s.fence(ctx)
}

// commitLeftOpen commits the transaction of producer id and epoch st
// names, if it is still open. The broker answers a transaction already
// ended (committed by Commit before the crash, or aborted when it timed
// out) with a fencing or state error: nothing is left to do then.
func (s *sink) commitLeftOpen(ctx context.Context, st sinkState) error {
	req := kmsg.NewPtrEndTxnRequest()
	req.TransactionalID = s.txnID
	req.ProducerID, req.ProducerEpoch, req.Commit = st.ProducerID, st.ProducerEpoch, true
	resp, err := req.RequestWith(ctx, s.cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
	}
	switch {
	case err == nil, errors.Is(err, kerr.ProducerFenced), errors.Is(err, kerr.InvalidProducerEpoch),
		errors.Is(err, kerr.InvalidTxnState), errors.Is(err, kerr.InvalidProducerIDMapping):
		return nil
	}
	return fmt.Errorf("committing the transaction of checkpoint %d: %w", st.Epoch, err)
}

// Close aborts a transaction still open (its rows belong to no durable
// checkpoint), flushes a plain sink and closes the client. It may be
// called more than once.
func (s *sink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	var errs []error
	if s.inTxn {
		if err := s.cl.AbortBufferedRecords(ctx); err != nil {
			errs = append(errs, fmt.Errorf("closing kafka topic %s: %w", s.topic, err))
		} else if err := s.cl.EndTransaction(ctx, kgo.TryAbort); err != nil {
			errs = append(errs, fmt.Errorf("closing kafka topic %s: aborting the open transaction: %w", s.topic, err))
		}
		s.inTxn = false
	} else if err := s.cl.Flush(ctx); err != nil {
		errs = append(errs, fmt.Errorf("closing kafka topic %s: flushing: %w", s.topic, err))
	}
	s.cl.Close()
	return errors.Join(errs...)
}
