-- The e164 data type: input, output, parsing, operators, indexes, casts.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;

-- Canonical form from the international form with separators.
SELECT '+1 (415) 555-2671'::e164 AS us,
       '+44 20 7946 0018'::e164 AS gb,
       '+33 6 12 34 56 78'::e164 AS fr,
       '+39 06 1234 5678'::e164 AS it_leading_zero,
       '+800 1234 5678'::e164 AS non_geographic,
       '+44 (0)20 7946 0018'::e164 AS gb_with_national_prefix;

-- The input function never guesses a country.
SELECT '(415) 555-2671'::e164;
SELECT '+999 1234 5678'::e164;
SELECT '+0 20 7946 0018'::e164;
SELECT '+44 20 7946 0018 99'::e164;
SELECT '+1 555 2671'::e164;
SELECT '+1 (015) 555-2671'::e164;
SELECT '+1 (415) 155-2671'::e164;
SELECT '+49 1234 5678 9012 345'::e164;
SELECT '+1 415 555 2671 ext 12'::e164;
SELECT '+1 415+555'::e164;
SELECT '+'::e164;
SELECT ''::e164;

-- Parsing what people type, in a default region.
SELECT input, region, e164_parse(input, region)
FROM (VALUES ('(415) 555-2671', 'US'),
             ('415.555.2671', 'US'),
             ('1 415 555 2671', 'US'),
             ('011 44 20 7946 0018', 'US'),
             ('020 7946 0018', 'GB'),
             ('00 44 20 7946 0018', 'DE'),
             ('06 12 34 56 78', 'FR'),
             ('+44 20 7946 0018', 'US'),
             ('030 123456', 'DE'),
             ('(613) 555-0123', 'ca'),
             ('8 (812) 123-45-67', 'RU'),
             ('0800 123 4567', 'GB')) AS v(input, region)
ORDER BY 1, 2;
SELECT e164_parse('020 7946 0018');
SELECT e164_parse('12', 'US');
SELECT e164_parse('(415) 555-2671', 'XX');
SELECT e164_parse('(415) 555-2671', 'USA');

-- try_parse: NULL for a bad number, still an error for a bad region.
SELECT e164_try_parse('not a phone'), e164_try_parse('555-2671', 'US'),
       e164_try_parse('(415) 555-2671');
SELECT e164_try_parse('(415) 555-2671', 'ZZ');

-- NULL in, NULL out.
SELECT e164_parse(NULL), e164_parse('(415) 555-2671', NULL);

-- Accessors.
SELECT e164_country_code(n), e164_national_number(n)
FROM (VALUES ('+14155552671'::e164), ('+442079460018'), ('+390612345678'),
             ('+80012345678'), ('+8613812345678')) AS v(n);

-- Casts: implicit to text, assignment from text.
SELECT length('+14155552671'::e164), starts_with('+14155552671'::e164, '+1');
CREATE TEMP TABLE phones (n e164 PRIMARY KEY);
INSERT INTO phones VALUES ('+1 415 555 2671');
INSERT INTO phones SELECT '+44 20 7946 0018'::text;
INSERT INTO phones SELECT '020 7946 0018'::text;
INSERT INTO phones VALUES ('+1 (415) 555.2671');
SELECT n FROM phones ORDER BY n;

-- Order of values equals order of their text; prefixes sort first.
CREATE TEMP TABLE ordered AS
SELECT n::e164 AS n FROM (VALUES ('+14155552671'), ('+44207946001'), ('+442079460018'),
  ('+33612345678'), ('+80012345678'), ('+12015550123'), ('+390612345678'),
  ('+4930123456'), ('+49301234567'), ('+861381234567')) AS v(n);
SELECT n FROM ordered ORDER BY n;
SELECT count(*) AS pairs,
       bool_and((a.n < b.n) = (a.n::text < b.n::text COLLATE "C"))
       AND bool_and((a.n <= b.n) = (a.n::text <= b.n::text COLLATE "C"))
       AND bool_and((a.n = b.n) = (a.n::text = b.n::text))
       AND bool_and((a.n >= b.n) = (a.n::text >= b.n::text COLLATE "C"))
       AND bool_and((a.n > b.n) = (a.n::text > b.n::text COLLATE "C"))
       AND bool_and((a.n <> b.n) = (a.n::text <> b.n::text))
       AND bool_and(e164_cmp(a.n, b.n) = CASE WHEN a.n::text < b.n::text COLLATE "C" THEN -1
                                              WHEN a.n::text = b.n::text THEN 0 ELSE 1 END)
       AS order_matches_text
