-- Body of bench/redact_bench.sh: the corpus is in temp table corpus.
\set ON_ERROR_STOP on
SET search_path = vapi_pool, public;

-- The baseline: what a transcript pipeline usually does with regular expressions.
CREATE FUNCTION pg_temp.regex_redact(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT regexp_replace(regexp_replace(regexp_replace(regexp_replace(t,
		'[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}', '[EMAIL]', 'g'),
		'\m\d{3}-\d{2}-\d{4}\M', '[SSN]', 'g'),
		'\m(?:\d[ -]?){12,18}\d\M', '[CARD]', 'g'),
		'(?:\+?1[ .-]?)?\(?\m\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}\M', '[PHONE]', 'g')
$$;

-- Transcripts of 50 corpus lines each, :mb megabytes in all.
CREATE TEMP TABLE transcripts AS
SELECT n, string_agg(input, E'\n' ORDER BY md5(n::text || input)) AS t
FROM (SELECT (row_number() OVER () - 1) / 50 AS n, input
      FROM corpus, generate_series(1, ceil(:mb * 1000000.0 / (SELECT sum(octet_length(input) + 1) FROM corpus))::int)) s
GROUP BY n;
ANALYZE transcripts;

\ir ../time_sql.sql

-- Redacting every transcript with function fn.
CREATE FUNCTION pg_temp.redact_all(fn text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT format('SELECT sum(octet_length(%s(t))) FROM transcripts', fn) $$;

SELECT round(sum(octet_length(t)) / 1e6, 1) AS megabytes, count(*) AS transcripts FROM transcripts \gset
\echo '== ' :megabytes 'MB in' :transcripts 'transcripts of 50 corpus lines; median of' :rounds 'rounds'

SELECT pg_temp.time_sql(pg_temp.redact_all('vapi_pool.redact_pii'), :rounds) AS ours_s,
       pg_temp.time_sql(pg_temp.redact_all('pg_temp.regex_redact'), :rounds) AS regex_s \gset
SELECT round(100.0 * count(*) FILTER (WHERE redact_pii(input) = expected) / count(*), 1) AS ours_exact,
       round(100.0 * count(*) FILTER (WHERE pg_temp.regex_redact(input) = expected) / count(*), 1) AS regex_exact,
       count(*) FILTER (WHERE input = expected AND redact_pii(input) <> input) AS ours_altered,
       count(*) FILTER (WHERE input = expected AND pg_temp.regex_redact(input) <> input) AS regex_altered,
       count(*) FILTER (WHERE input = expected) AS clean,
       count(*) AS lines
FROM corpus \gset

\pset tuples_only on
\pset format unaligned
SELECT rpad(name, 26) || lpad(round(:megabytes / secs, 1)::text, 8) || ' MB/s   corpus lines exactly right: '
       || exact || '% of ' || :lines || ', clean lines altered: ' || altered || ' of ' || :clean AS " "
FROM (VALUES ('redact_pii (C)', :ours_s, :ours_exact, :ours_altered),
             ('regexp_replace baseline', :regex_s, :regex_exact, :regex_altered)) v(name, secs, exact, altered);
SELECT 'ratio redact_pii / regex baseline: ' || round(:regex_s / :ours_s, 1) || 'x (throughput)' AS " ";
