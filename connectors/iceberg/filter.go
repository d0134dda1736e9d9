package iceberg

import (
	"github.com/apache/arrow-go/v18/arrow"
	ice "github.com/apache/iceberg-go"

	"github.com/streamsql/streamsql/catalog"
)

// filterExpr maps the scan's predicates to one Iceberg expression for file
// planning (partition and manifest statistics pruning). Predicates are
// hints, so one that cannot be expressed or does not bind to the Iceberg
// schema is dropped; nil means no filter.
func filterExpr(sc *ice.Schema, cols *arrow.Schema, filters []catalog.Predicate) ice.BooleanExpression {
	var out ice.BooleanExpression
	for _, p := range filters {
		if p.Column < 0 || p.Column >= cols.NumFields() {
			continue
		}
		f, ok := sc.FindFieldByNameCaseInsensitive(cols.Field(p.Column).Name)
		if !ok {
			continue
		}
		e := predicateExpr(ice.Reference(f.Name), f.Type, p)
		if e == nil {
			continue
		}
		if _, err := ice.BindExpr(sc, e, true); err != nil {
			continue
		}
		if out == nil {
			out = e
		} else {
			out = ice.NewAnd(out, e)
		}
	}
	return out
}

// predicateExpr builds the Iceberg form of p on a column of type typ, or
// nil when the value does not fit the column's literal type.
func predicateExpr(ref ice.Reference, typ ice.Type, p catalog.Predicate) ice.BooleanExpression {
	switch p.Op {
	case "is_null":
		return ice.IsNull(ref)
	case "is_not_null":
		return ice.NotNull(ref)
	}
	if p.Value == nil {
		return nil
	}
	switch typ.(type) {
	case ice.Int32Type, ice.Int64Type:
		if v, ok := asInt64(p.Value); ok {
			return compare(p.Op, ref, v)
		}
	case ice.Float32Type, ice.Float64Type:
		switch v := p.Value.(type) {
		case float64:
			return compare(p.Op, ref, v)
		default:
			if n, ok := asInt64(v); ok {
				return compare(p.Op, ref, float64(n))
			}
		}
	case ice.StringType:
		if v, ok := p.Value.(string); ok {
			return compare(p.Op, ref, v)
		}
	case ice.BooleanType:
		if v, ok := p.Value.(bool); ok {
			return compare(p.Op, ref, v)
		}
	case ice.TimestampType, ice.TimestampTzType:
		if v, ok := asInt64(p.Value); ok {
			return compare(p.Op, ref, ice.Timestamp(v))
		}
	case ice.DateType:
		if v, ok := p.Value.(int32); ok {
			return compare(p.Op, ref, ice.Date(v))
		}
	}
	return nil
}

func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int:
		return int64(n), true
	}
	return 0, false
}

func compare[T ice.LiteralType](op string, ref ice.Reference, v T) ice.BooleanExpression {
	switch op {
	case "=":
		return ice.EqualTo(ref, v)
	case "<>":
		return ice.NotEqualTo(ref, v)
	case "<":
		return ice.LessThan(ref, v)
	case "<=":
		return ice.LessThanEqual(ref, v)
	case ">":
		return ice.GreaterThan(ref, v)
	case ">=":
		return ice.GreaterThanEqual(ref, v)
	}
	return nil
}
