package kafka

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

// Roles an option applies to.
const (
	forBoth   = ""
	forSource = catalog.RoleSource
	forSink   = catalog.RoleSink
)

// option documents one WITH (…) option (or URI query parameter).
type option struct {
	name     string
	def      string // default; "" means none
	required bool
	role     string // forBoth, forSource or forSink
	doc      string
}

// spec is every option the connector takes; anything else is an error
// listing these.
var spec = []option{
	{name: "connector", doc: "kafka"},
	{name: "type", def: "source", doc: "source or sink"},
	{name: "brokers", required: true, doc: "seed brokers, host:port[,host:port]"},
	{name: "topic", required: true, doc: "the topic read or written"},
	{name: "format", def: "json", doc: "message format: json, raw or csv (csv for sources only)"},
	{name: "schema", role: forSource, doc: "payload columns, e.g. 'id BIGINT, ts TIMESTAMP' (default: sampled from the topic)"},
	{name: "group", role: forSource, doc: "consumer group whose committed offsets the source starts from and commits to after each checkpoint"},
	{name: "start", role: forSource, doc: "earliest, latest, committed or an RFC 3339 time (default: committed with a group, else earliest)"},
	{name: "partitions", role: forSource, doc: "the partitions to read, e.g. '0,1,2' (default: all)"},
	{name: "isolation", def: "read_committed", role: forSource, doc: "read_committed or read_uncommitted"},
	{name: "metadata", role: forSource, doc: "metadata columns added to a sampled schema: all or a list of _topic, _partition, _offset, _key, _headers, _timestamp"},
	{name: "sample", def: "100", role: forSource, doc: "messages sampled to infer the schema"},
	{name: "key", role: forSink, doc: "column whose value is the record key"},
	{name: "headers", role: forSink, doc: "JSON-object column whose entries become record headers (left out of the value)"},
	{name: "transactional_id", role: forSink, doc: "makes the sink exactly once through Kafka transactions bound to checkpoints"},
	{name: "transaction_timeout", def: "1m", role: forSink, doc: "how long the broker keeps an open transaction of a dead job"},
	{name: "client_id", def: "streamsql", doc: "client id sent to the brokers"},
	{name: "sasl_mechanism", doc: "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"},
	{name: "sasl_username", doc: "SASL user"},
	{name: "sasl_password", doc: "SASL password (default: the KAFKA_PASSWORD environment variable)"},
	{name: "tls", def: "false", doc: "true to connect over TLS (system roots, or tls_ca)"},
	{name: "tls_ca", doc: "PEM file of the CA to trust for TLS"},
}

// passwordEnv names the environment variable holding the SASL password
// when the options do not.
const passwordEnv = "KAFKA_PASSWORD"

