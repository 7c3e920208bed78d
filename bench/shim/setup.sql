-- Fixtures of bench/shim_bench.sh: one organisation, one broker with 50 pool
-- numbers, lead k holding pool number k (so that lead k calling +1310555100k
-- is a known caller), and numbers +1415555 1001..1050 for the leads.
SET client_min_messages = warning;
DELETE FROM vapi_pool.orgs WHERE org_id = '5b000000-0000-4000-8000-000000000000';
INSERT INTO vapi_pool.orgs (org_id, name) VALUES ('5b000000-0000-4000-8000-000000000000', 'Shim Bench');
INSERT INTO vapi_pool.brokers (org_id, id, name, timezone, primary_phone_e164, secondary_phone_e164, number_pool_active)
VALUES ('5b000000-0000-4000-8000-000000000000', '5b100000-0000-4000-8000-000000000001', 'Bench Broker',
		'America/New_York', '+14155559001', '+14155559002', true);
DO $$
BEGIN
	FOR k IN 1..50 LOOP
		INSERT INTO vapi_pool.leads (org_id, id, broker_id, first_name, primary_phone_e164, status)
		VALUES ('5b000000-0000-4000-8000-000000000000', ('5b200000-0000-4000-8000-' || lpad(k::text, 12, '0'))::uuid,
				'5b100000-0000-4000-8000-000000000001', 'Lead ' || k, ('+1415555' || (1000 + k))::vapi_pool.e164,
				'call_requested');
		PERFORM vapi_pool.add_pool_number('5b100000-0000-4000-8000-000000000001',
			('+1310555' || (1000 + k))::vapi_pool.e164, 'pn_bench_' || k);
		PERFORM vapi_pool.assign_number(('5b200000-0000-4000-8000-' || lpad(k::text, 12, '0'))::uuid);
	END LOOP;
END
$$;
SELECT count(*) AS assigned FROM vapi_pool.vapi_number_assignments
WHERE org_id = '5b000000-0000-4000-8000-000000000000' AND status = 'booked';
