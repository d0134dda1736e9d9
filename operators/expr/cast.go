package expr

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// CastArray casts an array to type t (used by file readers and the binder's
// implicit casts at runtime). Any Arrow type that types.FromArrow maps
// (int8, float32, timestamp[ms], large strings, …) is accepted as input.
// With try, values that fail to convert become NULL instead of an error.
// The result is owned by the caller; arr is borrowed.
func CastArray(ctx *Context, arr arrow.Array, to types.Type, try bool) (arrow.Array, error) {
	from, err := types.FromArrow(arr.DataType())
	if err != nil {
		return nil, fmt.Errorf("casting to %s: %w", to, err)
	}
	if !types.IsNative(arr.DataType()) {
		norm, err := normalize(allocator(ctx), arr, from)
		if err != nil {
			return nil, fmt.Errorf("casting %s to %s: %w", arr.DataType(), to, err)
		}
		defer norm.Release()
		arr = norm
	}
	return castArray(ctx, arr, from, to, try)
}

type castEval struct {
	x   Evaluator
	to  types.Type
	try bool
}

// newCastEval casts x to "to"; a cast to x's own type is x itself.
func newCastEval(x Evaluator, to types.Type, try bool) Evaluator {
	if x.Type() == to {
		return x
	}
	return &castEval{x: x, to: to, try: try}
}

func (e *castEval) Type() types.Type { return e.to }

func (e *castEval) Eval(ctx *Context, b arrow.RecordBatch) (_ arrow.Array, err error) {
	defer recoverKernel("CAST", &err)
	arr, err := e.x.Eval(ctx, b)
	if err != nil {
		return nil, err
	}
	defer arr.Release()
	return castArray(ctx, arr, e.x.Type(), e.to, e.try)
}

// castError is a value that failed to convert.
func castError(from, to types.Type, err error) error {
	return fmt.Errorf("casting %s to %s: %w", from, to, err)
}

func invalidSyntax(to types.Type, s string) error {
	return fmt.Errorf("invalid input syntax for type %s: %q", pgName(to), s)
}

// pgName is the Postgres spelling of a type in error messages.
func pgName(t types.Type) string {
	switch t.Kind {
	case types.Double:
		return "double precision"
	}
	return strings.ToLower(t.String())
}

// castArray converts arr, holding native values of type from, to type to.
func castArray(ctx *Context, arr arrow.Array, from, to types.Type, try bool) (arrow.Array, error) {
	mem := allocator(ctx)
	n := arr.Len()
	switch {
	case from == to:
		arr.Retain()
		return arr, nil
	case from.Kind == types.Null || isAllNull(arr):
		return allNull(mem, to, n), nil
	case to.Kind == types.Null:
		return array.NewNull(n), nil
	case to.Kind == types.Varchar && from.Kind == types.JSON:
		arr.Retain()
		return arr, nil
	case to.Kind == types.Varchar:
		return toText(mem, arr, from), nil
	case from.IsString():
		out, err := parseText(mem, arr.(*array.String), to, try)
		if err != nil {
			return nil, castError(from, to, err)
		}
		return out, nil
	}
	out, err := castFixed(mem, arr, from, to, try)
	if err != nil {
		return nil, castError(from, to, err)
	}
	return out, nil
}

var (
	errIntRange    = fmt.Errorf("integer out of range")
	errBigintRange = fmt.Errorf("bigint out of range")
)

