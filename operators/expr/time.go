package expr

import (
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/planner/functions"
	"github.com/streamsql/streamsql/planner/types"
)

// Date and time kernels over µs-since-epoch UTC timestamps.

func registerTimeKernels() {
	kernels["now"] = func(c *callInfo) (Evaluator, error) {
		return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			var now int64
			if ctx != nil {
				now = ctx.Now
			}
			return MakeArray(allocator(ctx), now, types.TimestampType, n)
		}), nil
	}
	kernels["current_date"] = func(c *callInfo) (Evaluator, error) {
		return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			var now int64
			if ctx != nil {
				now = ctx.Now
			}
			return MakeArray(allocator(ctx), int32(floorDiv(now, dayMicros)), types.DateType, n)
		}), nil
	}
	kernels["date_trunc"] = dateTruncFactory
	kernels["date_bin"] = dateBinFactory
	kernels["date_part"] = datePartFactory
	kernels["to_timestamp"] = toTimestampFactory
	kernels["to_date"] = func(c *callInfo) (Evaluator, error) {
		if err := checkArgs(c, isStr); err != nil {
			return nil, err
		}
		return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			return parseText(allocator(ctx), in[0].(*array.String), types.DateType, false)
		}), nil
	}
}

// fixedUnits are the date_trunc units of fixed length, in µs.
var fixedUnits = map[string]int64{
	"microsecond": 1, "millisecond": 1e3, "second": 1e6, "minute": 60e6, "hour": 3600e6, "day": dayMicros,
}

// truncFunc returns the per-value truncation for a unit.
func truncFunc(unit string) (func(int64) int64, error) {
	u := functions.DatePartField(unit)
	if w, ok := fixedUnits[u]; ok {
		return func(t int64) int64 { return t - floorMod(t, w) }, nil
	}
	calendar := func(f func(y int64, m int) (int64, int)) func(int64) int64 {
		return func(t int64) int64 {
			y, m, _ := civilFromDays(floorDiv(t, dayMicros))
			y, m = f(y, m)
			return daysFromCivil(y, m, 1) * dayMicros
		}
	}
	switch u {
	case "week":
		return func(t int64) int64 {
			days := floorDiv(t, dayMicros)
			return (days - floorMod(days+3, 7)) * dayMicros
		}, nil
	case "month":
		return calendar(func(y int64, m int) (int64, int) { return y, m }), nil
	case "quarter":
		return calendar(func(y int64, m int) (int64, int) { return y, (m-1)/3*3 + 1 }), nil
	case "year":
		return calendar(func(y int64, m int) (int64, int) { return y, 1 }), nil
	case "decade":
		return calendar(func(y int64, m int) (int64, int) { return y - floorMod(y, 10), 1 }), nil
	case "century":
		return calendar(func(y int64, m int) (int64, int) { return floorDiv(y-1, 100)*100 + 1, 1 }), nil
	case "millennium":
		return calendar(func(y int64, m int) (int64, int) { return floorDiv(y-1, 1000)*1000 + 1, 1 }), nil
	}
	return nil, fmt.Errorf("unit %q not recognized for type timestamp", unit)
}

func dateTruncFactory(c *callInfo) (Evaluator, error) {
	if len(c.args) != 2 || !c.types[0].IsString() {
		return nil, errors.New("want (VARCHAR, TIMESTAMP) arguments")
	}
	if c.types[1].Kind == types.Date {
		c.args[1] = foldIfConst(newCastEval(c.args[1], types.TimestampType, false), c.args[1])
	} else if c.types[1].Kind != types.Timestamp {
		return nil, fmt.Errorf("argument 2 has unsupported type %s", c.types[1])
	}
	tsT := types.TimestampType.ArrowType()
	if v, ok := constOf(c.args[0]); ok {
		unit := v.(string)
		f, err := truncFunc(unit)
		if err != nil {
			return nil, err
		}
		w, fixed := fixedUnits[functions.DatePartField(unit)]
		return infallible(newFuncArgs(c, []Evaluator{nil, c.args[1]}, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			mem, x := allocator(ctx), in[1]
			src := values[int64](x)
			buf, out := newFixed[int64](mem, len(src))
			if fixed {
				truncFixed(src, w, out)
			} else {
				// Calendar units: consecutive rows often share a day.
				lastDay, lastRes := int64(math.MinInt64), int64(0)
				for i, t := range src {
					d := floorDiv(t, dayMicros)
					if d != lastDay {
						lastDay, lastRes = d, f(d*dayMicros)
					}
					out[i] = lastRes
				}
			}
			return finish(tsT, len(src), x.NullN(), copyValidity(mem, x), buf), nil
		})), nil
	}
	return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
		offs, units := strData(in[0].(*array.String))
		ts := values[int64](in[1])
		return mapRows(allocator(ctx), n, in, tsT, func(i int) (int64, error) {
			f, err := truncFunc(units[offs[i]:offs[i+1]])
			if err != nil {
				return 0, err
			}
			return f(ts[i]), nil
		})
	}), nil
}

