#!/bin/bash
# operations_bench.sh - what the operator's views cost (release 0.9.0, issue
# 22): number_health, pool_status with its rates, call_report, the figures
# /metrics reads every 30 s (operations_stats) and the hourly rotation job
# with nothing to rotate, each against the least any of them must do in the
# same run: one pass over the window's outbound calls (count and answered).
#
# Data (bench/operations/setup.sql): OPS_ORGS (8) organisations, OPS_BROKERS
# (64) brokers with OPS_NUMBERS (100) numbers each, OPS_CALLS (1,000,000)
# outbound calls over 28 days (half in number health's 14-day window), one
# number in fifty burned, OPS_CALLS / 10 assignments.  Each query runs
# OPS_REPS (5) times in a row on one connection (pgbench -t, -M prepared),
# OPS_ROUNDS (3) rounds; reported: the median of the rounds' mean latency,
# and each query / the baseline.  The scope "one org" is what a signed-in
# member reads (WHERE org_id = ..., as row level security adds it).
#
# Where it runs: with PGHOST set (bench/run.sh's cluster) in that server,
# otherwise in a private cluster of its own (as vapitest when run as root).
# Environment: OPS_ORGS, OPS_BROKERS, OPS_NUMBERS, OPS_CALLS, OPS_REPS,
#   OPS_ROUNDS, OPS_PRIVATE_CLUSTER=1, OPS_PGPORT [54347], OPS_KEEP=1.
# Exits non-zero on errors only (failed SQL, a number called burned that was
# generated healthy, fewer than 95% of the burned ones found), never because
# of a timing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

orgs=${OPS_ORGS:-8}
brokers=${OPS_BROKERS:-64}
numbers=${OPS_NUMBERS:-100}
calls=${OPS_CALLS:-1000000}
reps=${OPS_REPS:-5}
rounds=${OPS_ROUNDS:-3}
keep=${OPS_KEEP:-0}
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
bindir=$("$PG_CONFIG" --bindir)
pgbench=$bindir/pgbench
psql=$bindir/psql

# shellcheck source=bench_server.sh
source "$here/bench_server.sh"
bench_server opsbench "${OPS_PRIVATE_CLUSTER:-0}" "${OPS_PGPORT:-54347}"

library=$("$PG_CONFIG" --pkglibdir)/vapi_pool.so
echo "== operations benchmark: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); server: $("$psql" -X -A -t -d postgres -c 'SHOW server_version')"
echo "   vapi_pool.so md5 $(md5sum <"$library" | cut -c1-12)"
echo "== $orgs orgs, $brokers brokers x $numbers numbers, $calls calls over 28 days; $reps runs x $rounds rounds"

db=operations_bench
databases+=("$db")
q postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
start=$(date +%s)
q "$db" -c 'CREATE EXTENSION vapi_pool CASCADE' -v orgs="$orgs" -v brokers="$brokers" -v numbers="$numbers" \
	-v calls="$calls" -f "$here/operations/setup.sql"
echo "== data set made in $(( $(date +%s) - start ))s"

# What number health must find: the numbers generated burned (every
# fiftieth), and no other.  A burned number whose hashed outcomes happen to
# be answered more often may be on watch instead: at least 95% are found.
read -r found wrong < <(q "$db" -F ' ' -c "WITH k AS (SELECT number, row_number() OVER (ORDER BY number) % 50 = 0 AS burned
	FROM vapi_pool.vapi_number_pool) SELECT count(*) FILTER (WHERE k.burned), count(*) FILTER (WHERE NOT k.burned)
	FROM vapi_pool.number_health h JOIN k USING (number) WHERE h.state = 'burned'")
expected=$(( brokers * numbers / 50 ))
echo "== number_health finds $found of the $expected numbers generated burned, and $wrong others"
[ "$wrong" = 0 ] || error "number_health calls $wrong numbers burned that were generated healthy"
[ $(( found * 100 )) -ge $(( expected * 95 )) ] || error "number_health found $found of $expected burned numbers"

org="00000000-0000-4000-8000-000000000001"
declare -A sql=(
	[baseline]="SELECT count(*), count(*) FILTER (WHERE outcome = 'answered') FROM vapi_pool.vapi_call_logs WHERE direction = 'outbound_to_lead' AND created_at >= now() - interval '14 days'"
	[number_health]="SELECT count(*) FILTER (WHERE state <> 'healthy') FROM vapi_pool.number_health"
	[number_health_org]="SELECT count(*) FILTER (WHERE state <> 'healthy') FROM vapi_pool.number_health WHERE org_id = '$org'"
	[pool_status]="SELECT count(*), min(days_until_dry) FROM vapi_pool.pool_status"
	[call_report_week_org]="SELECT count(*), sum(answered) FROM vapi_pool.call_report WHERE org_id = '$org' AND period = 'week'"
	[operations_stats]="SELECT * FROM vapi_pool.operations_stats()"
	[rotation_idle]="SELECT count(*) FROM vapi_pool.rotate_burned_numbers()"
)
order=(baseline number_health number_health_org pool_status call_report_week_org operations_stats rotation_idle)
declare -A ms_of=()
for ((round = 1; round <= rounds; round++)); do
	for name in "${order[@]}"; do
		file=$logs/$name.sql
		printf '%s;\n' "${sql[$name]}" >"$file"
		out=$logs/${name}_$round.out
		"$pgbench" -n -M prepared -c 1 -t "$reps" -f "$file" "$db" >"$out" 2>&1 || error "pgbench $name round $round failed"
		lat=$(awk '/^latency average = / {print $4; exit}' "$out")
		[ -n "$lat" ] || { error "no latency for $name"; grep -m 3 -i error "$out" >&2 || true; lat=0; }
		ms_of[$name]+=" $lat"
	done
done

echo
echo "######## summary"
printf 'operator views: %d orgs, %d brokers x %d numbers, %d calls over 28 days; %d runs x %d rounds, median of rounds\n' \
	"$orgs" "$brokers" "$numbers" "$calls" "$reps" "$rounds"
# shellcheck disable=SC2086
base=$(median ${ms_of[baseline]})
for name in "${order[@]}"; do
	# shellcheck disable=SC2086
	m=$(median ${ms_of[$name]})
	printf '  %-22s %10.1f ms  (%sx the window scan; rounds:%s)\n' "$name" "$m" "$(ratio "$m" "$base")" "${ms_of[$name]}"
done
if [ "$errors" -gt 0 ]; then
	echo "$errors error(s): see above"
	exit 1
fi
