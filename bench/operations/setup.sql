-- bench/operations/setup.sql: the data operators read (operations_bench.sh).
-- :brokers brokers in :orgs organisations, :numbers pool numbers each,
-- :calls outbound calls spread over the last 28 days (half in the 14-day
-- number health window) from those numbers with a realistic outcome mix,
-- one number in fifty burned; :calls / 10 assignments, most released.
SET search_path = vapi_pool, public;
SET client_min_messages = warning;
INSERT INTO orgs (org_id, name)
SELECT ('00000000-0000-4000-8000-' || lpad(o::text, 12, '0'))::uuid, 'Org ' || o FROM generate_series(1, :orgs) o;
INSERT INTO brokers (org_id, id, name, number_pool_active, number_pool_size)
SELECT ('00000000-0000-4000-8000-' || lpad((1 + b % :orgs)::text, 12, '0'))::uuid,
	   ('10000000-0000-4000-8000-' || lpad(b::text, 12, '0'))::uuid, 'Broker ' || b, true, :numbers
FROM generate_series(1, :brokers) b;
INSERT INTO vapi_number_pool (org_id, broker_id, number, vapi_phone_number_id)
SELECT b.org_id, b.id, ('+1213' || (2000000 + row_number() OVER ())::text)::e164,
	   'pn_' || b.id || '_' || n
FROM brokers b, generate_series(1, :numbers) n;
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164)
SELECT b.org_id, gen_random_uuid(), b.id, 'Lead', ('+1415' || (2000000 + row_number() OVER ())::text)::e164
FROM brokers b, generate_series(1, 100) n;
-- calls: spread over the numbers; outcomes from a hash of the call's serial
-- (answered 40%, voicemail 10%, provider errors 1%); every fiftieth number
-- is burned (answered 3%)
CREATE TEMP TABLE nums AS
SELECT p.org_id, p.broker_id, p.number, row_number() OVER (ORDER BY p.number) AS k,
	   (row_number() OVER (ORDER BY p.number)) % 50 = 0 AS burned
FROM vapi_number_pool p;
CREATE INDEX ON nums (k);
ANALYZE nums;
INSERT INTO vapi_call_logs (org_id, broker_id, vapi_call_id, direction, status, from_e164, to_e164, outcome,
	ended_reason, created_at, started_at, duration_seconds, cost)
SELECT n.org_id, n.broker_id, 'bench-' || i, 'outbound_to_lead', 'ended', n.number, '+14155550123', o.outcome,
	   o.reason, t.at, t.at + interval '9 seconds', CASE WHEN o.outcome = 'answered' THEN 20 + r.h * 6 ELSE 0 END, 0.08
FROM generate_series(1, :calls) i
JOIN nums n ON n.k = 1 + (i::bigint * 7919) % (:brokers * :numbers)
CROSS JOIN LATERAL (SELECT now() - (i % 40320) * interval '1 minute' AS at) t
CROSS JOIN LATERAL (SELECT abs(hashint4(i)::bigint) % 100 AS h) r
CROSS JOIN LATERAL (SELECT CASE WHEN n.burned THEN CASE WHEN r.h < 3 THEN 'answered' ELSE 'no_answer' END
								WHEN r.h < 40 THEN 'answered' WHEN r.h < 50 THEN 'voicemail'
								WHEN r.h = 99 THEN 'provider_error' ELSE 'no_answer' END AS outcome) o0
CROSS JOIN LATERAL (SELECT o0.outcome, CASE o0.outcome WHEN 'answered' THEN 'customer-ended-call'
		WHEN 'voicemail' THEN 'voicemail' WHEN 'provider_error' THEN 'twilio-failed-to-connect-call'
		ELSE 'customer-did-not-answer' END AS reason) o;
-- assignments: a tenth of the calls, over the last 28 days, released a day
-- later; and a fifth of each pool held now (one number per lead)
INSERT INTO vapi_number_assignments (org_id, pool_number_id, broker_id, lead_id, status, lent_at, booked_at, released_at)
SELECT p.org_id, p.id, p.broker_id, l.id, 'released', now() - (i % 28 + 1) * interval '1 day',
	   now() - (i % 28 + 1) * interval '1 day', now() - (i % 28) * interval '1 day'
FROM generate_series(1, :calls / 10) i
JOIN LATERAL (SELECT * FROM vapi_number_pool p WHERE p.broker_id = ('10000000-0000-4000-8000-' || lpad((1 + i % :brokers)::text, 12, '0'))::uuid
	ORDER BY p.number OFFSET (i / :brokers) % :numbers LIMIT 1) p ON true
JOIN LATERAL (SELECT l.id FROM leads l WHERE l.broker_id = p.broker_id ORDER BY l.id OFFSET i % 100 LIMIT 1) l ON true;
INSERT INTO vapi_number_assignments (org_id, pool_number_id, broker_id, lead_id, lent_at, booked_at)
SELECT p.org_id, p.id, p.broker_id, l.id, now() - interval '6 hours', now() - interval '6 hours'
FROM (SELECT p.*, row_number() OVER (PARTITION BY p.broker_id ORDER BY p.number) AS k FROM vapi_number_pool p) p
JOIN (SELECT l.*, row_number() OVER (PARTITION BY l.broker_id ORDER BY l.id) AS k FROM leads l) l
	ON l.broker_id = p.broker_id AND l.k = p.k
WHERE p.k <= least(:numbers / 5, 100);
UPDATE vapi_number_pool p SET status = 'assigned' FROM vapi_number_assignments a
WHERE a.pool_number_id = p.id AND a.status = 'booked';
DROP TABLE nums;
VACUUM ANALYZE;
