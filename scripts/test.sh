#!/usr/bin/env bash
# The README's test command (make test): install missing packages, build with
# test flags (warnings are errors, assertions on), install the extension into
# the local PostgreSQL 15, run every suite (pg_regress, isolation, TAP) against
# temporary instances, and end with one line "N passed, N failed".
#
# PostgreSQL refuses to run as root; as root, the suites run as the
# unprivileged user vapitest in a copy of the tree.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=common.sh
source scripts/common.sh
install_deps || { echo "0 passed, 1 failed"; exit 1; }

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
passed=0; failed=0

# Run one suite through make, keep its log, count its cases.
run_suite()
{
	local name=$1 target=$2 log="$logdir/$1.log"
	echo "== $name"
	"${runner[@]}" make -C "$workdir" -s PG_CONFIG="$PG_CONFIG" "$target" >"$log" 2>&1
	local rc=$?
	cat "$log"
	local p f
	if [ "$name" = tap ]; then
		# prove: "Files=N, Tests=M" counts assertions; each failing file has a
		# line "t/x.pl (Wstat: W Tests: T Failed: F)": F failed assertions, or
		# one failure for a file that died without failing any.
		local tests failed_asserts
		tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$log" | tail -1)
		failed_asserts=$(sed -n 's/^t\/.*\.pl  *(Wstat:.* Failed: \([0-9]*\))/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
		f=$(sed -n 's/^t\/.*\.pl  *(Wstat:.* Failed: \([0-9]*\))/\1/p' "$log" | awk '{s += ($1 > 0 ? $1 : 1)} END {print s + 0}')
		p=$(( ${tests:-0} - failed_asserts ))
	else
		# pg_regress: "test x ... ok" / "x ... FAILED" (15) or "ok 1 - x" (16+)
		p=$(grep -Ec '(\.\.\. ok|^ok [0-9]+ )' "$log")
		f=$(grep -Ec '(\.\.\. FAILED|^not ok [0-9]+ )' "$log")
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$rc" -ne 0 ]; then
		for d in "$workdir"/regression.diffs "$workdir"/output_iso/regression.diffs; do
			[ -f "$d" ] && { echo "---- $d"; head -200 "$d"; }
		done
		for l in "$workdir"/tmp_check/log/regress_log_*; do
			[ -f "$l" ] && grep -q -E 'not ok|Dubious|died|BAIL' "$l" && { echo "---- $l"; tail -60 "$l"; }
		done
	fi
}

run_suite source check-source
run_suite e164-regex e164-regex-check
run_suite shim-unit shim-unit-tests
run_suite fuzz fuzz-smoke
run_suite regress installcheck-regress
run_suite isolation installcheck-isolation
run_suite tap installcheck-tap

[ "$workdir" != "$top" ] && rm -rf "$workdir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
