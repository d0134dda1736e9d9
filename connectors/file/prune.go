//go:build !js && !wasip1

package file

import (
	"bytes"
	"math"

	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/streamsql/streamsql/catalog"
)

// keepRowGroup reports false when the column chunk statistics prove that no
// row of the row group satisfies every filter. leafOf maps table columns to
// parquet leaf columns (-1: the file lacks the column, so it reads as NULL;
// -2: not prunable); sameKind says whether the file column converts to the
// table type without changing values, which value comparisons require.
func keepRowGroup(rg *metadata.RowGroupMetaData, filters []catalog.Predicate, leafOf []int, sameKind []bool) bool {
	for _, p := range filters {
		if p.Column < 0 || p.Column >= len(leafOf) {
			continue
		}
		leaf := leafOf[p.Column]
		if leaf == -1 { // all NULL: only IS NULL can hold
			switch p.Op {
			case "=", "<>", "<", "<=", ">", ">=", "is_not_null":
				return false
			}
			continue
		}
		if leaf < 0 {
			continue
		}
		cc, err := rg.ColumnChunk(leaf)
		if err != nil {
			continue
		}
		st, err := cc.Statistics()
		if err != nil || st == nil {
			continue
		}
		if !canMatch(p, st, rg.NumRows(), sameKind[p.Column]) {
			return false
		}
	}
	return true
}

// canMatch reports whether a column chunk with statistics st may hold a
// value satisfying p.
func canMatch(p catalog.Predicate, st metadata.TypedStatistics, rows int64, values bool) bool {
	nullsKnown := st.HasNullCount()
	nulls := st.NullCount()
	switch p.Op {
	case "is_null":
		return !nullsKnown || nulls > 0
	case "is_not_null":
		return !nullsKnown || nulls < rows
	case "=", "<>", "<", "<=", ">", ">=":
	default:
		return true
	}
	if p.Value == nil {
		return true // comparisons with NULL are the caller's business
	}
	if !st.HasMinMax() {
		return !(nullsKnown && nulls >= rows) // only NULLs: no comparison holds
	}
	if !values {
		return true
	}
	cmpMin, cmpMax, isFloat, ok := compareStats(st, p.Value)
	if !ok {
		return true
	}
	if isFloat {
		// NaN is not in the statistics and compares above every number
		// in SQL, so only predicates NaN fails can use them.
		switch p.Op {
		case ">", ">=", "<>":
			return true
		}
	}
	switch p.Op {
	case "=":
		return cmpMin >= 0 && cmpMax <= 0
	case "<>":
		return !(cmpMin == 0 && cmpMax == 0)
	case "<":
		return cmpMin > 0
	case "<=":
		return cmpMin >= 0
	case ">":
		return cmpMax < 0
	default: // ">="
		return cmpMax <= 0
	}
}

// compareStats compares v with the chunk's min and max (-1, 0, +1: v is
// below, equal, above). ok is false when they cannot be compared safely.
func compareStats(st metadata.TypedStatistics, v any) (cmpMin, cmpMax int, isFloat, ok bool) {
	descr := st.Descr()
	lt := descr.LogicalType()
	switch lt.(type) {
	case *schema.DecimalLogicalType, schema.DecimalLogicalType:
		return 0, 0, false, false
	}
	switch s := st.(type) {
	case *metadata.Int32Statistics:
		if descr.SortOrder() != schema.SortSIGNED {
			return 0, 0, false, false
		}
		return cmpInts(int64(s.Min()), int64(s.Max()), v)
	case *metadata.Int64Statistics:
		if descr.SortOrder() != schema.SortSIGNED {
			return 0, 0, false, false
		}
		lo, hi := s.Min(), s.Max()
		if ts, isTS := timestampUnit(lt); isTS {
			switch ts {
			case schema.TimeUnitMillis:
				if lo < math.MinInt64/1000 || hi > math.MaxInt64/1000 {
					return 0, 0, false, false
				}
				lo, hi = lo*1000, hi*1000
			case schema.TimeUnitNanos:
				lo, hi = floorDiv(lo, 1000), floorDiv(hi, 1000)
			}
		}
		return cmpInts(lo, hi, v)
	case *metadata.Float32Statistics:
		a, b, ok := cmpFloats(float64(s.Min()), float64(s.Max()), v)
		return a, b, true, ok
	case *metadata.Float64Statistics:
		a, b, ok := cmpFloats(s.Min(), s.Max(), v)
		return a, b, true, ok
	case *metadata.ByteArrayStatistics:
		sv, isStr := v.(string)
		if !isStr || descr.SortOrder() != schema.SortUNSIGNED {
			return 0, 0, false, false
		}
		return bytes.Compare([]byte(sv), s.Min()), bytes.Compare([]byte(sv), s.Max()), false, true
	case *metadata.BooleanStatistics:
		bv, isBool := v.(bool)
		if !isBool {
			return 0, 0, false, false
		}
		return cmp3(b2i(bv), b2i(s.Min())), cmp3(b2i(bv), b2i(s.Max())), false, true
	}
	return 0, 0, false, false
}

func timestampUnit(lt schema.LogicalType) (schema.TimeUnitType, bool) {
	switch t := lt.(type) {
	case schema.TimestampLogicalType:
		return t.TimeUnit(), true
	case *schema.TimestampLogicalType:
		return t.TimeUnit(), true
	}
	return 0, false
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

func cmp3[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpInts compares an integer-ish predicate value with integer bounds.
func cmpInts(lo, hi int64, v any) (int, int, bool, bool) {
	var x int64
	switch n := v.(type) {
	case int64:
		x = n
	case int32:
		x = int64(n)
	case int:
		x = int64(n)
	case int16:
		x = int64(n)
	case int8:
		x = int64(n)
	case float64:
		const exact = 1 << 53
		if math.IsNaN(n) || lo < -exact || hi > exact {
			return 0, 0, false, false
		}
		return cmp3(n, float64(lo)), cmp3(n, float64(hi)), false, true
	default:
		return 0, 0, false, false
	}
	return cmp3(x, lo), cmp3(x, hi), false, true
}

// cmpFloats compares a numeric predicate value with float bounds.
func cmpFloats(lo, hi float64, v any) (int, int, bool) {
	var x float64
	switch n := v.(type) {
	case float64:
		x = n
	case int64:
		x = float64(n)
	case int32:
		x = float64(n)
	case int:
		x = float64(n)
	default:
		return 0, 0, false
	}
	if math.IsNaN(x) || math.IsNaN(lo) || math.IsNaN(hi) {
		return 0, 0, false
	}
	return cmp3(x, lo), cmp3(x, hi), true
}
