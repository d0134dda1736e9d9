package expr

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// JSON kernels with a small hand-written scanner: a path lookup skips
// over everything it does not need without building values. Unparsable
// documents and missing paths give NULL (DataFusion json_functions).

type jsonMode uint8

const (
	jsonRaw    jsonMode = iota // json_get, ->: the value's JSON text
	jsonText                   // json_as_text, ->>: strings unquoted, null → NULL
	jsonStr                    // json_get_str: strings only
	jsonInt                    // json_get_int
	jsonFloat                  // json_get_float
	jsonBool                   // json_get_bool
	jsonLength                 // json_length
	jsonExists                 // json_contains
)

func registerJSONKernels() {
	for name, m := range map[string]jsonMode{
		"json_get": jsonRaw, "->": jsonRaw, "json_as_text": jsonText, "->>": jsonText,
		"json_get_str": jsonStr, "json_get_int": jsonInt, "json_get_float": jsonFloat,
		"json_get_bool": jsonBool, "json_length": jsonLength, "json_contains": jsonExists,
	} {
		kernels[name] = jsonFactory(m)
	}
}

type pathElem struct {
	key   string
	idx   int64
	isIdx bool
}

func jsonFactory(mode jsonMode) factory {
	return func(c *callInfo) (Evaluator, error) {
		if len(c.args) < 1 || !c.types[0].IsString() {
			return nil, fmt.Errorf("argument 1 has unsupported type %s", typeNames(c.types))
		}
		for i, t := range c.types[1:] {
			if !t.IsString() && !t.IsInteger() {
				return nil, fmt.Errorf("path argument %d has unsupported type %s", i+2, t)
			}
		}
		k := newRowKernel(c)
		return newFuncArgs(c, k.evalArgs(), func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			return jsonEval(allocator(ctx), c, k, mode, n, in)
		}), nil
	}
}

func jsonEval(mem memory.Allocator, c *callInfo, k *rowKernel, mode jsonMode, n int, in []arrow.Array) (arrow.Array, error) {
	r, valid := k.bind(mem, n, in)
	path := make([]pathElem, len(c.args)-1)
	vb := bitsOf(valid)
	// find returns the value text of the current row, ok false when absent.
	find := func() (string, bool) {
		for j := range path {
			if c.types[j+1].IsInteger() {
				path[j] = pathElem{idx: r.int(j + 1), isIdx: true}
			} else {
				path[j] = pathElem{key: r.str(j + 1)}
			}
		}
		return jsonFind(r.str(0), path)
	}
	switch mode {
	case jsonRaw, jsonText, jsonStr:
		out := newStrBuilder(mem, n, 0)
		out.setValidity(valid)
		for r.row = 0; r.row < n; r.row++ {
			if !validAt(vb, r.row) {
				out.appendString("")
				continue
			}
			v, ok := find()
			switch {
			case !ok:
				out.appendNull()
			case mode == jsonRaw:
				out.appendString(v)
			case v[0] == '"':
				s, ok := jsonUnquote(v)
				if !ok {
					out.appendNull()
					continue
				}
				out.appendString(s)
			case mode == jsonStr || v == "null":
				out.appendNull()
			default:
				out.appendString(v)
			}
		}
		return out.finish(), nil
	case jsonBool, jsonExists:
		buf, bits := newBitmap(mem, n)
		for r.row = 0; r.row < n; r.row++ {
			if !validAt(vb, r.row) {
				continue
			}
			v, ok := find()
			switch {
			case mode == jsonExists:
				if ok {
					bitutil.SetBit(bits, r.row)
				}
			case ok && v == "true":
				bitutil.SetBit(bits, r.row)
			case ok && v == "false":
			default:
				setNull(mem, &valid, n, r.row)
			}
		}
		return finish(arrow.FixedWidthTypes.Boolean, n, array.UnknownNullCount, valid, buf), nil
	case jsonFloat:
		buf, out := newFixed[float64](mem, n)
		for r.row = 0; r.row < n; r.row++ {
			out[r.row] = 0
			if !validAt(vb, r.row) {
				continue
			}
			v, ok := find()
			f, err := strconv.ParseFloat(v, 64)
			if !ok || err != nil || !isJSONNumber(v) {
				setNull(mem, &valid, n, r.row)
				continue
			}
			out[r.row] = f
		}
		return finish(arrow.PrimitiveTypes.Float64, n, array.UnknownNullCount, valid, buf), nil
	}
	buf, out := newFixed[int64](mem, n) // jsonInt, jsonLength
	for r.row = 0; r.row < n; r.row++ {
		out[r.row] = 0
		if !validAt(vb, r.row) {
			continue
		}
		v, ok := find()
		var x int64
		var err error
		if mode == jsonLength {
			x, ok = jsonCount(v, ok)
		} else if ok {
			x, err = strconv.ParseInt(v, 10, 64)
			ok = err == nil
		}
		if !ok {
			setNull(mem, &valid, n, r.row)
			continue
		}
		out[r.row] = x
	}
	return finish(arrow.PrimitiveTypes.Int64, n, array.UnknownNullCount, valid, buf), nil
}

func jsonCount(v string, ok bool) (int64, bool) {
	if !ok || (v[0] != '[' && v[0] != '{') {
		return 0, false
	}
	count := int64(0)
	i := skipWS(v, 1)
	if i < len(v) && (v[i] == ']' || v[i] == '}') {
		return 0, true
	}
	for i < len(v) {
		if v[0] == '{' {
			e, ok := skipString(v, i)
			if !ok {
				return 0, false
			}
			i = skipWS(v, e)
			if i >= len(v) || v[i] != ':' {
				return 0, false
			}
			i = skipWS(v, i+1)
		}
		e, ok := skipValue(v, i)
		if !ok {
			return 0, false
		}
		count++
		i = skipWS(v, e)
		if i < len(v) && v[i] == ',' {
			i = skipWS(v, i+1)
			continue
		}
		break
	}
	return count, true
}

