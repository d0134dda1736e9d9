package iceberg_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	ice "github.com/apache/iceberg-go"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/streamsql/streamsql/connectors/iceberg"
	"github.com/streamsql/streamsql/connectors/iceberg/rest"
	"github.com/streamsql/streamsql/planner/types"
)

// The credentials of the fake S3: its guard accepts only requests signed
// with s3KeyID (gofakes3 itself checks no signature).
const (
	s3KeyID  = "test-key-id"
	s3Secret = "test-secret-key"
	s3Bucket = "lake"
)

// remote is an in-process stand-in for R2 Data Catalog: gofakes3 (s3mem)
// as the S3 endpoint and rest.NewHandler over a SQL catalog whose
// warehouse is s3://lake/wh, so the server's metadata goes to the fake S3
// too. Both are plain-HTTP httptest servers (gofakes3 over TLS stores
// unknown-length uploads with their chunk framing).
type remote struct {
	S3URL      string
	CatalogURL string
	Token      string
}

// startRemote starts the fake S3 and the REST catalog (with opts; a Token
// is set when opts has none).
func startRemote(t *testing.T, opts rest.Options) *remote {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(s3Bucket); err != nil {
		t.Fatal(err)
	}
	s3 := httptest.NewServer(requireKey(s3KeyID, gofakes3.New(backend).Server()))
	t.Cleanup(s3.Close)

	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "catalog.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := sqlcat.NewCatalog("server", db, sqlcat.SQLite, ice.Properties{
		"warehouse": "s3://" + s3Bucket + "/wh", "s3.endpoint": s3.URL, "s3.region": "auto",
		"s3.access-key-id": s3KeyID, "s3.secret-access-key": s3Secret,
	})
	if err != nil {
		t.Fatal(err)
	}
	if opts.Token == "" {
		opts.Token = "catalog-token-1234"
	}
	srv := httptest.NewServer(rest.NewHandler(cat, opts))
	t.Cleanup(func() {
		srv.Close()
		cat.Close()
		db.Close()
	})
	return &remote{S3URL: s3.URL, CatalogURL: srv.URL, Token: opts.Token}
}

// requireKey answers 403 to S3 requests not signed with access key id.
func requireKey(id string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Authorization"), "Credential="+id+"/") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>unknown key</Message></Error>`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// options are the client options of the remote: token, S3 endpoint, keys.
func (r *remote) options() iceberg.CatalogOptions {
	return iceberg.CatalogOptions{Token: r.Token, S3Endpoint: r.S3URL,
		S3AccessKeyID: s3KeyID, S3SecretAccessKey: s3Secret}
}

// open opens the remote catalog as a Warehouse, closed at cleanup.
func (r *remote) open(t *testing.T) *iceberg.Warehouse {
	t.Helper()
	w, err := iceberg.OpenCatalog(context.Background(), r.CatalogURL, r.options())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	})
	return w
}

// eventSchema is the rows the remote tests write: topic, timestamp, id.
var eventSchema = arrow.NewSchema([]arrow.Field{
	{Name: "topic", Type: types.VarcharType.ArrowType(), Nullable: true},
	{Name: "timestamp", Type: types.TimestampType.ArrowType(), Nullable: true},
	{Name: "id", Type: types.BigintType.ArrowType(), Nullable: true},
}, nil)

const hourMicros = int64(3600 * 1e6)

// baseMicros is 2026-03-01 00:00:00 UTC in µs.
const baseMicros = int64(1772323200) * 1e6

// events builds a batch of n events with ids from first, all in topic and
// hour h (hours after baseMicros).
func events(mem memory.Allocator, topic string, h, first, n int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, eventSchema)
	defer b.Release()
	for i := range n {
		b.Field(0).(*array.StringBuilder).Append(topic)
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(baseMicros + h*hourMicros + i))
		b.Field(2).(*array.Int64Builder).Append(first + i)
	}
	return b.NewRecordBatch()
}
