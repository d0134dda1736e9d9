package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// The streaming bench's events: one per millisecond of event time from
// streamBase (so 1M events span ~16.7 minutes), each pulled back by up to
// streamDisorder so the stream is in order up to a small bounded disorder,
// which the watermark delay (streamDelay) covers: no event is late.
const (
	streamBatchRows = 8192
	streamStep      = int64(time.Millisecond / time.Microsecond)
	streamDisorder  = int64(250 * time.Millisecond / time.Microsecond)
	streamDelay     = int64(time.Second / time.Microsecond)
	streamUsers     = 10_000
)

var (
	streamBase     = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	streamStatuses = []string{"paid", "paid", "paid", "paid", "shipped", "shipped", "pending", "pending", "refunded", "cancelled"}
	streamSchema   = arrow.NewSchema([]arrow.Field{
		{Name: "timestamp", Type: types.TimestampType.ArrowType(), Nullable: true},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "user_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "key", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "status", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
)

// streamEvents is a generated event set, in batches of streamBatchRows.
type streamEvents struct {
	batches   []arrow.RecordBatch
	n         int64
	minutes   int             // distinct minutes of event time: the seed query's rows
	perMinute map[int64]int64 // events by minute (its start, µs): the seed's counts
	amount    float64         // sum of amount
}

func (e *streamEvents) release() {
	for _, b := range e.batches {
		b.Release()
	}
	e.batches = nil
}

// genStreamEvents makes n events over keys distinct key values,
// deterministically (fixed seed).
func genStreamEvents(mem memory.Allocator, n int64, keys int) *streamEvents {
	r := rand.New(rand.NewPCG(42, 0x5eed))
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprintf("key-%06d", i)
	}
	ev := &streamEvents{n: n}
	minutes := map[int64]int64{}
	var cents int64
	b := array.NewRecordBuilder(mem, streamSchema)
	defer b.Release()
	ts := b.Field(0).(*array.TimestampBuilder)
	amount := b.Field(1).(*array.Float64Builder)
	user := b.Field(2).(*array.Int64Builder)
	key := b.Field(3).(*array.StringBuilder)
	status := b.Field(4).(*array.StringBuilder)
	for i := int64(0); i < n; i++ {
		t := streamBase + i*streamStep - r.Int64N(streamDisorder)
		minutes[floorDiv(t, 60e6)*60e6]++
		ts.Append(arrow.Timestamp(t))
		c := r.Int64N(100_000) // whole cents: the same value through JSON text
		cents += c
		amount.Append(float64(c) / 100)
		user.Append(1 + r.Int64N(streamUsers))
		key.Append(names[r.IntN(keys)])
		status.Append(streamStatuses[r.IntN(len(streamStatuses))])
		if (i+1)%streamBatchRows == 0 || i == n-1 {
			ev.batches = append(ev.batches, b.NewRecordBatch())
		}
	}
	ev.minutes, ev.perMinute, ev.amount = len(minutes), minutes, float64(cents)/100
	return ev
}

// genOpenGroups makes n events with n distinct keys, all inside the first
// 50 seconds of one minute, so a one-minute tumble holds n open groups
// until its input ends.
func genOpenGroups(mem memory.Allocator, n int64) *streamEvents {
	ev := &streamEvents{n: n, minutes: 1}
	b := array.NewRecordBuilder(mem, streamSchema)
	defer b.Release()
	span := int64(50 * time.Second / time.Microsecond)
	var buf []byte
	for i := int64(0); i < n; i++ {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(streamBase + i*span/n))
		b.Field(1).(*array.Float64Builder).Append(float64(i % 1000))
		b.Field(2).(*array.Int64Builder).Append(1 + i%streamUsers)
		buf = strconv.AppendInt(append(buf[:0], "g-"...), i, 10)
		b.Field(3).(*array.StringBuilder).BinaryBuilder.Append(buf)
		b.Field(4).(*array.StringBuilder).Append("paid")
		if (i+1)%streamBatchRows == 0 || i == n-1 {
			ev.batches = append(ev.batches, b.NewRecordBatch())
		}
	}
	return ev
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// splitBatches deals the batches to splits round-robin, so each split is
// in event-time order and the splits advance together.
func splitBatches(bs []arrow.RecordBatch, splits int) [][]arrow.RecordBatch {
	out := make([][]arrow.RecordBatch, splits)
	for i, b := range bs {
		out[i%splits] = append(out[i%splits], b)
	}
	return out
}

// writeStreamJSONL writes the events as JSONL, one file per split dealt
// like splitBatches, into dir; it returns the glob that reads them and
// the bytes written.
func writeStreamJSONL(dir string, ev *streamEvents, splits int) (string, int64, error) {
	var total int64
	for s, bs := range splitBatches(ev.batches, splits) {
		path := filepath.Join(dir, fmt.Sprintf("events-%02d.jsonl", s))
		n, err := writeJSONLFile(path, bs)
		if err != nil {
			return "", 0, fmt.Errorf("writing %s: %w", path, err)
		}
		total += n
	}
	return filepath.Join(dir, "events-*.jsonl"), total, nil
}

func writeJSONLFile(path string, bs []arrow.RecordBatch) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var line []byte
	var total int64
	for _, b := range bs {
		ts := b.Column(0).(*array.Timestamp)
		amount := b.Column(1).(*array.Float64)
		user := b.Column(2).(*array.Int64)
		key := b.Column(3).(*array.String)
		status := b.Column(4).(*array.String)
		for i := 0; i < int(b.NumRows()); i++ {
			line = append(line[:0], `{"timestamp":"`...)
			line = time.UnixMicro(int64(ts.Value(i))).UTC().AppendFormat(line, "2006-01-02 15:04:05.000000")
			line = append(line, `","amount":`...)
			line = strconv.AppendFloat(line, amount.Value(i), 'f', -1, 64)
			line = append(line, `,"user_id":`...)
			line = strconv.AppendInt(line, user.Value(i), 10)
			line = append(line, `,"key":"`...)
			line = append(line, key.Value(i)...)
			line = append(line, `","status":"`...)
			line = append(line, status.Value(i)...)
			line = append(line, "\"}\n"...)
			n, _ := w.Write(line) // the error is sticky; Flush reports it
			total += int64(n)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	return total, f.Close()
}
