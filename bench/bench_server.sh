#!/bin/bash
# bench_server.sh - the harness the multi-round benchmarks share (sourced by
# pool_bench.sh and slot_bench.sh; shim_bench.sh uses ratio).
#
# bench_server NAME PRIVATE PORT [postgresql.conf line...]
#   makes $work (a temporary directory), and unless PGHOST is set or PRIVATE
#   is 1 starts a private cluster in it on PORT (as vapitest when run as
#   root); registers cleanup, which drops the databases listed in
#   "${databases[@]}" and stops the private cluster, keeping everything when
#   $keep is 1.  Needs $top, $keep, $bindir and $psql.
# Also defines error (count an error), q (psql on a database, quiet, tuples
# only, stopping on errors), median, ratio and order (alternate two
# implementations by round).

# Start (or find) the server; see above.
bench_server()
{
	local name=$1 want_private=$2 port=$3
	shift 3
	work=$(mktemp -d "${TMPDIR:-/tmp}/vapi_pool-$name.XXXXXX")
	chmod 755 "$work"
	pg=()
	private=0
	if [ -z "${PGHOST:-}" ] || [ "$want_private" = 1 ]; then
		private=1
		# shellcheck source=../scripts/common.sh
		source "$top/scripts/common.sh"
		if [ "$(id -u)" -eq 0 ]; then
			id vapitest >/dev/null 2>&1 || useradd --create-home --shell /bin/bash vapitest
			chown vapitest "$work"
			pg=(runuser -u vapitest --)
		fi
		init_private_cluster "$work/data" "$work" "$port" postgres \
			"max_connections = 100" "shared_buffers = '1GB'" "max_wal_size = '8GB'" \
			"checkpoint_timeout = '30min'" "$@"
		"${pg[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/postgresql.log" -w start >/dev/null
		export PGHOST=$work PGPORT=$port PGUSER=postgres PGDATABASE=postgres
	fi
	logs=$work/logs
	mkdir -p "$logs"
	databases=()
	trap bench_cleanup EXIT
}

# Drop the databases, stop a private cluster, remove $work (unless $keep).
bench_cleanup()
{
	local rc=$?
	for db in "${databases[@]}"; do
		[ "$keep" = 1 ] || "$psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
	done
	if [ "$private" = 1 ]; then
		"${pg[@]}" "$bindir/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	if [ "$keep" = 1 ]; then
		echo "(kept $work)"
	else
		rm -rf "$work"
	fi
	exit "$rc"
}

errors=0
error()
{
	echo "ERROR: $*" >&2
	errors=$((errors + 1))
}

# psql on database $1, quiet, unaligned, tuples only, stopping on errors.
q()
{
	local db=$1
	shift
	PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" "$psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" "$@"
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR ? v[int((NR + 1) / 2)] : 0)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }
order() { if (( $1 % 2 )); then echo "$2"; else echo "$3"; fi; }
