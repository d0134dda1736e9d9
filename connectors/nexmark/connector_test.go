package nexmark

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestFactoryOptions(t *testing.T) {
	tb, err := factory(map[string]string{"connector": "nexmark", "table": "bid", "events.num": "1000",
		"rate": "500", "seed": "3", "splits": "2", "base_time": "2026-01-02T03:04:05Z", "wall_rate": "0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := tb.(*Table)
	c := n.gen.cfg
	if n.kind != Bid || n.splits != 2 || c.Events != 1000 || c.Rate != 500 || c.Seed != 3 || c.BaseTime.Year() != 2026 || c.BaseTime.Month() != 1 {
		t.Errorf("table %+v, config %+v", n, c)
	}
	for opts, want := range map[string]string{
		"table=bids":              "want person, auction or bid",
		"table=bid,events.num=x":  "option events.num",
		"table=bid,rate=fast":     "option rate",
		"table=bid,seed=-1":       "option seed",
		"table=bid,splits=0":      "splits 0",
		"table=bid,base_time=now": "option base_time",
		"table=bid,wall_rate=-1":  "must not be negative",
		"table=bid,speed=1":       "unknown option \"speed\"",
		"events.num=5":            "parsing nexmark table",
	} {
		m := map[string]string{"connector": "nexmark"}
		for _, kv := range strings.Split(opts, ",") {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
		if _, err := factory(m, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", opts, err, want)
		}
	}
}

func TestFactoryDeclaredColumnsMustMatch(t *testing.T) {
	opts := map[string]string{"table": "person"}
	if _, err := factory(opts, Schema(Person)); err != nil {
		t.Errorf("the table's own columns: %v", err)
	}
	if _, err := factory(opts, arrow.NewSchema(nil, nil)); err != nil {
		t.Errorf("no columns: %v", err)
	}
	short := arrow.NewSchema(Schema(Person).Fields()[:3], nil)
	if _, err := factory(opts, short); err == nil || !strings.Contains(err.Error(), "3 declared") {
		t.Errorf("3 columns: %v", err)
	}
	fs := Schema(Person).Fields()
	fs[1].Type = arrow.PrimitiveTypes.Int64
	if _, err := factory(opts, arrow.NewSchema(fs, nil)); err == nil || !strings.Contains(err.Error(), "column 2 is name") {
		t.Errorf("name BIGINT: %v", err)
	}
}
