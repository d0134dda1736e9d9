package main

import (
	"database/sql"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ice "github.com/apache/iceberg-go"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/streamsql/streamsql/connectors/iceberg"
	"github.com/streamsql/streamsql/connectors/iceberg/rest"
)

// restCatalog is a REST catalog served in process for the CLI tests.
type restCatalog struct {
	URI     string
	backend *s3mem.Backend // the fake S3's storage
}

// objects counts the objects of the bucket under prefix (at any depth).
func (c *restCatalog) objects(prefix string) int {
	p := gofakes3.NewPrefix(&prefix, nil)
	list, err := c.backend.ListBucket("lake", &p, gofakes3.ListBucketPage{})
	if err != nil {
		return 0
	}
	return len(list.Contents)
}

// startRESTCatalog serves a REST catalog (rest.NewHandler over a SQL
// catalog with warehouse s3://lake/wh, requiring token) whose files live
// in an in-process gofakes3, and sets the environment the CLI (and the
// processes it starts) reads its token, S3 endpoint and keys from.
func startRESTCatalog(t *testing.T, token string) *restCatalog {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("lake"); err != nil {
		t.Fatal(err)
	}
	s3 := httptest.NewServer(gofakes3.New(backend).Server()) // plain HTTP: see DESIGN.md
	t.Cleanup(s3.Close)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "catalog.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := sqlcat.NewCatalog("server", db, sqlcat.SQLite, ice.Properties{
		"warehouse": "s3://lake/wh", "s3.endpoint": s3.URL, "s3.region": "auto",
		"s3.access-key-id": "test-key-id", "s3.secret-access-key": "test-secret-key",
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rest.NewHandler(cat, rest.Options{Token: token}))
	t.Cleanup(func() {
		srv.Close()
		cat.Close()
		db.Close()
	})
	t.Setenv(iceberg.EnvCatalogToken, token)
	t.Setenv(iceberg.EnvS3Endpoint, s3.URL)
	t.Setenv(iceberg.EnvAccessKeyID, "test-key-id")
	t.Setenv(iceberg.EnvSecretAccessKey, "test-secret-key")
	return &restCatalog{URI: srv.URL, backend: backend}
}

