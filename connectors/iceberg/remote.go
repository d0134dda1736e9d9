package iceberg

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	ice "github.com/apache/iceberg-go"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	iceio "github.com/apache/iceberg-go/io"
	_ "github.com/apache/iceberg-go/io/gocloud/s3" // registers the s3:// (and s3a, s3n) file IO
)

// Environment variables CatalogOptionsFromEnv reads. The token and keys
// are secrets: they are read from the environment (or given in
// CatalogOptions), never from command lines or SQL text, and never appear
// in errors.
const (
	EnvCatalogToken      = "STREAMSQL_CATALOG_TOKEN"
	EnvR2CatalogToken    = "R2_CATALOG_TOKEN" // fallback for EnvCatalogToken
	EnvS3Endpoint        = "STREAMSQL_S3_ENDPOINT"
	EnvS3Region          = "STREAMSQL_S3_REGION"
	EnvS3Compat          = "STREAMSQL_S3_COMPAT" // "true" or "1": S3CompatMode
	EnvAccessKeyID       = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey   = "AWS_SECRET_ACCESS_KEY"
	EnvR2AccessKeyID     = "R2_ACCESS_KEY_ID"     // fallback for EnvAccessKeyID
	EnvR2SecretAccessKey = "R2_SECRET_ACCESS_KEY" // fallback for EnvSecretAccessKey
)

// DefaultS3Region is the S3 signing region when none is given: R2's.
const DefaultS3Region = "auto"

// r2CatalogHost serves R2 Data Catalog's REST API at /ACCOUNT/BUCKET.
const r2CatalogHost = "catalog.cloudflarestorage.com"

// CatalogOptions configure OpenCatalog. Values the catalog vends (its
// /v1/config overrides, a table's load-table config and storage
// credentials) take precedence over the S3 settings here, as the Iceberg
// REST protocol intends: R2 Data Catalog vends short-lived SigV4
// credentials for the bucket.
type CatalogOptions struct {
	// Warehouse is the warehouse name sent to the catalog (R2:
	// ACCOUNT_BUCKET, the default for r2:// URIs).
	Warehouse string
	// Token is the bearer token of every catalog request (none when empty).
	Token string
	// Prefix, when set, is the catalog path prefix (normally the catalog
	// advertises it in /v1/config).
	Prefix string
	// S3Endpoint is the S3-compatible endpoint of the data files (R2:
	// https://ACCOUNT.r2.cloudflarestorage.com, the default for r2://
	// URIs); empty means AWS S3.
	S3Endpoint string
	// S3Region is the signing region (DefaultS3Region when empty).
	S3Region string
	// S3AccessKeyID and S3SecretAccessKey are static S3 credentials; empty
	// means the catalog's vended credentials (or the AWS SDK defaults).
	S3AccessKeyID     string
	S3SecretAccessKey string
	// S3VirtualHosted addresses buckets as BUCKET.endpoint-host; the
	// default with an endpoint is path style (endpoint/BUCKET), which R2,
	// MinIO and most S3-compatible stores accept.
	S3VirtualHosted bool
	// S3CompatMode sends no request checksums on writes (the AWS SDK adds
	// CRC32 checksums by default), for S3-compatible stores that reject
	// them.
	S3CompatMode bool
}

