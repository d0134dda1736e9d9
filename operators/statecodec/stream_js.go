//go:build js

package statecodec

import (
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ErrNoStreams: this build has no Arrow IPC codec for state streams.
var ErrNoStreams = errors.New("operator state snapshots are not built into js/wasm")

// WriteStream fails: see ErrNoStreams.
func WriteStream(io.Writer, memory.Allocator, *arrow.Schema, ...arrow.RecordBatch) error {
	return fmt.Errorf("encoding state: %w", ErrNoStreams)
}

// WriteStreamFunc fails without calling fill: see ErrNoStreams.
func WriteStreamFunc(io.Writer, memory.Allocator, *arrow.Schema, func(put func(arrow.RecordBatch) error) error) error {
	return fmt.Errorf("encoding state: %w", ErrNoStreams)
}

// ReadStream fails: see ErrNoStreams.
func ReadStream(io.Reader, memory.Allocator, *arrow.Schema, func(arrow.RecordBatch) error) error {
	return fmt.Errorf("decoding state: %w", ErrNoStreams)
}
