//go:build !js

// Command eventstream-wasm is the hot tier compiled for a Cloudflare
// Durable Object: build it with GOOS=js GOARCH=wasm (see
// scripts/workers-check.sh). Built for any other platform it only says so.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "eventstream-wasm runs inside a Durable Object: build it with GOOS=js GOARCH=wasm")
	os.Exit(2)
}
