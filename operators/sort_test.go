package operators

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// xoCompareValues orders two non-NULL Go values of one kind.
func xoCompareValues(a, b any) int {
	switch a := a.(type) {
	case int:
		return cmp.Compare(a, b.(int))
	case float64:
		b := b.(float64)
		an, bn := math.IsNaN(a), math.IsNaN(b)
		switch {
		case an && bn:
			return 0
		case an:
			return 1
		case bn:
			return -1
		}
		return cmp.Compare(a, b)
	case string:
		return strings.Compare(a, b.(string))
	case bool:
		bb := b.(bool)
		switch {
		case a == bb:
			return 0
		case !a:
			return -1
		}
		return 1
	case arrow.MonthDayNanoInterval:
		span := func(v arrow.MonthDayNanoInterval) int64 {
			return (int64(v.Months)*30+int64(v.Days))*86_400_000_000 + v.Nanoseconds/1000
		}
		return cmp.Compare(span(a), span(b.(arrow.MonthDayNanoInterval)))
	}
	panic(fmt.Sprintf("xoCompareValues: %T", a))
}

// xoRefSort is the reference ORDER BY: a stable sort of Go rows.
func xoRefSort(rows [][]any, keys []SortKey) [][]any {
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(x, y []any) int {
		for _, k := range keys {
			a, b := x[k.Col], y[k.Col]
			var r int
			switch {
			case a == nil && b == nil:
				r = 0
			case a == nil:
				r = 1
				if k.NullsFirst {
					r = -1
				}
			case b == nil:
				r = -1
				if k.NullsFirst {
					r = 1
				}
			default:
				r = xoCompareValues(a, b)
				if k.Desc {
					r = -r
				}
			}
			if r != 0 {
				return r
			}
		}
		return 0
	})
	return out
}

func TestSortBasic(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, in := xoSortInput(t, mem)
	defer releaseBatches(in)

	for _, tc := range []struct {
		key  SortKey
		want []string
	}{
		{SortKey{Col: 0}, []string{"c", "e", "d", "a", "g", "b", "f"}},
		{SortKey{Col: 0, NullsFirst: true}, []string{"b", "f", "c", "e", "d", "a", "g"}},
		{SortKey{Col: 0, Desc: true}, []string{"a", "g", "d", "c", "e", "b", "f"}},
		{SortKey{Col: 0, Desc: true, NullsFirst: true}, []string{"b", "f", "a", "g", "d", "c", "e"}},
		{SortKey{Col: 1, Desc: true}, []string{"g", "f", "e", "d", "c", "b", "a"}},
	} {
		got, err := xoRun(t, mem, NewSort(s, []SortKey{tc.key}), in)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range got {
			names = append(names, r[1].(string))
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("%+v: got %v, want %v", tc.key, names, tc.want)
		}
	}
}

func TestSortEmpty(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Int64)
	e := xoBatch(t, mem, s)
	defer e.Release()
	got, err := xoRun(t, mem, NewSort(s, []SortKey{{Col: 0}}), []arrow.RecordBatch{e, e})
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v", got, err)
	}
	got, err = xoRun(t, mem, NewSort(s, []SortKey{{Col: 0}}), nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestSortFloatSpecials(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int64)
	nan, negNaN := math.NaN(), math.Copysign(math.NaN(), -1)
	b := xoBatch(t, mem, s,
		[]any{nan, 0}, []any{1.5, 1}, []any{math.Inf(1), 2}, []any{math.Copysign(0, -1), 3},
		[]any{nil, 4}, []any{0.0, 5}, []any{math.Inf(-1), 6}, []any{negNaN, 7}, []any{-2.0, 8})
	defer b.Release()
	got, err := xoRun(t, mem, NewSort(s, []SortKey{{Col: 0}}), []arrow.RecordBatch{b})
	if err != nil {
		t.Fatal(err)
	}
	var order []int
	for _, r := range got {
		order = append(order, r[1].(int))
	}
	// -Inf, -2, -0 and 0 (equal: input order), 1.5, +Inf, NaNs (equal), NULL.
	if want := []int{6, 8, 3, 5, 1, 2, 0, 7, 4}; !slices.Equal(order, want) {
		t.Fatalf("got %v, want %v", order, want)
	}
	got, err = xoRun(t, mem, NewSort(s, []SortKey{{Col: 0, Desc: true, NullsFirst: true}}), []arrow.RecordBatch{b})
	if err != nil {
		t.Fatal(err)
	}
	order = order[:0]
	for _, r := range got {
		order = append(order, r[1].(int))
	}
	if want := []int{4, 0, 7, 2, 1, 3, 5, 8, 6}; !slices.Equal(order, want) {
		t.Fatalf("desc: got %v, want %v", order, want)
	}
}

