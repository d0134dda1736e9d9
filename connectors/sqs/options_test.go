package sqs

import (
	"net/url"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

func TestFactoryValidatesOptions(t *testing.T) {
	credentialEnv(t)
	for _, c := range []struct {
		name string
		opts map[string]string
		want string
	}{
		{"unknown option", map[string]string{"queue": "q", "colour": "x"}, `unknown option "colour" (valid: connector, dedup_column,`},
		{"missing queue", map[string]string{"format": "raw"}, `missing option "queue"`},
		{"no columns", map[string]string{"queue": "q"}, "declare the columns with schema="},
		{"bad splits", map[string]string{"queue": "q", "format": "raw", "splits": "0"}, "option splits"},
		{"bad wait", map[string]string{"queue": "q", "format": "raw", "wait": "21"}, "option wait"},
		{"bad visibility", map[string]string{"queue": "q", "format": "raw", "visibility": "x"}, "option visibility"},
		{"bad type", map[string]string{"queue": "q", "type": "both"}, "option type"},
		{"bad format", map[string]string{"queue": "q", "format": "xml", "schema": "a BIGINT"}, "unknown format"},
		{"csv sink", map[string]string{"queue": "q", "format": "csv", "type": "sink"}, "a sink writes json or raw"},
		{"raw without value", map[string]string{"queue": "q", "format": "raw", "schema": "a BIGINT"}, `VARCHAR column named "value"`},
		{"metadata type", map[string]string{"queue": "q", "schema": "a BIGINT, _sent_timestamp VARCHAR"}, "_sent_timestamp must be TIMESTAMP"},
		{"bad schema", map[string]string{"queue": "q", "schema": "a NOPE"}, "unknown type"},
		{"bad endpoint", map[string]string{"queue": "q", "format": "raw", "endpoint": "ftp://x"}, "option endpoint"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := catalog.OpenConnector("sqs", c.opts, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	declared := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
	if _, err := catalog.OpenConnector("sqs", map[string]string{"queue": "q", "schema": "a BIGINT"}, declared); err == nil {
		t.Fatal("columns declared twice were accepted")
	}
	tb, err := catalog.OpenConnector("sqs", map[string]string{"queue": "q"}, declared)
	if err != nil {
		t.Fatal(err)
	}
	defer catalog.ReleaseTable(tb)
	if d := tb.(catalog.Describer).Describe(); d != "sqs queue q (source, json)" {
		t.Fatalf("Describe = %q", d)
	}
	if _, err := tb.Scan(bg, catalog.ScanRequest{}); err == nil {
		t.Fatal("a queue was scanned as a table")
	}
}

func TestNoRegionIsAnError(t *testing.T) {
	credentialEnv(t)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	_, err := catalog.OpenConnector("sqs", map[string]string{"queue": "q", "format": "raw"}, nil)
	if err == nil || !strings.Contains(err.Error(), "no AWS region") {
		t.Fatalf("got %v", err)
	}
	// A queue URL names its region.
	tb, err := catalog.OpenConnector("sqs", map[string]string{"queue": "https://sqs.eu-west-2.amazonaws.com/123456789012/q", "format": "raw"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	catalog.ReleaseTable(tb)
}

func TestParseURI(t *testing.T) {
	for _, c := range []struct {
		uri  string
		want map[string]string
	}{
		{"sqs://events?region=eu-west-1&endpoint=http://127.0.0.1:9324", map[string]string{"queue": "events", "region": "eu-west-1", "endpoint": "http://127.0.0.1:9324"}},
		{"sqs://sqs.us-east-2.amazonaws.com/123456789012/orders.fifo?group_column=user", map[string]string{"queue": "https://sqs.us-east-2.amazonaws.com/123456789012/orders.fifo", "group_column": "user"}},
	} {
		u, _ := url.Parse(c.uri)
		got, err := parseURI(u)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(c.want) {
			t.Fatalf("%s: got %v, want %v", c.uri, got, c.want)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Fatalf("%s: got %v, want %v", c.uri, got, c.want)
			}
		}
	}
	for _, bad := range []string{"sqs://AKID:secret@queue", "sqs:///nohost", "sqs://host/a/b/c", "sqs://q?format=json&format=raw"} {
		u, _ := url.Parse(bad)
		_, err := parseURI(u)
		if err == nil {
			t.Fatalf("%s was accepted", bad)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("%s: the error shows the secret: %v", bad, err)
		}
	}
	if got := regionOf("https://sqs.ap-south-1.amazonaws.com/1/q"); got != "ap-south-1" {
		t.Fatalf("regionOf = %q", got)
	}
}

// OpenURI routes sqs:// to the connector, with type=sink for outputs.
func TestOpenURI(t *testing.T) {
	e := newEnv(t)
	e.create(t, "routed", nil)
	tb, err := catalog.OpenURI("sqs://routed?format=raw&endpoint="+url.QueryEscape(e.endpoint), catalog.RoleSink, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer catalog.ReleaseTable(tb)
	if tb.(*Table).role != catalog.RoleSink {
		t.Fatalf("role %s", tb.(*Table).role)
	}
	// The queue is looked up when the stream opens.
	src, err := catalog.OpenURI("sqs://missing?format=raw&endpoint="+url.QueryEscape(e.endpoint), catalog.RoleSource, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer catalog.ReleaseTable(src)
	_, err = src.(catalog.Streamable).OpenStream(bg, catalog.StreamRequest{Columns: []int{0}})
	if err == nil || !strings.Contains(err.Error(), "NonExistentQueue") || strings.Contains(err.Error(), "test-secret") {
		t.Fatalf("opening a missing queue: %v", err)
	}
}
