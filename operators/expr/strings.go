package expr

import (
	"encoding/binary"
	"errors"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// String kernels. Positions and lengths count characters (code points).

func registerStringsKernels() {
	kernels["lower"] = caseFactory(false)
	kernels["upper"] = caseFactory(true)
	kernels["length"] = strKernel(func(c *callInfo) (Evaluator, error) {
		return strToInt(c, func(r *rowArgs) (int64, error) { return int64(utf8.RuneCountInString(r.str(0))), nil }), nil
	})
	kernels["substr"] = strKernel(func(c *callInfo) (Evaluator, error) {
		has3 := len(c.args) == 3
		return strToStr(c, func(r *rowArgs, out *strBuilder) error {
			s, start := r.str(0), r.int(1)
			end := int64(1) << 62
			if has3 {
				cnt := r.int(2)
				if cnt < 0 {
					return errors.New("negative substring length not allowed")
				}
				end = start + cnt
			}
			out.appendString(runeSlice(s, start-1, end-1))
			return nil
		}), nil
	})
	kernels["||"] = strKernel(func(c *callInfo) (Evaluator, error) {
		return strToStr(c, func(r *rowArgs, out *strBuilder) error {
			a, b := r.str(0), r.str(1)
			out.write(a)
			out.appendString(b)
			return nil
		}), nil
	})
	kernels["concat"] = concatFactory
	trim := func(left, right bool) factory {
		return strKernel(func(c *callInfo) (Evaluator, error) {
			has2 := len(c.args) == 2
			return strToStr(c, func(r *rowArgs, out *strBuilder) error {
				s, set := r.str(0), " "
				if has2 {
					set = r.str(1)
				}
				if left {
					s = strings.TrimLeft(s, set)
				}
				if right {
					s = strings.TrimRight(s, set)
				}
				out.appendString(s)
				return nil
			}), nil
		})
	}
	kernels["trim"], kernels["ltrim"], kernels["rtrim"] = trim(true, true), trim(true, false), trim(false, true)
	kernels["replace"] = strKernel(func(c *callInfo) (Evaluator, error) {
		return strToStr(c, func(r *rowArgs, out *strBuilder) error {
			s, from, to := r.str(0), r.str(1), r.str(2)
			if from == "" || !strings.Contains(s, from) {
				out.appendString(s)
				return nil
			}
			out.appendString(strings.ReplaceAll(s, from, to))
			return nil
		}), nil
	})
	kernels["starts_with"] = strKernel(func(c *callInfo) (Evaluator, error) {
		return strToBool(c, func(r *rowArgs) (bool, error) { return strings.HasPrefix(r.str(0), r.str(1)), nil }), nil
	})
	kernels["ends_with"] = strKernel(func(c *callInfo) (Evaluator, error) {
		return strToBool(c, func(r *rowArgs) (bool, error) { return strings.HasSuffix(r.str(0), r.str(1)), nil }), nil
	})
	kernels["split_part"] = strKernel(func(c *callInfo) (Evaluator, error) {
		return strToStr(c, func(r *rowArgs, out *strBuilder) error {
			s, err := splitPart(r.str(0), r.str(1), r.int(2))
			if err != nil {
				return err
			}
			out.appendString(s)
			return nil
		}), nil
	})
	kernels["split_index"] = strKernel(func(c *callInfo) (Evaluator, error) {
		return strToStr(c, func(r *rowArgs, out *strBuilder) error {
			if s, ok := splitIndex(r.str(0), r.str(1), r.int(2)); ok {
				out.appendString(s)
			} else {
				out.appendNull()
			}
			return nil
		}), nil
	})
	kernels["left"] = strKernel(func(c *callInfo) (Evaluator, error) {
		return strToStr(c, func(r *rowArgs, out *strBuilder) error {
			s, n := r.str(0), r.int(1)
			if n < 0 {
				n += int64(runeLen(s))
			}
			out.appendString(runeSlice(s, 0, n))
			return nil
		}), nil
	})
	kernels["right"] = strKernel(func(c *callInfo) (Evaluator, error) {
		return strToStr(c, func(r *rowArgs, out *strBuilder) error {
			s, n := r.str(0), r.int(1)
			l := int64(runeLen(s))
			if n < 0 {
				out.appendString(runeSlice(s, -n, l))
			} else {
				out.appendString(runeSlice(s, l-n, l))
			}
			return nil
		}), nil
	})
	kernels["strpos"] = strKernel(func(c *callInfo) (Evaluator, error) {
		return strToInt(c, func(r *rowArgs) (int64, error) {
			s := r.str(0)
			i := strings.Index(s, r.str(1))
			if i < 0 {
				return 0, nil
			}
			return int64(runeLen(s[:i])) + 1, nil
		}), nil
	})
	kernels["reverse"] = strKernel(func(c *callInfo) (Evaluator, error) {
		return strToStr(c, func(r *rowArgs, out *strBuilder) error {
			s := r.str(0)
			for i := len(s); i > 0; {
				_, size := utf8.DecodeLastRuneInString(s[:i])
				out.write(s[i-size : i])
				i -= size
			}
			out.endRow()
			return nil
		}), nil
	})
	pad := func(left bool) factory {
		return strKernel(func(c *callInfo) (Evaluator, error) {
			has3 := len(c.args) == 3
			return strToStr(c, func(r *rowArgs, out *strBuilder) error {
				s, n, fill := r.str(0), r.int(1), " "
				if has3 {
					fill = r.str(2)
				}
				if n > 1<<28 {
					return errors.New("requested length too large")
				}
				out.appendString(padString(s, n, fill, left))
				return nil
			}), nil
		})
	}
	kernels["lpad"], kernels["rpad"] = pad(true), pad(false)
	kernels["repeat"] = strKernel(func(c *callInfo) (Evaluator, error) {
		return strToStr(c, func(r *rowArgs, out *strBuilder) error {
			s, n := r.str(0), r.int(1)
			if n <= 0 || s == "" {
				out.appendString("")
				return nil
			}
			if int64(len(s))*n > 1<<28 {
				return errors.New("requested length too large")
			}
			out.appendString(strings.Repeat(s, int(n)))
			return nil
		}), nil
	})
}

// strKernel checks that a string function got VARCHAR/JSON and integer
// arguments only.
func strKernel(f factory) factory {
	return func(c *callInfo) (Evaluator, error) {
		if err := checkArgs(c, func(t types.Type) bool { return isStr(t) || isInt(t) }); err != nil {
			return nil, err
		}
		return f(c)
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func runeLen(s string) int {
	if isASCII(s) {
		return len(s)
	}
	return utf8.RuneCountInString(s)
}

// runeSlice returns the characters [from, to) of s (0-based), clamped.
func runeSlice(s string, from, to int64) string {
	from = max(from, 0)
	if to <= from {
		return ""
	}
	if isASCII(s) {
		l := int64(len(s))
		return s[min(from, l):min(to, l)]
	}
	var i, start int64 = 0, -1
	for pos := range s {
		if i == from {
			start = int64(pos)
		}
		if i == to {
			return s[start:pos]
		}
		i++
	}
	if start < 0 {
		return ""
	}
	return s[start:]
}

// splitIndex is Flink's SPLIT_INDEX: the field at 0-based index i of s
// split on delim; false (NULL) when there is none or i is negative.
func splitIndex(s, delim string, i int64) (string, bool) {
	if i < 0 {
		return "", false
	}
	if delim == "" {
		return s, i == 0
	}
	for ; i > 0; i-- {
		j := strings.Index(s, delim)
		if j < 0 {
			return "", false
		}
		s = s[j+len(delim):]
	}
	if j := strings.Index(s, delim); j >= 0 {
		return s[:j], true
	}
	return s, true
}

func splitPart(s, delim string, n int64) (string, error) {
	if n == 0 {
		return "", errors.New("field position must not be zero")
	}
	if delim == "" {
		if n == 1 || n == -1 {
			return s, nil
		}
		return "", nil
	}
	if n > 0 {
		for ; n > 1; n-- {
			i := strings.Index(s, delim)
			if i < 0 {
				return "", nil
			}
			s = s[i+len(delim):]
		}
		if i := strings.Index(s, delim); i >= 0 {
			return s[:i], nil
		}
		return s, nil
	}
	parts := strings.Split(s, delim)
	if k := int64(len(parts)) + n; k >= 0 {
		return parts[k], nil
	}
	return "", nil
}

func padString(s string, n int64, fill string, left bool) string {
	l := int64(runeLen(s))
	if n <= 0 {
		return ""
	}
	if l >= n || fill == "" {
		return runeSlice(s, 0, n)
	}
	need := n - l
	fr := []rune(fill)
	var b strings.Builder
	if !left {
		b.WriteString(s)
	}
	for i := int64(0); i < need; i++ {
		b.WriteRune(fr[i%int64(len(fr))])
	}
	if left {
		b.WriteString(s)
	}
	return b.String()
}

// caseFactory builds lower/upper. ASCII input maps byte for byte, so the
// offsets are reused and the data converted in one pass.
func caseFactory(upper bool) factory {
	conv := strings.ToLower
	if upper {
		conv = strings.ToUpper
	}
	return strKernel(func(c *callInfo) (Evaluator, error) {
		return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			return mapCase(allocator(ctx), in[0].(*array.String), upper, conv), nil
		}), nil
	})
}

func mapCase(mem memory.Allocator, a *array.String, upper bool, conv func(string) string) arrow.Array {
	n := a.Len()
	offs, data := strData(a)
	body := data[offs[0]:offs[n]]
	db := memory.NewResizableBuffer(mem)
	db.Resize(len(body))
	if convertASCII(db.Bytes(), body, upper) {
		ob, o := newFixed[int32](mem, n+1)
		base := offs[0]
		for i, v := range offs {
			o[i] = v - base
		}
		return finish(arrow.BinaryTypes.String, n, a.NullN(), copyValidity(mem, a), ob, db)
	}
	db.Release()
	out := newStrBuilder(mem, n, len(body))
	out.setValidity(copyValidity(mem, a))
	for i := 0; i < n; i++ {
		out.appendString(conv(data[offs[i]:offs[i+1]]))
	}
	return out.finish()
}

// convertASCII writes src lower-cased (or upper-cased) into dst, eight
// bytes at a time; it returns false, leaving dst undefined, when src is
// not pure ASCII.
func convertASCII(dst []byte, src string, upper bool) bool {
	const hi, ones = 0x8080808080808080, 0x0101010101010101
	lo, top := byte('A'), byte('Z')
	if upper {
		lo, top = 'a', 'z'
	}
	// With every byte below 0x80 these additions never carry between
	// bytes: the high bit of each sum says byte >= lo (resp. > top).
	addLo, addTop := uint64(0x80-lo)*ones, uint64(0x80-top-1)*ones
	sb := unsafe.Slice(unsafe.StringData(src), len(src))
	dst = dst[:len(src)]
	i := 0
	for ; i+8 <= len(sb); i += 8 {
		w := binary.LittleEndian.Uint64(sb[i:])
		if w&hi != 0 {
			return false
		}
		m := ((w + addLo) &^ (w + addTop)) & hi
		binary.LittleEndian.PutUint64(dst[i:], w^(m>>2))
	}
	for ; i < len(sb); i++ {
		ch := sb[i]
		if ch >= utf8.RuneSelf {
			return false
		}
		if ch >= lo && ch <= top {
			ch ^= 0x20
		}
		dst[i] = ch
	}
	return true
}

// concatFactory: concat(args…) joins the non-NULL arguments' text.
func concatFactory(c *callInfo) (Evaluator, error) {
	for i, t := range c.types {
		if !t.IsString() {
			c.args[i] = foldIfConst(newCastEval(c.args[i], types.VarcharType, false), c.args[i])
			c.types[i] = types.VarcharType
		}
	}
	return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
		mem := allocator(ctx)
		type src struct {
			offs []int32
			data string
			bm   []byte
			off  int
			none bool
		}
		srcs := make([]src, len(in))
		hint := 0
		for i, a := range in {
			if isAllNull(a) || a.DataType().ID() != arrow.STRING {
				srcs[i].none = true
				continue
			}
			s := a.(*array.String)
			srcs[i].offs, srcs[i].data = strData(s)
			srcs[i].bm, srcs[i].off = validity(s)
			hint += strBytes(s)
		}
		out := newStrBuilder(mem, n, hint)
		for r := 0; r < n; r++ {
			for _, s := range srcs {
				if s.none || (s.bm != nil && !bitutil.BitIsSet(s.bm, s.off+r)) {
					continue
				}
				out.write(s.data[s.offs[r]:s.offs[r+1]])
			}
			out.endRow()
		}
		return out.finish(), nil
	}), nil
}