func isJSONNumber(v string) bool { return v != "" && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) }

// jsonFind walks path from the document's root and returns the text of
// the value it reaches.
func jsonFind(doc string, path []pathElem) (string, bool) {
	i := skipWS(doc, 0)
	for _, p := range path {
		if i >= len(doc) {
			return "", false
		}
		var ok bool
		if p.isIdx {
			i, ok = jsonIndex(doc, i, p.idx)
		} else {
			i, ok = jsonKey(doc, i, p.key)
		}
		if !ok {
			return "", false
		}
	}
	e, ok := skipValue(doc, i)
	if !ok {
		return "", false
	}
	return doc[i:e], true
}

// jsonKey finds key in the object starting at i; it returns the start of
// the value.
func jsonKey(s string, i int, key string) (int, bool) {
	if s[i] != '{' {
		return 0, false
	}
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		return 0, false
	}
	for i < len(s) {
		e, ok := skipString(s, i)
		if !ok {
			return 0, false
		}
		raw := s[i+1 : e-1]
		match := raw == key
		if !match && strings.IndexByte(raw, '\\') >= 0 {
			k, ok := jsonUnquote(s[i:e])
			match = ok && k == key
		}
		i = skipWS(s, e)
		if i >= len(s) || s[i] != ':' {
			return 0, false
		}
		i = skipWS(s, i+1)
		if match {
			return i, true
		}
		if i, ok = skipValue(s, i); !ok {
			return 0, false
		}
		i = skipWS(s, i)
		if i >= len(s) || s[i] != ',' {
			return 0, false
		}
		i = skipWS(s, i+1)
	}
	return 0, false
}

// jsonIndex finds element idx (0-based; negative counts from the end) of
// the array starting at i.
func jsonIndex(s string, i int, idx int64) (int, bool) {
	if s[i] != '[' {
		return 0, false
	}
	if idx < 0 {
		n, ok := jsonCount(s[i:], true)
		if !ok || n+idx < 0 {
			return 0, false
		}
		idx += n
	}
	i = skipWS(s, i+1)
	for k := int64(0); i < len(s) && s[i] != ']'; k++ {
		if k == idx {
			return i, true
		}
		e, ok := skipValue(s, i)
		if !ok {
			return 0, false
		}
		i = skipWS(s, e)
		if i >= len(s) || s[i] != ',' {
			return 0, false
		}
		i = skipWS(s, i+1)
	}
	return 0, false
}

func skipWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at i.
func skipString(s string, i int) (int, bool) {
	if i >= len(s) || s[i] != '"' {
		return 0, false
	}
	for i++; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// skipValue returns the index after the value starting at i.
func skipValue(s string, i int) (int, bool) {
	if i >= len(s) {
		return 0, false
	}
	switch c := s[i]; {
	case c == '"':
		return skipString(s, i)
	case c == '{' || c == '[':
		depth := 0
		for ; i < len(s); i++ {
			switch s[i] {
			case '"':
				e, ok := skipString(s, i)
				if !ok {
					return 0, false
				}
				i = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	case c == 't':
		return lit(s, i, "true")
	case c == 'f':
		return lit(s, i, "false")
	case c == 'n':
		return lit(s, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		j := i + 1
		for j < len(s) && strings.IndexByte("0123456789+-.eE", s[j]) >= 0 {
			j++
		}
		return j, true
	}
	return 0, false
}

func lit(s string, i int, w string) (int, bool) {
	if strings.HasPrefix(s[i:], w) {
		return i + len(w), true
	}
	return 0, false
}

// jsonUnquote decodes a JSON string literal (with its quotes).
func jsonUnquote(q string) (string, bool) {
	body := q[1 : len(q)-1]
	if strings.IndexByte(body, '\\') < 0 {
		return body, true
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(body) {
			return "", false
		}
		switch body[i] {
		case '"', '\\', '/':
			b.WriteByte(body[i])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(body, i+1)
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(body, i+3); ok && i+2 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
					r = utf16.DecodeRune(r, r2)
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	return b.String(), true
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s[i:i+4], 16, 16)
	return rune(v), err == nil
}

// validJSON reports whether s is one JSON value (loosely checked: the
// structure and literals, not every number's syntax).
func validJSON(s string) bool {
	i := skipWS(s, 0)
	e, ok := validValue(s, i, 0)
	return ok && skipWS(s, e) == len(s)
}

func validValue(s string, i, depth int) (int, bool) {
	if i >= len(s) || depth > 1000 {
		return 0, false
	}
	switch s[i] {
	case '{', '[':
		closer := byte('}')
		if s[i] == '[' {
			closer = ']'
		}
		obj := s[i] == '{'
		i = skipWS(s, i+1)
		if i < len(s) && s[i] == closer {
			return i + 1, true
		}
		for {
			if obj {
				e, ok := skipString(s, i)
				if !ok {
					return 0, false
				}
				i = skipWS(s, e)
				if i >= len(s) || s[i] != ':' {
					return 0, false
				}
				i = skipWS(s, i+1)
			}
			e, ok := validValue(s, i, depth+1)
			if !ok {
				return 0, false
			}
			i = skipWS(s, e)
			if i < len(s) && s[i] == ',' {
				i = skipWS(s, i+1)
				continue
			}
			if i < len(s) && s[i] == closer {
				return i + 1, true
			}
			return 0, false
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		e, _ := skipValue(s, i)
		if _, err := strconv.ParseFloat(s[i:e], 64); err != nil {
			return 0, false
		}
		return e, true
	}
	return skipValue(s, i)
}
