-- Fixtures of bench/dispatch_bench.sh: one organisation, one broker with
-- 2,000 pool numbers (+1646555 1001..3000), lead k holding pool number k
-- (+1718555 1001..3000), and the functions that queue create-call jobs for
-- them the way the engine writes them (round robin over the assignments).
SET client_min_messages = warning;
DELETE FROM vapi_pool.orgs WHERE org_id = '5d000000-0000-4000-8000-000000000000';
INSERT INTO vapi_pool.orgs (org_id, name) VALUES ('5d000000-0000-4000-8000-000000000000', 'Dispatch Bench');
INSERT INTO vapi_pool.brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active)
VALUES ('5d000000-0000-4000-8000-000000000000', '5d100000-0000-4000-8000-000000000001', 'Bench Broker',
		'America/New_York', '+14155559101', true);
INSERT INTO vapi_pool.leads (org_id, id, broker_id, first_name, last_name, primary_phone_e164, status)
SELECT '5d000000-0000-4000-8000-000000000000', ('5d200000-0000-4000-8000-' || lpad(k::text, 12, '0'))::uuid,
	'5d100000-0000-4000-8000-000000000001', 'Lead', k::text, ('+1718555' || (1000 + k))::vapi_pool.e164, 'call_requested'
FROM generate_series(1, 2000) k;
SELECT count(*) AS numbers FROM (
	SELECT vapi_pool.add_pool_number('5d100000-0000-4000-8000-000000000001',
		('+1646555' || (1000 + k))::vapi_pool.e164, 'pn_dispatch_' || k)
	FROM generate_series(1, 2000) k) s;
SELECT count(*) AS assigned FROM (
	SELECT vapi_pool.assign_number(id) FROM vapi_pool.leads
	WHERE org_id = '5d000000-0000-4000-8000-000000000000') s;

-- The create-call payload of assignment number k (0-based) of the bench organisation.
CREATE OR REPLACE VIEW public.dispatch_bench_assignments AS
SELECT a.org_id, a.id AS assignment_id, a.lead_id, p.vapi_phone_number_id, p.number AS from_number,
	l.primary_phone_e164 AS customer_number, l.name AS customer_name,
	(row_number() OVER (ORDER BY a.lead_id) - 1)::integer AS k
FROM vapi_pool.vapi_number_assignments a
JOIN vapi_pool.vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id
JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id
WHERE a.org_id = '5d000000-0000-4000-8000-000000000000' AND a.released_at IS NULL;

-- Queue n create-call jobs (keys tag-0 .. tag-(n-1)) in one transaction; returns n.
CREATE OR REPLACE FUNCTION public.dispatch_bench_queue(n integer, tag text) RETURNS bigint
LANGUAGE sql AS $$
	WITH a AS (SELECT * FROM public.dispatch_bench_assignments),
	ins AS (
		INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key)
		SELECT a.org_id, 'vapi.create_call',
			jsonb_build_object('lead_id', a.lead_id, 'assignment_id', a.assignment_id,
				'phone_number_id', a.vapi_phone_number_id, 'from_number', a.from_number,
				'customer_number', a.customer_number, 'customer_name', a.customer_name, 'attempt', 1),
			tag || '-' || g
		FROM generate_series(0, n - 1) g JOIN a ON a.k = g % 2000
		RETURNING 1)
	SELECT count(*) FROM ins $$;

-- Queue one create-call job for assignment k whose customer name is the
-- clock at the INSERT ("lat <epoch>"): the stand-in sees it in the request
-- body, so the delay to its arrival needs no join.
CREATE OR REPLACE FUNCTION public.dispatch_bench_queue_one(k integer) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key)
	SELECT a.org_id, 'vapi.create_call',
		jsonb_build_object('lead_id', a.lead_id, 'assignment_id', a.assignment_id,
			'phone_number_id', a.vapi_phone_number_id, 'from_number', a.from_number,
			'customer_number', a.customer_number,
			'customer_name', 'lat ' || extract(epoch FROM clock_timestamp()), 'attempt', 1),
		'lat-' || gen_random_uuid()
	FROM public.dispatch_bench_assignments a WHERE a.k = $1 $$;
