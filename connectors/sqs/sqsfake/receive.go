package sqsfake

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// receivedMessage is a message of a ReceiveMessage response.
type receivedMessage struct {
	MessageID         string               `json:"MessageId"`
	ReceiptHandle     string               `json:"ReceiptHandle"`
	MD5OfBody         string               `json:"MD5OfBody"`
	Body              string               `json:"Body"`
	Attributes        map[string]string    `json:"Attributes,omitempty"`
	MessageAttributes map[string]attrValue `json:"MessageAttributes,omitempty"`
}

func (s *Server) receiveMessage(r *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl                    string
		AttributeNames              []string
		MessageSystemAttributeNames []string
		MessageAttributeNames       []string
		MaxNumberOfMessages         *int64
		VisibilityTimeout           *int64
		WaitTimeSeconds             *int64
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit := int64(1)
	if in.MaxNumberOfMessages != nil {
		limit = *in.MaxNumberOfMessages
		if limit < 1 || limit > maxBatchEntries {
			return nil, errorf("InvalidParameterValue", "Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", limit)
		}
	}
	if v := in.VisibilityTimeout; v != nil && (*v < 0 || *v > maxVisibility) {
		return nil, errorf("InvalidParameterValue", "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.", *v)
	}
	if v := in.WaitTimeSeconds; v != nil && (*v < 0 || *v > maxWaitSeconds) {
		return nil, errorf("InvalidParameterValue", "Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *v)
	}
	s.mu.Lock()
	q, err := s.queueOf(in.QueueUrl)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	wait, vis := q.intAttr("ReceiveMessageWaitTimeSeconds"), q.intAttr("VisibilityTimeout")
	if in.WaitTimeSeconds != nil {
		wait = *in.WaitTimeSeconds
	}
	if in.VisibilityTimeout != nil {
		vis = *in.VisibilityTimeout
	}
	names := append(in.AttributeNames, in.MessageSystemAttributeNames...)
	deadline := time.Now().Add(s.sec(wait))
	for {
		now := time.Now()
		got, next := s.take(q, int(limit), s.sec(vis), now)
		if len(got) > 0 || !now.Before(deadline) {
			out := make([]receivedMessage, len(got))
			for i, m := range got {
				out[i] = receivedMessage{MessageID: m.id, ReceiptHandle: m.handle, MD5OfBody: m.md5, Body: m.body,
					Attributes: systemAttrs(m, names), MessageAttributes: messageAttrs(m, in.MessageAttributeNames)}
			}
			s.mu.Unlock()
			return map[string]any{"Messages": out}, nil
		}
		changed := s.changed
		s.mu.Unlock()
		wake := deadline
		if !next.IsZero() && next.Before(wake) {
			wake = next
		}
		timer := time.NewTimer(wake.Sub(now))
		select {
		case <-changed:
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return nil, newError("RequestCanceled", "the client went away")
		}
		timer.Stop()
		s.mu.Lock()
		if s.queues[q.name] != q {
			s.mu.Unlock()
			return nil, newError("QueueDoesNotExist", "The specified queue does not exist.")
		}
	}
}

// take receives up to limit messages: it makes them invisible for vis and
// gives each a new receipt handle. FIFO queues deliver each group in
// order and skip groups with a message in flight. Messages received
// maxReceiveCount times move to the dead-letter queue instead, and
// messages past the retention period are dropped. next is when the
// earliest invisible message becomes visible (zero if none). Called
// locked.
func (s *Server) take(q *queue, limit int, vis time.Duration, now time.Time) (got []*message, next time.Time) {
	dlq, maxRecv := "", 0
	if p := q.attrs["RedrivePolicy"]; p != "" {
		var err error
		if dlq, maxRecv, err = s.redrivePolicy(p, q.fifo); err != nil {
			dlq = "" // the target was deleted since
		}
	}
	retention := s.sec(q.intAttr("MessageRetentionPeriod"))
	blocked := map[string]bool{}
	kept := q.msgs[:0]
	for _, m := range q.msgs {
		switch {
		case now.Sub(m.sent) >= retention:
			continue // expired: dropped
		case q.fifo && blocked[m.group]:
		case now.Before(m.visibleAt):
			blocked[m.group] = true
			if next.IsZero() || m.visibleAt.Before(next) {
				next = m.visibleAt
			}
		case len(got) >= limit:
		case dlq != "" && m.received >= maxRecv:
			s.moveTo(s.queues[dlq], m, now)
			continue
		default:
			s.nextID++
			m.received++
			if m.received == 1 {
				m.firstRecv = now
			}
			m.handle = base64.RawURLEncoding.EncodeToString([]byte(q.name + "\x00" + m.id + "\x00" + strconv.FormatUint(s.nextID, 36)))
			m.visibleAt = now.Add(vis)
			got = append(got, m) // later messages of its group may follow in this receive
		}
		kept = append(kept, m)
	}
	clear(q.msgs[len(kept):])
	q.msgs = kept
	return got, next
}

// moveTo appends m to the dead-letter queue dlq as a fresh message that
// keeps its id, body, group and first send time. Called locked.
func (s *Server) moveTo(dlq *queue, m *message, now time.Time) {
	c := *m
	c.handle, c.received, c.firstRecv, c.visibleAt = "", 0, time.Time{}, now
	if dlq.fifo {
		dlq.seq++
		c.seq = strconv.FormatUint(dlq.seq, 10)
		c.seq = strings.Repeat("0", 20-len(c.seq)) + c.seq
	}
	dlq.msgs = append(dlq.msgs, &c)
	s.notify()
}

// systemAttrs returns the system attributes names asks for ("All" for
// every one).
func systemAttrs(m *message, names []string) map[string]string {
	if len(names) == 0 {
		return nil
	}
	all := map[string]string{
		"SenderId":                         "AIDAFAKESENDER",
		"SentTimestamp":                    strconv.FormatInt(m.sent.UnixMilli(), 10),
		"ApproximateReceiveCount":          strconv.Itoa(m.received),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstRecv.UnixMilli(), 10),
	}
	if m.seq != "" {
		all["MessageGroupId"] = m.group
		all["MessageDeduplicationId"] = m.dedupID
		all["SequenceNumber"] = m.seq
	} else if m.group != "" {
		all["MessageGroupId"] = m.group
	}
	if slices.Contains(names, "All") {
		return all
	}
	out := map[string]string{}
	for _, n := range names {
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return out
}

// messageAttrs returns the message attributes names asks for ("All",
// ".*" or a "prefix.*" for several).
func messageAttrs(m *message, names []string) map[string]attrValue {
	out := map[string]attrValue{}
	for k, v := range m.attrs {
		for _, n := range names {
			prefix, wild := strings.CutSuffix(n, ".*")
			if n == "All" || n == k || (wild && strings.HasPrefix(k, prefix)) {
				out[k] = v
				break
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
