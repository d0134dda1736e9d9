package catalog

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// DropKind drops only a relation of the kind asked for: DROP VIEW on a
// table used to drop (and release) the table.
func TestDropKind(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	b := array.NewInt64Builder(mem)
	b.Append(1)
	col := b.NewArray()
	b.Release()
	batch := array.NewRecordBatch(schema, []arrow.Array{col}, 1)
	col.Release()
	tbl := NewMemTable(schema)
	if err := tbl.Append(batch); err != nil {
		t.Fatal(err)
	}
	batch.Release()

	m := NewMemory()
	defer m.Close()
	m.Put("T", tbl)
	m.PutView("v", View{SQL: "SELECT 1"})
	for _, c := range []struct {
		name           string
		view           bool
		found, dropped bool
	}{
		{"t", true, true, false},  // a table is not a view
		{"V", false, true, false}, // nor a view a table
		{"nope", false, false, false},
		{"nope", true, false, false},
		{"v", true, true, true},
		{"v", true, false, false}, // gone
		{"t", false, true, true},
	} {
		found, dropped := m.DropKind(c.name, c.view)
		if found != c.found || dropped != c.dropped {
			t.Errorf("DropKind(%q, view=%v) = %v, %v; want %v, %v", c.name, c.view, found, dropped, c.found, c.dropped)
		}
		if c.name == "t" && !c.dropped {
			if _, _, err := m.Lookup([]string{"t"}); err != nil {
				t.Errorf("table t gone after DropKind(%q, view=%v): %v", c.name, c.view, err)
			}
		}
	}
	if len(m.Names()) != 0 {
		t.Errorf("left: %v", m.Names())
	}
}

type releaseCounter struct {
	*MemTable
	n *int
}

func (r releaseCounter) Release() { *r.n++ }

// A borrowed table is never released by the catalog; an owned one is,
// when replaced, dropped or closed.
func TestPutBorrowed(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
	n := 0
	m := NewMemory()
	m.PutBorrowed("in", releaseCounter{NewMemTable(schema), &n})
	m.PutBorrowed("in", releaseCounter{NewMemTable(schema), &n}) // replaced
	m.DropKind("in", false)
	m.PutBorrowed("in", releaseCounter{NewMemTable(schema), &n})
	m.Close()
	if n != 0 {
		t.Fatalf("borrowed tables released %d times", n)
	}
	m = NewMemory()
	m.PutBorrowed("x", releaseCounter{NewMemTable(schema), &n})
	m.Put("x", releaseCounter{NewMemTable(schema), &n}) // replaces a borrowed one: not released
	m.Put("x", releaseCounter{NewMemTable(schema), &n}) // replaces an owned one: released
	m.Close()                                           // releases the last owned one
	if n != 2 {
		t.Fatalf("owned tables released %d times, want 2", n)
	}
}
