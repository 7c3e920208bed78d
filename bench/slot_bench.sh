#!/bin/bash
# slot_bench.sh - slot claiming under contention (release 0.4.0):
# vapi_pool.claim_slot_atomic against the seed's PL/pgSQL claim_slot_atomic
# (bench/slots/baseline.sql: seed 004 section 3 with its INSERT filled in, on
# the seed's table without the exclusion constraint), in the same harness.
#
# SLOT_CLIENTS (32) pgbench clients, -M prepared, SLOT_SECONDS (60) per run,
# each run on a fresh copy of one data set: SLOT_CALENDARS (5) calendars
# (organisations' own calendars: the seed's claim knows only the
# organisation) with SLOT_CONTACTS (1000) contacts each.  Every transaction
# is one claim (bench/slots/claim.sql) by a random contact on a random
# calendar, for a random 30-minute slot starting on the half-hour or 15
# minutes later, among the SLOT_WINDOW (48) half-hours of a window that
# moves forward with every claim of a client.  The calendars never fill up
# (a fixed horizon would fill, and the run would then measure how fast a
# full calendar says no), and the contention stays the same through a run.
# Two scenarios:
#   contended  the window moves 1 half-hour per claim: each slot start is
#              asked for by about 3 claims while in the window (32 clients
#              / 10 starts), by clients working at the same moment, so
#              claims race for the same and for overlapping slots all the
#              time; a calendar has room for one 30-minute appointment per
#              half-hour, so most claims must lose
#   spread     the window moves 32 half-hours per claim: about 0.1 claims
#              per start, so most claims win (the cost of a hold)
# A claim that meets a taken slot ends with "slot already booked";
# bench_slots.claim (bench/slots/setup.sql) turns that into false, so it is
# a served request, and any other error a pgbench failure.  Our holds last
# SLOT_HOLD (the default 5 minutes), so none expires during a run (expiry is
# covered by specs/slot_claim_expiry.spec).
#
# After each run bench/slots/overlaps.sql counts the wins (rows written) and
# the pairs of active appointments of a calendar that overlap, split into
# same-start pairs (two callers won the same slot: the race) and 15-minute
# shifted pairs (10:00 and 10:15: the seed compares start times only).  Ours
# must be 0 (an error otherwise); the baseline's are reported.  Reported per
# scenario and implementation: claim attempts/s (pgbench tps), winning
# claims/s (rows / seconds), the median over SLOT_ROUNDS (3) rounds in
# alternating order, and the ratios ours / baseline.  Target: ours >= 2,000
# attempts/s with 0 overlaps.
#
# Where it runs: with PGHOST set (bench/run.sh's cluster) in that server,
# otherwise in a private cluster of its own (scripts/common.sh), started as
# vapitest when run as root.  Every run is a database of its own, copied from
# a template and dropped at the end.
#
# Environment (defaults in brackets; SLOT_QUICK=1: 5 s and 1 round):
#   SLOT_SCENARIOS [contended,spread]
#   SLOT_SECONDS [60; quick 5]   SLOT_ROUNDS [3; quick 1]
#   SLOT_CLIENTS, SLOT_THREADS [32, 2]
#   SLOT_CALENDARS [5]  SLOT_CONTACTS [1000]  SLOT_WINDOW [48]  SLOT_HOLD [5 minutes]
#   SLOT_PRIVATE_CLUSTER=1  use a private cluster even when PGHOST is set
#   SLOT_PGPORT          port of the private cluster [54343]
#   SLOT_KEEP=1          keep the databases (and the private cluster's directory)
# Exits non-zero on errors only (failed SQL, failed or aborted pgbench
# transactions, an overlap of ours), never because of a timing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

quick=${SLOT_QUICK:-0}
if [ "$quick" = 1 ]; then d_seconds=5 d_rounds=1; else d_seconds=60 d_rounds=3; fi
seconds=${SLOT_SECONDS:-$d_seconds}
rounds=${SLOT_ROUNDS:-$d_rounds}
clients=${SLOT_CLIENTS:-32}
threads=${SLOT_THREADS:-2}
calendars=${SLOT_CALENDARS:-5}
contacts=${SLOT_CONTACTS:-1000}
window=${SLOT_WINDOW:-48}
hold=${SLOT_HOLD:-5 minutes}
scenarios=${SLOT_SCENARIOS:-contended,spread}
keep=${SLOT_KEEP:-0}
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
bindir=$("$PG_CONFIG" --bindir)
pgbench=$bindir/pgbench
psql=$bindir/psql

# ---------------------------------------------------------------- the server

# shellcheck source=bench_server.sh
source "$here/bench_server.sh"
bench_server slotbench "${SLOT_PRIVATE_CLUSTER:-0}" "${SLOT_PGPORT:-54343}"


library=$("$PG_CONFIG" --pkglibdir)/vapi_pool.so
fingerprint() { echo "$(md5sum <"$library" | cut -c1-12) $(date -r "$library" '+%F %T')"; }
library_at_start=$(fingerprint)
echo "== slot benchmark: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); server: $("$psql" -X -A -t -d postgres -c 'SHOW server_version')"
echo "   vapi_pool.so md5 $library_at_start"
echo "== $clients clients x ${seconds}s, $rounds round(s); $calendars calendars x $contacts contacts; window $window half-hours; our hold $hold"

# ---------------------------------------------------------------- the runs

