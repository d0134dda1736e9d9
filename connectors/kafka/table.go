package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

func init() {
	catalog.RegisterConnector("kafka", factory)
	catalog.RegisterScheme("kafka", "kafka", parseURI)
}

// sampleWait bounds how long schema inference waits for sample messages.
var sampleWait = 5 * time.Second // a variable for tests

// setupTimeout bounds what the factory and OpenStream ask the brokers
// (metadata, offsets, schema samples).
const setupTimeout = 30 * time.Second

// Table is a Kafka topic: a stream source (catalog.Streamable), a bounded
// scan of what the topic holds now, and a sink (catalog.SinkTable). It
// holds no client: readers and sinks own theirs.
type Table struct {
	cfg    *config
	layout *layout // nil for a sink without declared columns
}

var (
	_ catalog.Streamable = (*Table)(nil)
	_ catalog.SinkTable  = (*Table)(nil)
	_ catalog.Describer  = (*Table)(nil)
)

// factory builds a Table from CREATE TABLE … WITH (…) options or a URI.
func factory(options map[string]string, schema *arrow.Schema) (catalog.Table, error) {
	cfg, err := parseConfig(options)
	if err != nil {
		return nil, fmt.Errorf("creating kafka table: %w", err)
	}
	if schema == nil || schema.NumFields() == 0 {
		schema = cfg.schema
	} else if cfg.schema != nil {
		return nil, errors.New("creating kafka table: declare the columns or the schema option, not both")
	}
	t := &Table{cfg: cfg}
	if cfg.role == forSink {
		// The sink takes the query's columns; declared ones only show.
		if schema != nil {
			t.layout = &layout{schema: schema}
		}
		return t, nil
	}
	if schema == nil {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if schema, err = t.infer(ctx); err != nil {
			return nil, fmt.Errorf("creating kafka table %s: %w", cfg.topic, err)
		}
	} else if len(cfg.metadata) > 0 {
		return nil, errors.New("creating kafka table: the metadata option applies to a sampled schema; declare the metadata columns instead")
	}
	if t.layout, err = newLayout(schema); err != nil {
		return nil, fmt.Errorf("creating kafka table %s: %w", cfg.topic, err)
	}
	if _, err := file.NewMessageDecoder(cfg.format, t.layout.payload, memory.DefaultAllocator); err != nil {
		return nil, fmt.Errorf("creating kafka table %s: %w", cfg.topic, err)
	}
	return t, nil
}

// Schema implements catalog.Table.
func (t *Table) Schema() *arrow.Schema {
	if t.layout == nil {
		return arrow.NewSchema(nil, nil)
	}
	return t.layout.schema
}

// Describe implements catalog.Describer.
func (t *Table) Describe() string {
	d := fmt.Sprintf("kafka topic %s (%s, %s)", t.cfg.topic, t.cfg.format, t.cfg.role)
	if t.cfg.group != "" {
		d += ", group " + t.cfg.group
	}
	return d
}

// infer samples up to cfg.sample messages from the start offsets, without
// consuming them (nothing is committed), and infers the payload columns,
// adding the metadata columns the metadata option names.
func (t *Table) infer(ctx context.Context) (*arrow.Schema, error) {
	if t.cfg.format == file.MessageCSV {
		return nil, errors.New("CSV messages carry no column names: declare them with schema='id BIGINT, …'")
	}
	samples, err := t.sample(ctx)
	if err != nil {
		return nil, err
	}
	if len(samples) == 0 && t.cfg.format == file.MessageJSON {
		return nil, errors.New("no messages to sample from the start offsets: declare the columns with schema='id BIGINT, ts TIMESTAMP, …'")
	}
	s, err := file.InferMessageSchema(t.cfg.format, samples)
	if err != nil {
		return nil, fmt.Errorf("%w (declare the columns with schema='…')", err)
	}
	fields := s.Fields()
	for _, name := range t.cfg.metadata {
		k, _ := metaKindOf(name)
		if len(s.FieldIndices(name)) > 0 {
			return nil, fmt.Errorf("the messages have a field %s, which the metadata option also names", name)
		}
		fields = append(fields, metaField(k))
	}
	return arrow.NewSchema(fields, nil), nil
}

