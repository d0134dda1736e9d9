//go:build !js

package statecodec

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// WriteStream writes recs (borrowed) as one Arrow IPC stream of schema s,
// framed as a chunk. Encoding errors start "encoding state".
func WriteStream(w io.Writer, mem memory.Allocator, s *arrow.Schema, recs ...arrow.RecordBatch) error {
	return WriteStreamFunc(w, mem, s, func(put func(arrow.RecordBatch) error) error {
		for _, r := range recs {
			if err := put(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteStreamFunc writes one Arrow IPC stream of schema s, framed as a
// chunk, with the batches fill passes to put (borrowed: fill releases
// what it built once put returns). It suits state too large to build as
// batches all at once. When fill fails, nothing is written and its error
// is returned.
func WriteStreamFunc(w io.Writer, mem memory.Allocator, s *arrow.Schema, fill func(put func(arrow.RecordBatch) error) error) error {
	var buf bytes.Buffer
	iw := ipc.NewWriter(&buf, ipc.WithSchema(s), ipc.WithAllocator(mem))
	put := func(r arrow.RecordBatch) error {
		if err := iw.Write(r); err != nil {
			return fmt.Errorf("encoding state: %w", err)
		}
		return nil
	}
	if err := fill(put); err != nil {
		iw.Close()
		return err
	}
	if err := iw.Close(); err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	return WriteChunk(w, buf.Bytes())
}

// ReadStream reads one stream written by WriteStream or WriteStreamFunc,
// checks that its schema is s and calls f with each batch (borrowed: f
// retains what it keeps), stopping at f's first error. Framing errors
// start "reading state", decoding errors "decoding state"; a panic during
// the read (the IPC decoder's on corrupt input, or f's) is reported as a
// decoding error. The checksum is what keeps damaged bytes from the
// decoder, which trusts the lengths it reads: snapshots are trusted
// files, checked against accidental damage, not against forgery.
func ReadStream(r io.Reader, mem memory.Allocator, s *arrow.Schema, f func(arrow.RecordBatch) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoding state: corrupt snapshot: %v", p)
		}
	}()
	data, err := ReadChunk(r, maxStreamBytes)
	if err != nil {
		return fmt.Errorf("reading state: %w", err)
	}
	// With WithSchema, NewReader refuses a stream of another schema.
	ir, err := ipc.NewReader(bytes.NewReader(data), ipc.WithAllocator(mem), ipc.WithSchema(s))
	if err != nil {
		return fmt.Errorf("decoding state: %w", err)
	}
	defer ir.Release()
	for ir.Next() {
		if err := f(ir.RecordBatch()); err != nil {
			return err
		}
	}
	if err := ir.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("decoding state: %w", err)
	}
	return nil
}
