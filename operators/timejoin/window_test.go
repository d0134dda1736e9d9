package timejoin

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/internal/optest"
)

func runWindow(t *testing.T, spec WindowJoinSpec, cases []scriptCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := optest.CheckedMem(t)
			h := windowHarness(t, mem, spec)
			defer h.close()
			checkOut(t, h.run(c.steps...), c.want)
			checkOut(t, h.late, c.late)
			if n := h.op.LateRows(); n != int64(len(c.late)) {
				t.Errorf("LateRows %d, want %d", n, len(c.late))
			}
		})
	}
}

// windowScript has windows [0,10), [0,20) and [10,20) (same end, other
// start), unmatched rows on both sides and rows arriving out of window
// order.
var windowScript = []any{
	lrows{{1, 0, 10, "a"}, {2, 0, 10, "b"}, {3, 10, 20, "a"}},
	rrows{{10, 0, 10, "a"}, {11, 10, 20, "b"}, {12, 0, 10, "a"}, {13, 0, 20, "a"}},
	lrows{{4, 0, 10, "a"}, {5, 0, 20, "a"}},
	wm(9),
	rrows{{14, 10, 20, "a"}},
	wm(10),
	endL{}, endR{},
}

func TestWindowJoinTypes(t *testing.T) {
	for _, tc := range []struct {
		typ  JoinType
		want []string
	}{
		{Inner, []string{
			"@wm 9",
			"1 0 10 a | 10 0 10 a", "1 0 10 a | 12 0 10 a", "4 0 10 a | 10 0 10 a", "4 0 10 a | 12 0 10 a", "@wm 10",
			"5 0 20 a | 13 0 20 a", "3 10 20 a | 14 10 20 a", "@end",
		}},
		{LeftOuter, []string{
			"@wm 9",
			"1 0 10 a | 10 0 10 a", "1 0 10 a | 12 0 10 a", "2 0 10 b | NULL NULL NULL NULL",
			"4 0 10 a | 10 0 10 a", "4 0 10 a | 12 0 10 a", "@wm 10",
			"5 0 20 a | 13 0 20 a", "3 10 20 a | 14 10 20 a", "@end",
		}},
		{RightOuter, []string{
			"@wm 9",
			"1 0 10 a | 10 0 10 a", "1 0 10 a | 12 0 10 a", "4 0 10 a | 10 0 10 a", "4 0 10 a | 12 0 10 a", "@wm 10",
			"5 0 20 a | 13 0 20 a", "3 10 20 a | 14 10 20 a", "NULL NULL NULL NULL | 11 10 20 b", "@end",
		}},
		{FullOuter, []string{
			"@wm 9",
			"1 0 10 a | 10 0 10 a", "1 0 10 a | 12 0 10 a", "2 0 10 b | NULL NULL NULL NULL",
			"4 0 10 a | 10 0 10 a", "4 0 10 a | 12 0 10 a", "@wm 10",
			"5 0 20 a | 13 0 20 a", "3 10 20 a | 14 10 20 a", "NULL NULL NULL NULL | 11 10 20 b", "@end",
		}},
	} {
		runWindow(t, windowSpec(tc.typ), []scriptCase{{name: tc.typ.String(), steps: windowScript, want: tc.want}})
	}
}

func TestWindowJoinLate(t *testing.T) {
	runWindow(t, windowSpec(FullOuter), []scriptCase{{
		name: "window end at or below the watermark",
		steps: []any{
			lrows{{1, 5, 15, "a"}},
			wm(10),
			lrows{{2, 0, 10, "a"}, {3, 5, 15, "a"}, {4, nil, 10, "a"}},
			rrows{{10, 5, 15, "a"}, {11, 0, 9, "a"}, {12, 5, nil, "a"}},
			endL{}, endR{},
		},
		want: []string{"@wm 10", "1 5 15 a | 10 5 15 a", "3 5 15 a | 10 5 15 a", "@end"},
		late: []string{"L 4: late event", "L 2: late event", "R 12: late event", "R 11: late event"},
	}})
}

