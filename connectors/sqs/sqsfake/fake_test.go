package sqsfake

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

var ctx = context.Background()

func TestQueues(t *testing.T) {
	_, c := start(t)
	url := create(t, c, "jobs", map[string]string{"VisibilityTimeout": "5"})
	if again := create(t, c, "jobs", map[string]string{"VisibilityTimeout": "5"}); again != url {
		t.Fatalf("creating an identical queue again gave %s, want %s", again, url)
	}
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs"), Attributes: map[string]string{"VisibilityTimeout": "6"}})
	wantCode(t, err, "QueueAlreadyExists")
	var exists *types.QueueNameExists
	if !errors.As(err, &exists) {
		t.Fatalf("got %T, want *types.QueueNameExists", err)
	}
	got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("jobs")})
	if err != nil || aws.ToString(got.QueueUrl) != url {
		t.Fatalf("GetQueueUrl = %v, %v; want %s", got, err, url)
	}
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	var missing *types.QueueDoesNotExist
	if !errors.As(err, &missing) {
		t.Fatalf("got %T, want *types.QueueDoesNotExist", err)
	}
	for name, attrs := range map[string]map[string]string{
		"plain.fifo": nil, "fifo-without-suffix": {"FifoQueue": "true"}, "bad name": nil,
	} {
		_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		wantCode(t, err, "InvalidParameterValue")
	}
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("x"), Attributes: map[string]string{"Colour": "blue"}})
	wantCode(t, err, "InvalidAttributeName")
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("x"), Attributes: map[string]string{"VisibilityTimeout": "99999"}})
	wantCode(t, err, "InvalidAttributeValue")
}

func TestQueueAttributesAndPurge(t *testing.T) {
	srv, c := start(t)
	url := create(t, c, "attrs", nil)
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: map[string]string{"DelaySeconds": "25"}}); err != nil {
		t.Fatal(err)
	}
	send(t, c, url, "a")
	send(t, c, url, "b")
	attrs := func() map[string]string {
		out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes
	}
	if a := attrs(); a["ApproximateNumberOfMessagesDelayed"] != "2" || a["DelaySeconds"] != "25" || a["QueueArn"] != "arn:aws:sqs:us-east-1:000000000000:attrs" {
		t.Fatalf("attributes after two delayed sends: %v", a)
	}
	waitFor(t, "the delay to pass", func() bool { return attrs()["ApproximateNumberOfMessages"] == "2" })
	receive(t, c, url, 1, 100)
	if a := attrs(); a["ApproximateNumberOfMessages"] != "1" || a["ApproximateNumberOfMessagesNotVisible"] != "1" {
		t.Fatalf("attributes after one receive: %v", a)
	}
	_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"FifoQueue": "true"}})
	wantCode(t, err, "InvalidAttributeName")
	_, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"Nope"}})
	wantCode(t, err, "InvalidAttributeName")

	if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	if a := attrs(); a["ApproximateNumberOfMessages"] != "0" || a["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Fatalf("attributes after purge: %v", a)
	}
	_, err = c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
	wantCode(t, err, "AWS.SimpleQueueService.PurgeQueueInProgress")
	if n := srv.Calls("PurgeQueue"); n != 2 {
		t.Fatalf("Calls(PurgeQueue) = %d, want 2", n)
	}
}

