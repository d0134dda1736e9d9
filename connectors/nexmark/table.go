package nexmark

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// Table is one Nexmark table (person, auction or bid) over a generator:
// a catalog.Table whose Scan yields every row, and a catalog.Streamable
// whose OpenStream yields Splits readers. Safe for concurrent use.
type Table struct {
	kind   Kind
	gen    *Generator
	splits int
}

var (
	_ catalog.Table      = (*Table)(nil)
	_ catalog.Streamable = (*Table)(nil)
	_ catalog.Describer  = (*Table)(nil)
)

// defaultBatchRows sizes batches when a request does not.
const defaultBatchRows = 8192

// maxSplits bounds splits: each is a reader and, in exec, a goroutine.
const maxSplits = 1024

// NewTable makes table kind of the events cfg describes, streamed in
// splits readers.
func NewTable(kind Kind, cfg Config, splits int) (*Table, error) {
	if kind < Person || kind > Bid {
		return nil, fmt.Errorf("making nexmark table: unknown kind %d", kind)
	}
	if splits < 1 || splits > maxSplits {
		return nil, fmt.Errorf("making nexmark table: splits %d not in [1, %d]", splits, maxSplits)
	}
	g, err := NewGenerator(cfg)
	if err != nil {
		return nil, fmt.Errorf("making nexmark table: %w", err)
	}
	return &Table{kind: kind, gen: g, splits: splits}, nil
}

// Schema implements catalog.Table.
func (t *Table) Schema() *arrow.Schema { return Schema(t.kind) }

// Kind is the table's kind.
func (t *Table) Kind() Kind { return t.kind }

// Generator is the table's generator.
func (t *Table) Generator() *Generator { return t.gen }

// Describe implements catalog.Describer.
func (t *Table) Describe() string {
	c := t.gen.cfg
	return fmt.Sprintf("nexmark %s (events %d, rate %g/s, seed %d, splits %d)", t.kind, c.Events, c.Rate, c.Seed, t.splits)
}

// Scan implements catalog.Table: every row of the table in event order
// (filters are not used; Limit stops early). Unbounded tables (Events 0)
// cannot be scanned.
func (t *Table) Scan(ctx context.Context, req catalog.ScanRequest) (catalog.BatchReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scanning nexmark %s: %w", t.kind, err)
	}
	if t.gen.cfg.Events == 0 {
		return nil, fmt.Errorf("scanning nexmark %s: the table is unbounded (set events.num)", t.kind)
	}
	sc, cols, err := project(t.kind, req.Columns)
	if err != nil {
		return nil, fmt.Errorf("scanning nexmark %s: %w", t.kind, err)
	}
	mem := req.Alloc
	if mem == nil {
		mem = memory.NewGoAllocator()
	}
	limit := req.Limit
	if limit < 0 {
		limit = math.MaxInt64
	}
	return &scanReader{t: t, cur: newCursor(t.kind, 0, 1, t.gen.cfg.end()), mem: mem, schema: sc, cols: cols, left: limit}, nil
}

// scanReader reads a whole table in batches of defaultBatchRows.
type scanReader struct {
	t      *Table
	cur    *cursor
	mem    memory.Allocator
	schema *arrow.Schema
	cols   []int
	ids    []int64
	left   int64 // rows until Limit
	closed bool
}

func (r *scanReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if r.closed {
		return nil, errors.New("scanning nexmark: reader is closed")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.left <= 0 {
		return nil, io.EOF
	}
	r.ids, _ = r.cur.fill(r.ids[:0], int(min(defaultBatchRows, r.left)), math.MaxInt64)
	if len(r.ids) == 0 {
		return nil, io.EOF
	}
	r.left -= int64(len(r.ids))
	return r.t.gen.build(r.mem, r.t.kind, r.schema, r.cols, r.ids), nil
}

func (r *scanReader) Close() error {
	r.closed = true
	return nil
}

// PreGenerate makes all rows of kind for cfg (Events must be set) in
// batches of batchRows, allocated from cfg.Alloc, for benchmarks that
// must not time generation. The caller releases the batches.
func PreGenerate(kind Kind, cfg Config, batchRows int) ([]arrow.RecordBatch, error) {
	if cfg.Events <= 0 {
		return nil, errors.New("pre-generating nexmark: Events must be positive")
	}
	if batchRows <= 0 {
		return nil, fmt.Errorf("pre-generating nexmark: batch rows %d must be positive", batchRows)
	}
	t, err := NewTable(kind, cfg, 1)
	if err != nil {
		return nil, fmt.Errorf("pre-generating nexmark: %w", err)
	}
	g := t.gen
	sc, cols, _ := project(kind, nil)
	cur := newCursor(kind, 0, 1, g.cfg.end())
	var out []arrow.RecordBatch
	var ids []int64
	for {
		ids, _ = cur.fill(ids[:0], batchRows, math.MaxInt64)
		if len(ids) == 0 {
			return out, nil
		}
		out = append(out, g.build(g.cfg.Alloc, kind, sc, cols, ids))
	}
}
