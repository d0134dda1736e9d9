package expr

import (
	"math"
	"testing"
)

func TestJSON(t *testing.T) {
	j := col{"j", tJ, ints(
		`{"a": {"b": [1, 2.5, "x", true, null, {"c": "d"}]}, "s": "h\u00e9\"llo", "n": -12, "e\"k": 1}`,
		`[10, "twenty", [30]]`,
		nil,
		`not json`,
		`{"a": 1}`,
	)}
	check(t, "j -> 'a'", `{"b": [1, 2.5, "x", true, null, {"c": "d"}]}|NULL|NULL|NULL|1`, j)
	check(t, "j -> 1", `NULL|"twenty"|NULL|NULL|NULL`, j)
	check(t, "j ->> 1", `NULL|twenty|NULL|NULL|NULL`, j)
	check(t, "j ->> 's'", `hé"llo|NULL|NULL|NULL|NULL`, j)
	check(t, "j ->> 'n'", `-12|NULL|NULL|NULL|NULL`, j)
	check(t, "(j -> 'a') -> 'b'", `[1, 2.5, "x", true, null, {"c": "d"}]|NULL|NULL|NULL|NULL`, j)
	check(t, "json_get(j, 'a', 'b', 5, 'c')", `"d"|NULL|NULL|NULL|NULL`, j)
	check(t, "json_get(j, 'a', 'b', -1)", `{"c": "d"}|NULL|NULL|NULL|NULL`, j)
	check(t, "json_get(j, 'a', 'b', 4)", `null|NULL|NULL|NULL|NULL`, j)
	check(t, "json_as_text(j, 'a', 'b', 4)", `NULL|NULL|NULL|NULL|NULL`, j)
	check(t, "json_get_str(j, 'a', 'b', 5, 'c')", `d|NULL|NULL|NULL|NULL`, j)
	check(t, "json_get_str(j, 'n')", `NULL|NULL|NULL|NULL|NULL`, j)
	check(t, "json_get_str(j, 'e\"k')", `NULL|NULL|NULL|NULL|NULL`, j)
	check(t, "json_get_int(j, 'n')", `-12|NULL|NULL|NULL|NULL`, j)
	check(t, "json_get_int(j, 'a', 'b', 1)", `NULL|NULL|NULL|NULL|NULL`, j)
	check(t, "json_get_int(j, 0)", `NULL|10|NULL|NULL|NULL`, j)
	check(t, "json_get_int(j, 2, 0)", `NULL|30|NULL|NULL|NULL`, j)
	check(t, "json_get_float(j, 'a', 'b', 1)", `2.5|NULL|NULL|NULL|NULL`, j)
	check(t, "json_get_float(j, 'a', 'b', 0)", `1|NULL|NULL|NULL|NULL`, j)
	check(t, "json_get_float(j, 'a', 'b', 2)", `NULL|NULL|NULL|NULL|NULL`, j)
	check(t, "json_get_bool(j, 'a', 'b', 3)", `true|NULL|NULL|NULL|NULL`, j)
	check(t, "json_length(j)", `4|3|NULL|NULL|1`, j)
	check(t, "json_length(j, 'a', 'b')", `6|NULL|NULL|NULL|NULL`, j)
	check(t, "json_contains(j, 'a')", `true|false|NULL|false|true`, j)
	check(t, "json_get_int(j, 'e\"k')", `1|NULL|NULL|NULL|NULL`, j)
	// Escaped keys match their decoded form.
	check(t, "json_get_int(j, k)", `1|NULL|NULL|NULL|NULL`, j, col{"k", tV, ints(`e"k`, "a", "a", "a", "zz")})
	// Varying keys and indexes.
	k := col{"k", tV, ints("s", "x", "a", "a", "a")}
	check(t, "j ->> k", `hé"llo|NULL|NULL|NULL|1`, j, k)
	v := col{"v", tV, ints(`{"x": [1, 2]}`, `[]`, `{}`, `"str"`, `  {"x" : { "y" : 1 } } `)}
	check(t, "v -> 'x'", `[1, 2]|NULL|NULL|NULL|{ "y" : 1 }`, v)
	check(t, "json_length(v)", `1|0|0|NULL|1`, v)
	check(t, "v ->> 0", `NULL|NULL|NULL|NULL|NULL`, v)
	check(t, "json_get_str(v)", `NULL|NULL|NULL|str|NULL`, v)
}

