#!/usr/bin/env bash
# Install the Debian packages vapi_pool needs to build, run and test, if any
# are missing.  Sourced by scripts/test.sh and scripts/run.sh.
# Sourced: sets no shell options of its own.

VAPI_POOL_PACKAGES=(
	build-essential g++ pkg-config python3 rsync curl
	postgresql-15 postgresql-server-dev-15 postgresql-15-cron postgresql-contrib
	libh2o-evloop-dev libjansson-dev libcurl4-openssl-dev libssl-dev libpq-dev zlib1g-dev
	libipc-run-perl
	libphonenumber-dev python3-phonenumbers
	wrk
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
