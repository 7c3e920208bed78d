#!/bin/bash
# rls_bench.sh - the cost of row level security on tenant-scoped selects.
#
# Loads RLS_ORGS organisations of RLS_LEADS_PER_ORG leads each (default 5 x
# 100,000) into the database libpq's environment points at (vapi_pool must be
# installed there; bench/run.sh provides a throwaway cluster), then runs two
# pairs of pgbench scripts from bench/rls/ for RLS_SECONDS each:
#   tenant_count   a member counts their organisation's leads by status (RLS)
#   service_count  the same rows as service_role with the filter written out
#   tenant_lookup  a member finds a lead by phone number (RLS)
#   service_lookup the same as service_role
# and prints each pair's ratio: baseline tps / RLS tps (target: under 2).
# Both sides do the same PostgREST-style set_config + SET LOCAL ROLE.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
orgs=${RLS_ORGS:-5}
per_org=${RLS_LEADS_PER_ORG:-100000}
seconds=${RLS_SECONDS:-20}
clients=${RLS_CLIENTS:-2}
pg_bindir=$("${PG_CONFIG:-pg_config}" --bindir)

echo "== load: $orgs organisations x $per_org leads"
psql -X -q -v orgs="$orgs" -v leads_per_org="$per_org" -f "$here/rls/setup.sql"

# Run one pgbench script; print "<tps> <average latency ms>".
run()
{
	"$pg_bindir/pgbench" -n -M prepared -c "$clients" -j "$clients" -T "$seconds" \
		-D orgs="$orgs" -D leads_per_org="$per_org" -f "$here/rls/$1.sql" |
		awk '/^latency average/ {lat = $4} /^tps/ {tps = $3} END {print tps, lat}'
}

for pair in count lookup; do
	echo "== $pair: $clients clients, ${seconds}s each"
	read -r rls_tps rls_ms < <(run "tenant_$pair")
	read -r base_tps base_ms < <(run "service_$pair")
	printf '%-16s %10.1f tps %9.3f ms\n' "tenant_$pair" "$rls_tps" "$rls_ms" "service_$pair" "$base_tps" "$base_ms"
	awk -v b="$base_tps" -v r="$rls_tps" -v p="$pair" \
		'BEGIN {printf "ratio %-10s %.2fx  (service_role tps / tenant tps; target < 2)\n", p, b / r}'
done
