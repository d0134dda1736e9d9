package iceberg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
)

func TestResolveCatalogURI(t *testing.T) {
	const r2 = "https://catalog.cloudflarestorage.com/acc123/lake"
	for _, c := range []struct {
		uri        string
		in         CatalogOptions
		want       string
		warehouse  string
		s3Endpoint string
	}{
		{"r2://acc123/lake", CatalogOptions{}, r2, "acc123_lake", "https://acc123.r2.cloudflarestorage.com"},
		{"r2://acc123/lake/", CatalogOptions{}, r2, "acc123_lake", "https://acc123.r2.cloudflarestorage.com"},
		{r2 + "/", CatalogOptions{}, r2, "acc123_lake", "https://acc123.r2.cloudflarestorage.com"},
		// Explicit settings win over the R2 defaults.
		{"r2://acc123/lake", CatalogOptions{Warehouse: "w", S3Endpoint: "http://127.0.0.1:9000"}, r2, "w", "http://127.0.0.1:9000"},
		// Any other REST catalog is used as given, with no defaults.
		{"http://127.0.0.1:8181", CatalogOptions{}, "http://127.0.0.1:8181", "", ""},
		{"https://polaris.example.com/api/catalog", CatalogOptions{Warehouse: "prod"}, "https://polaris.example.com/api/catalog", "prod", ""},
	} {
		got, opts, err := ResolveCatalogURI(c.uri, c.in)
		if err != nil {
			t.Errorf("%s: %v", c.uri, err)
			continue
		}
		if got != c.want || opts.Warehouse != c.warehouse || opts.S3Endpoint != c.s3Endpoint {
			t.Errorf("%s: got %s, warehouse %q, endpoint %q", c.uri, got, opts.Warehouse, opts.S3Endpoint)
		}
	}
	for _, c := range []struct{ uri, want string }{
		{"r2://acc123", "want r2://ACCOUNT_ID/BUCKET"},
		{"r2:///lake", "want r2://ACCOUNT_ID/BUCKET"},
		{"r2://acc/a/b", "want r2://ACCOUNT_ID/BUCKET"},
		{"s3://bucket/wh", "want r2://ACCOUNT_ID/BUCKET or an http(s)"},
		{"catalog.example.com", "want r2://ACCOUNT_ID/BUCKET or an http(s)"},
		{"https://user:hunter2@catalog.example.com", "credentials in the URI are not accepted"},
		{"http://[::1", "parsing catalog URI"},
	} {
		_, _, err := ResolveCatalogURI(c.uri, CatalogOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: got %v, want %q", c.uri, err, c.want)
		}
	}
}

func TestCatalogOptionsFromEnv(t *testing.T) {
	for _, k := range []string{EnvCatalogToken, EnvR2CatalogToken, EnvS3Endpoint, EnvS3Region, EnvS3Compat, EnvAccessKeyID,
		EnvSecretAccessKey, EnvR2AccessKeyID, EnvR2SecretAccessKey} {
		t.Setenv(k, "")
	}
	if o := CatalogOptionsFromEnv(); o != (CatalogOptions{}) {
		t.Fatalf("empty environment: %+v", o)
	}
	t.Setenv(EnvR2CatalogToken, "r2tok")
	t.Setenv(EnvR2AccessKeyID, "r2id")
	t.Setenv(EnvR2SecretAccessKey, "r2secret")
	t.Setenv(EnvS3Endpoint, "http://s3.local")
	want := CatalogOptions{Token: "r2tok", S3Endpoint: "http://s3.local", S3AccessKeyID: "r2id", S3SecretAccessKey: "r2secret"}
	if o := CatalogOptionsFromEnv(); o != want {
		t.Fatalf("R2 fallbacks: %+v", o)
	}
	t.Setenv(EnvCatalogToken, "tok")
	t.Setenv(EnvAccessKeyID, "awsid")
	t.Setenv(EnvSecretAccessKey, "awssecret")
	t.Setenv(EnvS3Region, "eu-west-1")
	t.Setenv(EnvS3Compat, "TRUE")
	want = CatalogOptions{Token: "tok", S3Endpoint: "http://s3.local", S3Region: "eu-west-1",
		S3AccessKeyID: "awsid", S3SecretAccessKey: "awssecret", S3CompatMode: true}
	if o := CatalogOptionsFromEnv(); o != want {
		t.Fatalf("preferred names: %+v", o)
	}
}

