package rank

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Snapshots of both operators are a header of little-endian int64s, then
// Arrow IPC streams; the layout of each is described with its Snapshot
// method. The header and every stream are written as length, CRC-32C,
// bytes: a damaged snapshot is refused before the IPC decoder sees it (it
// may panic, or allocate without bound, on corrupt input).

// maxSnapCount bounds counts read from a snapshot, against corrupt input.
const maxSnapCount = 1 << 40

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// writeHeader writes hdr.
func writeHeader(w io.Writer, hdr []int64) error {
	buf := make([]byte, 0, 8*len(hdr))
	for _, v := range hdr {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(v))
	}
	return writeChunk(w, buf)
}

// writeChunk writes data as its length, its CRC-32C and itself.
func writeChunk(w io.Writer, data []byte) error {
	var pre [12]byte
	binary.LittleEndian.PutUint64(pre[:8], uint64(len(data)))
	binary.LittleEndian.PutUint32(pre[8:], crc32.Checksum(data, crcTable))
	if _, err := w.Write(pre[:]); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

// readChunk reads what writeChunk wrote, checking its length against
// limit and its checksum.
func readChunk(r io.Reader, limit int64) ([]byte, error) {
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
		return nil, err
	}
	if crc32.Checksum(buf.Bytes(), crcTable) != binary.LittleEndian.Uint32(pre[8:]) {
		return nil, errors.New("checksum mismatch: snapshot damaged")
	}
	return buf.Bytes(), nil
}

// hdrReader reads a header written by writeHeader; the first error
// sticks.
type hdrReader struct {
	vals []int64
	err  error
}

func readHeader(r io.Reader) (*hdrReader, error) {
	data, err := readChunk(r, 8<<24)
	if err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	if len(data)%8 != 0 {
		return nil, fmt.Errorf("reading header: length %d is not a multiple of 8", len(data))
	}
	h := &hdrReader{vals: make([]int64, len(data)/8)}
	for i := range h.vals {
		h.vals[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return h, nil
}

func (h *hdrReader) next() int64 {
	if len(h.vals) == 0 {
		if h.err == nil {
			h.err = errors.New("truncated header")
		}
		return 0
	}
	v := h.vals[0]
	h.vals = h.vals[1:]
	return v
}

func (h *hdrReader) count() int {
	v := h.next()
	if v < 0 || v > maxSnapCount {
		if h.err == nil {
			h.err = fmt.Errorf("bad count %d in header", v)
		}
		return 0
	}
	return int(v)
}

// expect checks the magic, version and shape fields against want.
func (h *hdrReader) expect(what string, want []int64) error {
	for i, w := range want {
		if got := h.next(); got != w {
			if h.err != nil {
				return h.err
			}
			if i < 2 {
				return fmt.Errorf("not a %s snapshot of this version", what)
			}
			return fmt.Errorf("snapshot of another %s: shape field %d is %d, want %d", what, i-2, got, w)
		}
	}
	return h.err
}

// writeStream writes recs as one length-prefixed Arrow IPC stream of
// schema s.
func writeStream(w io.Writer, mem memory.Allocator, s *arrow.Schema, recs ...arrow.RecordBatch) error {
	var buf bytes.Buffer
	iw := ipc.NewWriter(&buf, ipc.WithSchema(s), ipc.WithAllocator(mem))
	for _, r := range recs {
		if err := iw.Write(r); err != nil {
			iw.Close()
			return fmt.Errorf("encoding state: %w", err)
		}
	}
	if err := iw.Close(); err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	return writeChunk(w, buf.Bytes())
}

// readStream reads one length-prefixed Arrow IPC stream of schema s and
// calls f with each batch (borrowed: f retains what it keeps). The IPC
// decoder may panic on corrupt input; that is reported as an error.
func readStream(r io.Reader, mem memory.Allocator, s *arrow.Schema, f func(arrow.RecordBatch) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoding state: corrupt snapshot: %v", p)
		}
	}()
	data, err := readChunk(r, 1<<40)
	if err != nil {
		return fmt.Errorf("reading state: %w", err)
	}
	ir, err := ipc.NewReader(bytes.NewReader(data), ipc.WithAllocator(mem), ipc.WithSchema(s))
	if err != nil {
		return fmt.Errorf("decoding state: %w", err)
	}
	defer ir.Release()
	if !ir.Schema().Equal(s) {
		return fmt.Errorf("decoding state: schema %s, want %s", ir.Schema(), s)
	}
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

// withFields is s with extra fields appended.
func withFields(s *arrow.Schema, extra ...arrow.Field) *arrow.Schema {
	return arrow.NewSchema(append(s.Fields(), extra...), nil)
}
