package file

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

func TestJSONLInference(t *testing.T) {
	p := writeTemp(t, "t.jsonl", `{"a":1,"b":"x","c":"2026-03-01 00:00:01.824","d":true,"e":{"k":[1,2]},"f":null,"g":1,"m1":"1"}

{"a":2,"b":"y","c":"2026-03-01T00:00:02Z","d":false,"e":[1,"two"],"g":2.5,"h":"2026-03-01","i":"2026-03-01","m1":2}
{"a":-3,"c":null,"h":"2026-03-01 10:00:00","i":"2026-03-02","k\u00e9y":"v","m2":true,"m3":"s","m4":{"x":1}}
{"a":4e0,"g":-0.5e-3,"m2":1,"m3":"2026-02-30","m4":"s","ts":"2026-03-01T01:00:00+01:00"}
{"never":1,"a":"not sampled"}
`)
	tbl, err := Open(p, Options{SampleRows: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := "a DOUBLE, b VARCHAR, c TIMESTAMP, d BOOLEAN, e JSON, f VARCHAR, g DOUBLE, m1 VARCHAR, " +
		"h TIMESTAMP, i DATE, kéy VARCHAR, m2 VARCHAR, m3 VARCHAR, m4 JSON, ts TIMESTAMP"
	if got := schemaString(t, tbl.Schema()); got != want {
		t.Errorf("schema:\n%s\nwant:\n%s", got, want)
	}
	if got := tbl.Describe(); got != "file jsonl "+p {
		t.Errorf("Describe = %q", got)
	}

	// Line 6 is outside the sample: "a" holds a string, so the scan fails...
	_, _, err = scan(t, tbl, catalog.ScanRequest{Columns: allCols(tbl), Limit: -1})
	if err == nil || !strings.Contains(err.Error(), p+`:6: column "a": cannot read string "not sampled" as DOUBLE`) {
		t.Fatalf("scan error = %v", err)
	}
	// ... and the first five lines read back.
	tbl.skip = true
	defer func() { tbl.skip = false }()
	checkRows(t, mustScan(t, tbl, []int{0, 2, 4, 7, 8, 9, 13, 14}), `
1|2026-03-01 00:00:01.824|{"k":[1,2]}|1|NULL|NULL|NULL|NULL
2|2026-03-01 00:00:02|[1,"two"]|2|2026-03-01 00:00:00|2026-03-01|NULL|NULL
-3|NULL|NULL|NULL|2026-03-01 10:00:00|2026-03-02|{"x":1}|NULL
4|NULL|NULL|NULL|NULL|NULL|"s"|2026-03-01 00:00:00
`)
	if tbl.Skipped() != 1 {
		t.Errorf("Skipped = %d, want 1", tbl.Skipped())
	}
}

func TestJSONLValues(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	content := "{\"id\":1,\"s\":\"plain\",\"n\":1.5,\"ok\":true,\"j\":{\"a\": [1, {\"b\":null}]}}\r\n" +
		"   \r\n" +
		`{ "id" : 2 , "s" : "esc \"q\" \\ \/ \n\t \u00e9\u20ac \ud83d\ude00 \ud800" , "n" : -2 , "ok" : false , "j" : "str" }` + "\n" +
		`{"id":3,"s":null,"n":null,"ok":null,"j":null}` + "\n" +
		`{"id":4}` + "\n" +
		`{"id":5,"s":"first","s":"last","extra":{"deep":[[[]]]},"n":1e2}` + "\n" +
		`{"id":6,"s":"bad utf8: ` + "\xff\xfe" + `","j":[true,false,null,"` + "\xc3" + `"]}` + "\n" +
		`{}` + "\n" +
		`{"id":8,"s":12,"j":-0.5}` // no trailing newline
	p := writeTemp(t, "v.jsonl", content)
	decl := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "n", Type: arrow.PrimitiveTypes.Float64},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "j", Type: types.JSONType.ArrowType(), Metadata: arrow.NewMetadata([]string{"streamsql.type"}, []string{"json"})},
	}, nil)
	tbl, err := Open(p, Options{Schema: decl})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := scan(t, tbl, catalog.ScanRequest{Columns: []int{0, 1, 2, 3, 4}, Limit: -1, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, `
1|plain|1.5|true|{"a": [1, {"b":null}]}
2|esc "q" \ / `+"\n\t"+` é€ 😀 �|-2|false|"str"
3|NULL|NULL|NULL|NULL
4|NULL|NULL|NULL|NULL
5|last|100|NULL|NULL
6|bad utf8: ��|NULL|NULL|[true,false,null,"�"]
NULL|NULL|NULL|NULL|NULL
8|12|NULL|NULL|-0.5
`)
}

