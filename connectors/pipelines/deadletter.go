package pipelines

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

// deadLetterSchema is what a dead-letter connector receives, as
// transforms.DeadLetterSchema: the reason and the row as a JSON object.
var deadLetterSchema = arrow.NewSchema([]arrow.Field{
	{Name: "reason", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "raw", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// deadLetter receives rows that could not be delivered: a JSONL file
// ({"reason":…,"raw":…} per row) or any sink a connector URI names, each
// call committed at once so that a dead letter is durable before the
// checkpoint that skips its row. Safe for concurrent use (lanes).
type deadLetter struct {
	mu    sync.Mutex
	file  *file.DeadLetterWriter
	table catalog.Table
	sink  catalog.Sink
	epoch int64
}

// openDeadLetter opens the dead_letter option's output; nil when unset.
func openDeadLetter(ctx context.Context, target string) (*deadLetter, error) {
	if target == "" {
		return nil, nil
	}
	if !catalog.IsConnectorURI(target) {
		w, err := file.NewDeadLetterWriter(target)
		if err != nil {
			return nil, err
		}
		return &deadLetter{file: w}, nil
	}
	t, err := catalog.OpenURI(target, catalog.RoleSink, deadLetterSchema)
	if err != nil {
		return nil, fmt.Errorf("opening dead-letter output: %w", err)
	}
	st, ok := t.(catalog.SinkTable)
	if !ok {
		catalog.ReleaseTable(t)
		return nil, fmt.Errorf("opening dead-letter output: %T cannot be written to", t)
	}
	s, err := st.OpenSink(ctx, deadLetterSchema)
	if err != nil {
		catalog.ReleaseTable(t)
		return nil, fmt.Errorf("opening dead-letter output: %w", err)
	}
	return &deadLetter{table: t, sink: s}, nil
}

// write records rows with the reason.
func (d *deadLetter) write(ctx context.Context, rows [][]byte, reason string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.file != nil {
		for _, r := range rows {
			if err := d.file.Raw(ctx, r, reason); err != nil {
				return fmt.Errorf("writing dead letters: %w", err)
			}
		}
		return nil
	}
	rb := array.NewStringBuilder(memory.DefaultAllocator)
	defer rb.Release()
	for range rows {
		rb.Append(reason)
	}
	reasons := rb.NewArray()
	defer reasons.Release()
	for _, r := range rows {
		rb.BinaryBuilder.Append(r)
	}
	raws := rb.NewArray()
	defer raws.Release()
	b := array.NewRecordBatch(deadLetterSchema, []arrow.Array{reasons, raws}, int64(len(rows)))
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
	return nil
}

// Close closes the output.
func (d *deadLetter) Close() error {
	if d.file != nil {
		return d.file.Close()
	}
	err := d.sink.Close()
	catalog.ReleaseTable(d.table)
	if err != nil {
		return fmt.Errorf("closing dead-letter output: %w", err)
	}
	return nil
}
