package file

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A small validating JSON scanner over one line. Values of projected
// columns are decoded in place; everything else is skipped with full syntax
// checking but no decoding. Error messages follow encoding/json.

const maxDepth = 10000

var errEOF = errors.New("unexpected end of JSON input")

// strSpecial marks bytes that end the fast path of string scanning.
var strSpecial = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// quoteChar formats c the way encoding/json does in syntax errors.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

// errAt reports an unexpected character (or the end of input) at b[i].
func errAt(b []byte, i int, context string) error {
	if i >= len(b) {
		return errEOF
	}
	return fmt.Errorf("invalid character %s %s", quoteChar(b[i]), context)
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// string scan flags
const (
	strEscaped = 1 << iota // contains a backslash escape
	strHigh                // contains bytes >= 0x80
)

// scanString finds the end of the string starting at b[i] == '"'. It
// returns the index after the closing quote and flags saying whether the
// content needs unescaping or UTF-8 checking.
func scanString(b []byte, i int) (int, int, error) {
	flags := 0
	i++
	for {
		for i+8 <= len(b) && !hasSpecial(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		for i < len(b) && !strSpecial[b[i]] {
			i++
		}
		if i >= len(b) {
			return i, flags, errEOF
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, flags, nil
		case c == '\\':
			flags |= strEscaped
			if i+1 >= len(b) {
				return i, flags, errEOF
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := 2; k < 6; k++ {
					if i+k >= len(b) {
						return i, flags, errEOF
					}
					if !isHex(b[i+k]) {
						return i, flags, errAt(b, i+k, "in \\u hexadecimal character escape")
					}
				}
				i += 6
			default:
				return i, flags, errAt(b, i+1, "in string escape code")
			}
		case c < 0x20:
			return i, flags, errAt(b, i, "in string literal")
		default:
			flags |= strHigh
			i++
		}
	}
}

// hasSpecial reports whether any of the 8 bytes in x is a quote, a
// backslash, a control character or a non-ASCII byte (SWAR).
func hasSpecial(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	return (x|(x-ones*0x20)|((q-ones)&^q)|((bs-ones)&^bs))&highs != 0
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// unquote appends the decoded content of a scanned string (without its
// quotes) to dst: escapes resolved, invalid UTF-8 and lone surrogates
// replaced by U+FFFD, as encoding/json does.
func unquote(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			switch s[i+1] {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := hexVal(s[i+2 : i+6])
				i += 6
				if utf16.IsSurrogate(r) {
					if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if r2 := utf16.DecodeRune(r, hexVal(s[i+2:i+6])); r2 != utf8.RuneError {
							r = r2
							i += 6
						} else {
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default: // " \ /
				dst = append(dst, s[i+1])
			}
			i += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		}
	}
	return dst
}

// scanNumber finds the end of the number starting at b[i]; isInt is false
// when it has a fraction or an exponent.
func scanNumber(b []byte, i int) (end int, isInt bool, err error) {
	isInt = true
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return i, false, errEOF
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, false, errAt(b, i, "in numeric literal")
	}
	if i < len(b) && b[i] == '.' {
		isInt = false
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, false, errAt(b, i, "after decimal point in numeric literal")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, false, errAt(b, i, "in exponent of numeric literal")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i, isInt, nil
}

// scanLiteral checks the literal word (true, false, null) at b[i].
func scanLiteral(b []byte, i int, word string) (int, error) {
	for k := 1; k < len(word); k++ {
		if i+k >= len(b) {
			return i + k, errEOF
		}
		if b[i+k] != word[k] {
			return i + k, errAt(b, i+k, fmt.Sprintf("in literal %s (expecting %s)", word, quoteChar(word[k])))
		}
	}
	return i + len(word), nil
}

// skipValue validates the value starting at b[i] (after whitespace) and
// returns the index after it.
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, errEOF
	}
	switch c := b[i]; {
	case c == '"':
		end, _, err := scanString(b, i)
		return end, err
	case c == '-' || (c >= '0' && c <= '9'):
		end, _, err := scanNumber(b, i)
		return end, err
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	case c == '{':
		return skipObject(b, i, depth+1)
	case c == '[':
		return skipArray(b, i, depth+1)
	}
	return i, errAt(b, i, "looking for beginning of value")
}

func skipObject(b []byte, i, depth int) (int, error) {
	if depth > maxDepth {
		return i, errors.New("exceeded max depth")
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, errAt(b, i, "looking for beginning of object key string")
		}
		var err error
		if i, _, err = scanString(b, i); err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i >= len(b) || b[i] != ':' {
			return i, errAt(b, i, "after object key")
		}
		if i, err = skipValue(b, skipWS(b, i+1), depth); err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipWS(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return i + 1, nil
		}
		return i, errAt(b, i, "after object key:value pair")
	}
}

func skipArray(b []byte, i, depth int) (int, error) {
	if depth > maxDepth {
		return i, errors.New("exceeded max depth")
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = skipValue(b, i, depth); err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipWS(b, i+1)
			continue
		}
		if i < len(b) && b[i] == ']' {
			return i + 1, nil
		}
		return i, errAt(b, i, "after array element")
	}
}

// parseInt reads a scanned JSON integer.
func parseInt(b []byte) (int64, bool) {
	neg := b[0] == '-'
	d := b
	if neg {
		d = b[1:]
	}
	if len(d) <= 18 {
		var n int64
		for _, c := range d {
			n = n*10 + int64(c-'0')
		}
		if neg {
			n = -n
		}
		return n, true
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// parseFloat reads a scanned JSON number.
func parseFloat(b []byte, isInt bool) (float64, bool) {
	if isInt && len(b) <= 16 {
		n, _ := parseInt(b)
		return float64(n), true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}
