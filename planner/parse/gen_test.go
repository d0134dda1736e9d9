package parse

import (
	"flag"
	"math/rand/v2"
	"strings"
	"testing"
)

var (
	genN    = flag.Int("gen", 3000, "number of random statements for TestGeneratedRoundTrip")
	genSeed = flag.Uint64("genseed", 1, "random seed for TestGeneratedRoundTrip")
)

// sqlGen writes random, mostly valid SQL from a sketch of the grammar. The
// byte-level fuzzer rarely assembles deep structure (subqueries inside IN
// inside joins); this reaches it directly, with keywords-as-names and
// redundant parentheses mixed in to stress the ambiguous spots.
type sqlGen struct {
	r     *rand.Rand
	b     strings.Builder
	depth int
}

func (g *sqlGen) pick(words ...string) string { return words[g.r.IntN(len(words))] }
func (g *sqlGen) w(s ...string) {
	for _, x := range s {
		g.b.WriteString(x)
	}
}
func (g *sqlGen) chance(n int) bool { return g.r.IntN(n) == 0 }

func (g *sqlGen) name() string {
	return g.pick("a", "b", "t", "x", "window", "timestamp", "date", "key", "value", "first",
		"count", "interval", "over", "filter", "escape", "nulls", "rows", `"Q"`, `"from"`, "é", "recursive")
}

func (g *sqlGen) ident() {
	g.w(g.name())
	if g.chance(3) {
		g.w(".", g.pick("a", "b", "start", "from", `"Z"`))
	}
}

func (g *sqlGen) literal() {
	g.w(g.pick("1", "0", "1.5", ".5", "1e3", "'s'", "'it''s'", "''", "TRUE", "false", "NULL", "$1",
		"INTERVAL '1' HOUR", "INTERVAL '5' minutes", "INTERVAL '1 day'", "INTERVAL '1:30' HOUR TO MINUTE",
		"INTERVAL 5 SECOND", "DATE '2026-01-01'", "TIMESTAMP '2026-01-01 00:00:00'", "CURRENT_DATE",
		"CURRENT_TIMESTAMP", "now()"))
}

func (g *sqlGen) expr() {
	g.depth++
	defer func() { g.depth-- }()
	if g.depth > 4 {
		if g.chance(2) {
			g.literal()
		} else {
			g.ident()
		}
		return
	}
	switch g.r.IntN(26) {
	case 0, 1:
		g.literal()
	case 2, 3:
		g.ident()
	case 4, 5, 6:
		g.expr()
		g.w(" ", g.pick("+", "-", "*", "/", "%", "||", "=", "<>", "!=", "<", "<=", ">", ">=", "AND", "OR", "->", "->>"), " ")
		g.expr()
	case 7:
		g.w(g.pick("-", "+", "NOT ", "- "))
		g.expr()
	case 8:
		g.w("(")
		g.expr()
		g.w(")")
	case 9:
		g.expr()
		g.w(g.pick(" IS NULL", " IS NOT TRUE", " IS UNKNOWN", " IS DISTINCT FROM b", " IS NOT DISTINCT FROM 1"))
	case 10:
		g.expr()
		g.w(g.pick(" BETWEEN ", " NOT BETWEEN "))
		g.expr()
		g.w(" AND ")
		g.expr()
	case 11:
		g.expr()
		g.w(g.pick(" IN (", " NOT IN ("))
		if g.chance(2) {
			g.query()
		} else {
			g.expr()
			for g.chance(2) {
				g.w(", ")
				g.expr()
			}
		}
		g.w(")")
	case 12:
		g.expr()
		g.w(g.pick(" LIKE ", " NOT ILIKE "))
		g.expr()
		if g.chance(3) {
			g.w(" ESCAPE '!'")
		}
	case 13:
		g.w(g.pick("CAST(", "TRY_CAST("))
		g.expr()
		g.w(" AS ", g.pick("INT", "double precision", "varchar(3)", "TIMESTAMP WITH TIME ZONE", "interval"), ")")
	case 14:
		g.expr()
		g.w("::", g.pick("int", "text", "decimal(3, 1)"))
	case 15:
		g.w("CASE ")
		if g.chance(2) {
			g.expr()
			g.w(" ")
		}
		for {
			g.w("WHEN ")
			g.expr()
			g.w(" THEN ")
			g.expr()
			g.w(" ")
			if !g.chance(2) {
				break
			}
		}
		if g.chance(2) {
			g.w("ELSE ")
			g.expr()
			g.w(" ")
		}
		g.w("END")
	case 16:
		g.w(g.pick("EXISTS (", "NOT EXISTS ("))
		g.query()
		g.w(")")
	case 17:
		g.w("(")
		g.query()
		g.w(")")
	case 18:
		g.w(g.pick("f", "count", "left", "sum", `"MyFn"`, "tumble", "date_trunc"), "(")
		switch g.r.IntN(4) {
		case 0:
			g.w("*")
		case 1:
		default:
			if g.chance(3) {
				g.w("DISTINCT ")
			}
			g.expr()
			for g.chance(2) {
				g.w(", ")
				g.expr()
			}
		}
		g.w(")")
		if g.chance(3) {
			g.w(" FILTER (WHERE ")
			g.expr()
			g.w(")")
		}
		if g.chance(3) {
			g.w(" OVER (")
			if g.chance(2) {
				g.w("PARTITION BY ")
				g.expr()
				g.w(" ")
			}
			if g.chance(2) {
				g.w("ORDER BY ")
				g.orderItem()
			}
			g.w(")")
		}
	case 19:
		g.w("EXTRACT(", g.pick("year", "'epoch'", "HOUR"), " FROM ")
		g.expr()
		g.w(")")
	case 20:
		g.w("POSITION(")
		g.expr()
		g.w(" IN ")
		g.expr()
		g.w(")")
	case 21:
		g.w("SUBSTRING(")
		g.expr()
		g.w(g.pick(" FROM 1 FOR 2", " FROM 2", " FOR 3", ", 1"), ")")
	case 22:
		g.w("((")
		g.query()
		g.w(")", g.pick(" UNION (SELECT 1)", " LIMIT ALL", " ORDER BY 1", ""), ")")
	default:
		g.ident()
	}
}

