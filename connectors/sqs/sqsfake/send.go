package sqsfake

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"time"
	"unicode/utf8"
)

// message is one message of a queue.
type message struct {
	id        string
	body      string
	md5       string
	attrs     map[string]attrValue
	group     string
	dedupID   string
	seq       string // FIFO sequence number
	sent      time.Time
	visibleAt time.Time // delayed or in flight until then
	handle    string    // latest receipt handle, "" before the first receive
	received  int       // ApproximateReceiveCount
	firstRecv time.Time
}

// attrValue is a message attribute, as the protocol carries it.
type attrValue struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

// sendEntry is a SendMessage request or a SendMessageBatch entry.
type sendEntry struct {
	ID                     string `json:"Id"`
	MessageBody            string
	DelaySeconds           *int64
	MessageAttributes      map[string]attrValue
	MessageDeduplicationId string
	MessageGroupId         string
}

// sendResult is a SendMessage response or a SendMessageBatch success.
type sendResult struct {
	ID               string `json:"Id,omitempty"`
	MessageID        string `json:"MessageId"`
	MD5OfMessageBody string `json:"MD5OfMessageBody"`
	SequenceNumber   string `json:"SequenceNumber,omitempty"`
}

// size is what counts against the 256 KiB limit: the body and the
// attributes' names, types and values.
func (e *sendEntry) size() int {
	n := len(e.MessageBody)
	for k, v := range e.MessageAttributes {
		n += len(k) + len(v.DataType) + len(v.BinaryValue)
		if v.StringValue != nil {
			n += len(*v.StringValue)
		}
	}
	return n
}

// validBody reports whether every character is one SQS accepts: #x9, #xA,
// #xD, #x20–#xD7FF, #xE000–#xFFFD, #x10000–#x10FFFF.
func validBody(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

// send enqueues one message. Called locked.
func (s *Server) send(q *queue, e *sendEntry, now time.Time) (sendResult, error) {
	switch {
	case e.MessageBody == "":
		return sendResult{}, newError("MissingParameter", "The request must contain the parameter MessageBody.")
	case e.size() > int(q.intAttr("MaximumMessageSize")):
		return sendResult{}, errorf("InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.intAttr("MaximumMessageSize"))
	case !validBody(e.MessageBody):
		return sendResult{}, newError("InvalidMessageContents", "Invalid binary character in the message body.")
	}
	delay := q.intAttr("DelaySeconds")
	if e.DelaySeconds != nil {
		if q.fifo {
			return sendResult{}, newError("InvalidParameterValue", "Value for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.")
		}
		if *e.DelaySeconds < 0 || *e.DelaySeconds > maxDelaySeconds {
			return sendResult{}, errorf("InvalidParameterValue", "Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", *e.DelaySeconds)
		}
		delay = *e.DelaySeconds
	}
	sum := md5.Sum([]byte(e.MessageBody))
	m := &message{body: e.MessageBody, md5: hex.EncodeToString(sum[:]), attrs: e.MessageAttributes,
		group: e.MessageGroupId, sent: now, visibleAt: now.Add(s.sec(delay))}
	if q.fifo {
		if e.MessageGroupId == "" {
			return sendResult{}, newError("MissingParameter", "The request must contain the parameter MessageGroupId.")
		}
		m.dedupID = e.MessageDeduplicationId
		if m.dedupID == "" {
			if q.attrs["ContentBasedDeduplication"] != "true" {
				return sendResult{}, newError("InvalidParameterValue", "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
			h := sha256.Sum256([]byte(e.MessageBody))
			m.dedupID = hex.EncodeToString(h[:])
		}
		if rec, dup := q.dedup[m.dedupID]; dup && now.Sub(rec.at) < s.sec(dedupWindowSecs) {
			return sendResult{MessageID: rec.id, MD5OfMessageBody: m.md5, SequenceNumber: rec.seq}, nil
		}
		q.seq++
		m.seq = fmt.Sprintf("%020d", q.seq)
	}
	s.nextID++
	m.id = fmt.Sprintf("%08x-5d5c-4f5b-8a9e-%012x", s.nextID>>48, s.nextID)
	if q.fifo {
		q.dedup[m.dedupID] = dedupRec{at: now, id: m.id, seq: m.seq, group: m.group}
	}
	q.msgs = append(q.msgs, m)
	s.notify()
	return sendResult{MessageID: m.id, MD5OfMessageBody: m.md5, SequenceNumber: m.seq}, nil
}

// forget drops deduplication records older than the window. Called locked.
func (s *Server) forget(q *queue, now time.Time) {
	for k, rec := range q.dedup {
		if now.Sub(rec.at) >= s.sec(dedupWindowSecs) {
			delete(q.dedup, k)
		}
	}
}

func (s *Server) sendMessage(_ *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl string
		sendEntry
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
	now := time.Now()
	s.forget(q, now)
	return s.send(q, &in.sendEntry, now)
}

var batchEntryID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// checkBatch validates a batch's entry ids and count.
func checkBatch(ids []string) error {
	switch {
	case len(ids) == 0:
		return newError("EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request.")
	case len(ids) > maxBatchEntries:
		return errorf("TooManyEntriesInBatchRequest", "Maximum number of entries per request are %d. You have sent %d.", maxBatchEntries, len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !batchEntryID.MatchString(id) {
			return errorf("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return errorf("BatchEntryIdsNotDistinct", "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

// batchResult is the response of a batch action.
type batchResult[T any] struct {
	Successful []T          `json:"Successful"`
	Failed     []batchError `json:"Failed"`
}

func (s *Server) sendMessageBatch(_ *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl string
		Entries  []sendEntry
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ids, total := make([]string, len(in.Entries)), 0
	for i := range in.Entries {
		ids[i] = in.Entries[i].ID
		total += in.Entries[i].size()
	}
	if err := checkBatch(ids); err != nil {
		return nil, err
	}
	if total > maxMessageSize {
		return nil, errorf("BatchRequestTooLong", "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", maxMessageSize, total)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueOf(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	s.forget(q, now)
	out := batchResult[sendResult]{Successful: []sendResult{}, Failed: []batchError{}}
	for i := range in.Entries {
		e := &in.Entries[i]
		if code := s.takeFault(s.entries, "SendMessageBatch"); code != "" {
			out.Failed = append(out.Failed, entryError(e.ID, newError(code, "injected failure")))
			continue
		}
		res, err := s.send(q, e, now)
		if err != nil {
			out.Failed = append(out.Failed, entryError(e.ID, err))
			continue
		}
		res.ID = e.ID
		out.Successful = append(out.Successful, res)
	}
	return out, nil
}
