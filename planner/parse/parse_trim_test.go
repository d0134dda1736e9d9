package parse

import "testing"

// TRIM's standard form reads as the trim functions of the registry.
func TestTrimStandardForm(t *testing.T) {
	cases := map[string]string{
		`trim(both 'x' from s)`:    `trim(s, 'x')`,
		`TRIM(LEADING 'x' FROM s)`: `ltrim(s, 'x')`,
		`trim(trailing from s)`:    `rtrim(s)`,
		`trim(from s)`:             `trim(s)`,
		`trim(' x ')`:              `trim(' x ')`,
		`trim(s, 'x')`:             `trim(s, 'x')`,
		`trim(both)`:               `trim(both)`,
		`trim('ab' FROM lower(s))`: `trim(lower(s), 'ab')`,
	}
	for in, want := range cases {
		e, err := ParseExpr(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := Format(e); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	if _, err := ParseExpr(`trim(both 'x' s)`); err == nil {
		t.Errorf("trim(both 'x' s) parsed; want an error asking for FROM")
	}
}
