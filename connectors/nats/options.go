package nats

import (
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

// option is one entry of a connector's spec: CREATE TABLE … WITH (…) and
// URI query parameters are validated against it.
type option struct {
	name     string
	def      string // "" when there is no default
	required bool
	doc      string
}

// commonSpec holds the options both connectors take.
var commonSpec = []option{
	{name: "connector", doc: "nats or jetstream"},
	{name: "type", def: catalog.RoleSource, doc: "source or sink"},
	{name: "servers", def: "nats://127.0.0.1:4222", doc: "comma-separated server URLs (user:password@ allowed)"},
	{name: "format", def: file.MessageJSON, doc: "json, raw (a VARCHAR column value) or csv"},
	{name: "schema", doc: "declared columns, e.g. 'id BIGINT, ts TIMESTAMP'"},
	{name: "token", doc: "auth token (default: $NATS_TOKEN)"},
	{name: "creds", doc: "credentials file (default: $NATS_CREDS)"},
	{name: "subject_column", doc: "sink: a VARCHAR column naming each row's subject"},
}

// coreSpec lists the options of connector nats (core NATS).
var coreSpec = append([]option{
	{name: "subject", doc: "source (required): subject to subscribe to (* and > wildcards); sink: subject to publish to"},
	{name: "queue", doc: "source: queue group, to share the subject's messages among several jobs"},
}, commonSpec...)

// jetStreamSpec lists the options of connector jetstream.
var jetStreamSpec = append([]option{
	{name: "stream", required: true, doc: "the JetStream stream"},
	{name: "consumer", doc: "source: durable pull consumer, created if missing (default: streamsql)"},
	{name: "subject", doc: "source: filter subject of a created consumer; sink: subject to publish to"},
	{name: "ack_wait", def: "30s", doc: "source: AckWait of a created consumer"},
	{name: "ack_policy", def: "explicit", doc: "source: AckPolicy of a created consumer: explicit (one ack per message) or all (one ack per checkpoint; faster)"},
	{name: "max_ack_pending", def: "1000000", doc: "source: MaxAckPending of a created consumer: the most messages read between two checkpoints"},
	{name: "sample", def: "100", doc: "source: messages peeked to infer the columns when none are declared"},
	{name: "msg_id", doc: "sink: column whose value is the Nats-Msg-Id (default: job id and row ordinal)"},
}, commonSpec...)

// config is the validated options of either connector.
type config struct {
	jetStream     bool
	sink          bool
	servers       string
	format        string
	schema        *arrow.Schema // declared, nil when not
	token         string
	creds         string
	subject       string
	subjectColumn string
	queue         string
	stream        string
	consumer      string
	ackWait       time.Duration
	ackPolicy     jetstream.AckPolicy
	maxAckPending int
	sample        int
	msgID         string
}

// optionNames lists the valid option names, for errors.
func optionNames(spec []option) string {
	names := make([]string, len(spec))
	for i, o := range spec {
		names[i] = o.name
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// parseOptions validates options against spec and fills in defaults.
func parseOptions(options map[string]string, jetStream bool) (*config, error) {
	spec := coreSpec
	if jetStream {
		spec = jetStreamSpec
	}
	vals := map[string]string{}
	for _, o := range spec {
		if o.def != "" {
			vals[o.name] = o.def
		}
	}
	for k, v := range options {
		k = strings.ToLower(k)
		if !known(spec, k) {
			return nil, fmt.Errorf("unknown option %q (valid: %s)", k, optionNames(spec))
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
	c := &config{
		jetStream: jetStream, servers: vals["servers"], format: strings.ToLower(vals["format"]),
		token: vals["token"], creds: vals["creds"], subject: vals["subject"], subjectColumn: vals["subject_column"],
		queue: vals["queue"], stream: vals["stream"], consumer: vals["consumer"], msgID: vals["msg_id"],
	}
	switch strings.ToLower(vals["type"]) {
	case catalog.RoleSource:
	case catalog.RoleSink:
		c.sink = true
	default:
		return nil, fmt.Errorf("option type %q: want source or sink", vals["type"])
	}
	if c.token == "" {
		c.token = os.Getenv("NATS_TOKEN")
	}
	if c.creds == "" {
		c.creds = os.Getenv("NATS_CREDS")
	}
	if err := c.checkFormat(vals["schema"]); err != nil {
		return nil, err
	}
	if err := c.checkRole(); err != nil {
		return nil, err
	}
	if jetStream {
		if err := c.parseJetStream(vals); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func known(spec []option, name string) bool {
	for _, o := range spec {
		if o.name == name {
			return true
		}
	}
	return false
}

// checkFormat validates format and the declared schema.
func (c *config) checkFormat(schema string) error {
	ok := false
	for _, f := range file.MessageFormats {
		ok = ok || f == c.format
	}
	if !ok {
		return fmt.Errorf("option format %q: want %s", c.format, strings.Join(file.MessageFormats, ", "))
	}
	if schema != "" {
		s, err := file.ParseColumns(schema)
		if err != nil {
			return fmt.Errorf("option schema: %w", err)
		}
		c.schema = s
	}
	return nil
}

// checkRole rejects options that do not apply to the table's role.
func (c *config) checkRole() error {
	if c.sink {
		if c.queue != "" {
			return fmt.Errorf("option queue applies to sources only")
		}
		if c.subject == "" && c.subjectColumn == "" {
			return fmt.Errorf("a sink needs option subject or subject_column")
		}
		if c.subject != "" && strings.ContainsAny(c.subject, "*>") {
			return fmt.Errorf("option subject %q: a sink publishes to one subject, without wildcards", c.subject)
		}
		return nil
	}
	if c.subjectColumn != "" || c.msgID != "" {
		return fmt.Errorf("options subject_column and msg_id apply to sinks only")
	}
	if !c.jetStream && c.subject == "" {
		return fmt.Errorf("option subject is required: the subject to subscribe to")
	}
	return nil
}

// parseJetStream validates the JetStream options.
func (c *config) parseJetStream(vals map[string]string) error {
	if strings.ContainsAny(c.stream, ">*. /\\") {
		return fmt.Errorf("option stream %q: not a valid stream name", c.stream)
	}
	if c.consumer == "" {
		c.consumer = "streamsql"
	}
	if strings.ContainsAny(c.consumer, ">*. /\\") {
		return fmt.Errorf("option consumer %q: not a valid consumer name", c.consumer)
	}
	d, err := time.ParseDuration(vals["ack_wait"])
	if err != nil || d < time.Millisecond {
		return fmt.Errorf("option ack_wait %q: want a duration of at least 1ms, e.g. 30s", vals["ack_wait"])
	}
	c.ackWait = d
	switch strings.ToLower(vals["ack_policy"]) {
	case "explicit":
		c.ackPolicy = jetstream.AckExplicitPolicy
	case "all":
		c.ackPolicy = jetstream.AckAllPolicy
	default:
		return fmt.Errorf("option ack_policy %q: want explicit or all", vals["ack_policy"])
	}
	ints := []struct {
		name     string
		dst      *int
		min, max int
	}{
		{"max_ack_pending", &c.maxAckPending, 1, 10_000_000},
		{"sample", &c.sample, 1, 100_000},
	}
	for _, o := range ints {
		n, err := strconv.Atoi(vals[o.name])
		if err != nil || n < o.min || n > o.max {
			return fmt.Errorf("option %s %q: want an integer from %d to %d", o.name, vals[o.name], o.min, o.max)
		}
		*o.dst = n
	}
	return nil
}

// redactServers names the servers without their user information, for
// errors.
func redactServers(servers string) string {
	parts := strings.Split(servers, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if u, err := url.Parse(p); err == nil {
			if u.User != nil {
				u.User = url.User("xxxxx") // a user name may be a token
			}
			parts[i] = u.String()
		} else {
			parts[i] = "(malformed URL)"
		}
	}
	return strings.Join(parts, ",")
}
