// Package live runs continuous SQL queries ("live queries") over streaming
// tables — the hot tier's topics — and pushes their results to
// subscribers, in process (Manager.Subscribe) or over WebSocket (Handler).
//
// Each distinct query runs as one streaming job (streamsql.Engine.StartJob)
// whose output sink fans rows out to every subscriber of that query.
// Subscribers share a job when their queries are equal after
// normalisation: the SQL is parsed, $n parameters are replaced by their
// values as literals and the statement is printed back in canonical form,
// so whitespace, comments and keyword case do not matter. (A parameter is
// inlined with its Go type — an int64 as CAST(n AS BIGINT) — so `$1` with
// 1 and a bare 1, an INTEGER literal, are different queries.)
// The job stops when its last subscriber leaves.
//
// What a subscriber receives depends on the query:
//   - filters and projections: one update per batch of matching events;
//   - windowed aggregates (EMIT ON WINDOW CLOSE, the default): the final
//     rows of each window when the watermark closes it;
//   - EMIT CHANGES: inserts and retractions ("delete" rows) of the
//     updating result.
//
// Joining a running job: a subscriber of an EMIT CHANGES query first gets
// the query's current result (one update with Snapshot set, up to
// Options.MaxSnapshotRows rows, the most recent kept), then the changes
// after it. Subscribers of other queries see results from the job's next
// emission on: a filter's next matching event, an aggregate's next window
// close; the rows emitted before they joined are not replayed. A job reads
// each topic from where its table's OpenStream starts (the hot tier's
// retention buffer; a memory stream's first row), so the first subscriber
// of a query may see history that later joiners do not.
//
// # Wire protocol (Handler, path /live)
//
// The client opens a WebSocket, either `GET /live?sql=…` (parameters as
// a JSON array in `params=…`), or a plain `GET /live` followed by one text
// frame `{"sql":"…","params":[…]}`. The server answers with text frames,
// each one JSON object:
//
//	{"columns":["k","n"],"rows":[["a",2],["b",1]]}
//	{"columns":["k","n"],"rows":[["a",2],["a",3]],"ops":["delete","insert"]}
//	{"columns":["k","n"],"rows":[["a",3]],"ops":["insert"],"snapshot":true}
//	{"error":"line 1, column 8: column \"x\" does not exist\n…"}
//
// rows holds one JSON array per row, values in column order (numbers and
// booleans as JSON, timestamps as "YYYY-MM-DD HH:MM:SS[.ffffff]", NULL as
// null). ops is present for changelog queries (EMIT CHANGES) only: ops[i]
// is "insert" or "delete" (a retraction of an earlier insert) for rows[i].
// snapshot marks the current state sent to a late joiner. An error frame
// is the last frame; the server then closes the connection with a code
// that says why: 1000 the input ended, 1001 the server is closing, 1008
// the request was refused (bad SQL or parameters, not authorized, a query
// that cannot run as a stream), 1009 a result row exceeds
// HandlerOptions.MaxFrameBytes, 1011 the job failed, 1013 try again later
// (too many distinct queries running, or this client fell too far behind
// and was dropped). A frame larger than MaxFrameBytes is split into
// several frames of whole rows. The server pings every
// HandlerOptions.PingInterval and drops clients that do not answer.
//
// Authorization runs before the upgrade: HandlerOptions.Authorize gets the
// request and the tables the query reads; an error wrapping ErrForbidden
// answers 403, any other error 401. In the first-frame form the hook runs
// before the upgrade with no tables, then on the frame's query, whose
// refusal is an error frame and close 1008.
package live
