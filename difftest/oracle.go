//go:build duckdb

package difftest

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
)

// OpenDuckDB opens an in-memory DuckDB on a single connection (so session
// settings stick) with UTC as the time zone and Postgres' default NULL
// order (NULLS LAST ascending, NULLS FIRST descending), which is
// streamsql's.
func OpenDuckDB(ctx context.Context) (*sql.DB, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	for _, s := range []string{
		"SET TimeZone = 'UTC'",
		"SET default_null_order = 'nulls_last_on_asc_first_on_desc'",
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			db.Close()
			return nil, fmt.Errorf("duckdb %s: %w", s, err)
		}
	}
	return db, nil
}

// Kind is the comparison class of a cell: two engines agree on a value
// only when the classes match too.
type Kind uint8

// The cell classes.
const (
	KNull Kind = iota
	KNum
	KStr
	KBool
	KTimestamp
	KDate
	KInterval
	KOther
)

var kindNames = [...]string{"null", "num", "str", "bool", "timestamp", "date", "interval", "other"}

func (k Kind) String() string { return kindNames[k] }

// Cell is one value in canonical form. Numbers keep their float value for
// tolerant comparison; Exact marks integers, compared by S exactly.
type Cell struct {
	Kind  Kind
	S     string // canonical text: timestamps 'YYYY-MM-DD HH:MM:SS[.ffffff]' UTC
	F     float64
	Exact bool
}

func (c Cell) String() string {
	switch c.Kind {
	case KNull:
		return "NULL"
	case KStr:
		return strconv.Quote(c.S)
	}
	return c.S
}

// sortKey renders the cell for ordering rows: floats are rounded so that
// last-bit differences between engines do not reorder rows.
func (c Cell) sortKey() string {
	if c.Kind == KNum {
		return "n" + strconv.FormatFloat(c.F, 'e', 10, 64)
	}
	return string('a'+byte(c.Kind)) + c.S
}

// Table is a query result in canonical form.
type Table struct {
	Cols []string
	Rows [][]Cell
}

func intCell(s string, f float64) Cell { return Cell{Kind: KNum, S: s, F: f, Exact: true} }

func floatCell(f float64) Cell { return Cell{Kind: KNum, S: types.FormatDouble(f), F: f} }

func tsCell(t time.Time) Cell {
	return Cell{Kind: KTimestamp, S: types.FormatTimestamp(t.UnixMicro())}
}

func intervalCell(months, days int32, micros int64) Cell {
	return Cell{Kind: KInterval, S: types.FormatInterval(types.IntervalValue{Months: months, Days: days, Micros: micros})}
}

// DuckQuery runs q in DuckDB through database/sql and renders the rows.
func DuckQuery(ctx context.Context, db *sql.DB, q string) (*Table, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	t := &Table{}
	for _, ct := range cts {
		t.Cols = append(t.Cols, ct.Name())
	}
	vals := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]Cell, len(vals))
		for i, v := range vals {
			row[i] = duckCell(v, cts[i].DatabaseTypeName())
		}
		t.Rows = append(t.Rows, row)
	}
	return t, rows.Err()
}

func duckCell(v any, typ string) Cell {
	switch x := v.(type) {
	case nil:
		return Cell{Kind: KNull}
	case bool:
		return Cell{Kind: KBool, S: strconv.FormatBool(x)}
	case int8:
		return intCell(strconv.FormatInt(int64(x), 10), float64(x))
	case int16:
		return intCell(strconv.FormatInt(int64(x), 10), float64(x))
	case int32:
		return intCell(strconv.FormatInt(int64(x), 10), float64(x))
	case int64:
		return intCell(strconv.FormatInt(x, 10), float64(x))
	case uint8:
		return intCell(strconv.FormatUint(uint64(x), 10), float64(x))
	case uint16:
		return intCell(strconv.FormatUint(uint64(x), 10), float64(x))
	case uint32:
		return intCell(strconv.FormatUint(uint64(x), 10), float64(x))
	case uint64:
		return intCell(strconv.FormatUint(x, 10), float64(x))
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return intCell(x.String(), f)
	case float32:
		return floatCell(float64(x))
	case float64:
		return floatCell(x)
	case duckdb.Decimal:
		return floatCell(x.Float64())
	case string:
		return Cell{Kind: KStr, S: x}
	case []byte:
		return Cell{Kind: KStr, S: string(x)}
	case duckdb.Interval:
		return intervalCell(x.Months, x.Days, x.Micros)
	case time.Time:
		switch {
		case typ == "DATE":
			return Cell{Kind: KDate, S: x.UTC().Format("2006-01-02")}
		case strings.HasPrefix(typ, "TIMESTAMP"):
			return tsCell(x)
		}
		return Cell{Kind: KOther, S: x.UTC().Format("15:04:05.999999")}
	}
	return Cell{Kind: KOther, S: fmt.Sprintf("%T:%v", v, v)}
}

