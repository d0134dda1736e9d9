package main

// Connectors linked into the CLI only: their SDKs are too heavy for every
// user of the root package (which blank-imports the light ones in engine.go).
import (
	_ "github.com/streamsql/streamsql/connectors/iceberg" // CREATE TABLE … WITH (connector = 'iceberg')
)
