#!/bin/bash
# booking_bench.sh - bookings made on Cal.com (release 0.8.0, issue 25):
# Cal.com's BOOKING_CREATED through vapi_pool.receive_webhook, as the shim
# sends it, against the same webhook for an event type nobody registered
# (stored in the inbox and answered, nothing booked: the floor every webhook
# pays), measured in the same run.
#
# BOOK_CLIENTS (8) pgbench clients, -M prepared, BOOK_SECONDS (20) per run,
# each run on a fresh copy of one data set (bench/booking/setup.sql):
# BOOK_BROKERS (32) brokers with BOOK_NUMBERS (1000) pool numbers each and
# BOOK_LEADS (100000) leads on file.  Every transaction is one booking
# (bench/booking/book.sql) with a random broker and a random half-hour
# start among 100 million; three kinds:
#   new       a new attendee: the lead is made, consent, a number lent,
#             the appointment (the whole of record_cal_booking)
#   on_file   a lead on file, found by e-mail (it keeps the number it holds)
#   stored    the baseline: the same body for an unregistered event type
# After each run bench/booking/integrity.sql counts what was recorded and
# checks that no broker time is booked twice and every booked lead holds a
# number (both must be 0).  Reported: bookings/s (pgbench tps), median of
# BOOK_ROUNDS (3) rounds in alternating order, and each kind / stored.
#
# Where it runs: with PGHOST set (bench/run.sh's cluster) in that server,
# otherwise in a private cluster of its own (as vapitest when run as root).
#
# Environment (defaults in brackets; BOOK_QUICK=1: 5 s and 1 round):
#   BOOK_KINDS [new,on_file,stored]  BOOK_SECONDS [20; quick 5]  BOOK_ROUNDS [3; quick 1]
#   BOOK_CLIENTS, BOOK_THREADS [8, 2]  BOOK_BROKERS [32]  BOOK_NUMBERS [1000]  BOOK_LEADS [100000]
#   BOOK_PRIVATE_CLUSTER=1, BOOK_PGPORT [54346], BOOK_KEEP=1
# Exits non-zero on errors only (failed SQL or pgbench transactions, an
# integrity check that is not 0), never because of a timing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

quick=${BOOK_QUICK:-0}
if [ "$quick" = 1 ]; then d_seconds=5 d_rounds=1; else d_seconds=20 d_rounds=3; fi
seconds=${BOOK_SECONDS:-$d_seconds}
rounds=${BOOK_ROUNDS:-$d_rounds}
clients=${BOOK_CLIENTS:-8}
threads=${BOOK_THREADS:-2}
brokers=${BOOK_BROKERS:-32}
numbers=${BOOK_NUMBERS:-1000}
leads=${BOOK_LEADS:-100000}
kinds=${BOOK_KINDS:-new,on_file,stored}
keep=${BOOK_KEEP:-0}
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
bindir=$("$PG_CONFIG" --bindir)
pgbench=$bindir/pgbench
psql=$bindir/psql

# shellcheck source=bench_server.sh
source "$here/bench_server.sh"
bench_server bookingbench "${BOOK_PRIVATE_CLUSTER:-0}" "${BOOK_PGPORT:-54346}"

library=$("$PG_CONFIG" --pkglibdir)/vapi_pool.so
echo "== booking benchmark: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); server: $("$psql" -X -A -t -d postgres -c 'SHOW server_version')"
echo "   vapi_pool.so md5 $(md5sum <"$library" | cut -c1-12)"
echo "== $clients clients x ${seconds}s, $rounds round(s); $brokers brokers x $numbers numbers; $leads leads on file"

tmpl=booking_bench_tmpl
databases+=("$tmpl")
q postgres -c "DROP DATABASE IF EXISTS $tmpl" -c "CREATE DATABASE $tmpl"
q "$tmpl" -c 'CREATE EXTENSION vapi_pool CASCADE' \
	-v brokers="$brokers" -v numbers="$numbers" -v leads="$leads" -f "$here/booking/setup.sql"

declare -A tps_of=()
for kind in ${kinds//,/ }; do tps_of[$kind]=""; done
for ((round = 1; round <= rounds; round++)); do
	list=${kinds//,/ }
	(( round % 2 )) || list=$(echo "$list" | tr ' ' '\n' | tac | tr '\n' ' ')
	for kind in $list; do
		case $kind in new) k=0 ;; on_file) k=1 ;; stored) k=2 ;; *) error "unknown kind $kind"; continue ;; esac
		db=booking_bench_$kind
		databases+=("$db")
		q postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE $tmpl"
		# the copy's pages and WAL are written out before the run, not during it
		q "$db" -c 'VACUUM ANALYZE' -c 'CHECKPOINT'
		out=$logs/${kind}_$round.out
		"$pgbench" -n -M prepared -c "$clients" -j "$threads" -T "$seconds" \
			-D kind=$k -D brokers="$brokers" -D leads="$leads" \
			-f "$here/booking/book.sql" "$db" >"$out" 2>&1 || true
		tps=$(awk '/^tps = / {print $3; exit}' "$out")
		failed=$(awk '/^number of failed transactions:/ {print $5}' "$out")
		aborted=$(grep -c -E 'client [0-9]+ (script [0-9]+ )?aborted' "$out" || true)
		if [ "${failed:-0}" != 0 ] || [ "$aborted" != 0 ] || [ -z "$tps" ]; then
			error "pgbench $kind round $round: ${failed:-?} failed transactions, $aborted aborted clients"
			grep -m 5 -E 'error|ERROR|aborted' "$out" >&2 || true
		fi
		read -r booked made lent dead twice numberless < <(q "$db" -F ' ' -v leads="$leads" -f "$here/booking/integrity.sql")
		printf '== round %d, %-8s %8.1f bookings/s  (%s booked, %s leads made, %s numbers lent, %s dead letters, %s times booked twice, %s booked without a number)\n' \
			"$round" "$kind" "${tps:-0}" "$booked" "$made" "$lent" "$dead" "$twice" "$numberless"
		[ "$twice" = 0 ] || error "$kind round $round: $twice broker times booked twice"
		[ "$numberless" = 0 ] || error "$kind round $round: $numberless booked leads hold no number"
		tps_of[$kind]+=" $(printf '%.1f' "${tps:-0}")"
		[ "$keep" = 1 ] || q postgres -c "DROP DATABASE IF EXISTS $db"
	done
done
[ "$keep" = 1 ] || q postgres -c "DROP DATABASE IF EXISTS $tmpl"

echo
echo "######## summary"
printf 'Cal.com bookings through receive_webhook: %d clients, %s x %ss per run; %d brokers x %d numbers, %d leads on file\n' \
	"$clients" "$rounds" "$seconds" "$brokers" "$numbers" "$leads"
# shellcheck disable=SC2086
stored=$(median ${tps_of[stored]:-0})
for kind in ${kinds//,/ }; do
	# shellcheck disable=SC2086
	m=$(median ${tps_of[$kind]})
	printf '  %-8s %8.1f bookings/s  (%sx stored; rounds:%s)\n' "$kind" "$m" "$(ratio "$m" "$stored")" "${tps_of[$kind]}"
done
if [ "$errors" -gt 0 ]; then
	echo "$errors error(s): see above"
	exit 1
fi
