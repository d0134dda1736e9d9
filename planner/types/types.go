// Package types is the SQL type system of streamsql: the types a column or
// expression can have, their Arrow physical form, and the implicit casts
// between them (Postgres-style: integers widen to DOUBLE, string literals
// become timestamps when compared with one).
package types

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Kind enumerates the SQL types.
type Kind uint8

const (
	// Null is the type of an untyped NULL literal; it casts to anything.
	Null Kind = iota
	Boolean
	Integer // 32-bit
	Bigint  // 64-bit
	Double
	Varchar
	Timestamp // microseconds since the Unix epoch, UTC
	Date      // days since the Unix epoch
	Interval  // months, days and microseconds
	JSON      // JSON text; physically a string
)

// Type is a SQL type. It is a small value type; compare with ==.
type Type struct{ Kind Kind }

// Convenience values for each kind.
var (
	NullType      = Type{Null}
	BooleanType   = Type{Boolean}
	IntegerType   = Type{Integer}
	BigintType    = Type{Bigint}
	DoubleType    = Type{Double}
	VarcharType   = Type{Varchar}
	TimestampType = Type{Timestamp}
	DateType      = Type{Date}
	IntervalType  = Type{Interval}
	JSONType      = Type{JSON}
)

var names = [...]string{
	Null: "NULL", Boolean: "BOOLEAN", Integer: "INTEGER", Bigint: "BIGINT", Double: "DOUBLE",
	Varchar: "VARCHAR", Timestamp: "TIMESTAMP", Date: "DATE", Interval: "INTERVAL", JSON: "JSON",
}

func (t Type) String() string {
	if int(t.Kind) < len(names) {
		return names[t.Kind]
	}
	return fmt.Sprintf("Kind(%d)", t.Kind)
}

// IsNumeric reports whether t is an integer or floating-point type.
func (t Type) IsNumeric() bool { return t.Kind == Integer || t.Kind == Bigint || t.Kind == Double }

// IsInteger reports whether t is INTEGER or BIGINT.
func (t Type) IsInteger() bool { return t.Kind == Integer || t.Kind == Bigint }

// IsString reports whether t is physically a string (VARCHAR or JSON).
func (t Type) IsString() bool { return t.Kind == Varchar || t.Kind == JSON }

// Interval values: Postgres keeps months, days and sub-day time apart
// because a month and a day have no fixed length.
type IntervalValue struct {
	Months int32
	Days   int32
	Micros int64
}

// TimestampUnit is the Arrow unit of every TIMESTAMP column.
const TimestampUnit = arrow.Microsecond

// arrowTimestamp is the single Arrow form of TIMESTAMP.
var arrowTimestamp = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// ArrowType is the Arrow physical type that holds values of t.
func (t Type) ArrowType() arrow.DataType {
	switch t.Kind {
	case Null:
		return arrow.Null
	case Boolean:
		return arrow.FixedWidthTypes.Boolean
	case Integer:
		return arrow.PrimitiveTypes.Int32
	case Bigint:
		return arrow.PrimitiveTypes.Int64
	case Double:
		return arrow.PrimitiveTypes.Float64
	case Varchar, JSON:
		return arrow.BinaryTypes.String
	case Timestamp:
		return arrowTimestamp
	case Date:
		return arrow.FixedWidthTypes.Date32
	case Interval:
		return arrow.FixedWidthTypes.MonthDayNanoInterval
	}
	panic(fmt.Sprintf("types: no arrow type for %v", t)) // unreachable for valid kinds
}

// FromArrow maps an Arrow type to the SQL type that reads it. Types we do not
// model (e.g. int8, float32, large strings) map to the nearest wider type;
// callers cast the array with operators/expr before use.
func FromArrow(dt arrow.DataType) (Type, error) {
	switch dt.ID() {
	case arrow.NULL:
		return NullType, nil
	case arrow.BOOL:
		return BooleanType, nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.UINT8, arrow.UINT16:
		return IntegerType, nil
	case arrow.INT64, arrow.UINT32, arrow.UINT64:
		return BigintType, nil
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return DoubleType, nil
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return VarcharType, nil
	case arrow.TIMESTAMP:
		return TimestampType, nil
	case arrow.DATE32, arrow.DATE64:
		return DateType, nil
	case arrow.INTERVAL_MONTH_DAY_NANO, arrow.DURATION:
		return IntervalType, nil
	}
	return Type{}, fmt.Errorf("mapping arrow type %s: unsupported", dt)
}

