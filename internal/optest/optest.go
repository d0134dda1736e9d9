// Package optest is test support shared by the operator packages' tests
// (operators and its subpackages): checked allocators, batches built from
// rows of Go values, and cells rendered for expected-output strings. Only
// _test files import it. It depends on Arrow alone, so that the operators
// package's own tests can use it without an import cycle.
package optest

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// CheckedMem returns an allocator that must hold no bytes once t (and its
// subtests and earlier cleanups) are done: a leak fails t.
func CheckedMem(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// Batch builds a batch of schema s from rows of Go values, one per field:
// nil is NULL; BIGINT, INTEGER, TIMESTAMP and DATE columns take an int or
// the column's Go type (int64, int32, arrow.Timestamp, arrow.Date32);
// DOUBLE takes a float64, VARCHAR a string, BOOLEAN a bool, INTERVAL an
// arrow.MonthDayNanoInterval. The caller releases the batch.
func Batch(t testing.TB, mem memory.Allocator, s *arrow.Schema, rows [][]any) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	for _, row := range rows {
		if len(row) != s.NumFields() {
			t.Fatalf("row %v has %d values, want %d", row, len(row), s.NumFields())
		}
		for c, v := range row {
			fb := b.Field(c)
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.Int64Builder:
				fb.Append(intOr[int64](v))
			case *array.Int32Builder:
				fb.Append(intOr[int32](v))
			case *array.Float64Builder:
				fb.Append(v.(float64))
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.BooleanBuilder:
				fb.Append(v.(bool))
			case *array.TimestampBuilder:
				fb.Append(intOr[arrow.Timestamp](v))
			case *array.Date32Builder:
				fb.Append(intOr[arrow.Date32](v))
			case *array.MonthDayNanoIntervalBuilder:
				fb.Append(v.(arrow.MonthDayNanoInterval))
			default:
				t.Fatalf("building a batch: unsupported builder %T", fb)
			}
		}
	}
	return b.NewRecordBatch()
}

// intOr converts an int to T; any other v must be a T.
func intOr[T ~int32 | ~int64](v any) T {
	if i, ok := v.(int); ok {
		return T(i)
	}
	return v.(T)
}

// Cell renders row i of a as expected-output strings write it: NULL, a
// timestamp as its µs since the epoch, anything else as Arrow's ValueStr.
// (A NULL-typed array has no validity bitmap: its rows read "(null)".)
func Cell(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	if ts, ok := a.(*array.Timestamp); ok {
		return fmt.Sprint(int64(ts.Value(i)))
	}
	return a.ValueStr(i)
}