// optionNames lists the options, for errors.
func optionNames() string {
	names := make([]string, len(spec))
	for i, o := range spec {
		names[i] = o.name
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// config is the validated options.
type config struct {
	role       string
	brokers    []string
	topic      string
	format     string
	schema     *arrow.Schema // the schema option, nil if unset
	group      string
	start      string // earliest, latest, committed or time
	startMilli int64  // for start=time
	partitions []int32
	committed  bool // read_committed
	metadata   []string
	sample     int

	key, headers string
	txnID        string
	txnTimeout   time.Duration

	clientID      string
	saslMechanism string
	saslUser      string
	saslPassword  string // never printed
	tls           bool
	tlsCA         string
}

// Start modes.
const (
	startEarliest  = "earliest"
	startLatest    = "latest"
	startCommitted = "committed"
	startTime      = "time"
)

// parseConfig validates options against spec.
func parseConfig(options map[string]string) (*config, error) {
	known := map[string]option{}
	for _, o := range spec {
		known[o.name] = o
	}
	v := map[string]string{}
	for k, val := range options {
		k = strings.ToLower(k)
		if _, ok := known[k]; !ok {
			return nil, fmt.Errorf("unknown option %q (valid: %s)", k, optionNames())
		}
		v[k] = val
	}
	c := &config{role: strings.ToLower(get(v, "type"))}
	if c.role != forSource && c.role != forSink {
		return nil, fmt.Errorf("option type %q: want source or sink", c.role)
	}
	for _, o := range spec {
		_, set := v[o.name]
		if o.required && strings.TrimSpace(v[o.name]) == "" {
			return nil, fmt.Errorf("missing option %s (%s)", o.name, o.doc)
		}
		if set && o.role != forBoth && o.role != c.role {
			return nil, fmt.Errorf("option %s applies to a %s, not a %s", o.name, o.role, c.role)
		}
	}
	for _, b := range strings.Split(v["brokers"], ",") {
		if b = strings.TrimSpace(b); b != "" {
			c.brokers = append(c.brokers, b)
		}
	}
	c.topic = v["topic"]
	c.format = strings.ToLower(get(v, "format"))
	switch c.format {
	case file.MessageJSON, file.MessageRaw:
	case file.MessageCSV:
		if c.role == forSink {
			return nil, errors.New("option format csv: a sink writes json or raw")
		}
	default:
		return nil, fmt.Errorf("option format %q: want one of %s", c.format, strings.Join(file.MessageFormats, ", "))
	}
	if s := v["schema"]; s != "" {
		var err error
		if c.schema, err = file.ParseColumns(s); err != nil {
			return nil, fmt.Errorf("option schema: %w", err)
		}
	}
	if err := c.parseSource(v); err != nil {
		return nil, err
	}
	if err := c.parseSink(v); err != nil {
		return nil, err
	}
	return c, c.parseAuth(v)
}

// get returns an option or its default.
func get(v map[string]string, name string) string {
	if s, ok := v[name]; ok {
		return s
	}
	for _, o := range spec {
		if o.name == name {
			return o.def
		}
	}
	return ""
}

func (c *config) parseSource(v map[string]string) error {
	c.group = v["group"]
	c.start = strings.ToLower(v["start"])
	switch c.start {
	case "":
		c.start = startEarliest
		if c.group != "" {
			c.start = startCommitted
		}
	case startEarliest, startLatest:
	case startCommitted:
		if c.group == "" {
			return errors.New("option start=committed needs a group")
		}
	default:
		t, err := time.Parse(time.RFC3339Nano, v["start"])
		if err != nil {
			return fmt.Errorf("option start %q: want earliest, latest, committed or an RFC 3339 time such as 2026-01-01T00:00:00Z", v["start"])
		}
		c.start, c.startMilli = startTime, t.UnixMilli()
	}
	if s := strings.TrimSpace(v["partitions"]); s != "" {
		seen := map[int32]bool{}
		for _, p := range strings.Split(s, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
			if err != nil || n < 0 || seen[int32(n)] {
				return fmt.Errorf("option partitions %q: want distinct partition numbers such as 0,1,2", s)
			}
			seen[int32(n)] = true
			c.partitions = append(c.partitions, int32(n))
		}
	}
	switch iso := get(v, "isolation"); strings.ToLower(iso) {
	case "read_committed":
		c.committed = true
	case "read_uncommitted":
	default:
		return fmt.Errorf("option isolation %q: want read_committed or read_uncommitted", iso)
	}
	if s := strings.TrimSpace(v["metadata"]); s != "" {
		if strings.EqualFold(s, "all") {
			for _, m := range metaColumns {
				c.metadata = append(c.metadata, m.name)
			}
		} else {
			for _, m := range strings.Split(s, ",") {
				m = strings.ToLower(strings.TrimSpace(m))
				if _, ok := metaKindOf(m); !ok {
					return fmt.Errorf("option metadata %q: %q is not one of all, %s", s, m, strings.Join(metaNames(), ", "))
				}
				c.metadata = append(c.metadata, m)
			}
		}
	}
	n, err := strconv.Atoi(get(v, "sample"))
	if err != nil || n < 1 {
		return fmt.Errorf("option sample %q: want a positive number of messages", get(v, "sample"))
	}
	c.sample = n
	return nil
}

func (c *config) parseSink(v map[string]string) error {
	c.key, c.headers, c.txnID = v["key"], v["headers"], v["transactional_id"]
	d, err := time.ParseDuration(get(v, "transaction_timeout"))
	if err != nil || d <= 0 {
		return fmt.Errorf("option transaction_timeout %q: want a duration such as 1m", get(v, "transaction_timeout"))
	}
	c.txnTimeout = d
	return nil
}

func (c *config) parseAuth(v map[string]string) error {
	c.clientID = get(v, "client_id")
	c.saslMechanism = strings.ToUpper(v["sasl_mechanism"])
	c.saslUser = v["sasl_username"]
	c.saslPassword = v["sasl_password"]
	if c.saslPassword == "" {
		c.saslPassword = os.Getenv(passwordEnv)
	}
	switch c.saslMechanism {
	case "":
		if c.saslUser != "" {
			return errors.New("option sasl_username needs sasl_mechanism (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)")
		}
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if c.saslUser == "" {
			return fmt.Errorf("sasl_mechanism %s needs sasl_username (and a password in sasl_password or %s)", c.saslMechanism, passwordEnv)
		}
	default:
		return fmt.Errorf("option sasl_mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.saslMechanism)
	}
	switch tls := strings.ToLower(get(v, "tls")); tls {
	case "true", "1", "yes":
		c.tls = true
	case "false", "0", "no", "":
	default:
		return fmt.Errorf("option tls %q: want true or false", tls)
	}
	c.tlsCA = v["tls_ca"]
	if c.tlsCA != "" {
		c.tls = true
	}
	return nil
}
