#!/bin/bash
# pool_bench.sh - the number-pool engine (release 0.3.0) against a PL/pgSQL
# baseline (bench/pool/baseline.sql) measured in the same run.
#
#   cycle    POOL_CLIENTS (16) pgbench clients, -M prepared, POOL_SECONDS (20)
#            each for the C engine and the baseline, on identical fresh copies
#            of one data set (POOL_BROKERS x POOL_NUMBERS_PER_BROKER numbers,
#            POOL_LEADS leads, POOL_ORGS organisations).  A transaction is
#            assign_number(random lead) + record_call_placed + record_call_ended
#            (bench/pool/cycle.sql, weight 20); release_expired() runs as a
#            second script of weight 1 (bench/pool/release.sql).  Reports
#            assignments/s (median of POOL_ROUNDS rounds in alternating
#            order), the ratio C / baseline, failed transactions and the
#            integrity check (bench/pool/integrity.sql) after each run.
#   route    route_inbound(called, caller) over numbers most of which have a
#            live assignment, callers a mix of lead, broker and unknown
#            (bench/pool/route.sql), C and baseline, then the same with a
#            vapi_call_id (the call is logged).  First bench/pool/route_check.sql
#            routes every number with both and counts disagreements, and
#            times each path through route_inbound in one session.  tps, and
#            latency percentiles computed from pgbench's per-transaction log
#            (--log: every transaction's latency in microseconds; p99 is the
#            nearest-rank 99th percentile over all of them); SELECT 1 with
#            the same clients gives the machine's floor.
#   release  POOL_RELEASE_N (1,000,000) call_completed assignments whose
#            release_at has passed, then SELECT vapi_pool.release_expired()
#            (one transaction) and CALL vapi_pool.release_expired_in_batches()
#            on fresh copies (and the baseline's procedure, see
#            POOL_RELEASE_BASELINE).  Meanwhile two rate-limited pgbench
#            probes (bench/pool/probe.sql) call assign_number on leads of
#            brokers with free numbers, and on leads holding one of the
#            expiring assignments; their logs give the largest assign latency
#            seen while the release ran.
#
# Where it runs: with PGHOST set (bench/run.sh's cluster) in that server,
# otherwise in a private cluster of its own (scripts/common.sh), started as
# vapitest when run as root.  Either way every data set is a database of its
# own, created from a template and dropped at the end.
#
# Environment (defaults in brackets; POOL_QUICK=1 gives small ones that run
# in about a minute):
#   POOL_PARTS           which parts to run [cycle,route,release]
#   POOL_SECONDS         seconds per pgbench run [20; quick 5]
#   POOL_ROUNDS          rounds of the cycle and route runs, in alternating
#                        order; the summary gives the median [3; quick 1]
#   POOL_CLIENTS, POOL_THREADS        pgbench -c and -j [16, 2]
#   POOL_ORGS, POOL_BROKERS, POOL_NUMBERS_PER_BROKER, POOL_LEADS
#                        cycle and route data set [1, 64, 40, 100000; quick 1, 16, 40, 20000]
#   POOL_PAST            past (released) assignments with their call logs in
#                        those data sets, so that tables and statistics are
#                        those of a live system [2 x POOL_LEADS]
#   POOL_RELEASE_WEIGHT  weight of release.sql against cycle.sql's 20 [1]
#   POOL_ROUTE_HELD_PCT  share of numbers with a live assignment in route [90]
#   POOL_RELEASE_N       expiring assignments [1000000; quick 50000]
#   POOL_RELEASE_BROKERS [1000; quick 100]
#   POOL_RELEASE_FREE    free numbers per broker besides the expiring ones [100]
#   POOL_RELEASE_FREE_LEADS  leads holding nothing [100000; quick 10000]
#   POOL_PROBE_RATE      assign_number calls/s of each probe [100]
#   POOL_RELEASE_BASELINE  which of the baseline's to time as well: procedure,
#                        function (its single-transaction release_expired),
#                        both, none [procedure]
#   POOL_PRIVATE_CLUSTER=1  use a private cluster even when PGHOST is set
#   POOL_PGPORT          port of the private cluster [54341]
#   POOL_KEEP=1          keep the databases (and the private cluster's directory)
# Exits non-zero on errors only (failed SQL, failed or aborted pgbench
# transactions, integrity violations), never because of a timing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

