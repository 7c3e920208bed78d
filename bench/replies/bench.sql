-- Body of bench/reply_bench.sh: the corpus is in temp table corpus, the
-- baseline pg_temp.regex_classify is defined (baseline.sql).
\set ON_ERROR_STOP on
SET search_path = vapi_pool, public;
UPDATE corpus SET text = replace(text, '\n', E'\n');

-- :rows replies: the corpus lines over and over, in a shuffled order, each
-- followed by the quoted cold e-mail it answers, as Instantly delivers them
-- (the classifiers must find where the lead's words end).
CREATE TEMP TABLE replies AS
SELECT region, text || E'\n\nOn Thu, Nov 20, 2026 at 9:02 AM Dana Lee <outreach@brokerage.example.com> wrote:\n'
	|| '> Hi Pat,' || E'\n>\n' || '> I noticed your home in Inglewood has gained quite a bit of value over the last'
	|| E'\n' || '> few years. Many homeowners in your area are using that equity to consolidate'
	|| E'\n' || '> debt, renovate or retire with more room to breathe. I work with a local'
	|| E'\n' || '> lender who can walk you through your options in about ten minutes, with no'
	|| E'\n' || '> obligation and no credit check at this stage.' || E'\n>\n'
	|| '> Would you like a quick call this week? Just reply with a good time and the'
	|| E'\n' || '> best number to reach you.' || E'\n>\n' || '> Dana Lee | Senior Loan Officer | NMLS 123456'
	|| E'\n' || '> Direct: (310) 555-0147 | outreach@brokerage.example.com'
	|| E'\n>\n' || '> To stop receiving these emails, reply "unsubscribe".' AS text
FROM corpus, generate_series(1, ceil(:rows::numeric / (SELECT count(*) FROM corpus))::int) g
ORDER BY md5(g::text || id)
LIMIT :rows;
ANALYZE replies;

\ir ../time_sql.sql

-- Classifying every reply with function fn (timed after one warm-up round;
-- one backend, so one core).
CREATE FUNCTION pg_temp.classify_all(fn text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT format('SELECT count((%s(text, region)).intent) FROM replies', fn) $$;

-- The quality of a classifier on the labelled corpus.
CREATE FUNCTION pg_temp.quality(fn text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r record;
BEGIN
	EXECUTE format($q$
		SELECT round(100.0 * count(*) FILTER (WHERE (c).intent = intent) / count(*), 1) AS accuracy,
			   round(100.0 * count(*) FILTER (WHERE (c).intent = 'call_requested' AND intent = 'call_requested')
					 / nullif(count(*) FILTER (WHERE (c).intent = 'call_requested'), 0), 1) AS precision,
			   round(100.0 * count(*) FILTER (WHERE intent = 'call_requested'
					 AND coalesce((c).phone::text, '') = coalesce(phone, ''))
					 / nullif(count(*) FILTER (WHERE intent = 'call_requested'), 0), 1) AS phone
		FROM (SELECT intent, phone, %s(text, region) AS c FROM corpus) s$q$, fn) INTO r;
	RETURN format('intent accuracy %s%%, call_requested precision %s%%, callback number exact %s%%',
				  r.accuracy, r.precision, r.phone);
END
$$;

SELECT count(*) AS replies, round(avg(octet_length(text))) AS avg_bytes FROM replies \gset
SELECT count(*) AS lines FROM corpus \gset
\echo '== ' :replies 'replies of' :avg_bytes 'bytes on average (the' :lines 'corpus lines, repeated and shuffled, each with the quoted e-mail it answers); median of' :rounds 'rounds, one backend'

SELECT pg_temp.time_sql(pg_temp.classify_all('vapi_pool.classify_reply'), :rounds, warmup => true) AS ours_s,
	   pg_temp.time_sql(pg_temp.classify_all('pg_temp.regex_classify'), :rounds, warmup => true) AS regex_s \gset
SELECT pg_temp.quality('vapi_pool.classify_reply') AS ours_q, pg_temp.quality('pg_temp.regex_classify') AS regex_q \gset

\pset tuples_only on
\pset format unaligned
SELECT rpad(name, 30) || lpad(round(:replies / secs)::text, 9) || ' replies/s   corpus: ' || quality AS " "
FROM (VALUES ('classify_reply (C)', :ours_s, :'ours_q'),
			 ('regexp baseline (PL/pgSQL)', :regex_s, :'regex_q')) v(name, secs, quality);
SELECT 'ratio classify_reply / regexp baseline: ' || round(:regex_s / :ours_s, 1) || 'x (throughput)' AS " ";