func TestJSONLProjection(t *testing.T) {
	p := writeTemp(t, "p.jsonl", `{"a":1,"b":"x","c":true}
{"c":false,"b":"y","a":2,"zz":{"ignored":[1,2,3]}}
{"b":"z"}
`)
	tbl, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, mustScan(t, tbl, []int{2, 0, 2}), `
true|1|true
false|2|false
NULL|NULL|NULL
`)
	// no columns: rows are still counted
	rows := mustScan(t, tbl, nil)
	if len(rows) != 3 {
		t.Errorf("count-only scan gave %d rows, want 3", len(rows))
	}
	// unprojected values are still validated
	p2 := writeTemp(t, "p2.jsonl", "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":3}\n{\"a\":3,\"b\":[1,}\n")
	tbl2, err := Open(p2, Options{SampleRows: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = scan(t, tbl2, catalog.ScanRequest{Columns: []int{0}, Limit: -1})
	if err == nil || !strings.Contains(err.Error(), p2+":3: invalid character '}' looking for beginning of value") {
		t.Errorf("error = %v", err)
	}
	// a VARCHAR column reads numbers as their text; a BIGINT one rejects text
	checkRows(t, mustScan(t, mustOpen(t, p2, Options{SampleRows: 1, OnError: "skip"}), []int{1}), "x\n3\n")
}

func mustOpen(t testing.TB, path string, opts Options) *Table {
	t.Helper()
	tbl, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func TestJSONLMalformed(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.jsonl")
	lines := []string{
		`{"id":1,"ts":"2026-03-01 00:00:01","v":1.5}`,
		`{"id":2,"ts":"2026-03-01 00:00:02","v":2}`,
		`{"id":3,}`,
		`{"id":4,"ts":"2026-03-01 00:00:04","v":4}`,
		`{"id":"five"}`,
		`{"id":6,"ts":"yesterday"}`,
		`{"id":7,"ts":"2026-03-01 00:00:07"`,
		`{"id":8} trailing`,
		`[8]`,
		`{"id":9.5}`,
		`{"id":10,"v":"x"}`,
		`{"id":11,"ts":"2026-03-01 00:00:11","v":11}`,
	}
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tbl, err := Open(p, Options{SampleRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := schemaString(t, tbl.Schema()); got != "id BIGINT, ts TIMESTAMP, v DOUBLE" {
		t.Fatalf("schema = %s", got)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	rows, _, err := scan(t, tbl, catalog.ScanRequest{Columns: []int{0}, Limit: -1, Alloc: mem})
	want := p + ":3: invalid character '}' looking for beginning of object key string"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want it to contain %q", err, want)
	}
	if len(rows) != 0 {
		t.Errorf("rows before the failure were returned: %v", rows)
	}
	mem.AssertSize(t, 0)

	tbl, err = Open(p, Options{OnError: "skip", SampleRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, mustScan(t, tbl, []int{0, 1, 2}), `
1|2026-03-01 00:00:01|1.5
2|2026-03-01 00:00:02|2
4|2026-03-01 00:00:04|4
11|2026-03-01 00:00:11|11
`)
	if tbl.Skipped() != 8 {
		t.Errorf("Skipped = %d, want 8", tbl.Skipped())
	}
	// Unprojected values are checked for syntax and JSON kind only, so
	// line 6's bad timestamp passes when ts is not read.
	checkRows(t, mustScan(t, tbl, []int{0}), "1\n2\n4\n6\n11\n")
	if tbl.Skipped() != 15 {
		t.Errorf("Skipped after two scans = %d, want 15", tbl.Skipped())
	}
	// each reason, with the line number
	tbl.skip = false
	defer func() { tbl.skip = true }()
	for _, c := range []struct {
		line int
		msg  string
	}{
		{5, `:5: column "id": cannot read string "five" as BIGINT`},
		{6, `:6: column "ts": cannot read string "yesterday" as TIMESTAMP`},
		{7, `:7: unexpected end of JSON input`},
		{8, `:8: invalid character 't' after top-level value`},
		{9, `:9: line is not a JSON object`},
		{10, `:10: column "id": cannot read number 9.5 as BIGINT`},
		{11, `:11: column "v": cannot read string "x" as DOUBLE`},
	} {
		only := writeTemp(t, "bad.jsonl", strings.Repeat("\n", c.line-1)+lines[c.line-1]+"\n")
		tb := mustOpen(t, only, Options{Schema: tbl.Schema()})
		_, _, err := scan(t, tb, catalog.ScanRequest{Columns: []int{0, 1, 2}, Limit: -1})
		if err == nil || !strings.Contains(err.Error(), only+c.msg) {
			t.Errorf("line %d: error = %v, want %q", c.line, err, c.msg)
		}
	}
}

// Syntax errors read like encoding/json's, whether the value is decoded
// (projected), checked (in the schema) or skipped (unknown key).
func TestJSONLSyntaxMessages(t *testing.T) {
	js := arrow.NewSchema([]arrow.Field{newField("a", types.JSON)}, nil)
	other := arrow.NewSchema([]arrow.Field{newField("other", types.JSON)}, nil)
	for _, line := range []string{
		`{"a":1,}`, `{"a" 1}`, `{"a":1 "b":2}`, `{"a":tru}`, `{"a":nul}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`,
		`{"a":"x\q"}`, `{"a":"\u12g4"}`, "{\"a\":\"x\ty\"}", `{"a":[1 2]}`, `{"a":{"b":1,}}`, `{"a":01}`,
		`{"a":1}}`, `{"a"`, `{"a":"`, `{`, `{"a":[`, `{"a":+1}`, `{'a':1}`, `{"a":[1,]}`, `{"a":{"b"}}`,
	} {
		var v map[string]any
		wantErr := json.Unmarshal([]byte(line), &v)
		if wantErr == nil {
			t.Fatalf("%s: encoding/json accepts it", line)
		}
		for _, c := range []struct {
			schema *arrow.Schema
			proj   []int
		}{{js, []int{0}}, {js, nil}, {other, []int{0}}} {
			d := newJSONDecoder(&Table{schema: c.schema}, newBatchBuilder(memory.DefaultAllocator, c.schema, projectSchema(c.schema, c.proj), c.proj))
			_, err := d.decode([]byte(line))
			d.bb.release()
			if err == nil || err.Error() != wantErr.Error() {
				t.Errorf("%s (projection %v of %s): error %v, encoding/json says %v", line, c.proj, c.schema.Field(0).Name, err, wantErr)
			}
		}
	}
}

func TestJSONLLongLines(t *testing.T) {
	long := strings.Repeat("x", 3*readBufferSize+17)
	p := writeTemp(t, "long.jsonl", `{"a":1,"s":"short"}`+"\n"+`{"a":2,"s":"`+long+`"}`+"\n"+`{"a":3,"s":"end"}`)
	tbl := mustOpen(t, p, Options{})
	rows := mustScan(t, tbl, []int{0, 1})
	if len(rows) != 3 || rows[1][1] != long || rows[2][1] != "end" {
		t.Errorf("long line not read back: %d rows", len(rows))
	}
}

func TestJSONLBatchesLimitCancel(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 20000; i++ {
		b.WriteString(`{"i":` + strconv.Itoa(i) + `,"s":"row"}` + "\n")
	}
	p := writeTemp(t, "many.jsonl", b.String())
	tbl := mustOpen(t, p, Options{})
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()

	rd, err := tbl.Scan(ctx, catalog.ScanRequest{Columns: []int{0}, Limit: -1, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int64
	for {
		rec, err := rd.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, rec.NumRows())
		rec.Release()
	}
	rd.Close()
	if len(sizes) != 3 || sizes[0] != batchSize || sizes[1] != batchSize || sizes[2] != 20000-2*batchSize {
		t.Errorf("batch sizes %v", sizes)
	}

	// limit: exactly Limit rows without filters, all rows with them
	rows, _, err := scan(t, tbl, catalog.ScanRequest{Columns: []int{0}, Limit: 10, Alloc: mem})
	if err != nil || len(rows) != 10 || rows[9][0] != "9" {
		t.Errorf("limit 10: %d rows, %v", len(rows), err)
	}
	rows, _, err = scan(t, tbl, catalog.ScanRequest{Columns: []int{0}, Limit: 0, Alloc: mem})
	if err != nil || len(rows) != 20000 {
		t.Errorf("limit 0 (no hint): %d rows, %v", len(rows), err)
	}
	rows, _, err = scan(t, tbl, catalog.ScanRequest{Columns: []int{0}, Limit: 10, Alloc: mem,
		Filters: []catalog.Predicate{{Column: 0, Op: ">", Value: int64(19990)}}})
	if err != nil || len(rows) != 20000 {
		t.Errorf("limit with filters: %d rows, %v", len(rows), err)
	}

	// cancellation between batches; Close before EOF; Next after Close
	cctx, cancel := context.WithCancel(ctx)
	rd, err = tbl.Scan(cctx, catalog.ScanRequest{Columns: []int{0, 1}, Limit: -1, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := rd.Next(cctx)
	if err != nil {
		t.Fatal(err)
	}
	rec.Release()
	cancel()
	if _, err := rd.Next(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next after cancel: %v", err)
	}
	if err := rd.Close(); err != nil {
		t.Error(err)
	}
	if err := rd.Close(); err != nil {
		t.Error(err)
	}
	if _, err := rd.Next(ctx); err == nil {
		t.Error("Next after Close succeeded")
	}
	if _, err := tbl.Scan(cctx, catalog.ScanRequest{Columns: []int{0}, Limit: -1}); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan with a cancelled context: %v", err)
	}
	if _, err := tbl.Scan(ctx, catalog.ScanRequest{Columns: []int{5}, Limit: -1}); err == nil {
		t.Error("Scan of a bad ordinal succeeded")
	}
}

func TestJSONLDirectoryAndGlob(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"a.jsonl":    `{"x":1,"y":"a"}` + "\n",
		"b.ndjson":   `{"y":"b","x":2}` + "\n" + `{"x":3}`,
		".hidden":    "junk",
		"_SUCCESS":   "",
		"notes.txt":  "not json",
		"c.jsonl.gz": "binary",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tbl := mustOpen(t, dir, Options{})
	if tbl.Format() != FormatJSONL {
		t.Errorf("format %s", tbl.Format())
	}
	checkRows(t, mustScan(t, tbl, []int{0, 1}), "1|a\n2|b\n3|NULL\n")
	checkRows(t, mustScan(t, mustOpen(t, filepath.Join(dir, "*.jsonl"), Options{}), []int{0}), "1\n")
	// files added later are picked up by the next scan
	if err := os.WriteFile(filepath.Join(dir, "d.jsonl"), []byte(`{"x":4,"z":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	checkRows(t, mustScan(t, tbl, []int{0}), "1\n2\n3\n4\n")
	if _, err := Open(filepath.Join(dir, "*.csv"), Options{}); err == nil || !strings.Contains(err.Error(), "no csv files match") {
		t.Errorf("empty glob: %v", err)
	}
}

func TestJSONLDeclaredSchema(t *testing.T) {
	p := writeTemp(t, "d.jsonl", `{"UserId":7,"Day":"2026-03-01","Took":"1 hour 5 minutes","small":12,"Extra":1}
{"userid":8,"day":null,"small":70000}
`)
	decl := arrow.NewSchema([]arrow.Field{
		{Name: "userid", Type: arrow.PrimitiveTypes.Int8},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32},
		{Name: "took", Type: arrow.FixedWidthTypes.MonthDayNanoInterval},
		{Name: "small", Type: arrow.PrimitiveTypes.Int32, Nullable: false},
		{Name: "missing", Type: arrow.BinaryTypes.String},
	}, nil)
	tbl := mustOpen(t, p, Options{Schema: decl, OnError: "skip"})
	if got := schemaString(t, tbl.Schema()); got != "userid INTEGER, day DATE, took INTERVAL, small INTEGER, missing VARCHAR" {
		t.Errorf("schema %s", got)
	}
	// 70000 fits INTEGER; the second line is fine
	checkRows(t, mustScan(t, tbl, []int{0, 1, 2, 3, 4}), `
7|2026-03-01|01:05:00|12|NULL
8|NULL|NULL|70000|NULL
`)
	p2 := writeTemp(t, "o.jsonl", `{"small":3000000000}`+"\n")
	tbl2 := mustOpen(t, p2, Options{Schema: decl})
	if _, _, err := scan(t, tbl2, catalog.ScanRequest{Columns: []int{3}, Limit: -1}); err == nil ||
		!strings.Contains(err.Error(), `cannot read number 3000000000 as INTEGER`) {
		t.Errorf("overflow: %v", err)
	}
}

func TestJSONLOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		path string
		opts Options
		msg  string
	}{
		{filepath.Join(dir, "nope.jsonl"), Options{}, "no such file"},
		{writeTemp(t, "e.jsonl", "\n\n"), Options{}, "no JSON objects found"},
		{writeTemp(t, "f.jsonl", "{}\n{ }\n"), Options{}, "the sampled JSON objects have no fields"},
		{writeTemp(t, "b.jsonl", "{oops\n"), Options{}, "b.jsonl:1: invalid character 'o'"},
		{writeTemp(t, "x.txt", "{}"), Options{}, "cannot tell the format"},
		{writeTemp(t, "x.jsonl", "{}"), Options{Format: "xml"}, `unknown format "xml"`},
		{writeTemp(t, "y.jsonl", "{}"), Options{OnError: "ignore"}, `on_error "ignore"`},
	} {
		if _, err := Open(c.path, c.opts); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Open(%s): %v, want %q", filepath.Base(c.path), err, c.msg)
		}
	}
	// an explicit format overrides the extension
	tbl := mustOpen(t, writeTemp(t, "x.log", `{"a":1}`), Options{Format: "ndjson"})
	checkRows(t, mustScan(t, tbl, []int{0}), "1\n")
}

func TestParseTimestampMatchesTypes(t *testing.T) {
	for _, s := range []string{
		"2026-03-01 00:00:01.824", "2026-03-01T00:00:01Z", "2026-03-01T01:00:00+01:00", "2026-03-01",
		"2026-03-01 23:59:59.999999999", "2026-03-01 23:59:59.9999999999", "1969-12-31 23:59:59.5",
		"1900-02-28 12:00:00-05:30", "2024-02-29 00:00:00", "2023-02-29 00:00:00", "2026-13-01",
		"2026-03-01 24:00:00", "2026-03-01 12:60:00", "2026-03-01 12:00:60", "2026-03-01T12:00",
		"2026-03-01 12:00:00 -07", "2026-03-01 12:00:00+0100", "2026-03-01 12:00:00.", "2026-03-01 12:00:00,5",
		" 2026-03-01", "2026-3-1", "0001-01-01 00:00:00", "9999-12-31 23:59:59.999999", "2026-03-01 12:00:00+24:00",
		"2026-03-01x", "2026-03-01 12:00:00Zjunk", "abcd-ef-gh",
	} {
		want, wantErr := types.ParseTimestamp(s)
		got, err := parseTimestamp([]byte(s))
		if (err == nil) != (wantErr == nil) || got != want {
			t.Errorf("%q: got %d, %v; types.ParseTimestamp: %d, %v", s, got, err, want, wantErr)
		}
		if len(s) == 10 {
			wd, werr := types.ParseDate(s)
			d, err := parseDate(s)
			if (err == nil) != (werr == nil) || d != wd {
				t.Errorf("date %q: got %d, %v; types.ParseDate: %d, %v", s, d, err, wd, werr)
			}
		}
	}
}
