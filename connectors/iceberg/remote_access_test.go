package iceberg_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	icerest "github.com/apache/iceberg-go/catalog/rest"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/iceberg"
	"github.com/streamsql/streamsql/connectors/iceberg/rest"
)

// A wrong or missing bearer token fails clearly, and the token's text
// appears in no error.
func TestRemoteTokenEnforced(t *testing.T) {
	r := startRemote(t, rest.Options{Token: "right-token-5f2a"})
	ctx := context.Background()
	opts := r.options()
	opts.Token = "wrong-token-9c1e"
	_, err := iceberg.OpenCatalog(ctx, r.CatalogURL, opts)
	if err == nil {
		t.Fatal("a wrong token opened the catalog")
	}
	if msg := err.Error(); strings.Contains(msg, "wrong-token-9c1e") || strings.Contains(msg, "right-token-5f2a") ||
		!strings.Contains(msg, "opening catalog "+r.CatalogURL) || !strings.Contains(msg, "refused the bearer token") ||
		!errors.Is(err, icerest.ErrUnauthorized) {
		t.Fatalf("error %q", msg)
	}
	opts.Token = ""
	if _, err := iceberg.OpenCatalog(ctx, r.CatalogURL, opts); !errors.Is(err, icerest.ErrUnauthorized) {
		t.Fatalf("no token: %v", err)
	}
	opts.Token = r.Token
	w, err := iceberg.OpenCatalog(ctx, r.CatalogURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Namespaces(ctx); err != nil {
		t.Fatal(err)
	}
}

// Storage settings the catalog vends in its load-table config win over
// the client's: a client with a wrong key and endpoint reads and writes
// through the vended ones. Without them the same client fails with the
// storage's refusal, and its secret appears in no error.
func TestRemoteVendedCredentials(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	plain := startRemote(t, rest.Options{})
	vending := startRemote(t, rest.Options{TableConfig: map[string]string{
		"s3.endpoint": plain.S3URL, "s3.access-key-id": s3KeyID, "s3.secret-access-key": s3Secret}})
	vending.S3URL = plain.S3URL // the vending catalog's tables live in plain's bucket
	bad := iceberg.CatalogOptions{S3AccessKeyID: "not-the-key", S3SecretAccessKey: "bad-secret-77"}

	for _, c := range []struct {
		name string
		r    *remote
		ok   bool
	}{{"vended", vending, true}, {"not vended", plain, false}} {
		t.Run(c.name, func(t *testing.T) {
			opts := bad
			opts.Token, opts.S3Endpoint = c.r.Token, c.r.S3URL
			w, err := iceberg.OpenCatalog(ctx, c.r.CatalogURL, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			s, err := w.Sink(ctx, "ns.events", eventSchema, iceberg.TableOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			b := events(mem, "a", 0, 0, 3)
			err = s.Write(ctx, b)
			b.Release()
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.PreCommit(ctx, 1)
			if !c.ok {
				if err == nil || !strings.Contains(err.Error(), "403") || strings.Contains(err.Error(), "bad-secret-77") {
					t.Fatalf("want the storage's 403 without the secret, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(ctx, 1); err != nil {
				t.Fatal(err)
			}
			if got := scanIDs(t, mem, w, "ns.events", catalog.ScanRequest{}); !slices.Equal(got.ids, seq(0, 3)) {
				t.Fatalf("ids %v", got.ids)
			}
		})
	}
}

// A catalog serving one warehouse under a path prefix, as R2 Data
// Catalog does: the client names the warehouse, follows the advertised
// prefix, and a wrong warehouse name is refused.
func TestRemoteWarehousePrefix(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	r := startRemote(t, rest.Options{Prefix: "acc_lake", Warehouse: "acc_lake"})
	opts := r.options()
	opts.Warehouse = "acc_lake"
	opts.S3CompatMode = true // writes without request checksums work too
	w, err := iceberg.OpenCatalog(ctx, r.CatalogURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fillHours(t, mem, w, "ns.events")
	if nss, err := w.Namespaces(ctx); err != nil || !slices.Equal(nss, []string{"ns"}) {
		t.Fatalf("namespaces %v, %v", nss, err)
	}
	if tables, err := w.Tables(ctx, "ns"); err != nil || !slices.Equal(tables, []string{"ns.events"}) {
		t.Fatalf("tables %v, %v", tables, err)
	}
	if got := scanIDs(t, mem, w, "ns.events", catalog.ScanRequest{}); !slices.Equal(got.ids, seq(0, 80)) {
		t.Fatalf("ids %v", got.ids)
	}
	opts.Warehouse = "other"
	if _, err := iceberg.OpenCatalog(ctx, r.CatalogURL, opts); err == nil || !strings.Contains(err.Error(), "unknown warehouse other") {
		t.Fatalf("wrong warehouse: %v", err)
	}
	// An explicit prefix needs no advertisement.
	opts.Warehouse, opts.Prefix = "", "acc_lake"
	w2, err := iceberg.OpenCatalog(ctx, r.CatalogURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if _, err := w2.Table(ctx, "ns.events", iceberg.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.Table(ctx, "ns.nope", iceberg.TableOptions{}); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("missing table: %v", err)
	}
}
