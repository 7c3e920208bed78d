#!/bin/bash
# offers_bench.sh - booking what was offered (release 0.6.0): how fast
# offered_slot_id finds the offered time a caller's words name, against an
# SQL lookup of the exact label (what a booking could do if the assistant
# always passed the label back word for word, which it does not).
#
# Runs in the database libpq's environment points at (vapi_pool installed;
# bench/run.sh provides a throwaway cluster).  OFFERS_CALLS (default 2000)
# calls, each offered six times in one round as a check offers them; every
# call is then asked for with each of OFFERS_PHRASES' ways of saying a time
# (the label as offered, "Tuesday at 9", "the second one", ...).  Prints
# choices per second (median of OFFERS_ROUNDS rounds, default 5) for both,
# the ratio, and how many choices each found.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
psql -X -q -v ON_ERROR_STOP=1 -v calls="${OFFERS_CALLS:-2000}" -v rounds="${OFFERS_ROUNDS:-5}" \
	-f "$here/offers/bench.sql"
