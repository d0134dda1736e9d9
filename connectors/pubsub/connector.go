// Package pubsub is the Google Cloud Pub/Sub connector: a subscription as
// a stream source, a topic as a sink, through the official client
// (cloud.google.com/go/pubsub/v2).
//
// Source: each split pulls (unary Pull, not streaming pull: it keeps
// acknowledgement under the runtime's control) and acknowledges a message
// only once the checkpoint covering it is durable (CommitPosition); until
// then the reader extends the messages' ack deadlines. Pub/Sub cannot
// replay an acknowledged message, and an unacknowledged one comes back
// after a crash: delivery is at least once. With an ordering-enabled
// subscription and one split, messages of one ordering key keep their
// order; the service may hold a key's next messages until the earlier ones
// are acknowledged (the emulator releases one at a time), so per-key
// throughput can follow the checkpoint interval. Undecodable payloads go to the dead-letter output with the
// message id, and are acknowledged with the checkpoint like the rest.
//
// Sink: rows are published as JSON objects, with attributes from a JSON
// column (attributes_column) and an ordering key from a column
// (ordering_key_column); PreCommit waits for every publish to be
// confirmed. Each message carries the attribute streamsql-id, "<epoch>-<n>"
// (the n-th row of the epoch), so a replay after a restart — at least
// once — is recognisable downstream.
//
// Registered as connector "pubsub" and URI scheme pubsub://PROJECT/NAME
// (NAME a subscription for a source, a topic for a sink) with the options
// below as query parameters. The emulator (PUBSUB_EMULATOR_HOST) and the
// endpoint option point it at a local server.
package pubsub

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

func init() {
	catalog.RegisterConnector("pubsub", factory)
	catalog.RegisterScheme("pubsub", "pubsub", parseURI)
}

// spec lists the options and what they default to ("" required-if-noted).
var spec = map[string]string{
	"connector":           "pubsub",
	"type":                "source (or sink)",
	"project":             "the Google Cloud project (required)",
	"subscription":        "the subscription a source pulls (required for a source)",
	"topic":               "the topic a sink publishes to (required for a sink)",
	"format":              "json (or raw, csv)",
	"schema":              "the columns, e.g. 'id BIGINT, ts TIMESTAMP' (required for json and csv sources unless declared by CREATE TABLE)",
	"splits":              "1: concurrent pullers",
	"ack_extension":       "30s: how far each deadline extension reaches",
	"endpoint":            "the service address (default: Google's, or PUBSUB_EMULATOR_HOST)",
	"ordering_key_column": "a sink column whose value is the message's ordering key",
	"attributes_column":   "a sink column holding a JSON object of string attributes",
}

// options are the validated settings of a table.
type options struct {
	role, project, subscription, topic, format, endpoint string
	orderingCol, attrsCol                                string
	splits                                               int
	ackExtension                                         time.Duration
}

func parseOptions(m map[string]string) (options, error) {
	var bad []string
	for k := range m {
		if _, ok := spec[k]; !ok {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return options{}, fmt.Errorf("unknown option %s (valid: %s)", strings.Join(bad, ", "), validOptions())
	}
	o := options{role: strings.ToLower(m["type"]), project: m["project"], subscription: m["subscription"], topic: m["topic"],
		format: strings.ToLower(m["format"]), endpoint: m["endpoint"], orderingCol: m["ordering_key_column"],
		attrsCol: m["attributes_column"], splits: 1, ackExtension: 30 * time.Second}
	if o.role == "" {
		o.role = catalog.RoleSource
	}
	if o.format == "" {
		o.format = file.MessageJSON
	}
	if o.project == "" {
		return o, fmt.Errorf("missing option project (valid: %s)", validOptions())
	}
	switch o.role {
	case catalog.RoleSource:
		if o.subscription == "" {
			return o, fmt.Errorf("missing option subscription (valid: %s)", validOptions())
		}
	case catalog.RoleSink:
		if o.topic == "" {
			return o, fmt.Errorf("missing option topic (valid: %s)", validOptions())
		}
	default:
		return o, fmt.Errorf("type %q: want source or sink", o.role)
	}
	if v := m["splits"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 64 {
			return o, fmt.Errorf("splits %q: want an integer from 1 to 64", v)
		}
		o.splits = n
	}
	if v := m["ack_extension"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Second || d > 600*time.Second {
			return o, fmt.Errorf("ack_extension %q: want a duration from 10s to 600s", v)
		}
		o.ackExtension = d
	}
	return o, nil
}

func validOptions() string {
	keys := make([]string, 0, len(spec))
	for k := range spec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// factory builds a source or sink table from CREATE TABLE options.
func factory(m map[string]string, schema *arrow.Schema) (catalog.Table, error) {
	o, err := parseOptions(m)
	if err != nil {
		return nil, fmt.Errorf("creating pubsub table: %w", err)
	}
	if o.role == catalog.RoleSink {
		return &SinkTable{o: o, schema: schema}, nil
	}
	if schema == nil {
		if v := m["schema"]; v != "" {
			if schema, err = file.ParseColumns(v); err != nil {
				return nil, fmt.Errorf("creating pubsub table: %w", err)
			}
		} else if o.format == file.MessageRaw {
			schema = file.RawSchema
		} else {
			return nil, errors.New("creating pubsub table: Pub/Sub messages cannot be sampled without consuming them; declare the columns (schema='id BIGINT, ts TIMESTAMP' or CREATE TABLE t (…))")
		}
	}
	return newSource(o, schema)
}

// parseURI reads pubsub://PROJECT/NAME?option=value….
func parseURI(u *url.URL) (map[string]string, error) {
	m := map[string]string{}
	for k, v := range u.Query() {
		m[strings.ToLower(k)] = v[len(v)-1]
	}
	name := strings.Trim(u.Path, "/")
	if u.Host == "" || name == "" || strings.Contains(name, "/") {
		return nil, errors.New("want pubsub://PROJECT/SUBSCRIPTION (a source) or pubsub://PROJECT/TOPIC (a sink)")
	}
	// The role (set after parsing) picks which of the two the table uses.
	m["project"], m["subscription"], m["topic"] = u.Host, name, name
	return m, nil
}