// sample reads up to cfg.sample message values from the start offsets,
// stopping at the topic's current end.
func (t *Table) sample(ctx context.Context) ([][]byte, error) {
	adm, cl, err := t.admin()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	parts, err := t.cfg.partitionsOf(ctx, adm)
	if err != nil {
		return nil, err
	}
	from, err := t.cfg.startOffsets(ctx, adm, parts)
	if err != nil {
		return nil, err
	}
	ends, err := t.cfg.endOffsets(ctx, adm)
	if err != nil {
		return nil, err
	}
	want := map[int32]int64{} // partitions with messages to sample, and their ends
	for _, p := range parts {
		if e, ok := ends.Lookup(t.cfg.topic, p); ok && e.Offset > from[p] {
			want[p] = e.Offset
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	rd, err := t.cfg.newClient(t.cfg.consumerOpts(from)...)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	// Values behind aborted transactions never arrive: sample for a
	// while, then go with what came.
	sctx, cancel := context.WithTimeout(ctx, sampleWait)
	defer cancel()
	var out [][]byte
	for len(out) < t.cfg.sample && len(want) > 0 && sctx.Err() == nil {
		fs := rd.PollRecords(sctx, t.cfg.sample-len(out))
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("sampling %s: %w", t.cfg.topic, err)
		}
		if err := fetchError(sctx, fs); err != nil && sctx.Err() == nil {
			return nil, fmt.Errorf("sampling %s: %w", t.cfg.topic, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := want[r.Partition]; ok {
				out = append(out, r.Value)
				if r.Offset+1 >= end {
					delete(want, r.Partition)
				}
			}
		})
	}
	return out, nil
}

// admin makes a short-lived admin client.
func (t *Table) admin() (*kadm.Client, *kgo.Client, error) {
	cl, err := t.cfg.newClient()
	if err != nil {
		return nil, nil, err
	}
	return kadm.NewClient(cl), cl, nil
}

// fetchError returns the first real error of a poll: not the injected
// context error of a poll whose deadline passed while ctx itself lives.
func fetchError(ctx context.Context, fs kgo.Fetches) error {
	for _, fe := range fs.Errors() {
		if (errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, context.Canceled)) && ctx.Err() == nil {
			continue
		}
		if fe.Partition >= 0 {
			return fmt.Errorf("partition %d: %w", fe.Partition, fe.Err)
		}
		return fe.Err
	}
	return nil
}

// OpenStream implements catalog.Streamable: one split per partition (all
// of the topic's as of now, or the partitions option), each starting at
// the start offset; Seek moves it to a checkpoint's position.
func (t *Table) OpenStream(ctx context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	return t.open(ctx, req, false)
}

func (t *Table) open(ctx context.Context, req catalog.StreamRequest, bounded bool) ([]catalog.SplitReader, error) {
	if t.cfg.role != forSource {
		return nil, fmt.Errorf("opening kafka topic %s: the table is a sink (type=sink)", t.cfg.topic)
	}
	for _, c := range req.Columns {
		if c < 0 || c >= t.layout.schema.NumFields() {
			return nil, fmt.Errorf("opening kafka topic %s: column ordinal %d out of range", t.cfg.topic, c)
		}
	}
	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	adm, cl, err := t.admin()
	if err != nil {
		return nil, fmt.Errorf("opening kafka topic %s: %w", t.cfg.topic, err)
	}
	defer cl.Close()
	parts, err := t.cfg.partitionsOf(sctx, adm)
	if err != nil {
		return nil, fmt.Errorf("opening kafka topic %s: %w", t.cfg.topic, err)
	}
	from, err := t.cfg.startOffsets(sctx, adm, parts)
	if err != nil {
		return nil, fmt.Errorf("opening kafka topic %s: %w", t.cfg.topic, err)
	}
	var ends kadm.ListedOffsets
	if bounded {
		if ends, err = t.cfg.endOffsets(sctx, adm); err != nil {
			return nil, fmt.Errorf("opening kafka topic %s: %w", t.cfg.topic, err)
		}
	}
	if req.Alloc == nil {
		req.Alloc = memory.DefaultAllocator
	}
	readers := make([]catalog.SplitReader, 0, len(parts))
	for _, p := range parts {
		end := int64(-1)
		if bounded {
			e, _ := ends.Lookup(t.cfg.topic, p)
			end = e.Offset
		}
		r, err := newSplitReader(t, p, from[p], end, req)
		if err != nil {
			for _, r := range readers {
				r.Close()
			}
			return nil, fmt.Errorf("opening kafka topic %s: %w", t.cfg.topic, err)
		}
		readers = append(readers, r)
	}
	return readers, nil
}

// Scan implements catalog.Table: what the topic holds now, from the start
// offsets to the current end of each partition, partition after
// partition. Nothing is committed. Filters and Limit are left to the
// caller.
func (t *Table) Scan(ctx context.Context, req catalog.ScanRequest) (catalog.BatchReader, error) {
	// A partition idle for a second before its listed end holds only
	// aborted records and transaction markers there.
	readers, err := t.open(ctx, catalog.StreamRequest{Columns: req.Columns, Alloc: req.Alloc, Linger: time.Second}, true)
	if err != nil {
		return nil, err
	}
	return &scanReader{readers: readers}, nil
}

// scanReader reads bounded split readers one after the other.
type scanReader struct {
	readers []catalog.SplitReader
}

func (s *scanReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for len(s.readers) > 0 {
		b, err := s.readers[0].Read(ctx)
		switch {
		case err == nil:
			return b, nil
		case errors.Is(err, io.EOF), errors.Is(err, catalog.ErrIdle):
			// Idle at the end: what is left up to the listed end is
			// aborted records and transaction markers.
			s.readers[0].Close()
			s.readers = s.readers[1:]
		default:
			return nil, err
		}
	}
	return nil, io.EOF
}

func (s *scanReader) Close() error {
	var errs []error
	for _, r := range s.readers {
		errs = append(errs, r.Close())
	}
	s.readers = nil
	return errors.Join(errs...)
}