func TestSendReceiveDelete(t *testing.T) {
	_, c := start(t)
	url := create(t, c, "q", nil)
	sent := send(t, c, url, `{"id":1}`)
	if sum := md5.Sum([]byte(`{"id":1}`)); aws.ToString(sent.MD5OfMessageBody) != hex.EncodeToString(sum[:]) {
		t.Fatalf("MD5OfMessageBody = %q", aws.ToString(sent.MD5OfMessageBody))
	}
	ms := receive(t, c, url, 10, 30)
	if len(ms) != 1 || aws.ToString(ms[0].Body) != `{"id":1}` || aws.ToString(ms[0].MessageId) != aws.ToString(sent.MessageId) {
		t.Fatalf("received %v, want the sent message", bodies(ms))
	}
	a := ms[0].Attributes
	if a["ApproximateReceiveCount"] != "1" || a["SentTimestamp"] == "" || a["ApproximateFirstReceiveTimestamp"] == "" {
		t.Fatalf("system attributes %v", a)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: ms[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	// Deleting again is no error: the message is gone.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: ms[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("garbage")})
	wantCode(t, err, "ReceiptHandleIsInvalid")
	if ms := receive(t, c, url, 10, 30); len(ms) != 0 {
		t.Fatalf("received %v after the delete", bodies(ms))
	}
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url + "-gone"), MessageBody: aws.String("x")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
}

func TestMessageAttributesRoundTrip(t *testing.T) {
	_, c := start(t)
	url := create(t, c, "attrs", nil)
	send(t, c, url, "x", func(in *sqs.SendMessageInput) {
		in.MessageAttributes = map[string]types.MessageAttributeValue{"trace": {DataType: aws.String("String"), StringValue: aws.String("t1")}}
	})
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MessageAttributeNames: []string{"All"}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receiving: %v %v", out, err)
	}
	if v := out.Messages[0].MessageAttributes["trace"]; aws.ToString(v.StringValue) != "t1" {
		t.Fatalf("message attribute trace = %v", v)
	}
}

func TestVisibilityAndStaleHandles(t *testing.T) {
	_, c := start(t)
	url := create(t, c, "vis", nil)
	send(t, c, url, "m")
	first := receive(t, c, url, 1, 25)
	if len(first) != 1 {
		t.Fatal("no message")
	}
	if ms := receive(t, c, url, 1, 3); len(ms) != 0 {
		t.Fatalf("received %v while the message was in flight", bodies(ms))
	}
	// Extending the visibility keeps it in flight past the first timeout.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url),
		ReceiptHandle: first[0].ReceiptHandle, VisibilityTimeout: 100}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * testSecond)
	if ms := receive(t, c, url, 1, 3); len(ms) != 0 {
		t.Fatalf("received %v after the visibility was extended", bodies(ms))
	}
	// Setting it to 0 makes it visible at once: the next receive gets a
	// new handle and the old one goes stale.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url),
		ReceiptHandle: first[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url),
		ReceiptHandle: first[0].ReceiptHandle, VisibilityTimeout: 5})
	wantCode(t, err, "AWS.SimpleQueueService.MessageNotInflight")
	second := receive(t, c, url, 1, 1)
	if len(second) != 1 || second[0].Attributes["ApproximateReceiveCount"] != "2" || aws.ToString(second[0].ReceiptHandle) == aws.ToString(first[0].ReceiptHandle) {
		t.Fatalf("second receive %v", second)
	}
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url),
		ReceiptHandle: first[0].ReceiptHandle, VisibilityTimeout: 5})
	wantCode(t, err, "InvalidParameterValue")
	// A stale handle deletes nothing on a standard queue.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	var third []types.Message
	waitFor(t, "the message to come back", func() bool { third = receive(t, c, url, 1, 30); return len(third) == 1 })
	if third[0].Attributes["ApproximateReceiveCount"] != "3" {
		t.Fatalf("third receive count %s", third[0].Attributes["ApproximateReceiveCount"])
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: third[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
}

func TestLongPolling(t *testing.T) {
	_, c := start(t)
	url := create(t, c, "poll", nil)
	start := time.Now()
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5})
	if err != nil || len(out.Messages) != 0 {
		t.Fatalf("empty long poll: %v %v", out, err)
	}
	if d := time.Since(start); d < 5*testSecond {
		t.Fatalf("an empty long poll returned after %v, want at least %v", d, 5*testSecond)
	}
	got := make(chan []types.Message, 1)
	go func() {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
		if err != nil {
			got <- nil
			return
		}
		got <- out.Messages
	}()
	send(t, c, url, "late")
	select {
	case ms := <-got:
		if len(ms) != 1 || aws.ToString(ms[0].Body) != "late" {
			t.Fatalf("long poll got %v", bodies(ms))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll did not return the message")
	}
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 21})
	wantCode(t, err, "InvalidParameterValue")
}

