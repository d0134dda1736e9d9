// Package eventstream is the hot tier (EventStreamDO semantics): topics
// of JSON events ingested over HTTP or WebSocket, made durable in a
// write-ahead log before they are acknowledged, held for a retention
// window as Arrow batches, broadcast to WebSocket subscribers (with replay
// of the window), and queryable with SQL as one table per topic.
//
//	srv, err := eventstream.New(eventstream.Config{StateDir: wal.OSDir(".streamsql/serve")})
//	http.ListenAndServe("127.0.0.1:8787", srv)
//
// HTTP API: POST /events?topic=T (a JSON object, an array of objects or
// JSONL) → {"accepted":N,"ids":[…]}; GET /events?topic=T upgraded to a
// WebSocket streams each event as one JSON text frame (from= replays the
// window first) and accepts published events as text frames;
// POST /query {"sql","params"} → {"columns","rows"}.
//
// The package builds for GOOS=js and wasip1: storage is a wal.Dir, the
// HTTP server is started by the caller.
package eventstream

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	streamsql "github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/eventstream/wal"
	"github.com/streamsql/streamsql/planner/types"
)

// Defaults for zero Config fields.
const (
	DefaultHotRetention    = 5 * time.Minute
	DefaultHotMaxBytes     = 256 << 20
	DefaultMaxEventBytes   = 1 << 20
	DefaultMaxBodyBytes    = 8 << 20
	DefaultSubscriberQueue = 4096
	DefaultWSMessageRate   = 1000
	DefaultEventTimeField  = "timestamp"
	DefaultMaxTopics       = 10000
)

// Config configures a Server. Zero values take the defaults above.
type Config struct {
	// StateDir holds the write-ahead log; nil keeps events in memory only
	// (acknowledged events are then lost on a crash).
	StateDir wal.Dir
	// SegmentBytes rotates WAL segments (0: wal.DefaultSegmentBytes).
	SegmentBytes int64

	// HotRetention is how long events stay in the hot tier; HotMaxBytes
	// caps each topic's raw event bytes (the oldest go first).
	HotRetention time.Duration
	HotMaxBytes  int64

	// Topics declares topic schemas: their top-level fields become
	// columns (see ParseTopicSchema).
	Topics []TopicSchema
	// MaxTopics caps how many topics may exist: publishing or subscribing
	// creates a topic, so without a cap any client could grow the server
	// without bound.
	MaxTopics int
	// EventTimeFields names the event-time field per topic (default
	// "timestamp"): RFC 3339 text or epoch milliseconds; events without
	// it use their ingest time.
	EventTimeFields map[string]string

	// Tokens are the accepted bearer tokens. None: no authentication.
	Tokens []TokenRule
	// AllowOrigins are the host patterns (path.Match syntax, e.g.
	// "app.example.com", "*.example.com") browsers may open WebSockets
	// from; the request's own host is always allowed.
	AllowOrigins []string

	// MaxEventBytes caps one event (413 above it) and one WebSocket frame;
	// MaxBodyBytes caps one ingest request body.
	MaxEventBytes int64
	MaxBodyBytes  int64
	// SubscriberQueue is how many events a subscriber may fall behind the
	// newest before it is closed as too slow.
	SubscriberQueue int
	// WSMessageRate caps the messages per second one WebSocket connection
	// may publish (burst: one second's worth); above it the connection
	// is closed.
	WSMessageRate int

	// Warehouse, BatchMaxBytes and BatchMaxSeconds configure the dual path
	// to the cold tier; the server stores them for the code that runs it.
	Warehouse       string
	BatchMaxBytes   int64
	BatchMaxSeconds int

	// Engine runs queries; nil creates one (and Close closes it). Topics
	// are registered in it as tables named by the topic.
	Engine *streamsql.Engine
	// RetainAfter, when set, holds back expiry for a topic's events after
	// the sequence it returns (the cold tier's committed position): they
	// stay in the hot tier and the WAL past HotRetention until the cold
	// tier has them (HotMaxBytes still bounds memory). ok=false means
	// nothing is committed yet, so nothing may expire.
	RetainAfter func(topic string) (seq uint64, ok bool)
	// ManualEviction leaves expiry to the host, which calls Server.Evict
	// (a Durable Object's alarm): no ticker runs, so an idle object can
	// hibernate.
	ManualEviction bool
	// MaxLiveQueries bounds the distinct live queries (/live) running at
	// once (0: DefaultMaxLiveQueries).
	MaxLiveQueries int
	// TableFor, when set, makes the table a topic is registered as from
	// its hot table (a catalog.StreamTable): `streamsql serve` unifies it
	// with the topic's cold tier. The hot table stays reachable through
	// Server.Table.
	TableFor func(topic string, hot catalog.Table) (catalog.Table, error)
	// Alloc builds the hot tier's Arrow batches (nil: the Go allocator).
	Alloc memory.Allocator
	// Now is the clock (nil: time.Now); tests move it.
	Now func() time.Time
	// Logf receives operational messages (nil: discarded). Tokens never
	// appear in them.
	Logf func(format string, args ...any)
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.HotRetention <= 0 {
		c.HotRetention = DefaultHotRetention
	}
	if c.HotMaxBytes <= 0 {
		c.HotMaxBytes = DefaultHotMaxBytes
	}
	if c.MaxEventBytes <= 0 {
		c.MaxEventBytes = DefaultMaxEventBytes
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.SubscriberQueue <= 0 {
		c.SubscriberQueue = DefaultSubscriberQueue
	}
	if c.MaxTopics <= 0 {
		c.MaxTopics = DefaultMaxTopics
	}
	if c.MaxLiveQueries <= 0 {
		c.MaxLiveQueries = DefaultMaxLiveQueries
	}
	if c.WSMessageRate <= 0 {
		c.WSMessageRate = DefaultWSMessageRate
	}
	if c.Alloc == nil {
		c.Alloc = memory.NewGoAllocator()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return c
}

// validTopic is what a topic may be called, ^[A-Za-z_][A-Za-z0-9_.\-]{0,127}$:
// a table name in SQL (dots make a qualified name, as in cdc.orders).
func validTopic(name string) bool {
	if len(name) == 0 || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '.' || c == '-')) {
			return false
		}
	}
	return true
}

