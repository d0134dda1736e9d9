package statecodec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
)

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// snapshotOf writes a header and two streams (two batches, then none).
func snapshotOf(t *testing.T, mem memory.Allocator, hdr []int64) []byte {
	t.Helper()
	b1 := optest.Batch(t, mem, testSchema, [][]any{{1, "a"}, {nil, "bb"}})
	defer b1.Release()
	b2 := optest.Batch(t, mem, testSchema, [][]any{{3, nil}})
	defer b2.Release()
	var buf bytes.Buffer
	if err := WriteHeader(&buf, hdr); err != nil {
		t.Fatal(err)
	}
	if err := WriteStream(&buf, mem, testSchema, b1, b2); err != nil {
		t.Fatal(err)
	}
	if err := WriteStream(&buf, mem, testSchema); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rowsOf reads one stream, rendering its rows.
func rowsOf(r *bytes.Reader, mem memory.Allocator) ([]string, error) {
	var out []string
	err := ReadStream(r, mem, testSchema, func(b arrow.RecordBatch) error {
		for i := range int(b.NumRows()) {
			out = append(out, optest.Cell(b.Column(0), i)+" "+optest.Cell(b.Column(1), i))
		}
		return nil
	})
	return out, err
}

func TestRoundTrip(t *testing.T) {
	mem := optest.CheckedMem(t)
	data := snapshotOf(t, mem, []int64{7, 1, 42, -5, 3, 10, 11, 12})
	r := bytes.NewReader(data)
	h, err := ReadHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Expect("test", []int64{7, 1, 42}); err != nil {
		t.Fatal(err)
	}
	if v, n := h.Next(), h.Count(); v != -5 || n != 3 || h.Err() != nil {
		t.Errorf("Next, Count: %d, %d, %v; want -5, 3, nil", v, n, h.Err())
	}
	if rest := h.Rest(); fmt.Sprint(rest) != "[10 11 12]" || len(h.Rest()) != 0 {
		t.Errorf("Rest: %v", rest)
	}
	got, err := rowsOf(r, mem)
	if err != nil || strings.Join(got, ",") != "1 a,NULL bb,3 NULL" {
		t.Errorf("first stream: %q, %v", got, err)
	}
	if got, err := rowsOf(r, mem); err != nil || len(got) != 0 {
		t.Errorf("empty stream: %q, %v", got, err)
	}
	if r.Len() != 0 {
		t.Errorf("%d bytes left", r.Len())
	}
}

func TestHeaderErrors(t *testing.T) {
	header := func(vals ...int64) *Header {
		t.Helper()
		var buf bytes.Buffer
		if err := WriteHeader(&buf, vals); err != nil {
			t.Fatal(err)
		}
		h, err := ReadHeader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	for _, tc := range []struct {
		name string
		h    *Header
		want []int64
		err  string
	}{
		{"other magic", header(8, 1, 42), []int64{7, 1, 42}, "not a snapshot of this operator (test of version 1)"},
		{"other version", header(7, 2, 42), []int64{7, 1, 42}, "not a snapshot of this operator (test of version 1)"},
		{"other shape", header(7, 1, 42, 5), []int64{7, 1, 42, 6}, "snapshot of another test: shape field 1 is 5, want 6"},
		{"short", header(7, 1), []int64{7, 1, 42}, "truncated header"},
	} {
		if err := tc.h.Expect("test", tc.want); err == nil || err.Error() != tc.err {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
		}
	}
	// Errors stick: the first one is kept, and reads return 0.
	h := header(-1, MaxCount+1)
	if n := h.Count(); n != 0 || h.Err() == nil || h.Err().Error() != "bad count -1 in header" {
		t.Errorf("negative count: %d, %v", n, h.Err())
	}
	if n := h.Count(); n != 0 || h.Err().Error() != "bad count -1 in header" {
		t.Errorf("second bad count: %d, %v", n, h.Err())
	}
	h = header(MaxCount + 1)
	if h.Count(); h.Err() == nil || !strings.Contains(h.Err().Error(), "bad count") {
		t.Errorf("count above MaxCount: %v", h.Err())
	}
	h = header(5)
	if v1, v2 := h.Next(), h.Next(); v1 != 5 || v2 != 0 || h.Err() == nil || h.Err().Error() != "truncated header" {
		t.Errorf("reading past the end: %d, %d, %v", v1, v2, h.Err())
	}
	if _, err := ReadHeader(bytes.NewReader(nil)); err == nil || err.Error() != "reading header: EOF" {
		t.Errorf("no header: %v", err)
	}
	// A header chunk whose length is not a whole number of values.
	var buf bytes.Buffer
	if err := WriteChunk(&buf, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadHeader(&buf); err == nil || !strings.Contains(err.Error(), "reading header: length 3 is not a multiple of 8") {
		t.Errorf("odd header length: %v", err)
	}
}

// chunk frames data with the given length and checksum.
func chunk(n uint64, sum uint32, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, n)
	out = binary.LittleEndian.AppendUint32(out, sum)
	return append(out, data...)
}

func TestChunkErrors(t *testing.T) {
	data := []byte("state bytes")
	sum := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "EOF"},
		{"short prefix", chunk(11, sum, nil)[:7], "unexpected EOF"},
		{"short data", chunk(11, sum, data[:5]), "unexpected EOF"},
		{"over the limit", chunk(1<<20, sum, data), "bad length 1048576"},
		{"negative length", chunk(1<<63, sum, data), "bad length"},
		{"damaged data", chunk(11, sum, []byte("state bytez")), "checksum mismatch: snapshot damaged"},
		{"damaged checksum", chunk(11, sum^1, data), "checksum mismatch"},
	} {
		if _, err := ReadChunk(bytes.NewReader(tc.in), 1<<10); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	got, err := ReadChunk(bytes.NewReader(chunk(11, sum, data)), 11)
	if err != nil || string(got) != string(data) {
		t.Errorf("intact chunk: %q, %v", got, err)
	}
}

func TestReadStreamErrors(t *testing.T) {
	mem := optest.CheckedMem(t)
	data := snapshotOf(t, mem, []int64{1})
	streamAt := 12 + 8
	other := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	garbage := []byte("not an arrow ipc stream")
	for _, tc := range []struct {
		name   string
		in     []byte
		schema *arrow.Schema
		want   string
	}{
		{"missing", nil, testSchema, "reading state: EOF"},
		{"truncated", data[streamAt : streamAt+30], testSchema, "reading state: unexpected EOF"},
		{"damaged", flip(data, streamAt+12+9)[streamAt:], testSchema, "reading state: checksum mismatch"},
		{"other schema", data[streamAt:], other, "different schema"},
		{"not IPC", chunk(uint64(len(garbage)), crc32.Checksum(garbage, crcTable), garbage), testSchema, "decoding state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ReadStream(bytes.NewReader(tc.in), mem, tc.schema, func(arrow.RecordBatch) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "ing state: ") {
				t.Errorf("%v, want an error containing %q", err, tc.want)
			}
		})
	}
	// The callback's error ends the read, unchanged.
	errStop := errors.New("stop")
	calls := 0
	err := ReadStream(bytes.NewReader(data[streamAt:]), mem, testSchema, func(arrow.RecordBatch) error {
		calls++
		return errStop
	})
	if !errors.Is(err, errStop) || calls != 1 {
		t.Errorf("callback error: %v after %d calls", err, calls)
	}
}