func TestValidJSON(t *testing.T) {
	for s, want := range map[string]bool{
		`{}`: true, `[]`: true, `1`: true, `-1.5e3`: true, `"a\"b"`: true, `true`: true, `null`: true,
		` {"a": [1, {"b": null}], "c": "d"} `: true,
		``:                                    false, `{`: false, `{"a"}`: false, `[1,]`: false, `tru`: false, `{"a": 1} x`: false,
		`{"a": 1,}`: false, `01x`: false, `"abc`: false, `[1 2]`: false,
	} {
		if got := validJSON(s); got != want {
			t.Errorf("validJSON(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestMath(t *testing.T) {
	d := col{"d", tD, ints(2.5, -2.5, nil, 2.675, -0.4, 1234.5678)}
	check(t, "round(d)", "3|-3|NULL|3|-0|1235", d)
	check(t, "round(d, 2)", "2.5|-2.5|NULL|2.68|-0.4|1234.57", d)
	check(t, "round(d, -2)", "0|-0|NULL|0|-0|1200", d)
	check(t, "round(d, 0)", "3|-3|NULL|3|-0|1235", d)
	check(t, "trunc(d)", "2|-2|NULL|2|-0|1234", d)
	check(t, "trunc(d, 1)", "2.5|-2.5|NULL|2.6|-0.4|1234.5", d)
	check(t, "floor(d)", "2|-3|NULL|2|-1|1234", d)
	check(t, "ceil(d)", "3|-2|NULL|3|-0|1235", d)
	check(t, "abs(d)", "2.5|2.5|NULL|2.675|0.4|1234.5678", d)
	check(t, "sign(d)", "1|-1|NULL|1|-1|1", d)
	check(t, "round(995, -1)", "1000")
	check(t, "round(9.995, 2)", "10")
	i := col{"i", tI, ints(int32(-4), nil, int32(0))}
	check(t, "abs(i)", "4|NULL|0", i)
	check(t, "sign(i)", "-1|NULL|0", i)
	check(t, "round(i)", "-4|NULL|0", i)
	check(t, "floor(i) + ceil(i)", "-8|NULL|0", i)
	check(t, "sqrt(d)", "1.5811388300841898|NULL|NULL|1.6355427233796125|NULL|35.13641700572214", col{"d", tD, ints(2.5, nil, nil, 2.675, nil, 1234.5678)})
	checkErr(t, "sqrt(d)", "cannot take square root of a negative number", d)
	checkErr(t, "ln(d)", "cannot take logarithm of a negative number", d)
	checkErr(t, "log10(0)", "cannot take logarithm of zero")
	check(t, "ln(d)", "0|NULL", col{"d", tD, ints(1.0, nil)})
	check(t, "log(i)", "1|NULL", col{"i", tI, ints(int32(10), nil)})
	check(t, "exp(d)", "1|NULL", col{"d", tD, ints(0.0, nil)})
	checkErr(t, "exp(d)", "value out of range: overflow", col{"d", tD, ints(1000.0)})
	check(t, "power(d, 2)", "6.25|NULL", col{"d", tD, ints(2.5, nil)})
	check(t, "pow(2, i)", "0.0625|NULL|1", i)
	checkErr(t, "power(0, -1)", "zero raised to a negative power is undefined")
	checkErr(t, "power(-8, 0.5)", "complex result")
	checkErr(t, "power(10, 400)", "value out of range: overflow")
	checkErr(t, "power(10, -400)", "value out of range: underflow")
	checkErr(t, "exp(-1000)", "value out of range: underflow")
	checkErr(t, "d * 10", "value out of range: overflow", col{"d", tD, ints(1.0, 1e308)})
	checkErr(t, "d / e", "value out of range: underflow", col{"d", tD, ints(1e-300)}, col{"e", tD, ints(1e300)})
	checkErr(t, "d + d", "value out of range: overflow", col{"d", tD, ints(1.7e308)})
	check(t, "d * 10", "Infinity|NULL|0|NaN", col{"d", tD, ints(math.Inf(1), nil, 0.0, math.NaN())})
	check(t, "1 / d", "0|-0", col{"d", tD, ints(math.Inf(1), math.Inf(-1))})
	check(t, "d - d", "0|0", col{"d", tD, ints(1e308, 5.0)})
	check(t, "pi() * 2", "6.283185307179586")
	check(t, "mod(d, 1.5)", "1|-1|NULL|1.1749999999999998|-0.4|0.06780000000003383", d)
	check(t, "mod(i, 3)", "-1|NULL|0", i)
	check(t, "sqrt(x)", "NaN|Infinity", col{"x", tD, ints(math.NaN(), math.Inf(1))})
}

func TestHash(t *testing.T) {
	mk := func(sql string, cols ...col) []string {
		t.Helper()
		out, err := runSQL(t, sql, cols...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	s := col{"s", tV, ints("abc", "abc", nil, "ab")}
	h := mk("hash(s)", s)
	if h[0] != h[1] || h[0] == h[2] || h[0] == h[3] || h[2] == h[3] {
		t.Errorf("hash(s) = %v", h)
	}
	// FNV-1a 64 of the 4-byte length 3 then "abc", as a signed BIGINT.
	if h[0] != "-8763268610541070638" {
		t.Errorf("hash('abc') = %s; the documented encoding changed", h[0])
	}
	s2 := col{"s2", tV, ints("c", "c", "c", "bc")}
	h2 := mk("hash(s, s2)", s, s2)
	if h2[0] != h2[1] || h2[3] == h2[0] {
		t.Errorf("hash(s, s2) = %v", h2)
	}
	many := mk("hash(i, d, b, t, iv, NULL)",
		col{"i", tI, ints(int32(1), int32(1), nil)}, col{"d", tD, ints(0.0, -0.0, nil)},
		col{"b", tL, ints(true, true, nil)}, col{"t", tT, ints(int64(5), int64(5), nil)},
		col{"iv", tN, ints(iv(1, 2, 3), iv(1, 2, 3), nil)})
	if many[0] != many[1] || many[0] == many[2] {
		t.Errorf("hash over all types = %v", many)
	}
}
