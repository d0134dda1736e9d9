package timejoin

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/internal/optest"
)

type scriptCase struct {
	name  string
	steps []any
	want  []string
	late  []string
}

func runInterval(t *testing.T, spec IntervalSpec, cases []scriptCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := optest.CheckedMem(t)
			h := intervalHarness(t, mem, spec)
			defer h.close()
			checkOut(t, h.run(c.steps...), c.want)
			checkOut(t, h.late, c.late)
			if n := h.op.LateRows(); n != int64(len(c.late)) {
				t.Errorf("LateRows %d, want %d", n, len(c.late))
			}
		})
	}
}

func TestIntervalBoundsInclusive(t *testing.T) {
	// right.ts - 5 <= left.ts <= right.ts + 10
	lefts := lrows{{1, 94, "a"}, {2, 95, "a"}, {3, 110, "a"}, {4, 111, "a"}, {5, 100, "b"}}
	rights := rrows{{10, 100, "a"}}
	runInterval(t, intervalSpec(-5, 10, false), []scriptCase{
		{
			name:  "right first",
			steps: []any{rights, lefts, endL{}, endR{}},
			want:  []string{"2 95 a | 10 100 a", "3 110 a | 10 100 a", "@end"},
		},
		{
			name:  "left first",
			steps: []any{lefts, rights, endL{}, endR{}},
			want:  []string{"2 95 a | 10 100 a", "3 110 a | 10 100 a", "@end"},
		},
	})
}

func TestIntervalNegativeBounds(t *testing.T) {
	// right.ts - 20 <= left.ts <= right.ts - 10: the left row comes first.
	runInterval(t, intervalSpec(-20, -10, false), []scriptCase{{
		name: "both orders",
		steps: []any{
			lrows{{1, 79, "a"}, {2, 80, "a"}, {3, 90, "a"}, {4, 91, "a"}},
			rrows{{10, 100, "a"}},
			lrows{{5, 85, "a"}},
			endL{}, endR{},
		},
		want: []string{"2 80 a | 10 100 a", "3 90 a | 10 100 a", "5 85 a | 10 100 a", "@end"},
	}})
}

func TestIntervalPositiveBounds(t *testing.T) {
	// right.ts + 5 <= left.ts <= right.ts + 10: the right row comes first.
	runInterval(t, intervalSpec(5, 10, true), []scriptCase{{
		name: "left rows freed at ts-5",
		steps: []any{
			rrows{{10, 100, "a"}},
			lrows{{1, 104, "a"}, {2, 105, "a"}, {3, 110, "a"}, {4, 111, "a"}},
			wm(98), // left rows at 104 can still match right rows up to 99
			wm(99),
			rrows{{11, 99, "a"}},
			wm(100),
			endL{}, endR{},
		},
		want: []string{
			"2 105 a | 10 100 a", "3 110 a | 10 100 a",
			"@wm 98",
			"@wm 99",
			"1 104 a | 11 99 a", "2 105 a | 11 99 a",
			"@wm 100",
			"4 111 a | NULL NULL NULL", "@end",
		},
	}})
}

func TestIntervalOutOfOrder(t *testing.T) {
	// Rows arrive out of event-time order, all above the watermark: every
	// match is found, each probe's matches in event-time then arrival order.
	runInterval(t, intervalSpec(-10, 10, false), []scriptCase{{
		name: "disorder within the watermark",
		steps: []any{
			rrows{{10, 120, "a"}, {11, 100, "a"}, {12, 110, "a"}},
			wm(95),
			rrows{{13, 100, "a"}, {14, 96, "b"}},
			lrows{{1, 105, "a"}, {2, 97, "b"}},
			wm(100),
			lrows{{3, 100, "a"}, {4, 130, "a"}},
			endL{}, endR{},
		},
		want: []string{
			"@wm 95",
			"1 105 a | 11 100 a", "1 105 a | 13 100 a", "1 105 a | 12 110 a",
			"2 97 b | 14 96 b",
			"@wm 100",
			"3 100 a | 11 100 a", "3 100 a | 13 100 a", "3 100 a | 12 110 a",
			"4 130 a | 10 120 a",
			"@end",
		},
	}})
}

