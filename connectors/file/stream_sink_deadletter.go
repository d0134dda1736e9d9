package file

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/render"
)

// DeadLetterWriter writes what a job could not process as JSONL, one entry
// a line: {"reason": …, "raw": "<the input line>"} for undecodable input
// and {"reason": …, "row": {…}} for rows (late events), the row formatted
// as the JSONL sink formats it. It has the method set of exec.DeadLetter.
//
// Entries are appended (a restart keeps earlier entries; input replayed
// after a resume may be dead-lettered again) and flushed one call at a
// time. Safe for concurrent use: split readers report in parallel.
type DeadLetterWriter struct {
	mu     sync.Mutex
	name   string
	f      *os.File // nil for a writer
	bw     *bufio.Writer
	buf    []byte
	count  int64
	err    error // sticky
	closed bool
}

// NewDeadLetterWriter appends dead letters to the file at path (created if
// missing), or writes them to stderr when path is "-": stdout carries the
// job's output.
func NewDeadLetterWriter(path string) (*DeadLetterWriter, error) {
	if path == "-" {
		return NewDeadLetterWriterTo(os.Stderr), nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening dead-letter file %s: %w", path, err)
	}
	return &DeadLetterWriter{name: path, f: f, bw: bufio.NewWriter(f)}, nil
}

// NewDeadLetterWriterTo writes dead letters to w.
func NewDeadLetterWriterTo(w io.Writer) *DeadLetterWriter {
	return &DeadLetterWriter{name: "dead letters", bw: bufio.NewWriter(w)}
}

// Raw records input that could not be decoded; raw is borrowed.
func (d *DeadLetterWriter) Raw(_ context.Context, raw []byte, reason string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.usable(); err != nil {
		return err
	}
	d.buf = append(d.buf[:0], `{"reason":`...)
	d.buf = appendJSONString(d.buf, reason)
	d.buf = append(d.buf, `,"raw":`...)
	d.buf = appendJSONString(d.buf, string(raw))
	d.buf = append(d.buf, "}\n"...)
	d.count++
	return d.write()
}

// Rows records each row of b (borrowed), e.g. late events.
func (d *DeadLetterWriter) Rows(_ context.Context, b arrow.RecordBatch, reason string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.usable(); err != nil {
		return err
	}
	s := b.Schema()
	names := make([]string, s.NumFields())
	ts := make([]types.Type, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
		ts[i], _ = types.FromField(f)
	}
	d.buf = d.buf[:0]
	for r := 0; r < int(b.NumRows()); r++ {
		d.buf = append(d.buf, `{"reason":`...)
		d.buf = appendJSONString(d.buf, reason)
		d.buf = append(d.buf, `,"row":`...)
		d.buf = render.AppendJSONRow(d.buf, names, ts, b, r)
		d.buf = append(d.buf, "}\n"...)
	}
	d.count += b.NumRows()
	return d.write()
}

// Count returns the entries written so far (one per Raw call, one per row
// given to Rows).
func (d *DeadLetterWriter) Count() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.count
}

func (d *DeadLetterWriter) usable() error {
	if d.closed {
		return fmt.Errorf("writing %s: %w", d.name, errClosed)
	}
	return d.err
}

// write writes and flushes the entries in buf.
func (d *DeadLetterWriter) write() error {
	if _, err := d.bw.Write(d.buf); err != nil {
		d.err = fmt.Errorf("writing %s: %w", d.name, err)
		return d.err
	}
	if err := d.bw.Flush(); err != nil {
		d.err = fmt.Errorf("writing %s: %w", d.name, err)
		return d.err
	}
	return nil
}

// Close syncs and closes a file; it may be called more than once.
func (d *DeadLetterWriter) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	if d.f == nil {
		return nil
	}
	var errs []error
	if err := d.f.Sync(); err != nil {
		errs = append(errs, fmt.Errorf("syncing %s: %w", d.name, err))
	}
	if err := d.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("closing %s: %w", d.name, err))
	}
	return errors.Join(errs...)
}

// appendJSONString appends s as a JSON string (invalid UTF-8 becomes
// U+FFFD).
func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // cannot fail for a string
	return append(dst, b...)
}
