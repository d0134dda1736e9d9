package file

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

func TestCSVInference(t *testing.T) {
	p := writeTemp(t, "t.csv", "\ufeffid, amount,ok,ts,day,name,mixed,empty,,id\n"+
		"1,2.5,true,2026-03-01 00:00:01.824,2026-03-01,Ann,1,,x,9\n"+
		"2,3,FALSE,2026-03-01T00:00:02Z,2026-03-02,\"Smith, Bob\",true,,y,8\n"+
		"-3,1e3,,,,\"say \"\"hi\"\"\",2026-03-01,,z,7\n"+
		"4,,true,2026-03-01,2026-03-04,,NaN,,w,6\n")
	tbl := mustOpen(t, p, Options{})
	want := "id BIGINT, amount DOUBLE, ok BOOLEAN, ts TIMESTAMP, day DATE, name VARCHAR, mixed VARCHAR, " +
		"empty VARCHAR, column9 VARCHAR, id_2 BIGINT"
	if got := schemaString(t, tbl.Schema()); got != want {
		t.Errorf("schema:\n%s\nwant:\n%s", got, want)
	}
	checkRows(t, mustScan(t, tbl, allCols(tbl)), `
1|2.5|true|2026-03-01 00:00:01.824|2026-03-01|Ann|1|NULL|x|9
2|3|false|2026-03-01 00:00:02|2026-03-02|Smith, Bob|true|NULL|y|8
-3|1000|NULL|NULL|NULL|say "hi"|2026-03-01|NULL|z|7
4|NULL|true|2026-03-01 00:00:00|2026-03-04|NULL|NaN|NULL|w|6
`)
	checkRows(t, mustScan(t, tbl, []int{9, 5}), "9|Ann\n8|Smith, Bob\n7|say \"hi\"\n6|NULL\n")
	if n := len(mustScan(t, tbl, nil)); n != 4 {
		t.Errorf("count-only scan: %d rows", n)
	}
	if tbl.Describe() != "file csv "+p {
		t.Errorf("Describe = %q", tbl.Describe())
	}
}

func TestCSVMalformed(t *testing.T) {
	content := "id,v\n1,a\n2,b,extra\n3,c\n4\"x,d\nfive,e\n6,f\n\"7,g\n"
	p := writeTemp(t, "bad.csv", content)
	decl := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: arrow.BinaryTypes.String}}, nil)
	tbl := mustOpen(t, p, Options{Schema: decl})
	_, _, err := scan(t, tbl, catalog.ScanRequest{Columns: []int{0, 1}, Limit: -1})
	if err == nil || !strings.Contains(err.Error(), p+":3: record has 3 fields, header has 2") {
		t.Fatalf("error = %v", err)
	}
	for line, msg := range map[int]string{
		5: `:5: bare " in non-quoted-field`,
		6: `:6: column "id": cannot read "five" as BIGINT`,
	} {
		only := writeTemp(t, "bad.csv", "id,v\n"+strings.Repeat("1,x\n", line-2)+strings.Split(content, "\n")[line-1]+"\n")
		_, _, err := scan(t, mustOpen(t, only, Options{Schema: decl}), catalog.ScanRequest{Columns: []int{0, 1}, Limit: -1})
		if err == nil || !strings.Contains(err.Error(), only+msg) {
			t.Errorf("line %d: error = %v, want %q", line, err, msg)
		}
	}

	tbl = mustOpen(t, p, Options{Schema: decl, OnError: "skip"})
	checkRows(t, mustScan(t, tbl, []int{0, 1}), "1|a\n3|c\n6|f\n")
	if tbl.Skipped() != 4 {
		t.Errorf("Skipped = %d, want 4", tbl.Skipped())
	}
	// inference ignores malformed records
	tbl = mustOpen(t, writeTemp(t, "i.csv", "id,v\n1,a\nx,y,z\n"), Options{})
	if got := schemaString(t, tbl.Schema()); got != "id BIGINT, v VARCHAR" {
		t.Errorf("schema %s", got)
	}
}