// truncFixed rounds every value down to a multiple of w (> 0). The
// common widths get loops with a constant divisor, which the compiler
// turns into a multiplication.
func truncFixed(src []int64, w int64, out []int64) {
	switch w {
	case 1e6:
		truncConst(src, out, 1e6)
	case 60e6:
		truncConst(src, out, 60e6)
	case 3600e6:
		truncConst(src, out, 3600e6)
	case dayMicros:
		truncConst(src, out, dayMicros)
	default:
		out = out[:len(src)]
		for i, t := range src {
			m := t % w
			m += w & (m >> 63) // floor modulo without a branch
			out[i] = t - m
		}
	}
}

// truncConst is truncFixed for a width known at compile time (inlined
// into each case above with w constant).
func truncConst(src, out []int64, w int64) {
	out = out[:len(src)]
	for i, t := range src {
		m := t % w
		m += w & (m >> 63)
		out[i] = t - m
	}
}

func dateBinFactory(c *callInfo) (Evaluator, error) {
	if len(c.args) < 2 || c.types[0].Kind != types.Interval {
		return nil, errors.New("want (INTERVAL, TIMESTAMP[, TIMESTAMP]) arguments")
	}
	for i := 1; i < len(c.args); i++ {
		if c.types[i].Kind == types.Date {
			c.args[i] = foldIfConst(newCastEval(c.args[i], types.TimestampType, false), c.args[i])
		}
	}
	tsT := types.TimestampType.ArrowType()
	stride := func(iv mdn) (int64, error) {
		if iv.Months != 0 {
			return 0, errors.New("timestamps cannot be binned into intervals containing months or years")
		}
		s := int64(iv.Days)*dayMicros + iv.Nanoseconds/1000
		if s <= 0 {
			return 0, errors.New("stride must be greater than zero")
		}
		return s, nil
	}
	sv, sConst := constOf(c.args[0])
	var ov any = int64(0)
	oConst := true
	if len(c.args) == 3 {
		ov, oConst = constOf(c.args[2])
	}
	if sConst && oConst {
		w, err := stride(toMDN(sv.(types.IntervalValue)))
		if err != nil {
			return nil, err
		}
		origin := ov.(int64)
		return infallible(newFuncArgs(c, []Evaluator{nil, c.args[1]}, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			mem, x := allocator(ctx), in[1]
			src := values[int64](x)
			buf, out := newFixed[int64](mem, len(src))
			if floorMod(origin, w) == 0 {
				truncFixed(src, w, out)
			} else {
				for i, t := range src {
					d := t - origin
					m := d % w
					m += w & (m >> 63)
					out[i] = t - m
				}
			}
			return finish(tsT, len(src), x.NullN(), copyValidity(mem, x), buf), nil
		})), nil
	}
	return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
		strides, ts := values[mdn](in[0]), values[int64](in[1])
		var origins []int64
		if len(in) == 3 {
			origins = values[int64](in[2])
		}
		return mapRows(allocator(ctx), n, in, tsT, func(i int) (int64, error) {
			w, err := stride(strides[i])
			if err != nil {
				return 0, err
			}
			var o int64
			if origins != nil {
				o = origins[i]
			}
			return ts[i] - floorMod(ts[i]-o, w), nil
		})
	}), nil
}