// EngineQuery runs q in streamsql and renders the rows.
func EngineQuery(ctx context.Context, db *streamsql.Engine, q string) (*Table, error) {
	res, err := db.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer res.Release()
	return EngineTable(res)
}

// EngineTable renders a streamsql result.
func EngineTable(res *streamsql.Result) (*Table, error) {
	t := &Table{Cols: append([]string(nil), res.Names...)}
	if res.Schema == nil {
		return t, nil
	}
	kinds := make([]types.Type, res.Schema.NumFields())
	for i, f := range res.Schema.Fields() {
		k, err := types.FromArrow(f.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
		kinds[i] = k
	}
	if len(t.Cols) == 0 {
		for _, f := range res.Schema.Fields() {
			t.Cols = append(t.Cols, f.Name)
		}
	}
	for _, b := range res.Batches {
		if int(b.NumCols()) != len(kinds) {
			return nil, fmt.Errorf("batch has %d columns, schema %d", b.NumCols(), len(kinds))
		}
		for r := 0; r < int(b.NumRows()); r++ {
			row := make([]Cell, len(kinds))
			for c := range kinds {
				row[c] = engineCell(b.Column(c), r, kinds[c])
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t, nil
}

func engineCell(arr arrow.Array, i int, t types.Type) Cell {
	v := expr.ScalarValue(arr, i)
	if v == nil {
		return Cell{Kind: KNull}
	}
	switch t.Kind {
	case types.Boolean:
		if b, ok := v.(bool); ok {
			return Cell{Kind: KBool, S: strconv.FormatBool(b)}
		}
	case types.Integer, types.Bigint:
		switch n := v.(type) {
		case int32:
			return intCell(strconv.FormatInt(int64(n), 10), float64(n))
		case int64:
			return intCell(strconv.FormatInt(n, 10), float64(n))
		}
	case types.Double:
		if f, ok := v.(float64); ok {
			return floatCell(f)
		}
	case types.Varchar, types.JSON:
		if s, ok := v.(string); ok {
			return Cell{Kind: KStr, S: s}
		}
	case types.Timestamp:
		if us, ok := v.(int64); ok {
			return Cell{Kind: KTimestamp, S: types.FormatTimestamp(us)}
		}
	case types.Date:
		if d, ok := v.(int32); ok {
			return Cell{Kind: KDate, S: types.FormatDate(d)}
		}
	case types.Interval:
		if iv, ok := v.(types.IntervalValue); ok {
			return intervalCell(iv.Months, iv.Days, iv.Micros)
		}
	}
	return Cell{Kind: KOther, S: fmt.Sprintf("%T:%v", v, v)}
}

// Tolerance is the relative difference allowed between two non-integer
// numbers (absolute near zero).
const Tolerance = 1e-9

// CellsEqual compares two canonical cells: NULL equals NULL, integers
// exactly, other numbers within Tolerance, the rest by text.
func CellsEqual(a, b Cell) bool { return cellsEqualTol(a, b, Tolerance) }

func cellsEqualTol(a, b Cell, tol float64) bool {
	if a.Kind != b.Kind {
		return false
	}
	if a.Kind != KNum || (a.Exact && b.Exact) {
		return a.S == b.S
	}
	if math.IsNaN(a.F) || math.IsNaN(b.F) {
		return math.IsNaN(a.F) && math.IsNaN(b.F)
	}
	if a.F == b.F {
		return true
	}
	d := math.Abs(a.F - b.F)
	return d <= tol*math.Max(math.Abs(a.F), math.Abs(b.F)) || d <= tol
}

// SortRows orders rows by their canonical rendering, for comparing
// results whose order is not specified.
func SortRows(rows [][]Cell) {
	type keyed struct {
		key string
		row []Cell
	}
	ks := make([]keyed, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for j, c := range r {
			parts[j] = c.sortKey()
		}
		ks[i] = keyed{strings.Join(parts, "\x00"), r}
	}
	sort.SliceStable(ks, func(i, j int) bool { return ks[i].key < ks[j].key })
	for i := range ks {
		rows[i] = ks[i].row
	}
}

// Diff compares two results (got from streamsql, want from DuckDB). With
// ordered false both row lists are sorted first. It returns nil when they
// agree, or an error describing the first differences.
func Diff(got, want *Table, ordered bool) error { return DiffTol(got, want, ordered, Tolerance) }

// DiffTol is Diff with tol as the relative tolerance for non-integers
// (aggregates over millions of doubles summed in different orders need a
// looser bound than Tolerance).
func DiffTol(got, want *Table, ordered bool, tol float64) error {
	if len(got.Cols) != len(want.Cols) {
		return fmt.Errorf("column count: streamsql %d %v, duckdb %d %v", len(got.Cols), got.Cols, len(want.Cols), want.Cols)
	}
	g, w := got.Rows, want.Rows
	if !ordered {
		g = append([][]Cell(nil), g...)
		w = append([][]Cell(nil), w...)
		SortRows(g)
		SortRows(w)
	}
	var msgs []string
	if len(g) != len(w) {
		msgs = append(msgs, fmt.Sprintf("row count: streamsql %d, duckdb %d", len(g), len(w)))
	}
	for i := 0; i < len(g) || i < len(w); i++ {
		if len(msgs) >= 6 {
			msgs = append(msgs, "…")
			break
		}
		switch {
		case i >= len(g):
			msgs = append(msgs, fmt.Sprintf("row %d: streamsql -, duckdb %s", i, FormatRow(w[i])))
		case i >= len(w):
			msgs = append(msgs, fmt.Sprintf("row %d: streamsql %s, duckdb -", i, FormatRow(g[i])))
		case !rowsEqual(g[i], w[i], tol):
			msgs = append(msgs, fmt.Sprintf("row %d:\n  streamsql %s\n  duckdb    %s", i, FormatRow(g[i]), FormatRow(w[i])))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("results differ (%s):\n%s", map[bool]string{true: "in order", false: "sorted"}[ordered], strings.Join(msgs, "\n"))
}

func rowsEqual(a, b []Cell, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !cellsEqualTol(a[i], b[i], tol) {
			return false
		}
	}
	return true
}

// FormatRow renders a row as (v1, v2, …) with each value's class where it
// is not obvious from the text.
func FormatRow(r []Cell) string {
	parts := make([]string, len(r))
	for i, c := range r {
		switch c.Kind {
		case KNull, KNum, KStr, KBool:
			parts[i] = c.String()
		default:
			parts[i] = c.Kind.String() + " " + c.S
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// HasTopLevelOrderBy reports whether q ends with an ORDER BY outside any
// parentheses, i.e. whether the order of its rows is specified.
func HasTopLevelOrderBy(q string) bool {
	depth := 0
	up := strings.ToUpper(q)
	inStr := false
	for i := 0; i < len(up); i++ {
		switch c := up[i]; {
		case c == '\'':
			inStr = !inStr
		case inStr:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && strings.HasPrefix(up[i:], "ORDER BY") && (i == 0 || !isIdent(up[i-1])):
			return true
		}
	}
	return false
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
