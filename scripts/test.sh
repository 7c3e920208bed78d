#!/usr/bin/env bash
# The README's test command (make test): install missing packages, build with
# test flags (warnings are errors, assertions on), and run every suite against
# temporary instances, on each PostgreSQL major version of PG_MAJORS
# (default "15 17"), ending with one line "N passed, N failed".
#
# PostgreSQL 15 is Debian 12's: the extension is installed into it and every
# suite runs (the source checks, the e164 matcher, the shim's unit tests and
# fuzzing, pg_regress, pg_regress again at fixed instants of a faked clock,
# isolation, TAP).  PostgreSQL 17 is Debian 13's, in a
# root that scripts/debian13_root.sh builds and caches: pg_regress, isolation
# and TAP run there, against the Debian 12 builds of vapi-shim and the oracle.
# PG_MAJORS=15 make test runs one.
#
# PostgreSQL refuses to run as root; as root, the suites run as the
# unprivileged user vapitest in a copy of the tree.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=common.sh
source scripts/common.sh
# shellcheck source=debian13_root.sh
source scripts/debian13_root.sh
install_deps || { echo "0 passed, 1 failed"; exit 1; }
# `make test` exports the paths of its own tree's shim and oracle: each run
# below names those of the tree it tests.
unset VAPI_SHIM E164_ORACLE

majors=${PG_MAJORS:-15 17}
for m in $majors; do
	case $m in
	15 | 17) ;;
	*) echo "PG_MAJORS: PostgreSQL $m is not one this suite runs on (15, 17)"; echo "0 passed, 1 failed"; exit 1 ;;
	esac
done
with_major() { case " $majors " in *" $1 "*) return 0 ;; esac; return 1; }

TEST_CFLAGS="-DUSE_ASSERT_CHECKING -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare"
echo "== build (warnings are errors, assertions on)"
if ! make -s PG_CONFIG="$PG_CONFIG" PG_CFLAGS="$TEST_CFLAGS" SHIM_WERROR=-Werror all test-programs; then
	echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi
make -s PG_CONFIG="$PG_CONFIG" check-generated || { echo "0 passed, 1 failed"; exit 1; }
echo "== install"
as_root make -s PG_CONFIG="$PG_CONFIG" PG_CFLAGS="$TEST_CFLAGS" install >/dev/null ||
	{ echo "install failed"; echo "0 passed, 1 failed"; exit 1; }

workdir="$top"
runner=()
if [ "$(id -u)" -eq 0 ]; then
	id vapitest >/dev/null 2>&1 || useradd --create-home --shell /bin/bash vapitest
	workdir=$(mktemp -d /tmp/vapi_pool-test.XXXXXX)
	rsync -a --exclude .git --exclude .run --exclude 'tmp_check*' "$top"/ "$workdir"/
	chown -R vapitest "$workdir"
	chmod 755 "$workdir"
	runner=(runuser -u vapitest --)
fi

logdir="$top/.test-summary"
rm -rf "$logdir"; mkdir -p "$logdir"
declare -A passed=() failed=() skipped=()