// checkTopic validates a topic name.
func checkTopic(name string) error {
	if !validTopic(name) {
		return fmt.Errorf("invalid topic %q: want a letter or _ then up to 127 letters, digits, _, . or -", name)
	}
	return nil
}

// Reserved column names of every topic table, in order.
var reservedColumns = []string{"_id", "_ingest_ts", "topic", "timestamp", "data"}

// TopicSchema declares the columns a topic's events carry.
type TopicSchema struct {
	Topic  string
	Fields []FieldDef
}

// FieldDef is one declared top-level event field.
type FieldDef struct {
	Name string
	Type types.Type
}

// ParseTopicSchema reads `orders=id BIGINT, amount DOUBLE, customer
// VARCHAR` (the --topic-schema flag). Types are SQL type names; a field
// named like a reserved column (_id, _ingest_ts, topic, timestamp, data) is
// refused, except `timestamp TIMESTAMP`, which the table always has.
func ParseTopicSchema(spec string) (TopicSchema, error) {
	topic, cols, ok := strings.Cut(spec, "=")
	topic = strings.TrimSpace(topic)
	if !ok || strings.TrimSpace(cols) == "" {
		return TopicSchema{}, fmt.Errorf("parsing topic schema %q: want TOPIC=NAME TYPE, …", spec)
	}
	if err := checkTopic(topic); err != nil {
		return TopicSchema{}, fmt.Errorf("parsing topic schema: %w", err)
	}
	ts := TopicSchema{Topic: topic}
	seen := map[string]bool{}
	for _, col := range strings.Split(cols, ",") {
		f := strings.Fields(col)
		if len(f) < 2 {
			return TopicSchema{}, fmt.Errorf("parsing topic schema %q: column %q: want NAME TYPE", spec, strings.TrimSpace(col))
		}
		name := f[0]
		t, ok := types.Parse(strings.Join(f[1:], " "))
		if !ok || t.Kind == types.Interval {
			return TopicSchema{}, fmt.Errorf("parsing topic schema %q: column %s: unknown type %q", spec, name, strings.Join(f[1:], " "))
		}
		lower := strings.ToLower(name)
		if seen[lower] {
			return TopicSchema{}, fmt.Errorf("parsing topic schema %q: column %s declared twice", spec, name)
		}
		seen[lower] = true
		if lower == "timestamp" && t == types.TimestampType {
			continue
		}
		for _, r := range reservedColumns {
			if lower == r {
				return TopicSchema{}, fmt.Errorf("parsing topic schema %q: column %s is reserved", spec, name)
			}
		}
		ts.Fields = append(ts.Fields, FieldDef{Name: name, Type: t})
	}
	return ts, nil
}

// Scope is what a token may do on a topic.
type Scope int

const (
	ScopeRead  Scope = 1 << iota // subscribe, query
	ScopeWrite                   // ingest, publish
)

// TokenRule grants a bearer token scopes on the topics matching Topics
// (path.Match syntax: "*" is every topic, "orders.*" a family).
type TokenRule struct {
	Token  string
	Topics string
	Scopes Scope
}

// String describes the rule without its secret.
func (r TokenRule) String() string {
	var s []string
	if r.Scopes&ScopeRead != 0 {
		s = append(s, "read")
	}
	if r.Scopes&ScopeWrite != 0 {
		s = append(s, "write")
	}
	return fmt.Sprintf("token(***) %s %s", r.Topics, strings.Join(s, ","))
}

// ParseTokenLine reads one line of a tokens file: `token topic-glob
// read,write`. Blank lines and lines starting with # give ok false.
func ParseTokenLine(line string) (rule TokenRule, ok bool, err error) {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return TokenRule{}, false, nil
	}
	f := strings.Fields(line)
	if len(f) != 3 {
		return TokenRule{}, false, fmt.Errorf("parsing token line: want TOKEN TOPIC-GLOB read,write, got %d fields", len(f))
	}
	if _, err := path.Match(f[1], "x"); err != nil {
		return TokenRule{}, false, fmt.Errorf("parsing token line: topic glob %q: %w", f[1], err)
	}
	rule = TokenRule{Token: f[0], Topics: f[1]}
	for _, s := range strings.Split(f[2], ",") {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "read":
			rule.Scopes |= ScopeRead
		case "write":
			rule.Scopes |= ScopeWrite
		default:
			return TokenRule{}, false, fmt.Errorf("parsing token line: unknown scope %q (want read, write)", s)
		}
	}
	return rule, true, nil
}