// castFixed handles casts between fixed-width types.
func castFixed(mem memory.Allocator, arr arrow.Array, from, to types.Type, try bool) (arrow.Array, error) {
	dt := to.ArrowType()
	fk, tk := from.Kind, to.Kind
	switch {
	case fk == types.Integer && tk == types.Bigint:
		return widen[int32, int64](mem, arr, dt), nil
	case fk == types.Integer && tk == types.Double:
		return widen[int32, float64](mem, arr, dt), nil
	case fk == types.Bigint && tk == types.Double:
		return widen[int64, float64](mem, arr, dt), nil
	case fk == types.Bigint && tk == types.Integer:
		return convert(mem, arr, dt, try, func(v int64) (int32, error) {
			if v < math.MinInt32 || v > math.MaxInt32 {
				return 0, errIntRange
			}
			return int32(v), nil
		})
	case fk == types.Double && tk == types.Integer:
		return convert(mem, arr, dt, try, func(v float64) (int32, error) {
			r := math.Round(v)
			if !(r >= math.MinInt32 && r <= math.MaxInt32) {
				return 0, errIntRange
			}
			return int32(r), nil
		})
	case fk == types.Double && tk == types.Bigint:
		return convert(mem, arr, dt, try, func(v float64) (int64, error) {
			r := math.Round(v)
			if !(r >= math.MinInt64 && r < math.MaxInt64) {
				return 0, errBigintRange
			}
			return int64(r), nil
		})
	case fk == types.Timestamp && tk == types.Date:
		return convert(mem, arr, dt, try, func(v int64) (int32, error) { return int32(floorDiv(v, dayMicros)), nil })
	case fk == types.Date && tk == types.Timestamp:
		return convert(mem, arr, dt, try, func(v int32) (int64, error) { return int64(v) * dayMicros, nil })
	case fk == types.Boolean && (to.IsNumeric()):
		return boolToNum(mem, arr.(*array.Boolean), to), nil
	case from.IsNumeric() && tk == types.Boolean:
		return numToBool(mem, arr, from), nil
	}
	return nil, fmt.Errorf("unsupported cast")
}

// convert maps every value of arr through f; a failing row is an error,
// or NULL with try. NULL rows are not converted.
func convert[S, D arrow.FixedWidthType](mem memory.Allocator, arr arrow.Array, dt arrow.DataType, try bool, f func(S) (D, error)) (arrow.Array, error) {
	n := arr.Len()
	src := values[S](arr)
	buf, out := newFixed[D](mem, n)
	valid := copyValidity(mem, arr)
	bm, off := validity(arr)
	for i, v := range src {
		d, err := f(v)
		if err != nil {
			if bm != nil && !bitutil.BitIsSet(bm, off+i) {
				continue
			}
			if !try {
				buf.Release()
				if valid != nil {
					valid.Release()
				}
				return nil, err
			}
			valid = ownValidity(mem, valid, n)
			bitutil.ClearBit(valid.Bytes(), i)
			continue
		}
		out[i] = d
	}
	return finish(dt, n, array.UnknownNullCount, valid, buf), nil
}

// widen converts every value with a plain Go conversion that cannot fail.
func widen[S int32 | int64, D int64 | float64](mem memory.Allocator, arr arrow.Array, dt arrow.DataType) arrow.Array {
	src := values[S](arr)
	buf, out := newFixed[D](mem, len(src))
	for i, v := range src {
		out[i] = D(v)
	}
	return finish(dt, len(src), arr.NullN(), copyValidity(mem, arr), buf)
}

// ownValidity returns a validity buffer that may be modified: a fresh
// all-valid one for nil, a private copy of a shared one.
func ownValidity(mem memory.Allocator, valid *memory.Buffer, n int) *memory.Buffer {
	out, bits := newBitmap(mem, n)
	if valid == nil {
		bitutil.SetBitsTo(bits, 0, int64(n), true)
		return out
	}
	copy(bits, valid.Bytes())
	valid.Release()
	return out
}

func boolToNum(mem memory.Allocator, a *array.Boolean, to types.Type) arrow.Array {
	n := a.Len()
	valid := copyValidity(mem, a)
	switch to.Kind {
	case types.Integer:
		buf, out := newFixed[int32](mem, n)
		for i := range out {
			out[i] = int32(b2u(a.Value(i)))
		}
		return finish(to.ArrowType(), n, array.UnknownNullCount, valid, buf)
	case types.Bigint:
		buf, out := newFixed[int64](mem, n)
		for i := range out {
			out[i] = int64(b2u(a.Value(i)))
		}
		return finish(to.ArrowType(), n, array.UnknownNullCount, valid, buf)
	}
	buf, out := newFixed[float64](mem, n)
	for i := range out {
		out[i] = float64(b2u(a.Value(i)))
	}
	return finish(to.ArrowType(), n, array.UnknownNullCount, valid, buf)
}

