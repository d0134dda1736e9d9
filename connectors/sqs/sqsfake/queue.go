package sqsfake

import (
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// queue is one queue and its messages.
type queue struct {
	name     string
	fifo     bool
	attrs    map[string]string // settable attributes, validated
	created  time.Time
	modified time.Time
	msgs     []*message          // send order (FIFO: sequence order)
	dedup    map[string]dedupRec // FIFO deduplication ids seen
	purged   time.Time           // last PurgeQueue
	seq      uint64
}

// dedupRec remembers a deduplicated send: the id returned again to
// duplicates within the window.
type dedupRec struct {
	at    time.Time
	id    string
	seq   string
	group string
}

// Queue attribute limits, in protocol seconds or bytes.
const (
	maxMessageSize   = 262144
	maxBatchEntries  = 10
	maxVisibility    = 43200
	maxWaitSeconds   = 20
	maxDelaySeconds  = 900
	dedupWindowSecs  = 300
	purgeIntervalSec = 60
)

// attrRule validates a settable attribute: an integer range, or a check.
type attrRule struct {
	def      string
	min, max int64
	check    func(string) bool
}

var attrRules = map[string]attrRule{
	"VisibilityTimeout":             {def: "30", min: 0, max: maxVisibility},
	"ReceiveMessageWaitTimeSeconds": {def: "0", min: 0, max: maxWaitSeconds},
	"DelaySeconds":                  {def: "0", min: 0, max: maxDelaySeconds},
	"MaximumMessageSize":            {def: "262144", min: 1024, max: maxMessageSize},
	"MessageRetentionPeriod":        {def: "345600", min: 60, max: 1209600},
	"RedrivePolicy":                 {check: func(string) bool { return true }}, // checked by redrivePolicy
	"FifoQueue":                     {check: isBool},
	"ContentBasedDeduplication":     {check: isBool},
	"Policy":                        {check: func(string) bool { return true }},
	"SqsManagedSseEnabled":          {check: isBool},
}

// readOnlyAttrs are computed on GetQueueAttributes.
var readOnlyAttrs = []string{"QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
	"ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp"}

func isBool(v string) bool { return v == "true" || v == "false" }

var queueName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// checkAttrs validates attributes to set on a queue (fifo: of a FIFO one).
func (s *Server) checkAttrs(attrs map[string]string, fifo, creating bool) error {
	for k, v := range attrs {
		rule, ok := attrRules[k]
		if !ok {
			return errorf("InvalidAttributeName", "Unknown Attribute %s.", k)
		}
		switch {
		case k == "FifoQueue" && !creating:
			return errorf("InvalidAttributeName", "Attribute FifoQueue can only be set on CreateQueue.")
		case (k == "ContentBasedDeduplication") && !fifo:
			return errorf("InvalidAttributeName", "Unknown Attribute %s.", k)
		case k == "RedrivePolicy":
			if v == "" {
				continue
			}
			if _, _, err := s.redrivePolicy(v, fifo); err != nil {
				return err
			}
		case rule.check != nil:
			if !rule.check(v) {
				return errorf("InvalidAttributeValue", "Invalid value for the parameter %s.", k)
			}
		default:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < rule.min || n > rule.max {
				return errorf("InvalidAttributeValue", "Invalid value for the parameter %s.", k)
			}
		}
	}
	return nil
}

// redrivePolicy parses a RedrivePolicy: the target queue's name and the
// receive count after which messages move there. The target must exist
// and be of the same kind.
func (s *Server) redrivePolicy(v string, fifo bool) (string, int, error) {
	var p struct {
		Target string          `json:"deadLetterTargetArn"`
		Max    json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(v), &p); err != nil || p.Target == "" {
		return "", 0, errorf("InvalidParameterValue", "Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.", v)
	}
	n, err := strconv.Atoi(strings.Trim(string(p.Max), `"`))
	if err != nil || n < 1 || n > 1000 {
		return "", 0, errorf("InvalidParameterValue", "Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: %s, valid values are from 1 to 1000 both inclusive.", v, p.Max)
	}
	name := p.Target[strings.LastIndexByte(p.Target, ':')+1:]
	dlq := s.queues[name]
	if dlq == nil {
		return "", 0, errorf("InvalidParameterValue", "Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.", v)
	}
	if dlq.fifo != fifo {
		return "", 0, errorf("InvalidParameterValue", "Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.", v)
	}
	return name, n, nil
}

func (q *queue) intAttr(name string) int64 {
	v, ok := q.attrs[name]
	if !ok {
		v = attrRules[name].def
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

func (s *Server) createQueue(r *http.Request, body []byte) (any, error) {
	var in struct {
		QueueName  string
		Attributes map[string]string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	base, fifo := strings.CutSuffix(in.QueueName, ".fifo")
	if !queueName.MatchString(base) || len(in.QueueName) > 80 {
		return nil, errorf("InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	if fifo != (in.Attributes["FifoQueue"] == "true") {
		return nil, errorf("InvalidParameterValue", "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkAttrs(in.Attributes, fifo, true); err != nil {
		return nil, err
	}
	if q := s.queues[in.QueueName]; q != nil {
		for k, v := range in.Attributes {
			if cur, ok := q.attrs[k]; (ok && cur != v) || (!ok && v != attrRules[k].def) {
				return nil, errorf("QueueNameExists", "A queue already exists with the same name and a different value for attribute %s", k)
			}
		}
		return map[string]string{"QueueUrl": s.queueURL(r, q.name)}, nil
	}
	now := time.Now()
	attrs := maps.Clone(in.Attributes)
	if attrs == nil {
		attrs = map[string]string{}
	}
	s.queues[in.QueueName] = &queue{name: in.QueueName, fifo: fifo, attrs: attrs, created: now, modified: now, dedup: map[string]dedupRec{}}
	return map[string]string{"QueueUrl": s.queueURL(r, in.QueueName)}, nil
}

func (s *Server) getQueueURL(r *http.Request, body []byte) (any, error) {
	var in struct{ QueueName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queues[in.QueueName] == nil {
		return nil, newError("QueueDoesNotExist", "The specified queue does not exist.")
	}
	return map[string]string{"QueueUrl": s.queueURL(r, in.QueueName)}, nil
}

func (s *Server) getQueueAttributes(_ *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl       string
		AttributeNames []string
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
	all := map[string]string{}
	for k, rule := range attrRules {
		if v, ok := q.attrs[k]; ok {
			all[k] = v
		} else if rule.def != "" {
			all[k] = rule.def
		}
	}
	if q.fifo {
		all["FifoQueue"] = "true"
		if _, ok := all["ContentBasedDeduplication"]; !ok {
			all["ContentBasedDeduplication"] = "false"
		}
	}
	visible, inflight, delayed := q.counts(time.Now())
	all["QueueArn"] = s.arn(q.name)
	all["ApproximateNumberOfMessages"] = strconv.Itoa(visible)
	all["ApproximateNumberOfMessagesNotVisible"] = strconv.Itoa(inflight)
	all["ApproximateNumberOfMessagesDelayed"] = strconv.Itoa(delayed)
	all["CreatedTimestamp"] = strconv.FormatInt(q.created.Unix(), 10)
	all["LastModifiedTimestamp"] = strconv.FormatInt(q.modified.Unix(), 10)
	out := map[string]string{}
	for _, n := range in.AttributeNames {
		if n == "All" {
			out = all
			break
		}
		if _, known := attrRules[n]; !known && !slices.Contains(readOnlyAttrs, n) {
			return nil, errorf("InvalidAttributeName", "Unknown Attribute %s.", n)
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return map[string]any{"Attributes": out}, nil
}

func (s *Server) setQueueAttributes(_ *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl   string
		Attributes map[string]string
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
	if err := s.checkAttrs(in.Attributes, q.fifo, false); err != nil {
		return nil, err
	}
	maps.Copy(q.attrs, in.Attributes)
	q.modified = time.Now()
	s.notify()
	return nil, nil
}

func (s *Server) purgeQueue(_ *http.Request, body []byte) (any, error) {
	var in struct{ QueueUrl string }
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
	if !q.purged.IsZero() && now.Sub(q.purged) < s.sec(purgeIntervalSec) {
		return nil, errorf("PurgeQueueInProgress", "Only one PurgeQueue operation on %s is allowed every 60 seconds.", q.name)
	}
	q.purged = now
	q.msgs = nil
	s.notify()
	return nil, nil
}

// counts returns the messages visible, in flight and delayed at now.
func (q *queue) counts(now time.Time) (visible, inflight, delayed int) {
	for _, m := range q.msgs {
		switch {
		case !now.Before(m.visibleAt):
			visible++
		case m.handle != "":
			inflight++
		default:
			delayed++
		}
	}
	return visible, inflight, delayed
}