// TestReadStreamCorruptIPC reads IPC data that is damaged but carries a
// matching checksum: decoding fails cleanly, leaking nothing, and a panic
// during the read becomes an error.
func TestReadStreamCorruptIPC(t *testing.T) {
	mem := optest.CheckedMem(t)
	data := snapshotOf(t, mem, []int64{1})[12+8:]
	// An IPC message starts with the 0xFFFFFFFF continuation marker and
	// its metadata length (whose low byte this alters); the first message
	// is the schema, the second the first batch.
	n := int(binary.LittleEndian.Uint64(data))
	schemaLen := 8 + int(binary.LittleEndian.Uint32(data[12+4:]))
	for _, at := range []int{4, schemaLen + 4} {
		alt := bytes.Clone(data)
		ipcData := alt[12 : 12+n]
		ipcData[at] ^= 0xff
		binary.LittleEndian.PutUint32(alt[8:], crc32.Checksum(ipcData, crcTable))
		if _, err := rowsOf(bytes.NewReader(alt), mem); err == nil || !strings.HasPrefix(err.Error(), "decoding state: ") {
			t.Errorf("metadata length at %d altered: %v", at, err)
		}
	}
	err := ReadStream(bytes.NewReader(data), mem, testSchema, func(arrow.RecordBatch) error { panic("boom") })
	if err == nil || err.Error() != "decoding state: corrupt snapshot: boom" {
		t.Errorf("panic during the read: %v", err)
	}
}

func TestWriteErrors(t *testing.T) {
	mem := optest.CheckedMem(t)
	b := optest.Batch(t, mem, testSchema, [][]any{{1, "a"}})
	defer b.Release()
	// A failing writer, at the prefix and at the data of a chunk.
	for n := range 2 {
		w := &optest.FailWriter{After: n}
		if err := WriteHeader(w, []int64{1}); !errors.Is(err, optest.ErrWrite) {
			t.Errorf("header to a writer failing after %d writes: %v", n, err)
		}
		w = &optest.FailWriter{After: n}
		if err := WriteStream(w, mem, testSchema, b); !errors.Is(err, optest.ErrWrite) {
			t.Errorf("stream to a writer failing after %d writes: %v", n, err)
		}
	}
	// A batch of another schema cannot be encoded.
	other := optest.Batch(t, mem, arrow.NewSchema(testSchema.Fields()[:1], nil), [][]any{{1}})
	defer other.Release()
	var buf bytes.Buffer
	if err := WriteStream(&buf, mem, testSchema, other); err == nil || !strings.HasPrefix(err.Error(), "encoding state: ") {
		t.Errorf("batch of another schema: %v", err)
	}
	// A failing fill writes nothing.
	errFill := errors.New("fill failed")
	err := WriteStreamFunc(&buf, mem, testSchema, func(put func(arrow.RecordBatch) error) error {
		if err := put(b); err != nil {
			return err
		}
		return errFill
	})
	if !errors.Is(err, errFill) || buf.Len() != 0 {
		t.Errorf("failing fill: %v, %d bytes written", err, buf.Len())
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}