// xoRandomValue returns a random value for a column of type dt, with few
// distinct values so that ties are common.
func xoRandomValue(r *rand.Rand, dt arrow.DataType, nullRate float64) any {
	if r.Float64() < nullRate {
		return nil
	}
	switch dt.ID() {
	case arrow.INT64, arrow.INT32, arrow.TIMESTAMP, arrow.DATE32:
		return r.IntN(20) - 10
	case arrow.FLOAT64:
		switch r.IntN(12) {
		case 0:
			return math.NaN()
		case 1:
			return math.Inf(-1)
		}
		return float64(r.IntN(10)) / 4
	case arrow.STRING:
		return strings.Repeat("ab", r.IntN(3)) + string(rune('a'+r.IntN(4))) + strings.Repeat("z", r.IntN(8))
	case arrow.BOOL:
		return r.IntN(2) == 0
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return arrow.MonthDayNanoInterval{Months: int32(r.IntN(3)), Days: int32(r.IntN(40)), Nanoseconds: int64(r.IntN(3)) * 1000}
	}
	panic(dt)
}

var xoAllTypes = []arrow.DataType{
	arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Float64, arrow.BinaryTypes.String,
	arrow.FixedWidthTypes.Boolean, xoTS, arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.MonthDayNanoInterval,
}

// xoRandomInput returns random batches (some empty) over s, and their rows
// with a unique id in the last column.
func xoRandomInput(t testing.TB, mem memory.Allocator, r *rand.Rand, s *arrow.Schema, rows int, nullRate float64) ([]arrow.RecordBatch, [][]any) {
	var batches []arrow.RecordBatch
	var all [][]any
	for len(all) < rows {
		n := min(rows-len(all), r.IntN(3000))
		if r.IntN(5) == 0 {
			n = 0
		}
		var rs [][]any
		for range n {
			row := make([]any, s.NumFields())
			for c := range s.NumFields() - 1 {
				row[c] = xoRandomValue(r, s.Field(c).Type, nullRate)
			}
			row[len(row)-1] = len(all) + len(rs)
			rs = append(rs, row)
		}
		batches = append(batches, xoBatch(t, mem, s, rs...))
		all = append(all, rs...)
	}
	return batches, all
}

func xoRandomKeys(r *rand.Rand, ncols int) []SortKey {
	keys := make([]SortKey, 1+r.IntN(3))
	for i := range keys {
		keys[i] = SortKey{Col: r.IntN(ncols), Desc: r.IntN(2) == 0, NullsFirst: r.IntN(2) == 0}
	}
	return keys
}

// TestSortRandom compares Sort with the reference on random data over
// every key type, one to three keys, many ties, NULLs and several batches.
func TestSortRandom(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(5, 6))
	for iter := range 80 {
		ncols := 1 + r.IntN(3)
		dts := make([]arrow.DataType, ncols+1)
		for c := range ncols {
			dts[c] = xoAllTypes[r.IntN(len(xoAllTypes))]
		}
		dts[ncols] = arrow.PrimitiveTypes.Int64 // row id, to check stability
		s := xoSchema(dts...)
		rows := r.IntN(4 * BatchSize / 3)
		if iter%10 == 0 {
			rows = r.IntN(10)
		}
		batches, all := xoRandomInput(t, mem, r, s, rows, []float64{0, 0.2}[iter%2])
		keys := xoRandomKeys(r, ncols)
		got, err := xoRun(t, mem, NewSort(s, keys), batches)
		releaseBatches(batches)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprintf("%d-%v-%v", iter, dts, keys), func(t *testing.T) {
			xoEqualRows(t, got, xoRefSort(all, keys))
		})
	}
}

