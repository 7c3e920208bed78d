#!/bin/bash
# dispatch_bench.sh - vapi-shim dispatch (release 0.4.0) against the local
# Vapi stand-in (t/standin/vendor_standin.py):
#   - throughput: DISPATCH_BENCH_JOBS (20,000) create-call jobs queued, then
#     ONE dispatcher started; jobs per second until the last one is done
#     (its answer recorded: call id on the call log), measured against two
#     baselines of the same run:
#       * the stand-in's own ceiling: wrk POSTing the same /call body;
#       * the database's: pgbench, one connection, running the bare
#         outbox_claim + outbox_report of each batch with a 201 answer (no HTTP);
#   - latency: jobs committed one per transaction at DISPATCH_BENCH_RATE per
#     second while the dispatcher idles on LISTEN (poll every 60 s): the delay
#     from the INSERT (its clock, just before the commit) to the request's
#     arrival at the stand-in, p50 and p99.
#
# Runs in the database libpq's environment points at (vapi_pool installed;
# bench/run.sh provides a throwaway cluster) with shim/vapi-shim built.
# Settings: DISPATCH_BENCH_JOBS (20000), DISPATCH_BENCH_CONCURRENCY (64),
# DISPATCH_BENCH_BATCH (32), DISPATCH_BENCH_SECONDS (10, wrk),
# DISPATCH_BENCH_RATE (100 jobs/s), DISPATCH_BENCH_LATENCY_SECONDS (20).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# vapi-shim refuses root: as root it runs as postgres (scripts/common.sh)
# shellcheck source=../scripts/common.sh
source "$here/../scripts/common.sh"
mapfile -t shim_as < <(shim_user_prefix "$(id -u)" postgres)
shim=${VAPI_SHIM:-$here/../shim/vapi-shim}
standin=$here/../t/standin/vendor_standin.py
jobs=${DISPATCH_BENCH_JOBS:-20000}
concurrency=${DISPATCH_BENCH_CONCURRENCY:-64}
batch=${DISPATCH_BENCH_BATCH:-32}
seconds=${DISPATCH_BENCH_SECONDS:-10}
rate=${DISPATCH_BENCH_RATE:-100}
latency_seconds=${DISPATCH_BENCH_LATENCY_SECONDS:-20}
key=bench-key-$$
work=$(mktemp -d /tmp/vapi_pool-dispatch-bench.XXXXXX)
dburl="host=${PGHOST:-/tmp} port=${PGPORT:-5432} user=${PGUSER:-postgres} dbname=${PGDATABASE:-postgres}"

# shellcheck source=bench_server.sh
source "$here/bench_server.sh"	# ratio

q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }

standin_pid=
dispatcher_pid=
cleanup()
{
	[ -n "$dispatcher_pid" ] && kill "$dispatcher_pid" 2>/dev/null && wait "$dispatcher_pid" 2>/dev/null
	[ -n "$standin_pid" ] && kill "$standin_pid" 2>/dev/null && wait "$standin_pid" 2>/dev/null
	q -c "DELETE FROM vapi_pool.orgs WHERE org_id = '5d000000-0000-4000-8000-000000000000'" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

q -f "$here/dispatch/setup.sql" >/dev/null

python3 "$standin" --port-file "$work/ports.json" --vapi-key "$key" --max-records 50000 --quiet \
	2> "$work/standin.log" &
standin_pid=$!
for _ in $(seq 100); do [ -s "$work/ports.json" ] && break; sleep 0.1; done
vapi_port=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["vapi"])' "$work/ports.json")
vapi=http://127.0.0.1:$vapi_port
control() { curl -sf -X "$1" "$vapi/__control/$2" ${3:+-H 'content-type: application/json' -d "$3"}; }

# Start one dispatcher with extra flags; its log goes to $work/$name.log.
start_dispatcher()
{
	local name=$1
	shift
	VAPI_POOL_VAPI_API_KEY=$key "${shim_as[@]}" "$shim" dispatch --database-url="$dburl" --vapi-base-url="$vapi" \
		--intake-assistant-id=bench-intake --dispatcher-name="$name" \
		--dispatch-concurrency="$concurrency" --dispatch-batch="$batch" "$@" 2> "$work/$name.log" &
	dispatcher_pid=$!
}

stop_dispatcher()
{
	kill -TERM "$dispatcher_pid"
	wait "$dispatcher_pid" || true
	dispatcher_pid=
}

