// Package pipelines is the Cloudflare Pipelines sink: a streaming job's
// rows are POSTed as JSON arrays of objects to a stream's HTTP ingest
// endpoint (https://STREAM-ID.ingest.cloudflare.com), with net/http only.
//
//	CREATE TABLE out WITH (connector = 'pipelines', url = 'https://…', key_column = 'user_id')
//	streamsql run job.sql --output 'pipelines+https://STREAM-ID.ingest.cloudflare.com?token_env=CF_TOKEN'
//
// Delivery is at least once, and exactly once for a consumer that drops
// duplicates on the _idempotency_key column every row carries. Write
// buffers rows; PreCommit sends everything buffered and returns once the
// endpoint has accepted it (or it was dead-lettered), so a durable
// checkpoint means its rows were delivered. Rows written after the last
// checkpoint may already have been sent when a job crashes: Restore cannot
// take them back, and the resumed job sends them again under the same
// keys. Keys are "JOB_ID-ORDINAL", the row's position in the job's whole
// output (job_id is drawn at a fresh start and kept in the checkpoint
// state, so a resumed job numbers its rows as the crashed one did), or,
// with idempotency_columns, a hash of those columns' values. Ordinal keys
// assume the job emits its rows in a deterministic order (parallelism 1);
// a job crashing before its first checkpoint restarts under a new job_id
// unless job_id is set.
//
// Requests stay under max_request_bytes (a single larger row is
// dead-lettered). 429 (after its Retry-After), 408, 425, 5xx and network
// errors are retried with exponential backoff and jitter up to
// max_retries and max_elapsed; a 400, 413 or 422 splits the request in
// halves to isolate the offending rows; 401, 403, 404 and 405 fail the
// job (a wrong token or URL would otherwise dead-letter everything); other
// 4xx answers dead-letter the request's rows. Rows that still cannot be
// delivered go to dead_letter with the reason, or fail the job: nothing
// is dropped. Rows of one key_column value are sent in order, one request
// at a time; with concurrency > 1 requests of different keys go in
// parallel.
package pipelines

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

// Table is a Pipelines stream as a write-only table.
type Table struct {
	cfg    *config
	client *http.Client
}

var (
	_ catalog.Table     = (*Table)(nil)
	_ catalog.SinkTable = (*Table)(nil)
	_ catalog.Describer = (*Table)(nil)
)

// factory builds a Table from CREATE TABLE options or a URI's.
func factory(options map[string]string, schema *arrow.Schema) (catalog.Table, error) {
	cfg, err := parseOptions(options)
	if err != nil {
		return nil, fmt.Errorf("creating pipelines table: %w", err)
	}
	if schema != nil && schema.NumFields() > 0 {
		cfg.schema = schema
	}
	return newTable(cfg), nil
}

func newTable(cfg *config) *Table {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = cfg.concurrency
	return &Table{cfg: cfg, client: &http.Client{Transport: tr, Timeout: cfg.requestTimeout}}
}

// Schema implements catalog.Table: the declared columns, or none (the
// query's columns are sent).
func (t *Table) Schema() *arrow.Schema {
	if t.cfg.schema != nil {
		return t.cfg.schema
	}
	return arrow.NewSchema(nil, nil)
}

// Scan implements catalog.Table: a Pipelines stream cannot be read.
func (t *Table) Scan(context.Context, catalog.ScanRequest) (catalog.BatchReader, error) {
	return nil, errors.New("scanning pipelines stream: it can only be written (Cloudflare offers no API to read a stream)")
}

// Describe implements catalog.Describer.
func (t *Table) Describe() string { return "pipelines " + t.cfg.endpoint.Redacted() }

// Release closes idle connections; catalog.ReleaseTable calls it.
func (t *Table) Release() { t.client.CloseIdleConnections() }

// OpenSink implements catalog.SinkTable. The columns (the table's when
// declared, else the query's) must include key_column and
// idempotency_columns, and for format raw a VARCHAR value.
func (t *Table) OpenSink(ctx context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening pipelines sink: %w", err)
	}
	if t.cfg.schema != nil && t.cfg.schema.NumFields() > 0 {
		if t.cfg.schema.NumFields() != schema.NumFields() {
			return nil, fmt.Errorf("opening pipelines sink: the query has %d columns, the table %d", schema.NumFields(), t.cfg.schema.NumFields())
		}
		// INSERT INTO a declared table: rows carry the table's column
		// names, by position, with the query's types.
		fields := make([]arrow.Field, schema.NumFields())
		for i, f := range schema.Fields() {
			f.Name = t.cfg.schema.Field(i).Name
			fields[i] = f
		}
		schema = arrow.NewSchema(fields, nil)
	}
	enc, err := newEncoder(t.cfg, schema)
	if err != nil {
		return nil, fmt.Errorf("opening pipelines sink: %w", err)
	}
	dl, err := openDeadLetter(ctx, t.cfg.deadLetter)
	if err != nil {
		return nil, fmt.Errorf("opening pipelines sink: %w", err)
	}
	s := &sink{
		cfg:     t.cfg,
		enc:     enc,
		send:    &sender{cfg: t.cfg, client: t.client, dead: dl},
		dead:    dl,
		jobID:   t.cfg.jobID,
		lanes:   make([][][]byte, max(t.cfg.concurrency, 1)),
		flushAt: flushFactor * t.cfg.maxRequestBytes,
	}
	return s, nil
}