quick=${POOL_QUICK:-0}
if [ "$quick" = 1 ]; then
	d_rounds=1 d_seconds=5 d_brokers=16 d_leads=20000 d_rel_n=50000 d_rel_brokers=100 d_rel_free_leads=10000
else
	d_rounds=3 d_seconds=20 d_brokers=64 d_leads=100000 d_rel_n=1000000 d_rel_brokers=1000 d_rel_free_leads=100000
fi
parts=${POOL_PARTS:-cycle,route,release}
seconds=${POOL_SECONDS:-$d_seconds}
clients=${POOL_CLIENTS:-16}
threads=${POOL_THREADS:-2}
orgs=${POOL_ORGS:-1}
brokers=${POOL_BROKERS:-$d_brokers}
per_broker=${POOL_NUMBERS_PER_BROKER:-40}
leads=${POOL_LEADS:-$d_leads}
past=${POOL_PAST:-$((2 * leads))}
release_weight=${POOL_RELEASE_WEIGHT:-1}
route_held_pct=${POOL_ROUTE_HELD_PCT:-90}
rel_n=${POOL_RELEASE_N:-$d_rel_n}
rel_brokers=${POOL_RELEASE_BROKERS:-$d_rel_brokers}
rel_free=${POOL_RELEASE_FREE:-100}
rel_free_leads=${POOL_RELEASE_FREE_LEADS:-$d_rel_free_leads}
probe_rate=${POOL_PROBE_RATE:-100}
release_baseline=${POOL_RELEASE_BASELINE:-procedure}
keep=${POOL_KEEP:-0}
rounds=${POOL_ROUNDS:-$d_rounds}
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
bindir=$("$PG_CONFIG" --bindir)
pgbench=$bindir/pgbench
psql=$bindir/psql

# ---------------------------------------------------------------- the server

# shellcheck source=bench_server.sh
source "$here/bench_server.sh"
bench_server poolbench "${POOL_PRIVATE_CLUSTER:-0}" "${POOL_PGPORT:-54341}" "log_lock_waits = on"

now() { date +%s.%N; }

# A database with vapi_pool and the baseline.
create_db()
{
	databases+=("$1")
	q postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
	q "$1" -c 'CREATE EXTENSION vapi_pool CASCADE' -f "$here/pool/baseline.sql"
}

# A fresh copy of template $2 named $1 (file copy: fast for large ones).
copy_db()
{
	databases+=("$1")
	q postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1 TEMPLATE $2 STRATEGY FILE_COPY"
}

drop_db()
{
	[ "$keep" = 1 ] || q postgres -c "DROP DATABASE IF EXISTS $1"
}

# Load bench/pool/setup.sql into $1: orgs brokers numbers leads held
# held_status release_in history past (see there).
load()
{
	q "$1" -v orgs="$2" -v brokers="$3" -v numbers="$4" -v leads="$5" -v held="$6" \
		-v held_status="$7" -v release_in="$8" -v history="$9" -v past="${10}" -f "$here/pool/setup.sql"
}

# Prints the integrity check of database $1 ("<total> <detail>") and counts a
# violation as an error.
integrity()
{
	local line total detail
	line=$(q "$1" -F ' ' -f "$here/pool/integrity.sql")
	total=${line%% *}
	detail=${line#* }
	printf '  integrity (%s): %s violations (%s)\n' "$1" "$total" "$detail"
	[ "$total" = 0 ] || error "integrity violations in $1: $detail"
	last_violations=$total
}

# Latency statistics from pgbench logs $@ (a glob's files): prints
# "<count> <p50 ms> <p99 ms> <max ms>"; only transactions overlapping
# [window_from, window_to] (epoch seconds) count when these are set.
latency_stats()
{
	cat "$@" 2>/dev/null |
	awk -v from="${window_from:-0}" -v to="${window_to:-0}" '
		$3 ~ /^[0-9]+$/ {
			end = $5 + $6 / 1e6; start = end - $3 / 1e6
			if (to > 0 && (end < from || start > to)) next
			print $3
		}' | sort -n |
	awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print 0, "-", "-", "-"; exit }
			i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++
			i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++
			printf "%d %.3f %.3f %.3f\n", NR, v[i50] / 1000, v[i99] / 1000, v[NR] / 1000
		}'
}

