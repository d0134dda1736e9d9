package main

// Connectors linked into the CLI only: their SDKs are too heavy for every
// user of the root package (which blank-imports the light ones in engine.go).
import (
	_ "github.com/streamsql/streamsql/connectors/iceberg"   // CREATE TABLE … WITH (connector = 'iceberg')
	_ "github.com/streamsql/streamsql/connectors/kafka"     // --input/--output kafka://host:port/topic
	_ "github.com/streamsql/streamsql/connectors/nats"      // --input/--output nats://host:port/subject, jetstream://host:port/STREAM[/CONSUMER]
	_ "github.com/streamsql/streamsql/connectors/pipelines" // --output pipelines+https://STREAM-ID.ingest.cloudflare.com
	_ "github.com/streamsql/streamsql/connectors/pubsub"    // --input/--output pubsub://PROJECT/SUBSCRIPTION|TOPIC
	_ "github.com/streamsql/streamsql/connectors/sqs"       // --input/--output sqs://QUEUE?region=…, CREATE TABLE … WITH (connector = 'sqs')
)
