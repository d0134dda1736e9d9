// Package explain renders logical plans as text for EXPLAIN and EXPLAIN
// ANALYZE. The output is stable (no map order, no pointers), so golden files
// can compare it:
//
//	Sort: total#7 DESC NULLS FIRST
//	  Aggregate: group=[status#3] aggs=[sum(amount#4) AS total#7]
//	    Scan: events [status#3, amount#4]
//
// One node per line, its String(), children indented by two spaces per
// level, every line ending in a newline. The plan of a scalar subquery used
// in a node's expressions is printed under a "Subquery:" line right below
// that node, before its children, in the order the expressions are held.
package explain

import (
	"regexp"
	"strings"
	"sync"

	"github.com/streamsql/streamsql/planner/logical"
)

// Tree renders n as an indented tree.
func Tree(n logical.Node) string {
	return Annotated(n, nil)
}

// TreeNoIDs is Tree without the `#N` column-id suffixes, for more readable
// goldens.
func TreeNoIDs(n logical.Node) string {
	return StripIDs(Tree(n))
}

// idSuffix is compiled on first use: a package-level regexp costs every
// program that links the planner a few milliseconds of start-up, which a
// Durable Object's cold start cannot spare.
var idSuffix = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`#[0-9]+`) })

// StripIDs removes every `#N` (a column id suffix) from s. It does not
// parse s, so a `#1` inside a string literal goes too.
func StripIDs(s string) string {
	return idSuffix().ReplaceAllString(s, "")
}

// Annotated renders n like Tree, appending "  (" + annotate(node) + ")" to
// each node's line when annotate returns a non-empty string (EXPLAIN
// ANALYZE passes e.g. "rows=120 time=1.2ms"). A nil annotate is Tree.
func Annotated(n logical.Node, annotate func(logical.Node) string) string {
	var b strings.Builder
	write(&b, n, 0, annotate)
	return b.String()
}

// oneLine keeps a node on its line even when a literal holds a line break.
var oneLine = strings.NewReplacer("\r\n", `\r\n`, "\n", `\n`, "\r", `\r`)

func write(b *strings.Builder, n logical.Node, depth int, annotate func(logical.Node) string) {
	if n == nil {
		return
	}
	indent := strings.Repeat("  ", depth)
	b.WriteString(indent)
	b.WriteString(oneLine.Replace(n.String()))
	if annotate != nil {
		if a := annotate(n); a != "" {
			b.WriteString("  (" + oneLine.Replace(a) + ")")
		}
	}
	b.WriteByte('\n')
	for _, sq := range subqueries(n) {
		b.WriteString(indent + "  Subquery:\n")
		write(b, sq.Plan, depth+2, annotate)
	}
	for _, c := range n.Children() {
		write(b, c, depth+1, annotate)
	}
}

// subqueries lists the scalar subqueries in n's own expressions, in the
// order the node holds them (outermost first within an expression).
func subqueries(n logical.Node) []*logical.Subquery {
	var out []*logical.Subquery
	for _, e := range nodeExprs(n) {
		logical.Walk(e, func(x logical.Expr) {
			if sq, ok := x.(*logical.Subquery); ok && sq != nil && sq.Plan != nil {
				out = append(out, sq)
			}
		})
	}
	return out
}

func nodeExprs(n logical.Node) []logical.Expr {
	var out []logical.Expr
	keys := func(ks []logical.SortKey) {
		for _, k := range ks {
			out = append(out, k.Expr)
		}
	}
	switch n := n.(type) {
	case *logical.Scan:
		out = append(out, n.Filters...)
	case *logical.Values:
		for _, r := range n.Rows {
			out = append(out, r...)
		}
	case *logical.Filter:
		out = append(out, n.Pred)
	case *logical.Project:
		out = append(out, n.Exprs...)
	case *logical.Aggregate:
		out = append(out, n.GroupBy...)
		for _, a := range n.Aggs {
			out = append(out, a.Args...)
			out = append(out, a.Filter)
		}
	case *logical.Sort:
		keys(n.Keys)
	case *logical.TopN:
		keys(n.Keys)
	case *logical.RowNumber:
		out = append(out, n.Partition...)
		keys(n.Order)
	case *logical.Join:
		out = append(out, n.Cond)
	}
	return out
}
