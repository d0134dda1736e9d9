package rank

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// SortKey is one ORDER BY term of TopN (operators.SortKey).
type SortKey = operators.SortKey

// DefaultRowNumberName names the row number column when
// TopNSpec.RowNumberName is empty.
const DefaultRowNumberName = "row_number"

// TopNSpec describes a TopN.
type TopNSpec struct {
	Input *arrow.Schema
	// PartitionCols are the PARTITION BY columns (typically including
	// window_start or window_end). NULL equals NULL.
	PartitionCols []int
	// CloseCol is a TIMESTAMP column: the rows of a partition are final
	// when the watermark reaches its value plus CloseOffset (window_end and
	// 0, or window_start and the window size). Rows are also partitioned
	// by it, so every partition closes at one time. -1 makes the operator
	// an updating changelog over the whole stream (CloseOffset must be 0).
	CloseCol    int
	CloseOffset int64
	// Order is the ORDER BY; ties keep arrival order.
	Order []SortKey
	// N keeps the rows with row_number <= N (N >= 1).
	N int64
	// RowNumber appends a BIGINT column, named RowNumberName (default
	// "row_number"), with each row's rank in its partition, from 1.
	RowNumber     bool
	RowNumberName string
}

// TopN keeps the first N rows of each partition in ORDER BY order
// (ROW_NUMBER() OVER (PARTITION BY … ORDER BY …) <= N), holding at most N
// rows per partition. It has one input (0), append-only.
//
// Windowed (CloseCol >= 0): OnWatermark(wm) emits, for every partition
// with close = CloseCol + CloseOffset <= wm, in order of close then of the
// partition's first row, its rows in order (with their row number), and
// frees it; EndOfInput emits every partition. A row whose close <= wm on
// arrival, or whose CloseCol is NULL, is late: dropped, counted and
// passed to the RouteLate sink. Output: the input columns, then the row
// number if asked.
//
// Changelog (CloseCol -1): partitions never close. After each batch it
// emits, for each partition whose top N changed (in order of the batch's
// first row in it), deletes of the rows that left it (and, with a row
// number, that moved, with their old number) in old rank order, then
// inserts of the rows that entered (or moved) in new rank order: applying
// the changelog gives the current top N. Output: the input columns, the
// row number if asked, then operators.OpColumn.
type TopN struct {
	base
	spec    TopNSpec
	out     *arrow.Schema
	changes bool
	keys    keyEncoder
	order   orderKeys

	parts   map[string]*partition
	closing minHeap[*partition] // windowed: by close, then first row
	seq     int64               // input rows seen, for arrival order
	last    *partition          // of the previous row, for runs of a partition

	// Changelog only, by row id: rank as last emitted (0: not emitted) and
	// rank after the batch.
	rank    []int64
	cur     []int64
	touched []*partition
	evicted []int32 // emitted rows that left during the batch
}

// partition is the state of one partition.
type partition struct {
	key   string
	close int64 // windowed: when its rows are final
	first int64 // arrival of its first row
	// Windowed: a heap of row ids, worst on top. Changelog: row ids best
	// first, and as last emitted.
	heap    minHeap[int32]
	rows    []int32
	emitted []int32
	touched bool
}

var (
	_ operators.Operator      = (*TopN)(nil)
	_ operators.Watermarked   = (*TopN)(nil)
	_ operators.Stateful      = (*TopN)(nil)
	_ operators.LateRouter    = (*TopN)(nil)
	_ operators.StateReporter = (*TopN)(nil)
)

// NewTopN checks spec and makes the operator.
func NewTopN(spec TopNSpec) (*TopN, error) {
	t := &TopN{spec: spec}
	if err := t.init(); err != nil {
		return nil, fmt.Errorf("creating top-n: %w", err)
	}
	return t, nil
}

