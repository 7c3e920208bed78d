-- Pool benchmark data (bench/pool_bench.sh), loaded into a fresh database
-- with vapi_pool installed.  psql variables:
--   orgs, brokers        brokers are spread round-robin over the organisations
--   numbers              pool numbers, spread round-robin over the brokers
--   leads                leads, spread the same way (lead k and number k have
--                        the same broker)
--   held, held_status    numbers 1..held are held by leads 1..held, with an
--                        assignment of this status ('booked' or
--                        'call_completed'; 0: none held)
--   release_in           release_at of the held assignments: now() + a
--                        random share of this interval (negative: overdue)
--   history              true: numbers held+1..numbers were held by leads
--                        held+1..numbers before, and released (for routing's
--                        "the number's last lead")
--   past                 older released assignments, each with the log of
--                        its ended call, spread over numbers and leads of the
--                        same broker: tables of a realistic size, so that
--                        the plans made (and kept) by the first calls are
--                        the ones of a live system, not those of empty tables
-- Every id is derived from its index, so pgbench scripts can name rows:
--   org o       00000000-0000-4000-8000-<o, 12 digits>
--   broker b    20000000-0000-4000-8000-<b>   phones +1510 2000000+b (primary), 3000000+b
--   lead m      30000000-0000-4000-8000-<m>   phone +1415 2000000+m
--   number k    40000000-0000-4000-8000-<k>   +1628 2000000+k
--   assignment  50000000-0000-4000-8000-<k>   of number k
--   past        60000000-0000-4000-8000-<j>   and its call log 70000000-...-<j>
-- Foreign keys are not checked while loading (session_replication_role =
-- replica; the rows are consistent by construction), which keeps a million
-- rows to well under a minute.
\set ON_ERROR_STOP on
SET search_path = vapi_pool, public;
SET session_replication_role = replica;
SET synchronous_commit = off;

CREATE FUNCTION pg_temp.bid(prefix text, n bigint) RETURNS uuid
	LANGUAGE sql IMMUTABLE AS $$ SELECT (prefix || '-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid $$;

INSERT INTO orgs (org_id, name)
SELECT pg_temp.bid('00000000', o), 'Bench org ' || o FROM generate_series(1, :orgs) o;

INSERT INTO brokers (org_id, id, name, primary_phone_e164, secondary_phone_e164,
					 number_pool_size, number_pool_active)
SELECT pg_temp.bid('00000000', 1 + (b - 1) % :orgs), pg_temp.bid('20000000', b), 'Broker ' || b,
	   ('+1510' || (2000000 + b))::e164, ('+1510' || (3000000 + b))::e164,
	   least(10000, ceil(:numbers::numeric / :brokers))::int, true
FROM generate_series(1, :brokers) b;

INSERT INTO leads (org_id, id, broker_id, first_name, last_name, primary_phone_e164, status,
				   vapi_assignment_id)
SELECT pg_temp.bid('00000000', 1 + (b - 1) % :orgs), pg_temp.bid('30000000', m), pg_temp.bid('20000000', b),
	   'First' || m, 'Last' || m, ('+1415' || (2000000 + m))::e164, 'new',
	   CASE WHEN m <= :held THEN pg_temp.bid('50000000', m) END
FROM generate_series(1, :leads) m, LATERAL (SELECT 1 + (m - 1) % :brokers AS b) x;

INSERT INTO vapi_number_pool (org_id, id, broker_id, number, vapi_phone_number_id, status,
							  last_assigned_at, last_released_at)
SELECT pg_temp.bid('00000000', 1 + (b - 1) % :orgs), pg_temp.bid('40000000', k), pg_temp.bid('20000000', b),
	   ('+1628' || (2000000 + k))::e164, 'vapi-number-' || k,
	   CASE WHEN k <= :held THEN 'assigned' ELSE 'available' END,
	   CASE WHEN k <= :held OR :history THEN now() - interval '3 days' END,
	   CASE WHEN k > :held AND :history THEN now() - interval '2 days' END
FROM generate_series(1, :numbers) k, LATERAL (SELECT 1 + (k - 1) % :brokers AS b) x;

INSERT INTO vapi_number_assignments (org_id, id, pool_number_id, broker_id, lead_id, status,
									 booked_at, last_call_at, release_at, released_at)
SELECT pg_temp.bid('00000000', 1 + (b - 1) % :orgs), pg_temp.bid('50000000', k), pg_temp.bid('40000000', k),
	   pg_temp.bid('20000000', b), pg_temp.bid('30000000', k),
	   CASE WHEN k <= :held THEN :'held_status' ELSE 'released' END,
	   now() - interval '3 days',
	   CASE WHEN k > :held OR :'held_status' = 'call_completed' THEN now() - interval '3 days' + interval '5 minutes' END,
	   CASE WHEN k <= :held AND :'held_status' = 'call_completed'
			THEN now() + random() * interval :'release_in'
			WHEN k > :held THEN now() - interval '2 days' END,
	   CASE WHEN k > :held THEN now() - interval '2 days' END
FROM generate_series(1, CASE WHEN :history THEN :numbers ELSE :held END) k,
	 LATERAL (SELECT 1 + (k - 1) % :brokers AS b) x;

INSERT INTO vapi_number_assignments (org_id, id, pool_number_id, broker_id, lead_id, status,
									 booked_at, last_call_at, release_at, released_at)
SELECT pg_temp.bid('00000000', 1 + (b - 1) % :orgs), pg_temp.bid('60000000', j), pg_temp.bid('40000000', k),
	   pg_temp.bid('20000000', b), pg_temp.bid('30000000', m), 'released',
	   t, t + interval '5 minutes', t + interval '1 day 5 minutes', t + interval '1 day 5 minutes'
FROM generate_series(1, :past) j,
	 LATERAL (SELECT 1 + (j - 1) % :numbers AS k) x,
	 LATERAL (SELECT 1 + (k - 1) % :brokers AS b) y,
	 LATERAL (SELECT b + :brokers * ((j * 7919) % (:leads / :brokers)) AS m,
					 now() - interval '4 days' - (j % 100000) * interval '1 minute' AS t) z;

INSERT INTO vapi_call_logs (org_id, id, lead_id, broker_id, assignment_id, vapi_call_id, direction, status,
							ended_reason, outcome, from_e164, to_e164, started_at, ended_at, duration_seconds,
							cost, summary, attempt, created_at, updated_at)
SELECT a.org_id, pg_temp.bid('70000000', j), a.lead_id, a.broker_id, a.id, 'past-' || j, 'outbound_to_lead', 'ended',
	   'customer-ended-call', 'answered', p.number, l.primary_phone_e164, a.booked_at + interval '1 minute',
	   a.booked_at + interval '3 minutes', 120, 0.1, 'A past call.', 1, a.booked_at, a.booked_at + interval '3 minutes'
FROM generate_series(1, :past) j
JOIN vapi_number_assignments a ON a.id = pg_temp.bid('60000000', j)
JOIN vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id
JOIN leads l ON l.org_id = a.org_id AND l.id = a.lead_id;

RESET session_replication_role;
VACUUM (ANALYZE) orgs, brokers, leads, vapi_number_pool, vapi_number_assignments, vapi_call_logs, outbox;