func numToBool(mem memory.Allocator, arr arrow.Array, from types.Type) arrow.Array {
	n := arr.Len()
	vb, bits := newBitmap(mem, n)
	switch from.Kind {
	case types.Integer:
		for i, v := range values[int32](arr) {
			bits[i>>3] |= b2u(v != 0) << (i & 7)
		}
	case types.Bigint:
		for i, v := range values[int64](arr) {
			bits[i>>3] |= b2u(v != 0) << (i & 7)
		}
	default:
		for i, v := range values[float64](arr) {
			bits[i>>3] |= b2u(v != 0) << (i & 7)
		}
	}
	return finish(arrow.FixedWidthTypes.Boolean, n, array.UnknownNullCount, copyValidity(mem, arr), vb)
}

// toText renders every value as VARCHAR.
func toText(mem memory.Allocator, arr arrow.Array, from types.Type) arrow.Array {
	n := arr.Len()
	b := newStrBuilder(mem, n, n*8)
	b.setValidity(copyValidity(mem, arr))
	var scratch []byte
	switch from.Kind {
	case types.Boolean:
		a := arr.(*array.Boolean)
		for i := 0; i < n; i++ {
			if a.Value(i) {
				b.appendString("true")
			} else {
				b.appendString("false")
			}
		}
	case types.Integer:
		var buf [24]byte
		for _, v := range values[int32](arr) {
			b.appendBytes(strconv.AppendInt(buf[:0], int64(v), 10))
		}
	case types.Bigint:
		var buf [24]byte
		for _, v := range values[int64](arr) {
			b.appendBytes(strconv.AppendInt(buf[:0], v, 10))
		}
	case types.Double:
		for _, v := range values[float64](arr) {
			b.appendString(types.FormatDouble(v))
		}
	case types.Timestamp:
		for _, v := range values[int64](arr) {
			scratch = appendTimestamp(scratch[:0], v)
			b.appendBytes(scratch)
		}
	case types.Date:
		for _, v := range values[int32](arr) {
			scratch = appendDate(scratch[:0], v)
			b.appendBytes(scratch)
		}
	case types.Interval:
		for _, v := range values[arrow.MonthDayNanoInterval](arr) {
			b.appendString(types.FormatInterval(fromMDN(v)))
		}
	default:
		for i := 0; i < n; i++ {
			b.appendString("")
		}
	}
	return b.finish()
}

// parseText converts strings to type to.
func parseText(mem memory.Allocator, a *array.String, to types.Type, try bool) (arrow.Array, error) {
	n := a.Len()
	offs, data := strData(a)
	bm, off := validity(a)
	valid := copyValidity(mem, a)
	fail := func(i int, err error) error {
		if !try {
			return err
		}
		valid = ownValidity(mem, valid, n)
		bitutil.ClearBit(valid.Bytes(), i)
		return nil
	}
	var vals *memory.Buffer
	var err error
	each := func(f func(i int, s string) error) {
		for i := 0; i < n && err == nil; i++ {
			if bm != nil && !bitutil.BitIsSet(bm, off+i) {
				continue
			}
			if e := f(i, data[offs[i]:offs[i+1]]); e != nil {
				err = fail(i, e)
			}
		}
	}
	switch to.Kind {
	case types.JSON:
		failed := false
		each(func(i int, s string) error {
			if !validJSON(s) {
				failed = true
				return invalidSyntax(to, s)
			}
			return nil
		})
		if err == nil {
			if !failed {
				if valid != nil {
					valid.Release()
				}
				a.Retain()
				return a, nil
			}
			b := newStrBuilder(mem, n, len(data))
			b.setValidity(valid)
			vb := valid.Bytes()
			for i := 0; i < n; i++ {
				if bitutil.BitIsSet(vb, i) {
					b.appendString(data[offs[i]:offs[i+1]])
				} else {
					b.appendString("")
				}
			}
			return b.finish(), nil
		}
	case types.Boolean:
		vb, bits := newBitmap(mem, n)
		vals = vb
		each(func(i int, s string) error {
			v, ok := parseBool(s)
			if !ok {
				return invalidSyntax(to, s)
			}
			if v {
				bitutil.SetBit(bits, i)
			}
			return nil
		})
	case types.Integer:
		buf, out := newFixed[int32](mem, n)
		vals = buf
		each(func(i int, s string) error {
			v, e := parseInt(s, 32, to)
			out[i] = int32(v)
			return e
		})
	case types.Bigint:
		buf, out := newFixed[int64](mem, n)
		vals = buf
		each(func(i int, s string) error {
			v, e := parseInt(s, 64, to)
			out[i] = v
			return e
		})
	case types.Double:
		buf, out := newFixed[float64](mem, n)
		vals = buf
		each(func(i int, s string) error {
			v, e := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if e != nil {
				if ne, ok := e.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
					return fmt.Errorf("%q is out of range for type double precision", s)
				}
				return invalidSyntax(to, s)
			}
			out[i] = v
			return nil
		})
	case types.Timestamp:
		buf, out := newFixed[int64](mem, n)
		vals = buf
		each(func(i int, s string) error {
			v, e := parseTimestamp(s)
			if e != nil {
				return invalidSyntax(to, s)
			}
			out[i] = v
			return nil
		})
	case types.Date:
		buf, out := newFixed[int32](mem, n)
		vals = buf
		each(func(i int, s string) error {
			v, e := parseDate(s)
			if e != nil {
				return invalidSyntax(to, s)
			}
			out[i] = v
			return nil
		})
	case types.Interval:
		buf, out := newFixed[arrow.MonthDayNanoInterval](mem, n)
		vals = buf
		each(func(i int, s string) error {
			v, e := types.ParseInterval(s, "")
			if e != nil {
				return invalidSyntax(to, s)
			}
			out[i] = toMDN(v)
			return nil
		})
	default:
		err = fmt.Errorf("unsupported cast")
	}
	if err != nil {
		for _, b := range []*memory.Buffer{vals, valid} {
			if b != nil {
				b.Release()
			}
		}
		return nil, err
	}
	return finish(to.ArrowType(), n, array.UnknownNullCount, valid, vals), nil
}

