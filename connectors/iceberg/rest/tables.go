package rest

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/apache/iceberg-go"
	icecat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

// identifier is the protocol's table identifier.
type identifier struct {
	Namespace table.Identifier `json:"namespace"`
	Name      string           `json:"name"`
}

// createTableRequest is the POST tables body.
type createTableRequest struct {
	Name          string                 `json:"name"`
	Schema        *iceberg.Schema        `json:"schema"`
	Location      string                 `json:"location,omitempty"`
	PartitionSpec *iceberg.PartitionSpec `json:"partition-spec,omitempty"`
	WriteOrder    *table.SortOrder       `json:"write-order,omitempty"`
	StageCreate   bool                   `json:"stage-create"`
	Properties    iceberg.Properties     `json:"properties,omitempty"`
}

// commitTableRequest is the POST tables/{table} body.
type commitTableRequest struct {
	Identifier   *identifier        `json:"identifier,omitempty"`
	Requirements table.Requirements `json:"requirements"`
	Updates      table.Updates      `json:"updates"`
}

// loadTableResult answers create and load; commits omit Config.
type loadTableResult struct {
	MetadataLocation string             `json:"metadata-location"`
	Metadata         table.Metadata     `json:"metadata"`
	Config           iceberg.Properties `json:"config,omitempty"`
}

// tableIdent is the identifier named by the {ns} and {table} segments.
func tableIdent(r *http.Request) table.Identifier {
	return append(namespace(r), r.PathValue("table"))
}

// listTables answers GET namespaces/{ns}/tables, in one page.
func (s *server) listTables(w http.ResponseWriter, r *http.Request) {
	ids := []identifier{}
	for id, err := range s.cat.ListTables(r.Context(), namespace(r)) {
		if err != nil {
			writeCatalogError(w, err)
			return
		}
		ids = append(ids, identifier{Namespace: id[:len(id)-1], Name: id[len(id)-1]})
	}
	writeJSON(w, http.StatusOK, map[string]any{"identifiers": ids})
}

// createTable answers POST namespaces/{ns}/tables. Staged creation (for
// create-table transactions) is not supported.
func (s *server) createTable(w http.ResponseWriter, r *http.Request) {
	var req createTableRequest
	if !decodeBody(w, r, &req) {
		return
	}
	switch {
	case req.Name == "" || req.Schema == nil:
		writeError(w, http.StatusBadRequest, "BadRequestException", "create table wants a name and a schema")
		return
	case req.StageCreate:
		writeError(w, http.StatusNotImplemented, "NotImplementedException", "staged table creation is not supported")
		return
	}
	var opts []icecat.CreateTableOpt
	if req.Location != "" {
		opts = append(opts, icecat.WithLocation(req.Location))
	}
	if req.PartitionSpec != nil {
		opts = append(opts, icecat.WithPartitionSpec(req.PartitionSpec))
	}
	if req.WriteOrder != nil {
		opts = append(opts, icecat.WithSortOrder(*req.WriteOrder))
	}
	if req.Properties != nil {
		opts = append(opts, icecat.WithProperties(req.Properties))
	}
	ident := append(namespace(r), req.Name)
	tbl, err := s.cat.CreateTable(r.Context(), ident, req.Schema, opts...)
	if err != nil {
		writeCatalogError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, loadTableResult{
		MetadataLocation: tbl.MetadataLocation(), Metadata: tbl.Metadata(), Config: s.tableConfig})
}

// loadTable answers GET namespaces/{ns}/tables/{table}.
func (s *server) loadTable(w http.ResponseWriter, r *http.Request) {
	tbl, err := s.cat.LoadTable(r.Context(), tableIdent(r))
	if err != nil {
		writeCatalogError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, loadTableResult{
		MetadataLocation: tbl.MetadataLocation(), Metadata: tbl.Metadata(), Config: s.tableConfig})
}

// tableExists answers HEAD namespaces/{ns}/tables/{table}: 204 or 404.
func (s *server) tableExists(w http.ResponseWriter, r *http.Request) {
	ok, err := s.cat.CheckTableExists(r.Context(), tableIdent(r))
	switch {
	case err != nil:
		writeCatalogError(w, err)
	case !ok:
		w.WriteHeader(http.StatusNotFound)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// purger is implemented by catalogs that can delete a table's files too.
type purger interface {
	PurgeTable(ctx context.Context, ident table.Identifier) error
}

// dropTable answers DELETE namespaces/{ns}/tables/{table}[?purgeRequested=true].
func (s *server) dropTable(w http.ResponseWriter, r *http.Request) {
	ident := tableIdent(r)
	var err error
	if p, ok := s.cat.(purger); ok && r.URL.Query().Get("purgeRequested") == "true" {
		err = p.PurgeTable(r.Context(), ident)
	} else {
		err = s.cat.DropTable(r.Context(), ident)
	}
	if err != nil {
		writeCatalogError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// commitTable answers POST namespaces/{ns}/tables/{table}: it checks the
// requirements against the current metadata (409 CommitFailedException
// when one fails, so clients refresh and retry) and applies the updates.
// The catalog re-checks on its own commit, which closes the race between
// this check and a concurrent writer; its conflict is a 409 too.
func (s *server) commitTable(w http.ResponseWriter, r *http.Request) {
	var req commitTableRequest
	if !decodeBody(w, r, &req) {
		return
	}
	ident := tableIdent(r)
	if req.Identifier != nil && req.Identifier.Name != "" {
		if got := append(append(table.Identifier{}, req.Identifier.Namespace...), req.Identifier.Name); !slices.Equal(got, ident) {
			writeError(w, http.StatusBadRequest, "BadRequestException",
				fmt.Sprintf("body identifier %v does not match path %v", got, ident))
			return
		}
	}
	cur, err := s.cat.LoadTable(r.Context(), ident)
	if err != nil {
		writeCatalogError(w, err)
		return
	}
	for _, rq := range req.Requirements {
		if err := rq.Validate(cur.Metadata()); err != nil {
			writeError(w, http.StatusConflict, "CommitFailedException", err.Error())
			return
		}
	}
	meta, loc, err := s.cat.CommitTable(r.Context(), ident, req.Requirements, req.Updates)
	if err != nil {
		writeCatalogError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, loadTableResult{MetadataLocation: loc, Metadata: meta})
}
