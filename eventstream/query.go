package eventstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// serveQuery serves POST /query {"sql": "…", "params": […]}: the result
// as {"columns": […], "rows": [[…], …]}, or as an Arrow IPC stream when
// the client accepts one. Only SELECT, WITH and EXPLAIN run here.
func (s *Server) serveQuery(ctx context.Context, c Call) Reply {
	if c.Method != "POST" {
		r := errorReply(statusMethodNotAllowed, `use POST /query with {"sql": "…", "params": […]}`)
		r.Header = append(r.Header, [2]string{"Allow", "POST"})
		return r
	}
	topics, all, err := s.readableTopics(c.bearer(), s.Topics())
	if err != nil {
		return authReply(err)
	}
	body, err := c.readBody(maxQueryBody)
	if err != nil {
		return errorReply(statusRequestTooLarge, fmt.Sprintf("query body over the %d-byte limit", maxQueryBody))
	}
	var req queryRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return errorReply(statusBadRequest, `decoding query request: want {"sql": "…", "params": […]}: `+err.Error())
	}
	if status, err := checkReadOnly(req.SQL); err != nil {
		return errorReply(status, err.Error())
	}
	params, err := live.ParseParams(req.Params)
	if err != nil {
		return errorReply(statusBadRequest, err.Error())
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
	res, err := engine.Query(ctx, req.SQL, params...)
	if err != nil {
		return errorReply(statusBadRequest, err.Error())
	}
	defer res.Release()
	if strings.Contains(c.header("Accept"), ArrowStreamType) {
		return arrowReply(res)
	}
	return Reply{Status: statusOK, Header: [][2]string{{"Content-Type", "application/json"}}, Body: append(AppendRowsJSON(nil, res), '\n')}
}

// checkReadOnly allows one SELECT / WITH query, or EXPLAIN of one: the
// query API never changes the catalog or writes anywhere.
func checkReadOnly(sql string) (int, error) {
	st, err := parse.ParseOne(sql)
	if err != nil {
		return statusBadRequest, err
	}
	if ex, ok := st.(*parse.Explain); ok {
		st = ex.Stmt
	}
	if _, ok := st.(*parse.Query); !ok {
		return statusForbidden, errors.New("only SELECT, WITH and EXPLAIN statements are allowed through the query API")
	}
	return 0, nil
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