func parseInt(s string, bits int, to types.Type) (int64, error) {
	t := strings.TrimSpace(s)
	v, err := strconv.ParseInt(t, 10, bits)
	if err == nil {
		return v, nil
	}
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return 0, fmt.Errorf("value %q is out of range for type %s", t, pgName(to))
	}
	return 0, invalidSyntax(to, s)
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "true", "y", "yes", "on", "1":
		return true, true
	case "f", "false", "n", "no", "off", "0":
		return false, true
	}
	return false, false
}

// parseTimestamp reads `YYYY-MM-DD[ T]HH:MM:SS[.ffffff]` directly and
// everything else through types.ParseTimestamp.
func parseTimestamp(s string) (int64, error) {
	if v, ok := parseTimestampFast(s); ok {
		return v, nil
	}
	return types.ParseTimestamp(s)
}

func parseDate(s string) (int32, error) {
	t := strings.TrimSpace(s)
	if len(t) == 10 {
		if d, ok := parseDateFast(t); ok {
			return d, nil
		}
	}
	if d, err := types.ParseDate(t); err == nil {
		return d, nil
	}
	us, err := types.ParseTimestamp(t)
	if err != nil {
		return 0, err
	}
	return int32(floorDiv(us, dayMicros)), nil
}

func digits(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		v = v*10 + int(c)
	}
	return v, len(s) > 0
}