func toTimestampFactory(c *callInfo) (Evaluator, error) {
	tsT := types.TimestampType.ArrowType()
	switch t := c.types[0]; {
	case t.IsString():
		return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			return parseText(allocator(ctx), in[0].(*array.String), types.TimestampType, false)
		}), nil
	case t.IsNumeric():
		if t.Kind != types.Double {
			c.args[0] = foldIfConst(newCastEval(c.args[0], types.DoubleType, false), c.args[0])
		}
		return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			return mapUnary(allocator(ctx), in[0], tsT, func(s float64) (int64, error) {
				us := math.Round(s * 1e6)
				if math.IsNaN(us) || us < -math.MaxInt64 || us > math.MaxInt64 {
					return 0, errors.New("timestamp out of range")
				}
				return int64(us), nil
			})
		}), nil
	}
	return nil, fmt.Errorf("argument 1 has unsupported type %s", c.types[0])
}

// datePartFactory extracts a field as DOUBLE, or BIGINT when the call's
// type says so (integral fields with a constant name, see
// functions.DatePartIsIntegral).
func datePartFactory(c *callInfo) (Evaluator, error) {
	if len(c.args) != 2 || !c.types[0].IsString() {
		return nil, errors.New("want (VARCHAR, TIMESTAMP or INTERVAL) arguments")
	}
	if c.types[1].Kind == types.Date {
		c.args[1] = foldIfConst(newCastEval(c.args[1], types.TimestampType, false), c.args[1])
		c.types[1] = types.TimestampType
	}
	isIv := c.types[1].Kind == types.Interval
	if !isIv && c.types[1].Kind != types.Timestamp {
		return nil, fmt.Errorf("argument 2 has unsupported type %s", c.types[1])
	}
	asInt := c.ret.Kind == types.Bigint
	if !asInt && c.ret.Kind != types.Double {
		return nil, fmt.Errorf("unsupported result type %s", c.ret)
	}
	if v, ok := constOf(c.args[0]); ok {
		field := functions.DatePartField(v.(string))
		if _, err := extractTS(field, 0); err != nil {
			return nil, fmt.Errorf("unit %q not recognized", v.(string))
		}
		return infallible(newFuncArgs(c, []Evaluator{nil, c.args[1]}, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			return extractArray(ctx, in[1], field, isIv, asInt, nil)
		})), nil
	}
	return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
		return extractArray(ctx, in[1], "", isIv, asInt, in[0].(*array.String))
	}), nil
}

// extractArray extracts field (or, per row, the field named in fields).
func extractArray(ctx *Context, x arrow.Array, field string, isIv, asInt bool, fields *array.String) (arrow.Array, error) {
	mem := allocator(ctx)
	n := x.Len()
	ins := []arrow.Array{x}
	if fields != nil {
		ins = append(ins, fields)
	}
	var get func(i int) (float64, error)
	switch {
	case fields != nil:
		offs, data := strData(fields)
		get = func(i int) (float64, error) {
			raw := data[offs[i]:offs[i+1]]
			f := functions.DatePartField(raw)
			var v float64
			var err error
			if isIv {
				v, err = extractInterval(f, values[mdn](x)[i])
			} else {
				v, err = extractTS(f, values[int64](x)[i])
			}
			if err != nil {
				err = fmt.Errorf("unit %q not recognized", raw)
			}
			return v, err
		}
	case isIv:
		ivs := values[mdn](x)
		get = func(i int) (float64, error) { return extractInterval(field, ivs[i]) }
	default:
		ts := values[int64](x)
		f := tsField(field)
		if asInt {
			return mapRows(mem, n, ins, arrow.PrimitiveTypes.Int64, func(i int) (int64, error) { return int64(f(ts[i])), nil })
		}
		return mapRows(mem, n, ins, arrow.PrimitiveTypes.Float64, func(i int) (float64, error) { return f(ts[i]), nil })
	}
	if asInt {
		return mapRows(mem, n, ins, arrow.PrimitiveTypes.Int64, func(i int) (int64, error) {
			v, err := get(i)
			return int64(v), err
		})
	}
	return mapRows(mem, n, ins, arrow.PrimitiveTypes.Float64, get)
}

