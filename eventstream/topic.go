package eventstream

import (
	"sort"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// chunkRows is how many events a chunk holds before it is sealed; a
// sealed chunk keeps its events as one Arrow batch, built once.
const chunkRows = 4096

// eventOverhead approximates the memory an event costs beyond its JSON,
// for the size cap.
const eventOverhead = 160

// topic is one topic's hot window: committed events in seq order, split
// into chunks so eviction drops whole chunks.
type topic struct {
	name   string
	codec  topicCodec
	schema *arrow.Schema
	mem    memory.Allocator
	table  catalog.Table // the topic's stream table, as registered

	// Assigned by the committer under its lock: the last seq and ingest
	// time handed out.
	lastSeq uint64
	lastNS  int64

	mu      sync.Mutex
	chunks  []*chunk
	head    uint64 // seq of the newest committed event (0: none yet)
	bytes   int64
	changed chan struct{} // closed and replaced when events arrive
	closed  bool
}

// chunk is a run of consecutive events.
type chunk struct {
	first  uint64 // seq of events[0]
	events []*event
	maxNS  int64
	bytes  int64

	mu       sync.Mutex
	batch    arrow.RecordBatch // all chunkRows events, once sealed and read
	released bool
	// tail is the batch last built from events [tailFrom, tailTo) of the
	// chunk while it fills: readers tailing the head (live queries, the
	// dual path) ask for the same new events one after another, so the
	// first builds them and the others take it or a slice of it.
	tail             arrow.RecordBatch
	tailFrom, tailTo int
}

func newTopic(name string, codec topicCodec, fields []FieldDef, mem memory.Allocator) *topic {
	return &topic{name: name, codec: codec, schema: topicSchema(fields), mem: mem, changed: make(chan struct{})}
}

// sealedBatch returns the chunk's batch (retained for the caller); only
// for full chunks, whose events no longer change.
func (c *chunk) sealedBatch(t *topic, evs []*event) arrow.RecordBatch {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released { // evicted or trimmed while a reader still walks it: build a private copy
		return buildBatch(t.mem, t.schema, t.name, evs)
	}
	if c.batch == nil {
		c.batch = buildBatch(t.mem, t.schema, t.name, evs)
		c.dropTail()
	}
	c.batch.Retain()
	return c.batch
}

// openBatch returns events [p.from, p.to) of a chunk that is still filling
// (owned by the caller), from the tail batch when it covers them.
func (c *chunk) openBatch(t *topic, p part) arrow.RecordBatch {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released { // trimmed: indexes moved; build a private copy
		return buildBatch(t.mem, t.schema, t.name, p.evs)
	}
	if c.tail != nil && c.tailFrom <= p.from && p.to <= c.tailTo {
		if p.from == c.tailFrom && p.to == c.tailTo {
			c.tail.Retain()
			return c.tail
		}
		return c.tail.NewSlice(int64(p.from-c.tailFrom), int64(p.to-c.tailFrom))
	}
	b := buildBatch(t.mem, t.schema, t.name, p.evs)
	c.dropTail()
	b.Retain()
	c.tail, c.tailFrom, c.tailTo = b, p.from, p.to
	return b
}

// dropTail releases the tail batch. Called locked.
func (c *chunk) dropTail() {
	if c.tail != nil {
		c.tail.Release()
		c.tail = nil
	}
}

// release frees the chunk's batch. The chunk is out of the topic by then;
// readers that took the batch hold their own references.
func (c *chunk) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.released = true
	if c.batch != nil {
		c.batch.Release()
		c.batch = nil
	}
	c.dropTail()
}

// append adds committed events, which follow head without a gap.
func (t *topic) append(evs []*event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	for _, ev := range evs {
		var c *chunk
		if n := len(t.chunks); n > 0 && len(t.chunks[n-1].events) < chunkRows && t.chunks[n-1].next() == ev.seq {
			c = t.chunks[n-1]
		} else { // a chunk holds consecutive seqs; a gap (ids of a failed write) starts a new one
			c = &chunk{first: ev.seq, events: make([]*event, 0, 64)}
			t.chunks = append(t.chunks, c)
		}
		c.events = append(c.events, ev)
		c.maxNS = max(c.maxNS, ev.ingestNS)
		size := eventSize(ev)
		c.bytes += size
		t.bytes += size
		t.head = ev.seq
	}
	close(t.changed)
	t.changed = make(chan struct{})
}

// next is the seq an event appended to the chunk must have.
func (c *chunk) next() uint64 { return c.first + uint64(len(c.events)) }

// restore raises the topic's counters to a position read from the WAL.
// With no events held, the head moves there too: readers start after it.
func (t *topic) restore(seq uint64, ns int64) {
	t.lastSeq, t.lastNS = max(t.lastSeq, seq), max(t.lastNS, ns)
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.chunks) == 0 {
		t.head = max(t.head, seq)
	}
}

