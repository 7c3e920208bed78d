-- Body of bench/compliance_bench.sh.
\set ON_ERROR_STOP on
SET search_path = vapi_pool, public;
SET client_min_messages = warning;
SET vapi_pool.calling_window = '08:00-21:00';

INSERT INTO orgs (org_id, name) VALUES ('c0de0000-0000-4000-8000-0000000000be', 'Bench compliance');
INSERT INTO brokers (org_id, id, name, timezone) VALUES
	('c0de0000-0000-4000-8000-0000000000be', 'c0de0000-0000-4000-8000-0000000000b1', 'Bench broker', 'America/Los_Angeles');
-- leads across the US, each with its own number; a do-not-call list of
-- 100,000 numbers (none of them the leads')
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164)
SELECT 'c0de0000-0000-4000-8000-0000000000be', ('c0de0000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
	'c0de0000-0000-4000-8000-0000000000b1', 'Lead ' || n,
	('+1' || (ARRAY['212', '415', '312', '907', '808', '713'])[1 + n % 6] || '555' || lpad((n % 10000)::text, 4, '0'))::e164
FROM generate_series(1, :jobs) n;
INSERT INTO do_not_call (org_id, phone, source)
SELECT 'c0de0000-0000-4000-8000-0000000000be', ('+1646' || (2000000 + n)::text)::e164, 'import'
FROM generate_series(1, 100000) n;
ANALYZE leads;
ANALYZE do_not_call;

\ir ../time_sql.sql

-- One round queues a create-call job per lead (run_at in the middle of the
-- night for all of them: every job is moved to its lead's opening).
CREATE FUNCTION pg_temp.queue_jobs() RETURNS void LANGUAGE sql AS $$
	INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key, run_at)
	SELECT l.org_id, 'vapi.create_call', jsonb_build_object('lead_id', l.id, 'customer_number', l.primary_phone_e164,
		'phone_number_id', 'pn_bench', 'from_number', '+13105550100', 'attempt', 1), 'bench-' || l.id,
		'2031-11-19 09:00 UTC'
	FROM vapi_pool.leads l WHERE l.org_id = 'c0de0000-0000-4000-8000-0000000000be' $$;

\echo '== queueing' :jobs 'create-call jobs, with the outbox_checked trigger and without it; median of' :rounds 'rounds'
SELECT pg_temp.time_sql('SELECT pg_temp.queue_jobs()', :rounds, before => 'DELETE FROM vapi_pool.outbox', warmup => true) AS checked_s \gset
DELETE FROM outbox;
ALTER TABLE outbox DISABLE TRIGGER outbox_checked;
SELECT pg_temp.time_sql('SELECT pg_temp.queue_jobs()', :rounds, before => 'DELETE FROM vapi_pool.outbox', warmup => true) AS bare_s \gset
ALTER TABLE outbox ENABLE TRIGGER outbox_checked;
-- the check did its work: every job due at its lead's opening, none before
DELETE FROM outbox;
SELECT pg_temp.queue_jobs();
SELECT count(*) FILTER (WHERE (run_at AT TIME ZONE z.zone)::time = '08:00') AS at_opening, count(*) AS jobs
FROM outbox o, LATERAL (SELECT (vapi_pool.lead_timezones(o.org_id, (o.payload ->> 'lead_id')::uuid))[1] AS zone) z \gset

\echo '== listing 100,000 numbers in the deployment''s list (one INSERT), with the trigger that applies them and without it'
SELECT pg_temp.time_sql($$INSERT INTO vapi_pool.do_not_call_global (phone, source)
	SELECT ('+1917' || (2000000 + n))::vapi_pool.e164, 'import' FROM generate_series(1, 100000) n$$,
	3, before => 'DELETE FROM vapi_pool.do_not_call_global') AS list_s \gset
ALTER TABLE do_not_call_global DISABLE TRIGGER do_not_call_global_applied;
SELECT pg_temp.time_sql($$INSERT INTO vapi_pool.do_not_call_global (phone, source)
	SELECT ('+1917' || (2000000 + n))::vapi_pool.e164, 'import' FROM generate_series(1, 100000) n$$,
	3, before => 'DELETE FROM vapi_pool.do_not_call_global') AS list_bare_s \gset
ALTER TABLE do_not_call_global ENABLE TRIGGER do_not_call_global_applied;
DELETE FROM do_not_call_global;

CREATE TEMP TABLE people (phone e164, n int);
INSERT INTO people SELECT p, n FROM (VALUES ('+12125550123'::e164), ('+19075550123'), ('+61412345678'), ('+18005550199')) v(p),
	generate_series(1, :jobs / 4) n;
\echo '== next_call_time for' :jobs 'numbers: one zone, two (+1 907), eight (AU mobile), 42 (+1 800)'
SELECT pg_temp.time_sql($$SELECT count(vapi_pool.next_call_time('c0de0000-0000-4000-8000-0000000000be', NULL, phone,
	'2031-11-19 09:00 UTC')) FROM people$$, :rounds, warmup => true) AS next_s \gset
SELECT pg_temp.time_sql($$SELECT count(vapi_pool.next_call_time('c0de0000-0000-4000-8000-0000000000be', NULL, phone,
	'2031-11-19 09:00 UTC')) FROM people WHERE phone = '+12125550123'$$, :rounds, warmup => true) AS next_one_s \gset

\pset tuples_only on
\pset format unaligned
SELECT rpad('queue with checks', 32) || lpad(round(:jobs / :checked_s)::text, 9) || ' jobs/s   ' || :at_opening || '/' || :jobs || ' moved to the lead''s opening' AS " ";
SELECT rpad('queue without checks', 32) || lpad(round(:jobs / :bare_s)::text, 9) || ' jobs/s' AS " ";
SELECT 'ratio with / without: ' || round((:jobs / :checked_s) / (:jobs / :bare_s), 2) || 'x (throughput); the check costs '
	|| round(((:checked_s - :bare_s) / :jobs * 1e6)::numeric, 1) || ' us per job' AS " ";
SELECT rpad('next_call_time (mixed zones)', 32) || lpad(round(:jobs / :next_s)::text, 9) || ' calls/s' AS " ";
SELECT rpad('next_call_time (one zone)', 32) || lpad(round((:jobs / 4) / :next_one_s)::text, 9) || ' calls/s' AS " ";
SELECT rpad('list 100,000 numbers, applied', 32) || lpad(round(100000 / :list_s)::text, 9) || ' numbers/s' AS " ";
SELECT rpad('list 100,000 numbers, bare', 32) || lpad(round(100000 / :list_bare_s)::text, 9) || ' numbers/s' AS " ";