func TestIntervalLeftOuterTiming(t *testing.T) {
	// right.ts - 5 <= left.ts <= right.ts + 10: a left row at tl is padded
	// once the watermark exceeds tl + 5.
	runInterval(t, intervalSpec(-5, 10, true), []scriptCase{{
		name: "padded when the watermark proves no match",
		steps: []any{
			lrows{{1, 100, "a"}, {2, 100, "b"}, {3, 103, "a"}, {4, 90, "c"}},
			rrows{{10, 104, "b"}},
			wm(105),
			wm(106),
			rrows{{11, 107, "a"}},
			wm(108),
			wm(109),
			endL{}, endR{},
		},
		want: []string{
			"2 100 b | 10 104 b",
			"4 90 c | NULL NULL NULL", "@wm 105",
			"1 100 a | NULL NULL NULL", "@wm 106",
			"3 103 a | 11 107 a",
			"@wm 108",
			"@wm 109",
			"@end",
		},
	}})
	runInterval(t, intervalSpec(5, 10, true), []scriptCase{{
		name: "padded on arrival when already past",
		steps: []any{
			rrows{{10, 96, "a"}},
			wm(96),
			// At watermark 96 a left row at 100 can match right rows up to
			// 95 only: those already here.
			lrows{{1, 100, "b"}, {2, 101, "a"}, {3, 106, "a"}, {4, 100, nil}, {5, 95, "a"}},
			endL{}, endR{},
		},
		want: []string{
			"@wm 96",
			"1 100 b | NULL NULL NULL", "2 101 a | 10 96 a", "3 106 a | 10 96 a", "4 100 NULL | NULL NULL NULL",
			"@end",
		},
		late: []string{"L 5: late event"},
	}})
}

func TestIntervalLate(t *testing.T) {
	runInterval(t, intervalSpec(-10, 10, true), []scriptCase{{
		name: "dropped, counted and dead-lettered",
		steps: []any{
			lrows{{1, 100, "a"}},
			wm(100),
			rrows{{10, 99, "a"}, {11, 100, "a"}, {12, nil, "a"}},
			lrows{{2, 95, "a"}, {3, nil, "a"}},
			endL{}, endR{},
		},
		want: []string{"@wm 100", "1 100 a | 11 100 a", "@end"},
		late: []string{"R 12: late event", "R 10: late event", "L 3: late event", "L 2: late event"},
	}})
}

func TestIntervalNullKeys(t *testing.T) {
	for _, outer := range []bool{false, true} {
		spec := intervalSpec(-10, 10, outer)
		want := []string{"3 100 a | 11 100 a", "@end"}
		if outer {
			want = []string{"1 100 NULL | NULL NULL NULL", "3 100 a | 11 100 a", "@end"}
		}
		runInterval(t, spec, []scriptCase{{
			name: map[bool]string{false: "inner", true: "left outer"}[outer],
			steps: []any{
				rrows{{10, 100, nil}, {11, 100, "a"}},
				lrows{{1, 100, nil}, {3, 100, "a"}},
				rrows{{12, 100, nil}},
				endL{}, endR{},
			},
			want: want,
		}})
	}
}

func TestIntervalNoKeys(t *testing.T) {
	spec := intervalSpec(0, 0, false)
	spec.LeftKeys, spec.RightKeys = nil, nil
	runInterval(t, spec, []scriptCase{{
		name: "cross within the interval",
		steps: []any{
			lrows{{1, 100, "a"}, {2, 101, "b"}},
			rrows{{10, 100, "x"}, {11, 101, nil}, {12, 100, "y"}},
			wm(101),
			lrows{{3, 101, "c"}},
			endL{}, endR{},
		},
		want: []string{
			"1 100 a | 10 100 x", "2 101 b | 11 101 NULL", "1 100 a | 12 100 y",
			"@wm 101",
			"3 101 c | 11 101 NULL",
			"@end",
		},
	}})
}

func TestIntervalKeyTypes(t *testing.T) {
	iv := func(d int32) arrow.MonthDayNanoInterval { return arrow.MonthDayNanoInterval{Days: d} }
	for _, tc := range []struct {
		name    string
		dt      arrow.DataType
		a, b, c any // a and c are equal keys; b differs
	}{
		{"int32", arrow.PrimitiveTypes.Int32, 7, 8, 7},
		{"int64", arrow.PrimitiveTypes.Int64, 7, 8, 7},
		{"float64", arrow.PrimitiveTypes.Float64, 0.0, 1.5, -0.0},
		{"string", arrow.BinaryTypes.String, "x", "y", "x"},
		{"bool", arrow.FixedWidthTypes.Boolean, true, false, true},
		{"timestamp", tsType, 1000, 2000, 1000},
		{"date32", arrow.FixedWidthTypes.Date32, 19000, 19001, 19000},
		{"interval", arrow.FixedWidthTypes.MonthDayNanoInterval, iv(1), iv(2), iv(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := optest.CheckedMem(t)
			spec := intervalSpec(-10, 10, false)
			spec.Left, spec.Right = intervalSchema("l", tc.dt), intervalSchema("r", tc.dt)
			h := intervalHarness(t, mem, spec)
			defer h.close()
			h.run(
				rrows{{10, 100, tc.a}, {11, 100, tc.b}, {12, 100, nil}},
				lrows{{1, 100, tc.c}, {2, 100, tc.b}, {3, 100, nil}},
				endL{}, endR{},
			)
			checkOut(t, pairIDs(h.out), []string{"1-10", "2-11", "@end"})
		})
	}
}

