package operators

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
)

// Test helpers for the join operators. Values are Go values: int64,
// int32, float64, string, bool, arrow.Date32, arrow.Timestamp; nil is NULL.

func joinSchema(fields ...any) *arrow.Schema {
	fs := make([]arrow.Field, 0, len(fields)/2)
	for k := 0; k < len(fields); k += 2 {
		fs = append(fs, arrow.Field{Name: fields[k].(string), Type: fields[k+1].(arrow.DataType), Nullable: true})
	}
	return arrow.NewSchema(fs, nil)
}

// joinOutSchema is probe's fields then build's (probe's alone for Semi and
// Anti).
func joinOutSchema(kind JoinKind, probe, build *arrow.Schema) *arrow.Schema {
	if !kind.emitsPairs() {
		return probe
	}
	return arrow.NewSchema(append(append([]arrow.Field{}, probe.Fields()...), build.Fields()...), nil)
}

// joinBatches builds batches of schema s from rows, cut into batches of the
// given sizes (0: an empty batch); rows left over form a last batch.
func joinBatches(t testing.TB, mem memory.Allocator, s *arrow.Schema, rows [][]any, sizes ...int) []arrow.RecordBatch {
	t.Helper()
	var out []arrow.RecordBatch
	for _, n := range sizes {
		n = min(n, len(rows))
		out = append(out, optest.Batch(t, mem, s, rows[:n]))
		rows = rows[n:]
	}
	if len(rows) > 0 || len(sizes) == 0 {
		out = append(out, optest.Batch(t, mem, s, rows))
	}
	return out
}

// joinValue reads row i of a as a Go value of the column's Go type.
func joinValue(a arrow.Array, i int) any {
	if v, ok := cellValue(a, i, true); ok {
		return v
	}
	return fmt.Sprintf("<%s>", a.DataType())
}

func joinRowString(row []any) string {
	parts := make([]string, len(row))
	for k, v := range row {
		if v == nil {
			parts[k] = "NULL"
		} else {
			parts[k] = fmt.Sprint(v)
		}
	}
	return strings.Join(parts, "|")
}

func joinBatchRows(b arrow.RecordBatch) [][]any {
	return batchRows([]arrow.RecordBatch{b}, joinValue)
}