// IsNative reports whether dt is exactly the Arrow form streamsql uses for
// its SQL type, so no conversion is needed when reading it.
func IsNative(dt arrow.DataType) bool {
	t, err := FromArrow(dt)
	return err == nil && arrow.TypeEqual(t.ArrowType(), dt)
}

// Parse reads a type name as written in SQL (CAST targets, column
// definitions): INT, INTEGER, INT4, BIGINT, INT8, DOUBLE [PRECISION], FLOAT,
// FLOAT8, REAL, TEXT, VARCHAR, STRING, BOOLEAN, BOOL, TIMESTAMP, TIMESTAMPTZ,
// DATE, INTERVAL, JSON.
func Parse(name string) (Type, bool) {
	switch strings.ToUpper(strings.Join(strings.Fields(name), " ")) {
	case "BOOLEAN", "BOOL":
		return BooleanType, true
	case "INT", "INTEGER", "INT4", "SMALLINT", "INT2", "TINYINT":
		return IntegerType, true
	case "BIGINT", "INT8", "LONG":
		return BigintType, true
	case "DOUBLE", "DOUBLE PRECISION", "FLOAT", "FLOAT8", "REAL", "FLOAT4", "DECIMAL", "NUMERIC":
		return DoubleType, true
	case "VARCHAR", "TEXT", "STRING", "CHAR", "CHARACTER VARYING":
		return VarcharType, true
	case "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITHOUT TIME ZONE", "DATETIME":
		return TimestampType, true
	case "DATE":
		return DateType, true
	case "INTERVAL":
		return IntervalType, true
	case "JSON", "JSONB":
		return JSONType, true
	}
	return Type{}, false
}

// numericRank orders numeric kinds by width for implicit widening.
func numericRank(k Kind) int {
	switch k {
	case Integer:
		return 1
	case Bigint:
		return 2
	case Double:
		return 3
	}
	return 0
}

// Common returns the type both a and b implicitly cast to, as used for
// comparisons, arithmetic operands, CASE branches, COALESCE arguments and
// UNION columns. NULL unifies with anything; integers widen to BIGINT then
// DOUBLE; VARCHAR and JSON unify to VARCHAR. ok is false when no implicit
// cast exists (the caller reports a type mismatch naming both types).
// String-literal-to-timestamp coercion is the binder's job: it knows which
// operand is a literal.
func Common(a, b Type) (Type, bool) {
	switch {
	case a == b:
		return a, true
	case a.Kind == Null:
		return b, true
	case b.Kind == Null:
		return a, true
	case a.IsNumeric() && b.IsNumeric():
		if numericRank(a.Kind) >= numericRank(b.Kind) {
			return a, true
		}
		return b, true
	case a.IsString() && b.IsString():
		return VarcharType, true
	case a.Kind == Date && b.Kind == Timestamp, a.Kind == Timestamp && b.Kind == Date:
		return TimestampType, true
	}
	return Type{}, false
}

// CanImplicitCast reports whether a value of type from may be used where to
// is expected without an explicit CAST.
func CanImplicitCast(from, to Type) bool {
	c, ok := Common(from, to)
	return ok && c == to
}

// MetadataKey marks Arrow fields whose SQL type their Arrow type alone
// cannot tell (JSON text is an Arrow string): the value is the SQL type
// name, e.g. "JSON".
const MetadataKey = "streamsql.type"

// FromField maps an Arrow field to its SQL type, honouring MetadataKey.
func FromField(f arrow.Field) (Type, error) {
	t, err := FromArrow(f.Type)
	if err != nil {
		return t, err
	}
	if v, ok := f.Metadata.GetValue(MetadataKey); ok && t.IsString() {
		if named, ok := Parse(v); ok && named.IsString() {
			return named, nil
		}
	}
	return t, nil
}

// Field builds the Arrow field holding a column of type t.
func Field(name string, t Type, nullable bool) arrow.Field {
	f := arrow.Field{Name: name, Type: t.ArrowType(), Nullable: nullable}
	if t.Kind == JSON {
		f.Metadata = arrow.NewMetadata([]string{MetadataKey}, []string{"JSON"})
	}
	return f
}