func TestS3Props(t *testing.T) {
	p := s3Props(CatalogOptions{})
	if p["s3.region"] != DefaultS3Region || p["s3.force-virtual-addressing"] != "false" || p["s3.endpoint"] != "" ||
		p["s3.access-key-id"] != "" || p["s3.compat-mode"] != "" {
		t.Errorf("defaults: %v", p)
	}
	p = s3Props(CatalogOptions{S3Region: "eu-west-1", S3Endpoint: "http://e", S3AccessKeyID: "id", S3SecretAccessKey: "s",
		S3VirtualHosted: true, S3CompatMode: true})
	if p["s3.region"] != "eu-west-1" || p["s3.force-virtual-addressing"] != "true" || p["s3.endpoint"] != "http://e" || p["s3.compat-mode"] != "true" ||
		p["s3.access-key-id"] != "id" || p["s3.secret-access-key"] != "s" {
		t.Errorf("set: %v", p)
	}
}

func TestRedact(t *testing.T) {
	if redact(nil, []string{"x"}) != nil {
		t.Fatal("nil error redacted to non-nil")
	}
	base := fmt.Errorf("request with tok-123 and key-9: %w", fs.ErrPermission) // key-9876 is not in it; "e" is too short
	err := redact(base, []string{"", "e", "tok-123", "key-9876"})
	if got := err.Error(); got != "request with [redacted] and key-9: permission denied" {
		t.Errorf("redacted text %q", got)
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Error("redaction lost the wrapped error")
	}
	if clean := errors.New("no secret here"); redact(clean, []string{"tok-123"}) != clean {
		t.Error("an error without secrets was rewrapped")
	}
}

// OpenCatalog refuses bad URIs and reports an unreachable catalog with
// its URI; neither error carries the token.
func TestOpenCatalogFaults(t *testing.T) {
	ctx := context.Background()
	if _, err := OpenCatalog(ctx, "s3://bucket", CatalogOptions{Token: "sekret-1"}); err == nil || !strings.Contains(err.Error(), "opening catalog") {
		t.Errorf("bad scheme: %v", err)
	}
	_, err := OpenCatalog(ctx, "http://127.0.0.1:1", CatalogOptions{Token: "sekret-1"})
	if err == nil || !strings.Contains(err.Error(), "opening catalog http://127.0.0.1:1") || strings.Contains(err.Error(), "sekret-1") {
		t.Errorf("unreachable: %v", err)
	}
}

func TestConnectorCatalogOptions(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"table": "ns.t", "warehouse": dir, "catalog": "http://127.0.0.1:1"}, "mutually exclusive"},
		{map[string]string{"table": "ns.t", "warehouse": dir, "s3_endpoint": "http://x"}, "option s3_endpoint goes with catalog='URI'"},
		{map[string]string{"table": "ns.t", "catalog_warehouse": "w"}, "option catalog_warehouse goes with catalog='URI'"},
		{map[string]string{"table": "ns.t", "catalog": "ftp://x"}, "want r2://ACCOUNT_ID/BUCKET or an http(s)"},
		{map[string]string{"table": "ns.t", "catalog": "http://127.0.0.1:1", "catalog_prefix": "p"}, "opening iceberg table ns.t: opening catalog http://127.0.0.1:1"},
	} {
		c.opts["connector"] = "iceberg"
		_, err := catalog.OpenConnector("iceberg", c.opts, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.opts, err, c.want)
		}
	}
}