func TestFIFO(t *testing.T) {
	_, c := start(t)
	url := create(t, c, "orders.fifo", map[string]string{"FifoQueue": "true"})
	for _, b := range []string{"a1", "b1", "a2", "b2", "a3"} {
		send(t, c, url, b, group(b[:1], "d"+b))
	}
	// A duplicate id within the window is accepted and dropped.
	dup := send(t, c, url, "a1-again", group("a", "da1"))
	first := receive(t, c, url, 2, 30)
	if got := bodies(first); !slices.Equal(got, []string{"a1", "b1"}) {
		t.Fatalf("first receive %v, want [a1 b1]", got)
	}
	if aws.ToString(dup.MessageId) != aws.ToString(first[0].MessageId) {
		t.Fatal("a deduplicated send should return the original message id")
	}
	if first[0].Attributes["MessageGroupId"] != "a" || first[0].Attributes["SequenceNumber"] == "" {
		t.Fatalf("FIFO attributes %v", first[0].Attributes)
	}
	// Both groups have a message in flight: nothing to receive.
	if ms := receive(t, c, url, 10, 30); len(ms) != 0 {
		t.Fatalf("received %v while both groups were blocked", bodies(ms))
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if got := bodies(receive(t, c, url, 10, 30)); !slices.Equal(got, []string{"a2", "a3"}) {
		t.Fatalf("after deleting a1 got %v, want [a2 a3] (b blocked by b1)", got)
	}
	_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
	wantCode(t, err, "MissingParameter")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("a")})
	wantCode(t, err, "InvalidParameterValue")
	// An expired FIFO handle cannot delete.
	short := create(t, c, "short.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	send(t, c, short, "same", group("g", ""))
	send(t, c, short, "same", group("g", "")) // content-based duplicate
	ms := receive(t, c, short, 10, 1)
	if len(ms) != 1 {
		t.Fatalf("content-based deduplication let %d copies through", len(ms))
	}
	time.Sleep(2 * testSecond)
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(short), ReceiptHandle: ms[0].ReceiptHandle})
	wantCode(t, err, "ReceiptHandleIsInvalid")
}

func TestDedupWindowExpires(t *testing.T) {
	second := time.Millisecond
	_, c := startWith(t, Options{Second: second})
	url := create(t, c, "w.fifo", map[string]string{"FifoQueue": "true"})
	a := send(t, c, url, "x", group("g", "same"))
	if b := send(t, c, url, "x", group("g", "same")); aws.ToString(a.MessageId) != aws.ToString(b.MessageId) {
		t.Fatal("a duplicate within the window was not deduplicated")
	}
	time.Sleep(dedupWindowSecs * second)
	b := send(t, c, url, "x", group("g", "same"))
	if aws.ToString(a.MessageId) == aws.ToString(b.MessageId) {
		t.Fatal("a send after the deduplication window was dropped")
	}
}

