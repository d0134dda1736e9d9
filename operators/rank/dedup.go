package rank

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// DedupMode says which row of each key Dedup keeps.
type DedupMode int

const (
	// FirstArrival keeps the first row of each key to arrive (SELECT
	// DISTINCT over a stream; ROW_NUMBER() OVER (PARTITION BY k ORDER BY
	// proctime) = 1): emitted at once, append-only.
	FirstArrival DedupMode = iota
	// Earliest keeps the row of each key with the smallest event time
	// (ORDER BY ts ASC … = 1), emitted once the watermark passes it:
	// append-only and correct under out-of-order input.
	Earliest
	// Latest keeps the row with the largest event time (ORDER BY ts DESC
	// … = 1) as an updating changelog with the _op column.
	Latest
)

var modeNames = [...]string{"first arrival", "earliest", "latest"}

func (m DedupMode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("DedupMode(%d)", int(m))
}

// DedupSpec describes a Dedup.
type DedupSpec struct {
	Input *arrow.Schema
	// KeyCols are the columns that define a duplicate (SELECT DISTINCT:
	// all output columns). NULL equals NULL.
	KeyCols []int
	// TimeCol is the event-time column (TIMESTAMP), or -1. Earliest and
	// Latest need one.
	TimeCol int
	Mode    DedupMode
	// TTL forgets a key this long (µs) after it was last seen (the largest
	// event time of its rows), measured against the watermark: its state
	// is freed when wm > lastSeen + TTL. With TimeCol -1 it is measured
	// with Now against the arrival time of the key's last row. 0 keeps
	// keys forever. A forgotten key is new again: its next row is emitted
	// again (FirstArrival, Earliest) or inserted without a delete (Latest).
	TTL int64
	// Now is the processing clock for a TTL without event time (default
	// time.Now).
	Now func() time.Time
}

// Dedup keeps one row per key. It has one input (0).
//
// FirstArrival: ProcessBatch emits, in input order, the rows whose key it
// has not seen (within the TTL); the output has the input schema. With
// an event-time TTL a row of an unknown key whose time is more than TTL
// behind the watermark is late: its key may have been forgotten, so it
// cannot tell a first row from a duplicate.
//
// Earliest: each key's earliest row (ties: first arrival) is held until
// the watermark passes its time (wm > ts); OnWatermark then emits the
// rows it releases ordered by time, then arrival, and remembers the key
// (until the TTL) so that its later rows are dropped. A row with ts < wm
// of a key not yet emitted is late.
//
// Latest: output is the input columns plus operators.OpColumn. For every
// key a batch changed, in input order of the key's new row, it emits a
// delete of the row emitted before (if any) and an insert of the row with
// the largest time (ties: the last to arrive); rows older than the kept
// one are dropped. With an event-time TTL, rows of unknown keys more than
// TTL behind the watermark are late, as in FirstArrival.
//
// Earliest and Latest treat rows with a NULL event time as late, as does
// FirstArrival with an event-time TTL. Late rows are dropped, counted
// (LateRows) and passed to the RouteLate sink. EndOfInput emits what the
// final watermark would.
type Dedup struct {
	base
	spec DedupSpec
	out  *arrow.Schema
	keys keyEncoder
	now  func() time.Time

	index   map[string]int32 // key → entry
	entries []entry
	free    []int32
	expiry  minHeap[deadline]  // TTL > 0: one item per live entry
	pending minHeap[candidate] // Earliest: held rows, stale ones skipped
	seq     int64              // input rows seen, for arrival order

	// scratch
	emitIx []int32
	chg    []change
}

// entry is the state of one key.
type entry struct {
	key  string
	last int64 // largest event time (or arrival time) seen
	ts   int64 // event time of the held row
	seq  int64 // arrival of the held row
	row  int32 // held row id, -1 for none
	chg  int32 // Latest: index+1 into chg during a batch
	done bool  // Earliest: emitted
	live bool
}

type deadline struct {
	at int64 // lastSeen + TTL when pushed
	e  int32
}

type candidate struct {
	ts, seq int64
	e       int32
}

// change is a key a Latest batch updated: its previously emitted row.
type change struct {
	e    int32
	prev int32
}

var (
	_ operators.Operator      = (*Dedup)(nil)
	_ operators.Watermarked   = (*Dedup)(nil)
	_ operators.Stateful      = (*Dedup)(nil)
	_ operators.LateRouter    = (*Dedup)(nil)
	_ operators.StateReporter = (*Dedup)(nil)
)

// NewDedup checks spec and makes the operator.
func NewDedup(spec DedupSpec) (*Dedup, error) {
	d := &Dedup{spec: spec}
	if err := d.init(); err != nil {
		return nil, fmt.Errorf("creating dedup: %w", err)
	}
	return d, nil
}

func (d *Dedup) init() error {
	s := &d.spec
	if s.Input == nil {
		return fmt.Errorf("no input schema")
	}
	if s.Mode < FirstArrival || s.Mode > Latest {
		return fmt.Errorf("unknown mode %d", int(s.Mode))
	}
	if err := keyColumns(s.Input, s.KeyCols, "key"); err != nil {
		return err
	}
	if err := timeColumn(s.Input, s.TimeCol, "time", s.Mode == FirstArrival); err != nil {
		return err
	}
	if s.TTL < 0 {
		return fmt.Errorf("TTL %d µs: must not be negative", s.TTL)
	}
	d.now = s.Now
	if d.now == nil {
		d.now = time.Now
	}
	d.out = s.Input
	if s.Mode == Latest {
		fs := append(s.Input.Fields(), arrow.Field{Name: operators.OpColumn, Type: arrow.BinaryTypes.String})
		md := s.Input.Metadata()
		d.out = arrow.NewSchema(fs, &md)
	}
	d.name, d.input = "dedup", s.Input
	d.keys = newKeyEncoder(s.Input, s.KeyCols)
	d.expiry.less = func(a, b deadline) bool { return a.at < b.at }
	d.pending.less = func(a, b candidate) bool {
		return a.ts < b.ts || a.ts == b.ts && a.seq < b.seq
	}
	return nil
}

