-- Body of bench/clinic_bench.sh: the corpus lines are in temp table corpus_lines.
\set ON_ERROR_STOP on
SET search_path = vapi_pool, public;
SET client_min_messages = warning;

CREATE TEMP TABLE corpus AS
SELECT split_part(line, E'\t', 1) AS id, split_part(line, E'\t', 2)::boolean AS expected,
	   split_part(line, E'\t', 4) AS ended_reason, split_part(line, E'\t', 5)::boolean AS booked,
	   split_part(line, E'\t', 6) AS transcript
FROM corpus_lines WHERE btrim(line) <> '';

-- A clinic with the starter vocabulary.
INSERT INTO orgs (org_id, name, is_clinic) VALUES ('cccccccc-0000-4000-8000-0000000000be', 'Bench clinic', true);

-- The baseline: what a pipeline would write with regular expressions: a
-- caller line naming a procedure or variant, no booking, an ending by the
-- caller or a failure.
CREATE FUNCTION pg_temp.regex_dropoff(t text, reason text, booked boolean) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT NOT booked
	   AND (reason IN ('customer-ended-call', 'silence-timed-out') OR reason ~ '^(pipeline-error-|call\.in-progress\.error-|phone-call-provider-)')
	   AND t ~* ('(^|\n)(user|customer|caller):[^\n]*\m(' ||
				 (SELECT string_agg(regexp_replace(lower(v), '\s+', '\s+', 'g'), '|')
				  FROM vapi_pool.clinic_terms, unnest(variants || name) v
				  WHERE org_id = 'cccccccc-0000-4000-8000-0000000000be') || ')s?\M')
$$;

CREATE TEMP TABLE load AS SELECT c.* FROM corpus c, generate_series(1, :repeat);
ANALYZE load;

\ir ../time_sql.sql

-- One pass of a verdict over the load.
CREATE FUNCTION pg_temp.pass(expr text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT format('SELECT count(*) FILTER (WHERE %s) FROM load', expr) $$;

SELECT count(*) AS n FROM load \gset
\echo '== detect_dropoff:' :n 'transcripts (the labelled clinic corpora, repeated); median of' :rounds 'rounds'
SELECT pg_temp.time_sql(pg_temp.pass($$(vapi_pool.detect_dropoff(transcript, ended_reason, booked, 'cccccccc-0000-4000-8000-0000000000be')).is_dropoff$$), :rounds) AS ours_s,
	   pg_temp.time_sql(pg_temp.pass('pg_temp.regex_dropoff(transcript, ended_reason, booked)'), :rounds) AS regex_s \gset
WITH v AS (
	SELECT expected, (detect_dropoff(transcript, ended_reason, booked, 'cccccccc-0000-4000-8000-0000000000be')).is_dropoff AS ours,
		   pg_temp.regex_dropoff(transcript, ended_reason, booked) AS regex
	FROM corpus)
SELECT round(count(*) FILTER (WHERE ours AND expected)::numeric / nullif(count(*) FILTER (WHERE ours), 0), 3) AS ours_p,
	   round(count(*) FILTER (WHERE ours AND expected)::numeric / nullif(count(*) FILTER (WHERE expected), 0), 3) AS ours_r,
	   round(count(*) FILTER (WHERE regex AND expected)::numeric / nullif(count(*) FILTER (WHERE regex), 0), 3) AS regex_p,
	   round(count(*) FILTER (WHERE regex AND expected)::numeric / nullif(count(*) FILTER (WHERE expected), 0), 3) AS regex_r
FROM v \gset

\pset tuples_only on
\pset format unaligned
SELECT rpad(name, 28) || lpad(round(:n / secs)::text, 9) || ' transcripts/s   precision ' || p || '  recall ' || r AS " "
FROM (VALUES ('detect_dropoff (C)', :ours_s, :ours_p, :ours_r),
			 ('keyword regex baseline', :regex_s, :regex_p, :regex_r)) v(name, secs, p, r);
SELECT 'ratio detect_dropoff / regex baseline: ' || round(:regex_s / :ours_s, 2) || 'x (throughput)' AS " ";
\pset tuples_only off
\pset format aligned

-- The redaction trigger: storing the transcripts as call logs, against an
-- identical table without triggers (the cost of the insert itself).
CREATE TEMP TABLE plain_logs (LIKE vapi_pool.vapi_call_logs INCLUDING DEFAULTS);
-- Storing the load in table tbl (emptied first, untimed).
CREATE FUNCTION pg_temp.store(tbl text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT format($q$INSERT INTO %s (org_id, vapi_call_id, direction, transcript)
		SELECT 'cccccccc-0000-4000-8000-0000000000be', 'bench-' || row_number() OVER (), 'inbound_unknown', transcript
		FROM load$q$, tbl)
$$;
SELECT pg_temp.time_sql(pg_temp.store('vapi_pool.vapi_call_logs'), :rounds, 'DELETE FROM vapi_pool.vapi_call_logs') AS trig_s,
	   pg_temp.time_sql(pg_temp.store('pg_temp.plain_logs'), :rounds, 'DELETE FROM pg_temp.plain_logs') AS plain_s \gset
SELECT count(*) FILTER (WHERE transcript LIKE '%[MEDICAL]%') AS medical FROM vapi_pool.vapi_call_logs \gset
\echo '== storing' :n 'transcripts as call logs (' :medical 'with medical history moved out); median of' :rounds 'rounds'
\pset tuples_only on
\pset format unaligned
SELECT 'vapi_call_logs (medical + PII redaction trigger): ' || round(:n / :trig_s) || ' rows/s, '
	   || round(1e6 * (:trig_s - :plain_s) / :n) || ' us per transcript over a table without it ('
	   || round(:n / :plain_s) || ' rows/s)' AS " ";
DELETE FROM vapi_pool.vapi_call_logs;
DELETE FROM orgs WHERE org_id = 'cccccccc-0000-4000-8000-0000000000be';