// TestSortLarge exercises the radix and string fast paths with more than
// one output batch, checking batch sizes.
func TestSortLarge(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(7, 8))
	for _, dt := range []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64, arrow.BinaryTypes.String} {
		s := xoSchema(dt, arrow.PrimitiveTypes.Int64)
		var batches []arrow.RecordBatch
		var all [][]any
		for b := range 5 {
			var rs [][]any
			for i := range 5000 {
				var v any
				switch dt.ID() {
				case arrow.INT64:
					v = int(r.Int64()) >> r.IntN(60)
				case arrow.FLOAT64:
					v = r.NormFloat64() * 1e6
				case arrow.STRING:
					v = fmt.Sprintf("k%x", r.Uint32()>>r.IntN(30))
				}
				if i%97 == 0 {
					v = nil
				}
				rs = append(rs, []any{v, b*5000 + i})
			}
			batches = append(batches, xoBatch(t, mem, s, rs...))
			all = append(all, rs...)
		}
		keys := []SortKey{{Col: 0, Desc: true}}
		op := NewSort(s, keys)
		sink := &xoSink{t: t, schema: s, maxRows: BatchSize}
		ctx := context.Background()
		if err := op.Open(ctx, mem); err != nil {
			t.Fatal(err)
		}
		for _, b := range batches {
			if err := op.ProcessBatch(ctx, 0, b, sink.emit); err != nil {
				t.Fatal(err)
			}
		}
		releaseBatches(batches)
		if err := op.EndOfInput(ctx, 0, sink.emit); err != nil {
			t.Fatal(err)
		}
		op.Close()
		if len(sink.batches) != 4 {
			t.Errorf("%s: got %d batches, want 4", dt, len(sink.batches))
		}
		xoEqualRows(t, sink.rows(), xoRefSort(all, keys))
		sink.release()
	}
}

func TestSortEmitError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Int64)
	var rows [][]any
	for i := range 3 * BatchSize {
		rows = append(rows, []any{i % 7})
	}
	b := xoBatch(t, mem, s, rows...)
	defer b.Release()
	op := NewSort(s, []SortKey{{Col: 0}})
	ctx := context.Background()
	if err := op.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	sink := &xoSink{t: t, failAt: 2, failErr: ErrDone}
	defer sink.release()
	if err := op.ProcessBatch(ctx, 0, b, sink.emit); err != nil {
		t.Fatal(err)
	}
	if err := op.EndOfInput(ctx, 0, sink.emit); err != ErrDone {
		t.Fatalf("got %v, want ErrDone", err)
	}
}

func TestSortBadKey(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Int64)
	if err := NewSort(s, []SortKey{{Col: 3}}).Open(context.Background(), mem); err == nil {
		t.Fatal("want an error for an out-of-range key")
	}
	s2 := arrow.NewSchema([]arrow.Field{{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}, nil)
	if err := NewSort(s2, []SortKey{{Col: 0}}).Open(context.Background(), mem); err == nil {
		t.Fatal("want an error for an unsupported key type")
	}
}

func xoInt64Batches(n int, gen func(i int) int64) []arrow.RecordBatch {
	mem := memory.NewGoAllocator()
	s := xoSchema(arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64)
	var out []arrow.RecordBatch
	for start := 0; start < n; start += BatchSize {
		m := min(BatchSize, n-start)
		kb := array.NewInt64Builder(mem)
		vb := array.NewInt64Builder(mem)
		for i := range m {
			kb.Append(gen(start + i))
			vb.Append(int64(start + i))
		}
		cols := []arrow.Array{kb.NewArray(), vb.NewArray()}
		out = append(out, array.NewRecordBatch(s, cols, int64(m)))
		ReleaseAll(cols)
		kb.Release()
		vb.Release()
	}
	return out
}

func xoBenchOp(b *testing.B, mk func() Operator, batches []arrow.RecordBatch) {
	mem := memory.NewGoAllocator()
	ctx := context.Background()
	emit := func(b arrow.RecordBatch) error { b.Release(); return nil }
	b.ReportAllocs()
	for b.Loop() {
		op := mk()
		if err := op.Open(ctx, mem); err != nil {
			b.Fatal(err)
		}
		for _, bt := range batches {
			if err := op.ProcessBatch(ctx, 0, bt, emit); err != nil {
				b.Fatal(err)
			}
		}
		if err := op.EndOfInput(ctx, 0, emit); err != nil {
			b.Fatal(err)
		}
		op.Close()
	}
}

// BenchmarkSortInt64 sorts 1M rows (an int64 key and an int64 payload).
func BenchmarkSortInt64(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	batches := xoInt64Batches(1<<20, func(int) int64 { return r.Int64() })
	defer releaseBatches(batches)
	s := batches[0].Schema()
	xoBenchOp(b, func() Operator { return NewSort(s, []SortKey{{Col: 0}}) }, batches)
}

// BenchmarkSortInt64TwoKeys sorts 1M rows by a low-cardinality int64 key,
// then the payload descending.
func BenchmarkSortInt64TwoKeys(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	batches := xoInt64Batches(1<<20, func(int) int64 { return r.Int64N(100) })
	defer releaseBatches(batches)
	s := batches[0].Schema()
	xoBenchOp(b, func() Operator { return NewSort(s, []SortKey{{Col: 0}, {Col: 1, Desc: true}}) }, batches)
}

