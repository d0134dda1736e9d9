// Package rest serves an iceberg-go catalog over the Iceberg REST catalog
// protocol, so an engine that attaches to a REST catalog (R2 Data Catalog,
// Polaris, …) attaches to a local warehouse the same way.
//
// The served subset is what an engine needs: GET /v1/config; namespaces
// (list, create, load, exists, drop); tables (list, create, load, exists,
// drop, commit). A commit whose requirement fails answers 409
// CommitFailedException, which REST clients treat as "refresh and retry".
// Data and metadata files are not proxied: clients read and write them at
// the locations the metadata names (file:// for a local warehouse, s3://
// for one on object storage), so the server is meant for clients on the
// same machine or sharing the storage; Options.TableConfig vends the
// storage settings they need.
package rest

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/apache/iceberg-go"
	icecat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

// Options configure NewHandler.
type Options struct {
	// Token, when set, is the bearer token every request must carry
	// ("Authorization: Bearer <Token>"); other requests get 401.
	Token string
	// Prefix, when set, is the path prefix the server advertises in
	// /v1/config: catalog routes live under /v1/<Prefix>/ (as R2 Data
	// Catalog's warehouse prefix does).
	Prefix string
	// Warehouse, when set, is the only warehouse name /v1/config accepts
	// in its "warehouse" query parameter (an empty parameter is accepted).
	Warehouse string
	// TableConfig, when set, is the "config" of every load-table and
	// create-table response: how a catalog vends storage settings and
	// credentials (s3.endpoint, s3.access-key-id, …) to its clients, which
	// use them over their own. It is sent to anyone holding the token.
	TableConfig map[string]string
}

// nsSeparator is the decoded form of the protocol's default namespace
// separator (%1F) joining multi-level namespaces in one path segment.
const nsSeparator = "\x1f"

// NewHandler returns an http.Handler serving cat through the Iceberg REST
// catalog protocol. cat must be safe for concurrent use (iceberg-go's SQL
// catalog is); the handler serves requests concurrently and holds no state
// of its own, so several handlers may serve one catalog.
func NewHandler(cat icecat.Catalog, opts Options) http.Handler {
	s := &server{cat: cat, tableConfig: iceberg.Properties{}}
	for k, v := range opts.TableConfig {
		s.tableConfig[k] = v
	}
	base := "/v1"
	if p := strings.Trim(opts.Prefix, "/"); p != "" {
		base += "/" + p
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/config", configHandler(opts))
	ns := base + "/namespaces"
	mux.HandleFunc("GET "+ns, s.listNamespaces)
	mux.HandleFunc("POST "+ns, s.createNamespace)
	mux.HandleFunc("GET "+ns+"/{ns}", s.loadNamespace)
	mux.HandleFunc("HEAD "+ns+"/{ns}", s.namespaceExists)
	mux.HandleFunc("DELETE "+ns+"/{ns}", s.dropNamespace)
	tables := ns + "/{ns}/tables"
	mux.HandleFunc("GET "+tables, s.listTables)
	mux.HandleFunc("POST "+tables, s.createTable)
	mux.HandleFunc("GET "+tables+"/{table}", s.loadTable)
	mux.HandleFunc("HEAD "+tables+"/{table}", s.tableExists)
	mux.HandleFunc("POST "+tables+"/{table}", s.commitTable)
	mux.HandleFunc("DELETE "+tables+"/{table}", s.dropTable)
	return authenticate(opts.Token, mux)
}

// endpoints are advertised in /v1/config so clients use exactly these
// (and the HEAD existence checks instead of loading whole tables).
// Clients substitute the advertised prefix for {prefix} themselves.
func endpoints() []string {
	base := "/v1/{prefix}"
	return []string{
		"GET " + base + "/namespaces",
		"POST " + base + "/namespaces",
		"GET " + base + "/namespaces/{namespace}",
		"HEAD " + base + "/namespaces/{namespace}",
		"DELETE " + base + "/namespaces/{namespace}",
		"GET " + base + "/namespaces/{namespace}/tables",
		"POST " + base + "/namespaces/{namespace}/tables",
		"GET " + base + "/namespaces/{namespace}/tables/{table}",
		"HEAD " + base + "/namespaces/{namespace}/tables/{table}",
		"POST " + base + "/namespaces/{namespace}/tables/{table}",
		"DELETE " + base + "/namespaces/{namespace}/tables/{table}",
	}
}

// configHandler answers GET /v1/config: the prefix override and the
// endpoint list.
func configHandler(opts Options) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if wh := r.URL.Query().Get("warehouse"); opts.Warehouse != "" && wh != "" && wh != opts.Warehouse {
			writeError(w, http.StatusNotFound, "NoSuchWarehouseException", "unknown warehouse "+wh)
			return
		}
		overrides := map[string]string{}
		if p := strings.Trim(opts.Prefix, "/"); p != "" {
			overrides["prefix"] = p
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"defaults":  map[string]string{},
			"overrides": overrides,
			"endpoints": endpoints(),
		})
	}
}

// authenticate rejects requests without the bearer token (when one is set).
func authenticate(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			writeError(w, http.StatusUnauthorized, "NotAuthorizedException", "missing or wrong bearer token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// server holds the catalog the routes serve.
type server struct {
	cat         icecat.Catalog
	tableConfig iceberg.Properties // vended in load-table responses
}

// errorModel is the protocol's error body: {"error": {message, type, code}}.
type errorModel struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    int    `json:"code"`
}

func writeError(w http.ResponseWriter, code int, typ, msg string) {
	writeJSON(w, code, map[string]errorModel{"error": {Message: msg, Type: typ, Code: code}})
}

func writeJSON(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	// The status is out: a failed body write can only be dropped (the
	// client sees a truncated body and fails to decode).
	_ = json.NewEncoder(w).Encode(body)
}

// writeCatalogError maps a catalog error to the protocol's status and
// exception type.
func writeCatalogError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, icecat.ErrNoSuchTable):
		writeError(w, http.StatusNotFound, "NoSuchTableException", err.Error())
	case errors.Is(err, icecat.ErrNoSuchNamespace):
		writeError(w, http.StatusNotFound, "NoSuchNamespaceException", err.Error())
	case errors.Is(err, icecat.ErrTableAlreadyExists), errors.Is(err, icecat.ErrNamespaceAlreadyExists):
		writeError(w, http.StatusConflict, "AlreadyExistsException", err.Error())
	case errors.Is(err, icecat.ErrNamespaceNotEmpty):
		writeError(w, http.StatusConflict, "NamespaceNotEmptyException", err.Error())
	case errors.Is(err, table.ErrCommitFailed), isRequirementFailure(err):
		writeError(w, http.StatusConflict, "CommitFailedException", err.Error())
	case errors.Is(err, icecat.ErrInvalidIdentifier):
		writeError(w, http.StatusBadRequest, "BadRequestException", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "ServerError", err.Error())
	}
}

// isRequirementFailure recognises iceberg-go's failed-requirement errors,
// which wrap no sentinel (v0.7): only their text marks them.
func isRequirementFailure(err error) bool {
	return strings.Contains(err.Error(), "requirement failed")
}

// decodeBody reads a JSON request body into dst, answering 400 on failure.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) bool {
	if err := json.NewDecoder(r.Body).Decode(dst); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestException", "decoding request body: "+err.Error())
		return false
	}
	return true
}

// namespace decodes the {ns} path segment (levels joined by %1F).
func namespace(r *http.Request) table.Identifier {
	return strings.Split(r.PathValue("ns"), nsSeparator)
}
