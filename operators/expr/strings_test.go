package expr

import (
	"testing"
)

func TestStringFunctions(t *testing.T) {
	s := col{"s", tV, ints("Hello", "héllo wörld", nil, "")}
	check(t, "lower(s)", "hello|héllo wörld|NULL|", s)
	check(t, "upper(s)", "HELLO|HÉLLO WÖRLD|NULL|", s)
	check(t, "length(s)", "5|11|NULL|0", s)
	check(t, "reverse(s)", "olleH|dlröw olléh|NULL|", s)
	check(t, "substr(s, 2)", "ello|éllo wörld|NULL|", s)
	check(t, "substr(s, 2, 3)", "ell|éll|NULL|", s)
	check(t, "substr(s, 0, 3)", "He|hé|NULL|", s)
	check(t, "substr(s, -5, 7)", "H|h|NULL|", s)
	check(t, "substr(s, 10)", "|ld|NULL|", s)
	checkErr(t, "substr(s, 1, -1)", "negative substring length not allowed", s)
	check(t, "left(s, 2)", "He|hé|NULL|", s)
	check(t, "left(s, -2)", "Hel|héllo wör|NULL|", s)
	check(t, "right(s, 2)", "lo|ld|NULL|", s)
	check(t, "right(s, -2)", "llo|llo wörld|NULL|", s)
	check(t, "strpos(s, 'l')", "3|3|NULL|0", s)
	check(t, "strpos(s, 'wö')", "0|7|NULL|0", s)
	check(t, "position(s, '')", "1|1|NULL|1", s)
	check(t, "s || '!'", "Hello!|héllo wörld!|NULL|!", s)
	check(t, "s || NULL", "NULL|NULL|NULL|NULL", s)
	check(t, "concat(s, NULL, '-', 1)", "Hello-1|héllo wörld-1|-1|-1", s)
	check(t, "concat(s, s)", "HelloHello|héllo wörldhéllo wörld||", s)
	check(t, "replace(s, 'l', 'L')", "HeLLo|héLLo wörLd|NULL|", s)
	check(t, "replace(s, '', 'x')", "Hello|héllo wörld|NULL|", s)
	check(t, "starts_with(s, 'H')", "true|false|NULL|false", s)
	check(t, "ends_with(s, 'ld')", "false|true|NULL|false", s)
	check(t, "repeat(s, 2)", "HelloHello|héllo wörldhéllo wörld|NULL|", s)
	check(t, "repeat(s, 0)", "||NULL|", s)
	check(t, "lpad(s, 7, 'ab')", "abHello|héllo w|NULL|abababa", s)
	check(t, "rpad(s, 7)", "Hello  |héllo w|NULL|       ", s)
	check(t, "lpad(s, 2, '')", "He|hé|NULL|", s)
	check(t, "md5(s)", "8b1a9953c4611296a827abf8c47804d7|NULL|NULL|d41d8cd98f00b204e9800998ecf8427e",
		col{"s", tV, ints("Hello", nil, nil, "")})

	p := col{"p", tV, ints("  a b  ", "xxaxx", nil)}
	check(t, "trim(p)", "a b|xxaxx|NULL", p)
	check(t, "ltrim(p)", "a b  |xxaxx|NULL", p)
	check(t, "rtrim(p, 'x ')", "  a b|xxa|NULL", p)
	check(t, "btrim(p, 'x')", "  a b  |a|NULL", p)

	sp := col{"sp", tV, ints("a,b,,c", "abc", nil)}
	check(t, "split_part(sp, ',', 2)", "b|NULL|NULL", col{"sp", tV, ints("a,b,,c", nil, nil)})
	check(t, "split_part(sp, ',', 3)", "||NULL", sp)
	check(t, "split_part(sp, ',', 1)", "a|abc|NULL", sp)
	check(t, "split_part(sp, ',', -1)", "c|abc|NULL", sp)
	check(t, "split_part(sp, ',', 9)", "||NULL", sp)
	check(t, "split_part(sp, '', 1)", "a,b,,c|abc|NULL", sp)
	checkErr(t, "split_part(sp, ',', 0)", "field position must not be zero", sp)
	// Varying second and third arguments.
	n := col{"n", tB, ints(int64(4), int64(1), int64(2))}
	check(t, "split_part(sp, ',', n)", "c|abc|NULL", sp, n)
	check(t, "substr(sp, n, n)", ",,c|a|NULL", sp, n)
}

