package iceberg

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/streamsql/streamsql/catalog"
)

func TestFilterExprMapsTypes(t *testing.T) {
	ws, err := writeSchema(testSchema)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := icebergSchema(ws)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		p    catalog.Predicate
		want string // substring of the expression, "" for dropped
	}{
		{catalog.Predicate{Column: 0, Op: "=", Value: "a"}, "topic"},
		{catalog.Predicate{Column: 1, Op: "<", Value: int64(5)}, "timestamp"},
		{catalog.Predicate{Column: 2, Op: "<>", Value: int32(5)}, "id"},
		{catalog.Predicate{Column: 3, Op: "<=", Value: int64(5)}, "n"},
		{catalog.Predicate{Column: 4, Op: ">", Value: int64(5)}, "x"},
		{catalog.Predicate{Column: 4, Op: ">=", Value: 2.5}, "x"},
		{catalog.Predicate{Column: 5, Op: "=", Value: true}, "ok"},
		{catalog.Predicate{Column: 6, Op: "=", Value: int32(3)}, "d"},
		{catalog.Predicate{Column: 7, Op: "is_null"}, "j"},
		{catalog.Predicate{Column: 7, Op: "is_not_null"}, "j"},
		{catalog.Predicate{Column: 6, Op: "=", Value: int64(3)}, ""}, // a DATE wants int32 days
		{catalog.Predicate{Column: 5, Op: "=", Value: "yes"}, ""},
		{catalog.Predicate{Column: 0, Op: "like", Value: "a%"}, ""},
		{catalog.Predicate{Column: 0, Op: "=", Value: nil}, ""},
		{catalog.Predicate{Column: -1, Op: "=", Value: "a"}, ""},
	} {
		e := filterExpr(sc, testSchema, []catalog.Predicate{tc.p})
		switch {
		case tc.want == "" && e != nil:
			t.Errorf("%+v: got %v, want it dropped", tc.p, e)
		case tc.want != "" && (e == nil || !strings.Contains(e.String(), tc.want)):
			t.Errorf("%+v: got %v, want an expression on %s", tc.p, e, tc.want)
		}
	}
	both := filterExpr(sc, testSchema, []catalog.Predicate{{Column: 0, Op: "=", Value: "a"}, {Column: 2, Op: ">", Value: int64(1)}})
	if both == nil || !strings.Contains(both.String(), "And") {
		t.Errorf("two predicates: %v", both)
	}
}

func TestDataFilesAreZstd(t *testing.T) {
	w := newWarehouse(t)
	partitionedTable(t, w)
	files, err := filepath.Glob(filepath.Join(w.Dir(), "ns.db", "hours", "data", "*", "*", "*.parquet"))
	if err != nil || len(files) != 4 {
		t.Fatalf("data files %v %v", files, err)
	}
	pf, err := file.OpenParquetFile(files[0], false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	cc, err := pf.MetaData().RowGroup(0).ColumnChunk(0)
	if err != nil {
		t.Fatal(err)
	}
	if cc.Compression() != compress.Codecs.Zstd {
		t.Fatalf("compression %v", cc.Compression())
	}
}