# Failed transactions and aborted clients of a pgbench output file: sets
# last_failures (aborted clients count as failures) and counts them as errors.
pgbench_failures()
{
	local out=$1 failed aborted
	failed=$(awk '/^number of failed transactions:/ {print $5}' "$out")
	aborted=$(grep -c -E 'client [0-9]+ (script [0-9]+ )?aborted' "$out" || true)
	failed=${failed:-0}
	if [ "$failed" != 0 ] || [ "$aborted" != 0 ]; then
		error "pgbench $(basename "$out"): $failed failed transactions, $aborted aborted clients"
		grep -m 5 -E 'error|aborted' "$out" >&2 || true
	fi
	last_failures=$((failed + aborted))
}

# tps of a pgbench run (all scripts), and of SQL script $2 when given.
pgbench_tps()
{
	if [ -n "${2:-}" ]; then
		awk -v n="$2" '/^SQL script [0-9]+:/ {cur = $3 + 0}
			/ transactions \(.*tps = / && cur == n {sub(/.*tps = /, ""); sub(/\).*/, ""); print; exit}' "$1"
	else
		awk '/^tps = / {print $3; exit}' "$1"
	fi
}


summary=()
# shellcheck disable=SC2059 # the first argument is the format
add_summary() { summary+=("$(printf "$@")"); }

# Which build of the extension is measured (it may be reinstalled while a
# long run goes on: the summary says so).
library=$("$PG_CONFIG" --pkglibdir)/vapi_pool.so
fingerprint() { echo "$(md5sum <"$library" | cut -c1-12) $(date -r "$library" '+%F %T')"; }
library_at_start=$(fingerprint)
echo "== pool benchmark: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); server: $("$psql" -X -A -t -d postgres -c 'SHOW server_version')"
echo "   vapi_pool.so md5 $library_at_start"
echo "   (other work on the machine makes every figure noisy; the ratios are measured in the same run)"

# ---------------------------------------------------------------- cycle

# Median of the numbers given.

# The order of the runs of round $1: alternating, so that neither side
# always runs first on a warm or cold machine.

if [[ ",$parts," == *,cycle,* ]]; then
	numbers=$((brokers * per_broker))
	echo "######## cycle: assign + record_call_placed + record_call_ended; release_expired at weight $release_weight:20"
	echo "== load: $orgs organisations, $brokers brokers x $per_broker numbers, $leads leads, $past past calls"
	create_db pool_cycle_tmpl
	load pool_cycle_tmpl "$orgs" "$brokers" "$numbers" "$leads" 0 booked '0' false "$past"
	declare -A cycle_tps cycle_fail cycle_viol cycle_release
	for impl in c baseline; do cycle_tps[$impl]=""; cycle_release[$impl]=""; cycle_fail[$impl]=0; cycle_viol[$impl]=0; done
	for ((round = 1; round <= rounds; round++)); do
		for impl in $(order "$round" "c baseline" "baseline c"); do
			db=pool_cycle_$impl
			copy_db "$db" pool_cycle_tmpl
			b=0; [ "$impl" = baseline ] && b=1
			out=$logs/cycle_${impl}_$round.out
			"$pgbench" -n -M prepared -c "$clients" -j "$threads" -T "$seconds" \
				-D baseline=$b -D leads="$leads" -D seq=0 \
				-f "$here/pool/cycle.sql@20" -f "$here/pool/release.sql@$release_weight" \
				"$db" >"$out" 2>&1 || true
			tps=$(pgbench_tps "$out" 1)
			rel=$(pgbench_tps "$out" 2)
			pgbench_failures "$out"
			printf '== round %d, %-8s %8.1f assignments/s (release_expired %.1f/s), latency avg %s ms, %s failed\n' \
				"$round" "$impl" "${tps:-0}" "${rel:-0}" "$(awk '/^latency average/ {print $4; exit}' "$out")" "$last_failures"
			cycle_tps[$impl]+=" $(printf '%.1f' "${tps:-0}")"
			cycle_release[$impl]+=" $(printf '%.1f' "${rel:-0}")"
			cycle_fail[$impl]=$((cycle_fail[$impl] + last_failures))
			integrity "$db"
			cycle_viol[$impl]=$((cycle_viol[$impl] + last_violations))
			q "$db" -c "SELECT format('  rows: %s assignments (%s unreleased), %s call logs, %s outbox jobs',
				(SELECT count(*) FROM vapi_pool.vapi_number_assignments),
				(SELECT count(*) FROM vapi_pool.vapi_number_assignments WHERE status <> 'released'),
				(SELECT count(*) FROM vapi_pool.vapi_call_logs),
				(SELECT count(*) FROM vapi_pool.outbox))"
			drop_db "$db"
		done
	done
	drop_db pool_cycle_tmpl
	add_summary 'cycle (%d clients, %s x %ss each, %d brokers x %d numbers, %d leads; median tps = assignments/s):' \
		"$clients" "$rounds" "$seconds" "$brokers" "$per_broker" "$leads"
	for impl in c baseline; do
		# shellcheck disable=SC2086
		add_summary '  %-10s %8.1f assignments/s  (rounds:%s)  release_expired %.1f/s  failed %s  integrity violations %s' \
			"$([ $impl = c ] && echo 'C engine' || echo baseline)" "$(median ${cycle_tps[$impl]})" "${cycle_tps[$impl]}" \
			"$(median ${cycle_release[$impl]})" "${cycle_fail[$impl]}" "${cycle_viol[$impl]}"
	done
	# shellcheck disable=SC2086
	add_summary '  ratio C / baseline: %sx   (target: C >= 3,000 assignments/s and faster than the baseline)' \
		"$(ratio "$(median ${cycle_tps[c]})" "$(median ${cycle_tps[baseline]})")"
