//go:build duckdb

package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// The bench tables. facts.parquet: ts TIMESTAMP (µs, no zone: DuckDB reads
// it as plain TIMESTAMP, streamsql as its UTC TIMESTAMP without a copy)
// rising over one day, key VARCHAR (1,000 values), status VARCHAR (5
// values, skewed), amount DOUBLE in [0, 1000) at full precision (so top-N
// has no ties), user_id BIGINT in 1..10,000; zstd, row groups of 1M rows.
// users.parquet: user_id 1..10,000, name, segment (5 values).
const (
	benchGenVersion = "streamsql-bench-batch-v1"
	benchGenKey     = "streamsql.bench.generator"
	benchRowGroup   = 1_000_000
	benchUsers      = 10_000
)

var (
	benchStatuses = []string{"paid", "paid", "paid", "paid", "shipped", "shipped", "pending", "pending", "refunded", "cancelled"}
	benchSegments = []string{"consumer", "smb", "mid-market", "enterprise", "partner"}
	benchBase     = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
)

// benchFiles returns the two file paths in dir, generating them unless
// files of the same generator and row count are already there.
func benchFiles(dir string, rows int64, log func(string, ...any)) (facts, users string, err error) {
	facts, users = filepath.Join(dir, "facts.parquet"), filepath.Join(dir, "users.parquet")
	if parquetMatches(facts, rows) && parquetMatches(users, benchUsers) {
		log("reusing %s (%d rows) and %s", facts, rows, users)
		return facts, users, nil
	}
	start := time.Now()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	if err := writeBenchFacts(facts, rows); err != nil {
		return "", "", fmt.Errorf("generating %s: %w", facts, err)
	}
	if err := writeBenchUsers(users); err != nil {
		return "", "", fmt.Errorf("generating %s: %w", users, err)
	}
	log("generated %d fact rows and %d users in %s", rows, benchUsers, time.Since(start).Round(time.Millisecond))
	return facts, users, nil
}

// parquetMatches reports whether path is a bench file of this generator
// version with rows rows.
func parquetMatches(path string, rows int64) bool {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return false
	}
	defer pf.Close()
	md := pf.MetaData()
	v := md.KeyValueMetadata().FindValue(benchGenKey)
	return md.NumRows == rows && v != nil && *v == benchGenVersion
}

func benchWriter(path string, schema *arrow.Schema) (*pqarrow.FileWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	props := parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithMaxRowGroupLength(benchRowGroup),
	)
	w, err := pqarrow.NewFileWriter(schema, f, props, pqarrow.DefaultWriterProps())
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := w.AppendKeyValueMetadata(benchGenKey, benchGenVersion); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

var benchFactSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
	{Name: "key", Type: arrow.BinaryTypes.String},
	{Name: "status", Type: arrow.BinaryTypes.String},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64},
	{Name: "user_id", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// writeBenchFacts builds the fact table one row group at a time, the next
// chunk being built while the previous one is compressed and written.
func writeBenchFacts(path string, rows int64) error {
	w, err := benchWriter(path, benchFactSchema)
	if err != nil {
		return err
	}
	type chunk struct {
		rec arrow.RecordBatch
	}
	chunks := make(chan chunk, 1)
	go func() {
		defer close(chunks)
		for start, n := int64(0), int64(0); start < rows; start += n {
			n = min(benchRowGroup, rows-start)
			chunks <- chunk{benchFactChunk(start, n, rows)}
		}
	}()
	var werr error
	for c := range chunks {
		if werr == nil {
			werr = w.Write(c.rec)
		}
		c.rec.Release()
	}
	if err := w.Close(); werr == nil {
		werr = err
	}
	return werr
}

// benchFactChunk builds rows [start, start+n) of a table of total rows,
// deterministically (the generator is seeded by the chunk's start).
func benchFactChunk(start, n, total int64) arrow.RecordBatch {
	mem := memory.DefaultAllocator
	r := rand.New(rand.NewPCG(uint64(start), 0x5eed))
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("key_%04d", i)
	}
	ts := make([]arrow.Timestamp, n)
	amount := make([]float64, n)
	user := make([]int64, n)
	step := float64(24*time.Hour/time.Microsecond) / float64(total)
	base := benchBase.UnixMicro()
	kb := array.NewStringBuilder(mem)
	sb := array.NewStringBuilder(mem)
	defer kb.Release()
	defer sb.Release()
	kb.Reserve(int(n))
	kb.ReserveData(int(n) * 8)
	sb.Reserve(int(n))
	sb.ReserveData(int(n) * 7)
	for i := int64(0); i < n; i++ {
		g := float64(start + i)
		ts[i] = arrow.Timestamp(base + int64(g*step+r.Float64()*step))
		kb.Append(keys[r.IntN(len(keys))])
		sb.Append(benchStatuses[r.IntN(len(benchStatuses))])
		amount[i] = r.Float64() * 1000
		user[i] = 1 + r.Int64N(benchUsers)
	}
	tb := array.NewTimestampBuilder(mem, benchFactSchema.Field(0).Type.(*arrow.TimestampType))
	defer tb.Release()
	tb.AppendValues(ts, nil)
	ab := array.NewFloat64Builder(mem)
	defer ab.Release()
	ab.AppendValues(amount, nil)
	ub := array.NewInt64Builder(mem)
	defer ub.Release()
	ub.AppendValues(user, nil)
	cols := []arrow.Array{tb.NewArray(), kb.NewArray(), sb.NewArray(), ab.NewArray(), ub.NewArray()}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	return array.NewRecordBatch(benchFactSchema, cols, n)
}

func writeBenchUsers(path string) error {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "user_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String},
		{Name: "segment", Type: arrow.BinaryTypes.String},
	}, nil)
	r := rand.New(rand.NewPCG(1, 0x5eed))
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for id := int64(1); id <= benchUsers; id++ {
		b.Field(0).(*array.Int64Builder).Append(id)
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("user_%05d", id))
		b.Field(2).(*array.StringBuilder).Append(benchSegments[r.IntN(len(benchSegments))])
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	w, err := benchWriter(path, schema)
	if err != nil {
		return err
	}
	if err := w.Write(rec); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
