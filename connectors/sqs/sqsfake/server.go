// Package sqsfake is an in-process Amazon SQS speaking the service's JSON
// protocol (AWS JSON 1.0: POST /, X-Amz-Target: AmazonSQS.<Action>,
// Content-Type application/x-amz-json-1.0), so that the unmodified
// aws-sdk-go-v2 client can be pointed at it (BaseEndpoint, static
// credentials) in tests. Signatures are not verified.
//
// Actions: CreateQueue, GetQueueUrl, GetQueueAttributes,
// SetQueueAttributes, SendMessage(+Batch), ReceiveMessage, DeleteMessage
// (+Batch), ChangeMessageVisibility(+Batch), PurgeQueue. Semantics follow
// the service: long polling, visibility timeouts, a fresh receipt handle
// per receive, FIFO queues (per-group order, a group blocked while one of
// its messages is in flight, deduplication within 5 minutes), redrive to a
// dead-letter queue after maxReceiveCount, the 256 KiB and 10-entry limits,
// errors as {"__type", "message"} plus the x-amzn-query-error header the
// SDK reads its error codes from.
//
// Stale receipt handles: deleting with a handle older than the message's
// latest succeeds without deleting on a standard queue (as documented by
// AWS) and fails with ReceiptHandleIsInvalid on a FIFO queue, as does a
// FIFO handle whose visibility timeout has passed; changing the visibility
// through a stale handle fails with InvalidParameterValue, and through the
// latest one of a message no longer in flight with MessageNotInflight.
//
// Not modelled: permissions, tags, KMS, message move tasks,
// ReceiveRequestAttemptId deduplication, the 12-hour visibility cap.
package sqsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configure a Server.
type Options struct {
	// Second is how long one second of the protocol lasts: visibility
	// timeouts, wait times, delays, the deduplication window and the
	// purge interval are counted in it. Tests shorten it (e.g. 20 ms) to
	// exercise timeouts quickly. Zero means time.Second.
	Second time.Duration
	// Region and Account appear in queue URLs and ARNs; defaults
	// "us-east-1" and "000000000000".
	Region, Account string
}

// Server is the fake service; its ServeHTTP answers SDK requests. Safe for
// concurrent use.
type Server struct {
	opts Options

	mu      sync.Mutex
	queues  map[string]*queue
	changed chan struct{} // closed and replaced at every change, to wake long polls
	nextID  uint64
	faults  map[string]*fault // FailNext, by action
	entries map[string]*fault // FailEntries, by action
	calls   map[string]int
}

// fault is a pending injected failure.
type fault struct {
	n    int
	code string
}

// New returns an empty server.
func New(opts Options) *Server {
	if opts.Second <= 0 {
		opts.Second = time.Second
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Account == "" {
		opts.Account = "000000000000"
	}
	return &Server{
		opts: opts, queues: map[string]*queue{}, changed: make(chan struct{}),
		faults: map[string]*fault{}, entries: map[string]*fault{}, calls: map[string]int{},
	}
}

// FailNext makes the next n calls of action (e.g. "ReceiveMessage") fail
// with the error code, e.g. "InternalError" (HTTP 500, which the SDK
// retries), "RequestThrottled" or "QueueDoesNotExist".
func (s *Server) FailNext(action string, n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[action] = &fault{n: n, code: code}
}

// FailEntries makes the next n entries of action's batches (e.g.
// "SendMessageBatch") fail with code in the response's Failed list; the
// other entries of those batches succeed. "InternalError" is reported as
// the receiver's fault, any other code as the sender's.
func (s *Server) FailEntries(action string, n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries[action] = &fault{n: n, code: code}
}

// Calls returns how many calls of action the server has answered,
// failures included.
func (s *Server) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[action]
}

// takeFault consumes one injected failure of action. Called locked.
func (s *Server) takeFault(m map[string]*fault, action string) string {
	f := m[action]
	if f == nil || f.n <= 0 {
		return ""
	}
	f.n--
	return f.code
}

// notify wakes long polls. Called locked.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// sec converts protocol seconds to a duration.
func (s *Server) sec(n int64) time.Duration { return time.Duration(n) * s.opts.Second }

const targetPrefix = "AmazonSQS."

// handler answers one action: it decodes its request from body and
// returns the response value or an *apiError.
type handler func(s *Server, r *http.Request, body []byte) (any, error)

var handlers = map[string]handler{
	"CreateQueue":                  (*Server).createQueue,
	"GetQueueUrl":                  (*Server).getQueueURL,
	"GetQueueAttributes":           (*Server).getQueueAttributes,
	"SetQueueAttributes":           (*Server).setQueueAttributes,
	"PurgeQueue":                   (*Server).purgeQueue,
	"SendMessage":                  (*Server).sendMessage,
	"SendMessageBatch":             (*Server).sendMessageBatch,
	"ReceiveMessage":               (*Server).receiveMessage,
	"DeleteMessage":                (*Server).deleteMessage,
	"DeleteMessageBatch":           (*Server).deleteMessageBatch,
	"ChangeMessageVisibility":      (*Server).changeVisibility,
	"ChangeMessageVisibilityBatch": (*Server).changeVisibilityBatch,
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, newError("UnsupportedOperation", "only POST is supported"))
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-amz-json-1.0") {
		writeError(w, newError("InvalidParameterValue", fmt.Sprintf("unsupported Content-Type %q: want application/x-amz-json-1.0", ct)))
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		writeError(w, newError("MissingAuthenticationToken", "Request is missing Authentication Token"))
		return
	}
	action, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	h := handlers[action]
	if !ok || h == nil {
		writeError(w, newError("UnknownOperationException", fmt.Sprintf("unknown operation %q", r.Header.Get("X-Amz-Target"))))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, newError("InvalidParameterValue", "reading the request body: "+err.Error()))
		return
	}
	s.mu.Lock()
	s.calls[action]++
	code := s.takeFault(s.faults, action)
	s.mu.Unlock()
	if code != "" {
		writeError(w, newError(code, "injected failure"))
		return
	}
	out, err := h(s, r, body)
	if err != nil {
		writeError(w, err)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeError(w, newError("InternalError", "encoding the response: "+err.Error()))
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Requestid", "00000000-0000-0000-0000-000000000000")
	_, _ = w.Write(b)
}

// decode reads a request body into v.
func decode(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return newError("SerializationException", "malformed request body: "+err.Error())
	}
	return nil
}

// queueOf finds the queue a QueueUrl names (its last path segment; the
// host is not checked, so URLs work whatever address the server has).
// Called locked.
func (s *Server) queueOf(url string) (*queue, error) {
	if url == "" {
		return nil, newError("MissingParameter", "The request must contain the parameter QueueUrl.")
	}
	name := url[strings.LastIndexByte(url, '/')+1:]
	q := s.queues[name]
	if q == nil {
		return nil, newError("QueueDoesNotExist", "The specified queue does not exist.")
	}
	return q, nil
}

// queueURL is the URL of a queue as seen by the request's client.
func (s *Server) queueURL(r *http.Request, name string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s/%s/%s", scheme, r.Host, s.opts.Account, name)
}

func (s *Server) arn(name string) string {
	return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", s.opts.Region, s.opts.Account, name)
}
