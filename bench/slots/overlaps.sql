-- After a run of bench/slot_bench.sh: the claims that won and the active
-- appointments that overlap.  -v impl=0 reads vapi_pool.appointments (active:
-- held or booked; a hold that has expired but was not cancelled yet counts
-- too), impl=1 the baseline's table (active: booked, 30 minutes each).
-- Prints one line:
--   won       rows written by winning claims (one per hold)
--   active    active appointments now
--   pairs     pairs of active appointments of one calendar that overlap
--   same      ... of which start at the same time (two callers won one slot)
--   shifted   ... of which start 15 minutes apart (10:00 and 10:15)
--   involved  active appointments that overlap at least one other
-- A pair is counted once: by its earlier start, or for equal starts by the
-- smaller id, the other one starting inside its slot.
CREATE TEMP TABLE active AS
SELECT org_id AS calendar, coalesce(broker_id, '00000000-0000-0000-0000-000000000000') AS broker,
	   scheduled_at AS s, ends_at AS e, id
FROM vapi_pool.appointments WHERE :impl = 0 AND status IN ('held', 'booked')
UNION ALL
SELECT org_id, '00000000-0000-0000-0000-000000000000', scheduled_at, scheduled_at + interval '30 minutes', id
FROM bench_baseline.appointments WHERE :impl = 1 AND status = 'booked';
CREATE INDEX ON active (calendar, broker, s);
ANALYZE active;
CREATE TEMP TABLE pairs AS
SELECT x.id AS a, y.id AS b, x.s = y.s AS same
FROM active x JOIN active y
  ON y.calendar = x.calendar AND y.broker = x.broker AND y.s >= x.s AND y.s < x.e AND (y.s > x.s OR y.id > x.id);
SELECT CASE WHEN :impl = 0 THEN (SELECT count(*) FROM vapi_pool.appointments)
			ELSE (SELECT count(*) FROM bench_baseline.appointments) END AS won,
	   (SELECT count(*) FROM active) AS active,
	   (SELECT count(*) FROM pairs) AS pairs,
	   (SELECT count(*) FROM pairs WHERE same) AS same,
	   (SELECT count(*) FROM pairs WHERE NOT same) AS shifted,
	   (SELECT count(*) FROM (SELECT a FROM pairs UNION SELECT b FROM pairs) i) AS involved;
