package bind

import (
	"strings"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
)

// relation is one FROM item reachable by a qualifier: `t.col`, `t.*`.
type relation struct {
	qual string // alias or table name; "" for an unnamed subquery
	cols []logical.Column
}

// scope is what names can see: the columns of the FROM clause and, through
// outer, those of enclosing queries (only used to detect correlation).
type scope struct {
	// vis are the columns an unqualified name or `*` reaches, in `*`
	// order. After JOIN … USING the merged columns come first and the
	// joined ones are left out.
	vis   []logical.Column
	rels  []*relation
	outer *scope
}

// findCols returns the columns named name: exact matches, or else
// case-insensitive ones (identifiers are folded to lower case by the
// parser, but file and Arrow schemas are often camelCase).
func findCols(cols []logical.Column, name string) []logical.Column {
	var out []logical.Column
	for _, c := range cols {
		if c.Name == name {
			out = append(out, c)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, c := range cols {
		if strings.EqualFold(c.Name, name) {
			out = append(out, c)
		}
	}
	return out
}

// findRel returns the relations qualified by q.
func (s *scope) findRel(q string) []*relation {
	var out []*relation
	for _, r := range s.rels {
		if r.qual == q {
			out = append(out, r)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, r := range s.rels {
		if r.qual != "" && strings.EqualFold(r.qual, q) {
			out = append(out, r)
		}
	}
	return out
}

// lookupStatus is the outcome of resolving a name in one scope.
type lookupStatus int

const (
	found lookupStatus = iota
	notFound
	ambiguous
	noRelation // a qualifier that names no FROM item
)

// resolveIn resolves parts (col, t.col or s.t.col) in s alone.
func (s *scope) resolveIn(parts []string) (logical.Column, lookupStatus) {
	name := parts[len(parts)-1]
	var cands []logical.Column
	if len(parts) == 1 {
		cands = findCols(s.vis, name)
	} else {
		rels := s.findRel(parts[len(parts)-2])
		if len(rels) == 0 {
			return logical.Column{}, noRelation
		}
		for _, r := range rels {
			cands = append(cands, findCols(r.cols, name)...)
		}
	}
	switch len(cands) {
	case 0:
		return logical.Column{}, notFound
	case 1:
		return cands[0], found
	}
	return logical.Column{}, ambiguous
}

// resolve binds a column reference, reporting ambiguity, correlation and
// misspellings.
func (b *binder) resolve(s *scope, id *parse.Ident) (logical.Column, error) {
	written := strings.Join(id.Parts, ".")
	if len(id.Parts) == 0 {
		return logical.Column{}, b.errf(id, "empty column reference")
	}
	if len(id.Parts) > 3 {
		return logical.Column{}, b.errf(id, "improper qualified name (too many dotted names): %s", written)
	}
	col, st := s.resolveIn(id.Parts)
	switch st {
	case found:
		return col, nil
	case ambiguous:
		return logical.Column{}, b.errf(id, "column reference %q is ambiguous", written)
	}
	for o := s.outer; o != nil; o = o.outer {
		if _, ost := o.resolveIn(id.Parts); ost == found || ost == ambiguous {
			return logical.Column{}, b.errf(id, "correlated subqueries are not supported")
		}
	}
	if st == noRelation {
		q := id.Parts[len(id.Parts)-2]
		var quals []string
		for _, r := range s.rels {
			if r.qual != "" {
				quals = append(quals, r.qual)
			}
		}
		return logical.Column{}, b.errf(id, "missing FROM-clause entry for table %q%s", q, suggest(q, quals))
	}
	name := id.Parts[len(id.Parts)-1]
	var names []string
	prefix := ""
	if len(id.Parts) == 1 {
		for _, c := range s.vis {
			names = append(names, c.Name)
		}
	} else {
		prefix = strings.Join(id.Parts[:len(id.Parts)-1], ".") + "."
		for _, r := range s.findRel(id.Parts[len(id.Parts)-2]) {
			for _, c := range r.cols {
				names = append(names, c.Name)
			}
		}
	}
	hint := ""
	if best, ok := closest(name, names); ok {
		hint = " (did you mean \"" + prefix + best + "\"?)"
	}
	return logical.Column{}, b.errf(id, "column %q does not exist%s", written, hint)
}

// suggest formats a "did you mean" hint for name among cands, or "".
func suggest(name string, cands []string) string {
	if best, ok := closest(name, cands); ok {
		return " (did you mean \"" + best + "\"?)"
	}
	return ""
}

// closest picks the candidate nearest to name: edit distance at most 2
// (1 for names of up to 3 characters) or a prefix relation, ties going to
// the earliest candidate.
func closest(name string, cands []string) (string, bool) {
	lname := strings.ToLower(name)
	best, bestD := "", 1<<30
	seen := map[string]bool{}
	for _, c := range cands {
		if seen[c] {
			continue
		}
		seen[c] = true
		lc := strings.ToLower(c)
		if lc == lname {
			continue
		}
		d := editDistance(lname, lc)
		limit := 2
		if len(lname) <= 3 {
			limit = 1
		}
		ok := d <= limit
		if !ok && len(lname) >= 3 && (strings.HasPrefix(lc, lname) || strings.HasPrefix(lname, lc) && len(lc) >= 3) {
			ok = true
		}
		if ok && d < bestD {
			best, bestD = c, d
		}
	}
	return best, best != ""
}

// editDistance is the Levenshtein distance between a and b (in runes).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// merge combines the scopes of two FROM items side by side, failing on a
// qualifier used by both.
func (b *binder) merge(l, r *scope, at parse.Node) (*scope, error) {
	seen := map[string]bool{}
	for _, rel := range l.rels {
		if rel.qual != "" {
			seen[rel.qual] = true
		}
	}
	for _, rel := range r.rels {
		if rel.qual != "" && seen[rel.qual] {
			return nil, b.errf(at, "table name %q specified more than once", rel.qual)
		}
	}
	return &scope{
		vis:  append(append([]logical.Column{}, l.vis...), r.vis...),
		rels: append(append([]*relation{}, l.rels...), r.rels...),
	}, nil
}

// remap replaces columns of s by id (after a Project renumbered them).
func (s *scope) remap(m map[logical.ColumnID]logical.Column) *scope {
	f := func(cols []logical.Column) []logical.Column {
		out := make([]logical.Column, len(cols))
		for i, c := range cols {
			if n, ok := m[c.ID]; ok {
				n.Table = c.Table
				n.Name = c.Name
				out[i] = n
			} else {
				out[i] = c
			}
		}
		return out
	}
	ns := &scope{vis: f(s.vis), outer: s.outer}
	for _, r := range s.rels {
		ns.rels = append(ns.rels, &relation{qual: r.qual, cols: f(r.cols)})
	}
	return ns
}

// allCols lists every distinct column of s (vis first, then the columns
// only reachable through a qualifier), ordered by first appearance.
func (s *scope) allCols() []logical.Column {
	var out []logical.Column
	seen := map[logical.ColumnID]bool{}
	add := func(cols []logical.Column) {
		for _, c := range cols {
			if !seen[c.ID] {
				seen[c.ID] = true
				out = append(out, c)
			}
		}
	}
	add(s.vis)
	for _, r := range s.rels {
		add(r.cols)
	}
	return out
}
