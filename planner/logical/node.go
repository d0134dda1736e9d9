package logical

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// Node is a logical plan node. The set is sealed: only this package
// defines nodes, so rules and the physical planner can switch over them
// exhaustively.
type Node interface {
	// Schema lists the output columns in order.
	Schema() []Column
	// Children returns the inputs, left to right.
	Children() []Node
	// WithChildren returns a copy with the inputs replaced; it fails when the
	// number of children differs.
	WithChildren(children ...Node) (Node, error)
	// String is a one-line description used by EXPLAIN.
	String() string
	node()
}

// Scan reads a catalog table.
type Scan struct {
	Table    catalog.Table
	Name     string   // table name as written (qualified), for display
	Cols     []Column // output columns
	Ordinals []int    // Ordinals[i] is the table column of Cols[i]
	// Filters are conjuncts pushed down from above; the scan may use them to
	// skip data but need not apply them exactly (a Filter stays above).
	Filters []Expr
	Limit   int64 // rows the scan may stop after; -1 for no limit
}

// Values is a literal relation.
type Values struct {
	Rows [][]Expr
	Cols []Column
}

// Filter keeps rows whose predicate is TRUE.
type Filter struct {
	Input Node
	Pred  Expr
}

// Project computes Exprs[i] into Cols[i].
type Project struct {
	Input Node
	Exprs []Expr
	Cols  []Column
}

// AggCall is one aggregate: Func is "count" (Args empty for COUNT(*)),
// "sum", "avg", "min" or "max".
type AggCall struct {
	Func     string
	Args     []Expr
	Distinct bool
	Filter   Expr // FILTER (WHERE …); nil when absent
	T        types.Type
}

func (a AggCall) String() string {
	var b strings.Builder
	b.WriteString(a.Func + "(")
	if a.Distinct {
		b.WriteString("DISTINCT ")
	}
	if len(a.Args) == 0 {
		b.WriteString("*")
	}
	b.WriteString(joinExprs(a.Args) + ")")
	if a.Filter != nil {
		b.WriteString(" FILTER (WHERE " + a.Filter.String() + ")")
	}
	return b.String()
}

// Aggregate groups by GroupBy and computes Aggs; its schema is GroupCols
// followed by AggCols. With no GroupBy it yields exactly one row.
type Aggregate struct {
	Input     Node
	GroupBy   []Expr
	GroupCols []Column
	Aggs      []AggCall
	AggCols   []Column
}

// SortKey orders by Expr. NullsFirst is explicit after binding (Postgres
// default: NULLS LAST ascending, NULLS FIRST descending).
type SortKey struct {
	Expr       Expr
	Desc       bool
	NullsFirst bool
}

func (k SortKey) String() string {
	s := k.Expr.String()
	if k.Desc {
		s += " DESC"
	}
	if k.NullsFirst {
		s += " NULLS FIRST"
	} else {
		s += " NULLS LAST"
	}
	return s
}

// Sort orders all rows.
type Sort struct {
	Input Node
	Keys  []SortKey
}

// Limit skips Offset rows then passes at most Count (-1: all).
type Limit struct {
	Input  Node
	Count  int64
	Offset int64
}

// TopN is Sort followed by Limit, fused by a rule so only Count+Offset rows
// are kept.
type TopN struct {
	Input  Node
	Keys   []SortKey
	Count  int64
	Offset int64
}

// JoinKind is the kind of a Join.
type JoinKind int

const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
	CrossJoin
	SemiJoin // left rows with a match; schema is the left's
	AntiJoin // left rows without a match; schema is the left's
)

var joinNames = [...]string{"Inner", "Left", "Right", "Full", "Cross", "Semi", "Anti"}

func (k JoinKind) String() string { return joinNames[k] }

// Join combines Left and Right on Cond (nil for a cross join). Its schema
// is Left's columns then Right's (Left's only for Semi and Anti). For an
// Anti join from NOT IN, NullAware makes a NULL on either side of the
// compared keys reject the row, as SQL's NOT IN does.
type Join struct {
	Left, Right Node
	Kind        JoinKind
	Cond        Expr
	NullAware   bool
}

// Union concatenates its inputs (UNION ALL); its columns take new ids and
// the inputs' columns by position.
type Union struct {
	Inputs []Node
	Cols   []Column
}

// Distinct removes duplicate rows; it keeps the input's column ids.
type Distinct struct {
	Input Node
}

func (n *Scan) Schema() []Column     { return n.Cols }
func (n *Values) Schema() []Column   { return n.Cols }
func (n *Filter) Schema() []Column   { return n.Input.Schema() }
func (n *Project) Schema() []Column  { return n.Cols }
func (n *Sort) Schema() []Column     { return n.Input.Schema() }
func (n *Limit) Schema() []Column    { return n.Input.Schema() }
func (n *TopN) Schema() []Column     { return n.Input.Schema() }
func (n *Union) Schema() []Column    { return n.Cols }
func (n *Distinct) Schema() []Column { return n.Input.Schema() }
func (n *Aggregate) Schema() []Column {
	return append(append([]Column{}, n.GroupCols...), n.AggCols...)
}
func (n *Join) Schema() []Column {
	if n.Kind == SemiJoin || n.Kind == AntiJoin {
		return n.Left.Schema()
	}
	return append(append([]Column{}, n.Left.Schema()...), n.Right.Schema()...)
}

