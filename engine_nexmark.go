//go:build !js

package streamsql

// The Nexmark generator (CREATE TABLE … WITH (connector = 'nexmark')) is a
// benchmark source: the js/wasm host (the Durable Object) leaves it out.
import _ "github.com/streamsql/streamsql/connectors/nexmark"