fi

# ---------------------------------------------------------------- route

if [[ ",$parts," == *,route,* ]]; then
	numbers=$((brokers * per_broker))
	held=$((numbers * route_held_pct / 100))
	echo "######## route: route_inbound(called, caller), $clients clients, ${seconds}s each"
	echo "== load: $brokers brokers x $per_broker numbers, $held of them held, $leads leads, $past past calls"
	create_db pool_route_tmpl
	load pool_route_tmpl "$orgs" "$brokers" "$numbers" "$leads" "$held" booked '0' true "$past"
	q pool_route_tmpl -v numbers="$numbers" -v brokers="$brokers" -v held="$held" \
		-f "$here/pool/route_check.sql" >"$logs/route_check.out"
	sed 's/^/  /' "$logs/route_check.out"
	route_diff=$(awk '/^check:/ {print $NF}' "$logs/route_check.out")
	[ "$route_diff" = 0 ] || error "C and baseline route_inbound disagree on $route_diff calls"
	# The machine's floor: the latency of SELECT 1 with as many clients.
	rm -f "$logs"/floor.log*
	"$pgbench" -n -M prepared -c "$clients" -j "$threads" -T "$(( seconds < 10 ? seconds : 10 ))" \
		--log --log-prefix="$logs/floor.log" -f <(echo 'SELECT 1;') pool_route_tmpl >"$logs/floor.out" 2>&1 || true
	floor_tps=$(pgbench_tps "$logs/floor.out")
	read -r _n _p50 floor_p99 floor_max < <(latency_stats "$logs"/floor.log*)
	printf '  %-14s %10.1f tps         p99 %s ms  max %s ms  (the machine: scheduling %d clients on %d cores)\n' \
		'SELECT 1' "$floor_tps" "$floor_p99" "$floor_max" "$clients" "$(nproc)"
	declare -A route_tps route_p50 route_p99 route_max route_fail
	runs="c baseline log_c log_baseline"
	for run in $runs; do route_tps[$run]=""; route_fail[$run]=0; rm -f "$logs/route_$run".*; done
	for ((round = 1; round <= rounds; round++)); do
		for run in $(order "$round" "$runs" "baseline c log_baseline log_c"); do
			db=pool_route_$run
			copy_db "$db" pool_route_tmpl
			b=0; [[ $run == *baseline ]] && b=1
			l=0; [[ $run == log_* ]] && l=1
			out=$logs/route_$run.$round.out
			"$pgbench" -n -M prepared -c "$clients" -j "$threads" -T "$seconds" \
				-D baseline=$b -D log=$l -D tag="$run" -D seq=0 -D numbers="$numbers" -D brokers="$brokers" \
				--log --log-prefix="$logs/route_$run.$round.log" -f "$here/pool/route.sql" "$db" >"$out" 2>&1 || true
			tps=$(pgbench_tps "$out")
			route_tps[$run]+=" $(printf '%.1f' "${tps:-0}")"
			pgbench_failures "$out"
			route_fail[$run]=$((route_fail[$run] + last_failures))
			read -r n p50 p99 max < <(latency_stats "$logs/route_$run.$round".log*)
			printf '== round %d, %-13s %9.1f routings/s  p50 %s ms  p99 %s ms  max %s ms  (%s transactions, %s failed)\n' \
				"$round" "$run" "${tps:-0}" "$p50" "$p99" "$max" "$n" "$last_failures"
			if [ "$l" = 1 ]; then
				q "$db" -c "SELECT '  calls logged: ' || count(*) || ' (' || count(DISTINCT direction) || ' directions)'
					FROM vapi_pool.vapi_call_logs WHERE vapi_call_id LIKE 'in-%'"
			fi
			drop_db "$db"
		done
	done
	for run in $runs; do
		read -r _n "route_p50[$run]" "route_p99[$run]" "route_max[$run]" < <(latency_stats "$logs/route_$run".*.log*)
	done
	drop_db pool_route_tmpl
	add_summary 'route (%d clients, %s x %ss each; %d numbers, %d%% held; median tps; latency percentiles over all' \
		"$clients" "$rounds" "$seconds" "$numbers" "$route_held_pct"
	add_summary '       transactions of the rounds, from pgbench --log, nearest rank):'
	for run in $runs; do
		# shellcheck disable=SC2086
		add_summary '  %-22s %9.1f routings/s  p50 %7s ms  p99 %8s ms  max %8s ms  failed %s  (rounds:%s)' \
			"$(case $run in c) echo 'C route_inbound';; baseline) echo 'baseline';; log_c) echo 'C, with vapi_call_id';; *) echo 'baseline, with call id';; esac)" \
			"$(median ${route_tps[$run]})" "${route_p50[$run]}" "${route_p99[$run]}" "${route_max[$run]}" "${route_fail[$run]}" "${route_tps[$run]}"
	done
	add_summary '  %-22s %9.1f tps                     p99 %8s ms  max %8s ms  (floor: pgbench and %d clients on %d cores)' \
		'SELECT 1' "$floor_tps" "$floor_p99" "$floor_max" "$clients" "$(nproc)"
	# shellcheck disable=SC2086
	add_summary '  ratio C / baseline: %sx without logging, %sx with   (target: >= 10,000 routings/s, p99 < 5 ms)' \
		"$(ratio "$(median ${route_tps[c]})" "$(median ${route_tps[baseline]})")" \
		"$(ratio "$(median ${route_tps[log_c]})" "$(median ${route_tps[log_baseline]})")"
