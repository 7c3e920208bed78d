#!/usr/bin/env bash
# PostgreSQL 17 for `make test`, on a Debian 12 machine: a Debian 13 root.
#
# Debian 12's archive has only PostgreSQL 15; Debian 13's has 17.  So the
# PostgreSQL 17 run builds a Debian 13 root with debootstrap, installs
# postgresql-17, its server headers and pg_cron there, and runs the
# extension's suites inside it.  Each command enters the root in a private
# mount namespace of its own (pivot_root, not chroot: the kernel refuses
# user namespaces inside a chroot, and t/024 needs them), so nothing stays
# mounted when it ends.
#
# The root is cached in $VAPI_POOL_DEBIAN13_DIR/root (default
# /var/tmp/vapi_pool-debian13): a second run reuses it, and it is built anew
# when it is older than a week or was built for another package list.  The
# whole PostgreSQL 17 run (building or checking the root, the tree under
# test, the suites) holds a lock on the file beside it (debian13_lock), so
# two runs neither build the root at once nor share its tree.
#
# vapi-shim and the libphonenumber oracle keep their Debian 12 builds:
# Debian 13 has no libh2o-evloop, and the oracle must be the libphonenumber
# release the e164 metadata was generated from.  debian12_programs_install
# copies each program with the Debian 12 libraries it was linked with (all
# but the C library's own, which Debian 13's newer one stands in for) and
# puts a wrapper beside it; the shim talks to PostgreSQL 17 over its socket.
#
# Sourced by scripts/test.sh (after common.sh, for as_root): sets no shell
# options of its own.

DEBIAN13_DIR=${VAPI_POOL_DEBIAN13_DIR:-/var/tmp/vapi_pool-debian13}
DEBIAN13_ROOT=$DEBIAN13_DIR/root
DEBIAN13_SUITE=trixie
DEBIAN13_MAX_AGE_DAYS=7
DEBIAN13_PACKAGES=(
	postgresql-17 postgresql-server-dev-17 postgresql-17-cron
	build-essential pkg-config python3 python3-phonenumbers rsync curl openssl
	libjansson-dev libcurl4-openssl-dev libssl-dev libpq-dev zlib1g-dev
	libipc-run-perl
)
# Where, inside the root, the Debian 12 programs and the tree under test go.
DEBIAN12_PROGRAMS=/opt/vapi_pool-debian12
DEBIAN13_TREE=/build/vapi_pool

# Run a command inside ROOT as root: a private mount namespace whose root is
# ROOT (with /proc and /dev), the machine's own tree unmounted from it, and a
# clean environment.  Needs root (as_root).  The lock's descriptor is not
# passed on: a server a test leaves running must not hold it.
debian13_enter()
{
	local root=$1
	shift
	as_root unshare --mount --propagation private -- /bin/sh -c '
		root=$1; shift
		mount --bind "$root" "$root" && mount -t proc proc "$root/proc" &&
			mount --rbind /dev "$root/dev" && mkdir -p "$root/.old_root" && cd "$root" &&
			pivot_root . .old_root && umount -l /.old_root || exit 1
		exec /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"' sh "$root" "$@" 9<&-
}

