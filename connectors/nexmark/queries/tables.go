package queries

import (
	"sort"
	"strings"
)

// Tables is the DDL the query files assume: person, auction and bid as
// streams of connector 'nexmark' with event time date_time and a 4 s
// watermark delay. options are more WITH (…) settings shared by the three
// tables (e.g. "events.num": "50000", "rate": "1000", "seed": "1"), in
// key order so the text is stable.
func Tables(options map[string]string) string {
	keys := make([]string, 0, len(options))
	for k := range options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var with strings.Builder
	for _, k := range keys {
		with.WriteString(", " + quote(k) + " = " + quote(options[k]))
	}
	var sb strings.Builder
	for _, t := range []struct{ name, cols string }{
		{"person", "id BIGINT, name VARCHAR, email_address VARCHAR, credit_card VARCHAR, city VARCHAR, state VARCHAR,\n  date_time TIMESTAMP, extra VARCHAR"},
		{"auction", "id BIGINT, item_name VARCHAR, description VARCHAR, initial_bid BIGINT, reserve BIGINT,\n  date_time TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra VARCHAR"},
		{"bid", "auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP, extra VARCHAR"},
	} {
		sb.WriteString("CREATE TABLE " + t.name + " (\n  " + t.cols +
			",\n  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND\n) WITH (connector = 'nexmark', table = '" +
			t.name + "'" + with.String() + ");\n")
	}
	return sb.String()
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