func (n *Scan) Children() []Node      { return nil }
func (n *Values) Children() []Node    { return nil }
func (n *Filter) Children() []Node    { return []Node{n.Input} }
func (n *Project) Children() []Node   { return []Node{n.Input} }
func (n *Aggregate) Children() []Node { return []Node{n.Input} }
func (n *Sort) Children() []Node      { return []Node{n.Input} }
func (n *Limit) Children() []Node     { return []Node{n.Input} }
func (n *TopN) Children() []Node      { return []Node{n.Input} }
func (n *Join) Children() []Node      { return []Node{n.Left, n.Right} }
func (n *Union) Children() []Node     { return n.Inputs }
func (n *Distinct) Children() []Node  { return []Node{n.Input} }

func want(n Node, got []Node, k int) error {
	if len(got) != k {
		return fmt.Errorf("rebuilding %T: want %d children, got %d", n, k, len(got))
	}
	return nil
}

func (n *Scan) WithChildren(c ...Node) (Node, error) {
	if err := want(n, c, 0); err != nil {
		return nil, err
	}
	return n, nil
}
func (n *Values) WithChildren(c ...Node) (Node, error) {
	if err := want(n, c, 0); err != nil {
		return nil, err
	}
	return n, nil
}
func (n *Filter) WithChildren(c ...Node) (Node, error) {
	if err := want(n, c, 1); err != nil {
		return nil, err
	}
	m := *n
	m.Input = c[0]
	return &m, nil
}
func (n *Project) WithChildren(c ...Node) (Node, error) {
	if err := want(n, c, 1); err != nil {
		return nil, err
	}
	m := *n
	m.Input = c[0]
	return &m, nil
}
func (n *Aggregate) WithChildren(c ...Node) (Node, error) {
	if err := want(n, c, 1); err != nil {
		return nil, err
	}
	m := *n
	m.Input = c[0]
	return &m, nil
}
func (n *Sort) WithChildren(c ...Node) (Node, error) {
	if err := want(n, c, 1); err != nil {
		return nil, err
	}
	m := *n
	m.Input = c[0]
	return &m, nil
}
func (n *Limit) WithChildren(c ...Node) (Node, error) {
	if err := want(n, c, 1); err != nil {
		return nil, err
	}
	m := *n
	m.Input = c[0]
	return &m, nil
}
func (n *TopN) WithChildren(c ...Node) (Node, error) {
	if err := want(n, c, 1); err != nil {
		return nil, err
	}
	m := *n
	m.Input = c[0]
	return &m, nil
}
func (n *Join) WithChildren(c ...Node) (Node, error) {
	if err := want(n, c, 2); err != nil {
		return nil, err
	}
	m := *n
	m.Left, m.Right = c[0], c[1]
	return &m, nil
}
func (n *Union) WithChildren(c ...Node) (Node, error) {
	if err := want(n, c, len(n.Inputs)); err != nil {
		return nil, err
	}
	m := *n
	m.Inputs = append([]Node(nil), c...)
	return &m, nil
}
func (n *Distinct) WithChildren(c ...Node) (Node, error) {
	if err := want(n, c, 1); err != nil {
		return nil, err
	}
	m := *n
	m.Input = c[0]
	return &m, nil
}

func (*Scan) node()      {}
func (*Values) node()    {}
func (*Filter) node()    {}
func (*Project) node()   {}
func (*Aggregate) node() {}
func (*Sort) node()      {}
func (*Limit) node()     {}
func (*TopN) node()      {}
func (*Join) node()      {}
func (*Union) node()     {}
func (*Distinct) node()  {}

func colNames(cols []Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("%s#%d", c.Name, c.ID)
	}
	return strings.Join(parts, ", ")
}

func (n *Scan) String() string {
	s := "Scan: " + n.Name + " [" + colNames(n.Cols) + "]"
	if len(n.Filters) > 0 {
		s += " filters=[" + joinExprs(n.Filters) + "]"
	}
	if n.Limit >= 0 {
		s += fmt.Sprintf(" limit=%d", n.Limit)
	}
	return s
}
func (n *Values) String() string {
	return fmt.Sprintf("Values: %d rows [%s]", len(n.Rows), colNames(n.Cols))
}
func (n *Filter) String() string { return "Filter: " + n.Pred.String() }
func (n *Project) String() string {
	parts := make([]string, len(n.Exprs))
	for i, e := range n.Exprs {
		parts[i] = fmt.Sprintf("%s AS %s#%d", e, n.Cols[i].Name, n.Cols[i].ID)
	}
	return "Project: " + strings.Join(parts, ", ")
}
func (n *Aggregate) String() string {
	aggs := make([]string, len(n.Aggs))
	for i, a := range n.Aggs {
		aggs[i] = fmt.Sprintf("%s AS %s#%d", a, n.AggCols[i].Name, n.AggCols[i].ID)
	}
	return "Aggregate: group=[" + joinExprs(n.GroupBy) + "] aggs=[" + strings.Join(aggs, ", ") + "]"
}
func sortKeys(keys []SortKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, ", ")
}
func (n *Sort) String() string { return "Sort: " + sortKeys(n.Keys) }
func (n *Limit) String() string {
	return fmt.Sprintf("Limit: count=%d offset=%d", n.Count, n.Offset)
}
func (n *TopN) String() string {
	return fmt.Sprintf("TopN: count=%d offset=%d keys=[%s]", n.Count, n.Offset, sortKeys(n.Keys))
}
func (n *Join) String() string {
	s := "Join: " + n.Kind.String()
	if n.NullAware {
		s += " null-aware"
	}
	if n.Cond != nil {
		s += " on " + n.Cond.String()
	}
	return s
}
func (n *Union) String() string    { return "Union: all [" + colNames(n.Cols) + "]" }
func (n *Distinct) String() string { return "Distinct" }
