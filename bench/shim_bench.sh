#!/bin/bash
# shim_bench.sh - vapi-shim under wrk (release 0.4.0): assistant-request
# routing (a read answered with an assistant) and end-of-call-report (a
# write), each measured in the same run against
#   - h2o's ceiling: GET /healthz of the same server, a static answer that
#     touches no database;
#   - the database's own limit: pgbench running the same
#     vapi_pool.receive_webhook call the shim makes.
#
# Runs in the database libpq's environment points at (vapi_pool installed;
# bench/run.sh provides a throwaway cluster) with shim/vapi-shim built.
# Settings: SHIM_BENCH_SECONDS (15), SHIM_BENCH_CONNECTIONS (64, wrk),
# SHIM_BENCH_PGCLIENTS (16, pgbench), SHIM_BENCH_PORT (18080),
# SHIM_BENCH_POOL (the shim's --db-pool-size, 8).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# vapi-shim refuses root: as root it runs as postgres (scripts/common.sh)
# shellcheck source=../scripts/common.sh
source "$here/../scripts/common.sh"
mapfile -t shim_as < <(shim_user_prefix "$(id -u)" postgres)
shim=${VAPI_SHIM:-$here/../shim/vapi-shim}
seconds=${SHIM_BENCH_SECONDS:-15}
conns=${SHIM_BENCH_CONNECTIONS:-64}
clients=${SHIM_BENCH_PGCLIENTS:-16}
port=${SHIM_BENCH_PORT:-18080}
pool=${SHIM_BENCH_POOL:-8}
secret=bench-secret-$$
work=$(mktemp -d /tmp/vapi_pool-shim-bench.XXXXXX)

psql -X -q -v ON_ERROR_STOP=1 -f "$here/shim/setup.sql" >/dev/null

VAPI_POOL_DATABASE_URL="host=${PGHOST:-/tmp} port=${PGPORT:-5432} user=${PGUSER:-postgres} dbname=${PGDATABASE:-postgres}" \
VAPI_POOL_VAPI_SECRET=$secret VAPI_POOL_LISTEN=127.0.0.1:$port \
VAPI_POOL_INTAKE_ASSISTANT_ID=bench-intake VAPI_POOL_CONNECTOR_ASSISTANT_ID=bench-connector \
VAPI_POOL_DB_POOL_SIZE=$pool \
	"${shim_as[@]}" "$shim" > "$work/shim.log" 2>&1 &
shim_pid=$!
cleanup()
{
	kill "$shim_pid" 2>/dev/null || true
	wait "$shim_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 50); do
	curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
	sleep 0.2
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$work/shim.log"; exit 1; }

# wrk's requests per second and p99 latency (ms) of one run; also the non-2xx count.
run_wrk()
{
	local label=$1
	shift
	wrk -t2 -c"$conns" -d"${seconds}s" --latency "$@" > "$work/wrk.out" 2>&1
	local rps p99 bad
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.out")
	p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; print v}' "$work/wrk.out")
	bad=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$work/wrk.out")
	printf '%-44s %10.0f req/s   p99 %8.2f ms   non-2xx %s\n' "$label" "$rps" "$p99" "${bad:-0}"  >&2
	echo "$rps"
}

# pgbench's transactions per second of one script.
run_pgbench()
{
	local label=$1 script=$2 tps
	tps=$(pgbench -n -M prepared -c "$clients" -j 2 -T "$seconds" -f "$script" 2>&1 |
		awk '/^tps = / {print $3}')
	printf '%-44s %10.0f calls/s\n' "$label" "$tps" >&2
	echo "$tps"
}

# shellcheck source=bench_server.sh
source "$here/bench_server.sh"	# ratio

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; wrk -c$conns, pgbench -c$clients, shim pool $pool"
ceiling=$(run_wrk "GET /healthz (h2o ceiling, no database)" "http://127.0.0.1:$port/healthz")

ar_db=$(run_pgbench "pgbench receive_webhook(assistant-request)" "$here/shim/assistant_request.pgbench")
ar=$(SHIM_BENCH_RUN=ar$$ SHIM_BENCH_SECRET=$secret run_wrk "POST assistant-request through the shim" \
	-s "$here/shim/assistant_request.lua" "http://127.0.0.1:$port/webhook/vapi")

eocr_db=$(run_pgbench "pgbench receive_webhook(end-of-call-report)" "$here/shim/end_of_call_report.pgbench")
eocr=$(SHIM_BENCH_RUN=eocr$$ SHIM_BENCH_SECRET=$secret run_wrk "POST end-of-call-report through the shim" \
	-s "$here/shim/end_of_call_report.lua" "http://127.0.0.1:$port/webhook/vapi")

# The realistic write: reports that end the calls the assistant-request run opened.
matched=$(SHIM_BENCH_RUN=ar$$ SHIM_BENCH_CALL_PREFIX= SHIM_BENCH_SECRET=$secret run_wrk \
	"POST end-of-call-report ending logged calls" \
	-s "$here/shim/end_of_call_report.lua" "http://127.0.0.1:$port/webhook/vapi")
echo "  of which ended a logged call: $(psql -X -At -c "SELECT count(*) FROM vapi_pool.vapi_call_logs
	WHERE vapi_call_id LIKE 'ar$$-%' AND status = 'ended'") (the rest: past the calls that run opened)" >&2

# Duplicate storm: every delivery beyond the first of an event must change nothing.
storm=$$
deliveries=$(pgbench -n -M prepared -c 32 -j 2 -T 5 -D storm="$storm" -f "$here/shim/duplicate_storm.pgbench" 2>&1 |
	awk '/number of transactions actually processed/ {print $NF}')
read -r events runs dups reports failed <<<"$(psql -X -At -F ' ' -c "
	SELECT count(*), sum(attempts), sum(duplicates),
		(SELECT count(*) FROM vapi_pool.unmatched_call_reports WHERE vapi_call_id LIKE 'storm-$storm-%'),
		count(*) FILTER (WHERE state <> 'processed')
	FROM vapi_pool.webhook_inbox WHERE dedupe_key LIKE 'end-of-call-report:storm-$storm-%'")"
verdict=FAILED
if [ "$runs" = "$events" ] && [ "$reports" = "$events" ] && [ "$failed" = 0 ] &&
	[ $((events + dups)) = "$deliveries" ]; then verdict=ok; fi
echo "duplicate storm (32 clients, 200 events): $deliveries deliveries, $events events stored, $runs runs, $reports reports, $dups duplicates, $failed failed: $verdict"

echo "assistant-request: shim/pgbench $(ratio "$ar" "$ar_db"), shim/ceiling $(ratio "$ar" "$ceiling")"
echo "end-of-call-report: shim/pgbench $(ratio "$eocr" "$eocr_db"), shim/ceiling $(ratio "$eocr" "$ceiling"); ending logged calls $(ratio "$matched" "$eocr_db") of pgbench's unmatched"
echo "inbox: $(psql -X -At -c "SELECT count(*) || ' events, ' || count(*) FILTER (WHERE state = 'failed') || ' failed' FROM vapi_pool.webhook_inbox")"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