fi

# ---------------------------------------------------------------- release

# Runs probe.sql on leads $3..$4 of database $1 in chunks of 3 s until
# $logs/stop exists; logs go to $logs/probe_$2.*.
probe_loop()
{
	local db=$1 tag=$2 first=$3 last=$4 i=0
	while [ ! -e "$logs/stop" ]; do
		i=$((i + 1))
		"$pgbench" -n -M prepared -c 2 -j 1 -T 3 -R "$probe_rate" -D first="$first" -D last="$last" \
			--log --log-prefix="$logs/probe_$tag.$i.log" -f "$here/pool/probe.sql" "$db" \
			>"$logs/probe_$tag.$i.out" 2>&1 || true
	done
}

if [[ ",$parts," == *,release,* ]]; then
	rel_numbers=$((rel_n + rel_brokers * rel_free))
	rel_leads=$((rel_n + rel_free_leads))
	echo "######## release: $rel_n overdue call_completed assignments"
	echo "== load: $rel_brokers brokers, $rel_numbers numbers ($rel_free free per broker), $rel_leads leads"
	t0=$(now)
	create_db pool_release_tmpl
	load pool_release_tmpl 1 "$rel_brokers" "$rel_numbers" "$rel_leads" "$rel_n" call_completed '-1 day' false 0
	q pool_release_tmpl -c "CHECKPOINT"
	echo "  loaded in $(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}') s"
	variants=("c_function|SELECT vapi_pool.release_expired()" "c_procedure|CALL vapi_pool.release_expired_in_batches()")
	case $release_baseline in
	function | both) variants+=("baseline_function|SELECT bench_baseline.release_expired()") ;;&
	procedure | both) variants+=("baseline_procedure|CALL bench_baseline.release_expired_in_batches()") ;;
	esac
	declare -A rel_secs rel_rows rel_viol rel_free_max rel_free_p99 rel_exp_max rel_exp_p99
	for v in "${variants[@]}"; do
		name=${v%%|*}
		cmd=${v#*|}
		db=pool_release_$name
		copy_db "$db" pool_release_tmpl
		echo "== $name: $cmd, with assign_number probes at ${probe_rate}/s on free leads and on holders"
		rm -f "$logs"/probe_* "$logs/stop"
		probe_loop "$db" free $((rel_n + 1)) "$rel_leads" &
		p1=$!
		probe_loop "$db" holder 1 "$rel_n" &
		p2=$!
		sleep 2
		t0=$(now)
		if ! q "$db" -c "$cmd" >"$logs/release_$name.out" 2>&1; then
			error "$cmd failed: $(cat "$logs/release_$name.out")"
		fi
		t1=$(now)
		touch "$logs/stop"
		wait "$p1" "$p2"
		rel_secs[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
		rel_rows[$name]=$(q "$db" -c "SELECT count(*) FROM vapi_pool.vapi_number_assignments
			WHERE status = 'released' AND released_at >= to_timestamp($t0) - interval '1 second'")
		for tag in free holder; do
			fails=0
			for f in "$logs/probe_$tag".*.out; do
				pgbench_failures "$f"
				fails=$((fails + last_failures))
			done
			read -r n _p50 p99 max < <(window_from=$t0 window_to=$t1 latency_stats "$logs/probe_$tag".*.log*)
			printf '  probe %-6s %6s assigns during the release  p99 %8s ms  max %9s ms  failed %s\n' \
				"$tag" "$n" "$p99" "$max" "$fails"
			if [ "$tag" = free ]; then
				rel_free_p99[$name]=$p99 rel_free_max[$name]=$max
			else
				rel_exp_p99[$name]=$p99 rel_exp_max[$name]=$max
			fi
		done
		printf '  %s: %s s, %s rows released, %s rows/s\n' "$name" "${rel_secs[$name]}" "${rel_rows[$name]}" \
			"$(awk -v n="${rel_rows[$name]}" -v s="${rel_secs[$name]}" 'BEGIN {printf "%.0f", n / s}')"
		integrity "$db"
		rel_viol[$name]=$last_violations
		drop_db "$db"
	done
	drop_db pool_release_tmpl
	add_summary 'release (%d overdue assignments, %d brokers; probes: assign_number at %d/s each, 2 clients):' \
		"$rel_n" "$rel_brokers" "$probe_rate"
	for v in "${variants[@]}"; do
		name=${v%%|*}
		add_summary '  %-49s %7s s %6s rows/s  assign latency max (p99): free leads %s (%s) ms, holders %s (%s) ms  violations %s' \
			"${v#*|}" "${rel_secs[$name]}" \
			"$(awk -v n="${rel_rows[$name]}" -v s="${rel_secs[$name]}" 'BEGIN {printf "%.0f", n / s}')" \
			"${rel_free_max[$name]}" "${rel_free_p99[$name]}" "${rel_exp_max[$name]}" "${rel_exp_p99[$name]}" "${rel_viol[$name]}"
	done
	for kind in function procedure; do
		[ -n "${rel_secs[baseline_$kind]:-}" ] && add_summary '  ratio C / baseline (%s, rows/s): %sx' "$kind" \
			"$(ratio "$(awk -v n="${rel_rows[c_$kind]}" -v s="${rel_secs[c_$kind]}" 'BEGIN {print n / s}')" \
				"$(awk -v n="${rel_rows[baseline_$kind]}" -v s="${rel_secs[baseline_$kind]}" 'BEGIN {print n / s}')")"
	done
fi

echo
echo "######## summary"
printf '%s\n' "${summary[@]}"
echo "vapi_pool.so md5 $library_at_start"
if [ "$(fingerprint)" != "$library_at_start" ]; then
	echo "NOTE: vapi_pool.so was reinstalled during the run (now $(fingerprint)): later parts may have measured the new build"
fi
if [ "$errors" -gt 0 ]; then
	echo "$errors error(s): see above"
	exit 1
fi
