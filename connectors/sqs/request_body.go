package sqs

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// httpDoer is the client the SDK sends requests through.
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// ownedBody hands net/http a copy of each request body that the SDK cannot
// close. smithy-go closes the body as soon as the response headers arrive,
// while net/http's writer may still be reading it to its end; that failed
// read closes the connection under the response being read
// (aws/aws-sdk-go-v2#2737), and the SDK's retry then finds a
// ReceiveMessage's messages hidden for their visibility timeout, or sends
// a SendMessageBatch twice. SQS bodies are at most a few MB and already in
// memory, so the copy is cheap.
type ownedBody struct{ next httpDoer }

func (c ownedBody) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("reading the request body: %w", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	return c.next.Do(r)
}
