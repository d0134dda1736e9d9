#!/usr/bin/env bash
# EventStreamDO check: builds the hot tier to WebAssembly (GOOS=js), installs
# the pinned wrangler (npm ci), builds `streamsql serve` as the cold-tier
# target and runs the end-to-end test against `wrangler dev` (local workerd).
# Idempotent; measurements land in workers/eventstream/build/measurements.json.
set -euo pipefail
cd "$(dirname "$0")/.."
W=workers/eventstream
mkdir -p "$W/build"

echo "== wasm build of the hot tier (cmd/eventstream-wasm)"
# What the wasm must not link: Arrow compute and Parquet (DESIGN.md), Arrow
# IPC (zstd, lz4) and net/http (with it the TLS stack): eventstream.Call.
if GOOS=js GOARCH=wasm go list -tags arrow_json_stdlib -deps ./cmd/eventstream-wasm | grep -E '^(net/http|crypto/tls)$|arrow/compute|/parquet|arrow/ipc$'; then
  echo "a package kept out of the wasm build reached it (see DESIGN.md and eventstream.Call)"; exit 1
fi
# arrow_json_stdlib: arrow's internal JSON on encoding/json instead of goccy (-0.6 MB gzip).
GOOS=js GOARCH=wasm go build -tags arrow_json_stdlib -trimpath -ldflags='-s -w' -o "$W/build/eventstream.wasm" ./cmd/eventstream-wasm
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$W/build/wasm_exec.js"
echo "wasm: $(wc -c < "$W/build/eventstream.wasm") bytes, $(gzip -9 -c "$W/build/eventstream.wasm" | wc -c) gzip"

echo "== streamsql serve (the cold-tier target of the local dual path)"
CGO_ENABLED=0 go build -o "$W/build/streamsql" ./cmd/streamsql

echo "== npm ci (wrangler 4.84.0)"
(cd "$W" && npm ci --no-audit --no-fund --loglevel=error)

echo "== bundle size as Cloudflare counts it (wrangler deploy --dry-run)"
size=$(cd "$W" && npx wrangler deploy --dry-run --outdir build/dist 2>&1 | grep 'Total Upload') || { echo "wrangler dry run failed"; exit 1; }
echo "$size"
gzip_kib=$(echo "$size" | sed -E 's/.*gzip: ([0-9.]+) KiB.*/\1/')
# Paid plans take Workers up to 10 MB gzip (free: 3 MB).
if awk -v k="$gzip_kib" 'BEGIN { exit !(k > 10240) }'; then echo "bundle over Cloudflare's 10 MB limit"; exit 1; fi

echo "== end-to-end check under wrangler dev"
(cd "$W" && WRANGLER_SEND_METRICS=false node --experimental-websocket --test --test-concurrency=1 test/e2e.test.mjs)
