package main

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/eventstream"
	"github.com/streamsql/streamsql/eventstream/live"
	"github.com/streamsql/streamsql/planner/bind"
	"github.com/streamsql/streamsql/planner/parse"
)

// liveRequest reads the {"sql","params"} frame of a live socket opened
// without SQL, authorizes its tables and subscribes. The attachment then
// holds the query, so a woken object resubscribes.
func (h *Host) liveRequest(s *socket, text string) (*Attachment, error) {
	if s.att.SQL != "" {
		return nil, nil // the query is running; clients send nothing more
	}
	req, err := live.ParseRequest([]byte(text))
	if err != nil {
		h.failSocket(s, err, closePolicy)
		return nil, nil
	}
	att := s.att
	att.SQL, att.Params = req.SQL, req.Params
	if denied := h.deniedTables(&att, req.Values); len(denied) > 0 {
		// Worded as `streamsql serve`'s live handler words it.
		h.failSocket(s, fmt.Errorf("not authorized: %w: %w", live.ErrForbidden, eventstream.NoReadScope(denied[0])), closePolicy)
		return nil, nil
	}
	s.att = att
	h.subscribeLive(s, req.Values)
	return &att, nil
}

// subscribeLive joins the socket to its query's shared job and sends its
// updates; the last update (an error) closes the socket.
func (h *Host) subscribeLive(s *socket, params []any) {
	deliver := func(u live.Update) error {
		frame, _ := u.MarshalJSON() // cannot fail
		h.peer.Send(s.id, string(frame), "")
		if u.Err != nil {
			code, reason := liveClose(u.Err)
			h.closeSocket(s, code, reason)
		}
		return nil
	}
	cancel, err := h.live.Subscribe(context.Background(), s.att.SQL, params, deliver)
	if err != nil {
		code := closePolicy // the query cannot be planned
		if errors.Is(err, live.ErrClosed) {
			code = closeGoingAway
		}
		h.failSocket(s, err, code)
		return
	}
	s.setCancel(cancel)
}

// liveClose picks the close code for the end of a live subscription, as
// the native /live handler does.
func liveClose(err error) (int, string) {
	switch {
	case errors.Is(err, live.ErrInputEnded):
		return closeNormal, "input ended"
	case errors.Is(err, live.ErrSlowConsumer):
		return closeTryAgainLater, "too slow"
	case errors.Is(err, live.ErrClosed):
		return closeGoingAway, "server closing"
	}
	return closeInternalError, "query failed"
}

// deniedTables lists the tables sql reads that the socket's token may not:
// the query is bound against the catalog through a filter that records
// every name outside att.ReadTopics (subqueries and views included, since
// binding looks every one up). A query that does not bind at all is left
// for Subscribe to report with its position.
func (h *Host) deniedTables(att *Attachment, params []any) []string {
	if att.ReadTopics == nil {
		return nil
	}
	st, err := parse.ParseOne(att.SQL)
	if err != nil {
		return nil
	}
	q, ok := st.(*parse.Query)
	if !ok {
		return nil
	}
	f := &readFilter{cat: h.srv.Engine().Catalog(), globs: att.ReadTopics, denied: map[string]bool{}}
	_, _ = bind.Bind(q, att.SQL, f, bind.Options{Streaming: true, Params: params})
	out := make([]string, 0, len(f.denied))
	for name := range f.denied {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// readFilter is a catalog that hides (and records) the tables a token
// may not read.
type readFilter struct {
	cat    bind.Catalog
	globs  []string
	denied map[string]bool
}

func (f *readFilter) Lookup(name []string) (catalog.Table, *catalog.View, error) {
	full := strings.Join(name, ".")
	for _, g := range f.globs {
		if ok, _ := path.Match(g, full); ok {
			return f.cat.Lookup(name)
		}
	}
	f.denied[full] = true
	return nil, nil, fmt.Errorf("looking up %s: %w", full, catalog.ErrNotFound)
}
