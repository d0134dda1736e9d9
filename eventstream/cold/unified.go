package cold

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// Snapshotter gives a topic's cold side as of its latest commit.
type Snapshotter interface {
	// Snapshot returns the cold table pinned at its current commit and
	// the hot sequence number that commit covers up to (every event with
	// a larger sequence is only in the hot tier). ok is false while the
	// topic has nothing in the cold tier.
	Snapshot(ctx context.Context, topic string) (t catalog.Table, seq uint64, ok bool, err error)
}

// Unified is a topic as one table over both tiers (see the package doc).
// Scans read the cold side first, then the hot events after the boundary;
// streams (live queries) read the hot tier alone, since they only follow
// new events.
type Unified struct {
	topic string
	hot   catalog.Table // the hot tier's table of the topic (scan + stream)
	cold  Snapshotter
	idCol int // the hot table's _id column
}

var (
	_ catalog.Table      = (*Unified)(nil)
	_ catalog.Streamable = (*Unified)(nil)
	_ catalog.Describer  = (*Unified)(nil)
)

// NewUnified joins a topic's hot table (with its _id column) and its cold
// side.
func NewUnified(topic string, hot catalog.Table, cold Snapshotter) (*Unified, error) {
	idx := hot.Schema().FieldIndices("_id")
	if len(idx) != 1 {
		return nil, fmt.Errorf("unifying topic %s: the hot table has no _id column", topic)
	}
	if _, ok := hot.(catalog.Streamable); !ok {
		return nil, fmt.Errorf("unifying topic %s: the hot table cannot be streamed", topic)
	}
	return &Unified{topic: topic, hot: hot, cold: cold, idCol: idx[0]}, nil
}

// Schema implements catalog.Table: the hot tier's columns.
func (u *Unified) Schema() *arrow.Schema { return u.hot.Schema() }

// Describe implements catalog.Describer.
func (u *Unified) Describe() string { return "topic " + u.topic + " (hot window + cold tier)" }

// OpenStream implements catalog.Streamable: new events come from the hot
// tier.
func (u *Unified) OpenStream(ctx context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	return u.hot.(catalog.Streamable).OpenStream(ctx, req)
}

// Scan implements catalog.Table. Filters go to both sides (the cold side
// prunes partitions and files with them); the caller re-applies them.
func (u *Unified) Scan(ctx context.Context, req catalog.ScanRequest) (catalog.BatchReader, error) {
	if req.Partitions > 1 && req.Partition > 0 {
		return emptyReader{}, nil // one reader does both sides
	}
	cols := req.Columns
	if cols == nil {
		cols = make([]int, u.Schema().NumFields())
		for i := range cols {
			cols[i] = i
		}
	}
	ct, seq, ok, err := u.cold.Snapshot(ctx, u.topic)
	if err != nil {
		return nil, fmt.Errorf("scanning topic %s: reading the cold tier: %w", u.topic, err)
	}
	r := &unifiedReader{topic: u.topic, out: projectSchema(u.Schema(), cols), boundary: seq, mem: req.Alloc}
	if r.mem == nil {
		r.mem = memory.DefaultAllocator
	}
	if ok {
		coldCols, err := mapColumns(u.Schema(), ct.Schema(), cols)
		if err != nil {
			return nil, fmt.Errorf("scanning topic %s: %w", u.topic, err)
		}
		creq := req
		creq.Columns, creq.Filters, creq.Partition, creq.Partitions = coldCols, mapFilters(u.Schema(), ct.Schema(), req.Filters), 0, 0
		creq.TopN = nil
		openCold := func() (catalog.BatchReader, error) { return ct.Scan(ctx, creq) }
		if req.TopN != nil {
			// ORDER BY … LIMIT: the hot side first; the cold side only
			// if its statistics say it can hold a row of the top.
			r.keeper = newTopKeeper(req.TopN, cols)
			r.pendingCold, r.coldTable = openCold, ct
			r.coldCol = -1
			if c := req.TopN.Column; c >= 0 && c < u.Schema().NumFields() {
				r.coldCol = fieldIndex(ct.Schema(), u.Schema().Field(c).Name)
			}
		} else if r.cold, err = openCold(); err != nil {
			return nil, fmt.Errorf("scanning topic %s: %w", u.topic, err)
		}
	}
	// The hot side also reads _id, to skip what the cold side covers;
	// a hot table that can start after the boundary skips it unread.
	hreq := req
	hreq.Columns, hreq.Partition, hreq.Partitions = append(append([]int(nil), cols...), u.idCol), 0, 0
	if ha, ok := unwrap(u.hot).(afterScanner); ok {
		r.hot, err = ha.ScanAfter(ctx, hreq, seq)
	} else {
		r.hot, err = u.hot.Scan(ctx, hreq)
	}
	if err != nil {
		if r.cold != nil {
			r.cold.Close()
		}
		return nil, fmt.Errorf("scanning topic %s: %w", u.topic, err)
	}
	r.filter = ok
	return r, nil
}

// afterScanner is a hot table that can scan the events after an ingest
// sequence alone (eventstream.Table).
type afterScanner interface {
	ScanAfter(ctx context.Context, req catalog.ScanRequest, seq uint64) (catalog.BatchReader, error)
}

// unwrap looks through a catalog.StreamTable to the table it wraps.
func unwrap(t catalog.Table) catalog.Table {
	if st, ok := t.(*catalog.StreamTable); ok {
		return st.Table
	}
	return t
}

