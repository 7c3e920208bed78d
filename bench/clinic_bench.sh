#!/bin/bash
# clinic_bench.sh - drop-off detection and medical-history redaction
# (release 0.4.0) against what a regular-expression pipeline would do.
#
# Runs in the database libpq's environment points at (vapi_pool installed;
# bench/run.sh provides a throwaway cluster).  Transcripts: the labelled
# clinic corpora t/fixtures/clinic/*.tsv (the tuning and held-out sets and
# the blind-*.tsv corpora of 0.7.4 and 0.7.5), repeated CLINIC_REPEAT times
# (default 200).  Prints, for detect_dropoff and a keyword-regex baseline,
# transcripts per second (median of CLINIC_ROUNDS rounds, default 5) with the
# precision and recall each gets on the labelled calls, then the cost of
# the call log's redaction trigger per stored transcript against an
# identical table without it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../t/fixtures/clinic
repeat=${CLINIC_REPEAT:-200}
rounds=${CLINIC_ROUNDS:-5}

# CLINIC_FILES="transcripts.tsv transcripts-holdout.tsv" measures on the two
# corpora of 0.4.0 alone (the figures of earlier releases).
files=${CLINIC_FILES:-$(cd "$fixtures" && echo transcripts.tsv transcripts-holdout.tsv blind-*.tsv)}
(cd "$fixtures" && cat $files) | grep -v '^#' | grep -v '^id	' |
psql -X -q -v ON_ERROR_STOP=1 -v repeat="$repeat" -v rounds="$rounds" -c "
CREATE TEMP TABLE corpus_lines (line text);
COPY corpus_lines FROM STDIN WITH (FORMAT text, DELIMITER E'\x01');
" -f "$here/clinic/bench.sql"
