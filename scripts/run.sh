#!/usr/bin/env bash
# The README's run command (make run): install missing packages, build and
# install the extension, start a private PostgreSQL 15 cluster under .run/
# (pg_cron preloaded, reachable only through a Unix socket in .run/), create or
# update the extension, and run vapi-shim in the foreground on
# VAPI_POOL_LISTEN (default 127.0.0.1:8080).  Ctrl-C stops both.  Running it
# again reuses the cluster.  Run as root, the cluster belongs to postgres and
# vapi-shim (and its dispatcher) run as postgres too: vapi-shim refuses root
# unless VAPI_POOL_ALLOW_ROOT=1, which this script then passes on.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=common.sh
source scripts/common.sh
install_deps

echo "== build and install"
make -s PG_CONFIG="$PG_CONFIG" all
as_root make -s PG_CONFIG="$PG_CONFIG" install >/dev/null

rundir="$top/.run"
pgdata="$rundir/pgdata"
pgport=${VAPI_POOL_PGPORT:-54329}
dbname=vapi_pool
bindir=$("$PG_CONFIG" --bindir)
mkdir -p "$rundir"

# PostgreSQL will not run as root: as root, the cluster belongs to postgres.
pg=()
if [ "$(id -u)" -eq 0 ]; then
	chown postgres "$rundir"
	if ! runuser -u postgres -- test -w "$rundir"; then
		echo "error: user postgres cannot reach $rundir; clone the repository where postgres can read it (e.g. under /srv or /tmp)" >&2
		exit 1
	fi
	pg=(runuser -u postgres --)
fi
chmod 700 "$rundir"

if [ ! -f "$pgdata/PG_VERSION" ]; then
	echo "== creating the cluster in $pgdata"
	init_private_cluster "$pgdata" "$rundir" "$pgport" "$dbname"
fi

stopped=
stop_all()
{
	[ -n "$stopped" ] && return 0
	stopped=1
	[ -n "${shim_pid:-}" ] && kill -TERM "$shim_pid" 2>/dev/null && wait "$shim_pid" 2>/dev/null || true
	[ -n "${dispatch_pid:-}" ] && kill -TERM "$dispatch_pid" 2>/dev/null && wait "$dispatch_pid" 2>/dev/null || true
	echo "== stopping PostgreSQL"
	"${pg[@]}" "$bindir/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
}

if ! "${pg[@]}" "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
	echo "== starting PostgreSQL (socket $rundir, port $pgport; log $rundir/postgresql.log)"
	"${pg[@]}" "$bindir/pg_ctl" -D "$pgdata" -l "$rundir/postgresql.log" -w start >/dev/null
fi
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

psql_run() { "${pg[@]}" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$rundir" -p "$pgport" -U postgres "$@"; }
psql_run -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$dbname'" | grep -q 1 ||
	psql_run -d postgres -c "CREATE DATABASE $dbname"
# A cluster from an older release updates in place; ALTER EXTENSION does not
# install newly required extensions (0.2.0 requires btree_gist), so do it first.
psql_run -d "$dbname" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS vapi_pool CASCADE" \
	-c "CREATE EXTENSION IF NOT EXISTS btree_gist" -c "ALTER EXTENSION vapi_pool UPDATE"
# The nightly housekeeping (release of numbers held past their time, purge of
# personal data past its retention) as pg_cron jobs.
psql_run -d "$dbname" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS pg_cron" \
	-c "SELECT job_name, job_schedule FROM vapi_pool.schedule_maintenance()" \
	-c "SELECT job_name, job_schedule FROM vapi_pool.schedule_inbox_purge()" >/dev/null
echo "== pg_cron jobs vapi_pool.release_expired (daily at 03:00), vapi_pool.reconcile_stale_calls (every 5 minutes: calls whose report never came), vapi_pool.purge_inbox (03:30: inbox events and finished outbox jobs older than 30 days) and vapi_pool.purge_personal_data (03:45: transcripts, summaries, recordings and payloads past each organisation's retention, docs/privacy.md) registered"
echo "== extension vapi_pool $(psql_run -d "$dbname" -tAc "SELECT extversion FROM pg_extension WHERE extname = 'vapi_pool'") in database $dbname"
echo "   psql: psql -h $rundir -p $pgport -U postgres $dbname"

# Webhook secrets: a fresh random value on first run, kept in .run/secrets.env
# (mode 600) unless the environment provides one.
secrets="$rundir/secrets.env"
if [ ! -f "$secrets" ]; then
	umask 077
	{
		echo "VAPI_POOL_VAPI_SECRET=$(openssl rand -hex 24)"
		echo "VAPI_POOL_INSTANTLY_SECRET=$(openssl rand -hex 24)"
		echo "VAPI_POOL_CAL_WEBHOOK_SECRET=$(openssl rand -hex 24)"
	} >"$secrets"
	echo "== generated development webhook secrets in $secrets"
fi
while IFS='=' read -r key value; do
	[ -n "$key" ] && [ -z "${!key:-}" ] && export "$key=$value"
done <"$secrets"

export VAPI_POOL_DATABASE_URL=${VAPI_POOL_DATABASE_URL:-"host=$rundir port=$pgport dbname=$dbname user=postgres application_name=vapi-shim"}
# As root: vapi-shim runs as postgres, the cluster's owner, whose socket in
# .run/ it connects to (as database user postgres anyway), unless
# VAPI_POOL_ALLOW_ROOT=1 keeps it root.
mapfile -t shim_as < <(shim_user_prefix "$(id -u)" postgres)
if [ "$(id -u)" -eq 0 ]; then
	if [ "${#shim_as[@]}" -gt 0 ]; then
		echo "== vapi-shim runs as user postgres (VAPI_POOL_ALLOW_ROOT=1 would keep it root)"
	else
		echo "== VAPI_POOL_ALLOW_ROOT is set: vapi-shim runs as root"
	fi
fi
# The dispatcher delivers the outbox (calls, texts, bookings, purchases); it
# needs the Vapi API key, so without one the jobs stay queued.
if [ -n "${VAPI_POOL_VAPI_API_KEY:-}" ]; then
	echo "== starting vapi-shim dispatch (Vapi at ${VAPI_POOL_VAPI_BASE_URL:-https://api.vapi.ai})"
	VAPI_POOL_DATABASE_URL="${VAPI_POOL_DATABASE_URL/application_name=vapi-shim/application_name=vapi-shim-dispatch}" \
		"${shim_as[@]}" "$top/shim/vapi-shim" dispatch &
	dispatch_pid=$!
else
	echo "== outbound jobs stay queued: set VAPI_POOL_VAPI_API_KEY (and VAPI_POOL_CAL_API_KEY) to run vapi-shim dispatch too"
fi
echo "== starting vapi-shim on ${VAPI_POOL_LISTEN:-127.0.0.1:8080} (Ctrl-C stops it and PostgreSQL)"
"${shim_as[@]}" "$top/shim/vapi-shim" &
shim_pid=$!
set +e
wait "$shim_pid"
status=$?
shim_pid=
stop_all
exit "$status"
