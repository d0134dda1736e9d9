package parse

// The AST of the streamsql dialect. Every node records the position of its
// first token so later phases (bind, plan) report errors at line:column with
// a caret. Names are kept as written; identifiers are case-folded to lower
// case by the parser unless double-quoted.

// Pos is a source position: 1-based line and column (in runes), and the
// 0-based byte offset into the statement text.
type Pos struct {
	Line, Col, Offset int
}

// Position returns p itself; embedding Pos gives every node the method.
func (p Pos) Position() Pos { return p }

// Node is any AST node.
type Node interface{ Position() Pos }

// Statement is a top-level statement.
type Statement interface {
	Node
	stmtNode()
}

// Expr is a scalar expression.
type Expr interface {
	Node
	exprNode()
}

// SetExpr is the body of a query: a SELECT, VALUES, a set operation or a
// parenthesised query.
type SetExpr interface {
	Node
	setExprNode()
}

// TableExpr is an item of a FROM clause.
type TableExpr interface {
	Node
	tableExprNode()
}

// ---- statements ----

// Query is SELECT/VALUES with optional WITH, ORDER BY, LIMIT, OFFSET and
// a streaming EMIT clause.
type Query struct {
	Pos
	With    []*CTE
	Body    SetExpr
	OrderBy []*OrderItem
	Limit   Expr // nil when absent
	Offset  Expr // nil when absent
	Emit    *Emit
}

// CTE is one `name [(cols)] AS (query)` of a WITH clause.
type CTE struct {
	Pos
	Name    string
	Columns []string
	Query   *Query
}

// EmitMode says when a streaming aggregate emits.
type EmitMode int

const (
	EmitOnWindowClose EmitMode = iota // final rows once the watermark passes the window end
	EmitChanges                       // updates and retractions as they happen
)

// Emit is `EMIT ON WINDOW CLOSE` or `EMIT CHANGES [EVERY <interval>]`.
type Emit struct {
	Pos
	Mode  EmitMode
	Every Expr // EMIT CHANGES EVERY INTERVAL …; nil when absent
}

// CreateTable is `CREATE TABLE [IF NOT EXISTS] name (cols…, WATERMARK FOR …)
// [WITH (k = 'v', …)] [AS query]`.
type CreateTable struct {
	Pos
	Name        []string // possibly qualified: catalog.namespace.table
	IfNotExists bool
	Columns     []*ColumnDef
	Watermark   *Watermark // nil when absent
	With        []*Option
	As          *Query // CREATE TABLE … AS SELECT; nil when absent
}

// ColumnDef is a column of CREATE TABLE.
type ColumnDef struct {
	Pos
	Name     string
	TypeName string // as written, e.g. "BIGINT", "DOUBLE PRECISION", "TIMESTAMP"
	NotNull  bool
}

// Watermark is `WATERMARK FOR col AS expr`.
type Watermark struct {
	Pos
	Column string
	Expr   Expr
}

// Option is one `key = value` of a WITH (…) list. Keys may be dotted
// (`'kafka.bootstrap'` or kafka.bootstrap); values are literals kept as text.
type Option struct {
	Pos
	Key   string
	Value string
}

// CreateView is `CREATE [OR REPLACE] VIEW name [(cols)] AS query`.
type CreateView struct {
	Pos
	Name      []string
	OrReplace bool
	Columns   []string
	Query     *Query
}

// Insert is `INSERT INTO name [(cols)] query`.
type Insert struct {
	Pos
	Table   []string
	Columns []string
	Query   *Query
}

// Drop is `DROP TABLE|VIEW [IF EXISTS] name`.
type Drop struct {
	Pos
	What     string // "TABLE" or "VIEW"
	Name     []string
	IfExists bool
}

// Explain is `EXPLAIN [ANALYZE] statement`.
type Explain struct {
	Pos
	Analyze bool
	Stmt    Statement
}

func (*Query) stmtNode()       {}
func (*CreateTable) stmtNode() {}
func (*CreateView) stmtNode()  {}
func (*Insert) stmtNode()      {}
func (*Drop) stmtNode()        {}
func (*Explain) stmtNode()     {}

// ---- query bodies ----

