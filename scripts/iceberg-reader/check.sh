#!/usr/bin/env bash
# An independent reader reads the Iceberg tables streamsql writes: streamsql
# writes tables into a temporary warehouse, icebird (a pure-JavaScript
# Iceberg reader, read.mjs) reads them through the warehouse's REST catalog
# (`streamsql catalog serve`), and row counts, sums, NULL counts and
# min/max must match what `streamsql query` says, before and after a
# compaction. Exits non-zero with the differences on any mismatch.
#
#   scripts/iceberg-reader/check.sh        (from the repository root; needs Go, Node 20+, npm)
set -euo pipefail
cd "$(dirname "$0")/../.."
here=scripts/iceberg-reader

tmp=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "iceberg-reader: $*" >&2; exit 1; }

echo "-- building streamsql; installing icebird (npm ci)"
go build -o "$tmp/streamsql" ./cmd/streamsql
ss="$tmp/streamsql"
(cd "$here" && npm ci --silent --no-audit --no-fund)
node --test "$here"/test/*.test.mjs >"$tmp/node-test.log" 2>&1 || { cat "$tmp/node-test.log"; fail "node unit tests failed"; }
grep -E '^# (pass|fail)' "$tmp/node-test.log" | tr '\n' ' '; echo

# gen N FIRST [typed] writes N events from event number FIRST on: three
# topics over four hours (so the default identity(topic) + hour(timestamp)
# spec makes many partitions), BIGINT, DOUBLE, BOOLEAN and VARCHAR columns
# with NULLs; "typed" adds qty and day, for a table declaring them INTEGER
# and DATE (JSONL inference makes neither).
gen() {
  awk -v n="$1" -v first="$2" -v typed="${3:-}" 'BEGIN {
    split("orders clicks payments", topics, " ")
    for (i = first; i < first + n; i++) {
      s = (i * 7919) % 14400
      ts = sprintf("2026-03-01 %02d:%02d:%02d.%03d", 10 + int(s / 3600), int(s % 3600 / 60), s % 60, i % 1000)
      user = (i % 11 == 0) ? "null" : (i * 13) % 97
      amount = (i % 7 == 0) ? "null" : sprintf("%d.%02d", (i * 37) % 500, i % 100)
      flag = (i % 5 == 0) ? "null" : ((i % 2) ? "true" : "false")
      note = (i % 9 == 0) ? "null" : sprintf("\"n%d\"", i % 13)
      extra = ""
      if (typed) {
        qty = (i % 13 == 0) ? "null" : i % 50 - 10
        day = (i % 19 == 0) ? "null" : sprintf("\"2026-02-%02d\"", 1 + i % 28)
        extra = sprintf(",\"qty\":%s,\"day\":%s", qty, day)
      }
      printf "{\"timestamp\":\"%s\",\"topic\":\"%s\",\"user_id\":%s,\"amount\":%s,\"flag\":%s,\"note\":%s%s}\n",
        ts, topics[i % 3 + 1], user, amount, flag, note, extra
    }
  }'
}
gen 1200 0 >"$tmp/events1.jsonl"
gen 800 1200 >"$tmp/events2.jsonl"
gen 600 0 typed >"$tmp/typed.jsonl"
echo 'SELECT * FROM __input__' >"$tmp/passthrough.sql"
# A second job appends to the same table (its own job id, so its epoch 1 is
# not taken for the first job's).
cat >"$tmp/append.sql" <<EOF
CREATE TABLE more (timestamp TIMESTAMP, topic VARCHAR, user_id BIGINT, amount DOUBLE, flag BOOLEAN, note VARCHAR)
  WITH (connector = 'file', path = '$tmp/events2.jsonl', format = 'jsonl');
CREATE TABLE sink (timestamp TIMESTAMP, topic VARCHAR, user_id BIGINT, amount DOUBLE, flag BOOLEAN, note VARCHAR)
  WITH (connector = 'iceberg', warehouse = '$tmp/wh', table = 'demo.events', job_id = 'second');
INSERT INTO sink SELECT * FROM more;
EOF
cat >"$tmp/typed.sql" <<EOF
CREATE TABLE src (timestamp TIMESTAMP, topic VARCHAR, user_id BIGINT, qty INTEGER, amount DOUBLE, flag BOOLEAN, day DATE, note VARCHAR)
  WITH (connector = 'file', path = '$tmp/typed.jsonl', format = 'jsonl');
CREATE TABLE sink (timestamp TIMESTAMP, topic VARCHAR, user_id BIGINT, qty INTEGER, amount DOUBLE, flag BOOLEAN, day DATE, note VARCHAR)
  WITH (connector = 'iceberg', warehouse = '$tmp/wh', table = 'demo.typed');
INSERT INTO sink SELECT * FROM src;
EOF

echo "-- writing demo.minutes (transforms/examples/aggregate.sql), demo.events (pass-through, two jobs), demo.typed (every column type)"
"$ss" run transforms/examples/aggregate.sql --input transforms/examples/events.jsonl \
  --output iceberg:demo.minutes --warehouse "$tmp/wh" >/dev/null
"$ss" run "$tmp/passthrough.sql" --input "$tmp/events1.jsonl" --output iceberg:demo.events --warehouse "$tmp/wh" >/dev/null
"$ss" run "$tmp/append.sql" >/dev/null
"$ss" run "$tmp/typed.sql" >/dev/null

# The REST catalog answers each table's current metadata location.
"$ss" catalog serve --warehouse "$tmp/wh" --addr 127.0.0.1:0 >"$tmp/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do
  grep -q '^serving' "$tmp/serve.log" && break
  kill -0 "$server" 2>/dev/null || { cat "$tmp/serve.log"; fail "streamsql catalog serve exited"; }
  sleep 0.1
done
catalog=$(grep -o 'http://[0-9.:]*' "$tmp/serve.log") || { cat "$tmp/serve.log"; fail "streamsql catalog serve did not start in 10 s"; }

# check LABEL TABLE [sum:COL | nulls:COL | minmax:COL]... compares
# streamsql's answer for the table with icebird's: row count, and per
# column its sum and NULL count, NULL count, or min and max. Both sides
# name the values alike (row_count, sum_COL, nulls_COL, min_COL, max_COL).
check() {
  local label=$1 table=$2 select="COUNT(*) AS row_count" flags=() want got
  shift 2
  for spec in "$@"; do
    local what=${spec%%:*} col=${spec#*:}
    flags+=("--$what" "$col")
    case $what in
    sum) select+=", SUM($col) AS sum_$col, COUNT(*) - COUNT($col) AS nulls_$col" ;;
    nulls) select+=", COUNT(*) - COUNT($col) AS nulls_$col" ;;
    minmax) select+=", MIN($col) AS min_$col, MAX($col) AS max_$col" ;;
    *) fail "check $label: unknown spec $spec" ;;
    esac
  done
  want=$("$ss" query --warehouse "$tmp/wh" --format jsonl "SELECT $select FROM $table") || fail "$label: streamsql query failed"
  got=$(node "$here/read.mjs" --catalog "$catalog" --table "$table" "${flags[@]}") || fail "$label: icebird could not read $table"
  node "$here/compare.mjs" "$label" "$want" "$got"
}
events_spec=(sum:user_id sum:amount nulls:flag nulls:note minmax:timestamp minmax:topic minmax:note)

echo "-- icebird against streamsql query"
check "demo.minutes" demo.minutes sum:count sum:total sum:avg minmax:minute
check "demo.events" demo.events "${events_spec[@]}"
check "demo.typed" demo.typed sum:user_id sum:qty sum:amount nulls:flag minmax:day minmax:timestamp minmax:note
rows=$("$ss" query --warehouse "$tmp/wh" --format csv "SELECT COUNT(*) FROM demo.events" | tail -1)
[ "$rows" = 2000 ] || fail "demo.events holds $rows rows, 2000 were written"

echo "-- the check fails when it should"
if node "$here/compare.mjs" "negative control" \
  "$("$ss" query --warehouse "$tmp/wh" --format jsonl "SELECT COUNT(*) AS row_count, SUM(amount) AS sum_amount FROM demo.events WHERE topic = 'orders'")" \
  "$(node "$here/read.mjs" --catalog "$catalog" --table demo.events --sum amount)" 2>"$tmp/neg.log"; then
  fail "compare.mjs accepted different answers"
fi
grep -q MISMATCH "$tmp/neg.log" || fail "compare.mjs failed without saying why: $(cat "$tmp/neg.log")"
victim=$(find "$tmp/wh/demo.db/events/data" -name '*.parquet' | sort | tail -1)
mv "$victim" "$victim.away"
if node "$here/read.mjs" --catalog "$catalog" --table demo.events 2>"$tmp/missing.log"; then
  fail "read.mjs read demo.events with a data file missing"
fi
mv "$victim.away" "$victim"
grep -q 'is listed in the manifests but cannot be read' "$tmp/missing.log" || fail "a missing data file failed the read without saying so: $(cat "$tmp/missing.log")"
echo "ok a missing data file fails the read"
# A metadata file whose snapshot summary disagrees with the manifests.
meta=$(find "$tmp/wh/demo.db/minutes/metadata" -name '*.metadata.json' | sort | tail -1)
sed 's/"total-records":"12"/"total-records":"13"/' "$meta" >"${meta%.metadata.json}-tampered.metadata.json"
if node "$here/read.mjs" --metadata "${meta%.metadata.json}-tampered.metadata.json" 2>"$tmp/tampered.log"; then
  fail "read.mjs accepted a snapshot summary of 13 rows over manifests of 12"
fi
grep -q 'the snapshot summary says 13' "$tmp/tampered.log" || fail "a wrong summary failed the read without saying so: $(cat "$tmp/tampered.log")"
echo "ok a snapshot summary that disagrees with the manifests fails the read"
echo "-- after streamsql iceberg compact (a replace snapshot: icebird must skip the deleted entries)"
"$ss" iceberg compact demo.events --warehouse "$tmp/wh"
check "demo.events compacted" demo.events "${events_spec[@]}"

echo "iceberg-reader: icebird $(node -p "require('./$here/node_modules/icebird/package.json').version") agrees with streamsql (${SECONDS} s)"
