-- Before the routing benchmark (bench/pool_bench.sh): route the callers of
-- route.sql's mix for every number (and the 5% beyond the pools) with the C
-- engine and with the baseline, one call at a time; print how the calls were
-- routed, count the calls the two route differently (expected: 0), and the
-- mean and largest time of each path through route_inbound (a single session,
-- no concurrency: what each path costs by itself).
-- psql variables: numbers, brokers, held.
\set ON_ERROR_STOP on
CREATE TEMP TABLE calls AS
SELECT CASE WHEN k > :numbers THEN 'not a pool number'
			WHEN kind = 'lead' AND k <= :held THEN 'the lead holding the number'
			WHEN kind = 'lead' THEN 'the number''s last lead (no live assignment)'
			WHEN kind = 'broker' AND k <= :held THEN 'its broker, live assignment'
			WHEN kind = 'broker' THEN 'its broker, no live assignment (last lead)'
			ELSE kind END AS path,
	   ('+' || (16282000000 + k))::vapi_pool.e164 AS called, ('+' || caller)::vapi_pool.e164 AS caller
FROM generate_series(1, :numbers + :numbers / 20) k,
	 LATERAL (VALUES ('lead', 14152000000 + k),
					 ('broker', 15102000000 + 1 + (k - 1) % :brokers),
					 ('another lead of the broker', 14152000000 + k + :brokers * (1 + k % 50)),
					 ('unknown caller', 12122000000 + 1 + k % 999999)) v(kind, caller);

CREATE FUNCTION pg_temp.route_all()
	RETURNS TABLE (path text, action text, same boolean, c_us float8, baseline_us float8)
	LANGUAGE plpgsql AS $$
DECLARE
	r record;
	c vapi_pool.inbound_route;
	b vapi_pool.inbound_route;
	t0 timestamptz;
	t1 timestamptz;
BEGIN
	FOR r IN SELECT * FROM calls LOOP
		t0 := clock_timestamp();
		c := vapi_pool.route_inbound(r.called, r.caller);
		t1 := clock_timestamp();
		b := bench_baseline.route_inbound(r.called, r.caller);
		path := r.path;
		action := c.action;
		same := c IS NOT DISTINCT FROM b;
		c_us := 1e6 * extract(epoch FROM t1 - t0);
		baseline_us := 1e6 * extract(epoch FROM clock_timestamp() - t1);
		RETURN NEXT;
	END LOOP;
END
$$;

CREATE TEMP TABLE routed AS SELECT * FROM pg_temp.route_all();

SELECT format('check: %s calls, C and baseline differ on %s', count(*), count(*) FILTER (WHERE NOT same))
FROM routed;
SELECT format('  %-45s %-18s %6s calls  C %8s us (max %7s)  baseline %8s us (max %7s)',
			  path, action, count(*), round(avg(c_us)::numeric, 1), round(max(c_us)::numeric),
			  round(avg(baseline_us)::numeric, 1), round(max(baseline_us)::numeric))
FROM routed GROUP BY path, action ORDER BY path, action;
