package timejoin

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators/statecodec"
)

// snapshotEveryStep runs steps once straight and once per position with a
// snapshot/restart there, and checks every run emits the same.
func snapshotEveryStep(t *testing.T, mk func() *harness, steps []any) {
	t.Helper()
	ref := mk()
	want := ref.run(steps...)
	ref.close()
	for k := 0; k <= len(steps); k++ {
		withSnap := append(append(append([]any(nil), steps[:k]...), snap{}), steps[k:]...)
		h := mk()
		got := h.run(withSnap...)
		h.close()
		if strings.Join(got, "\n") != strings.Join(want, "\n") || strings.Join(h.late, "\n") != strings.Join(ref.late, "\n") {
			t.Errorf("restart before step %d:\n  %s\nlate %v\nwant:\n  %s\nlate %v", k,
				strings.Join(got, "\n  "), h.late, strings.Join(want, "\n  "), ref.late)
		}
		if h.op.LateRows() != ref.op.LateRows() {
			t.Errorf("restart before step %d: LateRows %d, want %d", k, h.op.LateRows(), ref.op.LateRows())
		}
	}
}

func TestIntervalSnapshotRestore(t *testing.T) {
	steps := []any{
		lrows{{1, 100, "a"}, {2, 100, "b"}, {3, 103, "a"}, {4, 90, "c"}, {5, 101, nil}},
		rrows{{10, 104, "b"}, {11, 95, "a"}},
		wm(96),
		lrows{{6, 97, "a"}, {7, 94, "a"}},
		wm(105),
		rrows{{12, 107, "a"}, {13, 106, "c"}},
		wm(106),
		lrows{{8, 110, "c"}},
		wm(108),
		endL{}, endR{},
	}
	for _, outer := range []bool{false, true} {
		spec := intervalSpec(-5, 10, outer)
		mem := optest.CheckedMem(t)
		snapshotEveryStep(t, func() *harness { return intervalHarness(t, mem, spec) }, steps)
	}
}

func TestWindowSnapshotRestore(t *testing.T) {
	for typ := Inner; typ <= FullOuter; typ++ {
		mem := optest.CheckedMem(t)
		snapshotEveryStep(t, func() *harness { return windowHarness(t, mem, windowSpec(typ)) }, windowScript)
	}
}

func TestRestoreReplayedEnd(t *testing.T) {
	// An input that ended before the snapshot may end again after the
	// restart (a replayed source), once.
	mem := optest.CheckedMem(t)
	h := intervalHarness(t, mem, intervalSpec(0, 0, true))
	defer h.close()
	h.run(lrows{{1, 100, "a"}}, endL{}, snap{}, endL{}, rrows{{10, 100, "a"}}, endR{})
	checkOut(t, h.out, []string{"1 100 a | 10 100 a", "@end"})
	if err := h.op.EndOfInput(context.Background(), 0, h.emit); err == nil || !strings.Contains(err.Error(), "already ended") {
		t.Errorf("third end of input: %v", err)
	}
}

