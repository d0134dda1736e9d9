package sqs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/planner/types"
)

// protocolSecond is how long one second of SQS time (visibility timeouts,
// wait times) lasts; tests shorten it to match a fake's clock.
var protocolSecond = time.Second

// Metadata columns a source fills from the message, when declared.
const (
	colMessageID = "_message_id"
	colGroupID   = "_group_id"
	colSentTime  = "_sent_timestamp"
)

var metaKinds = map[string]types.Kind{colMessageID: types.Varchar, colGroupID: types.Varchar, colSentTime: types.Timestamp}

// Table is an SQS queue: a stream source or a sink, as its type option
// says. It holds an SDK client; Release closes its idle connections.
type Table struct {
	queue     string // name or URL, as given
	format    string
	role      string
	schema    *arrow.Schema // the table's columns (sources)
	payload   *arrow.Schema // the columns decoded from the payload
	splits    int
	wait, vis int32
	groupCol  string
	dedupCol  string
	retries   int
	client    *sqs.Client

	mu         sync.Mutex
	url        string            // resolved queue URL
	transports []*http.Transport // built for the client
}

var (
	_ catalog.Streamable = (*Table)(nil)
	_ catalog.SinkTable  = (*Table)(nil)
	_ catalog.Describer  = (*Table)(nil)
)

// intOption parses an integer option within [lo, hi].
func intOption(opts map[string]string, name string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(opts[name])
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("option %s %q: want an integer from %d to %d", name, opts[name], lo, hi)
	}
	return n, nil
}

func newTable(opts map[string]string, declared *arrow.Schema) (*Table, error) {
	t := &Table{queue: opts["queue"], format: strings.ToLower(opts["format"]), role: strings.ToLower(opts["type"]),
		groupCol: opts["group_column"], dedupCol: opts["dedup_column"]}
	if t.role != catalog.RoleSource && t.role != catalog.RoleSink {
		return nil, fmt.Errorf("option type %q: want source or sink", opts["type"])
	}
	var err error
	if t.splits, err = intOption(opts, "splits", 1, 64); err != nil {
		return nil, err
	}
	if t.retries, err = intOption(opts, "retries", 1, 100); err != nil {
		return nil, err
	}
	wait, err := intOption(opts, "wait", 1, 20)
	if err != nil {
		return nil, err
	}
	vis, err := intOption(opts, "visibility", 2, 43200)
	if err != nil {
		return nil, err
	}
	t.wait, t.vis = int32(wait), int32(vis)
	if t.role == catalog.RoleSource {
		if err := t.sourceSchema(opts["schema"], declared); err != nil {
			return nil, err
		}
	} else {
		t.schema = arrow.NewSchema(nil, nil)
		if t.format != file.MessageJSON && t.format != file.MessageRaw {
			return nil, fmt.Errorf("option format %q: a sink writes json or raw", opts["format"])
		}
	}
	if err := t.newClient(opts["region"], opts["endpoint"]); err != nil {
		return nil, err
	}
	return t, nil
}

// sourceSchema settles the columns of a source: declared ones, else the
// schema option, else (format raw) the payload as value.
func (t *Table) sourceSchema(option string, declared *arrow.Schema) error {
	switch {
	case declared != nil && declared.NumFields() > 0 && option != "":
		return errors.New("columns declared twice: use either the table's columns or the schema option")
	case declared != nil && declared.NumFields() > 0:
		t.schema = declared
	case option != "":
		s, err := file.ParseColumns(option)
		if err != nil {
			return err
		}
		t.schema = s
	case t.format == file.MessageRaw:
		t.schema = file.RawSchema
	default:
		return fmt.Errorf("declare the columns with schema='name TYPE, …' (SQS cannot show messages without consuming them, so format %s columns cannot be inferred)", t.format)
	}
	var payload []arrow.Field
	for _, f := range t.schema.Fields() {
		k, isMeta := metaKinds[f.Name]
		if !isMeta {
			payload = append(payload, f)
			continue
		}
		if got, err := types.FromField(f); err != nil || got.Kind != k {
			return fmt.Errorf("metadata column %s must be %s", f.Name, types.Type{Kind: k})
		}
	}
	t.payload = arrow.NewSchema(payload, nil)
	d, err := file.NewMessageDecoder(t.format, t.payload, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	d.Release()
	return nil
}

// newClient builds the SDK client: credentials and (unless given) the
// region from the SDK's default chain; a queue URL's host names its
// region.
func (t *Table) newClient(region, endpoint string) error {
	if region == "" {
		region = regionOf(t.queue)
	}
	// The SDK's buildable client, so that AWS_CA_BUNDLE still applies;
	// the transport it builds is kept to close its connections.
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		t.mu.Lock()
		t.transports = append(t.transports, tr)
		t.mu.Unlock()
	})
	loaders := []func(*config.LoadOptions) error{config.WithHTTPClient(hc)}
	if region != "" {
		loaders = append(loaders, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), loaders...)
	if err != nil {
		return fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return errors.New("no AWS region: set the region option or AWS_REGION")
	}
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return errors.New("option endpoint: want http(s)://HOST[:PORT] without credentials")
		}
	}
	t.client = sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		o.HTTPClient = ownedBody{next: o.HTTPClient}
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	return nil
}

// regionOf reads the region from a queue URL's host
// (sqs.REGION.amazonaws.com), "" if it has none.
func regionOf(queue string) string {
	u, err := url.Parse(queue)
	if err != nil || u.Host == "" {
		return ""
	}
	parts := strings.Split(u.Hostname(), ".")
	if len(parts) >= 4 && parts[0] == "sqs" && parts[2] == "amazonaws" {
		return parts[1]
	}
	return ""
}

// queueURL resolves the queue's URL (GetQueueUrl for a name), once.
func (t *Table) queueURL(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.url != "" {
		return t.url, nil
	}
	if strings.Contains(t.queue, "://") {
		t.url = t.queue
		return t.url, nil
	}
	out, err := t.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(t.queue)})
	if err != nil {
		return "", fmt.Errorf("looking up the URL of queue %s: %w", t.queue, err)
	}
	t.url = aws.ToString(out.QueueUrl)
	return t.url, nil
}

// name is the queue's name.
func (t *Table) name() string { return queueLabel(t.queue) }

// fifo reports whether the queue is a FIFO queue.
func (t *Table) fifo() bool { return strings.HasSuffix(t.name(), ".fifo") }

// Schema implements catalog.Table.
func (t *Table) Schema() *arrow.Schema { return t.schema }

// Describe implements catalog.Describer.
func (t *Table) Describe() string {
	return fmt.Sprintf("sqs queue %s (%s, %s)", t.name(), t.role, t.format)
}

// Scan implements catalog.Table: a queue is only read as a stream.
func (t *Table) Scan(context.Context, catalog.ScanRequest) (catalog.BatchReader, error) {
	return nil, fmt.Errorf("scanning sqs queue %s: a queue can only be read as a stream (streamsql run)", t.name())
}

// Release closes the client's idle connections.
func (t *Table) Release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tr := range t.transports {
		tr.CloseIdleConnections()
	}
}