// Schema of the emitted batches: the input's, plus _op for Latest.
func (d *Dedup) Schema() *arrow.Schema { return d.out }

// Spec returns the spec the operator was made with.
func (d *Dedup) Spec() DedupSpec { return d.spec }

// Open prepares the state.
func (d *Dedup) Open(_ context.Context, mem memory.Allocator) error {
	if err := d.open(mem); err != nil {
		return err
	}
	d.index = map[string]int32{}
	return nil
}

// Close frees everything the operator holds.
func (d *Dedup) Close() error {
	d.rows.release()
	d.index, d.entries, d.free = nil, nil, nil
	d.expiry.items, d.pending.items = nil, nil
	d.closed = true
	return nil
}

// Keys is the number of keys held.
func (d *Dedup) Keys() int { return len(d.index) }

// StateBytes implements operators.StateReporter.
func (d *Dedup) StateBytes() int64 {
	// Per key: the map entry, key string and entry; heap items; rows.
	b := int64(len(d.index))*112 + int64(len(d.expiry.items))*16 + int64(len(d.pending.items))*24
	for k := range d.index {
		b += int64(len(k))
	}
	return b + d.rows.bytes
}

// eventTime reports whether TTLs and lateness use event time.
func (d *Dedup) eventTime() bool { return d.spec.TimeCol >= 0 }

// newEntry makes the entry of key k.
func (d *Dedup) newEntry(k []byte, last int64) int32 {
	var e int32
	if n := len(d.free); n > 0 {
		e = d.free[n-1]
		d.free = d.free[:n-1]
	} else {
		e = int32(len(d.entries))
		d.entries = append(d.entries, entry{})
	}
	key := string(k)
	d.entries[e] = entry{key: key, last: last, row: -1, live: true}
	d.index[key] = e
	if d.spec.TTL > 0 {
		d.expiry.push(deadline{at: operators.AddSat(last, d.spec.TTL), e: e})
	}
	return e
}

// dropEntry forgets entry e.
func (d *Dedup) dropEntry(e int32) {
	en := &d.entries[e]
	if en.row >= 0 {
		d.rows.remove(en.row)
	}
	delete(d.index, en.key)
	*en = entry{row: -1}
	d.free = append(d.free, e)
}

// expire forgets the keys last seen more than TTL before t.
func (d *Dedup) expire(t int64) {
	for d.expiry.len() > 0 && d.expiry.top().at < t {
		x := d.expiry.top()
		en := &d.entries[x.e]
		if at := operators.AddSat(en.last, d.spec.TTL); at >= t {
			// Seen again since it was pushed: wait for the new deadline.
			d.expiry.replaceTop(deadline{at: at, e: x.e})
			continue
		}
		d.expiry.pop()
		d.dropEntry(x.e)
	}
}

// OnWatermark implements operators.Watermarked: Earliest emits the held
// rows the watermark passes; keys past their TTL are forgotten.
func (d *Dedup) OnWatermark(ctx context.Context, wm int64, emit operators.Emit) error {
	if err := d.checkLive("advancing watermark of"); err != nil {
		return err
	}
	if wm <= d.wm {
		return nil
	}
	d.wm = wm
	if d.spec.Mode == Earliest {
		if err := d.emitPending(wm, emit); err != nil {
			return err
		}
	}
	if d.spec.TTL > 0 {
		if d.eventTime() {
			d.expire(wm)
		} else {
			d.expire(d.now().UnixMicro())
		}
	}
	if err := d.rows.compact(); err != nil {
		return fmt.Errorf("advancing watermark of dedup: %w", err)
	}
	return nil
}

// EndOfInput emits what the final watermark releases.
func (d *Dedup) EndOfInput(ctx context.Context, input int, emit operators.Emit) error {
	if input != 0 {
		return fmt.Errorf("ending dedup input: no input %d", input)
	}
	if err := d.checkLive("ending input of"); err != nil {
		return err
	}
	if d.ended {
		return nil
	}
	d.ended = true
	if !d.eventTime() {
		return nil
	}
	return d.OnWatermark(ctx, operators.WatermarkEnd, emit)
}

// emitPending emits the held Earliest rows with ts < wm, by time then
// arrival, and marks their keys emitted.
func (d *Dedup) emitPending(wm int64, emit operators.Emit) error {
	var ids, ents []int32
	for d.pending.len() > 0 && d.pending.top().ts < wm {
		c := d.pending.pop()
		en := &d.entries[c.e]
		if !en.live || en.done || en.seq != c.seq || en.row < 0 {
			continue // replaced by an earlier row, or forgotten
		}
		ids = append(ids, en.row)
		ents = append(ents, c.e)
	}
	err := emitChunks(len(ids), func(lo, hi int) (arrow.RecordBatch, error) {
		b, err := d.rows.gather(ids[lo:hi])
		if err != nil {
			return nil, fmt.Errorf("emitting dedup rows: %w", err)
		}
		return b, nil
	}, emit)
	for _, e := range ents {
		en := &d.entries[e]
		d.rows.remove(en.row)
		en.row, en.done = -1, true
	}
	return err
}
