package timejoin

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators/statecodec"
)

// Fault paths that validation keeps the joins from reaching, checked on
// the helpers directly.

func TestPickColumnErrors(t *testing.T) {
	mem := optest.CheckedMem(t)
	i64 := optest.Batch(t, mem, intervalSchema("l", arrow.BinaryTypes.String), [][]any{{1, 2, "a"}})
	defer i64.Release()
	refs := []ref{{src: 0, row: 0}}
	if _, err := pickColumn(mem, arrow.PrimitiveTypes.Uint8, []arrow.Array{i64.Column(0)}, refs); err == nil || !strings.Contains(err.Error(), "unsupported type uint8") {
		t.Errorf("unsupported type: %v", err)
	}
	for _, dt := range []arrow.DataType{arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String, arrow.FixedWidthTypes.Boolean} {
		if _, err := pickColumn(mem, dt, []arrow.Array{i64.Column(0)}, refs); err == nil || !strings.Contains(err.Error(), "unexpected array type int64") {
			t.Errorf("%s from an int64 array: %v", dt, err)
		}
	}
	var p picker
	p.add(i64, 0)
	if _, err := p.columns(mem, []arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}, {Name: "y", Type: arrow.PrimitiveTypes.Int32}}); err == nil || !strings.Contains(err.Error(), "gathering column y") {
		t.Errorf("picker columns: %v", err)
	}
}

func TestKeyEncoderErrors(t *testing.T) {
	mem := optest.CheckedMem(t)
	b := optest.Batch(t, mem, intervalSchema("l", arrow.BinaryTypes.String), [][]any{{1, 2, "a"}})
	defer b.Release()
	for _, tc := range []struct {
		kind keyKind
		col  int
	}{{keyInt, 2}, {keyString, 0}} {
		e := keyEncoder{kind: tc.kind}
		if err := e.encode([]arrow.Array{b.Column(tc.col)}); err == nil || !strings.Contains(err.Error(), "unexpected key type") {
			t.Errorf("kind %d: %v", tc.kind, err)
		}
	}
	u8 := array.NewUint8Builder(mem)
	u8.Append(1)
	a := u8.NewArray()
	u8.Release()
	defer a.Release()
	e := keyEncoder{kind: keyBytes}
	if err := e.encode([]arrow.Array{a}); err == nil || !strings.Contains(err.Error(), "encoding keys") {
		t.Errorf("bytes kind over uint8: %v", err)
	}
}

func TestStoreAddError(t *testing.T) {
	mem := optest.CheckedMem(t)
	st := newStore(mem)
	defer st.release()
	s := arrow.NewSchema([]arrow.Field{field("x", arrow.PrimitiveTypes.Uint8)}, nil)
	bld := array.NewRecordBuilder(mem, s)
	bld.Field(0).(*array.Uint8Builder).AppendValues([]uint8{1, 2}, nil)
	b := bld.NewRecordBatch()
	bld.Release()
	defer b.Release()
	if _, err := st.add(b, []int32{1}, nil); err == nil || !strings.Contains(err.Error(), "buffering rows") {
		t.Errorf("add: %v", err)
	}
	// Compacting a chunk of such rows fails the same way.
	slots, err := st.add(b, []int32{0, 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.chunks[0].slots = append(st.chunks[0].slots, make([]int32, minCompactRows)...)
	for i := 2; i < len(st.chunks[0].slots); i++ {
		st.chunks[0].slots[i] = -1
	}
	st.kill(slots[0])
	if err := st.maintain(); err == nil || !strings.Contains(err.Error(), "compacting buffered rows") {
		t.Errorf("maintain: %v", err)
	}
}

// TestRestoreBadRows restores well-formed snapshots holding rows no join
// buffers: without event time, with a NULL key, without window bounds.
func TestRestoreBadRows(t *testing.T) {
	ctx := context.Background()
	mem := optest.CheckedMem(t)
	for _, tc := range []struct {
		mk   func() (joinOp, error)
		row  []any
		want string
	}{
		{mkInterval(intervalSpec(0, 0, false)), []any{1, nil, "a"}, "without event time"},
		{mkInterval(intervalSpec(0, 0, false)), []any{1, 5, nil}, "with a NULL key"},
		{mkWindow(windowSpec(Inner)), []any{1, 0, nil, "a"}, "without window bounds"},
	} {
		op, err := tc.mk()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		switch j := op.(type) {
		case *IntervalJoin:
			craftSnapshot(t, mem, &buf, append([]int64{intervalMagic, snapVersion}, j.shape()...),
				snapSchema(j.in[0], matchedField), append(tc.row, false), snapSchema(j.in[1]))
		case *WindowJoin:
			craftSnapshot(t, mem, &buf, append([]int64{windowMagic, snapVersion}, j.shape()...),
				snapSchema(j.in[0]), tc.row, snapSchema(j.in[1]))
		}
		if err := op.Open(ctx, mem); err != nil {
			t.Fatal(err)
		}
		if err := op.Restore(ctx, &buf); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%T: %v, want an error containing %q", op, err, tc.want)
		}
		op.Close()
	}
}

// craftSnapshot writes a snapshot with header hdr, one left row and no
// right rows.
func craftSnapshot(t *testing.T, mem memory.Allocator, w *bytes.Buffer, hdr []int64, ls *arrow.Schema, row []any, rs *arrow.Schema) {
	t.Helper()
	if err := statecodec.WriteHeader(w, append(hdr, minWM, 0, 0, 0)); err != nil {
		t.Fatal(err)
	}
	for side, s := range []*arrow.Schema{ls, rs} {
		var rows [][]any
		if side == 0 {
			rows = [][]any{row}
		}
		b := optest.Batch(t, mem, s, rows)
		err := statecodec.WriteStream(w, mem, s, b)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
}
