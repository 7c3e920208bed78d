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
-- Every id is derived from its index, so pgbench scripts can name rows:
--   org o       00000000-0000-4000-8000-<o, 12 digits>
--   broker b    20000000-0000-4000-8000-<b>   phones +1510 2000000+b (primary), 3000000+b
--   lead m      30000000-0000-4000-8000-<m>   phone +1415 2000000+m
--   number k    40000000-0000-4000-8000-<k>   +1628 2000000+k
--   assignment  50000000-0000-4000-8000-<k>   of number k
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

RESET session_replication_role;
VACUUM (ANALYZE) orgs, brokers, leads, vapi_number_pool, vapi_number_assignments, vapi_call_logs, outbox;
