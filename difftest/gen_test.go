//go:build duckdb

package difftest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// The generated tables. Every value comes from a fixed-seed PCG, so the
// files (and so the expected answers) are the same on every run.
//
//	facts  (20,000 rows) id, user_id (NULLs), status (5 values + NULLs),
//	       country, amount (NULLs, duplicates, a few negatives), qty INTEGER,
//	       ts TIMESTAMP over four days, day DATE, flag BOOLEAN, note VARCHAR
//	       (empty strings, NULLs, LIKE metacharacters)
//	users  (350 rows) user_id with duplicates, NULLs and ids no fact has;
//	       name, plan
//	nk     (60 rows) NULL-heavy join keys k, s and a value v
const (
	factRows = 20000
	seed1    = 20260301
	seed2    = 7
)

var (
	tsUTC     = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	baseTime  = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	statuses  = []string{"paid", "shipped", "pending", "refunded", "cancelled"}
	countries = []string{"US", "DE", "FR", "BR", "JP", "IN", "GB", "CA"}
	plans     = []string{"free", "pro", "team"}
	notes     = []string{"express", "Express delivery", "  gift wrap  ", "call before", "50% off",
		"a_b", "n/a", "x,y,z", "Zürich depot", "leave at door", "EXPRESS", "fragile;glass"}
	dupAmounts = []float64{0, 9.99, 10, 19.5, 100, 250.25, 1000, 0.1}
)

func nullable(name string, t arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: t, Nullable: true}
}

// genFacts builds the fact table.
func genFacts(mem memory.Allocator) arrow.RecordBatch {
	r := rand.New(rand.NewPCG(seed1, seed2))
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		nullable("user_id", arrow.PrimitiveTypes.Int64),
		nullable("status", arrow.BinaryTypes.String),
		nullable("country", arrow.BinaryTypes.String),
		nullable("amount", arrow.PrimitiveTypes.Float64),
		nullable("qty", arrow.PrimitiveTypes.Int32),
		nullable("ts", tsUTC),
		nullable("day", arrow.FixedWidthTypes.Date32),
		nullable("flag", arrow.FixedWidthTypes.Boolean),
		nullable("note", arrow.BinaryTypes.String),
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	id := b.Field(0).(*array.Int64Builder)
	user := b.Field(1).(*array.Int64Builder)
	status := b.Field(2).(*array.StringBuilder)
	country := b.Field(3).(*array.StringBuilder)
	amount := b.Field(4).(*array.Float64Builder)
	qty := b.Field(5).(*array.Int32Builder)
	ts := b.Field(6).(*array.TimestampBuilder)
	day := b.Field(7).(*array.Date32Builder)
	flag := b.Field(8).(*array.BooleanBuilder)
	note := b.Field(9).(*array.StringBuilder)
	span := int64(4 * 24 * time.Hour / time.Microsecond)
	for i := 0; i < factRows; i++ {
		id.Append(int64(i + 1))
		if r.IntN(100) < 5 {
			user.AppendNull()
		} else {
			user.Append(1 + r.Int64N(400))
		}
		if r.IntN(100) < 7 {
			status.AppendNull()
		} else {
			status.Append(statuses[r.IntN(len(statuses))])
		}
		if r.IntN(100) < 2 {
			country.AppendNull()
		} else {
			country.Append(countries[r.IntN(len(countries))])
		}
		switch p := r.IntN(100); {
		case p < 6:
			amount.AppendNull()
		case p < 40:
			amount.Append(dupAmounts[r.IntN(len(dupAmounts))])
		case p < 42:
			amount.Append(-math.Round(r.Float64()*5000) / 100)
		default:
			amount.Append(math.Round(r.Float64()*200000) / 100)
		}
		if r.IntN(100) < 3 {
			qty.AppendNull()
		} else {
			qty.Append(int32(r.IntN(24) - 3))
		}
		us := r.Int64N(span)
		if r.IntN(100) < 70 {
			us -= us % 1e6 // whole seconds for most rows
		}
		t := baseTime.UnixMicro() + us
		if r.IntN(100) < 2 {
			ts.AppendNull()
		} else {
			ts.Append(arrow.Timestamp(t))
		}
		if r.IntN(100) < 2 {
			day.AppendNull()
		} else {
			day.Append(arrow.Date32(t / 86400e6))
		}
		if r.IntN(100) < 10 {
			flag.AppendNull()
		} else {
			flag.Append(r.IntN(2) == 0)
		}
		switch p := r.IntN(100); {
		case p < 10:
			note.AppendNull()
		case p < 20:
			note.Append("")
		default:
			note.Append(notes[r.IntN(len(notes))])
		}
	}
	return b.NewRecordBatch()
}

