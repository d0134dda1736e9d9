package sqs

import (
	"bytes"
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/streamsql/streamsql/connectors/sqs/sqsfake"
)

// `streamsql run aggregate.sql --input sqs://events?… --output FILE
// --until-idle 1s` through the real CLI binary, against a fake on real
// time (the child process's SQS seconds are real seconds).
func TestCLIRunOverQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the streamsql binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	credentialEnv(t)
	srv := sqsfake.New(sqsfake.Options{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	e := &env{srv: srv, endpoint: hs.URL, client: sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTESTKEY", SecretAccessKey: "x"}, nil
		})})}
	in := e.create(t, "events", nil)
	e.sendLines(t, in, exampleEvents(t))

	dir := t.TempDir()
	bin := filepath.Join(dir, "streamsql")
	build := exec.Command(goTool, "build", "-o", bin, "./cmd/streamsql")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building streamsql: %v\n%s", err, out)
	}
	q := url.Values{}
	q.Set("endpoint", hs.URL)
	q.Set("schema", "timestamp TIMESTAMP, amount DOUBLE")
	q.Set("wait", "1")
	out := filepath.Join(dir, "minutes.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run := exec.CommandContext(ctx, bin, "run", filepath.Join("..", "..", "transforms", "examples", "aggregate.sql"),
		"--input", "sqs://events?"+q.Encode(), "--output", out, "--until-idle", "1s")
	if msg, err := run.CombinedOutput(); err != nil {
		t.Fatalf("streamsql run: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "transforms", "examples", "expected", "aggregate.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output:\n%s\nwant:\n%s", got, want)
	}
	if vis, inflight := e.counts(t, in); vis+inflight != 0 {
		t.Fatalf("after the run the queue holds %d visible and %d in-flight messages", vis, inflight)
	}
}
