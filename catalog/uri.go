package catalog

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// Connector URIs: `streamsql run --input/--output/--dead-letter` name
// streams by URI (kafka://broker:9092/topic?group=g, nats://host/subject,
// sqs://…, pubsub://project/subscription, pipelines+https://…). A
// connector registers its schemes with a parser turning a URI into the
// same options its CREATE TABLE … WITH (…) takes, so both ways of
// configuring it share one validation.

// URIParser turns a connector URI into the connector's options. It must
// not echo secrets (passwords, tokens in the query) into errors: use
// u.Redacted() when naming the URI.
type URIParser func(u *url.URL) (map[string]string, error)

type scheme struct {
	connector string
	parse     URIParser
}

var (
	schemesMu sync.RWMutex
	schemes   = map[string]scheme{}
)

// Roles a URI opens a table for: the "type" option OpenURI passes to the
// connector unless the URI sets one.
const (
	RoleSource = "source"
	RoleSink   = "sink"
)

// RegisterScheme routes URIs of scheme (lower case, e.g. "kafka" or
// "pipelines+https") to connector. Connectors call it from init;
// registering a scheme twice panics, a programming error caught at start.
func RegisterScheme(name, connector string, parse URIParser) {
	schemesMu.Lock()
	defer schemesMu.Unlock()
	name = strings.ToLower(name)
	if _, dup := schemes[name]; dup {
		panic("catalog: URI scheme registered twice: " + name)
	}
	schemes[name] = scheme{connector: connector, parse: parse}
}

// IsConnectorURI reports whether uri has a registered connector scheme.
func IsConnectorURI(uri string) bool {
	i := strings.Index(uri, "://")
	if i <= 0 {
		return false
	}
	schemesMu.RLock()
	defer schemesMu.RUnlock()
	_, ok := schemes[strings.ToLower(uri[:i])]
	return ok
}

// Schemes lists the registered URI schemes, sorted.
func Schemes() []string {
	schemesMu.RLock()
	defer schemesMu.RUnlock()
	var out []string
	for n := range schemes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// OpenURI opens the table a connector URI names, for role (RoleSource or
// RoleSink). schema is the declared columns, nil to let the connector
// infer them (a source) or take the query's (a sink).
func OpenURI(uri, role string, schema *arrow.Schema) (Table, error) {
	u, err := url.Parse(uri)
	if err != nil {
		// url errors quote the whole URI, secrets included.
		return nil, fmt.Errorf("opening %s: malformed URI", redactURI(uri))
	}
	schemesMu.RLock()
	s, ok := schemes[strings.ToLower(u.Scheme)]
	schemesMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("opening %s: unknown scheme %q (have %s)", redacted(u), u.Scheme, strings.Join(Schemes(), ", "))
	}
	opts, err := s.parse(u)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", redacted(u), err)
	}
	if opts == nil {
		opts = map[string]string{}
	}
	if _, set := opts["type"]; !set && role != "" {
		opts["type"] = role
	}
	opts["connector"] = s.connector
	t, err := OpenConnector(s.connector, opts, schema)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", redacted(u), err)
	}
	return t, nil
}

// redacted names u for messages: its user information and the values of query
// parameters that look like secrets (token, password, secret,
// credentials) are masked.
func redacted(u *url.URL) string {
	c := *u
	q := c.Query()
	masked := false
	for k := range q {
		lk := strings.ToLower(k)
		for _, w := range []string{"token", "password", "passwd", "secret", "credential", "creds", "apikey", "api_key"} {
			if strings.Contains(lk, w) && !strings.HasSuffix(lk, "_env") {
				q[k] = []string{"xxxxx"}
				masked = true
			}
		}
	}
	if masked {
		c.RawQuery = q.Encode()
	}
	if c.User != nil {
		// A user name may itself be a secret (a NATS token).
		c.User = url.User("xxxxx")
	}
	return c.String()
}

// redactURI hides the user information of a URI that url.Parse refused.
func redactURI(uri string) string {
	i := strings.Index(uri, "://")
	if i < 0 {
		return "URI"
	}
	rest := uri[i+3:]
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = "xxxxx@" + rest[at+1:]
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest = rest[:q] + "?…"
	}
	return uri[:i+3] + rest
}
