package file

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/render"
)

// JSONLSink is where a streaming query writes JSONL: one object per row,
// keys in column order, values as `streamsql query --format jsonl` prints
// them.
//
// A file sink is exactly once per checkpoint: PreCommit flushes and syncs
// the file and returns its length as the checkpoint state, Restore
// truncates the file back to that length, and a sink opened without
// Restore (a fresh job) starts the file empty. A writer sink (stdout) is
// at least once: it flushes at every Write and PreCommit, and Restore
// cannot take back what was written, so rows after the last checkpoint
// are written again after a resume.
type JSONLSink struct {
	path string    // "" for a writer sink
	w    io.Writer // for a writer sink
}

var _ catalog.SinkTable = (*JSONLSink)(nil)

// NewJSONLSink returns a sink writing to the file at path, or to stdout
// when path is "-".
func NewJSONLSink(path string) *JSONLSink {
	if path == "-" {
		return NewWriterSink(os.Stdout)
	}
	return &JSONLSink{path: path}
}

// NewWriterSink returns an at-least-once sink writing to w.
func NewWriterSink(w io.Writer) *JSONLSink { return &JSONLSink{w: w} }

// Describe says where the rows go.
func (s *JSONLSink) Describe() string {
	if s.w != nil {
		return "jsonl stdout"
	}
	return "jsonl " + s.path
}

// OpenSink implements catalog.SinkTable. A file is created if missing but
// not yet truncated: Restore may still want its committed part.
func (s *JSONLSink) OpenSink(ctx context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening sink %s: %w", s.Describe(), err)
	}
	out := &jsonlWriter{fresh: true, names: make([]string, schema.NumFields()), types: make([]types.Type, schema.NumFields())}
	for i, f := range schema.Fields() {
		out.names[i] = f.Name
		out.types[i], _ = types.FromField(f) // unknown types print as text
	}
	if s.w != nil {
		out.name, out.bw = "stdout", bufio.NewWriterSize(s.w, 64<<10)
		return out, nil
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening sink %s: %w", s.path, err)
	}
	out.name, out.f, out.bw = s.path, f, bufio.NewWriterSize(f, readBufferSize)
	return out, nil
}

// jsonlWriter is the catalog.Sink of a JSONLSink.
type jsonlWriter struct {
	name   string
	f      *os.File // nil for a writer sink
	bw     *bufio.Writer
	names  []string
	types  []types.Type
	fresh  bool  // neither restored nor started empty yet
	size   int64 // bytes written, the file's length once flushed
	buf    []byte
	err    error // sticky: a failed write leaves the output unknown
	closed bool
}

// sinkState is the checkpoint state of a JSONL sink.
type sinkState struct {
	Length int64 `json:"length"`
}

// start empties a fresh file sink: the job did not resume.
func (w *jsonlWriter) start() error {
	if !w.fresh {
		return nil
	}
	w.fresh = false
	if w.f == nil || !regular(w.f) {
		return nil // a device or pipe (/dev/null, a FIFO) has nothing to empty
	}
	if err := w.f.Truncate(0); err != nil {
		return fmt.Errorf("truncating %s: %w", w.name, err)
	}
	return nil
}

// usable reports a closed or failed sink, and starts a fresh one.
func (w *jsonlWriter) usable() error {
	switch {
	case w.closed:
		return fmt.Errorf("writing %s: %w", w.name, errClosed)
	case w.err != nil:
		return w.err
	}
	if err := w.start(); err != nil {
		w.err = err
		return err
	}
	return nil
}

// Write appends the rows of b (borrowed).
func (w *jsonlWriter) Write(ctx context.Context, b arrow.RecordBatch) error {
	if err := w.usable(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if int(b.NumCols()) != len(w.names) {
		return fmt.Errorf("writing %s: batch has %d columns, the sink %d", w.name, b.NumCols(), len(w.names))
	}
	for r := 0; r < int(b.NumRows()); r++ {
		w.buf = render.AppendJSONRow(w.buf[:0], w.names, w.types, b, r)
		w.buf = append(w.buf, '\n')
		if _, err := w.bw.Write(w.buf); err != nil {
			w.err = fmt.Errorf("writing %s: %w", w.name, err)
			return w.err
		}
		w.size += int64(len(w.buf))
	}
	if w.f == nil {
		return w.flush(false)
	}
	return nil
}

// flush writes the buffer out, and syncs a file when asked.
func (w *jsonlWriter) flush(sync bool) error {
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("writing %s: %w", w.name, err)
		return w.err
	}
	if sync && w.f != nil && regular(w.f) {
		if err := w.f.Sync(); err != nil {
			w.err = fmt.Errorf("syncing %s: %w", w.name, err)
			return w.err
		}
	}
	return nil
}

// PreCommit makes everything written durable and returns the output's
// length as the checkpoint state.
func (w *jsonlWriter) PreCommit(_ context.Context, epoch int64) ([]byte, error) {
	if err := w.usable(); err != nil {
		return nil, err
	}
	if err := w.flush(true); err != nil {
		return nil, fmt.Errorf("pre-committing epoch %d: %w", epoch, err)
	}
	return json.Marshal(sinkState{Length: w.size})
}

// Commit has nothing to do: PreCommit already made the rows durable.
func (w *jsonlWriter) Commit(context.Context, int64) error {
	if w.closed {
		return fmt.Errorf("committing %s: %w", w.name, errClosed)
	}
	return nil
}

// Restore truncates a file to the length stored by PreCommit, dropping
// rows written after that checkpoint. For a writer sink it does nothing.
func (w *jsonlWriter) Restore(_ context.Context, state []byte) error {
	if w.closed {
		return fmt.Errorf("restoring %s: %w", w.name, errClosed)
	}
	if !w.fresh || w.size > 0 {
		return fmt.Errorf("restoring %s: Restore must come before any Write", w.name)
	}
	var st sinkState
	if err := json.Unmarshal(state, &st); err != nil || st.Length < 0 {
		return fmt.Errorf("restoring %s: malformed sink state %q", w.name, state)
	}
	w.fresh = false
	if w.f == nil || !regular(w.f) {
		w.size = st.Length // what earlier runs wrote; nothing to take back
		return nil
	}
	info, err := w.f.Stat()
	if err != nil {
		return fmt.Errorf("restoring %s: %w", w.name, err)
	}
	if info.Size() < st.Length {
		return fmt.Errorf("restoring %s: the file has %d bytes but the checkpoint committed %d (truncated or replaced since?)", w.name, info.Size(), st.Length)
	}
	if err := w.f.Truncate(st.Length); err != nil {
		return fmt.Errorf("restoring %s: %w", w.name, err)
	}
	w.size = st.Length
	return nil
}

// Close flushes (and syncs a file) and releases it; a fresh sink closed
// without output leaves an empty file. It may be called more than once.
func (w *jsonlWriter) Close() error {
	if w.closed {
		return nil
	}
	var errs []error
	if w.err == nil {
		if err := w.start(); err != nil {
			errs = append(errs, err)
		} else if err := w.flush(true); err != nil {
			errs = append(errs, err)
		}
	}
	w.closed = true
	if w.f != nil {
		if err := w.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing %s: %w", w.name, err))
		}
		w.f = nil
	}
	return errors.Join(errs...)
}

// regular reports whether f is a regular file (which can be truncated).
func regular(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode().IsRegular()
}