func TestRedrive(t *testing.T) {
	_, c := start(t)
	dlq := create(t, c, "dead", nil)
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("src"), Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:nowhere","maxReceiveCount":"2"}`}})
	wantCode(t, err, "InvalidParameterValue")
	src := create(t, c, "src", map[string]string{"VisibilityTimeout": "0",
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dead","maxReceiveCount":2}`})
	send(t, c, src, "poison")
	for i := range 2 {
		if ms := receive(t, c, src, 1, 0); len(ms) != 1 {
			t.Fatalf("receive %d got %d messages", i+1, len(ms))
		}
	}
	if ms := receive(t, c, src, 1, 0); len(ms) != 0 {
		t.Fatalf("received %v past maxReceiveCount", bodies(ms))
	}
	if got := bodies(receive(t, c, dlq, 1, 30)); !slices.Equal(got, []string{"poison"}) {
		t.Fatalf("dead-letter queue holds %v", got)
	}
}

func TestLimits(t *testing.T) {
	_, c := start(t)
	url := create(t, c, "lim", nil)
	_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(strings.Repeat("x", maxMessageSize+1))})
	wantCode(t, err, "InvalidParameterValue")
	send(t, c, url, strings.Repeat("x", maxMessageSize))
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("bad\x01char")})
	wantCode(t, err, "InvalidMessageContents")
	entries := func(n, size int) []types.SendMessageBatchRequestEntry {
		var out []types.SendMessageBatchRequestEntry
		for i := range n {
			out = append(out, types.SendMessageBatchRequestEntry{Id: aws.String(string(rune('a' + i))), MessageBody: aws.String(strings.Repeat("y", size))})
		}
		return out
	}
	batch := func(es []types.SendMessageBatchRequestEntry) error {
		_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: es})
		return err
	}
	wantCode(t, batch(entries(11, 1)), "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
	wantCode(t, batch(entries(2, maxMessageSize/2+1)), "AWS.SimpleQueueService.BatchRequestTooLong")
	wantCode(t, batch([]types.SendMessageBatchRequestEntry{}), "AWS.SimpleQueueService.EmptyBatchRequest")
	dups := entries(2, 1)
	dups[1].Id = dups[0].Id
	wantCode(t, batch(dups), "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
	bad := entries(1, 1)
	bad[0].Id = aws.String("no spaces")
	wantCode(t, batch(bad), "AWS.SimpleQueueService.InvalidBatchEntryId")
	if err := batch(entries(10, maxMessageSize/10)); err != nil {
		t.Fatalf("a batch at the limits: %v", err)
	}
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 11})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{}})
	wantCode(t, err, "AWS.SimpleQueueService.EmptyBatchRequest")
}

func TestBatchesAndInjectedFaults(t *testing.T) {
	srv, c := start(t)
	url := create(t, c, "b", nil)
	var es []types.SendMessageBatchRequestEntry
	for i := range 5 {
		es = append(es, types.SendMessageBatchRequestEntry{Id: aws.String(string(rune('a' + i))), MessageBody: aws.String(string(rune('a' + i)))})
	}
	es[4].MessageBody = aws.String("bad\x02")
	srv.FailEntries("SendMessageBatch", 2, "InternalError")
	out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: es})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 2 || len(out.Failed) != 3 {
		t.Fatalf("batch: %d successful, %d failed; want 2 and 3", len(out.Successful), len(out.Failed))
	}
	f := out.Failed
	if aws.ToString(f[0].Code) != "InternalError" || f[0].SenderFault || aws.ToString(f[2].Code) != "InvalidMessageContents" || !f[2].SenderFault {
		t.Fatalf("failed entries %+v", f)
	}
	ms := receive(t, c, url, 10, 30)
	if got := bodies(ms); !slices.Equal(got, []string{"c", "d"}) {
		t.Fatalf("received %v, want [c d]", got)
	}
	vis, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("1"), ReceiptHandle: ms[0].ReceiptHandle, VisibilityTimeout: 60},
		{Id: aws.String("2"), ReceiptHandle: aws.String("nonsense"), VisibilityTimeout: 60},
	}})
	if err != nil || len(vis.Successful) != 1 || len(vis.Failed) != 1 || aws.ToString(vis.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Fatalf("visibility batch: %+v %v", vis, err)
	}
	srv.FailEntries("DeleteMessageBatch", 1, "InternalError")
	del, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("1"), ReceiptHandle: ms[0].ReceiptHandle}, {Id: aws.String("2"), ReceiptHandle: ms[1].ReceiptHandle},
	}})
	if err != nil || len(del.Successful) != 1 || aws.ToString(del.Failed[0].Id) != "1" {
		t.Fatalf("delete batch: %+v %v", del, err)
	}

	// A whole call failing: the SDK retries a 500 and succeeds.
	srv.FailNext("GetQueueUrl", 1, "InternalError")
	before := srv.Calls("GetQueueUrl")
	if _, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("b")}); err != nil {
		t.Fatalf("GetQueueUrl after one injected 500: %v", err)
	}
	if n := srv.Calls("GetQueueUrl") - before; n != 2 {
		t.Fatalf("GetQueueUrl took %d calls, want 2 (one retry)", n)
	}
	srv.FailNext("ReceiveMessage", 1, "QueueDoesNotExist")
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
}