func TestLike(t *testing.T) {
	s := col{"s", tV, ints("streamsql", "Stream", nil, "", "a%b", "a_b", "héllo", "sql")}
	for _, tc := range []struct{ sql, want string }{
		{"s LIKE 'stream%'", "true|false|NULL|false|false|false|false|false"},
		{"s LIKE '%sql'", "true|false|NULL|false|false|false|false|true"},
		{"s LIKE '%ea%'", "true|true|NULL|false|false|false|false|false"},
		{"s LIKE 'sql'", "false|false|NULL|false|false|false|false|true"},
		{"s LIKE '%'", "true|true|NULL|true|true|true|true|true"},
		{"s LIKE ''", "false|false|NULL|true|false|false|false|false"},
		{"s LIKE 's%l'", "true|false|NULL|false|false|false|false|true"},
		{"s LIKE 's_%_l'", "true|false|NULL|false|false|false|false|false"},
		{"s LIKE '_____'", "false|false|NULL|false|false|false|true|false"},
		{"s LIKE 'h_llo'", "false|false|NULL|false|false|false|true|false"},
		{"s LIKE '%a%m%'", "true|true|NULL|false|false|false|false|false"},
		{`s LIKE 'a\%b'`, "false|false|NULL|false|true|false|false|false"},
		{`s LIKE 'a\_b'`, "false|false|NULL|false|false|true|false|false"},
		{"s LIKE 'a!_b' ESCAPE '!'", "false|false|NULL|false|false|true|false|false"},
		{"s LIKE 'a_b'", "false|false|NULL|false|true|true|false|false"},
		{"s ILIKE 'STREAM%'", "true|true|NULL|false|false|false|false|false"},
		{"s ILIKE '%SQL'", "true|false|NULL|false|false|false|false|true"},
		{"s ILIKE 'HÉLLO'", "false|false|NULL|false|false|false|true|false"},
		{"s NOT IN ('sql') AND s LIKE 's%'", "true|false|NULL|false|false|false|false|false"},
		{"NOT s LIKE '%a%'", "false|false|NULL|true|false|false|true|true"},
	} {
		check(t, tc.sql, tc.want, s)
	}
	pat := col{"pat", tV, ints("%sql", "st%", "x", "", "a_b", "a\\_b", "%", nil)}
	check(t, "s LIKE pat", "true|false|NULL|true|true|true|true|NULL", s, pat)
	check(t, "s ILIKE pat", "true|true|NULL|true|true|true|true|NULL", s, pat)
	checkErr(t, `s LIKE 'ab\'`, "LIKE pattern must not end with escape character", s)
	checkErr(t, "s LIKE 'a' ESCAPE 'xy'", "invalid escape string", s)
}

func TestRegexp(t *testing.T) {
	s := col{"s", tV, ints("abc123def45", "no digits", nil, "ABC")}
	check(t, "regexp_like(s, '[0-9]+')", "true|false|NULL|false", s)
	check(t, "regexp_like(s, '^abc')", "true|false|NULL|false", s)
	check(t, "regexp_like(s, '^abc', 'i')", "true|false|NULL|true", s)
	check(t, "regexp_replace(s, '[0-9]+', '#')", "abc#def45|no digits|NULL|ABC", s)
	check(t, "regexp_replace(s, '[0-9]+', '#', 'g')", "abc#def#|no digits|NULL|ABC", s)
	check(t, `regexp_replace(s, '([a-z]+)([0-9]+)', '\2\1', 'g')`, "123abc45def|no digits|NULL|ABC", s)
	check(t, `regexp_replace(s, 'b', '[\&]$1')`, "a[b]$1c123def45|no digits|NULL|ABC", s)
	check(t, "regexp_replace(s, 'abc', 'x', 'gi')", "x123def45|no digits|NULL|x", s)
	checkErr(t, "regexp_like(s, '(')", "invalid regular expression", s)
	checkErr(t, "regexp_replace(s, 'a', 'b', 'q')", "invalid regular expression option", s)
	pat := col{"pat", tV, ints("[0-9]", "^no", "x", "a")}
	check(t, "regexp_like(s, pat)", "true|true|NULL|false", s, pat)
	check(t, "regexp_replace(s, pat, '_')", "abc_23def45|_ digits|NULL|ABC", s, pat)
	check(t, "regexp_like(s, pat, 'i')", "true|true|NULL|true", s, pat)
}