func (t *TopN) init() error {
	s := &t.spec
	if s.Input == nil {
		return fmt.Errorf("no input schema")
	}
	if s.N < 1 {
		return fmt.Errorf("N %d: must be at least 1", s.N)
	}
	if err := keyColumns(s.Input, s.PartitionCols, "partition"); err != nil {
		return err
	}
	if err := timeColumn(s.Input, s.CloseCol, "close", true); err != nil {
		return err
	}
	t.changes = s.CloseCol == -1
	if s.CloseOffset < 0 || t.changes && s.CloseOffset != 0 {
		return fmt.Errorf("close offset %d µs: must be non-negative, and 0 without a close column", s.CloseOffset)
	}
	var err error
	if t.order, err = newOrderKeys(s.Input, s.Order); err != nil {
		return err
	}
	fs := s.Input.Fields()
	if s.RowNumber {
		if s.RowNumberName == "" {
			s.RowNumberName = DefaultRowNumberName
		}
		fs = append(fs, arrow.Field{Name: s.RowNumberName, Type: arrow.PrimitiveTypes.Int64})
	}
	if t.changes {
		fs = append(fs, arrow.Field{Name: operators.OpColumn, Type: arrow.BinaryTypes.String})
	}
	t.out = s.Input
	if len(fs) > s.Input.NumFields() {
		md := s.Input.Metadata()
		t.out = arrow.NewSchema(fs, &md)
	}
	t.name, t.input = "top-n", s.Input
	cols := s.PartitionCols
	if !t.changes && !contains(cols, s.CloseCol) {
		cols = append(slices.Clone(cols), s.CloseCol)
	}
	t.keys = newKeyEncoder(s.Input, cols)
	t.closing.less = func(a, b *partition) bool {
		return a.close < b.close || a.close == b.close && a.first < b.first
	}
	return nil
}

func contains(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// Schema of the emitted batches.
func (t *TopN) Schema() *arrow.Schema { return t.out }

// Spec returns the spec the operator was made with (RowNumberName filled
// in).
func (t *TopN) Spec() TopNSpec { return t.spec }

// Open prepares the state.
func (t *TopN) Open(_ context.Context, mem memory.Allocator) error {
	if err := t.open(mem); err != nil {
		return err
	}
	t.parts = map[string]*partition{}
	return nil
}

// Close frees everything the operator holds.
func (t *TopN) Close() error {
	t.rows.release()
	t.parts, t.closing.items, t.last, t.touched, t.evicted = nil, nil, nil, nil, nil
	t.closed = true
	return nil
}

// Partitions is the number of partitions held.
func (t *TopN) Partitions() int { return len(t.parts) }

// StateBytes implements operators.StateReporter.
func (t *TopN) StateBytes() int64 {
	b := t.rows.bytes + int64(len(t.order.seq))*int64(8+9*len(t.order.cols)) + int64(len(t.rank))*16
	for _, p := range t.parts {
		b += int64(len(p.key)) + 96 + 4*int64(len(p.heap.items)+len(p.rows)+len(p.emitted))
	}
	return b
}

// worse orders row ids worst first, for the windowed heaps.
func (t *TopN) worse(a, b int32) bool { return t.order.compare(int(a)+1, int(b)+1) > 0 }

// partition returns the partition of key k, making it (closing at close,
// first row arriving as seq) if needed.
func (t *TopN) partition(k []byte, close, seq int64) *partition {
	if t.last != nil && t.last.key == string(k) {
		return t.last
	}
	p, ok := t.parts[string(k)]
	if !ok {
		p = &partition{key: string(k), close: close, first: seq}
		p.heap.less = t.worse
		t.parts[p.key] = p
		if !t.changes {
			t.closing.push(p)
		}
	}
	t.last = p
	return p
}

// outBatch builds an output batch of rows ids with their ranks and, in
// changelog mode, ops (del: delete).
func (t *TopN) outBatch(ids []int32, ranks []int64, del []bool) (arrow.RecordBatch, error) {
	rb, err := t.rows.gather(ids)
	if err != nil {
		return nil, fmt.Errorf("emitting top-n rows: %w", err)
	}
	if !t.spec.RowNumber && !t.changes {
		return rb, nil
	}
	defer rb.Release()
	cols := make([]arrow.Array, 0, t.out.NumFields())
	for _, c := range rb.Columns() {
		c.Retain()
		cols = append(cols, c)
	}
	if t.spec.RowNumber {
		cols = append(cols, int64Array(t.mem, ranks))
	}
	if t.changes {
		cols = append(cols, opArray(t.mem, del))
	}
	defer releaseArrays(cols)
	return array.NewRecordBatch(t.out, cols, int64(len(ids))), nil
}