# Take the lock of the PostgreSQL 17 run on file descriptor 9, waiting for a
# run that holds it; it is released when the calling shell exits.
debian13_lock()
{
	case $DEBIAN13_DIR in
	/*/*) ;;
	*) echo "VAPI_POOL_DEBIAN13_DIR=$DEBIAN13_DIR: give a folder at least two levels deep"; return 1 ;;
	esac
	as_root mkdir -p "$DEBIAN13_DIR" && as_root touch "$DEBIAN13_DIR.lock" || return 1
	exec 9<"$DEBIAN13_DIR.lock" && flock 9
}

# Whether the cached root can be used: built for this package list, within a week.
debian13_root_fresh()
{
	local stamp=$DEBIAN13_ROOT/.vapi_pool-root
	[ -f "$stamp" ] || return 1
	[ "$(cat "$stamp")" = "$DEBIAN13_SUITE ${DEBIAN13_PACKAGES[*]}" ] || return 1
	[ -z "$(find "$stamp" -mtime +$((DEBIAN13_MAX_AGE_DAYS - 1)))" ]
}

# Build the root anew into root.new, then put it in place.
debian13_root_build()
{
	local new=$DEBIAN13_DIR/root.new log
	log=$(mktemp /tmp/vapi_pool-debian13-build.XXXXXX) || return 1
	echo "== building a Debian 13 root with PostgreSQL 17 in $DEBIAN13_ROOT (log: $log)"
	if ! command -v debootstrap >/dev/null; then
		as_root apt-get update -q >/dev/null &&
			as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null ||
			return 1
	fi
	# --one-file-system: never follow a mount left by a run that was killed.
	as_root rm -rf --one-file-system "$new"
	as_root debootstrap --variant=minbase "$DEBIAN13_SUITE" "$new" >"$log" 2>&1 || {
		tail -20 "$log"
		return 1
	}
	# No service starts inside the root, and installing PostgreSQL creates no cluster.
	printf '#!/bin/sh\nexit 101\n' | as_root tee "$new/usr/sbin/policy-rc.d" >/dev/null
	as_root chmod 755 "$new/usr/sbin/policy-rc.d"
	as_root mkdir -p "$new/etc/postgresql-common"
	echo 'create_main_cluster = false' | as_root tee "$new/etc/postgresql-common/createcluster.conf" >/dev/null
	as_root cp /etc/resolv.conf "$new/etc/resolv.conf"
	{
		debian13_enter "$new" apt-get update -q &&
			debian13_enter "$new" env DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -q --no-install-recommends "${DEBIAN13_PACKAGES[@]}" &&
			debian13_enter "$new" apt-get clean &&
			debian13_enter "$new" useradd --create-home --shell /bin/bash vapitest
	} >>"$log" 2>&1 || {
		tail -20 "$log"
		return 1
	}
	echo "$DEBIAN13_SUITE ${DEBIAN13_PACKAGES[*]}" | as_root tee "$new/.vapi_pool-root" >/dev/null &&
		as_root rm -rf --one-file-system "$DEBIAN13_ROOT" &&
		as_root mv -T "$new" "$DEBIAN13_ROOT" && rm -f "$log"
}

# The root, built when it is missing or stale.  The caller holds debian13_lock.
debian13_root_ensure()
{
	if debian13_root_fresh; then
		echo "== reusing the Debian 13 root in $DEBIAN13_ROOT"
	else
		debian13_root_build
	fi
}

# Copy PROGRAM (a Debian 12 build) into the root with the libraries it was
# linked with, and write a wrapper $DEBIAN12_PROGRAMS/bin/NAME that runs it
# with them.  The C library's own libraries stay Debian 13's.
debian12_program_install()
{
	local program=$1 name
	name=$(basename "$program")
	local dest=$DEBIAN13_ROOT$DEBIAN12_PROGRAMS
	local libs
	libs=$(ldd "$program" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }') || return 1
	as_root mkdir -p "$dest/bin" "$dest/lib" "$dest/libexec" &&
		as_root cp "$program" "$dest/libexec/$name" || return 1
	for lib in $libs; do
		case "$(basename "$lib")" in
		libc.so.* | libm.so.* | libmvec.so.* | libpthread.so.* | libdl.so.* | librt.so.* | \
			libresolv.so.* | libanl.so.* | libutil.so.* | libnss_* | ld-linux*) ;;
		*) as_root cp -L "$lib" "$dest/lib/" || return 1 ;;
		esac
	done
	printf '#!/bin/sh\n# %s, the Debian 12 build, with its libraries (scripts/debian13_root.sh)\nLD_LIBRARY_PATH=%s exec %s "$@"\n' \
		"$name" "$DEBIAN12_PROGRAMS/lib" "$DEBIAN12_PROGRAMS/libexec/$name" | as_root tee "$dest/bin/$name" >/dev/null &&
		as_root chmod 755 "$dest/bin/$name"
}

# Put the tree TOP into the root, build and install the extension there for
# PostgreSQL 17 with CFLAGS, and hand it the Debian 12 programs.
debian13_prepare_tree()
{
	local top=$1 cflags=$2 pg_config=/usr/lib/postgresql/17/bin/pg_config
	local tree=$DEBIAN13_ROOT$DEBIAN13_TREE
	as_root rm -rf --one-file-system "$tree" "$DEBIAN13_ROOT$DEBIAN12_PROGRAMS" &&
		as_root mkdir -p "$tree" &&
		as_root rsync -a --exclude .git --exclude .run --exclude .test-summary --exclude 'tmp_check*' \
			--exclude '*.o' --exclude '*.so' --exclude '*.bc' "$top"/ "$tree"/ || return 1
	debian12_program_install "$top/shim/vapi-shim" &&
		debian12_program_install "$top/t/e164/e164-oracle" || return 1
	debian13_enter "$DEBIAN13_ROOT" sh -c "cd $DEBIAN13_TREE &&
		make -s PG_CONFIG=$pg_config WITH_SHIM=no clean >/dev/null &&
		make -s PG_CONFIG=$pg_config WITH_SHIM=no PG_CFLAGS='$cflags' all &&
		make -s PG_CONFIG=$pg_config WITH_SHIM=no PG_CFLAGS='$cflags' install >/dev/null &&
		chown -R vapitest $DEBIAN13_TREE"
}

# The make command that runs a suite in the root as vapitest.
debian13_make()
{
	debian13_enter "$DEBIAN13_ROOT" runuser -u vapitest -- make -C "$DEBIAN13_TREE" -s \
		PG_CONFIG=/usr/lib/postgresql/17/bin/pg_config WITH_SHIM=no \
		VAPI_SHIM="$DEBIAN12_PROGRAMS/bin/vapi-shim" E164_ORACLE="$DEBIAN12_PROGRAMS/bin/e164-oracle" "$@"
}
