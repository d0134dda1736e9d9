package catalog

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// View is a named query, stored as SQL text and bound on use.
type View struct {
	SQL     string
	Columns []string // optional column names from CREATE VIEW v (a, b)
}

// Memory is a catalog of named tables and views held in memory. Names are
// case-insensitive; a qualified name is looked up by its dotted form and
// then by its last part. Safe for concurrent use.
type Memory struct {
	mu     sync.RWMutex
	tables map[string]Table
	views  map[string]View
	// borrowed are tables the caller keeps owning (PutBorrowed): never
	// released by the catalog.
	borrowed map[string]bool
}

// NewMemory returns an empty catalog.
func NewMemory() *Memory {
	return &Memory{tables: map[string]Table{}, views: map[string]View{}, borrowed: map[string]bool{}}
}

func key(name []string) string { return strings.ToLower(strings.Join(name, ".")) }

// Put registers (or replaces) a table.
func (m *Memory) Put(name string, t Table) { m.put(name, t, false) }

// PutBorrowed registers (or replaces) a table the caller keeps owning: the
// catalog never releases it (a job's input stream, reused across jobs).
func (m *Memory) PutBorrowed(name string, t Table) { m.put(name, t, true) }

func (m *Memory) put(name string, t Table, borrowed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := strings.ToLower(name)
	if old, ok := m.tables[k]; ok && old != t {
		m.release(k, old)
	}
	m.tables[k] = t
	m.borrowed[k] = borrowed
	delete(m.views, k)
}

// release frees the table registered under k unless it is borrowed.
func (m *Memory) release(k string, t Table) {
	if !m.borrowed[k] {
		ReleaseTable(t)
	}
	delete(m.borrowed, k)
}

// PutView registers (or replaces) a view.
func (m *Memory) PutView(name string, v View) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.views[strings.ToLower(name)] = v
	delete(m.tables, strings.ToLower(name))
}

// DropKind removes name if it is a table (view false) or a view (view
// true). found says whether name exists at all; a name of the other kind
// is found but not dropped, as DROP VIEW must not drop a table.
func (m *Memory) DropKind(name string, view bool) (found, dropped bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := strings.ToLower(name)
	t, isTable := m.tables[k]
	_, isView := m.views[k]
	switch {
	case isTable && !view:
		m.release(k, t)
		delete(m.tables, k)
		return true, true
	case isView && view:
		delete(m.views, k)
		return true, true
	}
	return isTable || isView, false
}

// Lookup resolves a possibly qualified name to a table or a view (exactly
// one of the results is set), or returns an error wrapping ErrNotFound.
func (m *Memory) Lookup(name []string) (Table, *View, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, k := range []string{key(name), strings.ToLower(name[len(name)-1])} {
		if t, ok := m.tables[k]; ok {
			return t, nil, nil
		}
		if v, ok := m.views[k]; ok {
			return nil, &v, nil
		}
	}
	return nil, nil, fmt.Errorf("looking up %s: %w", strings.Join(name, "."), ErrNotFound)
}

// Names lists the table and view names, sorted.
func (m *Memory) Names() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []string
	for k := range m.tables {
		out = append(out, k)
	}
	for k := range m.views {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ReleaseTable frees a table's memory if it holds any (memory tables,
// memory streams): what the catalog does with the tables it drops.
func ReleaseTable(t Table) {
	if r, ok := t.(interface{ Release() }); ok {
		r.Release()
	}
}

// Close drops every table and view, releasing what they hold.
func (m *Memory) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, t := range m.tables {
		m.release(k, t)
		delete(m.tables, k)
	}
	clear(m.views)
}
