//go:build !js && !wasip1

package file

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// Parquet columns streamsql has no type for are read as text: nested
// values as JSON (a JSON column), binary as base64. Their statistics do
// not order like that text, so a filter on them never prunes a row group.
func TestParquetRendersNestedAndBinary(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "s", Type: arrow.StructOf(arrow.Field{Name: "b", Type: arrow.BinaryTypes.Binary, Nullable: true},
			arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true}), Nullable: true},
		{Name: "raw", Type: arrow.BinaryTypes.Binary, Nullable: true},
	}, nil)
	rec, _, err := array.RecordFromJSON(mem, sc, strings.NewReader(
		`[{"id":1,"l":[1,2],"s":{"b":"3q2+7w==","x":1.5},"raw":"3q2+7w=="},{"id":2,"l":[],"s":null,"raw":"AAE="}]`))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "nested.parquet")
	writeParquetFile(t, p, rec, 1) // a row group per row
	rec.Release()
	tbl := mustOpen(t, p, Options{})
	if got := schemaString(t, tbl.Schema()); got != "id BIGINT, l JSON, s JSON, raw VARCHAR" {
		t.Fatalf("schema %s", got)
	}
	checkRows(t, mustScan(t, tbl, []int{3, 1, 2, 0}),
		`3q2+7w==|[1,2]|{"b":"3q2+7w==","x":1.5}|1`+"\n"+`AAE=|[]|NULL|2`+"\n")
	// only the nested column: all its leaves are read
	checkRows(t, mustScan(t, tbl, []int{2}), `{"b":"3q2+7w==","x":1.5}`+"\nNULL\n")
	// the raw bytes' statistics must not prune by the base64 text
	checkRows(t, mustScan(t, tbl, []int{0}, catalog.Predicate{Column: 3, Op: "=", Value: "3q2+7w=="}), "1\n2\n")
}
