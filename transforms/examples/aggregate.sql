-- The seed's pre-aggregation ahead of Cloudflare Pipelines: one row per
-- minute of event time, emitted once the watermark closes the minute.
--   streamsql run transforms/examples/aggregate.sql \
--     --input transforms/examples/events.jsonl --output minutes.jsonl
-- @event-time timestamp
-- @watermark-delay 5s
SELECT
  DATE_TRUNC('minute', timestamp) AS minute,
  COUNT(*) AS count,
  SUM(amount) AS total,
  AVG(amount) AS avg
FROM __input__
GROUP BY minute
