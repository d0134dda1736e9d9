package memory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

func init() {
	catalog.RegisterConnector("memory", factory)
}

// maxSplits bounds the splits option: each split is a reader (and, in
// exec, a goroutine).
const maxSplits = 1024

// factory builds a Stream from CREATE TABLE options: splits (default 1).
// The columns must be declared: an empty stream has nothing to infer from.
func factory(options map[string]string, schema *arrow.Schema) (catalog.Table, error) {
	if schema == nil || schema.NumFields() == 0 {
		return nil, errors.New("creating memory table: declare its columns, e.g. CREATE TABLE t (id BIGINT, ts TIMESTAMP) WITH (connector='memory')")
	}
	n := 1
	if v := options["splits"]; v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > maxSplits {
			return nil, fmt.Errorf("creating memory table: splits %q: want an integer from 1 to %d", v, maxSplits)
		}
	}
	return NewStreamSplits(schema, n), nil
}

// OpenSink implements catalog.SinkTable: a streaming INSERT INTO the
// stream appends the query's rows to split 0, where readers of the stream
// see them at once. The query's columns must have the stream's types, by
// position. PreCommit returns the split's row count, and Restore drops the
// rows after it (rows readers may already have read). Closing the sink
// does not close the stream for writing.
func (s *Stream) OpenSink(ctx context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening memory stream as a sink: %w", err)
	}
	if schema.NumFields() != s.schema.NumFields() {
		return nil, fmt.Errorf("opening memory stream as a sink: the query has %d columns, the table %d", schema.NumFields(), s.schema.NumFields())
	}
	for i, f := range s.schema.Fields() {
		if got := schema.Field(i).Type; !arrow.TypeEqual(got, f.Type) {
			return nil, fmt.Errorf("opening memory stream as a sink: column %s is %s but the query gives %s", f.Name, f.Type, got)
		}
	}
	return &streamSink{s: s}, nil
}

// streamSink appends a job's output to a Stream.
type streamSink struct {
	s       *Stream
	written bool
	closed  bool
}

func (k *streamSink) usable(verb string) error {
	if k.closed {
		return fmt.Errorf("%s memory stream: the sink is closed", verb)
	}
	return nil
}

// Write copies b (borrowed) into the stream's own memory and appends it.
func (k *streamSink) Write(ctx context.Context, b arrow.RecordBatch) error {
	if err := k.usable("writing to"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.NumRows() == 0 {
		return nil
	}
	c, err := copyBatch(k.s.mem, k.s.schema, b)
	if err != nil {
		return fmt.Errorf("writing to memory stream: %w", err)
	}
	defer c.Release()
	if err := k.s.Append(c); err != nil {
		return err
	}
	k.written = true
	return nil
}

// PreCommit returns the stream's row count: the rows are already visible.
func (k *streamSink) PreCommit(context.Context, int64) ([]byte, error) {
	if err := k.usable("pre-committing"); err != nil {
		return nil, err
	}
	return json.Marshal(state{Rows: k.s.Rows(0)})
}

// Commit has nothing to do.
func (k *streamSink) Commit(context.Context, int64) error {
	return k.usable("committing")
}

// Restore drops the rows appended after the checkpoint.
func (k *streamSink) Restore(_ context.Context, st []byte) error {
	if err := k.usable("restoring"); err != nil {
		return err
	}
	if k.written {
		return errors.New("restoring memory stream: Restore must come before any Write")
	}
	n, err := decodeState(st)
	if err != nil {
		return fmt.Errorf("restoring memory stream: %w", err)
	}
	if err := k.s.truncate(n); err != nil {
		return fmt.Errorf("restoring memory stream: %w", err)
	}
	return nil
}

// Close ends the job's writing; the stream stays open for other writers.
func (k *streamSink) Close() error {
	k.closed = true
	return nil
}
