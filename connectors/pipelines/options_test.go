package pipelines

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/transforms"
)

func TestOptionsValidation(t *testing.T) {
	ok := "https://abc.ingest.cloudflare.com"
	for _, c := range []struct {
		opts map[string]string
		msg  string
	}{
		{map[string]string{}, "option url is required"},
		{map[string]string{"url": ok, "bogus": "1"}, `unknown option "bogus" (valid: concurrency, connector, dead_letter,`},
		{map[string]string{"url": "ftp://x"}, "want an http(s) URL"},
		{map[string]string{"url": "https://user:pw@x"}, "credentials in the URL"},
		{map[string]string{"url": ok, "type": "source"}, "can only be written"},
		{map[string]string{"url": ok, "format": "csv"}, `format "csv": want json or raw`},
		{map[string]string{"url": ok, "schema": "id"}, "option schema"},
		{map[string]string{"url": ok, "concurrency": "0"}, "option concurrency"},
		{map[string]string{"url": ok, "concurrency": "2"}, "needs key_column"},
		{map[string]string{"url": ok, "max_request_bytes": "big"}, "option max_request_bytes"},
		{map[string]string{"url": ok, "max_retries": "-1"}, "option max_retries"},
		{map[string]string{"url": ok, "max_elapsed": "soon"}, "option max_elapsed"},
		{map[string]string{"url": ok, "retry_backoff": "0s"}, "option retry_backoff"},
	} {
		_, err := catalog.OpenConnector("pipelines", c.opts, nil)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: %v, want %q", c.opts, err, c.msg)
		}
	}
	tbl, err := catalog.OpenConnector("pipelines", map[string]string{"connector": "pipelines", "url": ok, "schema": "id BIGINT, v VARCHAR"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.Schema().NumFields() != 2 || tbl.(catalog.Describer).Describe() != "pipelines "+ok {
		t.Errorf("table %v %q", tbl.Schema(), tbl.(catalog.Describer).Describe())
	}
	if _, err := tbl.Scan(context.Background(), catalog.ScanRequest{}); err == nil || !strings.Contains(err.Error(), "can only be written") {
		t.Errorf("Scan = %v", err)
	}
	ctx := context.Background()
	if _, err := tbl.(catalog.SinkTable).OpenSink(ctx, rowSchema); err == nil || !strings.Contains(err.Error(), "the query has 3 columns, the table 2") {
		t.Errorf("OpenSink with other columns = %v", err)
	}
	for _, c := range []struct {
		opts map[string]string
		msg  string
	}{
		{map[string]string{"key_column": "nope"}, `key_column "nope" is not a column`},
		{map[string]string{"idempotency_columns": "user,zz"}, `idempotency column "zz"`},
		{map[string]string{"format": "raw"}, `column "value" is not a column`},
		{map[string]string{"dead_letter": "/no/such/dir/dl.jsonl"}, "opening dead-letter file"},
		{map[string]string{"dead_letter": "pipelines+http://x?nope=1"}, "opening dead-letter output"},
	} {
		c.opts["url"] = ok
		tbl, err := catalog.OpenConnector("pipelines", c.opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tbl.(catalog.SinkTable).OpenSink(ctx, rowSchema); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("OpenSink %v = %v, want %q", c.opts, err, c.msg)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := tbl.(catalog.SinkTable).OpenSink(cancelled, tbl.Schema()); err == nil {
		t.Error("OpenSink with a cancelled context succeeded")
	}
	raw := arrow.NewSchema([]arrow.Field{{Name: "value", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rt, _ := catalog.OpenConnector("pipelines", map[string]string{"url": ok, "format": "raw"}, nil)
	if _, err := rt.(catalog.SinkTable).OpenSink(ctx, raw); err == nil || !strings.Contains(err.Error(), "want VARCHAR") {
		t.Errorf("raw over BIGINT = %v", err)
	}
}

func TestURIs(t *testing.T) {
	t.Setenv("CF_TOKEN", "t0ken")
	tbl, err := catalog.OpenURI("pipelines+https://abc.ingest.cloudflare.com?token_env=CF_TOKEN&key_column=user", catalog.RoleSink, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := tbl.(*Table)
	if p.cfg.endpoint.String() != "https://abc.ingest.cloudflare.com" || p.cfg.token != "t0ken" || p.cfg.keyColumn != "user" {
		t.Errorf("config %+v", p.cfg)
	}
	tbl, err = catalog.OpenURI("pipelines+http://127.0.0.1:9/path/x", catalog.RoleSink, nil)
	if err != nil || tbl.(*Table).cfg.endpoint.String() != "http://127.0.0.1:9/path/x" {
		t.Errorf("http URI: %v", err)
	}
	for _, c := range []struct{ uri, msg string }{
		{"pipelines+https://abc?token=t0ken", "token in the URI is refused"},
		{"pipelines+https://abc?url=x", "comes from the URI"},
		{"pipelines+https://abc?job_id=a&job_id=b", "given 2 times"},
		{"pipelines+https://u:p@abc", "credentials"},
		{"pipelines+https:///x", "want pipelines+https://"},
		{"pipelines+https://abc?nope=1", `unknown option "nope"`},
	} {
		_, err := catalog.OpenURI(c.uri, catalog.RoleSink, nil)
		// catalog.OpenURI prefixes the URI as given: only the message
		// parseURI adds is checked for the token.
		if err == nil || !strings.Contains(err.Error(), c.msg) || strings.Contains(err.Error()[strings.Index(err.Error(), ": ")+2:], "t0ken") {
			t.Errorf("OpenURI(%s) = %v, want %q", c.uri, err, c.msg)
		}
	}
	if _, err := catalog.OpenURI("pipelines+https://abc", catalog.RoleSource, nil); err == nil || !strings.Contains(err.Error(), "can only be written") {
		t.Errorf("as an input: %v", err)
	}
	// parseURI directly: the scheme decides http or https.
	u, _ := url.Parse("PIPELINES+HTTP://h:1/p?format=raw")
	opts, err := parseURI(u)
	if err != nil || opts["url"] != "http://h:1/p" || opts["format"] != "raw" {
		t.Errorf("parseURI = %v, %v", opts, err)
	}
}

// TestDeadLetterSchema: dead letters sent to a connector have the schema
// the transforms runner gives its own dead-letter sinks.
func TestDeadLetterSchema(t *testing.T) {
	if !deadLetterSchema.Equal(transforms.DeadLetterSchema) {
		t.Errorf("dead-letter schema %v, transforms has %v", deadLetterSchema, transforms.DeadLetterSchema)
	}
}
