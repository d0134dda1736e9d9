package types

import "testing"

func TestFormatDouble(t *testing.T) {
	for f, want := range map[float64]string{
		1704067200: "1704067200", 1e15: "1e+15", 1e14: "100000000000000", 0.0001: "0.0001",
		0.00001: "1e-05", 2.5: "2.5", -3: "-3", 0: "0",
	} {
		if got := FormatDouble(f); got != want {
			t.Errorf("FormatDouble(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestIntervals(t *testing.T) {
	cases := []struct{ text, unit, want string }{
		{"1 hour", "", "01:00:00"},
		{"5", "MINUTE", "00:05:00"},
		{"1 day 2 hours", "", "1 day 02:00:00"},
		{"-2 days", "", "-2 days"},
		{"1 year 2 months 3 days", "", "1 year 2 mons 3 days"},
		{"1:30", "HOUR", "01:30:00"},
		{"1.5 seconds", "", "00:00:01.5"},
		{"10s", "", "00:00:10"},
	}
	for _, c := range cases {
		v, err := ParseInterval(c.text, c.unit)
		if err != nil {
			t.Errorf("ParseInterval(%q, %q): %v", c.text, c.unit, err)
			continue
		}
		if got := FormatInterval(v); got != c.want {
			t.Errorf("ParseInterval(%q, %q) prints %s, want %s", c.text, c.unit, got, c.want)
		}
	}
	for _, bad := range []string{"", "abc", "5", "5 fortnights"} {
		if _, err := ParseInterval(bad, ""); err == nil {
			t.Errorf("ParseInterval(%q) succeeded", bad)
		}
	}
}

func TestTimestamps(t *testing.T) {
	for in, want := range map[string]string{
		"2026-03-01 00:00:01.824":   "2026-03-01 00:00:01.824",
		"2026-03-01T00:00:01Z":      "2026-03-01 00:00:01",
		"2026-03-01T01:00:00+01:00": "2026-03-01 00:00:00",
		"2026-03-01":                "2026-03-01 00:00:00",
		"1969-12-31 23:59:59.5":     "1969-12-31 23:59:59.5",
	} {
		us, err := ParseTimestamp(in)
		if err != nil {
			t.Errorf("ParseTimestamp(%q): %v", in, err)
			continue
		}
		if got := FormatTimestamp(us); got != want {
			t.Errorf("ParseTimestamp(%q) prints %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{"yesterday", "2026-13-01", "03/01/2026"} {
		if _, err := ParseTimestamp(bad); err == nil {
			t.Errorf("ParseTimestamp(%q) succeeded", bad)
		}
	}
	if LooksLikeTimestamp("A-1") || !LooksLikeTimestamp("2026-03-01 00:00:00") {
		t.Error("LooksLikeTimestamp misjudges")
	}
}
