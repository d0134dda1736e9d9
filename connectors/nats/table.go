package nats

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

func init() {
	catalog.RegisterConnector("nats", func(o map[string]string, s *arrow.Schema) (catalog.Table, error) {
		return open(o, s, false)
	})
	catalog.RegisterConnector("jetstream", func(o map[string]string, s *arrow.Schema) (catalog.Table, error) {
		return open(o, s, true)
	})
	catalog.RegisterScheme("nats", "nats", parseCoreURI)
	catalog.RegisterScheme("jetstream", "jetstream", parseJetStreamURI)
}

// Table is a NATS subject or a JetStream stream, read as a stream
// (catalog.Streamable) or written by a streaming query
// (catalog.SinkTable). It holds one connection, shared by its readers and
// sinks, which Release closes.
type Table struct {
	cfg    *config
	schema *arrow.Schema
	nc     *nats.Conn
	js     jetstream.JetStream // nil for core NATS

	mu       sync.Mutex
	released bool
}

var (
	_ catalog.Streamable = (*Table)(nil)
	_ catalog.SinkTable  = (*Table)(nil)
	_ catalog.Describer  = (*Table)(nil)
)

// open validates the options, connects and settles the table's schema.
func open(options map[string]string, schema *arrow.Schema, jetStream bool) (*Table, error) {
	cfg, err := parseOptions(options, jetStream)
	if err != nil {
		return nil, fmt.Errorf("creating %s table: %w", kind(jetStream), err)
	}
	if schema != nil && schema.NumFields() > 0 {
		if cfg.schema != nil {
			return nil, fmt.Errorf("creating %s table: the columns are declared twice (in the statement and as schema=)", kind(jetStream))
		}
		cfg.schema = schema
	}
	nc, err := connect(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating %s table: %w", kind(jetStream), err)
	}
	t := &Table{cfg: cfg, nc: nc, schema: cfg.schema}
	if jetStream {
		if t.js, err = jetstream.New(nc); err != nil {
			nc.Close()
			return nil, fmt.Errorf("creating jetstream table: %w", err)
		}
	}
	if err := t.settleSchema(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("creating %s table: %w", kind(jetStream), err)
	}
	return t, nil
}

func kind(jetStream bool) string {
	if jetStream {
		return "jetstream"
	}
	return "nats"
}

// settleSchema fills in the schema of a source that declared none: raw
// payloads need none, JetStream JSON is sampled without consuming it, and
// core NATS cannot be sampled (what a subscriber sees is gone).
func (t *Table) settleSchema() error {
	if t.schema != nil {
		return nil
	}
	switch {
	case t.cfg.sink:
		t.schema = arrow.NewSchema(nil, nil) // the query's, at OpenSink
		return nil
	case t.cfg.format == file.MessageRaw:
		t.schema = file.RawSchema
		return nil
	case !t.cfg.jetStream:
		return fmt.Errorf("declare the columns of subject %s (schema='id BIGINT, …') or use format=raw: core NATS messages cannot be sampled without consuming them", t.cfg.subject)
	}
	s, err := t.inferSchema(context.Background())
	if err != nil {
		return err
	}
	t.schema = s
	return nil
}

// Schema implements catalog.Table.
func (t *Table) Schema() *arrow.Schema { return t.schema }

// Scan implements catalog.Table: a subject has no bounded contents.
func (t *Table) Scan(context.Context, catalog.ScanRequest) (catalog.BatchReader, error) {
	return nil, fmt.Errorf("scanning %s: it can only be read as a stream", t.Describe())
}

// Describe implements catalog.Describer.
func (t *Table) Describe() string {
	if t.cfg.jetStream {
		if t.cfg.sink {
			return fmt.Sprintf("jetstream stream %s", t.cfg.stream)
		}
		return fmt.Sprintf("jetstream stream %s consumer %s", t.cfg.stream, t.cfg.consumer)
	}
	return fmt.Sprintf("nats subject %s", t.cfg.subject)
}

// OpenStream implements catalog.Streamable: one reader (a subscription,
// or the durable pull consumer).
func (t *Table) OpenStream(ctx context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	if err := t.usable(); err != nil {
		return nil, fmt.Errorf("opening stream %s: %w", t.Describe(), err)
	}
	if t.cfg.sink {
		return nil, fmt.Errorf("opening stream %s: the table is a sink (type=sink)", t.Describe())
	}
	rs, err := newRows(t.cfg.format, t.schema, t.cfg.jetStream, req, t.where)
	if err != nil {
		return nil, fmt.Errorf("opening stream %s: %w", t.Describe(), err)
	}
	var r catalog.SplitReader
	if t.cfg.jetStream {
		r, err = t.openJetStreamReader(ctx, req, rs)
	} else {
		r, err = t.openCoreReader(req, rs)
	}
	if err != nil {
		rs.release()
		return nil, fmt.Errorf("opening stream %s: %w", t.Describe(), err)
	}
	return []catalog.SplitReader{r}, nil
}

// OpenSink implements catalog.SinkTable.
func (t *Table) OpenSink(ctx context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	if err := t.usable(); err != nil {
		return nil, fmt.Errorf("opening sink %s: %w", t.Describe(), err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening sink %s: %w", t.Describe(), err)
	}
	enc, err := newEncoder(t.cfg, schema)
	if err != nil {
		return nil, fmt.Errorf("opening sink %s: %w", t.Describe(), err)
	}
	if t.cfg.jetStream {
		return newJetStreamSink(t, enc)
	}
	return &coreSink{t: t, enc: enc}, nil
}

// where names a message in dead letters' reasons.
func (t *Table) where(subject string, seq uint64) string {
	if t.cfg.jetStream {
		return fmt.Sprintf("stream %s seq %d subject %s", t.cfg.stream, seq, subject)
	}
	return "subject " + subject
}

func (t *Table) usable() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.released {
		return errors.New("the table was released")
	}
	return nil
}

// Release closes the connection; readers and sinks stop working.
func (t *Table) Release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.released {
		t.released = true
		t.nc.Close()
	}
}