// CatalogOptionsFromEnv returns the options the environment gives: the
// token from STREAMSQL_CATALOG_TOKEN (else R2_CATALOG_TOKEN), the S3 keys
// from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (else R2_ACCESS_KEY_ID/
// R2_SECRET_ACCESS_KEY), the S3 endpoint from STREAMSQL_S3_ENDPOINT, the
// region from STREAMSQL_S3_REGION and S3CompatMode from
// STREAMSQL_S3_COMPAT ("true" or "1").
func CatalogOptionsFromEnv() CatalogOptions {
	first := func(names ...string) string {
		for _, n := range names {
			if v := os.Getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	o := CatalogOptions{
		Token:      first(EnvCatalogToken, EnvR2CatalogToken),
		S3Endpoint: first(EnvS3Endpoint),
		S3Region:   first(EnvS3Region),
	}
	compat := os.Getenv(EnvS3Compat)
	o.S3CompatMode = compat == "1" || strings.EqualFold(compat, "true")
	// The keys come as a pair: mixing an AWS id with an R2 secret is a
	// mistake the signature check would report far less clearly.
	if id := os.Getenv(EnvAccessKeyID); id != "" {
		o.S3AccessKeyID, o.S3SecretAccessKey = id, os.Getenv(EnvSecretAccessKey)
	} else {
		o.S3AccessKeyID, o.S3SecretAccessKey = os.Getenv(EnvR2AccessKeyID), os.Getenv(EnvR2SecretAccessKey)
	}
	return o
}

// ResolveCatalogURI expands a catalog URI and fills the R2 defaults of
// opts: r2://ACCOUNT/BUCKET (and https://catalog.cloudflarestorage.com/
// ACCOUNT/BUCKET) is R2 Data Catalog, with warehouse ACCOUNT_BUCKET and S3
// endpoint https://ACCOUNT.r2.cloudflarestorage.com unless opts set them.
// Other http(s) URIs are REST catalogs used as given.
func ResolveCatalogURI(uri string, opts CatalogOptions) (string, CatalogOptions, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", opts, fmt.Errorf("parsing catalog URI: %w", err)
	}
	if u.User != nil {
		return "", opts, fmt.Errorf("catalog URI %s: credentials in the URI are not accepted; set $%s", u.Redacted(), EnvCatalogToken)
	}
	var account, bucket string
	switch {
	case u.Scheme == "r2":
		account, bucket = u.Host, strings.Trim(u.Path, "/")
		if account == "" || bucket == "" || strings.Contains(bucket, "/") {
			return "", opts, fmt.Errorf("catalog URI %s: want r2://ACCOUNT_ID/BUCKET", uri)
		}
		uri = "https://" + r2CatalogHost + "/" + account + "/" + bucket
	case (u.Scheme == "https" || u.Scheme == "http") && u.Host != "":
		if u.Host == r2CatalogHost {
			if parts := strings.Split(strings.Trim(u.Path, "/"), "/"); len(parts) == 2 {
				account, bucket = parts[0], parts[1]
			}
		}
	default:
		return "", opts, fmt.Errorf("catalog URI %s: want r2://ACCOUNT_ID/BUCKET or an http(s) REST catalog URI", uri)
	}
	if account != "" {
		if opts.Warehouse == "" {
			opts.Warehouse = account + "_" + bucket
		}
		if opts.S3Endpoint == "" {
			opts.S3Endpoint = "https://" + account + ".r2.cloudflarestorage.com"
		}
	}
	return strings.TrimRight(uri, "/"), opts, nil
}

// OpenCatalog opens a remote Iceberg REST catalog (see ResolveCatalogURI
// for the URI forms) whose tables live in S3-compatible storage. The
// warehouse works like a local one; Dir is "". Close releases it.
func OpenCatalog(ctx context.Context, uri string, opts CatalogOptions) (*Warehouse, error) {
	resolved, opts, err := ResolveCatalogURI(uri, opts)
	if err != nil {
		return nil, fmt.Errorf("opening catalog: %w", err)
	}
	secrets := []string{opts.Token, opts.S3SecretAccessKey}
	var ropts []icerest.Option
	if opts.Token != "" {
		ropts = append(ropts, icerest.WithOAuthToken(opts.Token))
	}
	if opts.Warehouse != "" {
		ropts = append(ropts, icerest.WithWarehouseLocation(opts.Warehouse))
	}
	if opts.Prefix != "" {
		ropts = append(ropts, icerest.WithPrefix(opts.Prefix))
	}
	ropts = append(ropts, icerest.WithAdditionalProps(s3Props(opts)))
	cat, err := icerest.NewCatalog(ctx, "streamsql", resolved, ropts...)
	if err != nil {
		if errors.Is(err, icerest.ErrUnauthorized) || errors.Is(err, icerest.ErrForbidden) {
			err = fmt.Errorf("%w (the catalog refused the bearer token: check $%s)", err, EnvCatalogToken)
		}
		return nil, redact(fmt.Errorf("opening catalog %s: %w", resolved, err), secrets)
	}
	return &Warehouse{loc: resolved, cat: cat, close: cat.Close}, nil
}

// s3Props are the file IO properties of opts (iceberg-go's s3.* keys).
func s3Props(opts CatalogOptions) ice.Properties {
	p := ice.Properties{iceio.S3Region: DefaultS3Region}
	if opts.S3Region != "" {
		p[iceio.S3Region] = opts.S3Region
	}
	if opts.S3Endpoint != "" {
		p[iceio.S3EndpointURL] = opts.S3Endpoint
	}
	if opts.S3AccessKeyID != "" {
		p[iceio.S3AccessKeyID] = opts.S3AccessKeyID
		p[iceio.S3SecretAccessKey] = opts.S3SecretAccessKey
	}
	p[iceio.S3ForceVirtualAddressing] = strconv.FormatBool(opts.S3VirtualHosted)
	if opts.S3CompatMode {
		p[iceio.S3CompatMode] = "true"
	}
	return p
}

// redactedError hides secrets in the text of an error it wraps (which
// stays reachable with errors.Is/As).
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// minRedactLen is the shortest secret redact hides: shorter strings occur
// in ordinary words, and hiding them would garble every message.
const minRedactLen = 6

// redact returns err with every secret (of at least minRedactLen bytes)
// replaced by "[redacted]" in its text; nil stays nil.
func redact(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	hit := false
	for _, s := range secrets {
		if len(s) >= minRedactLen && strings.Contains(msg, s) {
			msg, hit = strings.ReplaceAll(msg, s, "[redacted]"), true
		}
	}
	if !hit {
		return err
	}
	return &redactedError{msg: msg, err: err}
}
