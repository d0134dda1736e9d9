package window

import "testing"

func TestChanges(t *testing.T) {
	runCases(t, []scriptCase{
		{
			name: "tumble retractions",
			spec: withEmit(tumble(10, true), Changes),
			steps: []any{
				[]ev{e(1, "a", 1), e(2, "b", 2)},
				[]ev{e(3, "a", 3), e(12, "a", 5)},
				wm(10),
				[]ev{e(5, "a", 100), e(15, "b", 7)},
				end{},
			},
			want: []string{
				"0 10 a 1 1 +", "0 10 b 1 2 +",
				"0 10 a 1 1 -", "0 10 a 2 4 +", "10 20 a 1 5 +",
				"@wm 10",
				"10 20 b 1 7 +",
				"@end",
			},
			late:  []string{"5 late event"},
			stats: &Stats{LateRows: 1},
		},
		{
			name: "unkeyed",
			spec: withEmit(tumble(10, false), Changes),
			steps: []any{
				[]ev{e(1, "a", 1), e(2, "b", 2)},
				[]ev{e(3, "a", 3)},
			},
			want: []string{"0 10 2 3 +", "0 10 2 3 -", "0 10 3 6 +"},
		},
		{
			name: "hop",
			spec: withEmit(hop(5, 10, true), Changes),
			steps: []any{
				[]ev{e(7, "a", 1)},
				[]ev{e(8, "a", 2)},
				wm(10),
				[]ev{e(9, "a", 4)},
			},
			want: []string{
				"0 10 a 1 1 +", "5 15 a 1 1 +",
				"0 10 a 1 1 -", "0 10 a 2 3 +", "5 15 a 1 1 -", "5 15 a 2 3 +",
				"@wm 10",
				"5 15 a 2 3 -", "5 15 a 3 7 +",
			},
		},
		{
			name: "session merges retract both",
			spec: withEmit(sessionSpec(10, true), Changes),
			steps: []any{
				[]ev{e(1, "a", 1)},
				[]ev{e(30, "a", 4), e(5, "b", 64)},
				[]ev{e(20, "a", 8)},
				[]ev{e(10, "a", 16)},
				[]ev{e(25, "a", 32)},
				wm(100),
				[]ev{e(101, "a", 1)},
			},
			want: []string{
				"1 11 a 1 1 +",
				"5 15 b 1 64 +", "30 40 a 1 4 +",
				"20 30 a 1 8 +",
				"1 11 a 1 1 -", "1 20 a 2 17 +",
				"20 30 a 1 8 -", "30 40 a 1 4 -", "20 40 a 3 44 +",
				"@wm 100",
				"101 111 a 1 1 +",
			},
		},
	})
}
