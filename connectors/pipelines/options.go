package pipelines

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

func init() {
	catalog.RegisterConnector("pipelines", factory)
	catalog.RegisterScheme("pipelines+https", "pipelines", parseURI)
	catalog.RegisterScheme("pipelines+http", "pipelines", parseURI)
}

// option is one entry of the connector's spec: CREATE TABLE … WITH (…)
// and URI query parameters are validated against it.
type option struct {
	name     string
	def      string // "" when there is no default
	required bool
	doc      string
}

// spec lists every option the connector takes.
var spec = []option{
	{name: "connector", doc: "pipelines"},
	{name: "url", required: true, doc: "ingest endpoint, https://STREAM-ID.ingest.cloudflare.com (any http(s) URL)"},
	{name: "type", def: catalog.RoleSink, doc: "sink (Pipelines streams cannot be read)"},
	{name: "format", def: file.MessageJSON, doc: "json (rows as objects) or raw (a VARCHAR column value holding a JSON object)"},
	{name: "schema", doc: "declared columns, e.g. 'id BIGINT, ts TIMESTAMP' (default: the query's)"},
	{name: "token", doc: "bearer token (prefer token_env: options may be logged)"},
	{name: "token_env", def: "PIPELINES_TOKEN", doc: "environment variable holding the bearer token"},
	{name: "key_column", doc: "rows with the same value of this column are never reordered; with concurrency > 1 requests go in parallel across keys"},
	{name: "concurrency", def: "1", doc: "requests in flight at once (> 1 needs key_column)"},
	{name: "idempotency_columns", doc: "columns whose hash is the _idempotency_key (default: job_id and the row's ordinal in the job's output)"},
	{name: "job_id", doc: "prefix of the ordinal idempotency keys (default: drawn at a fresh start and kept in checkpoints)"},
	{name: "max_request_bytes", def: "1048576", doc: "largest request body; a row above it is dead-lettered"},
	{name: "max_retries", def: "10", doc: "retries of a request failing with 429, 5xx or a network error"},
	{name: "max_elapsed", def: "2m", doc: "longest time spent retrying one request"},
	{name: "retry_backoff", def: "200ms", doc: "first retry delay, doubled each retry (with jitter) up to 30s"},
	{name: "request_timeout", def: "30s", doc: "timeout of one HTTP request"},
	{name: "dead_letter", doc: "where rows that cannot be delivered go: a connector URI or a JSONL file (default: the job fails)"},
}

// maxConcurrency bounds the concurrency option: each lane is a goroutine
// and a connection during a flush.
const maxConcurrency = 64

// config is the validated options.
type config struct {
	endpoint        *url.URL
	token           string
	format          string
	schema          *arrow.Schema // declared, nil for the query's
	keyColumn       string
	concurrency     int
	idemColumns     []string
	jobID           string
	maxRequestBytes int
	maxRetries      int
	maxElapsed      time.Duration
	retryBackoff    time.Duration
	requestTimeout  time.Duration
	deadLetter      string
}