func TestCSVDeclaredAndMultiFile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"1.csv": "user_id,name,signup\n1,Ann,2025-01-02\n",
		"2.csv": "name,user_id\nBob,2\n,3\n",
	} {
		writeFile(t, dir, name, content)
	}
	tbl := mustOpen(t, dir+"/*.csv", Options{})
	if got := schemaString(t, tbl.Schema()); got != "user_id BIGINT, name VARCHAR, signup DATE" {
		t.Errorf("schema %s", got)
	}
	checkRows(t, mustScan(t, tbl, []int{0, 1, 2}), "1|Ann|2025-01-02\n2|Bob|NULL\n3|NULL|NULL\n")

	decl := arrow.NewSchema([]arrow.Field{
		{Name: "USER_ID", Type: arrow.PrimitiveTypes.Int32},
		{Name: "signup", Type: arrow.FixedWidthTypes.Timestamp_us},
		{Name: "flag", Type: arrow.FixedWidthTypes.Boolean},
	}, nil)
	tbl = mustOpen(t, dir, Options{Schema: decl, Format: "csv"})
	checkRows(t, mustScan(t, tbl, []int{0, 1, 2}), "1|2025-01-02 00:00:00|NULL\n2|NULL|NULL\n3|NULL|NULL\n")

	if _, err := Open(writeTemp(t, "empty.csv", ""), Options{}); err == nil || !strings.Contains(err.Error(), "file is empty") {
		t.Errorf("empty file: %v", err)
	}
	hdr := mustOpen(t, writeTemp(t, "hdr.csv", "a,b\n"), Options{})
	if got := schemaString(t, hdr.Schema()); got != "a VARCHAR, b VARCHAR" {
		t.Errorf("header-only schema %s", got)
	}
	if rows := mustScan(t, hdr, []int{0}); len(rows) != 0 {
		t.Errorf("header-only rows %v", rows)
	}
}

func TestTestdataFiles(t *testing.T) {
	ev := mustOpen(t, testdataDir+"/events.jsonl", Options{})
	if got := schemaString(t, ev.Schema()); got != "ts TIMESTAMP, topic VARCHAR, user_id BIGINT, status VARCHAR, amount DOUBLE, country VARCHAR, payload JSON" {
		t.Errorf("events.jsonl schema %s", got)
	}
	rows := mustScan(t, ev, []int{0, 2, 4})
	if len(rows) != 200 || rows[0][0] != "2026-03-01 00:00:01.824" || rows[0][2] != "450" {
		t.Errorf("events.jsonl: %d rows, first %v", len(rows), rows[0])
	}
	evc := mustOpen(t, testdataDir+"/events.csv", Options{})
	if got := schemaString(t, evc.Schema()); got != "ts TIMESTAMP, topic VARCHAR, user_id BIGINT, status VARCHAR, amount DOUBLE, country VARCHAR" {
		t.Errorf("events.csv schema %s", got)
	}
	if got := mustScan(t, evc, []int{0, 1, 2, 3, 4, 5}); joinRows(got) != joinRows(mustScan(t, ev, []int{0, 1, 2, 3, 4, 5})[:20]) {
		t.Errorf("events.csv differs from the first 20 events")
	}
	users := mustOpen(t, testdataDir+"/users.csv", Options{})
	if got := schemaString(t, users.Schema()); got != "user_id BIGINT, name VARCHAR, plan VARCHAR, signup_date DATE" {
		t.Errorf("users.csv schema %s", got)
	}
	if n := len(mustScan(t, users, []int{0})); n != 25 {
		t.Errorf("users.csv: %d rows", n)
	}
	pq := mustOpen(t, testdataDir+"/events.parquet", Options{})
	if pq.Schema().NumFields() != 7 || schemaString(t, pq.Schema()) != schemaString(t, ev.Schema()) {
		t.Errorf("events.parquet schema %s", schemaString(t, pq.Schema()))
	}
	if joinRows(mustScan(t, pq, allCols(pq))) != joinRows(mustScan(t, ev, allCols(ev))) {
		t.Errorf("events.parquet differs from events.jsonl")
	}
}
