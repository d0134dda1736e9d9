//go:build duckdb

package difftest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	smem "github.com/streamsql/streamsql/connectors/memory"
)

// streamDelay is the watermark delay of the generated streams. Every
// event trails the largest nominal time before it by less than this, so
// none is ever late, whatever the batch boundaries, splits or thread
// interleaving: the streaming answer after the end of input must be the
// batch answer.
const streamDelay = 5 * time.Second

// streamEvent is one generated event: (ts TIMESTAMP, k VARCHAR, amount
// DOUBLE, v BIGINT), any of the last three possibly NULL.
type streamEvent struct {
	ts        int64 // µs since the epoch
	k         string
	kNull     bool
	amount    float64
	amtNull   bool
	v         int64
	vNull     bool
	split     int
	batchStop bool // the append batch ends after this event
}

// streamCase is one iteration's stream and how it is run.
type streamCase struct {
	seed        uint64
	events      []streamEvent
	splits      int
	parallelism int
	poll        bool  // drive the job with Poll on this goroutine, not Run
	restart     bool  // (poll) checkpoint half way, close, resume in a new job
	gap         int64 // session gap, seconds
}

func (c *streamCase) String() string {
	return fmt.Sprintf("seed %d: %d events, %d splits, parallelism %d, poll %v, restart %v, session gap %ds",
		c.seed, len(c.events), c.splits, c.parallelism, c.poll, c.restart, c.gap)
}

// genStreamCase generates an iteration from its seed: a few thousand
// events whose nominal times advance irregularly (bursts, and pauses of
// up to 40 s that close sessions and leave windows empty), each event
// trailing its nominal time by up to 3 s and sometimes rounded down to
// the second (ties, and times exactly on window bounds); few keys, NULL
// keys in some iterations, NULL amounts and values now and then.
func genStreamCase(seed uint64) *streamCase {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	c := &streamCase{seed: seed, splits: 1 + r.IntN(2), parallelism: 1 + r.IntN(2), poll: r.IntN(3) == 0, gap: 1 + r.Int64N(5)}
	c.restart = c.poll && r.IntN(3) != 0
	n := 2000 + r.IntN(3000)
	keys := 1 + r.IntN(5)
	nullKeys := r.IntN(2) == 0
	meanStep := int64(20_000 + r.IntN(280_000)) // µs
	disorder := 1 + r.Int64N(int64(3*time.Second/time.Microsecond))
	nominal := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixMicro() + r.Int64N(3_600_000_000)
	for range n {
		nominal += r.Int64N(2 * meanStep)
		if r.IntN(50) == 0 {
			nominal += 4_000_000 + r.Int64N(36_000_000)
		}
		e := streamEvent{ts: nominal - r.Int64N(disorder), split: r.IntN(c.splits), batchStop: r.IntN(150) == 0}
		if r.IntN(10) == 0 {
			e.ts -= e.ts % 1_000_000
		}
		e.k = "k" + strconv.Itoa(r.IntN(keys))
		e.kNull = nullKeys && r.IntN(30) == 0
		e.amount = float64(r.IntN(100_000)) / 100
		e.amtNull = r.IntN(10) == 0
		e.v = r.Int64N(100) - 10
		e.vNull = r.IntN(20) == 0
		c.events = append(c.events, e)
	}
	return c
}

var streamSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: tsUTC, Nullable: true},
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// stream puts the events into a memory stream, in batches that end at
// the events marked batchStop, each split keeping the events' order.
// Every job reading it reads it from the start.
func (c *streamCase) stream() (*smem.Stream, error) {
	s := smem.NewStreamSplits(streamSchema, c.splits)
	builders := make([]*array.RecordBuilder, c.splits)
	for i := range builders {
		builders[i] = array.NewRecordBuilder(memory.NewGoAllocator(), streamSchema)
		defer builders[i].Release()
	}
	flush := func(split int) error {
		b := builders[split].NewRecordBatch()
		defer b.Release()
		return s.AppendTo(split, b)
	}
	for i, e := range c.events {
		b := builders[e.split]
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(e.ts))
		appendOr(b.Field(1).(*array.StringBuilder), e.k, e.kNull)
		appendOr(b.Field(2).(*array.Float64Builder), e.amount, e.amtNull)
		appendOr(b.Field(3).(*array.Int64Builder), e.v, e.vNull)
		if e.batchStop || i == len(c.events)-1 {
			for split := range builders {
				if err := flush(split); err != nil {
					s.Release()
					return nil, err
				}
			}
		}
	}
	s.CloseWrite()
	return s, nil
}

func appendOr[T any](b interface {
	Append(T)
	AppendNull()
}, v T, null bool) {
	if null {
		b.AppendNull()
		return
	}
	b.Append(v)
}

// loadDuck (re)creates table ev in DuckDB with the events.
func (c *streamCase) loadDuck(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, "CREATE OR REPLACE TABLE ev (ts TIMESTAMP, k VARCHAR, amount DOUBLE, v BIGINT)"); err != nil {
		return fmt.Errorf("creating ev: %w", err)
	}
	for start := 0; start < len(c.events); start += 1000 {
		var sb strings.Builder
		sb.WriteString("INSERT INTO ev VALUES ")
		for i, e := range c.events[start:min(start+1000, len(c.events))] {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(make_timestamp(%d), %s, %s, %s)", e.ts,
				sqlOr("'"+e.k+"'", e.kNull), sqlOr(strconv.FormatFloat(e.amount, 'f', -1, 64)+"::DOUBLE", e.amtNull),
				sqlOr(strconv.FormatInt(e.v, 10), e.vNull))
		}
		if _, err := db.ExecContext(ctx, sb.String()); err != nil {
			return fmt.Errorf("loading ev: %w", err)
		}
	}
	return nil
}

func sqlOr(lit string, null bool) string {
	if null {
		return "NULL"
	}
	return lit
}
