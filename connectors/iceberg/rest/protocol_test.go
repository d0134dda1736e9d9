package rest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	icerest "github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"
)

// call sends a raw request and returns the status and the error type of
// the body (empty when the body is not a protocol error).
func call(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	raw, err := io.ReadAll(rsp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error errorModel `json:"error"`
	}
	_ = json.Unmarshal(raw, &e) // non-error bodies leave the type empty
	return rsp.StatusCode, e.Error.Type
}

func TestFailedRequirementIs409OnTheWire(t *testing.T) {
	url, _ := serve(t, Options{})
	c := client(t, url)
	tbl := createEvents(t, c, "w")
	if _, err := appendRows(t, tbl, 0, 1); err != nil {
		t.Fatal(err)
	}
	body := `{"identifier":{"namespace":["w"],"name":"events"},
		"requirements":[{"type":"assert-ref-snapshot-id","ref":"main","snapshot-id":null}],
		"updates":[{"action":"set-properties","updates":{"k":"v"}}]}`
	if code, typ := call(t, "POST", url+"/v1/namespaces/w/tables/events", "", body); code != 409 || typ != "CommitFailedException" {
		t.Fatalf("stale commit = %d %s, want 409 CommitFailedException", code, typ)
	}
	mismatch := strings.Replace(body, `"name":"events"`, `"name":"other"`, 1)
	if code, _ := call(t, "POST", url+"/v1/namespaces/w/tables/events", "", mismatch); code != 400 {
		t.Fatalf("identifier mismatch = %d, want 400", code)
	}
}

func TestMalformedRequestsAre400(t *testing.T) {
	url, _ := serve(t, Options{})
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/v1/namespaces", `{`},
		{"POST", "/v1/namespaces", `{"namespace":[]}`},
		{"POST", "/v1/namespaces/a/tables", `not json`},
		{"POST", "/v1/namespaces/a/tables", `{"name":"t"}`},
		{"POST", "/v1/namespaces/a/tables/t", `{"updates":[{"action":"no-such-action"}]}`},
	} {
		if code, typ := call(t, tc.method, url+tc.path, "", tc.body); code != 400 || typ != "BadRequestException" {
			t.Errorf("%s %s %s = %d %s, want 400", tc.method, tc.path, tc.body, code, typ)
		}
	}
}

func TestStagedCreateIsNotImplemented(t *testing.T) {
	url, _ := serve(t, Options{})
	c := client(t, url)
	createEvents(t, c, "s")
	body := `{"name":"t2","stage-create":true,"schema":{"type":"struct","schema-id":0,"fields":[{"id":1,"name":"id","type":"long","required":false}]}}`
	if code, _ := call(t, "POST", url+"/v1/namespaces/s/tables", "", body); code != 501 {
		t.Fatalf("staged create = %d, want 501", code)
	}
}

func TestBearerToken(t *testing.T) {
	url, _ := serve(t, Options{Token: "s3cret"})
	if _, err := icerest.NewCatalog(context.Background(), "t", url, icerest.WithOAuthToken("wrong")); !errors.Is(err, icerest.ErrUnauthorized) {
		t.Fatalf("wrong token: %v, want ErrUnauthorized", err)
	}
	if code, typ := call(t, "GET", url+"/v1/namespaces", "", ""); code != 401 || typ != "NotAuthorizedException" {
		t.Fatalf("no token = %d %s, want 401", code, typ)
	}
	c := client(t, url, icerest.WithOAuthToken("s3cret"))
	tbl := createEvents(t, c, "auth")
	if _, err := appendRows(t, tbl, 0, 4); err != nil {
		t.Fatal(err)
	}
}

func TestPrefixAndWarehouse(t *testing.T) {
	url, _ := serve(t, Options{Prefix: "acct_bucket", Warehouse: "acct_bucket"})
	c := client(t, url, icerest.WithWarehouseLocation("acct_bucket"))
	createEvents(t, c, "pre")
	if code, _ := call(t, "GET", url+"/v1/acct_bucket/namespaces/pre/tables/events", "", ""); code != 200 {
		t.Fatalf("prefixed load = %d, want 200", code)
	}
	if code, _ := call(t, "GET", url+"/v1/namespaces/pre/tables/events", "", ""); code != 404 {
		t.Fatalf("unprefixed load = %d, want 404", code)
	}
	if _, err := icerest.NewCatalog(context.Background(), "t", url, icerest.WithWarehouseLocation("other")); err == nil {
		t.Fatal("an unknown warehouse was accepted")
	}
}

func TestMultiLevelNamespace(t *testing.T) {
	ctx := context.Background()
	url, _ := serve(t, Options{})
	c := client(t, url)
	ns := table.Identifier{"a", "b"}
	if err := c.CreateNamespace(ctx, table.Identifier{"a"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateNamespace(ctx, ns, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTable(ctx, append(ns, "t"), eventsSchema); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LoadTable(ctx, table.Identifier{"a", "b", "t"}); err != nil {
		t.Fatal(err)
	}
	children, err := c.ListNamespaces(ctx, table.Identifier{"a"})
	if err != nil || len(children) != 1 || strings.Join(children[0], ".") != "a.b" {
		t.Fatalf("children of a = %v, %v", children, err)
	}
}
