#!/bin/bash
# reply_bench.sh - throughput and quality of vapi_pool.classify_reply
# against the regular-expression keyword classifier a workflow would
# typically use instead (bench/replies/baseline.sql, PL/pgSQL), both
# measured in the same run over the same replies.
#
# Runs in the database libpq's environment points at (vapi_pool installed;
# bench/run.sh provides a throwaway cluster).  Replies: the labelled corpus
# t/fixtures/replies/*.tsv, repeated and shuffled to REPLY_ROWS rows
# (default 100000).  Prints, for both classifiers, the median replies/s of
# REPLY_ROUNDS rounds (default 5) in one backend (one core) and their
# figures on the corpus, then the throughput ratio; first, the C core alone
# (bench/replies/reply_bench.c, no SQL).
#
# Environment:
#   REPLY_ROWS, REPLY_ROUNDS   see above
#   CC, CFLAGS                 compiler and flags of the C driver (gcc -O2)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$here/..
rows=${REPLY_ROWS:-100000}
rounds=${REPLY_ROUNDS:-5}
CC=${CC:-gcc}
CFLAGS=${CFLAGS:--O2}
corpus=("$src"/t/fixtures/replies/replies-*.tsv)

build=$(mktemp -d "${TMPDIR:-/tmp}/reply-bench.XXXXXX")
trap 'rm -rf "$build"' EXIT
$CC $CFLAGS -I"$src/extension/include" -o "$build/reply-bench" "$here/replies/reply_bench.c" \
	"$src"/extension/replies/reply_{quote,vocab,tokens,phone,rules,intent}.c \
	"$src"/extension/e164/e164_{parse,regex,metadata}.c "$src"/extension/core/text_distance.c -lm
"$build/reply-bench" "$rounds" "${corpus[@]}"

grep -hv '^#' "${corpus[@]}" | grep -v '^$' |
psql -X -q -v ON_ERROR_STOP=1 -v rows="$rows" -v rounds="$rounds" -c "
CREATE TEMP TABLE corpus (id text, intent text, phone text, region text, text text);
COPY corpus FROM STDIN WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01');
" -f "$here/replies/baseline.sql" -f "$here/replies/bench.sql"
