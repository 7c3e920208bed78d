# 040_redact_corpus.pl
#   Blind evaluation of vapi_pool.redact_pii against a hand-written corpus of
#   voice-call transcript lines (t/redact/corpus.tsv, written without seeing
#   the implementation; see t/redact/README.md).
#
# Every corpus row is input<TAB>expected, where expected is the input with
# each personal-data span replaced by [EMAIL], [PHONE], [SSN], [CARD] or
# [DOB].  The whole corpus goes through vapi_pool.redact_pii in one query on
# a live node, and the test measures:
#
#   recall       PII items (placeholders in expected) that were redacted: per
#                line and type, min(expected count, actual count) items count
#                as recalled, unless the line leaks (actual differs from
#                expected and still holds raw PII that expected does not: a
#                run of 7+ digits, possibly split by single separators such as
#                space, dash, dot, slash, parentheses or +, or of 7+ spoken
#                digit words, or an extra '@'), in which case none do.
#   false        rows with no placeholder in expected whose output differs
#   positives    from the input (untouched rows changed), and placeholders in
#                the output beyond the expected count of their type
#                (over-redaction items).
#   exact rows   output byte-for-byte equal to expected.
#
# The product's targets are asserted: recall >= 99%, no untouched row
# changed, no over-redaction.  Every row whose output is not exact is printed
# with diag, and the summary line goes to the test log and, when
# REDACT_REPORT names a file, is written there as its last line.
#
# Environment:
#   REDACT_CORPUS  corpus file (default t/redact/corpus.tsv)
#   REDACT_REPORT  file to write the per-type and summary lines to
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VapiPoolTest qw(tsv_lines new_vapi_node source_dir);

my $corpus_path = $ENV{REDACT_CORPUS} // source_dir() . '/t/redact/corpus.tsv';

# Guards against a truncated or emptied corpus.
my $MIN_ROWS      = 200;
my $MIN_UNTOUCHED = 60;
# The product's target.
my $MIN_RECALL = 0.99;

my @TYPES = qw(EMAIL PHONE SSN CARD DOB);
my $PLACEHOLDER = qr/\[(EMAIL|PHONE|SSN|CARD|DOB)\]/;

# ---------------------------------------------------------------------------
# Corpus.  Kept as raw bytes throughout: input, expected and the function's
# output are compared byte for byte.

my (@rows, @malformed);
{
	my @lines = eval { tsv_lines($corpus_path) } or BAIL_OUT($@ || "no rows in $corpus_path");
	for my $l (@lines)
	{
		my ($lineno, @f) = @$l;
		if (@f != 2 || $f[0] eq '' || $f[1] eq '')
		{
			push @malformed, "line $lineno: expected 2 non-empty tab-separated fields";
			next;
		}
		push @rows, { line => $lineno, input => $f[0], expected => $f[1] };
	}
}

sub type_counts
{
	my ($s) = @_;
	my %c = map { $_ => 0 } @TYPES;
	$c{$1}++ while $s =~ /$PLACEHOLDER/g;
	return \%c;
}

sub total
{
	my ($c) = @_;
	my $n = 0;
	$n += $c->{$_} for @TYPES;
	return $n;
}

for my $r (@rows)
{
	$r->{exp_counts} = type_counts($r->{expected});
	$r->{untouched}  = total($r->{exp_counts}) == 0;
	# A row without placeholders must expect its input unchanged; a row with
	# them must expect a change.
	push @malformed, "line $r->{line}: no placeholder but expected differs from input"
	  if $r->{untouched} && $r->{expected} ne $r->{input};
	push @malformed, "line $r->{line}: placeholder(s) already in input"
	  if total(type_counts($r->{input})) > 0;
}

my $n_rows      = scalar @rows;
my $n_untouched = grep { $_->{untouched} } @rows;

is(join("\n", @malformed), '', 'corpus rows are well-formed');
ok($n_rows >= $MIN_ROWS && $n_untouched >= $MIN_UNTOUCHED,
	"corpus has $n_rows rows (>= $MIN_ROWS), $n_untouched untouched (>= $MIN_UNTOUCHED)");

# ---------------------------------------------------------------------------
# Run the corpus through the function on a live node.

my $node;
{
	# Transcripts are UTF-8, as production databases are.
	local $ENV{LC_CTYPE} = 'C.UTF-8';
	$node = new_vapi_node('redact');
}

my $encoding = $node->safe_psql('postgres', 'SHOW server_encoding');
diag("server_encoding is $encoding, not UTF8: non-ASCII rows may behave differently")
  if $encoding ne 'UTF8';

my $has_fn = $node->safe_psql('postgres',
	q{SELECT to_regprocedure('vapi_pool.redact_pii(text)') IS NOT NULL});
if (!ok($has_fn eq 't', 'vapi_pool.redact_pii(text) exists'))
{
	done_testing();
	exit 0;
}

# COPY takes the fields literally: CSV with a tab delimiter and a quote
# character that never occurs in the corpus, so neither backslashes nor
# quotes are interpreted.
my $tmp       = PostgreSQL::Test::Utils::tempdir();
my $copy_file = "$tmp/corpus.copy";
{
	open my $fh, '>:raw', $copy_file or die "open $copy_file: $!";
	for my $r (@rows)
	{
		die "line $r->{line}: control character \\x01 in corpus"
		  if "$r->{input}$r->{expected}" =~ /\x01/;
		print $fh join("\t", $r->{line}, $r->{input}, $r->{expected}), "\n";
	}
	close $fh or die "close $copy_file: $!";
}
(my $copy_sql_path = $copy_file) =~ s/'/''/g;