# Run one suite of PostgreSQL MAJOR through make (the command MAKE... with
# TARGET appended; its tree is HOSTDIR as seen from here), keep its log, count
# its cases.
run_suite()
{
	local major=$1 name=$2 target=$3 hostdir=$4
	shift 4
	local log="$logdir/$major-$name.log"
	echo "== PostgreSQL $major: $name"
	local start=$SECONDS
	"$@" "$target" >"$log" 2>&1
	local rc=$?
	cat "$log"
	echo "-- PostgreSQL $major: $name took $((SECONDS - start)) s"
	local p f
	if [ "$name" = tap ]; then
		# prove: "Files=N, Tests=M" counts assertions; each failing file has a
		# line "t/x.pl (Wstat: W Tests: T Failed: F)": F failed assertions, or
		# one failure for a file that died without failing any.
		local tests failed_asserts
		tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$log" | tail -1)
		failed_asserts=$(sed -n 's/^t\/.*\.pl  *(Wstat:.* Failed: \([0-9]*\))/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
		f=$(sed -n 's/^t\/.*\.pl  *(Wstat:.* Failed: \([0-9]*\))/\1/p' "$log" | awk '{s += ($1 > 0 ? $1 : 1)} END {print s + 0}')
		# skipped assertions (a test that cannot run here) are not passes
		local s
		s=$(cat "$hostdir"/tmp_check/log/regress_log_* 2>/dev/null | grep -Eci '(^|\) )ok [0-9]+ # skip')
		skipped[$major]=$(( ${skipped[$major]:-0} + s ))
		p=$(( ${tests:-0} - failed_asserts - s ))
	else
		# pg_regress: "test x ... ok" / "x ... FAILED" (15) or "ok 1 - x" (16+)
		p=$(grep -Ec '(\.\.\. ok|^ok [0-9]+ )' "$log")
		f=$(grep -Ec '(\.\.\. FAILED|^not ok [0-9]+ )' "$log")
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed[$major]=$(( ${passed[$major]:-0} + p ))
	failed[$major]=$(( ${failed[$major]:-0} + f ))
	if [ "$rc" -ne 0 ]; then
		for d in "$hostdir"/regression.diffs "$hostdir"/output_iso/regression.diffs; do
			[ -f "$d" ] && { echo "---- $d"; head -200 "$d"; }
		done
		for l in "$hostdir"/tmp_check/log/regress_log_*; do
			[ -f "$l" ] && grep -q -E 'not ok|Dubious|died|BAIL' "$l" && { echo "---- $l"; tail -60 "$l"; }
		done
		echo "---- reproduce: PG_MAJORS=$major make test (this suite: make $target$([ "$major" = 17 ] && echo ' in the Debian 13 root, see scripts/debian13_root.sh'))"
	fi
}

if with_major 15; then
	make15=("${runner[@]}" make -C "$workdir" -s PG_CONFIG="$PG_CONFIG")
	run_suite 15 source check-source "$workdir" "${make15[@]}"
	run_suite 15 e164-regex e164-regex-check "$workdir" "${make15[@]}"
	run_suite 15 shim-unit shim-unit-tests "$workdir" "${make15[@]}"
	run_suite 15 fuzz fuzz-smoke "$workdir" "${make15[@]}"
	run_suite 15 regress installcheck-regress "$workdir" "${make15[@]}"
	run_suite 15 clock installcheck-clock "$workdir" "${make15[@]}"
	run_suite 15 isolation installcheck-isolation "$workdir" "${make15[@]}"
	run_suite 15 tap installcheck-tap "$workdir" "${make15[@]}"
fi

if with_major 17; then
	echo "== PostgreSQL 17 (Debian 13 root)"
	start=$SECONDS
	if debian13_lock && debian13_root_ensure && debian13_prepare_tree "$top" "$TEST_CFLAGS"; then
		echo "-- PostgreSQL 17: the root and the build took $((SECONDS - start)) s"
		run_suite 17 regress installcheck-regress "$DEBIAN13_ROOT$DEBIAN13_TREE" debian13_make
		run_suite 17 isolation installcheck-isolation "$DEBIAN13_ROOT$DEBIAN13_TREE" debian13_make
		run_suite 17 tap installcheck-tap "$DEBIAN13_ROOT$DEBIAN13_TREE" debian13_make
	else
		echo "the Debian 13 root with PostgreSQL 17 could not be built or the extension not built in it"
		failed[17]=$(( ${failed[17]:-0} + 1 ))
	fi
fi

[ "$workdir" != "$top" ] && rm -rf "$workdir"
total_passed=0; total_failed=0; total_skipped=0; by_major=()
for m in $majors; do
	by_major+=("PostgreSQL $m: ${passed[$m]:-0} passed, ${failed[$m]:-0} failed, ${skipped[$m]:-0} skipped")
	total_passed=$(( total_passed + ${passed[$m]:-0} ))
	total_failed=$(( total_failed + ${failed[$m]:-0} ))
	total_skipped=$(( total_skipped + ${skipped[$m]:-0} ))
done
echo "-- make test took $SECONDS s"
( IFS=';'; echo "${by_major[*]}" | sed 's/;/; /g' )
echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
[ "$total_failed" -eq 0 ] && [ "$total_passed" -gt 0 ]
