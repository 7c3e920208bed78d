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
init_private_cluster "$work/data" "$work" "$port" postgres \
	"max_connections = 200" "shared_buffers = '1GB'"
"${pg[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/postgresql.log" -w start >/dev/null
cleanup()
{
	"${pg[@]}" "$bindir/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
export PGHOST=$work PGPORT=$port PGUSER=postgres PGDATABASE=postgres
psql -X -q -c 'CREATE EXTENSION vapi_pool CASCADE'

echo "######## e164: parse throughput vs libphonenumber (bench/e164_bench.sh)"
bash bench/e164_bench.sh

echo "######## row level security: tenant select vs service_role (bench/rls_bench.sh)"
bash bench/rls_bench.sh

echo "######## redact_pii: throughput and exactness vs a regexp_replace redactor (bench/redact_bench.sh)"
bash bench/redact_bench.sh

echo "######## pool engine: assignment cycle, routing, release of 1,000,000 vs a PL/pgSQL baseline (bench/pool_bench.sh)"
bash bench/pool_bench.sh

echo "######## slot claims: claim_slot_atomic under contention vs the seed's PL/pgSQL claim (bench/slot_bench.sh)"
bash bench/slot_bench.sh

echo "######## clinic: drop-off detection and medical-history redaction vs keyword regex (bench/clinic_bench.sh)"
bash bench/clinic_bench.sh

echo "######## Instantly replies: classify_reply throughput vs a PL/pgSQL regexp classifier (bench/reply_bench.sh)"
bash bench/reply_bench.sh