func (g *sqlGen) orderItem() {
	g.expr()
	g.w(g.pick("", " ASC", " DESC", " DESC NULLS FIRST", " NULLS LAST"))
}

func (g *sqlGen) tableRef() {
	g.depth++
	defer func() { g.depth-- }()
	switch g.r.IntN(7) {
	case 0:
		g.w("(")
		g.query()
		g.w(")", g.pick("", " AS s", " s (a, b)"))
	case 1:
		g.w(g.pick("TUMBLE(t, ts, INTERVAL '1' SECOND)", "TABLE(HOP(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE))",
			"session(t, ts, INTERVAL '3' SECOND) w", "(VALUES (1, 2)) AS v (a, b)"))
	case 2:
		if g.depth < 4 {
			g.w("(")
			g.tableRef()
			g.w(g.pick(" JOIN ", " LEFT JOIN ", " FULL OUTER JOIN "))
			g.tableRef()
			g.w(" ON ")
			g.expr()
			g.w(")")
			return
		}
		g.w("t")
	default:
		g.ident()
		g.w(g.pick("", " AS x", " y", ` "Z"`))
	}
	if g.depth < 4 && g.chance(4) {
		kind := g.pick(" CROSS JOIN ", " NATURAL JOIN ", " JOIN ", " LEFT JOIN ")
		g.w(kind)
		g.tableRef()
		if kind == " JOIN " || kind == " LEFT JOIN " {
			g.w(g.pick(" USING (a)", " ON TRUE"))
		}
	}
}

func (g *sqlGen) selectBlock() {
	if g.chance(6) {
		g.w("VALUES (")
		g.expr()
		g.w("), (")
		g.expr()
		g.w(")")
		return
	}
	g.w("SELECT ", g.pick("", "DISTINCT ", "ALL "))
	for i := 0; i == 0 || g.chance(2); i++ {
		if i > 0 {
			g.w(", ")
		}
		switch g.r.IntN(6) {
		case 0:
			g.w(g.pick("*", "t.*", `"from".*`))
		default:
			g.expr()
			g.w(g.pick("", " AS c", " c", " AS from", ` "C"`, " AS window"))
		}
	}
	if g.chance(3) {
		return
	}
	g.w(" FROM ")
	g.tableRef()
	if g.chance(3) {
		g.w(", ")
		g.tableRef()
	}
	if g.chance(2) {
		g.w(" WHERE ")
		g.expr()
	}
	if g.chance(3) {
		g.w(" GROUP BY ")
		g.expr()
		if g.chance(2) {
			g.w(", TUMBLE(INTERVAL '1' MINUTE)")
		}
		if g.chance(2) {
			g.w(" HAVING ")
			g.expr()
		}
	}
}

func (g *sqlGen) query() {
	g.depth++
	defer func() { g.depth-- }()
	if g.depth < 4 && g.chance(6) {
		g.w("WITH q AS (")
		g.query()
		g.w(") ")
	}
	if g.depth < 4 && g.chance(5) {
		g.w("(")
		g.query()
		g.w(")")
	} else {
		g.selectBlock()
	}
	for g.depth < 4 && g.chance(4) {
		g.w(g.pick(" UNION ", " UNION ALL ", " INTERSECT ", " EXCEPT ALL "))
		g.selectBlock()
	}
	if g.chance(4) {
		g.w(" ORDER BY ")
		g.orderItem()
	}
	g.w(g.pick("", "", " LIMIT 3", " LIMIT ALL", " OFFSET 2 ROWS", " FETCH FIRST 2 ROWS ONLY"))
	g.w(g.pick("", "", "", " EMIT CHANGES", " EMIT ON WINDOW CLOSE", " EMIT CHANGES EVERY INTERVAL '1' SECOND"))
}

func (g *sqlGen) statement() string {
	g.b.Reset()
	switch g.r.IntN(8) {
	case 0:
		g.w("INSERT INTO t ", g.pick("", "(a, b) "))
		g.query()
	case 1:
		g.w("CREATE VIEW v AS ")
		g.query()
	case 2:
		g.w("CREATE TABLE t (a INT NOT NULL, ts TIMESTAMP, WATERMARK FOR ts AS ")
		g.expr()
		g.w(") WITH (k = 'v', a.b = 1)")
	default:
		g.query()
	}
	return g.b.String()
}

// TestGeneratedRoundTrip parses random statements; those that parse must
// round-trip through Format exactly like fuzz inputs.
func TestGeneratedRoundTrip(t *testing.T) {
	g := &sqlGen{r: rand.New(rand.NewPCG(*genSeed, 2))}
	parsed := 0
	for range *genN {
		sql := g.statement()
		stmts, err := Parse(sql)
		if err != nil {
			continue
		}
		parsed++
		if _, err := checkRoundTrip(sql, stmts); err != nil {
			t.Fatal(err)
		}
	}
	if parsed < *genN/2 {
		t.Errorf("only %d of %d generated statements parsed; the generator has drifted from the grammar", parsed, *genN)
	}
}
