#!/usr/bin/env bash
# Shared by scripts/test.sh, scripts/run.sh and bench/run.sh: installing the
# Debian packages vapi_pool needs, creating a private cluster, and running
# vapi-shim as an unprivileged user.
# Sourced: sets no shell options of its own.

VAPI_POOL_PACKAGES=(
	build-essential g++ pkg-config python3 rsync curl openssl
	postgresql-15 postgresql-server-dev-15 postgresql-15-cron
	libh2o-evloop-dev libjansson-dev libcurl4-openssl-dev libssl-dev libpq-dev zlib1g-dev
	libipc-run-perl faketime
	libphonenumber-dev python3-phonenumbers
	wrk
	clang-14 libclang-rt-14-dev
)

# Run a command as root: directly when we are root, else through sudo.
as_root()
{
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_deps()
{
	local missing=()
	for p in "${VAPI_POOL_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "== installing Debian packages: ${missing[*]}"
		as_root apt-get update -q
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
	# Debian's pg_config on PATH may belong to another major version.
	export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
}

# Create a cluster in DATADIR reachable only through a Unix socket in SOCKDIR
# on PORT, with pg_cron preloaded for database CRON_DB; further arguments are
# extra postgresql.conf lines.  Runs initdb through "${pg[@]}" (the caller's
# prefix that switches to the postgres user when running as root).
init_private_cluster()
{
	local datadir=$1 sockdir=$2 port=$3 crondb=$4
	shift 4
	"${pg[@]}" "$("$PG_CONFIG" --bindir)/initdb" -D "$datadir" -U postgres \
		--auth=peer --auth-local=trust --auth-host=reject \
		--encoding=UTF8 --locale=C.UTF-8 >"$sockdir/initdb.log" || return 1
	{
		echo "# vapi_pool private cluster (scripts/common.sh)"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$sockdir'"
		echo "port = $port"
		echo "shared_preload_libraries = 'pg_cron'"
		echo "cron.database_name = '$crondb'"
		echo "cron.use_background_workers = on"
		echo "max_worker_processes = 20"
		printf '%s\n' "$@"
	} | "${pg[@]}" tee -a "$datadir/postgresql.conf" >/dev/null
}

# vapi-shim refuses to run as root (effective user id 0) unless
# VAPI_POOL_ALLOW_ROOT allows it.  For effective user id UID (default: ours),
# print the command prefix that runs it as USER (default postgres) instead,
# one word a line: nothing when UID is not 0 or root is allowed.  setpriv
# execs, so a signal sent to the PID of "prefix vapi-shim &" reaches
# vapi-shim itself, and no-new-privs keeps it from regaining root.
shim_user_prefix()
{
	local uid=${1:-$(id -u)} user=${2:-postgres} allow=${VAPI_POOL_ALLOW_ROOT:-}
	[ "$uid" -eq 0 ] || return 0
	case "${allow,,}" in
	1 | true | yes | on) return 0 ;;
	esac
	printf '%s\n' setpriv "--reuid=$user" "--regid=$user" --init-groups --no-new-privs --
}