func TestSnapshotErrors(t *testing.T) {
	ctx := context.Background()
	mem := optest.CheckedMem(t)
	// A snapshot with state, of each join.
	ih := intervalHarness(t, mem, intervalSpec(-5, 5, true))
	defer ih.close()
	ih.run(lrows{{1, 100, "a"}}, rrows{{10, 100, "a"}}, wm(50))
	var isnap bytes.Buffer
	if err := ih.op.Snapshot(ctx, &isnap); err != nil {
		t.Fatal(err)
	}
	wh := windowHarness(t, mem, windowSpec(Inner))
	defer wh.close()
	wh.run(lrows{{1, 0, 10, "a"}})
	var wsnap bytes.Buffer
	if err := wh.op.Snapshot(ctx, &wsnap); err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, i int) []byte {
		c := append([]byte(nil), b...)
		c[i] ^= 0xff
		return c
	}
	ib := isnap.Bytes()
	for _, tc := range []struct {
		name string
		mk   func() (joinOp, error)
		data []byte
		want string
	}{
		{"empty", mkInterval(intervalSpec(-5, 5, true)), nil, "reading header"},
		{"bad length", mkInterval(intervalSpec(-5, 5, true)), flip(ib, 7), "bad length"},
		{"truncated header", mkInterval(intervalSpec(-5, 5, true)), ib[:20], "reading header"},
		{"other operator", mkInterval(intervalSpec(-5, 5, true)), wsnap.Bytes(), "not a snapshot of this operator"},
		{"other bounds", mkInterval(intervalSpec(-5, 6, true)), ib, "shape field 1"},
		{"other join type", mkWindow(windowSpec(LeftOuter)), wsnap.Bytes(), "shape field 0"},
		{"truncated state", mkInterval(intervalSpec(-5, 5, true)), ib[:len(ib)-10], "reading state"},
		{"corrupt state", mkInterval(intervalSpec(-5, 5, true)), corruptState(ib, 4), "decoding state"},
		{"damaged state", mkInterval(intervalSpec(-5, 5, true)), flip(ib, stateAt(ib)+12+4), "checksum mismatch"},
		{"missing state", mkInterval(intervalSpec(-5, 5, true)), ib[:stateAt(ib)], "reading state"},
		{"short header", mkInterval(intervalSpec(-5, 5, true)), rawHeader(intervalMagic, snapVersion), "truncated header"},
		{"bad trailer", mkInterval(intervalSpec(-5, 5, true)), rawHeader(headerOf(ib)[:len(headerOf(ib))-1]...), "bad header"},
		{"negative late count", mkInterval(intervalSpec(-5, 5, true)), withLate(ib, -1), "bad header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op, err := tc.mk()
			if err != nil {
				t.Fatal(err)
			}
			if err := op.Open(ctx, mem); err != nil {
				t.Fatal(err)
			}
			defer op.Close()
			err = op.Restore(ctx, bytes.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "restoring ") {
				t.Errorf("Restore: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// Restoring needs an open operator without state.
	if err := ih.op.Restore(ctx, bytes.NewReader(ib)); err == nil || !strings.Contains(err.Error(), "already has state") {
		t.Errorf("Restore into a used operator: %v", err)
	}
	op, _ := NewIntervalJoin(intervalSpec(-5, 5, true))
	if err := op.Restore(ctx, bytes.NewReader(ib)); err == nil || !strings.Contains(err.Error(), "not open") {
		t.Errorf("Restore before Open: %v", err)
	}
	if err := op.Snapshot(ctx, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "not open") {
		t.Errorf("Snapshot before Open: %v", err)
	}
	wop, _ := NewWindowJoin(windowSpec(Inner))
	if err := wop.Snapshot(ctx, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "not open") {
		t.Errorf("Snapshot before Open: %v", err)
	}
	if err := wop.Restore(ctx, bytes.NewReader(wsnap.Bytes())); err == nil || !strings.Contains(err.Error(), "not open") {
		t.Errorf("Restore before Open: %v", err)
	}
	// Writer failures, at the header and at each stream.
	for _, h := range []*harness{ih, wh} {
		for _, n := range []int{0, 1, 2, 3} {
			w := &optest.FailWriter{After: n}
			if err := h.op.Snapshot(ctx, w); !errors.Is(err, optest.ErrWrite) {
				t.Errorf("Snapshot to a writer failing after %d writes: %v", n, err)
			}
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := h.op.Snapshot(cctx, &bytes.Buffer{}); !errors.Is(err, context.Canceled) {
			t.Errorf("Snapshot with a cancelled context: %v", err)
		}
		if err := h.op.Restore(cctx, bytes.NewReader(nil)); err == nil {
			t.Errorf("Restore into a used operator succeeded")
		}
	}
}

func mkInterval(spec IntervalSpec) func() (joinOp, error) {
	return func() (joinOp, error) { return NewIntervalJoin(spec) }
}

func mkWindow(spec WindowJoinSpec) func() (joinOp, error) {
	return func() (joinOp, error) { return NewWindowJoin(spec) }
}

// A snapshot is chunks framed by statecodec: length (8 bytes), CRC-32C
// (4 bytes), data. The first chunk is the header of int64s.

// hdrLen reads the number of header values of a snapshot.
func hdrLen(b []byte) int {
	return int(binary.LittleEndian.Uint64(b)) / 8
}

// stateAt is the offset of the first state chunk, after the header.
func stateAt(b []byte) int { return 12 + 8*hdrLen(b) }

// headerOf returns the header values of a snapshot.
func headerOf(b []byte) []int64 {
	out := make([]int64, hdrLen(b))
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(b[12+8*i:]))
	}
	return out
}

// rawHeader encodes a header alone.
func rawHeader(vals ...int64) []byte {
	var buf bytes.Buffer
	statecodec.WriteHeader(&buf, vals)
	return buf.Bytes()
}

// withLate returns a copy of snapshot b with its late count replaced.
func withLate(b []byte, late int64) []byte {
	hdr := headerOf(b)
	hdr[len(hdr)-3] = late
	return append(rawHeader(hdr...), b[stateAt(b):]...)
}

// corruptState returns a copy of snapshot b with byte i of the first
// state chunk's data altered and the chunk's checksum made to match, so
// that the IPC decoder sees the damage.
func corruptState(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	at := stateAt(b)
	n := int(binary.LittleEndian.Uint64(c[at:]))
	data := c[at+12 : at+12+n]
	data[i] ^= 0xff
	binary.LittleEndian.PutUint32(c[at+8:], crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	return c
}
