package rank

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/internal/optest"
)

// dedupCase is a script over dedupSchema (ts, k, g, v) with its expected
// output and late rows; every case also runs with a snapshot and restore
// after each step, which must not change either.
type dedupCase struct {
	name  string
	spec  DedupSpec
	steps []any
	out   []string
	late  []string
}

func runDedupCases(t *testing.T, cases []dedupCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.spec.Input = dedupSchema
			out, late := script(t, dedupSchema, dedupOp(c.spec), c.steps...)
			equal(t, "output", out, c.out)
			equal(t, "late rows", late, c.late)
			out, late = script(t, dedupSchema, dedupOp(c.spec), withSnaps(c.steps)...)
			equal(t, "output with snapshots", out, c.out)
			equal(t, "late rows with snapshots", late, c.late)
		})
	}
}

func TestDedupFirstArrival(t *testing.T) {
	runDedupCases(t, []dedupCase{{
		name: "NULL keys equal each other",
		spec: DedupSpec{KeyCols: []int{1}, TimeCol: -1},
		steps: []any{
			rows{{1, "a", 1, 1}, {2, "b", 1, 2}, {3, "a", 1, 3}, {4, nil, 1, 4}, {5, nil, 2, 5}},
			rows{{6, "c", 1, 6}, {7, "d", 1, 7}}, // all new: passed through
			rows{{8, "b", 1, 8}, {9, nil, 1, 9}},
			end{},
		},
		out: []string{"1 a 1 1", "2 b 1 2", "4 NULL 1 4", "6 c 1 6", "7 d 1 7", "@end"},
	}, {
		name: "multi-column keys",
		spec: DedupSpec{KeyCols: []int{1, 2}, TimeCol: 0},
		steps: []any{
			rows{{1, "a", 1, 1}, {2, "a", nil, 2}, {3, nil, 1, 3}, {4, nil, nil, 4}, {5, "a", 2, 5}},
			wm(100), // no TTL: nothing expires, old rows are not late
			rows{{6, "a", 1, 6}, {7, nil, nil, 7}, {8, "a", nil, 8}, {9, "b", 1, 9}, {nil, "c", 1, 10}},
		},
		out: []string{"1 a 1 1", "2 a NULL 2", "3 NULL 1 3", "4 NULL NULL 4", "5 a 2 5", "@wm 100",
			"9 b 1 9", "NULL c 1 10"},
	}, {
		name: "TTL in event time",
		spec: DedupSpec{KeyCols: []int{1}, TimeCol: 0, TTL: 10},
		steps: []any{
			rows{{0, "a", 0, 1}},
			wm(5),
			rows{{8, "a", 0, 2}}, // seen again: a lives until wm > 18
			wm(15),
			rows{{12, "a", 0, 3}}, // older, but still a duplicate: a's last stays 12
			wm(23),                // a forgotten (12+10 < 23)
			rows{{25, "a", 0, 4}, {10, "b", 0, 5}, {14, "c", 0, 6}, {nil, "d", 0, 7}},
		},
		out:  []string{"0 a 0 1", "@wm 5", "@wm 15", "@wm 23", "25 a 0 4", "14 c 0 6"},
		late: []string{"NULL d 0 7 | late event", "10 b 0 5 | late event"},
	}})
}

func TestDedupFirstArrivalProcessingTTL(t *testing.T) {
	mem := optest.CheckedMem(t)
	var clock int64
	spec := DedupSpec{Input: dedupSchema, KeyCols: []int{1}, TimeCol: -1, TTL: 100,
		Now: func() time.Time { return time.UnixMicro(clock) }}
	h := newHarness(t, mem, dedupSchema, dedupOp(spec))
	defer h.close()
	h.run(rows{{1, "a", 0, 1}, {2, "b", 0, 2}})
	clock = 50
	h.run(rows{{3, "a", 0, 3}}) // a last seen at 50
	clock = 120
	h.run(rows{{4, "b", 0, 4}, {5, "a", 0, 5}}) // b forgotten (0+100 < 120), a not
	equal(t, "output", h.out, []string{"1 a 0 1", "2 b 0 2", "4 b 0 4"})
	if k := h.op.(*Dedup).Keys(); k != 2 {
		t.Errorf("keys %d, want 2", k)
	}
	h.restart()
	clock = 500
	h.run(wm(1))
	if k := h.op.(*Dedup).Keys(); k != 0 {
		t.Errorf("keys %d after every TTL passed, want 0", k)
	}
	if h.op.StateBytes() != 0 {
		t.Errorf("state bytes %d without keys, want 0", h.op.StateBytes())
	}
}

