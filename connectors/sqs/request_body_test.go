package sqs

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// closeAware fails reads once closed, as smithy-go's request body does.
type closeAware struct {
	r      io.Reader
	closed bool
}

func (c *closeAware) Read(p []byte) (int, error) {
	if c.closed {
		return 0, errors.New("read after close")
	}
	return c.r.Read(p)
}

func (c *closeAware) Close() error { c.closed = true; return nil }

type capture struct{ req *http.Request }

func (c *capture) Do(r *http.Request) (*http.Response, error) {
	c.req = r
	return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
}

// The transport keeps a body the SDK's close cannot cut short, and can
// rewind it for a retry on a fresh connection.
func TestOwnedBodySurvivesTheSDKClosingIt(t *testing.T) {
	sdkBody := &closeAware{r: strings.NewReader(`{"QueueUrl":"q"}`)}
	req, err := http.NewRequest("POST", "http://sqs.local/", sdkBody)
	if err != nil {
		t.Fatal(err)
	}
	next := &capture{}
	if _, err := (ownedBody{next: next}).Do(req); err != nil {
		t.Fatal(err)
	}
	sdkBody.Close() // what smithy-go does once the response headers arrive
	got, err := io.ReadAll(next.req.Body)
	if err != nil || string(got) != `{"QueueUrl":"q"}` {
		t.Fatalf("transport read %q, %v", got, err)
	}
	again, _ := next.req.GetBody()
	if got, _ := io.ReadAll(again); string(got) != `{"QueueUrl":"q"}` {
		t.Fatalf("GetBody gave %q", got)
	}
}

// A body that cannot be read fails the request instead of sending a
// truncated one.
func TestOwnedBodyReadError(t *testing.T) {
	sdkBody := &closeAware{r: strings.NewReader("x"), closed: true}
	req, _ := http.NewRequest("POST", "http://sqs.local/", sdkBody)
	next := &capture{}
	if _, err := (ownedBody{next: next}).Do(req); err == nil || !strings.Contains(err.Error(), "reading the request body") || next.req != nil {
		t.Fatalf("got %v, sent %v", err, next.req != nil)
	}
}
