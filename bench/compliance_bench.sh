#!/bin/bash
# compliance_bench.sh - what calling lawfully costs (release 0.7.0): queueing
# a create-call job through the outbox's own check (outbox_checked: the
# do-not-call lists and the called person's calling hours) against the same
# INSERT with the check turned off, and next_call_time for people in one
# zone, two zones (+1 907), eight (an Australian mobile) and the 42 of a
# +1 800 number.
#
# Runs in the database libpq's environment points at (vapi_pool installed;
# bench/run.sh provides a throwaway cluster).  COMPLIANCE_JOBS (default
# 20000) jobs per round, COMPLIANCE_ROUNDS (default 5) rounds, median.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
psql -X -q -v ON_ERROR_STOP=1 -v jobs="${COMPLIANCE_JOBS:-20000}" -v rounds="${COMPLIANCE_ROUNDS:-5}" \
	-f "$here/compliance/bench.sql"