// BenchmarkSortString sorts 1M rows by a random string key.
func BenchmarkSortString(b *testing.B) {
	mem := memory.NewGoAllocator()
	r := rand.New(rand.NewPCG(11, 12))
	s := xoSchema(arrow.BinaryTypes.String)
	var batches []arrow.RecordBatch
	for range (1 << 20) / BatchSize {
		sb := array.NewStringBuilder(mem)
		for range BatchSize {
			sb.Append(fmt.Sprintf("customer#%09d", r.IntN(1e9)))
		}
		col := sb.NewArray()
		batches = append(batches, array.NewRecordBatch(s, []arrow.Array{col}, BatchSize))
		col.Release()
		sb.Release()
	}
	defer releaseBatches(batches)
	xoBenchOp(b, func() Operator { return NewSort(s, []SortKey{{Col: 0}}) }, batches)
}

// TestSortStringTies covers strings that share long prefixes, differ only
// by trailing zero bytes, or are empty.
func TestSortStringTies(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	vals := []string{"ab", "ab\x00", "", "ab\x00\x00c", "ab", "abcdefghij", "abcdefghi", "abcdefghij\x00", "", "b", "abcdefgh"}
	for _, prefix := range []string{"", "common-prefix/"} {
		var rows [][]any
		for i, v := range vals {
			rows = append(rows, []any{prefix + v, i})
		}
		rows = append(rows, []any{nil, len(vals)})
		b := xoBatch(t, mem, s, rows...)
		for _, keys := range [][]SortKey{{{Col: 0}}, {{Col: 0, Desc: true}}, {{Col: 0, Desc: true}, {Col: 1, Desc: true}}} {
			got, err := xoRun(t, mem, NewSort(s, keys), []arrow.RecordBatch{b})
			if err != nil {
				t.Fatal(err)
			}
			xoEqualRows(t, got, xoRefSort(rows, keys))
		}
		b.Release()
	}
}

// TestSortRadix checks the radix sort, including its most-significant-byte
// split for large inputs, against a stable comparison sort.
func TestSortRadix(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, tc := range []struct {
		n    int
		keys func() uint64
	}{
		{100, func() uint64 { return r.Uint64N(10) }},
		{5000, func() uint64 { return r.Uint64() }},
		{200_000, func() uint64 { return r.Uint64() >> r.IntN(64) }},
		{200_000, func() uint64 { return r.Uint64N(1000) << 40 }},
		{100_000, func() uint64 { return 42 }},
		{70_000, func() uint64 { return math.MaxUint64 - r.Uint64N(3) }},
	} {
		items := make([]sortItem, tc.n)
		for i := range items {
			items[i] = sortItem{tc.keys(), int32(i)}
		}
		want := slices.Clone(items)
		slices.SortStableFunc(want, func(a, b sortItem) int { return cmp.Compare(a.key, b.key) })
		got := sortRadix(items, make([]sortItem, tc.n))
		for i := range got {
			if got[i].row != want[i].row {
				t.Fatalf("n=%d: row %d is %d, want %d", tc.n, i, got[i].row, want[i].row)
			}
		}
	}
}

// TestSortLargeMultiKey sorts enough rows for the radix sort's
// most-significant-byte split, by a string key with many ties and then a
// numeric one.
func TestSortLargeMultiKey(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(21, 22))
	s := xoSchema(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int64)
	var batches []arrow.RecordBatch
	var all [][]any
	for b := range 10 {
		var rs [][]any
		for i := range 10_000 {
			var k any = fmt.Sprintf("prefix-%d-%s", r.IntN(300), strings.Repeat("x", r.IntN(3)))
			if r.IntN(50) == 0 {
				k = nil
			}
			var f any = float64(r.IntN(5))
			if r.IntN(20) == 0 {
				f = nil
			}
			rs = append(rs, []any{k, f, b*10_000 + i})
		}
		batches = append(batches, xoBatch(t, mem, s, rs...))
		all = append(all, rs...)
	}
	defer releaseBatches(batches)
	for _, keys := range [][]SortKey{
		{{Col: 0}, {Col: 1, Desc: true}},
		{{Col: 1, NullsFirst: true}, {Col: 0, Desc: true}},
		{{Col: 2, Desc: true}},
	} {
		got, err := xoRun(t, mem, NewSort(s, keys), batches)
		if err != nil {
			t.Fatal(err)
		}
		xoEqualRows(t, got, xoRefSort(all, keys))
	}
}