$node->safe_psql(
	'postgres', qq{
CREATE TABLE redact_corpus (line int PRIMARY KEY, input text NOT NULL, expected text NOT NULL);
COPY redact_corpus (line, input, expected) FROM '$copy_sql_path'
  WITH (FORMAT csv, DELIMITER E'\\t', QUOTE E'\\x01', ENCODING 'UTF8');
-- An error on one row is a miss for that row, not the end of the run.
CREATE FUNCTION redact_corpus_try(t text) RETURNS text LANGUAGE plpgsql AS \$fn\$
BEGIN
	RETURN coalesce(vapi_pool.redact_pii(t), '<<NULL>>');
EXCEPTION WHEN others THEN
	RETURN '<<ERROR: ' || SQLERRM || '>>';
END
\$fn\$;
});

is($node->safe_psql('postgres', 'SELECT count(*) FROM redact_corpus'),
	$n_rows, 'whole corpus loaded');

my $out = $node->safe_psql(
	'postgres',
	'SELECT line, redact_corpus_try(input) FROM redact_corpus ORDER BY line',
	extra_params => [ '-F', "\x1f", '-R', "\x1e" ]);
my %actual;
for my $rec (split /\x1e/, $out)
{
	$rec =~ s/\n\z//;
	next if $rec eq '';
	my ($line, $act) = split /\x1f/, $rec, 2;
	$actual{$line} = $act;
}

# ---------------------------------------------------------------------------
# Metrics.

my $DIGIT_WORD = qr/\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b/i;

# Raw PII markers in a string: runs of 7+ digits (single separators allowed
# between digits, as in 415-555-0123 or (415) 555 0123), runs of 7+ spoken
# digit words, and '@' signs.
sub raw_pii
{
	my ($s) = @_;
	my @found;
	while ($s =~ /([0-9](?:[ .\-\/()+]{0,2}[0-9])*)/g)
	{
		(my $d = $1) =~ tr/0-9//cd;
		push @found, "d:$d" if length $d >= 7;
	}
	while ($s =~ /($DIGIT_WORD(?:[\s,.\-]+$DIGIT_WORD)*)/g)
	{
		my @w = map { lc } ($1 =~ /($DIGIT_WORD)/g);
		push @found, 'w:' . join(' ', @w) if @w >= 7;
	}
	push @found, '@' for ($s =~ /@/g);
	return @found;
}

# Does the output still hold raw PII that the expected output does not?
sub leaks
{
	my ($expected, $actual) = @_;
	return 0 if $actual eq $expected;
	my %allowed;
	$allowed{$_}++ for raw_pii($expected);
	for my $m (raw_pii($actual))
	{
		return 1 unless ($allowed{$m} // 0) > 0;
		$allowed{$m}--;
	}
	return 0;
}

my ($items, $recalled, $fp_rows, $over, $exact, $leak_rows) = (0) x 6;
my (%items_t, %recalled_t, %over_t);
my @report;
for my $r (@rows)
{
	my $act = $actual{ $r->{line} } // '<<MISSING>>';
	my $exp = $r->{exp_counts};
	my $got = type_counts($act);
	my $leak = leaks($r->{expected}, $act);
	$leak_rows++ if $leak;
	my @notes;
	for my $t (@TYPES)
	{
		$items += $exp->{$t};
		$items_t{$t} += $exp->{$t};
		my $hit = $exp->{$t} < $got->{$t} ? $exp->{$t} : $got->{$t};
		$hit = 0 if $leak;
		$recalled += $hit;
		$recalled_t{$t} += $hit;
		push @notes, sprintf('missed %d %s', $exp->{$t} - $hit, $t)
		  if $hit < $exp->{$t};
		if ($got->{$t} > $exp->{$t})
		{
			$over += $got->{$t} - $exp->{$t};
			$over_t{$t} += $got->{$t} - $exp->{$t};
			push @notes, sprintf('%d extra %s', $got->{$t} - $exp->{$t}, $t);
		}
	}
	push @notes, 'raw PII left' if $leak;
	if ($r->{untouched} && $act ne $r->{input})
	{
		$fp_rows++;
		push @notes, 'untouched row changed';
	}
	if ($act eq $r->{expected})
	{
		$exact++;
		next;
	}
	push @notes, 'not exact' unless @notes;
	diag(sprintf("corpus line %d (%s)\n  input:    %s\n  expected: %s\n  actual:   %s",
			$r->{line}, join(', ', @notes), $r->{input}, $r->{expected}, $act));
}

my $recall = $items ? $recalled / $items : 0;
my $per_type = 'redact corpus per type: ' . join(
	', ',
	map {
		sprintf('%s %d/%d%s', $_, $recalled_t{$_} // 0, $items_t{$_} // 0,
			$over_t{$_} ? " (+$over_t{$_} extra)" : '')
	} @TYPES);
my $summary = sprintf(
	'redact corpus: %d rows, %d items, recall %.1f%%, untouched rows changed %d, '
	  . 'over-redactions %d, exact rows %d/%d',
	$n_rows, $items, 100 * $recall, $fp_rows, $over, $exact, $n_rows);
diag($per_type);
diag("redact corpus: $leak_rows row(s) with raw PII left") if $leak_rows;
diag($summary);

if (defined $ENV{REDACT_REPORT} && $ENV{REDACT_REPORT} ne '')
{
	open my $fh, '>', $ENV{REDACT_REPORT}
	  or die "open $ENV{REDACT_REPORT}: $!";
	print $fh "$per_type\n$summary\n";
	close $fh or die "close $ENV{REDACT_REPORT}: $!";
}

ok($recall >= $MIN_RECALL,
	sprintf('recall %.1f%% >= %.0f%%', 100 * $recall, 100 * $MIN_RECALL));
is($fp_rows, 0, 'no untouched row changed');
is($over,    0, 'no over-redaction');

$node->stop;
done_testing();
