#!/bin/bash
# shim_bench.sh - vapi-shim under wrk (release 0.4.0): assistant-request
# routing (a read answered with an assistant) and end-of-call-report (a
# write), each measured in the same run against
#   - h2o's ceiling: GET /healthz of the same server, a static answer that
#     touches no database;
#   - the database's own limit: pgbench running the same
#     vapi_pool.receive_webhook call the shim makes;
# and against the same shim with group commit off (--db-group-max 1, each
# webhook its own transaction, a second shim on the next port) and
# pgbench's own built-in simple update (-N) in a database of its own;
# then, open loop (bench/loadgen.c, built here), each kind at a fixed
# offered rate of 25%, 50% and 75% of the maximum wrk just measured, with
# latency counted from each request's scheduled send time (so that a slow
# answer delays no request unseen): p50/p99/p99.9 beside the closed-loop
# maximum; the target is p99 < 10 ms at 50%.  Reported, never failed on.
#
# Runs in the database libpq's environment points at (vapi_pool installed;
# bench/run.sh provides a throwaway cluster) with shim/vapi-shim built.
# The shims answer with assistants (the Call Connector, the intake
# assistant); pgbench's sessions set the same ids.
# Settings: SHIM_BENCH_SECONDS (15), SHIM_BENCH_CONNECTIONS (64, wrk),
# SHIM_BENCH_PGCLIENTS (16, pgbench), SHIM_BENCH_PORT (18080),
# SHIM_BENCH_POOL (the shim's --db-pool-size, 8); open loop:
# SHIM_BENCH_OPEN_SECONDS (15, after a 2 s warm-up), SHIM_BENCH_OPEN_CONNECTIONS
# (64), SHIM_BENCH_OPEN_LOADS (percentages of the maximum, "25 50 75"), CC (cc).
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
open_seconds=${SHIM_BENCH_OPEN_SECONDS:-15}
open_conns=${SHIM_BENCH_OPEN_CONNECTIONS:-64}
open_loads=${SHIM_BENCH_OPEN_LOADS:-25 50 75}
work=$(mktemp -d /tmp/vapi_pool-shim-bench.XXXXXX)
# the open-loop generator; its call ids carry this tag, new on every run
${CC:-cc} -O2 -Wall -Wextra -o "$work/loadgen" "$here/loadgen.c"
open_tag=ol$(date +%s)$$

psql -X -q -v ON_ERROR_STOP=1 -f "$here/shim/setup.sql" >/dev/null

