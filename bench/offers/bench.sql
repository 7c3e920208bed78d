-- Body of bench/offers_bench.sh.
\set ON_ERROR_STOP on
SET search_path = vapi_pool, public;
SET client_min_messages = warning;

INSERT INTO orgs (org_id, name) VALUES ('0ffe0000-0000-4000-8000-0000000000be', 'Bench offers');
INSERT INTO brokers (org_id, id, name, timezone) VALUES
	('0ffe0000-0000-4000-8000-0000000000be', '0ffe0000-0000-4000-8000-0000000000b1', 'Bench broker', 'America/Los_Angeles');

-- Every call is offered the same six times (Tuesday and Wednesday of a week
-- in 2031, 45 minutes long), one round, as a check offers them.
SELECT count(*) AS offered FROM (
	SELECT vapi_pool.offer_free_slots('0ffe0000-0000-4000-8000-0000000000be', '0ffe0000-0000-4000-8000-0000000000b1',
		'bench-call-' || c, 'America/Los_Angeles', '{"data": {
		"2031-11-25": [{"start": "2031-11-25T09:00:00.000-08:00", "end": "2031-11-25T09:45:00.000-08:00"},
		               {"start": "2031-11-25T09:30:00.000-08:00", "end": "2031-11-25T10:15:00.000-08:00"},
		               {"start": "2031-11-25T14:00:00.000-08:00", "end": "2031-11-25T14:45:00.000-08:00"}],
		"2031-11-26": [{"start": "2031-11-26T09:00:00.000-08:00", "end": "2031-11-26T09:45:00.000-08:00"},
		               {"start": "2031-11-26T12:00:00.000-08:00", "end": "2031-11-26T12:45:00.000-08:00"},
		               {"start": "2031-11-26T16:30:00.000-08:00", "end": "2031-11-26T17:15:00.000-08:00"}]}}')
	FROM generate_series(1, :calls) c) s;
ANALYZE vapi_pool.offered_slots;

-- What callers say, each naming exactly one of the six.
CREATE TEMP TABLE phrases (said text);
INSERT INTO phrases VALUES ('Tuesday, November 25 at 9:30 AM'), ('Wednesday, November 26 at 4:30 PM'),
	('Tuesday at 9'), ('Tuesday at 2'), ('the 9:30 one'), ('Wednesday at noon'), ('the 26th at 9am'),
	('Nov 26 at 4:30 pm'), ('the second one'), ('the last one'), ('Tuesday afternoon'), ('Wednesday at half past four');
CREATE TEMP TABLE load AS SELECT 'bench-call-' || c AS call, p.said FROM generate_series(1, :calls) c, phrases p;
-- the baseline is asked for the labels only (the only words it can find)
CREATE TEMP TABLE label_load AS
	SELECT l.call, s.label AS said FROM (SELECT DISTINCT call FROM load) l,
		(SELECT label FROM vapi_pool.offered_slots WHERE vapi_call_id = 'bench-call-1') s,
		generate_series(1, 2);
ANALYZE load;
ANALYZE label_load;

\ir ../time_sql.sql

SELECT count(*) AS n FROM load \gset
SELECT count(*) AS n_labels FROM label_load \gset
\echo '== offered_slot_id:' :n 'choices in words (' :calls 'calls x 12 ways); the baseline:' :n_labels 'exact labels; median of' :rounds 'rounds'
SELECT pg_temp.time_sql($$SELECT count(vapi_pool.offered_slot_id('0ffe0000-0000-4000-8000-0000000000be', call, said, '0ffe0000-0000-4000-8000-0000000000b1')) FROM load$$,
		:rounds, warmup => true) AS ours_s,
	   pg_temp.time_sql($$SELECT count((SELECT o.id FROM vapi_pool.offered_slots o
			WHERE o.org_id = '0ffe0000-0000-4000-8000-0000000000be' AND o.vapi_call_id = l.call AND o.label = l.said)) FROM label_load l$$,
		:rounds, warmup => true) AS label_s \gset
SELECT count(*) FILTER (WHERE id IS NOT NULL) AS ours_found FROM
	(SELECT vapi_pool.offered_slot_id('0ffe0000-0000-4000-8000-0000000000be', call, said, '0ffe0000-0000-4000-8000-0000000000b1') AS id FROM load) x \gset

\pset tuples_only on
\pset format unaligned
SELECT rpad('offered_slot_id (words)', 32) || lpad(round(:n / :ours_s)::text, 9) || ' choices/s   found ' || :ours_found || '/' || :n AS " ";
SELECT rpad('exact label lookup (SQL)', 32) || lpad(round(:n_labels / :label_s)::text, 9) || ' choices/s   (labels only)' AS " ";
SELECT 'ratio offered_slot_id / exact label lookup: ' || round((:n / :ours_s) / (:n_labels / :label_s), 2) || 'x (throughput)' AS " ";
