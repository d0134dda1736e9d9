package pubsub

import (
	"context"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/protobuf/types/known/durationpb"
)

// fake is an in-process Pub/Sub server with one topic and one
// subscription on it.
type fake struct {
	srv     *pstest.Server
	project string
	topic   string
	sub     string
}

func newFake(t *testing.T, ordered bool) *fake {
	t.Helper()
	f := &fake{srv: pstest.NewServer(), project: "p", topic: "events", sub: "events-sub"}
	t.Cleanup(func() { f.srv.Close() })
	ctx := context.Background()
	c, err := newClient(ctx, options{project: f.project, endpoint: f.srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: f.topicName()}); err != nil {
		t.Fatal(err)
	}
	_, err = c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: "projects/p/subscriptions/" + f.sub, Topic: f.topicName(), AckDeadlineSeconds: 10,
		EnableMessageOrdering: ordered, MessageRetentionDuration: durationpb.New(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fake) topicName() string { return "projects/" + f.project + "/topics/" + f.topic }

// uri names the subscription (or, for a sink, the topic) with options.
func (f *fake) uri(name, query string) string {
	u := "pubsub://" + f.project + "/" + name + "?endpoint=" + f.srv.Addr
	if query != "" {
		u += "&" + query
	}
	return u
}

func (f *fake) publish(msgs ...string) []string {
	var ids []string
	for _, m := range msgs {
		ids = append(ids, f.srv.Publish(f.topicName(), []byte(m), nil))
	}
	return ids
}

func (f *fake) acks(ids []string) int {
	n := 0
	for _, id := range ids {
		n += f.srv.Message(id).Acks
	}
	return n
}

func topicReq(project, name string) *pubsubpb.Topic {
	return &pubsubpb.Topic{Name: "projects/" + project + "/topics/" + name}
}
