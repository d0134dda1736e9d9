package window

import (
	"testing"

	"github.com/streamsql/streamsql/operators"
)

func TestLate(t *testing.T) {
	runCases(t, []scriptCase{
		{
			name: "tumble drops, counts and dead-letters",
			spec: tumble(10, true),
			steps: []any{
				[]ev{e(1, "a", 1), e(15, "a", 2)},
				wm(20),
				[]ev{e(19, "a", 4), e(20, "a", 8), {t: 0, k: "a", v: 16, nullT: true}, e(9, "b", 32)},
				end{},
			},
			want:  []string{"0 10 a 1 1", "10 20 a 1 2", "@wm 20", "20 30 a 1 8", "@end"},
			late:  []string{"NULL late event", "19 late event", "9 late event"},
			stats: &Stats{LateRows: 3},
		},
		{
			name: "allowed lateness keeps windows open",
			spec: withLateness(tumble(10, true), 5),
			steps: []any{
				[]ev{e(1, "a", 1), e(15, "a", 2)},
				wm(14),
				[]ev{e(3, "a", 4), e(9, "b", 8)},
				wm(15),
				[]ev{e(8, "a", 16), e(19, "a", 32)},
				wm(25),
				end{},
			},
			want: []string{
				"@wm 14",
				"0 10 a 2 5", "0 10 b 1 8",
				"@wm 15",
				"10 20 a 2 34",
				"@wm 25",
				"@end",
			},
			late:  []string{"8 late event"},
			stats: &Stats{LateRows: 1},
		},
		{
			name: "hop: late only when every window closed",
			spec: hop(5, 10, true),
			steps: []any{
				[]ev{e(7, "a", 1)},
				wm(10),
				[]ev{e(8, "a", 2), e(4, "a", 4)},
				end{},
			},
			want:  []string{"0 10 a 1 1", "@wm 10", "5 15 a 2 3", "@end"},
			late:  []string{"4 late event"},
			stats: &Stats{LateRows: 1},
		},
		{
			name: "session allowed lateness",
			spec: withLateness(sessionSpec(10, true), 10),
			steps: []any{
				[]ev{e(1, "a", 1)},
				wm(20),
				[]ev{e(5, "a", 2), e(0, "b", 4)},
				wm(25),
				[]ev{e(14, "a", 8), e(16, "a", 16)},
				end{},
			},
			want:  []string{"@wm 20", "1 15 a 2 3", "@wm 25", "16 26 a 1 16", "@end"},
			late:  []string{"0 late event", "14 late event"},
			stats: &Stats{LateRows: 2},
		},
	})
}

func TestFilterDistinct(t *testing.T) {
	spec := withDistinctAggs
	rows := []ev{e(1, "a", 1), {t: 2, k: "a", v: 1}, e(3, "a", 2), e(4, "a", -1), {t: 6, k: "a", v: 3}, e(7, "a", 2)}
	want := "a 6 3 3 3 1 a 1.8"
	runCases(t, []scriptCase{
		{
			name:  "tumble",
			spec:  spec(tumble(10, true)),
			steps: []any{rows[:3], rows[3:], end{}},
			want:  []string{"0 10 " + want, "@end"},
		},
		{
			name:  "hop merges panes",
			spec:  spec(hop(5, 10, true)),
			steps: []any{rows[:3], rows[3:], end{}},
			want:  []string{"-5 5 a 4 2 2 3 1 a 1.3333333333333333", "0 10 " + want, "5 15 a 2 1 2 2 2 a 2.5", "@end"},
		},
		{
			name:  "session merges cells",
			spec:  spec(sessionSpec(3, true)),
			steps: []any{rows[:3], rows[3:], end{}},
			want:  []string{"1 10 " + want, "@end"},
		},
	})
}

// withDistinctAggs gives s aggregates with FILTER and DISTINCT.
func withDistinctAggs(s Spec) Spec {
	s.Aggs = []operators.AggSpec{
		{Func: "count", Filter: -1, Name: "n"},
		{Func: "count", Args: []int{colV}, Filter: colOK, Name: "n_ok"},
		{Func: "count", Args: []int{colV}, Distinct: true, Filter: -1, Name: "nd"},
		{Func: "sum", Args: []int{colV}, Distinct: true, Filter: colOK, Name: "sd_ok"},
		{Func: "min", Args: []int{colV}, Filter: -1, Name: "lo"},
		{Func: "max", Args: []int{colK}, Filter: -1, Name: "hi"},
		{Func: "avg", Args: []int{colV}, Filter: -1, Name: "avg"},
	}
	return s
}

// TestAllLate: a batch whose rows all belong to closed windows is counted
// and dead-lettered, and leaves no state and no output behind.
func TestAllLate(t *testing.T) {
	steps := []any{[]ev{e(25, "a", 1)}, wm(30), []ev{e(1, "a", 1), e(12, "b", 2), e(3, "a", 4)}, end{}}
	late := []string{"1 late event", "12 late event", "3 late event"}
	cases := []scriptCase{
		{name: "tumble", spec: tumble(10, true), want: []string{"20 30 a 1 1", "@wm 30", "@end"}},
		{name: "hop", spec: hop(5, 10, true), want: []string{"20 30 a 1 1", "@wm 30", "25 35 a 1 1", "@end"}},
		{name: "session", spec: sessionSpec(5, true), want: []string{"25 30 a 1 1", "@wm 30", "@end"}},
		{name: "tumble changes", spec: withEmit(tumble(10, true), Changes), want: []string{"20 30 a 1 1 +", "@wm 30", "@end"}},
		{name: "hop changes", spec: withEmit(hop(5, 10, true), Changes), want: []string{"20 30 a 1 1 +", "25 35 a 1 1 +", "@wm 30", "@end"}},
		{name: "session changes", spec: withEmit(sessionSpec(5, true), Changes), want: []string{"25 30 a 1 1 +", "@wm 30", "@end"}},
	}
	for i := range cases {
		cases[i].steps, cases[i].late, cases[i].stats = steps, late, &Stats{LateRows: 3}
	}
	runCases(t, cases)
}