// The README's Iceberg commands against a REST catalog with S3 storage:
// a job writes through --catalog, query/explain/repl attach its tables,
// maintenance runs through it, a rerun commits nothing twice, and nothing
// local is created.
func TestCatalogFlagEndToEnd(t *testing.T) {
	uri := startRESTCatalog(t, "cli-token-81f3").URI
	dir := t.TempDir()
	script := filepath.Join(repoRoot, "transforms", "examples", "aggregate.sql")
	input := filepath.Join(repoRoot, "transforms", "examples", "events.jsonl")
	runArgs := []string{"run", script, "--input", input, "--output", "iceberg:demo.minutes", "--catalog", uri, "--state-dir", "state"}
	if code, _, errOut := runCLIIn(t, dir, "", runArgs...); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	sql := "SELECT count(*) AS minutes, sum(count) AS events FROM demo.minutes"
	code, out, errOut := runCLIIn(t, dir, "", "query", "--catalog", uri, "--format", "csv", sql)
	if code != 0 || out != "minutes,events\n12,886\n" {
		t.Fatalf("query: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	code, out, errOut = runCLIIn(t, dir, "", "explain", "--catalog", uri, "SELECT minute FROM demo.minutes")
	if code != 0 || !strings.Contains(out, "demo.minutes") {
		t.Fatalf("explain: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	code, out, errOut = runCLIIn(t, dir, "\\format csv\nSELECT count(*) AS n FROM demo.minutes;\n\\q\n", "repl", "--catalog", uri)
	if code != 0 || !strings.Contains(out, "n\n12\n") {
		t.Fatalf("repl: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	if code, _, errOut := runCLIIn(t, dir, "", runArgs...); code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, errOut)
	}
	code, out, errOut = runCLIIn(t, dir, "", "iceberg", "compact", "demo.minutes", "--catalog", uri)
	if code != 0 || !strings.Contains(out, "demo.minutes: ") {
		t.Fatalf("compact: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	code, out, errOut = runCLIIn(t, dir, "", "iceberg", "expire-snapshots", "demo.minutes", "--catalog", uri, "--older-than", "0s")
	if code != 0 || !strings.Contains(out, "demo.minutes: expired ") {
		t.Fatalf("expire-snapshots: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	code, out, errOut = runCLIIn(t, dir, "", "query", "--catalog", uri, "--format", "csv", sql)
	if code != 0 || out != "minutes,events\n12,886\n" {
		t.Fatalf("query after rerun and maintenance: exit %d, stderr %q, got:\n%s", code, errOut, out)
	}
	if _, err := os.Stat(filepath.Join(dir, ".streamsql", "warehouse")); !os.IsNotExist(err) {
		t.Fatalf("a local warehouse was created (stat: %v)", err)
	}
}

func TestCatalogFlagUsageAndFaults(t *testing.T) {
	uri := startRESTCatalog(t, "right-token-77aa").URI
	dir := t.TempDir()
	script := writeFile(t, dir, "t.sql", minuteSQL)
	input := writeFile(t, dir, "in.jsonl", `{"ts":"2026-03-01 12:00:00","v":1}`+"\n")
	for _, c := range []struct {
		name  string
		token string // $STREAMSQL_CATALOG_TOKEN for the case ("" keeps the right one)
		args  []string
		code  int
		want  string
	}{
		{"query both", "", []string{"query", "--catalog", uri, "--warehouse", dir, "SELECT 1"}, 2, "mutually exclusive"},
		{"explain both", "", []string{"explain", "--catalog", uri, "--warehouse", dir, "SELECT 1"}, 2, "mutually exclusive"},
		{"repl both", "", []string{"repl", "--catalog", uri, "--warehouse", dir}, 2, "mutually exclusive"},
		{"run both", "", []string{"run", script, "--input", input, "--output", "iceberg:demo.t", "--catalog", uri, "--warehouse", dir}, 2, "mutually exclusive"},
		{"compact both", "", []string{"iceberg", "compact", "demo.t", "--catalog", uri, "--warehouse", dir}, 2, "mutually exclusive"},
		{"expire both", "", []string{"iceberg", "expire-snapshots", "demo.t", "--catalog", uri, "--warehouse", dir}, 2, "mutually exclusive"},
		{"catalog without iceberg output", "", []string{"run", script, "--input", input, "--output", "-", "--catalog", uri}, 2, "--catalog goes with"},
		{"bad uri", "", []string{"query", "--catalog", "s3://lake", "SELECT 1"}, 1, "want r2://ACCOUNT_ID/BUCKET"},
		{"query wrong token", "wrong-token-31bc", []string{"query", "--catalog", uri, "SELECT 1"}, 1, "refused the bearer token"},
		{"run wrong token", "wrong-token-31bc", []string{"run", script, "--input", input, "--output", "iceberg:demo.t", "--catalog", uri}, 1, "opening output iceberg:demo.t"},
		{"compact wrong token", "wrong-token-31bc", []string{"iceberg", "compact", "demo.t", "--catalog", uri}, 1, "refused the bearer token"},
		{"compact missing table", "", []string{"iceberg", "compact", "demo.nope", "--catalog", uri}, 1, "demo.nope"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.token != "" {
				t.Setenv(iceberg.EnvCatalogToken, c.token)
			}
			code, _, errOut := runCLIIn(t, dir, "", c.args...)
			if code != c.code || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, c.code, errOut, c.want)
			}
			if strings.Contains(errOut, "token-31bc") || strings.Contains(errOut, "token-77aa") {
				t.Fatalf("the token leaked: %q", errOut)
			}
		})
	}
}
