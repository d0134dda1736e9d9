package cold

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

// mapColumns maps hot-table column ordinals to the cold table's, by name.
func mapColumns(hot, cold *arrow.Schema, cols []int) ([]int, error) {
	out := make([]int, len(cols))
	for i, c := range cols {
		name := hot.Field(c).Name
		j := fieldIndex(cold, name)
		if j < 0 {
			return nil, fmt.Errorf("the cold table has no column %q", name)
		}
		if ht, ct := hot.Field(c).Type, cold.Field(j).Type; !arrow.TypeEqual(ht, ct) {
			return nil, fmt.Errorf("column %q is %s in the hot tier but %s in the cold tier", name, ht, ct)
		}
		out[i] = j
	}
	return out, nil
}

// mapFilters renumbers predicates on hot columns to the cold table's,
// dropping those on columns it lacks (they are hints).
func mapFilters(hot, cold *arrow.Schema, fs []catalog.Predicate) []catalog.Predicate {
	var out []catalog.Predicate
	for _, f := range fs {
		if f.Column < 0 || f.Column >= hot.NumFields() {
			continue
		}
		if j := fieldIndex(cold, hot.Field(f.Column).Name); j >= 0 {
			f.Column = j
			out = append(out, f)
		}
	}
	return out
}

func fieldIndex(s *arrow.Schema, name string) int {
	if idx := s.FieldIndices(name); len(idx) > 0 {
		return idx[0]
	}
	for i, f := range s.Fields() {
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

func projectSchema(s *arrow.Schema, cols []int) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = s.Field(c)
	}
	return arrow.NewSchema(fields, nil)
}