// optionNames lists the valid option names, for errors.
func optionNames() string {
	names := make([]string, len(spec))
	for i, o := range spec {
		names[i] = o.name
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// parseOptions validates options against spec and fills in defaults.
func parseOptions(options map[string]string) (*config, error) {
	vals := map[string]string{}
	for _, o := range spec {
		if o.def != "" {
			vals[o.name] = o.def
		}
	}
	for k, v := range options {
		k = strings.ToLower(k)
		if !knownOption(k) {
			return nil, fmt.Errorf("unknown option %q (valid: %s)", k, optionNames())
		}
		if v != "" {
			vals[k] = v
		}
	}
	for _, o := range spec {
		if o.required && vals[o.name] == "" {
			return nil, fmt.Errorf("option %s is required (%s)", o.name, o.doc)
		}
	}
	if t := strings.ToLower(vals["type"]); t != catalog.RoleSink {
		return nil, fmt.Errorf("type %q: Pipelines streams can only be written (type=sink); Cloudflare offers no API to read one", vals["type"])
	}
	c := &config{format: strings.ToLower(vals["format"]), keyColumn: vals["key_column"], jobID: vals["job_id"], deadLetter: vals["dead_letter"]}
	var err error
	if c.endpoint, err = parseEndpoint(vals["url"]); err != nil {
		return nil, err
	}
	if c.format != file.MessageJSON && c.format != file.MessageRaw {
		return nil, fmt.Errorf("format %q: want json or raw", vals["format"])
	}
	if s := vals["schema"]; s != "" {
		if c.schema, err = file.ParseColumns(s); err != nil {
			return nil, fmt.Errorf("option schema: %w", err)
		}
	}
	c.token = vals["token"]
	if c.token == "" {
		c.token = os.Getenv(vals["token_env"])
	}
	for _, col := range strings.Split(vals["idempotency_columns"], ",") {
		if col = strings.TrimSpace(col); col != "" {
			c.idemColumns = append(c.idemColumns, col)
		}
	}
	ints := []struct {
		name     string
		dst      *int
		min, max int
	}{
		{"concurrency", &c.concurrency, 1, maxConcurrency},
		{"max_request_bytes", &c.maxRequestBytes, 64, 1 << 30},
		{"max_retries", &c.maxRetries, 0, 1000},
	}
	for _, o := range ints {
		n, err := strconv.Atoi(vals[o.name])
		if err != nil || n < o.min || n > o.max {
			return nil, fmt.Errorf("option %s %q: want an integer from %d to %d", o.name, vals[o.name], o.min, o.max)
		}
		*o.dst = n
	}
	durations := []struct {
		name string
		dst  *time.Duration
	}{
		{"max_elapsed", &c.maxElapsed}, {"retry_backoff", &c.retryBackoff}, {"request_timeout", &c.requestTimeout},
	}
	for _, o := range durations {
		d, err := time.ParseDuration(vals[o.name])
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("option %s %q: want a positive duration such as 500ms or 2m", o.name, vals[o.name])
		}
		*o.dst = d
	}
	if c.concurrency > 1 && c.keyColumn == "" {
		return nil, errors.New("option concurrency > 1 needs key_column: requests are parallel only across keys, so that each key's rows keep their order")
	}
	return c, nil
}

// redact hides the token should a response echo it.
func (c *config) redact(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "xxxxx")
}

func knownOption(name string) bool {
	for _, o := range spec {
		if o.name == name {
			return true
		}
	}
	return false
}

// parseEndpoint checks the ingest URL. The URL itself must not carry
// credentials: errors name it.
func parseEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("option url: want an http(s) URL such as https://STREAM-ID.ingest.cloudflare.com")
	}
	if u.User != nil {
		return nil, errors.New("option url: credentials in the URL are not accepted; use token_env")
	}
	return u, nil
}

// parseURI turns pipelines+https://STREAM-ID.ingest.cloudflare.com/PATH?opt=v
// into options: the endpoint is https://STREAM-ID…/PATH and the query
// parameters are the other options. A token is refused in the URI (URIs
// appear in logs and process lists): name its variable with token_env.
func parseURI(u *url.URL) (map[string]string, error) {
	opts := map[string]string{}
	for k, vs := range u.Query() {
		k = strings.ToLower(k)
		switch {
		case k == "token":
			return nil, errors.New("a token in the URI is refused (URIs end up in logs): set PIPELINES_TOKEN or name a variable with token_env")
		case k == "url":
			return nil, errors.New("option url comes from the URI itself")
		case len(vs) != 1:
			return nil, fmt.Errorf("option %s given %d times", k, len(vs))
		}
		opts[k] = vs[0]
	}
	if u.User != nil {
		return nil, errors.New("credentials in the URI are not accepted; use token_env")
	}
	if u.Host == "" {
		return nil, errors.New("want pipelines+https://STREAM-ID.ingest.cloudflare.com")
	}
	endpoint := url.URL{Scheme: strings.TrimPrefix(strings.ToLower(u.Scheme), "pipelines+"), Host: u.Host, Path: u.Path}
	opts["url"] = endpoint.String()
	return opts, nil
}