FROM ordered a, ordered b;

-- Indexes: btree for equality and ranges, hash for equality.
CREATE TEMP TABLE many AS
SELECT e164_parse(format('(%s) 555-%s', 200 + g % 700, lpad((g % 10000)::text, 4, '0')), 'US') AS n
FROM generate_series(1, 20000) g;
CREATE INDEX many_btree ON many USING btree (n);
ANALYZE many;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM many WHERE n = '+16155550415';
SELECT count(*) FROM many WHERE n = '+16155550415';
EXPLAIN (COSTS OFF) SELECT * FROM many WHERE n BETWEEN '+12002000000' AND '+13002000000';
SELECT count(*) FROM many WHERE n BETWEEN '+12002000000' AND '+13002000000';
CREATE INDEX many_hash ON many USING hash (n);
DROP INDEX many_btree;
EXPLAIN (COSTS OFF) SELECT * FROM many WHERE n = '+16155550415';
SELECT count(*) FROM many WHERE n = '+16155550415';
RESET enable_seqscan;
RESET enable_bitmapscan;

-- Selectivity: estimates come from the statistics, not fixed guesses.
CREATE FUNCTION estimated_rows(q text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
  RETURN (plan->0->'Plan'->>'Plan Rows')::integer;
END $$;
WITH actual AS (SELECT count(*) FILTER (WHERE n < '+15002000000') AS lt,
                       count(*) FILTER (WHERE n >= '+15002000000') AS ge FROM many)
SELECT abs(estimated_rows($$SELECT * FROM many WHERE n < '+15002000000'$$) - lt) < 0.1 * lt AS lt_estimate_within_10pct,
       abs(estimated_rows($$SELECT * FROM many WHERE n >= '+15002000000'$$) - ge) < 0.1 * ge AS ge_estimate_within_10pct,
       estimated_rows($$SELECT * FROM many WHERE n = '+16155550415'$$) < 20 AS eq_estimate_small,
       estimated_rows($$SELECT * FROM many WHERE n <> '+16155550415'$$) > 19900 AS ne_estimate_large
FROM actual;

-- Hash joins and hash aggregation work on e164.
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM many a JOIN phones b ON a.n = b.n;
RESET enable_mergejoin;
RESET enable_nestloop;
SELECT count(DISTINCT n) = count(DISTINCT n::text) AS distinct_consistent FROM many;

-- Binary send and receive round-trip (COPY BINARY), and receive validates.
SELECT e164_send('+14155552671');
DO $$
BEGIN
  EXECUTE format('COPY phones TO %L (FORMAT binary)', current_setting('data_directory') || '/e164_regress.bin');
END $$;
CREATE TEMP TABLE phones_copy (n e164);
DO $$
BEGIN
  EXECUTE format('COPY phones_copy FROM %L (FORMAT binary)', current_setting('data_directory') || '/e164_regress.bin');
END $$;
SELECT n FROM phones_copy ORDER BY n;
-- int8 bytes that are not a valid e164 are refused on receive.
\set VERBOSITY terse
CREATE TEMP TABLE int8s (n bigint);
INSERT INTO int8s VALUES (12345);
DO $$
BEGIN
  EXECUTE format('COPY int8s TO %L (FORMAT binary)', current_setting('data_directory') || '/e164_regress_bad.bin');
  EXECUTE format('COPY phones_copy FROM %L (FORMAT binary)', current_setting('data_directory') || '/e164_regress_bad.bin');
END $$;
\set VERBOSITY default

-- The library and the SQL objects agree on the version.
SELECT library_version() = extversion AS versions_agree
FROM pg_extension WHERE extname = 'vapi_pool';

DROP TABLE phones, ordered, many, phones_copy, int8s;
DROP EXTENSION vapi_pool;
