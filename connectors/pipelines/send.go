package pipelines

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxBackoff caps the delay between retries (Retry-After may ask more).
const maxBackoff = 30 * time.Second

// sender delivers encoded rows to the ingest endpoint.
type sender struct {
	cfg    *config
	client *http.Client
	dead   *deadLetter                                      // nil: undeliverable rows fail the job
	sleep  func(ctx context.Context, d time.Duration) error // nil: a timer
}

// flush delivers every lane's rows: lanes one after another, or in
// parallel when there are several (rows of one key share a lane, so each
// key's rows still go in order).
func (s *sender) flush(ctx context.Context, lanes [][][]byte) error {
	busy := 0
	for _, l := range lanes {
		if len(l) > 0 {
			busy++
		}
	}
	if busy <= 1 {
		for _, l := range lanes {
			if err := s.lane(ctx, l); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(lanes))
	var wg sync.WaitGroup
	for i, l := range lanes {
		if len(l) == 0 {
			continue
		}
		wg.Go(func() {
			if errs[i] = s.lane(ctx, l); errs[i] != nil {
				cancel() // the job fails: stop the other lanes early
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lane sends rows in order, in requests under max_request_bytes. A row
// too large for any request is dead-lettered.
func (s *sender) lane(ctx context.Context, rows [][]byte) error {
	limit := s.cfg.maxRequestBytes
	start, size := 0, 2 // "[" and "]"
	for i, row := range rows {
		if len(row)+2 > limit {
			if err := s.send(ctx, rows[start:i]); err != nil {
				return err
			}
			reason := fmt.Sprintf("row of %d bytes exceeds max_request_bytes %d", len(row), limit)
			if err := s.deadLetter(ctx, rows[i:i+1], reason); err != nil {
				return err
			}
			start, size = i+1, 2
			continue
		}
		if size+len(row)+1 > limit { // +1: the comma
			if err := s.send(ctx, rows[start:i]); err != nil {
				return err
			}
			start, size = i, 2
		}
		size += len(row) + 1
	}
	return s.send(ctx, rows[start:])
}

// send delivers rows as one request: what may succeed later is retried,
// a request refused as a whole is split in halves to isolate the rows at
// fault, and what still fails is dead-lettered.
func (s *sender) send(ctx context.Context, rows [][]byte) error {
	if len(rows) == 0 {
		return nil
	}
	f := s.attempt(ctx, rows)
	switch {
	case f == nil:
		return nil
	case f.fatal != nil:
		return f.fatal
	case f.split && len(rows) > 1:
		h := len(rows) / 2
		if err := s.send(ctx, rows[:h]); err != nil {
			return err
		}
		return s.send(ctx, rows[h:])
	}
	return s.deadLetter(ctx, rows, f.reason)
}

// failure is why a request was not accepted.
type failure struct {
	fatal  error  // fails the job (bad credentials, wrong URL, cancelled)
	split  bool   // the endpoint refused the request as a whole (400, 413, 422)
	reason string // for the dead letters
}

// attempt POSTs rows, retrying 408, 425, 429, 5xx and network errors.
func (s *sender) attempt(ctx context.Context, rows [][]byte) *failure {
	body := make([]byte, 0, 2+len(rows))
	body = append(body, '[')
	for i, r := range rows {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, r...)
	}
	body = append(body, ']')
	where := "POST " + s.cfg.endpoint.Redacted()
	began := time.Now()
	for try := 0; ; try++ {
		status, retryAfter, msg, err := s.post(ctx, body)
		if ctx.Err() != nil {
			return &failure{fatal: fmt.Errorf("sending to %s: %w", s.cfg.endpoint.Redacted(), ctx.Err())}
		}
		var last string
		switch {
		case err != nil:
			last = err.Error()
		case status/100 == 2:
			return nil
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return &failure{fatal: fmt.Errorf("sending to %s: %d %s: the endpoint refused the credentials (check the token and its Workers Pipeline Send permission)", s.cfg.endpoint.Redacted(), status, msg)}
		case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
			return &failure{fatal: fmt.Errorf("sending to %s: %d %s: check the url", s.cfg.endpoint.Redacted(), status, msg)}
		case status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge || status == http.StatusUnprocessableEntity:
			return &failure{split: true, reason: fmt.Sprintf("%s: %d %s", where, status, msg)}
		case status/100 == 4 && status != http.StatusRequestTimeout && status != http.StatusTooEarly && status != http.StatusTooManyRequests:
			return &failure{reason: fmt.Sprintf("%s: %d %s", where, status, msg)}
		default:
			last = fmt.Sprintf("%d %s", status, msg)
		}
		delay := s.backoff(try)
		if retryAfter > 0 {
			delay = retryAfter
		}
		if try >= s.cfg.maxRetries || time.Since(began)+delay > s.cfg.maxElapsed {
			return &failure{reason: fmt.Sprintf("%s: gave up after %d attempts in %s: %s", where, try+1, time.Since(began).Round(time.Millisecond), last)}
		}
		if err := s.wait(ctx, delay); err != nil {
			return &failure{fatal: fmt.Errorf("sending to %s: %w", s.cfg.endpoint.Redacted(), err)}
		}
	}
}

// post makes one request: the status, the Retry-After delay asked (0 if
// none), a short excerpt of the response body, or a network error.
func (s *sender) post(ctx context.Context, body []byte) (int, time.Duration, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.endpoint.String(), bytes.NewReader(body))
	if err != nil {
		return 0, 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if s.cfg.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.cfg.token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, 0, "", err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // lets the connection be reused
	msg := http.StatusText(resp.StatusCode)
	if t := strings.TrimSpace(strings.ToValidUTF8(string(head), "?")); t != "" {
		msg += ": " + s.cfg.redact(t)
	}
	return resp.StatusCode, retryAfter(resp.Header.Get("Retry-After")), msg, nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// backoff is the delay before retry try+1: exponential with jitter (half
// fixed, half random), capped.
func (s *sender) backoff(try int) time.Duration {
	d := s.cfg.retryBackoff << min(try, 20)
	if d <= 0 || d > maxBackoff {
		d = maxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// wait sleeps d, or less if ctx ends.
func (s *sender) wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deadLetter hands rows that cannot be delivered to the dead-letter
// output, or fails the job when there is none.
func (s *sender) deadLetter(ctx context.Context, rows [][]byte, reason string) error {
	if s.dead == nil {
		return fmt.Errorf("delivering %d rows to %s: %s (set dead_letter to divert such rows and go on)", len(rows), s.cfg.endpoint.Redacted(), reason)
	}
	return s.dead.write(ctx, rows, reason)
}
