package sqs

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/sqs/sqsfake"
	"github.com/streamsql/streamsql/operators/expr"
)

// testSecond is the protocol second of the tests' fake (and of the
// connector under test, through protocolSecond).
const testSecond = 20 * time.Millisecond

// env is a fake SQS with an SDK client for the test's own calls.
type env struct {
	srv      *sqsfake.Server
	endpoint string
	client   *sqs.Client
}

// credentialEnv points the SDK's default chain at static test
// credentials and away from the machine's AWS configuration.
func credentialEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTESTKEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret-never-shown")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func newEnv(t *testing.T) *env {
	t.Helper()
	credentialEnv(t)
	old := protocolSecond
	protocolSecond = testSecond
	t.Cleanup(func() { protocolSecond = old })
	srv := sqsfake.New(sqsfake.Options{Second: testSecond})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	client := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTESTKEY", SecretAccessKey: "x"}, nil
		}), HTTPClient: ownedBody{next: awshttp.NewBuildableClient()}})
	return &env{srv: srv, endpoint: hs.URL, client: client}
}

func (e *env) create(t *testing.T, name string, attrs map[string]string) string {
	t.Helper()
	out, err := e.client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl)
}

// send sends bodies one by one (FIFO: group from groupOf, content-based
// deduplication off, ids from the index).
func (e *env) send(t *testing.T, url string, bodies []string, groupOf func(int) string) {
	t.Helper()
	for i, b := range bodies {
		in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)}
		if groupOf != nil {
			in.MessageGroupId = aws.String(groupOf(i))
			in.MessageDeduplicationId = aws.String("d" + strconv.Itoa(i))
		}
		if _, err := e.client.SendMessage(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
}

// counts returns the queue's visible and in-flight messages.
func (e *env) counts(t *testing.T, url string) (visible, inflight int) {
	t.Helper()
	out, err := e.client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	visible, _ = strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	inflight, _ = strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return visible, inflight
}

// drain receives and deletes everything visible, returning the bodies.
func (e *env) drain(t *testing.T, url string) []string {
	t.Helper()
	var out []string
	for {
		res, err := e.client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) == 0 {
			return out
		}
		for _, m := range res.Messages {
			out = append(out, aws.ToString(m.Body))
			if _, err := e.client.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// open builds a table through the registered connector.
func (e *env) open(t *testing.T, opts map[string]string, schema *arrow.Schema) *Table {
	t.Helper()
	all := map[string]string{"connector": "sqs", "endpoint": e.endpoint}
	for k, v := range opts {
		all[k] = v
	}
	tb, err := catalog.OpenConnector("sqs", all, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { catalog.ReleaseTable(tb) })
	return tb.(*Table)
}

// openReader opens a table's single split over all its columns, with a
// checked allocator asserted empty at cleanup.
func openReader(t *testing.T, tb *Table, deadLetter func([]byte, string) error) *reader {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	cols := make([]int, tb.Schema().NumFields())
	for i := range cols {
		cols[i] = i
	}
	rs, err := tb.OpenStream(context.Background(), catalog.StreamRequest{Columns: cols, Alloc: mem, Linger: 50 * time.Millisecond, DeadLetter: deadLetter})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, r := range rs {
			r.Close()
		}
		mem.AssertSize(t, 0)
	})
	return rs[0].(*reader)
}

// readRows reads until n rows came (failing after a few seconds),
// returning them as Go values.
func readRows(t *testing.T, r catalog.SplitReader, n int) [][]any {
	t.Helper()
	var rows [][]any
	deadline := time.Now().Add(5 * time.Second)
	for len(rows) < n {
		if time.Now().After(deadline) {
			t.Fatalf("read %d rows, want %d", len(rows), n)
		}
		b, err := r.Read(context.Background())
		if errors.Is(err, catalog.ErrIdle) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, values(b)...)
		b.Release()
	}
	if len(rows) != n {
		t.Fatalf("read %d rows, want %d", len(rows), n)
	}
	return rows
}

// values returns b's rows as Go values.
func values(b arrow.RecordBatch) [][]any {
	var out [][]any
	for r := range int(b.NumRows()) {
		row := make([]any, b.NumCols())
		for c := range row {
			row[c] = expr.ScalarValue(b.Column(c), r)
		}
		out = append(out, row)
	}
	return out
}

// waitFor polls cond until it holds, failing after a few seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