// pairIDs reduces rendered pairs to "<left id>-<right id>".
func pairIDs(out []string) []string {
	var ids []string
	for _, s := range out {
		l, r, ok := strings.Cut(s, " | ")
		if !ok {
			ids = append(ids, s)
			continue
		}
		ids = append(ids, strings.Fields(l)[0]+"-"+strings.Fields(r)[0])
	}
	return ids
}

func TestIntervalMultiColumnKey(t *testing.T) {
	s := func(p string) *arrow.Schema {
		return arrow.NewSchema([]arrow.Field{field(p+"id", arrow.PrimitiveTypes.Int64), field(p+"ts", tsType),
			field(p+"k", arrow.BinaryTypes.String), field(p+"n", arrow.PrimitiveTypes.Int32)}, nil)
	}
	spec := IntervalSpec{Left: s("l"), Right: s("r"), LeftKeys: []int{2, 3}, RightKeys: []int{2, 3},
		LeftTime: 1, RightTime: 1, Lower: -1, Upper: 1}
	runInterval(t, spec, []scriptCase{{
		name: "string and integer",
		steps: []any{
			rrows{{10, 100, "a", 1}, {11, 100, "a", 2}, {12, 100, "b", 1}, {13, 100, "a", nil}},
			lrows{{1, 100, "a", 1}, {2, 101, "b", 1}, {3, 100, "a", nil}},
			endL{}, endR{},
		},
		want: []string{"1 100 a 1 | 10 100 a 1", "2 101 b 1 | 12 100 b 1", "@end"},
	}})
}

func TestIntervalLargeOutput(t *testing.T) {
	// 100 × 100 pairs exceed one output batch.
	spec := intervalSpec(0, 0, false)
	var ls lrows
	var rs rrows
	for i := range 100 {
		ls = append(ls, []any{i, 100, "a"})
		rs = append(rs, []any{1000 + i, 100, "a"})
	}
	mem := optest.CheckedMem(t)
	h := intervalHarness(t, mem, spec)
	defer h.close()
	out := h.run(ls, rs, endL{}, endR{})
	if len(out) != 100*100+1 {
		t.Errorf("%d output rows, want %d", len(out)-1, 100*100)
	}
	if out[1] != "1 100 a | 1000 100 a" || out[100] != "0 100 a | 1001 100 a" {
		t.Errorf("order: %q, %q", out[1], out[100])
	}
}

func TestIntervalNames(t *testing.T) {
	spec := intervalSpec(0, 0, true)
	spec.Names = []string{"id", "ts", "k", "id", "ts", "k"}
	j, err := NewIntervalJoin(spec)
	if err != nil {
		t.Fatal(err)
	}
	if got := j.Spec(); got.Lower != 0 || !got.LeftOuter || len(got.Names) != 6 {
		t.Errorf("Spec() = %+v", got)
	}
	s := j.Schema()
	for i, n := range spec.Names {
		if s.Field(i).Name != n || !s.Field(i).Nullable {
			t.Errorf("field %d is %v, want nullable %s", i, s.Field(i), n)
		}
	}
	spec.LeftOuter = false
	spec.Right = arrow.NewSchema([]arrow.Field{{Name: "rid", Type: arrow.PrimitiveTypes.Int64}, {Name: "rts", Type: tsType},
		{Name: "rk", Type: arrow.BinaryTypes.String}}, nil)
	if j, err = NewIntervalJoin(spec); err != nil {
		t.Fatal(err)
	}
	if j.Schema().Field(3).Nullable {
		t.Errorf("inner join made right column nullable")
	}
	spec.LeftOuter = true
	if j, err = NewIntervalJoin(spec); err != nil {
		t.Fatal(err)
	}
	if !j.Schema().Field(3).Nullable {
		t.Errorf("left outer join kept right column not nullable")
	}
}

func TestIntervalNullTypedColumn(t *testing.T) {
	s := func(p string) *arrow.Schema {
		return arrow.NewSchema([]arrow.Field{field(p+"id", arrow.PrimitiveTypes.Int64), field(p+"ts", tsType),
			field(p+"k", arrow.BinaryTypes.String), field(p+"nothing", arrow.Null)}, nil)
	}
	spec := IntervalSpec{Left: s("l"), Right: s("r"), LeftKeys: []int{2}, RightKeys: []int{2}, LeftTime: 1, RightTime: 1}
	runInterval(t, spec, []scriptCase{{
		name:  "NULL columns carried",
		steps: []any{lrows{{1, 5, "a", nil}}, rrows{{2, 5, "a", nil}}, endL{}, endR{}},
		want:  []string{"1 5 a NULL | 2 5 a NULL", "@end"},
	}})
}
