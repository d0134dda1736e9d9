package window

import "testing"

func TestSession(t *testing.T) {
	runCases(t, []scriptCase{
		{
			name: "merging, bridging, closing, late",
			spec: sessionSpec(10, true),
			steps: []any{
				[]ev{e(1, "a", 1), e(3, "b", 10), e(5, "a", 2), e(30, "a", 4)},
				wm(14),
				[]ev{e(22, "a", 8)},
				[]ev{e(14, "a", 16)},
				wm(39),
				wm(40),
				[]ev{e(35, "a", 100), e(41, "a", 9), e(38, "b", 7)},
				end{},
			},
			want: []string{
				"3 13 b 1 10",
				"@wm 14",
				"@wm 39",
				"1 40 a 5 31",
				"@wm 40",
				"38 48 b 1 7", "41 51 a 1 9",
				"@end",
			},
			late:  []string{"35 late event"},
			stats: &Stats{LateRows: 1},
		},
		{
			name: "gap splits",
			spec: sessionSpec(10, true),
			steps: []any{
				[]ev{e(0, "a", 1), e(10, "a", 2), e(19, "a", 4), e(40, "b", 8), e(28, "a", 16), e(38, "a", 32)},
				end{},
			},
			want: []string{"0 10 a 1 1", "10 38 a 3 22", "38 48 a 1 32", "40 50 b 1 8", "@end"},
		},
		{
			name:  "unkeyed",
			spec:  sessionSpec(10, false),
			steps: []any{[]ev{e(1, "a", 1), e(5, "a", 2), e(30, "a", 4), e(22, "b", 8)}, end{}},
			want:  []string{"1 15 2 3", "22 40 2 12", "@end"},
		},
		{
			name: "open sessions",
			spec: sessionSpec(10, true),
			steps: []any{
				[]ev{e(1, "a", 1), e(5, "b", 2), e(12, "a", 4), e(31, "a", 8)},
				wm(20),
			},
			want:  []string{"1 11 a 1 1", "5 15 b 1 2", "@wm 20"},
			stats: &Stats{OpenWindows: 2, OpenGroups: 3},
		},
	})
}