VAPI_POOL_DATABASE_URL="host=${PGHOST:-/tmp} port=${PGPORT:-5432} user=${PGUSER:-postgres} dbname=${PGDATABASE:-postgres}" \
VAPI_POOL_VAPI_SECRET=$secret VAPI_POOL_LISTEN=127.0.0.1:$port \
VAPI_POOL_INTAKE_ASSISTANT_ID=bench-intake VAPI_POOL_CONNECTOR_ASSISTANT_ID=bench-connector \
# start_shim PORT GROUP_MAX LOG: a shim in the background; its pid in $started
start_shim()
{
	VAPI_POOL_DATABASE_URL="host=${PGHOST:-/tmp} port=${PGPORT:-5432} user=${PGUSER:-postgres} dbname=${PGDATABASE:-postgres}" \
	VAPI_POOL_VAPI_SECRET=$secret VAPI_POOL_LISTEN=127.0.0.1:$1 \
	VAPI_POOL_INTAKE_ASSISTANT_ID=bench-intake VAPI_POOL_CONNECTOR_ASSISTANT_ID=bench-connector \
	VAPI_POOL_DB_POOL_SIZE=$pool VAPI_POOL_DB_GROUP_MAX=$2 \
		"${shim_as[@]}" "$shim" > "$3" 2>&1 &
	started=$!
	for _ in $(seq 50); do
		curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && break
		sleep 0.2
	done
	curl -sf "http://127.0.0.1:$1/healthz" >/dev/null || { cat "$3"; exit 1; }
}
single_port=$((port + 1))
pgbench_db=vapi_bench_pgbench_$$
cleanup()
{
	kill "$shim_pid" "${single_pid:-}" 2>/dev/null || true
	wait "$shim_pid" "${single_pid:-}" 2>/dev/null || true
	psql -X -q -c "DROP DATABASE IF EXISTS $pgbench_db" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
start_shim "$port" 16 "$work/shim.log"
shim_pid=$started
start_shim "$single_port" 1 "$work/shim-single.log"
single_pid=$started
# the database's side as the shim's sessions set it (the assistants to answer with)
export PGOPTIONS="${PGOPTIONS:-} -c vapi_pool.intake_assistant_id=bench-intake -c vapi_pool.connector_assistant_id=bench-connector"

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
psql -X -q -c "CREATE DATABASE $pgbench_db"
pgbench -i -q -s 16 "$pgbench_db" >/dev/null 2>&1
simple=$(pgbench -n -M prepared -N -c "$clients" -j 2 -T "$seconds" "$pgbench_db" 2>&1 | awk '/^tps = / {print $3}')
printf '%-44s %10.0f tps\n' "pgbench -N (its built-in simple update)" "$simple" >&2
psql -X -q -c "DROP DATABASE $pgbench_db"

ar_db=$(run_pgbench "pgbench receive_webhook(assistant-request)" "$here/shim/assistant_request.pgbench")
ar=$(SHIM_BENCH_RUN=ar$$ SHIM_BENCH_SECRET=$secret run_wrk "POST assistant-request through the shim" \
	-s "$here/shim/assistant_request.lua" "http://127.0.0.1:$port/webhook/vapi")
ar1=$(SHIM_BENCH_RUN=as$$ SHIM_BENCH_SECRET=$secret run_wrk "  the same, group commit off (--db-group-max 1)" \
	-s "$here/shim/assistant_request.lua" "http://127.0.0.1:$single_port/webhook/vapi")

eocr_db=$(run_pgbench "pgbench receive_webhook(end-of-call-report)" "$here/shim/end_of_call_report.pgbench")
eocr=$(SHIM_BENCH_RUN=eocr$$ SHIM_BENCH_SECRET=$secret run_wrk "POST end-of-call-report through the shim" \
	-s "$here/shim/end_of_call_report.lua" "http://127.0.0.1:$port/webhook/vapi")
eocr1=$(SHIM_BENCH_RUN=eocs$$ SHIM_BENCH_SECRET=$secret run_wrk "  the same, group commit off" \
	-s "$here/shim/end_of_call_report.lua" "http://127.0.0.1:$single_port/webhook/vapi")

# The realistic write: reports that end the calls the assistant-request run opened.
matched=$(SHIM_BENCH_RUN=ar$$ SHIM_BENCH_CALL_PREFIX= SHIM_BENCH_SECRET=$secret run_wrk \
	"POST end-of-call-report ending logged calls" \
	-s "$here/shim/end_of_call_report.lua" "http://127.0.0.1:$port/webhook/vapi")
echo "  of which ended a logged call: $(psql -X -At -c "SELECT count(*) FROM vapi_pool.vapi_call_logs
	WHERE vapi_call_id LIKE 'ar$$-%' AND status = 'ended'") (the rest: past the calls that run opened)" >&2
matched1=$(SHIM_BENCH_RUN=as$$ SHIM_BENCH_CALL_PREFIX= SHIM_BENCH_SECRET=$secret run_wrk \
	"  the same, group commit off" \
	-s "$here/shim/end_of_call_report.lua" "http://127.0.0.1:$single_port/webhook/vapi")
echo "  of which ended a logged call: $(psql -X -At -c "SELECT count(*) FROM vapi_pool.vapi_call_logs
	WHERE vapi_call_id LIKE 'as$$-%' AND status = 'ended'")" >&2

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

echo "assistant-request: shim/pgbench $(ratio "$ar" "$ar_db"), shim/ceiling $(ratio "$ar" "$ceiling"), group commit on/off $(ratio "$ar" "$ar1"), shim/pgbench -N $(ratio "$ar" "$simple")"
echo "end-of-call-report: shim/pgbench $(ratio "$eocr" "$eocr_db"), shim/ceiling $(ratio "$eocr" "$ceiling"), group commit on/off $(ratio "$eocr" "$eocr1"); ending logged calls $(ratio "$matched" "$eocr_db") of pgbench's unmatched, group commit on/off $(ratio "$matched" "$matched1")"
curl -s "http://127.0.0.1:$port/metrics" | awk '/^vapi_shim_db_group_size_(sum|count) / {v[$1] = $2}
	/^vapi_shim_db_group_put_off_total / {p = $2}
	END {printf "group commit: %d transactions for %d webhooks (%.1f a transaction), %d put off\n",
		v["vapi_shim_db_group_size_count"], v["vapi_shim_db_group_size_sum"],
		v["vapi_shim_db_group_size_sum"] / (v["vapi_shim_db_group_size_count"] ? v["vapi_shim_db_group_size_count"] : 1), p}'

# Open loop: a fixed offered rate, a fraction of the maximum wrk measured
# above, for each kind; one loadgen line (bench/loadgen.c) per rate.  The
# closed-loop runs above inserted some 200,000 rows in a few minutes; their
# vacuum and checkpoint run first, so that the latency measured is the
# steady state's, not autovacuum catching up on two shared cores.
psql -X -q -c 'VACUUM (ANALYZE) vapi_pool.webhook_inbox, vapi_pool.vapi_call_logs, vapi_pool.unmatched_call_reports' \
	-c 'CHECKPOINT'
# field NAME LINE: the value of NAME=... in a loadgen line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

# run_open KIND MAX PERCENT: prints the table row; keeps the p99 in $work/p99-KIND-PERCENT.
run_open()
{
	local kind=$1 max=$2 pct=$3 rate line
	rate=$(awk -v m="$max" -v p="$pct" 'BEGIN {r = int(m * p / 100); print (r < 1 ? 1 : r)}')
	if ! line=$("$work/loadgen" --url "http://127.0.0.1:$port/webhook/vapi" --rate "$rate" \
		--seconds "$open_seconds" --warmup 2 --connections "$open_conns" \
		--header "x-vapi-secret: $secret" --body-kind "$kind" --call-prefix eocr- \
		--run-id "$open_tag-${kind%%-*}$pct" 2>"$work/loadgen.err"); then
		printf '%-20s %4s%%  loadgen failed: %s\n' "$kind" "$pct" "$(tr '\n' ' ' <"$work/loadgen.err")"
		return 0
	fi
	printf '%-20s %4s%% %9s %10s %8s %8s %9s %8s %7s %7s %6s\n' "$kind" "$pct" "$(field offered "$line")" \
		"$(field achieved "$line")" "$(field p50_ms "$line")" "$(field p99_ms "$line")" \
		"$(field p999_ms "$line")" "$(field max_ms "$line")" "$(field errors "$line")" \
		"$(field non2xx "$line")" "$(field late "$line")"
	sed 's/^/    /' "$work/loadgen.err"
	field p99_ms "$line" >"$work/p99-$kind-$pct"
}
printf 'open loop (bench/loadgen.c): fixed rates, shares of the closed-loop maximum above (assistant-request %.0f/s,\n' "$ar"
printf '  end-of-call-report %.0f/s); %s s each after a 2 s warm-up, %s connections, latency from the scheduled send time\n' \
	"$eocr" "$open_seconds" "$open_conns"
printf '%-20s %5s %9s %10s %8s %8s %9s %8s %7s %7s %6s\n' kind load "offered/s" "achieved/s" "p50 ms" "p99 ms" \
	"p99.9 ms" "max ms" errors non-2xx late
for pct in $open_loads; do run_open assistant-request "$ar" "$pct"; done
for pct in $open_loads; do run_open end-of-call-report "$eocr" "$pct"; done
for kind in assistant-request end-of-call-report; do
	[ -s "$work/p99-$kind-50" ] || continue
	p99=$(cat "$work/p99-$kind-50")
	if awk -v v="$p99" 'BEGIN {exit !(v != "nan" && v + 0 < 10)}'; then verdict="met"; else verdict="NOT met"; fi
	echo "$kind at 50% of its maximum: p99 $p99 ms; target p99 < 10 ms: $verdict"
done

echo "inbox: $(psql -X -At -c "SELECT count(*) || ' events, ' || count(*) FILTER (WHERE state = 'failed') || ' failed' FROM vapi_pool.webhook_inbox")"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