func parseDateFast(s string) (int32, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(s[:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(int64(y), m) {
		return 0, false
	}
	return int32(daysFromCivil(int64(y), m, d)), true
}

func parseTimestampFast(s string) (int64, bool) {
	if len(s) < 19 || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	days, ok := parseDateFast(s[:10])
	if !ok {
		return 0, false
	}
	h, ok1 := digits(s[11:13])
	mi, ok2 := digits(s[14:16])
	sec, ok3 := digits(s[17:19])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	frac := 0
	if rest := s[19:]; rest != "" {
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 7 {
			return 0, false
		}
		f, ok := digits(rest[1:])
		if !ok {
			return 0, false
		}
		for k := len(rest) - 1; k < 6; k++ {
			f *= 10
		}
		frac = f
	}
	return int64(days)*dayMicros + int64(h)*3600e6 + int64(mi)*60e6 + int64(sec)*1e6 + int64(frac), true
}

// appendTimestamp formats like types.FormatTimestamp, without allocating.
func appendTimestamp(dst []byte, us int64) []byte {
	days := floorDiv(us, dayMicros)
	y, _, _ := civilFromDays(days)
	if y < 0 || y > 9999 {
		return append(dst, types.FormatTimestamp(us)...)
	}
	dst = appendDate(dst, int32(days))
	t := us - days*dayMicros
	dst = append(dst, ' ')
	dst = append2(dst, int(t/3600e6))
	dst = append(dst, ':')
	dst = append2(dst, int(t/60e6%60))
	dst = append(dst, ':')
	dst = append2(dst, int(t/1e6%60))
	if f := t % 1e6; f != 0 {
		dst = append(dst, '.')
		w := 6
		for f%10 == 0 {
			f /= 10
			w--
		}
		var buf [6]byte
		for k := w - 1; k >= 0; k-- {
			buf[k] = byte('0' + f%10)
			f /= 10
		}
		dst = append(dst, buf[:w]...)
	}
	return dst
}

func appendDate(dst []byte, days int32) []byte {
	y, m, d := civilFromDays(int64(days))
	if y < 0 || y > 9999 {
		return append(dst, types.FormatDate(days)...)
	}
	dst = append2(dst, int(y/100))
	dst = append2(dst, int(y%100))
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	return append2(dst, d)
}

func append2(dst []byte, v int) []byte { return append(dst, byte('0'+v/10), byte('0'+v%10)) }

// normalize converts a non-native array to the native Arrow form of t.
func normalize(mem memory.Allocator, arr arrow.Array, t types.Type) (arrow.Array, error) {
	n := arr.Len()
	dt := t.ArrowType()
	valid := func() *memory.Buffer { return copyValidity(mem, arr) }
	switch a := arr.(type) {
	case *array.Int8, *array.Int16, *array.Uint8, *array.Uint16:
		buf, out := newFixed[int32](mem, n)
		for i := range out {
			out[i] = smallInt(a, i)
		}
		return finish(dt, n, array.UnknownNullCount, valid(), buf), nil
	case *array.Uint32:
		return convert(mem, a, dt, false, func(v uint32) (int64, error) { return int64(v), nil })
	case *array.Uint64:
		return convert(mem, a, dt, false, func(v uint64) (int64, error) {
			if v > math.MaxInt64 {
				return 0, errBigintRange
			}
			return int64(v), nil
		})
	case *array.Float32:
		return convert(mem, a, dt, false, func(v float32) (float64, error) { return float64(v), nil })
	case *array.Float16:
		buf, out := newFixed[float64](mem, n)
		for i := range out {
			out[i] = float64(a.Value(i).Float32())
		}
		return finish(dt, n, array.UnknownNullCount, valid(), buf), nil
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return convert(mem, a, dt, false, func(v int64) (int64, error) { return timestampMicros(v, unit), nil })
	case *array.Duration:
		unit := a.DataType().(*arrow.DurationType).Unit
		return convert(mem, a, dt, false, func(v int64) (arrow.MonthDayNanoInterval, error) {
			return toMDN(durationInterval(v, unit)), nil
		})
	case *array.Date64:
		return convert(mem, a, dt, false, func(v int64) (int32, error) { return date64Days(v), nil })
	case *array.LargeString, *array.StringView:
		sa := a.(interface{ Value(int) string })
		b := newStrBuilder(mem, n, 0)
		b.setValidity(valid())
		for i := 0; i < n; i++ {
			if arr.IsNull(i) {
				b.appendString("")
				continue
			}
			b.appendString(sa.Value(i))
		}
		return b.finish(), nil
	}
	return nil, fmt.Errorf("normalizing %s: unsupported type", arr.DataType())
}

// smallInt reads row i of a small integer array as int32.
func smallInt(arr arrow.Array, i int) int32 {
	switch a := arr.(type) {
	case *array.Int8:
		return int32(a.Value(i))
	case *array.Int16:
		return int32(a.Value(i))
	case *array.Uint8:
		return int32(a.Value(i))
	case *array.Uint16:
		return int32(a.Value(i))
	case *array.Int32:
		return a.Value(i)
	}
	return 0
}