tmpl=slot_bench_tmpl
databases+=("$tmpl")
q postgres -c "DROP DATABASE IF EXISTS $tmpl" -c "CREATE DATABASE $tmpl"
q "$tmpl" -c 'CREATE EXTENSION vapi_pool CASCADE' -f "$here/slots/baseline.sql" \
	-v calendars="$calendars" -v contacts="$contacts" -f "$here/slots/setup.sql"

summary=()
for scenario in ${scenarios//,/ }; do
	case $scenario in
	contended) advance=1 ;;
	spread) advance=32 ;;
	*) error "unknown scenario $scenario"; continue ;;
	esac
	echo "######## $scenario: the window moves $advance half-hour(s) per claim"
	declare -A attempts=() wins=() won_total=() pairs=() same=() shifted=() fails=()
	for impl in ours baseline; do attempts[$impl]=""; wins[$impl]=""; won_total[$impl]=0; pairs[$impl]=0; same[$impl]=0; shifted[$impl]=0; fails[$impl]=0; done
	for ((round = 1; round <= rounds; round++)); do
		for impl in $(order "$round" "ours baseline" "baseline ours"); do
			db=slot_bench_$impl
			databases+=("$db")
			q postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE $tmpl"
			n=0; [ "$impl" = baseline ] && n=1
			out=$logs/${scenario}_${impl}_$round.out
			"$pgbench" -n -M prepared -c "$clients" -j "$threads" -T "$seconds" \
				-D impl=$n -D calendars="$calendars" -D contacts="$contacts" -D window="$window" -D advance="$advance" \
				-D hold="$hold" -D seq=0 \
				-f "$here/slots/claim.sql" "$db" >"$out" 2>&1 || true
			tps=$(awk '/^tps = / {print $3; exit}' "$out")
			failed=$(awk '/^number of failed transactions:/ {print $5}' "$out")
			aborted=$(grep -c -E 'client [0-9]+ (script [0-9]+ )?aborted' "$out" || true)
			if [ "${failed:-0}" != 0 ] || [ "$aborted" != 0 ] || [ -z "$tps" ]; then
				error "pgbench $scenario $impl round $round: ${failed:-?} failed transactions, $aborted aborted clients"
				grep -m 5 -E 'error|ERROR|aborted' "$out" >&2 || true
			fi
			fails[$impl]=$((fails[$impl] + ${failed:-0} + aborted))
			read -r w active p s sh involved < <(q "$db" -F ' ' -v impl=$n -f "$here/slots/overlaps.sql")
			actual=$(awk '/^duration:/ {print $2; exit}' "$out")
			wps=$(awk -v w="$w" -v s="${actual:-$seconds}" 'BEGIN {printf "%.1f", w / s}')
			printf '== round %d, %-8s %8.1f attempts/s  %8.1f won/s  (%s won, %s active; overlapping pairs %s: %s same start, %s shifted; %s appointments involved)\n' \
				"$round" "$impl" "${tps:-0}" "$wps" "$w" "$active" "$p" "$s" "$sh" "$involved"
			[ "$impl" = baseline ] || [ "$p" = 0 ] || error "ours: $p overlapping pairs of active appointments ($scenario, round $round)"
			attempts[$impl]+=" $(printf '%.1f' "${tps:-0}")"
			wins[$impl]+=" $wps"
			won_total[$impl]=$((won_total[$impl] + w))
			pairs[$impl]=$((pairs[$impl] + p))
			same[$impl]=$((same[$impl] + s))
			shifted[$impl]=$((shifted[$impl] + sh))
			[ "$keep" = 1 ] || q postgres -c "DROP DATABASE IF EXISTS $db"
		done
	done
	summary+=("$(printf '%s (window moves %d half-hour(s) per claim; median of rounds):' "$scenario" "$advance")")
	for impl in ours baseline; do
		# shellcheck disable=SC2086
		summary+=("$(printf '  %-9s %8.1f attempts/s  %8.1f won/s  failed %s  overlapping pairs %s (%s same start, %s shifted) in %s wins  (rounds attempts/s:%s)' \
			"$([ $impl = ours ] && echo 'C (ours)' || echo 'baseline')" "$(median ${attempts[$impl]})" "$(median ${wins[$impl]})" \
			"${fails[$impl]}" "${pairs[$impl]}" "${same[$impl]}" "${shifted[$impl]}" "${won_total[$impl]}" "${attempts[$impl]}")")
	done
	# shellcheck disable=SC2086
	summary+=("$(printf '  ratio ours / baseline: %sx attempts/s, %sx won/s' \
		"$(ratio "$(median ${attempts[ours]})" "$(median ${attempts[baseline]})")" \
		"$(ratio "$(median ${wins[ours]})" "$(median ${wins[baseline]})")")")
done
[ "$keep" = 1 ] || q postgres -c "DROP DATABASE IF EXISTS $tmpl"

echo
echo "######## summary"
printf 'slot claims: %d clients, %s x %ss per run; %d calendars x %d contacts; window %d half-hours, 0/15-minute offsets; our hold %s\n' \
	"$clients" "$rounds" "$seconds" "$calendars" "$contacts" "$window" "$hold"
printf '%s\n' "${summary[@]}"
echo "target: ours >= 2,000 attempts/s with 0 overlapping pairs"
echo "vapi_pool.so md5 $library_at_start"
if [ "$(fingerprint)" != "$library_at_start" ]; then
	echo "NOTE: vapi_pool.so was reinstalled during the run (now $(fingerprint))"
fi
if [ "$errors" -gt 0 ]; then
	echo "$errors error(s): see above"
	exit 1
fi