// Select is one SELECT block.
type Select struct {
	Pos
	Distinct bool
	Items    []*SelectItem
	From     []TableExpr // comma-separated items are cross joined
	Where    Expr
	GroupBy  []Expr // may hold window calls: TUMBLE(…), HOP(…), SESSION(…)
	Having   Expr
}

// SelectItem is `expr [AS alias]`, `*` or `t.*`.
type SelectItem struct {
	Pos
	Expr      Expr   // nil for a star
	Alias     string // "" when none was written
	Star      bool
	StarTable []string // qualifier of `t.*`; nil for a bare `*`
}

// SetOpKind is UNION, INTERSECT or EXCEPT.
type SetOpKind int

const (
	Union SetOpKind = iota
	Intersect
	Except
)

// SetOp is `left UNION [ALL] right` and its siblings.
type SetOp struct {
	Pos
	Op          SetOpKind
	All         bool
	Left, Right SetExpr
}

// Values is `VALUES (…), (…)`.
type Values struct {
	Pos
	Rows [][]Expr
}

// ParenQuery is a parenthesised query used as a set operand, carrying its
// own ORDER BY / LIMIT.
type ParenQuery struct {
	Pos
	Query *Query
}

func (*Select) setExprNode()     {}
func (*SetOp) setExprNode()      {}
func (*Values) setExprNode()     {}
func (*ParenQuery) setExprNode() {}

// ---- FROM items ----

// TableName is a (possibly qualified) table reference, optionally as of
// an earlier version: `t FOR SYSTEM_TIME AS OF <timestamp>` (SQL:2011,
// Flink) or `t FOR SYSTEM_VERSION AS OF <snapshot id>` (also `FOR VERSION
// AS OF`, Spark's spelling).
type TableName struct {
	Pos
	Name  []string
	Alias string
	AsOf  Expr // nil: the current version
	// AsOfVersion says AsOf is a version (snapshot id), not a time.
	AsOfVersion bool
}

// Subquery is `(query) [AS] alias [(cols)]` in FROM.
type Subquery struct {
	Pos
	Query   *Query
	Alias   string
	Columns []string
}

// TableFunc is a table-valued function in FROM, such as
// `TUMBLE(t, ts, INTERVAL '10' SECOND)`, `HOP(t, ts, slide, size)`,
// `SESSION(t, ts, gap)` or Flink's `TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), …))`
// (normalised to the same form). Args[0] is usually an *Ident naming the
// input table.
type TableFunc struct {
	Pos
	Name  string // lower case
	Args  []Expr
	Alias string
}

// JoinKind is the kind of a JOIN.
type JoinKind int

const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
	CrossJoin
)

// Join is `left [kind] JOIN right [ON cond | USING (cols)]`.
type Join struct {
	Pos
	Kind        JoinKind
	Left, Right TableExpr
	On          Expr     // nil for USING, NATURAL and CROSS
	Using       []string // nil unless USING
	Natural     bool
}

func (*TableName) tableExprNode() {}
func (*Subquery) tableExprNode()  {}
func (*TableFunc) tableExprNode() {}
func (*Join) tableExprNode()      {}

// ---- expressions ----

// Ident is a column reference, possibly qualified: `a`, `t.a`, `s.t.a`.
type Ident struct {
	Pos
	Parts []string
}

// LiteralKind distinguishes literal tokens.
type LiteralKind int

const (
	NumberLit LiteralKind = iota // integer or decimal, Raw as written
	StringLit                    // Raw is the unquoted value
	BoolLit                      // Raw is "true" or "false"
	NullLit
)

// Literal is a number, string, boolean or NULL.
type Literal struct {
	Pos
	Kind LiteralKind
	Raw  string
}

// IntervalLit is `INTERVAL '1 hour'`, `INTERVAL '1' HOUR` or
// `INTERVAL '1:30' HOUR TO MINUTE`. Unit is upper case ("" when the unit is
// inside Value).
type IntervalLit struct {
	Pos
	Value  string
	Unit   string
	ToUnit string
}

// TypedLit is `TIMESTAMP '…'`, `DATE '…'` and similar: a string cast to a
// type at bind time.
type TypedLit struct {
	Pos
	TypeName string
	Value    string
}

