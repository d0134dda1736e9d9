package transforms

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/render"
)

// openOutputURI opens a connector URI (kafka://…, pipelines+https://…) as
// the job's output.
func openOutputURI(uri string) (catalog.SinkTable, error) {
	t, err := catalog.OpenURI(uri, catalog.RoleSink, nil)
	if err != nil {
		return nil, fmt.Errorf("opening output: %w", err)
	}
	st, ok := t.(catalog.SinkTable)
	if !ok {
		catalog.ReleaseTable(t)
		return nil, fmt.Errorf("opening output: %T cannot be written to", t)
	}
	return st, nil
}

// DeadLetterSchema is what a dead-letter connector URI receives: the
// reason, and the input that could not be processed (the raw bytes of an
// undecodable message, or a late row as a JSON object).
var DeadLetterSchema = arrow.NewSchema([]arrow.Field{
	{Name: "reason", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "raw", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// sinkDeadLetter writes dead letters to any sink (a Kafka topic, a
// JetStream subject): each call is written and committed at once, so a
// dead letter is durable before the job goes on; a replay after a crash
// may dead-letter the same input again (at least once).
type sinkDeadLetter struct {
	mu    sync.Mutex
	table catalog.Table
	sink  catalog.Sink
	epoch int64
	count int64
	mem   memory.Allocator
}

func openDeadLetterURI(ctx context.Context, uri string) (*sinkDeadLetter, error) {
	st, err := openOutputURI(uri)
	if err != nil {
		return nil, fmt.Errorf("opening dead-letter output: %w", err)
	}
	s, err := st.OpenSink(ctx, DeadLetterSchema)
	if err != nil {
		catalog.ReleaseTable(st.(catalog.Table))
		return nil, fmt.Errorf("opening dead-letter output: %w", err)
	}
	return &sinkDeadLetter{table: st.(catalog.Table), sink: s, mem: memory.DefaultAllocator}, nil
}

// Raw implements exec.DeadLetter.
func (d *sinkDeadLetter) Raw(ctx context.Context, raw []byte, reason string) error {
	return d.write(ctx, []string{reason}, []string{string(raw)})
}

// Rows implements exec.DeadLetter: each late row goes as a JSON object.
func (d *sinkDeadLetter) Rows(ctx context.Context, b arrow.RecordBatch, reason string) error {
	names := make([]string, b.NumCols())
	ts := make([]types.Type, b.NumCols())
	for i, f := range b.Schema().Fields() {
		names[i] = f.Name
		ts[i], _ = types.FromField(f)
	}
	reasons := make([]string, b.NumRows())
	raws := make([]string, b.NumRows())
	var buf []byte
	for r := range raws {
		buf = render.AppendJSONRow(buf[:0], names, ts, b, r)
		reasons[r], raws[r] = reason, string(buf)
	}
	return d.write(ctx, reasons, raws)
}

func (d *sinkDeadLetter) write(ctx context.Context, reasons, raws []string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	rb := array.NewStringBuilder(d.mem)
	rb.AppendValues(reasons, nil)
	reason := rb.NewArray()
	rb.AppendValues(raws, nil)
	raw := rb.NewArray()
	rb.Release()
	b := array.NewRecordBatch(DeadLetterSchema, []arrow.Array{reason, raw}, int64(len(raws)))
	reason.Release()
	raw.Release()
	defer b.Release()
	d.epoch++
	if err := d.sink.Write(ctx, b); err != nil {
		return fmt.Errorf("writing dead letters: %w", err)
	}
	if _, err := d.sink.PreCommit(ctx, d.epoch); err != nil {
		return fmt.Errorf("writing dead letters: %w", err)
	}
	if err := d.sink.Commit(ctx, d.epoch); err != nil {
		return fmt.Errorf("writing dead letters: %w", err)
	}
	d.count += int64(len(raws))
	return nil
}

// Count is the number of dead letters written.
func (d *sinkDeadLetter) Count() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.count
}

// Close closes the sink and releases its table.
func (d *sinkDeadLetter) Close() error {
	err := d.sink.Close()
	catalog.ReleaseTable(d.table)
	if err != nil {
		return fmt.Errorf("closing dead-letter output: %w", err)
	}
	return nil
}
