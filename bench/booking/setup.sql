-- The booking benchmark's data set (bench/booking_bench.sh): one brokerage
-- with :brokers brokers, each with a Cal.com event type (70001, 70002, ...)
-- and :numbers pool numbers, and :leads leads on file already, with
-- phones +1 415 2xx xxxx (booked again in the on_file scenario).  Pool
-- numbers are +1 312 2xx xxxx; new attendees' phones +1 312 2xx xxxx to
-- +1 312 9xx xxxx, drawn at random, so a few are a pool number's: none is
-- routed here, it does not matter.
INSERT INTO vapi_pool.orgs (org_id, name) VALUES ('b0000000-0000-4000-8000-000000000000', 'Bench Home Loans');
INSERT INTO vapi_pool.brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active, cal_event_type_id)
SELECT 'b0000000-0000-4000-8000-000000000000', ('b1000000-0000-4000-8000-' || lpad(b::text, 12, '0'))::uuid,
	'Broker ' || b, 'America/Chicago', vapi_pool.e164_parse('+1312555' || lpad(b::text, 4, '0')), true, 70000 + b
FROM generate_series(1, :brokers) b;
INSERT INTO vapi_pool.vapi_number_pool (org_id, broker_id, number, vapi_phone_number_id)
SELECT 'b0000000-0000-4000-8000-000000000000', ('b1000000-0000-4000-8000-' || lpad(b::text, 12, '0'))::uuid,
	vapi_pool.e164_parse('+13122' || lpad(((b - 1) * :numbers + n)::text, 6, '0')), 'pn_' || b || '_' || n
FROM generate_series(1, :brokers) b, generate_series(1, :numbers) n;
INSERT INTO vapi_pool.leads (org_id, first_name, last_name, email, primary_phone_e164)
SELECT 'b0000000-0000-4000-8000-000000000000', 'Lead', l::text, 'lead' || l || '@example.com',
	vapi_pool.e164_parse('+1415' || (2000000 + l)::text)
FROM generate_series(1, :leads) l;
ANALYZE;
