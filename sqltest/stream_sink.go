package sqltest

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/memory"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
)

// trackedSink is a memory sink that notes whether a job resumed it, so
// the runner knows which rows a restart took back.
type trackedSink struct {
	*memory.Sink
	restored bool
}

func newTrackedSink() *trackedSink { return &trackedSink{Sink: memory.NewSink()} }

// OpenSink implements catalog.SinkTable.
func (t *trackedSink) OpenSink(ctx context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	s, err := t.Sink.OpenSink(ctx, schema)
	if err != nil {
		return nil, err
	}
	return &restoreNoter{Sink: s, t: t}, nil
}

// restoreNoter passes everything to the memory sink, noting Restore.
type restoreNoter struct {
	catalog.Sink
	t *trackedSink
}

func (r *restoreNoter) Restore(ctx context.Context, st []byte) error {
	if err := r.Sink.Restore(ctx, st); err != nil {
		return err
	}
	r.t.restored = true
	return nil
}

// lines renders the rows held from row from on: "+ v1 v2 …" for inserts,
// "- …" for retractions (the _op column, which is not shown).
func (t *trackedSink) lines(from int64) ([]string, error) {
	batches := t.Batches()
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	out := []string{}
	var row int64
	for _, b := range batches {
		n := b.NumRows()
		if row+n <= from {
			row += n
			continue
		}
		cols, op := int(b.NumCols()), -1
		if cols > 0 && b.Schema().Field(cols-1).Name == operators.OpColumn {
			op, cols = cols-1, cols-1
		}
		ts, err := fieldTypes(b.Schema(), cols)
		if err != nil {
			return nil, err
		}
		for r := max(from-row, 0); r < n; r++ {
			sign := "+"
			if op >= 0 {
				switch v := expr.ScalarValue(b.Column(op), int(r)); v {
				case operators.OpInsert:
				case operators.OpDelete:
					sign = "-"
				default:
					return nil, fmt.Errorf("row %d: _op is %v", row+r, v)
				}
			}
			out = append(out, sign+" "+renderRow(b, int(r), cols, ts))
		}
		row += n
	}
	return out, nil
}

// fieldTypes returns the SQL types of a schema's first n fields.
func fieldTypes(s *arrow.Schema, n int) ([]types.Type, error) {
	ts := make([]types.Type, n)
	for i := range ts {
		t, err := types.FromField(s.Field(i))
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", s.Field(i).Name, err)
		}
		ts[i] = t
	}
	return ts, nil
}

// renderRow formats the first cols columns of row r as query rows are.
func renderRow(b arrow.RecordBatch, r, cols int, ts []types.Type) string {
	vals := make([]string, cols)
	for c := range vals {
		vals[c] = cell(expr.ScalarValue(b.Column(c), r), ts[c])
	}
	return strings.Join(vals, " ")
}

// deadLetters collects what a job dead-letters as "reason | row" lines.
type deadLetters struct {
	mu    sync.Mutex
	lines []string
}

// Raw implements exec.DeadLetter.
func (d *deadLetters) Raw(_ context.Context, raw []byte, reason string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lines = append(d.lines, reason+" | "+string(raw))
	return nil
}

// Rows implements exec.DeadLetter; b is borrowed.
func (d *deadLetters) Rows(_ context.Context, b arrow.RecordBatch, reason string) error {
	ts, err := fieldTypes(b.Schema(), int(b.NumCols()))
	if err != nil {
		return fmt.Errorf("dead-lettering rows: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for r := 0; r < int(b.NumRows()); r++ {
		d.lines = append(d.lines, reason+" | "+renderRow(b, r, int(b.NumCols()), ts))
	}
	return nil
}

func (d *deadLetters) snapshot() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.lines...)
}
