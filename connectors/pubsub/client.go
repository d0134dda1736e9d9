package pubsub

import (
	"context"
	"fmt"
	"os"

	ps "cloud.google.com/go/pubsub/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// newClient connects to Pub/Sub: the endpoint option (a local server,
// without TLS or credentials), the emulator named by PUBSUB_EMULATOR_HOST
// (the client handles it), or Google with the default credentials.
func newClient(ctx context.Context, o options) (*ps.Client, error) {
	var opts []option.ClientOption
	if o.endpoint != "" && os.Getenv("PUBSUB_EMULATOR_HOST") == "" {
		opts = append(opts, option.WithEndpoint(o.endpoint), option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	}
	c, err := ps.NewClient(ctx, o.project, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to Pub/Sub project %s: %w", o.project, err)
	}
	return c, nil
}
