// Package statecodec frames the snapshots of stateful operators (the
// operators.Stateful contract): a header of little-endian int64s, then
// Arrow IPC streams. The header and every stream are written as a chunk:
// its length (uint64), its CRC-32C (uint32), its bytes. A damaged snapshot
// is thus refused before the IPC decoder sees it, since that decoder may
// panic, or allocate without bound, on corrupt input.
//
// Each operator decides what its header and streams hold; by convention
// the header starts with a magic number, a format version and the fields
// of the operator's spec that its state depends on (its shape), which
// Header.Expect checks on restore.
//
// Batches passed to the writers are borrowed; batches handed to a
// ReadStream callback are borrowed for the duration of the call (Retain
// what you keep). Nothing here is safe for concurrent use of one reader or
// writer, as is usual for io streams.
//
// The js/wasm build (the Durable Object host) has no Arrow IPC streams:
// its jobs never snapshot (they rebuild state from the event log), and
// the IPC codec would cost a sixth of the gzipped module. There the
// stream functions fail with ErrNoStreams.
package statecodec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// MaxCount bounds the counts Header.Count accepts, against corrupt input.
const MaxCount = 1 << 40

// Size limits of chunks read back, against corrupt lengths.
const (
	maxHeaderBytes = 8 << 24 // 16M header values
	maxStreamBytes = 1 << 40
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// WriteChunk writes data as its length, its CRC-32C and itself.
func WriteChunk(w io.Writer, data []byte) error {
	var pre [12]byte
	binary.LittleEndian.PutUint64(pre[:8], uint64(len(data)))
	binary.LittleEndian.PutUint32(pre[8:], crc32.Checksum(data, crcTable))
	if _, err := w.Write(pre[:]); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

// ReadChunk reads what WriteChunk wrote, refusing a length above limit
// and data that does not match its checksum. It allocates only as the
// bytes arrive, so a corrupt length on truncated input costs nothing. At
// the end of r it returns io.EOF; within a chunk, io.ErrUnexpectedEOF.
func ReadChunk(r io.Reader, limit int64) ([]byte, error) {
	var pre [12]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, err
	}
	n := int64(binary.LittleEndian.Uint64(pre[:8]))
	if n < 0 || n > limit {
		return nil, fmt.Errorf("bad length %d", n)
	}
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, r, n); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // the prefix promised more
		}
		return nil, err
	}
	if crc32.Checksum(buf.Bytes(), crcTable) != binary.LittleEndian.Uint32(pre[8:]) {
		return nil, errors.New("checksum mismatch: snapshot damaged")
	}
	return buf.Bytes(), nil
}

// WriteHeader writes hdr as one chunk.
func WriteHeader(w io.Writer, hdr []int64) error {
	buf := make([]byte, 0, 8*len(hdr))
	for _, v := range hdr {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(v))
	}
	return WriteChunk(w, buf)
}

// Header reads the values of a header written by WriteHeader in order.
// The first error sticks: after one, every read returns 0 and Err
// reports it, so a restore can read a run of fields and check once.
type Header struct {
	vals []int64
	err  error
}

// ReadHeader reads a header chunk. Its errors start "reading header".
func ReadHeader(r io.Reader) (*Header, error) {
	data, err := ReadChunk(r, maxHeaderBytes)
	if err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	if len(data)%8 != 0 {
		return nil, fmt.Errorf("reading header: length %d is not a multiple of 8", len(data))
	}
	h := &Header{vals: make([]int64, len(data)/8)}
	for i := range h.vals {
		h.vals[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return h, nil
}

// Err is the first error met reading h.
func (h *Header) Err() error { return h.err }

func (h *Header) fail(err error) {
	if h.err == nil {
		h.err = err
	}
}

// Next returns the next value (0 and a sticky "truncated header" error
// past the end).
func (h *Header) Next() int64 {
	if len(h.vals) == 0 {
		h.fail(errors.New("truncated header"))
		return 0
	}
	v := h.vals[0]
	h.vals = h.vals[1:]
	return v
}

// Count returns the next value as a count, in [0, MaxCount]; another
// value is an error.
func (h *Header) Count() int {
	v := h.Next()
	if v < 0 || v > MaxCount {
		h.fail(fmt.Errorf("bad count %d in header", v))
		return 0
	}
	return int(v)
}

// Rest returns the values not read yet and consumes them.
func (h *Header) Rest() []int64 {
	v := h.vals
	h.vals = nil
	return v
}

// Expect reads len(want) values and checks them against want: the magic
// number, the format version, then the shape fields. what names the
// operator in the errors.
func (h *Header) Expect(what string, want []int64) error {
	var version int64
	if len(want) > 1 {
		version = want[1]
	}
	for i, w := range want {
		got := h.Next()
		if h.err != nil {
			return h.err
		}
		if got == w {
			continue
		}
		if i < 2 {
			return fmt.Errorf("not a snapshot of this operator (%s of version %d)", what, version)
		}
		return fmt.Errorf("snapshot of another %s: shape field %d is %d, want %d", what, i-2, got, w)
	}
	return nil
}
