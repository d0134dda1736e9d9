-- Drop redelivered events: keep each event_id's first occurrence in event
-- time, emitted once the watermark passes it (exact under disorder up to
-- the watermark delay); the state of an id is kept for the dedup TTL.
-- @event-time timestamp
-- @watermark-delay 5s
-- @dedup-ttl 10m
SELECT event_id, timestamp, user_id, type, amount
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY timestamp) AS rn
  FROM __input__
)
WHERE rn = 1