// evict drops the events ingested before cutoffNS, then the oldest
// chunks while the topic is over maxBytes (always keeping the newest
// chunk), and returns how many events went.
func (t *topic) evict(cutoffNS, maxBytes int64, keepAfter uint64) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	dropped := 0
	for len(t.chunks) > 0 {
		c := t.chunks[0]
		// Expired events after keepAfter stay (the cold tier has not got
		// them yet); the size cap still bounds memory.
		lastSeq := c.first + uint64(len(c.events)) - 1
		expired := c.maxNS < cutoffNS && lastSeq <= keepAfter
		if expired || (t.bytes > maxBytes && len(t.chunks) > 1) {
			t.chunks[0] = nil
			t.chunks = t.chunks[1:]
			t.bytes -= c.bytes
			dropped += len(c.events)
			c.release()
			continue
		}
		// Partly expired: cut the expired prefix. The chunk's batch no
		// longer matches it, so it goes; readers holding the old events
		// keep their own slices.
		k := sort.Search(len(c.events), func(i int) bool { return c.events[i].ingestNS >= cutoffNS || c.events[i].seq > keepAfter })
		if k > 0 {
			for _, ev := range c.events[:k] {
				c.bytes -= eventSize(ev)
				t.bytes -= eventSize(ev)
			}
			c.events = c.events[k:]
			c.first += uint64(k)
			c.release()
			dropped += k
		}
		break
	}
	return dropped
}

// eventSize is what an event counts against the size cap.
func eventSize(ev *event) int64 { return int64(len(ev.raw)+len(ev.frame)) + eventOverhead }

// firstSeq is the seq of the oldest event held (head+1 when none is).
// Called locked.
// oldestNS is the ingest time of the oldest event held, 0 when none.
func (t *topic) oldestNS() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.chunks) == 0 || len(t.chunks[0].events) == 0 {
		return 0
	}
	return t.chunks[0].events[0].ingestNS
}

func (t *topic) firstSeq() uint64 {
	if len(t.chunks) == 0 {
		return t.head + 1
	}
	return t.chunks[0].first
}

// window describes the events after seq, up to limit of them: the chunks
// that hold them and where they start and end, plus the channel to wait on
// when there are none and the oldest seq still held.
type window struct {
	parts   []part
	wait    <-chan struct{}
	first   uint64
	head    uint64
	closed  bool
	evicted bool // events after seq were evicted: the reader fell behind
}

// part is events [from, to) of one chunk, taken under the topic lock.
type part struct {
	c        *chunk
	evs      []*event // c.events[from:to]
	all      []*event // c.events when the chunk is sealed, else nil
	from, to int
}

// after returns the events with seq > seq, at most limit (0: all).
func (t *topic) after(seq uint64, limit int) window {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := window{first: t.firstSeq(), head: t.head, closed: t.closed}
	if seq+1 < w.first {
		w.evicted = true
		return w
	}
	if seq >= t.head {
		w.wait = t.changed
		return w
	}
	i := sort.Search(len(t.chunks), func(i int) bool {
		c := t.chunks[i]
		return c.first+uint64(len(c.events)) > seq+1
	})
	for ; i < len(t.chunks); i++ {
		c := t.chunks[i]
		from := int(max(seq+1, c.first) - c.first)
		to := len(c.events)
		if limit > 0 && to-from > limit {
			to = from + limit
		}
		p := part{c: c, evs: c.events[from:to:to], from: from, to: to}
		if len(c.events) == chunkRows {
			p.all = c.events
		}
		w.parts = append(w.parts, p)
		seq = c.first + uint64(to) - 1
		if limit > 0 {
			if limit -= to - from; limit == 0 {
				break
			}
		}
	}
	return w
}

// batch returns the part as an Arrow batch owned by the caller: a slice of
// the chunk's batch when the chunk is sealed, else built from the events.
func (p part) batch(t *topic) arrow.RecordBatch {
	if p.all != nil {
		b := p.c.sealedBatch(t, p.all)
		if p.from == 0 && p.to == chunkRows {
			return b
		}
		defer b.Release()
		return b.NewSlice(int64(p.from), int64(p.to))
	}
	return p.c.openBatch(t, p)
}

// seqAfterID is the seq after which events with ids greater than id start.
func (t *topic) seqAfterID(id string) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := sort.Search(len(t.chunks), func(i int) bool {
		c := t.chunks[i]
		return c.events[len(c.events)-1].id > id
	})
	if i == len(t.chunks) {
		return t.head
	}
	c := t.chunks[i]
	j := sort.Search(len(c.events), func(j int) bool { return c.events[j].id > id })
	if i == 0 && j == 0 { // id is older than everything held
		if _, seq, ok := parseID(id); ok && seq+1 < c.first {
			return seq // the events after it expired: the reader learns it fell behind
		}
	}
	return c.first + uint64(j) - 1
}

// seqAtOrAfterTime is the seq after which events ingested at or after ns
// start.
func (t *topic) seqAtOrAfterTime(ns int64) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := sort.Search(len(t.chunks), func(i int) bool {
		c := t.chunks[i]
		return c.events[len(c.events)-1].ingestNS >= ns
	})
	if i == len(t.chunks) {
		return t.head
	}
	c := t.chunks[i]
	j := sort.Search(len(c.events), func(j int) bool { return c.events[j].ingestNS >= ns })
	return c.first + uint64(j) - 1
}

// headSeq returns the newest committed seq.
func (t *topic) headSeq() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.head
}

// close wakes every reader for the last time and frees the batches.
func (t *topic) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.closed = true
	for _, c := range t.chunks {
		c.release()
	}
	t.chunks = nil
	close(t.changed)
}
