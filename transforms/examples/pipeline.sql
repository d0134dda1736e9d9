-- A pipeline file declares its own tables instead of reading __input__:
-- a stream with its watermark, a JSONL sink, and the INSERT between them.
--   streamsql run transforms/examples/pipeline.sql --state-dir state   (from the repository root)
CREATE TABLE events (
  event_id VARCHAR,
  timestamp TIMESTAMP,
  user_id VARCHAR,
  type VARCHAR,
  amount DOUBLE,
  WATERMARK FOR timestamp AS timestamp - INTERVAL '5' SECOND
) WITH (connector = 'file', path = 'transforms/examples/events.jsonl', format = 'jsonl');

CREATE TABLE revenue (
  window_start TIMESTAMP,
  window_end TIMESTAMP,
  user_id VARCHAR,
  orders BIGINT,
  revenue DOUBLE
) WITH (connector = 'file', type = 'sink', path = 'revenue.jsonl');

INSERT INTO revenue
SELECT window_start, window_end, user_id, count(*), sum(amount)
FROM TUMBLE(events, timestamp, INTERVAL '5' MINUTE)
WHERE type = 'order'
GROUP BY window_start, window_end, user_id;
