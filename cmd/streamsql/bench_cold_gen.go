package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql/connectors/iceberg"
)

const (
	coldHours = 48
	coldBatch = 64 << 10
	coldKeys  = 1000
	coldUsers = 10_000
)

var (
	coldTopics = []string{"orders", "payments", "clicks", "signups"}
	coldStart  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
)

// coldTotal is one topic's row count and amount total.
type coldTotal struct {
	n   int64
	sum float64
}

// coldTotals is a (topic, count, sum) answer.
type coldTotals map[string]coldTotal

func (t coldTotals) add(topic string, amount float64) {
	c := t[topic]
	c.n++
	c.sum += amount
	t[topic] = c
}

func (t coldTotals) count() int64 {
	var n int64
	for _, c := range t {
		n += c.n
	}
	return n
}

// check compares with want: exact counts, sums to a relative 1e-9 (the
// engines add in different orders).
func (t coldTotals) check(want coldTotals) error {
	if len(t) != len(want) {
		return fmt.Errorf("got %d topics, want %d", len(t), len(want))
	}
	for topic, w := range want {
		g, ok := t[topic]
		if !ok || g.n != w.n || math.Abs(g.sum-w.sum) > 1e-9*math.Max(1, math.Abs(w.sum)) {
			return fmt.Errorf("topic %s: got count %d sum %g, want %d and %g", topic, g.n, g.sum, w.n, w.sum)
		}
	}
	return nil
}

// coldEvents describes the written table: its expected answers and the
// data files of its current snapshot.
type coldEvents struct {
	maxTS    int64
	lastHour coldTotals // rows with ts > maxTS - 1 hour
	all      coldTotals
	files    []string
	bytes    int64
}

// writeColdTable writes n events over coldHours hours to a new table
// through the Iceberg sink, one checkpoint (PreCommit + Commit) per hour.
// Each hour holds n/48 events (the remainder goes to the last hours), evenly
// spaced from the hour's start, so the latest event sits at the end of the
// last hour and no earlier hour has a later offset: the last-hour filter
// keeps exactly the last hour's files. Seeded, hence deterministic.
func writeColdTable(ctx context.Context, w *iceberg.Warehouse, n int64) (*coldEvents, error) {
	sink, err := w.Sink(ctx, coldTable, coldSchema, iceberg.TableOptions{PartitionBy: "topic, hour(ts)"})
	if err != nil {
		return nil, err
	}
	defer sink.Close()
	rng := rand.New(rand.NewPCG(7, 11))
	keys := make([]string, coldKeys)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	ev := &coldEvents{lastHour: coldTotals{}, all: coldTotals{}}
	b := array.NewRecordBuilder(memory.DefaultAllocator, coldSchema)
	defer b.Release()
	ts := b.Field(0).(*array.TimestampBuilder)
	topic := b.Field(1).(*array.StringBuilder)
	amount := b.Field(2).(*array.Float64Builder)
	user := b.Field(3).(*array.Int64Builder)
	key := b.Field(4).(*array.StringBuilder)
	flush := func() error {
		rec := b.NewRecordBatch()
		defer rec.Release()
		return sink.Write(ctx, rec)
	}
	base, rem := n/coldHours, n%coldHours
	var last coldTotals
	for h := int64(0); h < coldHours; h++ {
		per := base
		if h >= coldHours-rem {
			per++
		}
		last = coldTotals{}
		for j := int64(0); j < per; j++ {
			t := coldStart + h*3_600_000_000 + j*3_600_000_000/per
			tp := coldTopics[rng.IntN(len(coldTopics))]
			a := float64(rng.IntN(100_000)) / 100
			ts.Append(arrow.Timestamp(t))
			topic.Append(tp)
			amount.Append(a)
			user.Append(1 + rng.Int64N(coldUsers))
			key.Append(keys[rng.IntN(coldKeys)])
			ev.all.add(tp, a)
			last.add(tp, a)
			ev.maxTS = max(ev.maxTS, t)
			if ts.Len() == coldBatch {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		}
		if ts.Len() > 0 {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		if _, err := sink.PreCommit(ctx, h+1); err != nil {
			return nil, err
		}
		if err := sink.Commit(ctx, h+1); err != nil {
			return nil, err
		}
	}
	ev.lastHour = last // see above: only the last hour's rows pass
	if err := listColdFiles(ctx, w, ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// listColdFiles lists the data files of the table's current snapshot.
func listColdFiles(ctx context.Context, w *iceberg.Warehouse, ev *coldEvents) error {
	tbl, err := w.Catalog().LoadTable(ctx, table.Identifier{"bench", "events"})
	if err != nil {
		return fmt.Errorf("loading table %s: %w", coldTable, err)
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return fmt.Errorf("listing files of %s: %w", coldTable, err)
	}
	for _, task := range tasks {
		u, err := url.Parse(task.File.FilePath())
		if err != nil {
			return fmt.Errorf("parsing location %q: %w", task.File.FilePath(), err)
		}
		ev.files = append(ev.files, u.Path)
		ev.bytes += task.File.FileSizeBytes()
	}
	return nil
}
