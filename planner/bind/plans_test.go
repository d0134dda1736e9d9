package bind

import (
	"strings"
	"testing"
)

// TestPlans checks plan shapes (one node per line, children indented) and
// output names, types and nullability ("?" marks nullable).
func TestPlans(t *testing.T) {
	for _, tc := range []struct{ sql, schema, plan string }{
		{"SELECT * FROM events",
			"id:BIGINT, user_id:BIGINT?, amount:DOUBLE?, kind:VARCHAR?, ts:TIMESTAMP, qty:INTEGER?",
			`Project: id#1 AS id#7, user_id#2 AS user_id#8, amount#3 AS amount#9, kind#4 AS kind#10, ts#5 AS ts#11, qty#6 AS qty#12
  Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT e.id, u.name FROM events e JOIN users u ON e.user_id = u.id",
			"id:BIGINT, name:VARCHAR?",
			`Project: id#1 AS id#11, name#8 AS name#12
  Join: Inner on (user_id#2 = id#7)
    Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
    Scan: users [id#7, name#8, signup#9, active#10]`},
		{"SELECT * FROM events e LEFT JOIN users u ON e.user_id = u.id",
			"id:BIGINT, user_id:BIGINT?, amount:DOUBLE?, kind:VARCHAR?, ts:TIMESTAMP, qty:INTEGER?, id:BIGINT?, name:VARCHAR?, signup:DATE?, active:BOOLEAN?",
			`Project: id#1 AS id#11, user_id#2 AS user_id#12, amount#3 AS amount#13, kind#4 AS kind#14, ts#5 AS ts#15, qty#6 AS qty#16, id#7 AS id#17, name#8 AS name#18, signup#9 AS signup#19, active#10 AS active#20
  Join: Left on (user_id#2 = id#7)
    Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
    Scan: users [id#7, name#8, signup#9, active#10]`},
		{"SELECT * FROM events JOIN users USING (id)",
			"id:BIGINT, user_id:BIGINT?, amount:DOUBLE?, kind:VARCHAR?, ts:TIMESTAMP, qty:INTEGER?, name:VARCHAR?, signup:DATE?, active:BOOLEAN?",
			`Project: id#1 AS id#11, user_id#2 AS user_id#12, amount#3 AS amount#13, kind#4 AS kind#14, ts#5 AS ts#15, qty#6 AS qty#16, name#8 AS name#17, signup#9 AS signup#18, active#10 AS active#19
  Join: Inner on (id#1 = id#7)
    Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
    Scan: users [id#7, name#8, signup#9, active#10]`},
		{"SELECT * FROM events RIGHT JOIN users USING (id)",
			"id:BIGINT, user_id:BIGINT?, amount:DOUBLE?, kind:VARCHAR?, ts:TIMESTAMP?, qty:INTEGER?, name:VARCHAR?, signup:DATE?, active:BOOLEAN?",
			`Project: id#7 AS id#11, user_id#2 AS user_id#12, amount#3 AS amount#13, kind#4 AS kind#14, ts#5 AS ts#15, qty#6 AS qty#16, name#8 AS name#17, signup#9 AS signup#18, active#10 AS active#19
  Join: Right on (id#1 = id#7)
    Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
    Scan: users [id#7, name#8, signup#9, active#10]`},
		{"SELECT * FROM events FULL JOIN users USING (id)",
			"id:BIGINT?, user_id:BIGINT?, amount:DOUBLE?, kind:VARCHAR?, ts:TIMESTAMP?, qty:INTEGER?, name:VARCHAR?, signup:DATE?, active:BOOLEAN?",
			`Project: id#11 AS id#22, user_id#12 AS user_id#23, amount#13 AS amount#24, kind#14 AS kind#25, ts#15 AS ts#26, qty#16 AS qty#27, name#17 AS name#28, signup#18 AS signup#29, active#19 AS active#30
  Project: user_id#2 AS user_id#12, amount#3 AS amount#13, kind#4 AS kind#14, ts#5 AS ts#15, qty#6 AS qty#16, name#8 AS name#17, signup#9 AS signup#18, active#10 AS active#19, id#1 AS id#20, id#7 AS id#21, coalesce(id#1, id#7) AS id#11
    Join: Full on (id#1 = id#7)
      Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
      Scan: users [id#7, name#8, signup#9, active#10]`},
		{"SELECT * FROM events NATURAL JOIN users",
			"id:BIGINT, user_id:BIGINT?, amount:DOUBLE?, kind:VARCHAR?, ts:TIMESTAMP, qty:INTEGER?, name:VARCHAR?, signup:DATE?, active:BOOLEAN?",
			`Project: id#1 AS id#11, user_id#2 AS user_id#12, amount#3 AS amount#13, kind#4 AS kind#14, ts#5 AS ts#15, qty#6 AS qty#16, name#8 AS name#17, signup#9 AS signup#18, active#10 AS active#19
  Join: Inner on (id#1 = id#7)
    Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
    Scan: users [id#7, name#8, signup#9, active#10]`},
		{"SELECT e.*, u.name FROM events e CROSS JOIN users u",
			"id:BIGINT, user_id:BIGINT?, amount:DOUBLE?, kind:VARCHAR?, ts:TIMESTAMP, qty:INTEGER?, name:VARCHAR?",
			`Project: id#1 AS id#11, user_id#2 AS user_id#12, amount#3 AS amount#13, kind#4 AS kind#14, ts#5 AS ts#15, qty#6 AS qty#16, name#8 AS name#17
  Join: Cross
    Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
    Scan: users [id#7, name#8, signup#9, active#10]`},
		{"SELECT events.id, users.id FROM events, users WHERE events.user_id = users.id",
			"id:BIGINT, id:BIGINT",
			`Project: id#1 AS id#11, id#7 AS id#12
  Filter: (user_id#2 = id#7)
    Join: Cross
      Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
      Scan: users [id#7, name#8, signup#9, active#10]`},
		{"SELECT kind, count(*), sum(amount) AS total FROM events WHERE ts > '2024-01-01' GROUP BY kind HAVING count(*) > 1 ORDER BY total DESC LIMIT 10",
			"kind:VARCHAR?, count:BIGINT, total:DOUBLE?",
			`Limit: count=10 offset=0
  Sort: total#12 DESC NULLS FIRST
    Project: kind#9 AS kind#10, count#7 AS count#11, sum#8 AS total#12
      Filter: (count#7 > CAST(1 AS BIGINT))
        Aggregate: group=[kind#4] aggs=[count(*) AS count#7, sum(amount#3) AS sum#8]
          Filter: (ts#5 > TIMESTAMP '2024-01-01 00:00:00')
            Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT kind AS k, count(*) FROM events GROUP BY k",
			"k:VARCHAR?, count:BIGINT",
			`Project: kind#8 AS k#9, count#7 AS count#10
  Aggregate: group=[kind#4] aggs=[count(*) AS count#7]
    Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT kind, count(DISTINCT user_id) FILTER (WHERE amount > 0) AS n, max(ts) FROM events GROUP BY 1 ORDER BY count(*) DESC, 1",
			"kind:VARCHAR?, n:BIGINT, max:TIMESTAMP?",
			`Project: kind#11 AS kind#15, n#12 AS n#16, max#13 AS max#17
  Sort: ?sort?#14 DESC NULLS FIRST, kind#11 NULLS LAST
    Project: kind#10 AS kind#11, count#7 AS n#12, max#8 AS max#13, count#9 AS ?sort?#14
      Aggregate: group=[kind#4] aggs=[count(DISTINCT user_id#2) FILTER (WHERE (amount#3 > CAST(0 AS DOUBLE))) AS count#7, max(ts#5) AS max#8, count(*) AS count#9]
        Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT count(*), avg(qty) FROM events",
			"count:BIGINT, avg:DOUBLE?",
			`Project: count#7 AS count#9, avg#8 AS avg#10
  Aggregate: group=[] aggs=[count(*) AS count#7, avg(qty#6) AS avg#8]
    Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT upper(kind) AS u, sum(qty) + 1 FROM events GROUP BY upper(kind) HAVING sum(qty) > 10",
			"u:VARCHAR?, ?column?:BIGINT?",
			`Project: ?column?#8 AS u#9, (sum#7 + CAST(1 AS BIGINT)) AS ?column?#10
  Filter: (sum#7 > CAST(10 AS BIGINT))
    Aggregate: group=[upper(kind#4)] aggs=[sum(qty#6) AS sum#7]
      Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT DISTINCT kind FROM events ORDER BY kind LIMIT 5 OFFSET 2",
			"kind:VARCHAR?",
			`Limit: count=5 offset=2
  Sort: kind#7 NULLS LAST
    Distinct
      Project: kind#4 AS kind#7
        Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT amount FROM events ORDER BY ts LIMIT 3",
			"amount:DOUBLE?",
			`Project: amount#7 AS amount#9
  Limit: count=3 offset=0
    Sort: ?sort?#8 NULLS LAST
      Project: amount#3 AS amount#7, ts#5 AS ?sort?#8
        Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT id FROM events LIMIT ALL",
			"id:BIGINT",
			`Project: id#1 AS id#7
  Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT id FROM events UNION SELECT id FROM users ORDER BY 1",
			"id:BIGINT",
			`Sort: id#13 NULLS LAST
  Distinct
    Union: all [id#13]
      Project: id#1 AS id#7
        Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
      Project: id#8 AS id#12
        Scan: users [id#8, name#9, signup#10, active#11]`},
		{"SELECT id FROM events UNION ALL SELECT qty FROM events UNION ALL SELECT 1",
			"id:BIGINT?",
			`Union: all [id#18]
  Project: id#1 AS id#7
    Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
  Project: CAST(qty#14 AS BIGINT) AS qty#16
    Project: qty#13 AS qty#14
      Scan: events [id#8, user_id#9, amount#10, kind#11, ts#12, qty#13]
  Project: CAST(?column?#15 AS BIGINT) AS ?column?#17
    Project: 1 AS ?column?#15
      Values: 1 rows []`},
		{"SELECT kind FROM events UNION SELECT name FROM users ORDER BY kind DESC NULLS LAST LIMIT 3",
			"kind:VARCHAR?",
			`Limit: count=3 offset=0
  Sort: kind#13 DESC NULLS LAST
    Distinct
      Union: all [kind#13]
        Project: kind#4 AS kind#7
          Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
        Project: name#9 AS name#12
          Scan: users [id#8, name#9, signup#10, active#11]`},
		{"SELECT id FROM events INTERSECT SELECT id FROM users",
			"id:BIGINT",
			`Distinct
  Join: Semi on (id#7 IS NOT DISTINCT FROM id#12)
    Project: id#1 AS id#7
      Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
    Project: id#8 AS id#12
      Scan: users [id#8, name#9, signup#10, active#11]`},
		{"SELECT id FROM events EXCEPT SELECT id FROM users",
			"id:BIGINT",
			`Distinct
  Join: Anti on (id#7 IS NOT DISTINCT FROM id#12)
    Project: id#1 AS id#7
      Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
    Project: id#8 AS id#12
      Scan: users [id#8, name#9, signup#10, active#11]`},
		{"VALUES (1, 'a'), (2, NULL), (3.5, 'c')",
			"column1:DOUBLE, column2:VARCHAR?",
			`Values: 3 rows [column1#1, column2#2]`},
		{"SELECT * FROM (SELECT id, kind FROM events) AS s(a) WHERE a > 1",
			"a:BIGINT, kind:VARCHAR?",
			`Project: a#7 AS a#9, kind#8 AS kind#10
  Filter: (a#7 > CAST(1 AS BIGINT))
    Project: id#1 AS id#7, kind#4 AS kind#8
      Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"WITH a AS (SELECT id FROM events), b AS (SELECT id FROM a) SELECT * FROM b JOIN a USING (id)",
			"id:BIGINT",
			`Project: id#8 AS id#16
  Join: Inner on (id#8 = id#15)
    Project: id#7 AS id#8
      Project: id#1 AS id#7
        Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
    Project: id#9 AS id#15
      Scan: events [id#9, user_id#10, amount#11, kind#12, ts#13, qty#14]`},
		{"SELECT * FROM big_events",
			"id:BIGINT, amount:DOUBLE?",
			`Project: id#7 AS id#9, amount#8 AS amount#10
  Project: id#1 AS id#7, amount#3 AS amount#8
    Filter: (amount#3 > CAST(100 AS DOUBLE))
      Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT * FROM named WHERE uid = 1",
			"uid:BIGINT, uname:VARCHAR?",
			`Project: uid#5 AS uid#7, uname#6 AS uname#8
  Filter: (uid#5 = CAST(1 AS BIGINT))
    Project: id#1 AS id#5, name#2 AS name#6
      Scan: users [id#1, name#2, signup#3, active#4]`},
		{"SELECT id FROM events WHERE user_id IN (SELECT id FROM users) AND NOT EXISTS (SELECT 1 FROM users) AND qty > 0",
			"id:BIGINT",
			`Project: id#1 AS id#17
  Join: Anti on true
    Join: Semi on (user_id#2 = id#11)
      Filter: (qty#6 > 0)
        Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
      Project: id#7 AS id#11
        Scan: users [id#7, name#8, signup#9, active#10]
    Project: 1 AS ?column?#16
      Scan: users [id#12, name#13, signup#14, active#15]`},
		{"SELECT id FROM events WHERE id NOT IN (SELECT id FROM users)",
			"id:BIGINT",
			`Project: id#1 AS id#12
  Join: Anti null-aware on (id#1 = id#11)
    Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]
    Project: id#7 AS id#11
      Scan: users [id#7, name#8, signup#9, active#10]`},
		{"SELECT * FROM TUMBLE(events, ts, INTERVAL '1' MINUTE)",
			"id:BIGINT, user_id:BIGINT?, amount:DOUBLE?, kind:VARCHAR?, ts:TIMESTAMP, qty:INTEGER?, window_start:TIMESTAMP, window_end:TIMESTAMP",
			`Project: id#9 AS id#15, user_id#10 AS user_id#16, amount#11 AS amount#17, kind#12 AS kind#18, ts#13 AS ts#19, qty#14 AS qty#20, window_start#7 AS window_start#21, window_end#8 AS window_end#22
  Project: id#1 AS id#9, user_id#2 AS user_id#10, amount#3 AS amount#11, kind#4 AS kind#12, ts#5 AS ts#13, qty#6 AS qty#14, date_bin(INTERVAL '00:01:00', ts#5) AS window_start#7, (date_bin(INTERVAL '00:01:00', ts#5) + INTERVAL '00:01:00') AS window_end#8
    Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT window_start, count(*) FROM TUMBLE(events, ts, INTERVAL '5' MINUTE) GROUP BY window_start",
			"window_start:TIMESTAMP, count:BIGINT",
			`Project: window_start#16 AS window_start#17, count#15 AS count#18
  Aggregate: group=[window_start#7] aggs=[count(*) AS count#15]
    Project: id#1 AS id#9, user_id#2 AS user_id#10, amount#3 AS amount#11, kind#4 AS kind#12, ts#5 AS ts#13, qty#6 AS qty#14, date_bin(INTERVAL '00:05:00', ts#5) AS window_start#7, (date_bin(INTERVAL '00:05:00', ts#5) + INTERVAL '00:05:00') AS window_end#8
      Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT (SELECT max(id) FROM users) AS m, coalesce(kind, 'none') FROM events",
			"m:BIGINT?, coalesce:VARCHAR?",
			`Project: (subquery) AS m#13, coalesce(kind#4, 'none') AS coalesce#14
  Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT id FROM events WHERE kind LIKE 'a%' AND kind NOT ILIKE 'b%' AND ts IS NOT NULL AND (amount > 1) IS NOT TRUE AND id IS DISTINCT FROM 3",
			"id:BIGINT",
			`Project: id#1 AS id#7
  Filter: (((((kind#4 LIKE 'a%') AND (NOT (kind#4 ILIKE 'b%'))) AND (ts#5 IS NOT NULL)) AND ((amount#3 > CAST(1 AS DOUBLE)) IS DISTINCT FROM true)) AND (id#1 IS DISTINCT FROM CAST(3 AS BIGINT)))
    Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT qty IN (1, 2, '3'), id NOT BETWEEN 1 AND 2, CAST(qty AS BIGINT), TRY_CAST(kind AS INT), qty::DOUBLE FROM events",
			"?column?:BOOLEAN?, ?column?:BOOLEAN?, qty:BIGINT?, kind:INTEGER?, qty:DOUBLE?",
			`Project: (qty#6 IN (1, 2, 3)) AS ?column?#7, ((id#1 < CAST(1 AS BIGINT)) OR (id#1 > CAST(2 AS BIGINT))) AS ?column?#8, CAST(qty#6 AS BIGINT) AS qty#9, TRY_CAST(kind#4 AS INTEGER) AS kind#10, CAST(qty#6 AS DOUBLE) AS qty#11
  Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT CASE kind WHEN 'a' THEN 1 ELSE 2.5 END, CASE WHEN qty > 1 THEN 'big' END, EXTRACT(YEAR FROM ts) FROM events",
			"case:DOUBLE?, case:VARCHAR?, extract:BIGINT?",
			`Project: CASE WHEN (kind#4 = 'a') THEN CAST(1 AS DOUBLE) ELSE 2.5 END AS case#7, CASE WHEN (qty#6 > 1) THEN 'big' ELSE NULL END AS case#8, date_part('year', ts#5) AS extract#9
  Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
		{"SELECT 1, 'x', NULL, true, 2.5, 3000000000, -2, DATE '2024-01-02', INTERVAL '2 days'",
			"?column?:INTEGER, ?column?:VARCHAR, ?column?:NULL?, ?column?:BOOLEAN, ?column?:DOUBLE, ?column?:BIGINT, ?column?:INTEGER, date:DATE, interval:INTERVAL",
			`Project: 1 AS ?column?#1, 'x' AS ?column?#2, NULL AS ?column?#3, true AS ?column?#4, 2.5 AS ?column?#5, 3000000000 AS ?column?#6, (-2) AS ?column?#7, DATE '2024-01-02' AS date#8, INTERVAL '2 days' AS interval#9
  Values: 1 rows []`},
		{"SELECT active = 'yes', signup = '2024-02-03', signup + 1 FROM users",
			"?column?:BOOLEAN?, ?column?:BOOLEAN?, ?column?:DATE?",
			`Project: (active#4 = true) AS ?column?#5, (signup#3 = DATE '2024-02-03') AS ?column?#6, (signup#3 + 1) AS ?column?#7
  Scan: users [id#1, name#2, signup#3, active#4]`},
		{"SELECT payload -> 'a', payload ->> 'b' FROM (SELECT CAST(kind AS JSON) AS payload FROM events) s",
			"?column?:JSON?, ?column?:VARCHAR?",
			`Project: (payload#7 -> 'a') AS ?column?#8, (payload#7 ->> 'b') AS ?column?#9
  Project: CAST(kind#4 AS JSON) AS payload#7
    Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]`},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			b, err := bindSQL(t, tc.sql)
			if err != nil {
				t.Fatalf("bind: %v", err)
			}
			q, ok := b.(*Query)
			if !ok {
				t.Fatalf("got %T, want *Query", b)
			}
			if got := schemaString(q); got != tc.schema {
				t.Errorf("schema:\n got %s\nwant %s", got, tc.schema)
			}
			if got := strings.TrimRight(tree(q.Plan), "\n"); got != tc.plan {
				t.Errorf("plan:\n got:\n%s\nwant:\n%s", got, tc.plan)
			}
			if len(q.Names) != len(q.Plan.Schema()) {
				t.Errorf("%d names for %d columns", len(q.Names), len(q.Plan.Schema()))
			}
		})
	}
}