func TestWindowJoinNullKeys(t *testing.T) {
	steps := []any{
		lrows{{1, 0, 10, nil}, {2, 0, 10, "a"}},
		rrows{{10, 0, 10, "a"}, {11, 0, 10, nil}},
		endL{}, endR{},
	}
	runWindow(t, windowSpec(Inner), []scriptCase{{name: "inner", steps: steps,
		want: []string{"2 0 10 a | 10 0 10 a", "@end"}}})
	runWindow(t, windowSpec(FullOuter), []scriptCase{{name: "full", steps: steps,
		want: []string{"1 0 10 NULL | NULL NULL NULL NULL", "2 0 10 a | 10 0 10 a", "NULL NULL NULL NULL | 11 0 10 NULL", "@end"}}})
}

func TestWindowJoinNoKeys(t *testing.T) {
	spec := windowSpec(Inner)
	spec.LeftKeys, spec.RightKeys = nil, nil
	runWindow(t, spec, []scriptCase{{
		name: "every pair of a window",
		steps: []any{
			lrows{{1, 0, 10, "a"}, {2, 0, 10, nil}, {3, 10, 20, "c"}},
			rrows{{10, 0, 10, "x"}, {11, 0, 10, nil}},
			endL{}, endR{},
		},
		want: []string{"1 0 10 a | 10 0 10 x", "1 0 10 a | 11 0 10 NULL", "2 0 10 NULL | 10 0 10 x", "2 0 10 NULL | 11 0 10 NULL", "@end"},
	}})
}

func TestWindowJoinOrderAcrossWindows(t *testing.T) {
	// Windows close by end then start, whatever their arrival order.
	runWindow(t, windowSpec(Inner), []scriptCase{{
		name: "by end then start",
		steps: []any{
			rrows{{10, 20, 30, "a"}, {11, 10, 30, "a"}, {12, 0, 10, "a"}},
			lrows{{1, 20, 30, "a"}, {2, 10, 30, "a"}, {3, 0, 10, "a"}},
			wm(40),
			endL{}, endR{},
		},
		want: []string{"3 0 10 a | 12 0 10 a", "2 10 30 a | 11 10 30 a", "1 20 30 a | 10 20 30 a", "@wm 40", "@end"},
	}})
}

func TestWindowJoinLargeOutput(t *testing.T) {
	var ls lrows
	var rs rrows
	for i := range 100 {
		ls = append(ls, []any{i, 0, 10, "a"})
		rs = append(rs, []any{1000 + i, 0, 10, "a"})
	}
	mem := optest.CheckedMem(t)
	h := windowHarness(t, mem, windowSpec(Inner))
	defer h.close()
	out := h.run(ls, rs, endL{}, endR{})
	if len(out) != 100*100+1 || out[0] != "0 0 10 a | 1000 0 10 a" || out[100] != "1 0 10 a | 1000 0 10 a" {
		t.Errorf("%d rows, starting %q, row 100 %q", len(out)-1, out[0], out[100])
	}
}

func TestWindowJoinSchema(t *testing.T) {
	strict := func(p string) *arrow.Schema {
		fs := windowSchema(p).Fields()
		for i := range fs {
			fs[i].Nullable = false
		}
		return arrow.NewSchema(fs, nil)
	}
	for _, tc := range []struct {
		typ         JoinType
		left, right bool // nullable
	}{{Inner, false, false}, {LeftOuter, false, true}, {RightOuter, true, false}, {FullOuter, true, true}} {
		spec := windowSpec(tc.typ)
		spec.Left, spec.Right = strict("l"), strict("r")
		spec.Names = []string{"id", "ws", "we", "k", "id", "ws", "we", "k"}
		j, err := NewWindowJoin(spec)
		if err != nil {
			t.Fatal(err)
		}
		if j.Spec().Type != tc.typ {
			t.Errorf("Spec().Type = %s, want %s", j.Spec().Type, tc.typ)
		}
		for i, n := range spec.Names {
			f := j.Schema().Field(i)
			if want := i < 4 && tc.left || i >= 4 && tc.right; f.Name != n || f.Nullable != want {
				t.Errorf("%s: field %d is %v, want %s nullable=%v", tc.typ, i, f, n, want)
			}
		}
	}
}
