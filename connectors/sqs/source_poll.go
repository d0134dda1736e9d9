package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// pollFailures is how many ReceiveMessage calls in a row (each already
// retried by the SDK) may fail before Read reports the error.
const pollFailures = 3

// commitAttempts is how often CommitPosition tries to delete a message
// whose deletion failed on the service's side.
const commitAttempts = 3

// backoff is the pause before retry n (0-based).
func backoff(n int) time.Duration { return min(50*time.Millisecond<<n, 2*time.Second) }

// startLocked starts the poller and the keeper. Called locked.
func (r *reader) startLocked() {
	ctx, stop := context.WithCancel(context.Background())
	r.started, r.stop = true, stop
	r.done.Add(2)
	go func() { defer r.done.Done(); r.poll(ctx) }()
	go func() { defer r.done.Done(); r.keep(ctx) }()
}

// visibility is the visibility timeout messages are received with.
func (r *reader) visibility() time.Duration { return time.Duration(r.t.vis) * protocolSecond }

// poll long-polls the queue while the inbox has room.
func (r *reader) poll(ctx context.Context) {
	failures := 0
	for ctx.Err() == nil {
		r.mu.Lock()
		full := len(r.inbox) >= min(maxPrefetch, r.req.BatchRows)
		r.mu.Unlock()
		if full {
			select {
			case <-r.space:
				continue
			case <-ctx.Done():
				return
			}
		}
		sent := time.Now()
		out, err := r.t.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(r.url), MaxNumberOfMessages: 10, WaitTimeSeconds: r.t.wait, VisibilityTimeout: r.t.vis,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{
				types.MessageSystemAttributeNameSentTimestamp, types.MessageSystemAttributeNameMessageGroupId},
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if failures++; failures >= pollFailures {
				r.fail(fmt.Errorf("receiving from sqs queue %s: %w", r.t.name(), err))
				return
			}
			sleep(ctx, backoff(failures))
			continue
		}
		failures = 0
		if len(out.Messages) == 0 {
			continue
		}
		deadline := sent.Add(r.visibility())
		r.mu.Lock()
		for _, m := range out.Messages {
			r.inbox = append(r.inbox, &tracked{msg: m, deadline: deadline})
		}
		r.mu.Unlock()
		r.signal()
	}
}

// fail records the poller's error for Read.
func (r *reader) fail(err error) {
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
	r.signal()
}

func (r *reader) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// keep extends the visibility of every message held (unread or waiting
// for its checkpoint) once half its timeout has passed, checking six
// times per timeout so that at least a third of it is left. A failed
// extension is left to the next round; a message whose timeout passed
// anyway is received again (at least once).
func (r *reader) keep(ctx context.Context) {
	vis := r.visibility()
	tick := time.NewTicker(max(vis/6, 5*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
		now := time.Now()
		var due []*tracked
		r.mu.Lock()
		for _, list := range [][]*tracked{r.inbox, r.pending} {
			for _, m := range list {
				if m.deadline.Sub(now) < vis/2 {
					due = append(due, m)
				}
			}
		}
		r.mu.Unlock()
		if len(due) > 0 {
			_ = r.changeVisibility(ctx, due, r.t.vis)
		}
	}
}

// changeVisibility sets the visibility timeout of msgs to vis seconds, 10
// at a time, and moves the deadlines of those that succeeded.
func (r *reader) changeVisibility(ctx context.Context, msgs []*tracked, vis int32) error {
	var errs []error
	for chunk := range chunks(msgs, 10) {
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(chunk))
		for i, m := range chunk {
			entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.msg.ReceiptHandle, VisibilityTimeout: vis}
		}
		sent := time.Now()
		out, err := r.t.client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(r.url), Entries: entries})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.mu.Lock()
		for _, ok := range out.Successful {
			if i, err := strconv.Atoi(aws.ToString(ok.Id)); err == nil && i < len(chunk) {
				chunk[i].deadline = sent.Add(time.Duration(vis) * protocolSecond)
			}
		}
		r.mu.Unlock()
	}
	return errors.Join(errs...)
}

// chunks yields s in slices of at most n.
func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// CommitPosition implements catalog.PositionCommitter: it deletes the
// messages read up to pos. A position from an earlier reader (before a
// restart) names nothing this reader holds. A message whose receipt
// handle went stale (its visibility timeout passed and it was received
// again) cannot be deleted and comes back: at least once.
func (r *reader) CommitPosition(ctx context.Context, pos []byte) error {
	var p position
	if err := json.Unmarshal(pos, &p); err != nil {
		return fmt.Errorf("committing %s: malformed position %q", r.id, pos)
	}
	r.mu.Lock()
	if p.Session != r.session {
		r.mu.Unlock()
		return nil
	}
	n := 0
	for n < len(r.pending) && r.pending[n].seq <= p.Read {
		n++
	}
	done := r.pending[:n:n]
	r.mu.Unlock()
	if err := r.delete(ctx, done); err != nil {
		return fmt.Errorf("committing %s: %w", r.id, err)
	}
	r.mu.Lock()
	r.pending = r.pending[n:]
	r.mu.Unlock()
	return nil
}

// delete deletes msgs, retrying entries that failed on the service's side.
func (r *reader) delete(ctx context.Context, msgs []*tracked) error {
	for chunk := range chunks(msgs, 10) {
		left := chunk
		for attempt := 0; len(left) > 0; attempt++ {
			if attempt > 0 {
				sleep(ctx, backoff(attempt-1))
			}
			entries := make([]types.DeleteMessageBatchRequestEntry, len(left))
			for i, m := range left {
				entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.msg.ReceiptHandle}
			}
			out, err := r.t.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(r.url), Entries: entries})
			if err != nil {
				return fmt.Errorf("deleting messages from sqs queue %s: %w", r.t.name(), err)
			}
			var retry []*tracked
			var last types.BatchResultErrorEntry
			for _, f := range out.Failed {
				i, err := strconv.Atoi(aws.ToString(f.Id))
				if err != nil || i >= len(left) || f.SenderFault {
					continue // a stale or expired handle: the message comes back
				}
				retry, last = append(retry, left[i]), f
			}
			if len(retry) > 0 && attempt+1 >= commitAttempts {
				return fmt.Errorf("deleting %d messages from sqs queue %s: %s: %s", len(retry), r.t.name(), aws.ToString(last.Code), aws.ToString(last.Message))
			}
			left = retry
		}
	}
	return nil
}
