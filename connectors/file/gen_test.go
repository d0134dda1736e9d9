package file

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/streamsql/streamsql/catalog"
)

// Regenerate the sample data under /testdata with
//
//	go test ./connectors/file -run TestGenerateTestdata -gen
var gen = flag.Bool("gen", false, "regenerate the sample files in ../../testdata")

const testdataDir = "../../testdata"

// splitmix is a tiny deterministic generator, so the sample data does not
// depend on math/rand's algorithms.
type splitmix struct{ s uint64 }

func (r *splitmix) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *splitmix) intn(n int) int { return int(r.next() % uint64(n)) }

// chance returns true with probability p.
func (r *splitmix) chance(p float64) bool { return float64(r.next()>>11)/(1<<53) < p }

type sampleEvent struct {
	ts      time.Time
	topic   string
	user    int // 0: missing
	status  string
	amount  string // formatted; "" missing
	country string // "" missing, "null" explicit null
	payload string // raw JSON; "" missing
}

func sampleEvents(n int) []sampleEvent {
	r := &splitmix{s: 20260301}
	countries := []string{"DE", "FR", "US", "GB", "NL", "ES", "IT", "PL", "SE", "BR"}
	skus := []string{"A-1", "A-2", "B-7", "C-3", "D-9", "E-4"}
	prices := map[string]int{"A-1": 1250, "A-2": 2000, "B-7": 4999, "C-3": 899, "D-9": 15000, "E-4": 4250}
	statuses := []string{"created", "paid", "paid", "shipped", "cancelled", "refunded"}
	pages := []string{"/", "/products/A-1", "/products/B-7", "/cart", "/checkout", "/search"}
	refs := []string{"search", "email", "ads", "direct"}
	methods := []string{"card", "paypal", "sepa"}
	t := time.Date(2026, 3, 1, 0, 0, 1, 824e6, time.UTC)
	out := make([]sampleEvent, 0, n)
	for i := 0; i < n; i++ {
		e := sampleEvent{ts: t, user: 1 + r.intn(30), country: countries[r.intn(len(countries))]}
		switch x := r.intn(20); {
		case i == 0 || x < 10:
			sku := skus[r.intn(len(skus))]
			qty := 1 + r.intn(3)
			e.topic, e.status = "orders", statuses[r.intn(len(statuses))]
			e.amount = strconv.FormatFloat(float64(prices[sku]*qty)/100, 'f', -1, 64)
			e.payload = fmt.Sprintf(`{"sku":%q,"qty":%d}`, sku, qty)
		case x < 17:
			e.topic = "clicks"
			if r.chance(0.15) {
				e.user = 0 // anonymous visitor
			}
			e.payload = fmt.Sprintf(`{"page":%q,"ref":%q}`, pages[r.intn(len(pages))], refs[r.intn(len(refs))])
		default:
			e.topic, e.status = "payments", []string{"paid", "paid", "paid", "refunded"}[r.intn(4)]
			e.amount = strconv.FormatFloat(float64(500+r.intn(20000))/100, 'f', -1, 64)
			e.payload = fmt.Sprintf(`{"method":%q}`, methods[r.intn(len(methods))])
		}
		switch {
		case r.chance(0.04):
			e.country = ""
		case r.chance(0.03):
			e.country = "null"
		}
		out = append(out, e)
		t = t.Add(time.Duration(5000+r.intn(62000)) * time.Millisecond)
	}
	return out
}

func (e sampleEvent) json() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"ts":%q,"topic":%q`, e.ts.Format("2006-01-02 15:04:05.000"), e.topic)
	if e.user != 0 {
		fmt.Fprintf(&b, `,"user_id":%d`, e.user)
	}
	if e.status != "" {
		fmt.Fprintf(&b, `,"status":%q`, e.status)
	}
	if e.amount != "" {
		fmt.Fprintf(&b, `,"amount":%s`, e.amount)
	}
	switch e.country {
	case "":
	case "null":
		b.WriteString(`,"country":null`)
	default:
		fmt.Fprintf(&b, `,"country":%q`, e.country)
	}
	if e.payload != "" {
		fmt.Fprintf(&b, `,"payload":%s`, e.payload)
	}
	b.WriteString("}\n")
	return b.String()
}

func (e sampleEvent) csv() string {
	user, country := "", e.country
	if e.user != 0 {
		user = strconv.Itoa(e.user)
	}
	if country == "null" {
		country = ""
	}
	return fmt.Sprintf("%s,%s,%s,%s,%s,%s\n", e.ts.Format("2006-01-02 15:04:05.000"), e.topic, user, e.status, e.amount, country)
}

func sampleUsers() string {
	names := []string{"Ada", "Bjarne", "Claude", "Dennis", "Edsger", "Frances", "Grace", "Hedy", "Ivan", "Joan",
		"Ken", "Linus", "Margaret", "Niklaus", "Ole", "Per", "Radia", "Sophie", "Tim", "Ursula",
		"Vint", "Whitfield", "Xavier", "Yukihiro", "Zoe"}
	plans := []string{"free", "free", "pro", "team"}
	r := &splitmix{s: 25}
	var b bytes.Buffer
	b.WriteString("user_id,name,plan,signup_date\n")
	day := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	for i, n := range names {
		id := i + 1
		plan := plans[r.intn(len(plans))]
		signup := day.Format("2006-01-02")
		switch id {
		case 7:
			plan = ""
		case 19:
			signup = ""
		}
		fmt.Fprintf(&b, "%d,%s,%s,%s\n", id, n, plan, signup)
		day = day.AddDate(0, 0, 3+r.intn(20))
	}
	return b.String()
}

func TestGenerateTestdata(t *testing.T) {
	if !*gen {
		t.Skip("run with -gen to regenerate ../../testdata")
	}
	events := sampleEvents(200)
	var jl, cv bytes.Buffer
	cv.WriteString("ts,topic,user_id,status,amount,country\n")
	for i, e := range events {
		jl.WriteString(e.json())
		if i < 20 {
			cv.WriteString(e.csv())
		}
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(testdataDir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("events.jsonl", jl.Bytes())
	write("events.csv", cv.Bytes())
	write("users.csv", []byte(sampleUsers()))

	// events.parquet: the JSONL events in 4 row groups of 50
	tbl, err := Open(filepath.Join(testdataDir, "events.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var pq bytes.Buffer
	writeParquet(t, &pq, tbl, 50)
	write("events.parquet", pq.Bytes())
}

// writeParquet writes every row of tbl to w, rowGroup rows per row group.
func writeParquet(t testing.TB, w *bytes.Buffer, tbl catalog.Table, rowGroup int64) {
	t.Helper()
	all := make([]int, tbl.Schema().NumFields())
	for i := range all {
		all[i] = i
	}
	rd, err := tbl.Scan(context.Background(), catalog.ScanRequest{Columns: all, Limit: -1, Alloc: memory.DefaultAllocator})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(rowGroup), parquet.WithCreatedBy("streamsql testdata"))
	fw, err := pqarrow.NewFileWriter(tbl.Schema(), w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := rd.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := fw.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
}
