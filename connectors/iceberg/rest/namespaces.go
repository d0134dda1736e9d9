package rest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// namespaceBody is the create and load body: {namespace, properties}.
type namespaceBody struct {
	Namespace  table.Identifier   `json:"namespace"`
	Properties iceberg.Properties `json:"properties"`
}

// listNamespaces answers GET namespaces[?parent=a%1Fb], in one page.
func (s *server) listNamespaces(w http.ResponseWriter, r *http.Request) {
	var parent table.Identifier
	if p := r.URL.Query().Get("parent"); p != "" {
		parent = strings.Split(p, nsSeparator)
	}
	nss, err := s.cat.ListNamespaces(r.Context(), parent)
	if err != nil {
		writeCatalogError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"namespaces": children(nss, parent)})
}

// children keeps the direct children of parent, as the protocol lists
// (iceberg-go's SQL catalog also returns parent and deeper levels).
func children(nss []table.Identifier, parent table.Identifier) []table.Identifier {
	out := []table.Identifier{}
	for _, ns := range nss {
		if len(ns) == len(parent)+1 && slices.Equal(ns[:len(parent)], parent) {
			out = append(out, ns)
		}
	}
	return out
}

// createNamespace answers POST namespaces; an existing one is 409.
func (s *server) createNamespace(w http.ResponseWriter, r *http.Request) {
	var body namespaceBody
	if !decodeBody(w, r, &body) {
		return
	}
	if len(body.Namespace) == 0 {
		writeError(w, http.StatusBadRequest, "BadRequestException", "namespace is empty")
		return
	}
	if err := s.cat.CreateNamespace(r.Context(), body.Namespace, body.Properties); err != nil {
		writeCatalogError(w, err)
		return
	}
	if body.Properties == nil {
		body.Properties = iceberg.Properties{}
	}
	writeJSON(w, http.StatusOK, body)
}

// loadNamespace answers GET namespaces/{ns} with its properties.
func (s *server) loadNamespace(w http.ResponseWriter, r *http.Request) {
	ns := namespace(r)
	props, err := s.cat.LoadNamespaceProperties(r.Context(), ns)
	if err != nil {
		writeCatalogError(w, err)
		return
	}
	if props == nil {
		props = iceberg.Properties{}
	}
	writeJSON(w, http.StatusOK, namespaceBody{Namespace: ns, Properties: props})
}

// namespaceExists answers HEAD namespaces/{ns}: 204 or 404.
func (s *server) namespaceExists(w http.ResponseWriter, r *http.Request) {
	ok, err := s.cat.CheckNamespaceExists(r.Context(), namespace(r))
	switch {
	case err != nil:
		writeCatalogError(w, err)
	case !ok:
		w.WriteHeader(http.StatusNotFound)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// dropNamespace answers DELETE namespaces/{ns}; a non-empty one is 409.
func (s *server) dropNamespace(w http.ResponseWriter, r *http.Request) {
	if err := s.cat.DropNamespace(r.Context(), namespace(r)); err != nil {
		writeCatalogError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
