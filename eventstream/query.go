package eventstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	streamsql "github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/eventstream/live"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/render"
)

// ArrowStreamType is the media type of Arrow IPC stream responses.
const ArrowStreamType = "application/vnd.apache.arrow.stream"

// maxQueryBody caps a POST /query body.
const maxQueryBody = 1 << 20

// queryRequest is the body of POST /query.
type queryRequest struct {
	SQL    string          `json:"sql"`
	Params json.RawMessage `json:"params"`
}

// handleQuery serves POST /query {"sql": "…", "params": […]}: the result
// as {"columns": […], "rows": [[…], …]}, or as an Arrow IPC stream when
// the client accepts one. Only SELECT, WITH and EXPLAIN run here.
func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, `use POST /query with {"sql": "…", "params": […]}`)
		return
	}
	topics, all, err := s.readableTopics(r, s.Topics())
	if err != nil {
		WriteAuthError(w, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxQueryBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("query body over the %d-byte limit", maxQueryBody))
		return
	}
	var req queryRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, `decoding query request: want {"sql": "…", "params": […]}: `+err.Error())
		return
	}
	if status, err := checkReadOnly(req.SQL); err != nil {
		writeError(w, status, err.Error())
		return
	}
	params, err := live.ParseParams(req.Params)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	engine := s.engine
	if !all { // a scoped token sees only the topics it may read
		engine = streamsql.New(streamsql.WithAllocator(s.cfg.Alloc))
		defer engine.Close()
		for _, name := range topics {
			if t, err := s.topic(name); err == nil {
				engine.Catalog().PutBorrowed(name, t.table)
			}
		}
	}
	res, err := engine.Query(r.Context(), req.SQL, params...)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	defer res.Release()
	if strings.Contains(r.Header.Get("Accept"), ArrowStreamType) {
		writeArrow(w, res)
		return
	}
	writeRows(w, res)
}

// checkReadOnly allows one SELECT / WITH query, or EXPLAIN of one: the
// query API never changes the catalog or writes anywhere.
func checkReadOnly(sql string) (int, error) {
	st, err := parse.ParseOne(sql)
	if err != nil {
		return http.StatusBadRequest, err
	}
	if ex, ok := st.(*parse.Explain); ok {
		st = ex.Stmt
	}
	if _, ok := st.(*parse.Query); !ok {
		return http.StatusForbidden, errors.New("only SELECT, WITH and EXPLAIN statements are allowed through the query API")
	}
	return 0, nil
}

// writeRows answers {"columns": [...], "rows": [[...], ...]}.
func writeRows(w http.ResponseWriter, res *streamsql.Result) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(AppendRowsJSON(nil, res), '\n'))
}

// AppendRowsJSON appends res as the query API answers it:
// {"columns": [...], "rows": [[...], ...]}.
func AppendRowsJSON(dst []byte, res *streamsql.Result) []byte {
	ts := make([]types.Type, res.Schema.NumFields())
	for i, f := range res.Schema.Fields() {
		ts[i], _ = types.FromField(f) // the engine emits only types it models
	}
	dst = append(dst, `{"columns":`...)
	names, _ := json.Marshal(res.Names) // cannot fail for strings
	dst = append(dst, names...)
	dst = append(dst, `,"rows":[`...)
	first := true
	for _, batch := range res.Batches {
		for r := 0; r < int(batch.NumRows()); r++ {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, '[')
			for c := 0; c < int(batch.NumCols()); c++ {
				if c > 0 {
					dst = append(dst, ',')
				}
				dst = render.AppendJSONValue(dst, expr.ScalarValue(batch.Column(c), r), ts[c])
			}
			dst = append(dst, ']')
		}
	}
	return append(dst, "]}"...)
}