// Param is a positional parameter `$1`, `$2`, …
type Param struct {
	Pos
	Index int // 1-based
}

// Unary is `-x`, `+x` or `NOT x`. Op is "-", "+" or "NOT".
type Unary struct {
	Pos
	Op string
	X  Expr
}

// Binary is an infix operator. Op is one of
// + - * / % || = <> < <= > >= AND OR -> ->> (`!=` is normalised to `<>`).
type Binary struct {
	Pos
	Op   string
	L, R Expr
}

// FuncCall is `name([DISTINCT] args…) [FILTER (WHERE …)] [OVER (…)]`, or
// `name(*)`. Name is lower case.
type FuncCall struct {
	Pos
	Name     string
	Args     []Expr
	Distinct bool
	Star     bool
	Filter   Expr        // FILTER (WHERE …); nil when absent
	Over     *WindowSpec // OVER (…); nil when absent
}

// WindowSpec is the body of OVER (PARTITION BY … ORDER BY …).
type WindowSpec struct {
	Pos
	PartitionBy []Expr
	OrderBy     []*OrderItem
}

// OrderItem is `expr [ASC|DESC] [NULLS FIRST|LAST]`.
type OrderItem struct {
	Pos
	Expr       Expr
	Desc       bool
	NullsFirst *bool // nil: the default (NULLS LAST for ASC, FIRST for DESC)
}

// Cast is `CAST(x AS type)`, `TRY_CAST(x AS type)` or `x::type`.
type Cast struct {
	Pos
	X        Expr
	TypeName string
	Try      bool
}

// Case is `CASE [operand] WHEN … THEN … [ELSE …] END`.
type Case struct {
	Pos
	Operand Expr // nil for a searched CASE
	Whens   []*When
	Else    Expr // nil when absent
}

// When is one `WHEN cond THEN result`.
type When struct {
	Pos
	Cond, Result Expr
}

// InList is `x [NOT] IN (a, b, …)`.
type InList struct {
	Pos
	X    Expr
	List []Expr
	Not  bool
}

// InSubquery is `x [NOT] IN (SELECT …)`.
type InSubquery struct {
	Pos
	X     Expr
	Query *Query
	Not   bool
}

// Exists is `[NOT] EXISTS (SELECT …)`.
type Exists struct {
	Pos
	Query *Query
	Not   bool
}

// ScalarSubquery is `(SELECT …)` used as a value.
type ScalarSubquery struct {
	Pos
	Query *Query
}

// Between is `x [NOT] BETWEEN lo AND hi`.
type Between struct {
	Pos
	X, Lo, Hi Expr
	Not       bool
}

// Like is `x [NOT] LIKE|ILIKE pattern [ESCAPE e]`.
type Like struct {
	Pos
	X, Pattern      Expr
	Escape          Expr // nil when absent
	Not             bool
	CaseInsensitive bool
}

// Is is `x IS [NOT] NULL|TRUE|FALSE|UNKNOWN` and
// `x IS [NOT] DISTINCT FROM y` (What "DISTINCT", Y set).
type Is struct {
	Pos
	X    Expr
	What string // "NULL", "TRUE", "FALSE", "UNKNOWN", "DISTINCT"
	Y    Expr   // only for DISTINCT FROM
	Not  bool
}

// Extract is `EXTRACT(field FROM x)`; Field is upper case.
type Extract struct {
	Pos
	Field string
	X     Expr
}

func (*Ident) exprNode()          {}
func (*Literal) exprNode()        {}
func (*IntervalLit) exprNode()    {}
func (*TypedLit) exprNode()       {}
func (*Param) exprNode()          {}
func (*Unary) exprNode()          {}
func (*Binary) exprNode()         {}
func (*FuncCall) exprNode()       {}
func (*Cast) exprNode()           {}
func (*Case) exprNode()           {}
func (*InList) exprNode()         {}
func (*InSubquery) exprNode()     {}
func (*Exists) exprNode()         {}
func (*ScalarSubquery) exprNode() {}
func (*Between) exprNode()        {}
func (*Like) exprNode()           {}
func (*Is) exprNode()             {}
func (*Extract) exprNode()        {}
