package operators

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchJoinData is a fact table (probe) and a 10k-row dimension table
// (build), as in the DuckDB comparison query.
type benchJoinData struct {
	build, probe             []arrow.RecordBatch
	buildSchema, probeSchema *arrow.Schema
	probeRows                int
}

func (d *benchJoinData) release() {
	releaseBatches(d.build)
	releaseBatches(d.probe)
}

// newBenchJoinData makes dimension rows (id BIGINT, name VARCHAR, cat
// BIGINT) with ids 0..dim-1 and fact rows (fk BIGINT, fname VARCHAR,
// amount DOUBLE, qty BIGINT) whose fk is uniform in [0, fkRange).
func newBenchJoinData(mem memory.Allocator, dim, facts, fkRange int) *benchJoinData {
	d := &benchJoinData{
		buildSchema: joinSchema("id", arrow.PrimitiveTypes.Int64, "name", arrow.BinaryTypes.String, "cat", arrow.PrimitiveTypes.Int64),
		probeSchema: joinSchema("fk", arrow.PrimitiveTypes.Int64, "fname", arrow.BinaryTypes.String, "amount", arrow.PrimitiveTypes.Float64, "qty", arrow.PrimitiveTypes.Int64),
		probeRows:   facts,
	}
	bb := array.NewRecordBuilder(mem, d.buildSchema)
	defer bb.Release()
	for i := range dim {
		bb.Field(0).(*array.Int64Builder).Append(int64(i))
		bb.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("name-%05d", i))
		bb.Field(2).(*array.Int64Builder).Append(int64(i % 17))
	}
	d.build = []arrow.RecordBatch{bb.NewRecordBatch()}
	rng := rand.New(rand.NewPCG(1, 2))
	pb := array.NewRecordBuilder(mem, d.probeSchema)
	defer pb.Release()
	for done := 0; done < facts; {
		n := min(BatchSize, facts-done)
		for range n {
			fk := rng.IntN(fkRange)
			pb.Field(0).(*array.Int64Builder).Append(int64(fk))
			pb.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("name-%05d", fk))
			pb.Field(2).(*array.Float64Builder).Append(rng.Float64() * 100)
			pb.Field(3).(*array.Int64Builder).Append(int64(rng.IntN(10)))
		}
		d.probe = append(d.probe, pb.NewRecordBatch())
		done += n
	}
	return d
}

func benchHashJoin(b *testing.B, kind JoinKind, fkRange int, keyCol int) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	d := newBenchJoinData(mem, 10_000, 1_000_000, fkRange)
	defer d.release()
	op, err := NewHashJoin(HashJoinSpec{
		Kind: kind, Build: d.buildSchema, Probe: d.probeSchema,
		BuildKeys: []int{keyCol}, ProbeKeys: []int{keyCol},
		OutSchema: joinOutSchema(kind, d.probeSchema, d.buildSchema),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	out := 0
	emit := func(r arrow.RecordBatch) error {
		out += int(r.NumRows())
		r.Release()
		return nil
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out = 0
		if err := op.Open(ctx, mem); err != nil {
			b.Fatal(err)
		}
		for _, r := range d.build {
			if err := op.ProcessBatch(ctx, 0, r, emit); err != nil {
				b.Fatal(err)
			}
		}
		if err := op.EndOfInput(ctx, 0, emit); err != nil {
			b.Fatal(err)
		}
		for _, r := range d.probe {
			if err := op.ProcessBatch(ctx, 1, r, emit); err != nil {
				b.Fatal(err)
			}
		}
		if err := op.EndOfInput(ctx, 1, emit); err != nil {
			b.Fatal(err)
		}
		if err := op.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(d.probeRows)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
	b.ReportMetric(float64(out), "outrows")
}

// BenchmarkHashJoin joins a 1M-row fact table with a 10k-row dimension
// table on a BIGINT key (every fact row matches once).
func BenchmarkHashJoin(b *testing.B) {
	b.Run("inner-int64", func(b *testing.B) { benchHashJoin(b, JoinInner, 10_000, 0) })
	b.Run("left-int64-half-match", func(b *testing.B) { benchHashJoin(b, JoinLeft, 20_000, 0) })
	b.Run("semi-int64", func(b *testing.B) { benchHashJoin(b, JoinSemi, 20_000, 0) })
	b.Run("right-int64", func(b *testing.B) { benchHashJoin(b, JoinRight, 5_000, 0) })
	b.Run("inner-string", func(b *testing.B) { benchHashJoin(b, JoinInner, 10_000, 1) })
}