// unifiedReader reads the cold side, then the hot rows past the boundary.
type unifiedReader struct {
	topic     string
	out       *arrow.Schema
	cold, hot catalog.BatchReader
	boundary  uint64
	filter    bool // the cold side exists: drop hot rows at or before the boundary
	mem       memory.Allocator
	coldStats map[string]int64 // the cold reader's, kept when it closes
	hotRows   int64

	// A top-N scan reads the hot side first and opens the cold one after
	// (pendingCold), or skips it (coldSkipped).
	keeper      *topKeeper
	pendingCold func() (catalog.BatchReader, error)
	coldTable   catalog.Table
	coldCol     int
	coldSkipped bool
}

var _ catalog.ScanStats = (*unifiedReader)(nil)

// Stats implements catalog.ScanStats: the cold side's file and row-group
// counts (EXPLAIN ANALYZE shows the pruning) and the hot rows read.
func (r *unifiedReader) Stats() map[string]int64 {
	out := map[string]int64{"hot_rows": r.hotRows}
	if r.coldSkipped {
		out["cold_skipped"] = 1
	}
	src := r.coldStats
	if r.cold != nil {
		src = coldStatsOf(r.cold)
	}
	for k, v := range src {
		out[k] = v
	}
	return out
}

func coldStatsOf(b catalog.BatchReader) map[string]int64 {
	if s, ok := b.(catalog.ScanStats); ok {
		return s.Stats()
	}
	return nil
}

// closeCold keeps the cold reader's statistics and closes it.
func (r *unifiedReader) closeCold() error {
	r.coldStats = coldStatsOf(r.cold)
	err := r.cold.Close()
	r.cold = nil
	return err
}

func (r *unifiedReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		if b, err := r.nextCold(ctx); b != nil || err != nil {
			return b, err
		}
		if r.hot == nil {
			return nil, io.EOF
		}
		b, err := r.hot.Next(ctx)
		if errors.Is(err, io.EOF) {
			err = r.hot.Close()
			r.hot = nil
			if err != nil {
				return nil, err
			}
			if err := r.decideCold(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		out, err := r.afterBoundary(b)
		b.Release()
		if err != nil {
			return nil, err
		}
		if out != nil {
			if r.keeper != nil {
				r.keeper.observe(out)
			}
			return out, nil
		}
	}
}

// nextCold returns the cold side's next batch, nil when it has none (or
// is done).
func (r *unifiedReader) nextCold(ctx context.Context) (arrow.RecordBatch, error) {
	if r.cold == nil {
		return nil, nil
	}
	b, err := r.cold.Next(ctx)
	if errors.Is(err, io.EOF) {
		return nil, r.closeCold()
	}
	if err != nil {
		return nil, err
	}
	out := array.NewRecordBatch(r.out, b.Columns(), b.NumRows())
	b.Release()
	return out, nil
}

// decideCold opens the deferred cold side of a top-N scan once the hot
// rows are all seen, unless its statistics rule it out.
func (r *unifiedReader) decideCold(ctx context.Context) error {
	if r.pendingCold == nil {
		return nil
	}
	open := r.pendingCold
	r.pendingCold = nil
	if r.keeper.coldCannotWin(ctx, r.coldTable, r.coldCol) {
		r.coldSkipped = true
		return nil
	}
	c, err := open()
	if err != nil {
		return fmt.Errorf("scanning topic %s: %w", r.topic, err)
	}
	r.cold = c
	return nil
}

// afterBoundary keeps b's rows whose ingest sequence is past the
// boundary, without the trailing _id column; nil when none is.
func (r *unifiedReader) afterBoundary(b arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := int(b.NumCols()) - 1
	ids, ok := b.Column(n).(*array.String)
	if !ok {
		return nil, fmt.Errorf("scanning topic %s: _id is %s, want VARCHAR", r.topic, b.Column(n).DataType())
	}
	first := 0
	if r.filter {
		// Ingest ids ascend, so the rows to keep are a suffix.
		for first < ids.Len() {
			seq, err := seqOf(ids.Value(first))
			if err != nil {
				return nil, fmt.Errorf("scanning topic %s: %w", r.topic, err)
			}
			if seq > r.boundary {
				break
			}
			first++
		}
	}
	if first == ids.Len() {
		return nil, nil
	}
	r.hotRows += b.NumRows() - int64(first)
	cols := make([]arrow.Array, n)
	for i := range n {
		cols[i] = array.NewSlice(b.Column(i), int64(first), b.NumRows())
	}
	out := array.NewRecordBatch(r.out, cols, b.NumRows()-int64(first))
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

func (r *unifiedReader) Close() error {
	var errs []error
	if r.cold != nil {
		errs = append(errs, r.closeCold())
	}
	if r.hot != nil {
		errs = append(errs, r.hot.Close())
		r.hot = nil
	}
	return errors.Join(errs...)
}

// seqOf reads the ingest sequence out of an ingest id
// ("<19-digit unix ns>-<10-digit seq>", eventstream's format).
func seqOf(id string) (uint64, error) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return 0, fmt.Errorf("malformed ingest id %q", id)
	}
	seq, err := strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed ingest id %q", id)
	}
	return seq, nil
}

type emptyReader struct{}

func (emptyReader) Next(context.Context) (arrow.RecordBatch, error) { return nil, io.EOF }
func (emptyReader) Close() error                                    { return nil }