// runJoin feeds build then probe batches through op and returns the output
// rows as strings (sorted) and the emitted batch sizes. It releases the
// input batches.
func runJoin(t testing.TB, op Operator, mem memory.Allocator, build, probe []arrow.RecordBatch) ([]string, []int) {
	t.Helper()
	defer releaseBatches(build)
	defer releaseBatches(probe)
	ctx := context.Background()
	var rows []string
	var sizes []int
	emit := func(b arrow.RecordBatch) error {
		defer b.Release()
		if !b.Schema().Equal(op.Schema()) {
			t.Errorf("emitted schema %s, want %s", b.Schema(), op.Schema())
		}
		if b.NumRows() == 0 || b.NumRows() > BatchSize {
			t.Errorf("emitted a batch of %d rows", b.NumRows())
		}
		sizes = append(sizes, int(b.NumRows()))
		for _, r := range joinBatchRows(b) {
			rows = append(rows, joinRowString(r))
		}
		return nil
	}
	if err := op.Open(ctx, mem); err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer func() {
		if err := op.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	for _, b := range build {
		if err := op.ProcessBatch(ctx, 0, b, emit); err != nil {
			t.Fatalf("ProcessBatch(build): %v", err)
		}
	}
	if err := op.EndOfInput(ctx, 0, emit); err != nil {
		t.Fatalf("EndOfInput(build): %v", err)
	}
	for _, b := range probe {
		if err := op.ProcessBatch(ctx, 1, b, emit); err != nil {
			t.Fatalf("ProcessBatch(probe): %v", err)
		}
	}
	if err := op.EndOfInput(ctx, 1, emit); err != nil {
		t.Fatalf("EndOfInput(probe): %v", err)
	}
	slices.Sort(rows)
	return rows, sizes
}

// tri is a SQL truth value.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triNull
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

func triAnd(a, b tri) tri {
	switch {
	case a == triFalse || b == triFalse:
		return triFalse
	case a == triNull || b == triNull:
		return triNull
	}
	return triTrue
}

// triEq is SQL a = b.
func triEq(a, b any) tri {
	if a == nil || b == nil {
		return triNull
	}
	return triOf(a == b)
}

// triLess is SQL a < b over int64s.
func triLess(a, b any) tri {
	if a == nil || b == nil {
		return triNull
	}
	return triOf(a.(int64) < b.(int64))
}

// keysEq is SQL p[pk₁] = b[bk₁] AND … over the key columns.
func keysEq(p, b []any, pk, bk []int) tri {
	r := triTrue
	for k := range pk {
		r = triAnd(r, triEq(p[pk[k]], b[bk[k]]))
	}
	return r
}

// joinRef is the reference join: match says whether a (probe, build) row
// pair joins; for NOT IN it is "the comparison is not FALSE".
func joinRef(kind JoinKind, probe, build [][]any, nProbe, nBuild int, match func(p, b []any) bool) []string {
	return joinRefBucketed(kind, probe, build, nProbe, nBuild, match, nil)
}

// joinRefBucketed is joinRef checking only pairs whose rows have the same
// bucket (nil: all pairs); the caller guarantees other pairs never match.
func joinRefBucketed(kind JoinKind, probe, build [][]any, nProbe, nBuild int, match func(p, b []any) bool, bucket func(row []any) string) []string {
	var out []string
	nulls := func(n int) []any { return make([]any, n) }
	buildMatched := make([]bool, len(build))
	byBucket := map[string][]int{}
	all := make([]int, len(build))
	for bi, b := range build {
		all[bi] = bi
		if bucket != nil {
			byBucket[bucket(b)] = append(byBucket[bucket(b)], bi)
		}
	}
	for _, p := range probe {
		matched := false
		cands := all
		if bucket != nil {
			cands = byBucket[bucket(p)]
		}
		for _, bi := range cands {
			b := build[bi]
			if !match(p, b) {
				continue
			}
			matched = true
			buildMatched[bi] = true
			if kind.emitsPairs() {
				out = append(out, joinRowString(append(append([]any{}, p...), b...)))
			}
		}
		switch {
		case kind == JoinSemi && matched, kind == JoinAnti && !matched:
			out = append(out, joinRowString(p))
		case kind.padsBuild() && !matched:
			out = append(out, joinRowString(append(append([]any{}, p...), nulls(nBuild)...)))
		}
	}
	if kind.padsProbe() {
		for bi, b := range build {
			if !buildMatched[bi] {
				out = append(out, joinRowString(append(nulls(nProbe), b...)))
			}
		}
	}
	slices.Sort(out)
	return out
}

// joinPred is a fake expr.Evaluator computing a SQL predicate row by row
// over the joined batch.
type joinPred struct {
	fn  func(row []any) tri
	err error
}

func (p joinPred) Type() types.Type { return types.BooleanType }

func (p joinPred) Eval(ctx *expr.Context, b arrow.RecordBatch) (arrow.Array, error) {
	if p.err != nil {
		return nil, p.err
	}
	bb := array.NewBooleanBuilder(ctx.Mem)
	defer bb.Release()
	for _, row := range joinBatchRows(b) {
		switch p.fn(row) {
		case triTrue:
			bb.Append(true)
		case triFalse:
			bb.Append(false)
		default:
			bb.AppendNull()
		}
	}
	return bb.NewArray(), nil
}

// joinOffset shifts a predicate over (probe, build) rows to the joined row
// with nProbe probe columns.
func joinOffset(nProbe int, f func(p, b []any) tri) func(row []any) tri {
	return func(row []any) tri { return f(row[:nProbe], row[nProbe:]) }
}

func sameRows(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("rows differ\n got (%d): %v\nwant (%d): %v", len(got), got, len(want), want)
	}
}
