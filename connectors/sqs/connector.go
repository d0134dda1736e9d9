// Package sqs is the Amazon SQS connector: a queue read as a stream
// (long-polling consumers) or written by a streaming job.
//
// Source. Each split is a poller (option splits, default 1) receiving up
// to 10 messages per long poll. A message is deleted only once the
// checkpoint that covers it is durable (CommitPosition, DeleteMessageBatch);
// until then its visibility timeout is extended (ChangeMessageVisibility-
// Batch) so that a slow checkpoint does not let it reappear. Receipt
// handles do not survive a restart, so the guarantee is at least once:
// after a crash the messages not yet deleted reappear once their
// visibility timeout passes, and Seek with a checkpoint's position is a
// no-op that accepts it. FIFO queues keep each message group in order (a
// group is blocked while its messages wait for the checkpoint, so a group
// advances by at most one receive per checkpoint). SQS offers no way to
// look at messages without consuming them, so the columns must be
// declared (schema= or CREATE TABLE columns) unless format is raw. The
// metadata columns _message_id (VARCHAR), _group_id (VARCHAR) and
// _sent_timestamp (TIMESTAMP) are filled from the message when declared.
// Payloads that do not decode go to the job's dead-letter output with the
// message id, and are deleted at the checkpoint like the others.
//
// Sink. Rows are sent as JSON objects (format json) or as the VARCHAR
// column value (format raw) with SendMessageBatch, at most 10 messages
// and 256 KiB per batch; PreCommit sends everything buffered. Entries a
// batch reports failed are retried with backoff (only those), unless the
// failure is the sender's fault. SQS has no transactions: a standard
// queue gets the rows at least once. A FIFO queue needs group_column; its
// deduplication ids come from dedup_column, or else from the sink's
// checkpointed state and row number, so a job resumed within SQS's
// 5-minute deduplication window that writes the same rows again is
// deduplicated by the queue.
//
// Credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, instance roles); they
// are never options and never appear in errors.
package sqs

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

func init() {
	catalog.RegisterConnector("sqs", factory)
	catalog.RegisterScheme("sqs", "sqs", parseURI)
}

// option documents one WITH (…) option.
type option struct {
	def      string
	required bool
	doc      string
}

// spec lists the connector's options; factory rejects any other.
var spec = map[string]option{
	"connector":    {doc: "sqs"},
	"queue":        {required: true, doc: "queue name, or its URL https://sqs.REGION.amazonaws.com/ACCOUNT/NAME"},
	"region":       {doc: "AWS region (default: from the queue URL, else AWS_REGION / the SDK's config)"},
	"endpoint":     {doc: "service endpoint override, e.g. http://127.0.0.1:9324"},
	"type":         {def: catalog.RoleSource, doc: "source or sink"},
	"format":       {def: "json", doc: "message payload: json, raw (column value) or csv"},
	"schema":       {doc: "payload and metadata columns, e.g. 'id BIGINT, ts TIMESTAMP, _message_id VARCHAR'"},
	"splits":       {def: "1", doc: "source: pollers reading the queue in parallel"},
	"wait":         {def: "20", doc: "source: long-poll seconds per ReceiveMessage (1-20)"},
	"visibility":   {def: "30", doc: "source: visibility timeout (seconds) of received messages, extended until their checkpoint"},
	"group_column": {doc: "sink: column giving the MessageGroupId (required for FIFO queues)"},
	"dedup_column": {doc: "sink, FIFO: column giving the MessageDeduplicationId (default: from the checkpoint state and row number)"},
	"retries":      {def: "5", doc: "sink: attempts for batch entries that failed on the service's side"},
}

// specNames lists the options, sorted, for errors.
func specNames() string {
	names := make([]string, 0, len(spec))
	for n := range spec {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// withDefaults validates options against spec and fills in defaults.
func withDefaults(options map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range options {
		k = strings.ToLower(k)
		if _, ok := spec[k]; !ok {
			return nil, fmt.Errorf("unknown option %q (valid: %s)", k, specNames())
		}
		out[k] = v
	}
	for k, o := range spec {
		if _, set := out[k]; !set {
			if o.required {
				return nil, fmt.Errorf("missing option %q: %s (valid: %s)", k, o.doc, specNames())
			}
			out[k] = o.def
		}
	}
	return out, nil
}

// factory builds a queue table from CREATE TABLE … WITH (…) options.
func factory(options map[string]string, schema *arrow.Schema) (catalog.Table, error) {
	opts, err := withDefaults(options)
	if err != nil {
		return nil, fmt.Errorf("creating sqs table: %w", err)
	}
	t, err := newTable(opts, schema)
	if err != nil {
		return nil, fmt.Errorf("creating sqs table for queue %s: %w", queueLabel(opts["queue"]), err)
	}
	return t, nil
}

// parseURI turns sqs://NAME?region=…&endpoint=… or
// sqs://sqs.REGION.amazonaws.com/ACCOUNT/NAME?… into options; the query's
// parameters are options too.
func parseURI(u *url.URL) (map[string]string, error) {
	if u.User != nil {
		return nil, errors.New("credentials do not belong in an sqs URI: use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an AWS profile")
	}
	opts := map[string]string{}
	for k, vs := range u.Query() {
		if len(vs) != 1 {
			return nil, fmt.Errorf("option %q given %d times", k, len(vs))
		}
		opts[strings.ToLower(k)] = vs[0]
	}
	path := strings.Trim(u.Path, "/")
	switch {
	case u.Host == "":
		return nil, errors.New("no queue: want sqs://QUEUE-NAME?region=… or sqs://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE")
	case path == "":
		opts["queue"] = u.Host
	case strings.Count(path, "/") == 1:
		opts["queue"] = "https://" + u.Host + "/" + path
	default:
		return nil, fmt.Errorf("path %q: want /ACCOUNT/QUEUE", u.Path)
	}
	return opts, nil
}

// queueLabel names a queue in errors: its name, not its whole URL.
func queueLabel(queue string) string {
	if i := strings.LastIndexByte(queue, '/'); i >= 0 {
		return queue[i+1:]
	}
	return queue
}
