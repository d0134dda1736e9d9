package sqsfake

import (
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// findHandle resolves a receipt handle to its queue's message: m is nil
// when the message is gone (deleted, purged, moved); stale reports that a
// later receive replaced the handle. Called locked.
func (s *Server) findHandle(q *queue, handle string) (m *message, stale bool, err error) {
	raw, derr := base64.RawURLEncoding.DecodeString(handle)
	parts := strings.Split(string(raw), "\x00")
	if handle == "" || derr != nil || len(parts) != 3 || parts[0] != q.name {
		return nil, false, errorf("ReceiptHandleIsInvalid", "The input receipt handle \"%s\" is not a valid receipt handle.", handle)
	}
	for _, m := range q.msgs {
		if m.id == parts[1] {
			return m, m.handle != handle, nil
		}
	}
	return nil, false, nil
}

// remove deletes m from q. Called locked.
func (q *queue) remove(m *message) {
	for i, x := range q.msgs {
		if x == m {
			q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
			return
		}
	}
}

// deleteOne deletes the message of handle. A gone message is no error; a
// stale handle deletes nothing on a standard queue and is invalid on a
// FIFO one, as is a FIFO handle past its visibility timeout. Called
// locked.
func (s *Server) deleteOne(q *queue, handle string, now time.Time) error {
	m, stale, err := s.findHandle(q, handle)
	switch {
	case err != nil:
		return err
	case m == nil:
		return nil
	case q.fifo && (stale || !now.Before(m.visibleAt)):
		return errorf("ReceiptHandleIsInvalid", "The receipt handle has expired.")
	case stale:
		return nil
	}
	q.remove(m)
	s.notify()
	return nil
}

// changeOne sets the visibility timeout of the message of handle. Called
// locked.
func (s *Server) changeOne(q *queue, handle string, vis int64, now time.Time) error {
	if vis < 0 || vis > maxVisibility {
		return errorf("InvalidParameterValue", "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.", vis)
	}
	m, stale, err := s.findHandle(q, handle)
	switch {
	case err != nil:
		return err
	case m == nil || stale:
		return errorf("InvalidParameterValue", "Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", handle)
	case !now.Before(m.visibleAt):
		return errorf("MessageNotInflight", "The message referred to is not in flight.")
	}
	m.visibleAt = now.Add(s.sec(vis))
	s.notify()
	return nil
}

func (s *Server) deleteMessage(_ *http.Request, body []byte) (any, error) {
	var in struct{ QueueUrl, ReceiptHandle string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueOf(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	return nil, s.deleteOne(q, in.ReceiptHandle, time.Now())
}

func (s *Server) changeVisibility(_ *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl, ReceiptHandle string
		VisibilityTimeout       int64
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueOf(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	return nil, s.changeOne(q, in.ReceiptHandle, in.VisibilityTimeout, time.Now())
}

// handleEntry is an entry of DeleteMessageBatch and
// ChangeMessageVisibilityBatch.
type handleEntry struct {
	ID                string `json:"Id"`
	ReceiptHandle     string
	VisibilityTimeout int64
}

// entryID is a batch success.
type entryID struct {
	ID string `json:"Id"`
}

// handleBatch runs one per-entry operation over a batch of handles.
func (s *Server) handleBatch(action string, body []byte, op func(q *queue, e handleEntry, now time.Time) error) (any, error) {
	var in struct {
		QueueUrl string
		Entries  []handleEntry
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.ID
	}
	if err := checkBatch(ids); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueOf(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := batchResult[entryID]{Successful: []entryID{}, Failed: []batchError{}}
	for _, e := range in.Entries {
		if code := s.takeFault(s.entries, action); code != "" {
			out.Failed = append(out.Failed, entryError(e.ID, newError(code, "injected failure")))
			continue
		}
		if err := op(q, e, now); err != nil {
			out.Failed = append(out.Failed, entryError(e.ID, err))
			continue
		}
		out.Successful = append(out.Successful, entryID{ID: e.ID})
	}
	return out, nil
}

func (s *Server) deleteMessageBatch(_ *http.Request, body []byte) (any, error) {
	return s.handleBatch("DeleteMessageBatch", body, func(q *queue, e handleEntry, now time.Time) error {
		return s.deleteOne(q, e.ReceiptHandle, now)
	})
}

func (s *Server) changeVisibilityBatch(_ *http.Request, body []byte) (any, error) {
	return s.handleBatch("ChangeMessageVisibilityBatch", body, func(q *queue, e handleEntry, now time.Time) error {
		return s.changeOne(q, e.ReceiptHandle, e.VisibilityTimeout, now)
	})
}
