package expr

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

const benchRows = 1 << 16 // one engine batch

// benchBatch builds a batch with columns i (BIGINT), f (DOUBLE), ts
// (TIMESTAMP, one row a second from 2024-01-01), s (VARCHAR) and b
// (BOOLEAN), every 10th row NULL when nulls is set.
func benchBatch(nulls bool) (arrow.RecordBatch, map[string]*logical.ColumnRef, Layout) {
	mem := memory.DefaultAllocator
	r := rand.New(rand.NewPCG(1, 2))
	valid := make([]bool, benchRows)
	for k := range valid {
		valid[k] = !nulls || k%10 != 0
	}
	ib := array.NewInt64Builder(mem)
	fb := array.NewFloat64Builder(mem)
	tb := array.NewTimestampBuilder(mem, types.TimestampType.ArrowType().(*arrow.TimestampType))
	sb := array.NewStringBuilder(mem)
	bb := array.NewBooleanBuilder(mem)
	words := []string{"streamsql", "stream processing", "duckdb", "arrow columnar", "sql engine", "Stream"}
	base := mustTS("2024-01-01 00:00:00")
	for k := 0; k < benchRows; k++ {
		ib.Append(r.Int64N(1000))
		fb.Append(r.Float64() * 1000)
		tb.Append(arrow.Timestamp(base + int64(k)*1e6))
		sb.Append(words[r.IntN(len(words))] + fmt.Sprint(k%100))
		bb.Append(r.IntN(2) == 0)
	}
	var cols []arrow.Array
	for _, b := range []array.Builder{ib, fb, tb, sb, bb} {
		a := b.NewArray()
		b.Release()
		if nulls {
			idx := allRows(benchRows)
			for k, ok := range valid {
				if !ok {
					idx[k] = -1
				}
			}
			t, _ := take(mem, a, idx)
			a.Release()
			a = t
		}
		cols = append(cols, a)
	}
	names := []string{"i", "f", "ts", "s", "b"}
	ts := []types.Type{tB, tD, tT, tV, tL}
	refs := map[string]*logical.ColumnRef{}
	layout := Layout{}
	var fields []arrow.Field
	for k, n := range names {
		refs[n] = &logical.ColumnRef{ID: logical.ColumnID(k + 1), Name: n, T: ts[k]}
		layout[logical.ColumnID(k+1)] = k
		fields = append(fields, arrow.Field{Name: n, Type: cols[k].DataType(), Nullable: true})
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, benchRows)
	releaseAll(cols)
	return rec, refs, layout
}

func benchSQL(b *testing.B, sql string, bytesPerRow int, nulls bool) {
	rec, refs, layout := benchBatch(nulls)
	defer rec.Release()
	e, err := bindSQL(sql, refs)
	if err != nil {
		b.Fatal(err)
	}
	ev, err := Compile(e, layout)
	if err != nil {
		b.Fatal(err)
	}
	ctx := &Context{Mem: memory.DefaultAllocator}
	b.SetBytes(int64(bytesPerRow * benchRows))
	b.ResetTimer()
	for b.Loop() {
		out, err := ev.Eval(ctx, rec)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
}

func BenchmarkCompareConstInt64(b *testing.B)      { benchSQL(b, "i > 500", 8, false) }
func BenchmarkCompareConstInt64Nulls(b *testing.B) { benchSQL(b, "i > 500", 8, true) }
func BenchmarkCompareConstFloat64(b *testing.B)    { benchSQL(b, "f >= 500.5", 8, false) }
func BenchmarkCompareColumns(b *testing.B)         { benchSQL(b, "i < f", 16, false) }
func BenchmarkCompareStringConst(b *testing.B)     { benchSQL(b, "s = 'duckdb7'", 16, false) }
func BenchmarkAddConstInt64(b *testing.B)          { benchSQL(b, "i + 7", 8, false) }
func BenchmarkMulColumnsInt64(b *testing.B)        { benchSQL(b, "i * i", 8, false) }
func BenchmarkFilterAnd(b *testing.B)              { benchSQL(b, "i > 100 AND i < 900", 8, true) }
func BenchmarkDateTrunc(b *testing.B)              { benchSQL(b, "date_trunc('minute', ts)", 8, false) }
func BenchmarkDateTruncMonth(b *testing.B)         { benchSQL(b, "date_trunc('month', ts)", 8, false) }
func BenchmarkDateBin(b *testing.B)                { benchSQL(b, "date_bin(INTERVAL '5 minutes', ts)", 8, false) }
func BenchmarkDatePartHour(b *testing.B)           { benchSQL(b, "date_part('hour', ts)", 8, false) }
func BenchmarkLikePrefix(b *testing.B)             { benchSQL(b, "s LIKE 'stream%'", 16, false) }
func BenchmarkLikeContains(b *testing.B)           { benchSQL(b, "s LIKE '%sql%'", 16, false) }
func BenchmarkLikeGeneral(b *testing.B)            { benchSQL(b, "s LIKE 's%e_m%1'", 16, false) }
func BenchmarkILikePrefix(b *testing.B)            { benchSQL(b, "s ILIKE 'stream%'", 16, false) }
func BenchmarkLower(b *testing.B)                  { benchSQL(b, "lower(s)", 16, false) }
func BenchmarkInListInt64(b *testing.B)            { benchSQL(b, "i IN (1, 5, 10, 50, 100, 500)", 8, false) }
func BenchmarkCaseWhen(b *testing.B) {
	benchSQL(b, "CASE WHEN i > 500 THEN 'hi' ELSE 'lo' END", 8, false)
}
func BenchmarkCastIntToVarchar(b *testing.B) { benchSQL(b, "CAST(i AS VARCHAR)", 8, false) }
func BenchmarkJSONGet(b *testing.B) {
	benchSQL(b, `json_get_int('{"a": {"b": 1}, "c": [1, 2, 3]}' || s, 'c', 2)`, 16, false)
}