func TestDedupEarliest(t *testing.T) {
	runDedupCases(t, []dedupCase{{
		name: "out of order",
		spec: DedupSpec{KeyCols: []int{1}, TimeCol: 0, Mode: Earliest},
		steps: []any{
			rows{{10, "a", 0, 1}, {5, "a", 0, 2}, {7, "b", 0, 3}, {5, "a", 0, 4}, {12, "c", 0, 5}},
			wm(8), // a@5 (first of the tie) and b@7, by time
			rows{{3, "a", 0, 6}, {6, "d", 0, 7}, {9, "c", 0, 8}, {8, "e", 0, 9}, {nil, "f", 0, 10}},
			wm(10),
			rows{{20, "g", 0, 11}, {15, nil, 0, 12}, {14, nil, 0, 13}},
			end{},
		},
		out: []string{"5 a 0 2", "7 b 0 3", "@wm 8", "8 e 0 9", "9 c 0 8", "@wm 10",
			"14 NULL 0 13", "20 g 0 11", "@end"},
		late: []string{"NULL f 0 10 | late event", "6 d 0 7 | late event"},
	}, {
		name: "TTL",
		spec: DedupSpec{KeyCols: []int{1}, TimeCol: 0, Mode: Earliest, TTL: 10},
		steps: []any{
			rows{{5, "a", 0, 1}},
			wm(8),
			rows{{14, "a", 0, 2}}, // duplicate: a remembered until wm > 24
			wm(20),
			rows{{21, "a", 0, 3}}, // until wm > 31
			wm(40),
			rows{{35, "a", 0, 4}, {45, "a", 0, 5}},
			wm(50),
		},
		out:  []string{"5 a 0 1", "@wm 8", "@wm 20", "@wm 40", "45 a 0 5", "@wm 50"},
		late: []string{"35 a 0 4 | late event"},
	}})
}

func TestDedupLatest(t *testing.T) {
	runDedupCases(t, []dedupCase{{
		name: "changelog",
		spec: DedupSpec{KeyCols: []int{1}, TimeCol: 0, Mode: Latest},
		steps: []any{
			rows{{5, "a", 0, 1}, {3, "b", 0, 2}, {7, "a", 0, 3}, {6, "a", 0, 4}},
			rows{{7, "a", 0, 5}, {2, "b", 0, 6}, {4, nil, 0, 7}, {nil, "b", 0, 8}},
			rows{{1, "a", 0, 8}},
			wm(100),
			rows{{4, nil, 0, 9}},
			end{},
		},
		out: []string{"3 b 0 2 +", "7 a 0 3 +",
			"7 a 0 3 -", "7 a 0 5 +", "4 NULL 0 7 +",
			"@wm 100",
			"4 NULL 0 7 -", "4 NULL 0 9 +", "@end"},
		late: []string{"NULL b 0 8 | late event"},
	}, {
		name: "TTL",
		spec: DedupSpec{KeyCols: []int{1, 2}, TimeCol: 0, Mode: Latest, TTL: 10},
		steps: []any{
			rows{{5, "a", 1, 1}, {3, "a", 2, 2}},
			wm(14), // a,2 forgotten (3+10 < 14)
			rows{{2, "a", 1, 3}, {3, "a", 2, 4}, {4, "a", 2, 5}},
			wm(30),
			rows{{25, "a", 1, 6}},
		},
		out:  []string{"5 a 1 1 +", "3 a 2 2 +", "@wm 14", "4 a 2 5 +", "@wm 30", "25 a 1 6 +"},
		late: []string{"3 a 2 4 | late event"},
	}})
}

func TestDedupFloatAndBoolKeys(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	}, nil)
	spec := DedupSpec{Input: s, KeyCols: []int{0, 1, 2, 3}, TimeCol: -1}
	out, _ := script(t, s, dedupOp(spec),
		rows{{0.0, true, 1, 1}, {math.Copysign(0, -1), true, 1, 1}, {math.NaN(), false, 1, 1}, {-math.NaN(), false, 1, 1},
			{nil, nil, nil, nil}, {nil, nil, nil, nil}, {1.5, true, 2, 1}, {1.5, true, 1, 2}})
	equal(t, "output", out, []string{"0 true 1970-01-02 1", "NaN false 1970-01-02 1",
		"NULL NULL NULL NULL", "1.5 true 1970-01-03 1", "1.5 true 1970-01-02 2"})
}

func TestDedupStats(t *testing.T) {
	mem := optest.CheckedMem(t)
	spec := DedupSpec{Input: dedupSchema, KeyCols: []int{1}, TimeCol: 0, Mode: Earliest}
	h := newHarness(t, mem, dedupSchema, dedupOp(spec))
	defer h.close()
	h.run(rows{{5, "a", 0, 1}, {6, "b", 0, 2}}, wm(3), rows{{1, "c", 0, 3}})
	d := h.op.(*Dedup)
	if d.Keys() != 2 || d.LateRows() != 1 || d.StateBytes() <= 0 {
		t.Errorf("keys %d, late %d, bytes %d; want 2, 1, > 0", d.Keys(), d.LateRows(), d.StateBytes())
	}
	if err := d.EndOfInput(context.Background(), 0, h.emit); err != nil {
		t.Fatal(err)
	}
	if err := d.EndOfInput(context.Background(), 0, h.emit); err != nil {
		t.Fatalf("second EndOfInput: %v", err)
	}
	equal(t, "output", h.out, []string{"@wm 3", "5 a 0 1", "6 b 0 2"})
}
