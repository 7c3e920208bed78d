#!/usr/bin/env bash
# make bench: build and install, start a throwaway PostgreSQL 15 cluster with
# pg_cron and vapi_pool, run every benchmark in bench/ against it, and print
# each one's ratio against the baseline it measures in the same run.
# Results and commands are recorded by hand in docs/benchmarks.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=../scripts/common.sh
source scripts/common.sh
install_deps
make -s PG_CONFIG="$PG_CONFIG" all
as_root make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
bindir=$("$PG_CONFIG" --bindir)

work=$(mktemp -d /tmp/vapi_pool-bench.XXXXXX)
pg=()
if [ "$(id -u)" -eq 0 ]; then
	chown postgres "$work"
	pg=(runuser -u postgres --)
fi
port=${BENCH_PGPORT:-54339}
# Calls go out at any hour (the benchmarks measure throughput, whatever the
# hour they run at); compliance_bench.sh sets its own calling hours.
init_private_cluster "$work/data" "$work" "$port" postgres \
	"max_connections = 200" "shared_buffers = '1GB'" "vapi_pool.calling_window = '00:00-24:00'"
"${pg[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/postgresql.log" -w start >/dev/null
cleanup()
{
	"${pg[@]}" "$bindir/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
export PGHOST=$work PGPORT=$port PGUSER=postgres PGDATABASE=postgres
psql -X -q -c 'CREATE EXTENSION vapi_pool CASCADE'

# BENCH_ONLY="shim pool" runs only those benchmarks (names as in bench/NAME_bench.sh).
wanted() { [ -z "${BENCH_ONLY:-}" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]; }

# Each benchmark: its name (bench/NAME_bench.sh) and what it measures.
benchmarks=(
	"e164|e164: parse throughput vs libphonenumber"
	"rls|row level security: tenant select vs service_role"
	"redact|redact_pii: throughput and exactness vs a regexp_replace redactor"
	"pool|pool engine: assignment cycle, routing, release of 1,000,000 vs a PL/pgSQL baseline"
	"slot|slot claims: claim_slot_atomic under contention vs the seed's PL/pgSQL claim"
	"clinic|clinic: drop-off detection and medical-history redaction vs keyword regex"
	"offers|booking what was offered: offered_slot_id on a caller's words vs an exact-label lookup"
	"compliance|calling lawfully: queueing a call through the do-not-call and calling-hours check vs without it; next_call_time by number of zones"
	"reply|Instantly replies: classify_reply throughput vs a PL/pgSQL regexp classifier"
	"shim|vapi-shim: assistant-request and end-of-call-report under wrk vs h2o's ceiling and pgbench"
	"booking|bookings made on Cal.com: BOOKING_CREATED through receive_webhook for a new attendee and a lead on file vs the same webhook stored only"
	"operations|operator views: number_health, pool_status, call_report, the /metrics figures and the idle rotation job vs one scan of the window's calls"
	"dispatch|vapi-shim dispatch: outbox jobs per second to the Vapi stand-in vs its ceiling and the bare claim/report SQL; commit-to-request delay"
)
for entry in "${benchmarks[@]}"; do
	name=${entry%%|*}
	if wanted "$name"; then
		echo "######## ${entry#*|} (bench/${name}_bench.sh)"
		bash "bench/${name}_bench.sh"
	fi
done

if wanted fuzz; then
	echo "######## vapi-shim: libFuzzer on the auth and JSON layers for FUZZ_SECONDS (600) (make fuzz)"
	make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-600}" 2>&1 | grep -E '^(Done|stat::|#[0-9]+ +DONE)|ERROR|SUMMARY' || true
fi
