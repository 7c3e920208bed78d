#!/bin/bash
# e164_bench.sh - parse throughput of vapi_pool's e164 parser vs libphonenumber.
#
# Builds bench/e164_bench.cc against extension/e164/e164_{parse,regex,metadata}.c
# and libphonenumber, generates the differential-test corpus and runs the
# benchmark.  Then, if a PostgreSQL server is reachable with the usual libpq
# settings (PGHOST, PGPORT, PGDATABASE, PGUSER, ...) and vapi_pool is
# installed in that database, it also times the SQL path,
# vapi_pool.e164_try_parse(input, region), over the same corpus.
#
# Environment:
#   E164_PYTHON      Python with Debian's python3-phonenumbers (/usr/bin/python3)
#   E164_CORPUS      use this corpus file instead of generating one
#   E164_ROUNDS      timed rounds per parser (default 7)
#   E164_BENCH_SQL   set to 0 to skip the SQL timing
#   E164_BENCH_DIR   build directory (default: a temporary directory, removed)
#   CC, CXX, CFLAGS, CXXFLAGS   compilers and flags (default gcc/g++ -O2)
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${E164_PYTHON:-/usr/bin/python3}
ROUNDS=${E164_ROUNDS:-7}
CC=${CC:-gcc}
CXX=${CXX:-g++}
CFLAGS=${CFLAGS:--O2}
CXXFLAGS=${CXXFLAGS:--O2}

if [ -n "${E164_BENCH_DIR:-}" ]; then
	BUILD=$E164_BENCH_DIR
	mkdir -p "$BUILD"
else
	BUILD=$(mktemp -d "${TMPDIR:-/tmp}/e164-bench.XXXXXX")
	trap 'rm -rf "$BUILD"' EXIT
fi

echo "== build ($BUILD)"
for f in e164_parse e164_regex e164_metadata; do
	$CC $CFLAGS -I"$SRC/extension/include" -c "$SRC/extension/e164/$f.c" -o "$BUILD/$f.o"
done
$CXX $CXXFLAGS -std=c++17 -I"$SRC/extension/include" "$SRC/bench/e164_bench.cc" \
	"$BUILD/e164_parse.o" "$BUILD/e164_regex.o" "$BUILD/e164_metadata.o" \
	-o "$BUILD/e164-bench" -lphonenumber

if [ -n "${E164_CORPUS:-}" ]; then
	CORPUS=$E164_CORPUS
else
	CORPUS=$BUILD/corpus.tsv
	"$PYTHON" "$SRC/t/e164/gen_corpus.py" >"$CORPUS"
fi

echo "== C level: e164_parse vs libphonenumber (single thread)"
"$BUILD/e164-bench" "$CORPUS" "$ROUNDS" | tee "$BUILD/result.txt"

# ---------------------------------------------------------------------------
# SQL path (optional)

sql_skip()
{
	echo "== SQL path: skipped ($1)"
}

if [ "${E164_BENCH_SQL:-1}" = 0 ]; then
	sql_skip "E164_BENCH_SQL=0"
elif ! command -v psql >/dev/null 2>&1; then
	sql_skip "no psql"
elif ! ext=$(psql -X -A -t -q -v ON_ERROR_STOP=1 \
		-c "SELECT extversion FROM pg_extension WHERE extname = 'vapi_pool'" 2>/dev/null); then
	sql_skip "no PostgreSQL server reachable with the current PG* settings"
elif [ -z "$ext" ]; then
	sql_skip "extension vapi_pool is not installed in database $(psql -X -A -t -q -c 'SELECT current_database()')"
else
	echo "== SQL path: vapi_pool $ext, database $(psql -X -A -t -q -c 'SELECT current_database()')"
	# COPY text format: escape backslashes so that inputs are taken literally.
	sed 's/\\/\\\\/g' "$CORPUS" >"$BUILD/corpus.copy"
	psql -X -q -v ON_ERROR_STOP=1 -v rounds="$ROUNDS" <<SQL
\set QUIET on
CREATE TEMP TABLE corpus (input text, region text, category text);
\copy corpus FROM '$BUILD/corpus.copy'
ANALYZE corpus;

-- Time one query, best and median of n rounds, with clock_timestamp():
-- the query is run as a whole inside PL/pgSQL, so no per-row timing cost.
CREATE FUNCTION pg_temp.time_query(q text, n int)
RETURNS TABLE (best_s float8, median_s float8, result bigint)
LANGUAGE plpgsql AS \$\$
DECLARE
	t0 timestamptz;
	times float8[] := '{}';
	r bigint;
BEGIN
	EXECUTE q INTO r;			-- warm-up (and caches)
	FOR i IN 1..n LOOP
		t0 := clock_timestamp();
		EXECUTE q INTO r;
		times := times || extract(epoch FROM clock_timestamp() - t0)::float8;
	END LOOP;
	SELECT min(t), percentile_cont(0.5) WITHIN GROUP (ORDER BY t)
	  INTO best_s, median_s FROM unnest(times) t;
	result := r;
	RETURN NEXT;
END
\$\$;

\pset footer off
WITH rows AS (SELECT count(*) AS n FROM corpus),
base AS (SELECT * FROM pg_temp.time_query(
	'SELECT count(length(input) + length(region)) FROM corpus', :rounds)),
parse AS (SELECT * FROM pg_temp.time_query(
	'SELECT count(vapi_pool.e164_try_parse(input, region)) FROM corpus', :rounds))
SELECT rows.n AS rows,
	   parse.result AS accepted,
	   round((rows.n / parse.median_s)::numeric) AS "try_parse rows/s (median)",
	   round((rows.n / parse.best_s)::numeric) AS "rows/s (best)",
	   round((rows.n / base.median_s)::numeric) AS "scan-only rows/s",
	   round((1e6 * greatest(parse.median_s - base.median_s, 0) / rows.n)::numeric, 3)
		 AS "us/row over scan"
FROM rows, base, parse;
SQL
fi

echo
tail -n 1 "$BUILD/result.txt"