# Wait until every job whose key starts with $1 is done (at most 600 s).
wait_done()
{
	local prefix=$1 want=$2
	for _ in $(seq 3000); do
		[ "$(q -c "SELECT count(*) FROM vapi_pool.outbox WHERE idempotency_key LIKE '$prefix%' AND state = 'done'")" = "$want" ] && return 0
		sleep 0.2
	done
	echo "ERROR: not every $prefix job is done:" >&2
	q -c "SELECT state, count(*) FROM vapi_pool.outbox WHERE idempotency_key LIKE '$prefix%' GROUP BY 1" >&2
	return 1
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $jobs jobs, dispatcher concurrency $concurrency, batch $batch"

# ---------------------------------------------------------------- baseline 1: the stand-in's ceiling

DISPATCH_BENCH_KEY=$key wrk -t2 -c"$concurrency" -d"${seconds}s" -s "$here/dispatch/create_call.lua" "$vapi/call" \
	> "$work/wrk.out" 2>&1
standin_rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.out")
printf '%-52s %10.0f req/s\n' "stand-in POST /call under wrk -c$concurrency (ceiling)" "$standin_rps"
control POST reset '{}' >/dev/null

# ---------------------------------------------------------------- baseline 2: the bare SQL

q -c "SELECT public.dispatch_bench_queue($jobs, 'sql')" >/dev/null
q -c "VACUUM ANALYZE vapi_pool.outbox" >/dev/null
turns=$(( (jobs + batch - 1) / batch ))
t0=$(now)
# the same session setting the dispatcher sets: the assistant that places the calls
PGOPTIONS="${PGOPTIONS:-} -c vapi_pool.intake_assistant_id=bench-intake" \
	pgbench -n -M prepared -c 1 -t "$turns" -D batch="$batch" -f "$here/dispatch/claim_report.pgbench" \
	> "$work/pgbench.out" 2>&1 || { cat "$work/pgbench.out" >&2; exit 1; }
t1=$(now)
sql_done=$(q -c "SELECT count(*) FROM vapi_pool.outbox WHERE idempotency_key LIKE 'sql-%' AND state = 'done'")
sql_rate=$(awk -v n="$sql_done" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}')
printf '%-52s %10.0f jobs/s  (%s of %s done)\n' "pgbench -c1: outbox_claim + outbox_report, no HTTP" "$sql_rate" "$sql_done" "$jobs"
q -c "DELETE FROM vapi_pool.outbox WHERE idempotency_key LIKE 'sql-%'" -c "VACUUM ANALYZE vapi_pool.outbox, vapi_pool.vapi_call_logs" >/dev/null

# ---------------------------------------------------------------- one dispatcher: throughput

q -c "SELECT public.dispatch_bench_queue($jobs, 'tput')" >/dev/null
q -c "VACUUM ANALYZE vapi_pool.outbox" >/dev/null
t0=$(now)
start_dispatcher tput
wait_done tput- "$jobs"
t1=$(q -c "SELECT extract(epoch FROM max(finished_at)) FROM vapi_pool.outbox WHERE idempotency_key LIKE 'tput-%'")
stop_dispatcher
tput_rate=$(awk -v n="$jobs" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}')
posts=$(control GET 'requests?method=POST&path=/call&since_seq=0' | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
printf '%-52s %10.0f jobs/s  (%s jobs in %.1f s, %s POST /call)\n' "vapi-shim dispatch, one dispatcher" "$tput_rate" \
	"$jobs" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "$posts"
logged=$(q -c "SELECT count(*) FROM vapi_pool.vapi_call_logs c JOIN vapi_pool.outbox o
	ON o.org_id = c.org_id AND o.result ->> 'call_id' = c.vapi_call_id WHERE o.idempotency_key LIKE 'tput-%'")
echo "  call ids on call logs: $logged of $jobs; attempts > 1: $(q -c "SELECT count(*) FROM vapi_pool.outbox WHERE idempotency_key LIKE 'tput-%' AND attempts > 1")"
control POST reset '{}' >/dev/null

# ---------------------------------------------------------------- latency: commit to first byte

start_dispatcher latency --dispatch-poll-ms=60000
sleep 1
seq0=$(control GET state | python3 -c 'import json, sys; print(json.load(sys.stdin)["seq"])')
pgbench -n -M prepared -c 1 -R "$rate" -T "$latency_seconds" -f "$here/dispatch/queue_one.pgbench" > "$work/latency.out" 2>&1 \
	|| { cat "$work/latency.out" >&2; exit 1; }
queued=$(q -c "SELECT count(*) FROM vapi_pool.outbox WHERE idempotency_key LIKE 'lat-%'")
wait_done lat- "$queued"
stop_dispatcher
read -r n p50 p99 pmax <<<"$(control GET "requests?method=POST&path=/call&since_seq=$seq0" | python3 -c '
import json, sys
d = sorted((r["t"] - float(r["body"]["customer"]["name"][4:])) * 1000
           for r in json.load(sys.stdin) if r["body"]["customer"].get("name", "").startswith("lat "))
pick = lambda p: d[min(len(d) - 1, int(p * len(d)))]
print(len(d), "%.2f" % pick(0.50), "%.2f" % pick(0.99), "%.2f" % d[-1])')"
printf '%-52s p50 %6s ms  p99 %6s ms  max %6s ms  (%s jobs at %s/s)\n' "commit to first byte at the stand-in (idle on LISTEN)" \
	"$p50" "$p99" "$pmax" "$n" "$rate"

echo "dispatch: $tput_rate jobs/s; dispatch/SQL $(ratio "$tput_rate" "$sql_rate"), dispatch/stand-in $(ratio "$tput_rate" "$standin_rps"); latency p50 $p50 ms, p99 $p99 ms"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