// genUsers builds the dimension: ids 1..300 once, 30 of them again, ten
// NULL ids and ten ids (1001..1010) that no fact references.
func genUsers(mem memory.Allocator) arrow.RecordBatch {
	r := rand.New(rand.NewPCG(seed1, seed2+1))
	schema := arrow.NewSchema([]arrow.Field{
		nullable("user_id", arrow.PrimitiveTypes.Int64),
		nullable("name", arrow.BinaryTypes.String),
		nullable("plan", arrow.BinaryTypes.String),
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	id := b.Field(0).(*array.Int64Builder)
	name := b.Field(1).(*array.StringBuilder)
	plan := b.Field(2).(*array.StringBuilder)
	add := func(uid int64, null bool, n int) {
		if null {
			id.AppendNull()
		} else {
			id.Append(uid)
		}
		if r.IntN(100) < 3 {
			name.AppendNull()
		} else {
			name.Append(fmt.Sprintf("user_%03d_%d", uid, n))
		}
		if r.IntN(100) < 8 {
			plan.AppendNull()
		} else {
			plan.Append(plans[r.IntN(len(plans))])
		}
	}
	n := 0
	for uid := int64(1); uid <= 300; uid++ {
		add(uid, false, n)
		n++
	}
	for i := 0; i < 30; i++ {
		add(1+r.Int64N(300), false, n)
		n++
	}
	for i := 0; i < 10; i++ {
		add(0, true, n)
		n++
	}
	for uid := int64(1001); uid <= 1010; uid++ {
		add(uid, false, n)
		n++
	}
	return b.NewRecordBatch()
}

// genNullKeys builds a small table whose join keys are mostly NULL or
// repeated.
func genNullKeys(mem memory.Allocator) arrow.RecordBatch {
	r := rand.New(rand.NewPCG(seed1, seed2+2))
	schema := arrow.NewSchema([]arrow.Field{
		nullable("k", arrow.PrimitiveTypes.Int64),
		nullable("s", arrow.BinaryTypes.String),
		nullable("v", arrow.PrimitiveTypes.Int32),
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	k := b.Field(0).(*array.Int64Builder)
	s := b.Field(1).(*array.StringBuilder)
	v := b.Field(2).(*array.Int32Builder)
	for i := 0; i < 60; i++ {
		if r.IntN(100) < 40 {
			k.AppendNull()
		} else {
			k.Append(1 + r.Int64N(4))
		}
		if p := r.IntN(3); p == 2 {
			s.AppendNull()
		} else {
			s.Append([]string{"a", "b"}[p])
		}
		if r.IntN(100) < 20 {
			v.AppendNull()
		} else {
			v.Append(int32(i))
		}
	}
	return b.NewRecordBatch()
}

// writeParquet writes rec to path in row groups of rowGroup rows.
func writeParquet(path string, rec arrow.RecordBatch, rowGroup int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(rowGroup))
	w, err := pqarrow.NewFileWriter(rec.Schema(), f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		f.Close()
		return err
	}
	if err := w.Write(rec); err != nil {
		w.Close()
		return err
	}
	return w.Close() // closes f too
}

// generate writes the three tables into dir and returns name → path.
func generate(dir string) (map[string]string, error) {
	mem := memory.NewGoAllocator()
	out := map[string]string{}
	for _, g := range []struct {
		name     string
		gen      func(memory.Allocator) arrow.RecordBatch
		rowGroup int64
	}{
		{"facts", genFacts, 6000},
		{"users", genUsers, 1000},
		{"nk", genNullKeys, 1000},
	} {
		rec := g.gen(mem)
		path := filepath.Join(dir, g.name+".parquet")
		err := writeParquet(path, rec, g.rowGroup)
		rec.Release()
		if err != nil {
			return nil, fmt.Errorf("writing %s: %w", path, err)
		}
		out[g.name] = path
	}
	return out, nil
}