// tsField returns the extraction of a valid, canonical field.
func tsField(field string) func(int64) float64 {
	switch field {
	case "hour":
		return func(t int64) float64 { return float64(floorMod(t, dayMicros) / 3600e6) }
	case "minute":
		return func(t int64) float64 { return float64(floorMod(t, 3600e6) / 60e6) }
	case "second":
		return func(t int64) float64 { return float64(floorMod(t, 60e6)) / 1e6 }
	case "epoch":
		return func(t int64) float64 { return float64(t) / 1e6 }
	case "millisecond":
		return func(t int64) float64 { return float64(floorMod(t, 60e6) / 1e3) }
	case "microsecond":
		return func(t int64) float64 { return float64(floorMod(t, 60e6)) }
	case "dow":
		return func(t int64) float64 { return float64(floorMod(floorDiv(t, dayMicros)+4, 7)) }
	}
	// Calendar fields: consecutive rows often share a day.
	lastDay, lastVal := int64(math.MinInt64), 0.0
	return func(t int64) float64 {
		d := floorDiv(t, dayMicros)
		if d != lastDay { // the remaining fields depend on the day only
			lastDay = d
			lastVal, _ = extractTS(field, d*dayMicros)
		}
		return lastVal
	}
}

// extractTS is one date_part field of a timestamp.
func extractTS(field string, t int64) (float64, error) {
	days := floorDiv(t, dayMicros)
	tod := t - days*dayMicros
	switch field {
	case "epoch":
		return float64(t) / 1e6, nil
	case "hour":
		return float64(tod / 3600e6), nil
	case "minute":
		return float64(tod / 60e6 % 60), nil
	case "second":
		return float64(tod%60e6) / 1e6, nil
	case "millisecond":
		return float64(tod % 60e6 / 1e3), nil
	case "microsecond":
		return float64(tod % 60e6), nil
	case "dow":
		return float64(isoDow(days) % 7), nil
	case "isodow":
		return float64(isoDow(days)), nil
	case "week":
		_, w := isoWeek(days)
		return float64(w), nil
	case "isoyear":
		y, _ := isoWeek(days)
		return float64(y), nil
	}
	y, m, d := civilFromDays(days)
	switch field {
	case "year":
		return float64(y), nil
	case "month":
		return float64(m), nil
	case "day":
		return float64(d), nil
	case "doy":
		return float64(days - daysFromCivil(y, 1, 1) + 1), nil
	case "quarter":
		return float64((m-1)/3 + 1), nil
	case "decade":
		return float64(floorDiv(y, 10)), nil
	case "century":
		if y > 0 {
			return float64((y + 99) / 100), nil
		}
		return float64(-((99 - y) / 100)), nil
	case "millennium":
		if y > 0 {
			return float64((y + 999) / 1000), nil
		}
		return float64(-((999 - y) / 1000)), nil
	}
	return 0, fmt.Errorf("unit %q not recognized for type timestamp", field)
}

// extractInterval is one date_part field of an interval, as Postgres.
func extractInterval(field string, v mdn) (float64, error) {
	us := v.Nanoseconds / 1000
	switch field {
	case "epoch":
		return float64(us)/1e6 + float64(v.Months/12)*365.25*86400 + float64(v.Months%12)*30*86400 + float64(v.Days)*86400, nil
	case "year":
		return float64(v.Months / 12), nil
	case "month":
		return float64(v.Months % 12), nil
	case "quarter":
		return float64(v.Months%12/3 + 1), nil
	case "decade":
		return float64(v.Months / 120), nil
	case "century":
		return float64(v.Months / 1200), nil
	case "millennium":
		return float64(v.Months / 12000), nil
	case "day":
		return float64(v.Days), nil
	case "hour":
		return float64(us / 3600e6), nil
	case "minute":
		return float64(us / 60e6 % 60), nil
	case "second":
		return float64(us%60e6) / 1e6, nil
	case "millisecond":
		return float64(us % 60e6 / 1e3), nil
	case "microsecond":
		return float64(us % 60e6), nil
	}
	return 0, fmt.Errorf("unit %q not recognized for type interval", field)
}
