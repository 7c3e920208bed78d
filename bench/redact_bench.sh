#!/bin/bash
# redact_bench.sh - throughput and quality of vapi_pool.redact_pii against
# the regular-expression redaction a transcript pipeline typically does
# (regexp_replace for e-mails, SSNs, card-like digit runs and NANP phones).
#
# Runs in the database libpq's environment points at (vapi_pool installed;
# bench/run.sh provides a throwaway cluster).  Text: the lines of the
# evaluation corpora (t/redact/corpus.tsv and the blind-*.tsv corpora of
# dates and long numbers), shuffled into transcripts of 50 lines, REDACT_MB
# megabytes in all (default 40).  Prints, for both redactors, the median MB/s
# of REDACT_ROUNDS rounds (default 5), the share of corpus lines each gets
# exactly right and the clean lines each alters, then the throughput ratio.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpora=("$here"/../t/redact/corpus.tsv "$here"/../t/redact/blind-*.tsv)
mb=${REDACT_MB:-40}
rounds=${REDACT_ROUNDS:-5}

cat "${corpora[@]}" | grep -v '^#' | grep -v '^$' |
psql -X -q -v ON_ERROR_STOP=1 -v mb="$mb" -v rounds="$rounds" -c "
CREATE TEMP TABLE corpus (input text, expected text);
COPY corpus FROM STDIN WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01');
" -f "$here/redact/bench.sql"
