-- Sessionize users: a session ends after 30 seconds without an event.
-- @event-time timestamp
-- @watermark-delay 5s
SELECT
  user_id,
  window_start AS session_start,
  window_end AS session_end,
  COUNT(*) AS events,
  SUM(amount) AS spent
FROM SESSION(__input__, timestamp, INTERVAL '30' SECOND)
GROUP BY window_start, window_end, user_id
