package timejoin

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/internal/optest"
)

// seqRows makes n rows with ids from id0, event times from t0 (step 1) and
// keys k<i mod nkeys>.
func seqRows(id0, t0, n, nkeys int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{id0 + i, t0 + i, fmt.Sprintf("k%d", i%nkeys)}
	}
	return rows
}

func TestIntervalStateFreed(t *testing.T) {
	mem := optest.CheckedMem(t)
	h := intervalHarness(t, mem, intervalSpec(-10, 10, false))
	defer h.close()
	j := h.op.(*IntervalJoin)
	for b := range 10 {
		h.run(lrows(seqRows(b*100, b*100, 100, 7)), rrows(seqRows(5000+b*100, b*100, 100, 7)))
	}
	full := j.StateBytes()
	if full <= 0 || j.rows != [2]int{1000, 1000} {
		t.Fatalf("state %d bytes, %v rows", full, j.rows)
	}
	// Left rows go once wm > tl - Lower, i.e. tl < 490; right rows once
	// wm > tr + Upper, i.e. tr < 490.
	h.run(wm(500))
	if j.rows != [2]int{510, 510} {
		t.Errorf("rows after watermark 500: %v, want [510 510]", j.rows)
	}
	if half := j.StateBytes(); half >= full*3/4 || half <= full/4 {
		t.Errorf("state %d bytes after freeing half of %d", half, full)
	}
	h.run(wm(2000))
	if n := j.StateBytes(); n != 0 {
		t.Errorf("state %d bytes after the watermark passed every row, want 0", n)
	}
	if j.keys.live != 0 || j.due[0].len()+j.due[1].len() != 0 {
		t.Errorf("%d keys, %d+%d calendar entries, want none", j.keys.live, j.due[0].len(), j.due[1].len())
	}
	for side, st := range j.stores {
		for _, c := range st.chunks {
			if c != nil {
				t.Errorf("%s store keeps a chunk", sideName(side))
			}
		}
	}
}

func TestIntervalCompaction(t *testing.T) {
	mem := optest.CheckedMem(t)
	h := intervalHarness(t, mem, intervalSpec(-10, 10, false))
	defer h.close()
	j := h.op.(*IntervalJoin)
	h.run(lrows(seqRows(0, 0, 200, 1)))
	before := j.stores[0].bytes
	// Left rows with tl < 160 expire: 40 of 200 stay, so the chunk is
	// copied down to them.
	h.run(wm(170))
	st := j.stores[0]
	if st.rows != 40 || st.bytes >= before/2 {
		t.Errorf("%d rows in %d bytes (was %d), want 40 rows compacted", st.rows, st.bytes, before)
	}
	h.out = nil
	h.run(rrows{{1000, 175, "k0"}}, endL{}, endR{})
	var want []string
	for i := 165; i <= 185; i++ {
		want = append(want, fmt.Sprintf("%d %d k0 | 1000 175 k0", i, i))
	}
	checkOut(t, h.out, append(want, "@end"))
}

func TestIntervalKeyIDsReused(t *testing.T) {
	mem := optest.CheckedMem(t)
	h := intervalHarness(t, mem, intervalSpec(0, 0, false))
	defer h.close()
	j := h.op.(*IntervalJoin)
	for round := range 20 {
		rows := make(lrows, 50)
		for i := range rows {
			rows[i] = []any{i, round * 10, fmt.Sprintf("r%d-%d", round, i)}
		}
		h.run(rows, wm(round*10+1))
	}
	if j.keys.n > 50 || j.keys.live != 0 || len(j.keys.strs) != 0 {
		t.Errorf("%d key ids made, %d live, %d in the map; want ids reused", j.keys.n, j.keys.live, len(j.keys.strs))
	}
}

func TestWindowStateFreed(t *testing.T) {
	mem := optest.CheckedMem(t)
	h := windowHarness(t, mem, windowSpec(FullOuter))
	defer h.close()
	j := h.op.(*WindowJoin)
	var ls lrows
	var rs rrows
	for i := range 300 {
		w := i / 100 * 10
		ls = append(ls, []any{i, w, w + 10, fmt.Sprintf("k%d", i%13)})
		rs = append(rs, []any{1000 + i, w, w + 10, fmt.Sprintf("k%d", i%17)})
	}
	h.run(ls, rs)
	full := j.StateBytes()
	h.run(wm(10))
	if j.rows != [2]int{200, 200} || len(j.windows) != 2 {
		t.Errorf("rows %v in %d windows after the first closed", j.rows, len(j.windows))
	}
	if part := j.StateBytes(); part >= full || part <= full/3 {
		t.Errorf("state %d bytes after freeing a third of %d", part, full)
	}
	h.run(wm(30))
	if n := j.StateBytes(); n != 0 || len(j.order) != 0 {
		t.Errorf("state %d bytes, %d windows after all closed, want 0", n, len(j.order))
	}
}

func TestStoreRetainsWholeBatches(t *testing.T) {
	mem := optest.CheckedMem(t)
	st := newStore(mem)
	defer st.release()
	b := optest.Batch(t, mem, intervalSchema("l", arrow.BinaryTypes.String), seqRows(0, 0, 3, 1))
	defer b.Release()
	slots, err := st.add(b, []int32{0, 1, 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := st.at(slots[1]); got != b {
		t.Errorf("a fully kept batch was copied")
	}
	slots, err = st.add(b, []int32{2}, slots[:0])
	if err != nil {
		t.Fatal(err)
	}
	if got, row := st.at(slots[0]); got == b || row != 0 || got.NumRows() != 1 {
		t.Errorf("a partly kept batch was not copied down")
	}
	if err := st.maintain(); err != nil {
		t.Fatal(err)
	}
}
