# 010_e164_differential.pl
#   Differential test of vapi_pool.e164_try_parse against Google's
#   libphonenumber.
#
# The corpus (t/e164/gen_corpus.py: tens of thousands of numbers from every
# region libphonenumber supports, in every format, plus mutations) goes
# through the oracle (t/e164/oracle.cc: libphonenumber Parse +
# IsPossibleNumber + Format(E164)), then through
# vapi_pool.e164_try_parse(input, region) on a live node.  The two must agree
# on every line except for vapi_pool's documented, deliberate differences,
# each of which only ever makes vapi_pool reject what libphonenumber accepts:
#
#   LOCAL_ONLY  libphonenumber says IS_POSSIBLE_LOCAL_ONLY (no area code)
#   OVER_15     libphonenumber's E.164 has more than 15 digits
#   NANP        +1 number whose area code or exchange code (1st or 4th
#               national digit) starts with 0 or 1
#   CHARSET     the input has a character other than ASCII digits, +, space,
#               dash, dot, parentheses or slash
#
# Anything else (we accept what libphonenumber rejects, we reject for another
# reason, both accept with different E.164, the function raises, or we
# accept a number that one of the deliberate differences says we reject)
# fails the test with examples.
#
# Environment:
#   E164_ORACLE  oracle binary (default t/e164/e164-oracle); built with
#                  g++ -O2 -std=c++17 t/e164/oracle.cc -o t/e164/e164-oracle -lphonenumber
#                the test is skipped only when it is missing
#   E164_PYTHON  Python with Debian's python3-phonenumbers (/usr/bin/python3)
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run ();
use FindBin;
use lib "$FindBin::RealBin/lib";
use VapiPoolTest qw(new_vapi_node source_dir);

my $src    = source_dir();
my $oracle = $ENV{E164_ORACLE} // "$src/t/e164/e164-oracle";
my $python = $ENV{E164_PYTHON} // '/usr/bin/python3';
my $gen    = "$src/t/e164/gen_corpus.py";

if (!-x $oracle)
{
	plan skip_all => "libphonenumber oracle $oracle not built; build it with: "
	  . "g++ -O2 -std=c++17 t/e164/oracle.cc -o t/e164/e164-oracle -lphonenumber "
	  . "(or point E164_ORACLE at it)";
}

my $tmp         = PostgreSQL::Test::Utils::tempdir();
my $corpus_file = "$tmp/corpus.tsv";
my $oracle_file = "$tmp/oracle.tsv";
my $copy_file   = "$tmp/oracle.copy";

# Minimum sizes, so that the test cannot pass vacuously.
my $MIN_LINES   = 10_000;
my $MIN_REGIONS = 240;
# Each deliberate difference must stay small relative to the corpus.
my $MAX_CATEGORY_SHARE = 0.05;
my $MAX_EXAMPLES       = 20;

# ---------------------------------------------------------------------------
# Corpus and oracle.

my ($err, $out) = ('', '');
ok( IPC::Run::run([ $python, $gen ], '>', $corpus_file, '2>', \$err),
	'corpus generated')
  or BAIL_OUT("gen_corpus.py failed (needs $python with python3-phonenumbers): $err");

$err = '';
ok(IPC::Run::run([$oracle], '<', $corpus_file, '>', $oracle_file, '2>', \$err),
	'oracle ran')
  or BAIL_OUT("oracle $oracle failed: $err");

my (@rows, %regions);
{
	open my $fh, '<:raw', $oracle_file or die "open $oracle_file: $!";
	while (my $line = <$fh>)
	{
		chomp $line;
		my @f = split /\t/, $line, -1;
		die "malformed oracle line $.: $line" unless @f == 5;
		push @rows, \@f;
		$regions{ $f[1] } = 1;
	}
	close $fh;
}

my $corpus_lines = do
{
	open my $fh, '<:raw', $corpus_file or die "open $corpus_file: $!";
	my $n = 0;
	$n++ while <$fh>;
	$n;
};

my $total = scalar @rows;
cmp_ok($total, '>=', $MIN_LINES, "corpus has at least $MIN_LINES numbers");
is($total, $corpus_lines, 'oracle answered every corpus line');
cmp_ok(scalar(keys %regions),
	'>=', $MIN_REGIONS, "corpus covers at least $MIN_REGIONS default regions");
my $oracle_ok = grep { $_->[2] eq 'ok' } @rows;
cmp_ok($oracle_ok, '>=', $total / 4,
	"libphonenumber accepts a good share of the corpus ($oracle_ok)");
cmp_ok($total - $oracle_ok, '>=', $total / 20,
	"libphonenumber rejects a good share of the corpus (" . ($total - $oracle_ok) . ")");

# COPY text format: backslash is the escape character.
{
	open my $fh, '>:raw', $copy_file or die "open $copy_file: $!";
	for my $i (0 .. $#rows)
	{
		print $fh join("\t", $i + 1, map { s/\\/\\\\/gr } @{ $rows[$i] }), "\n";
	}
	close $fh or die "close $copy_file: $!";
}

# ---------------------------------------------------------------------------
# Our answer, from the SQL function on a live node.

my $node = new_vapi_node('e164_diff');

# e164_try_parse should never raise for these inputs (every region is a
# supported one); if it does, record the error instead of losing the run.
my $answers = $node->safe_psql(
	'postgres', qq{
CREATE TABLE oracle (
	id integer PRIMARY KEY,
	input text NOT NULL,
	region text NOT NULL,
	verdict text NOT NULL,
	e164 text NOT NULL,
	reason text NOT NULL
);
COPY oracle FROM '$copy_file' WITH (ENCODING 'UTF8');
CREATE FUNCTION ours(i text, r text) RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
	RETURN vapi_pool.e164_try_parse(i, r)::text;
EXCEPTION WHEN others THEN
	RETURN 'ERROR: ' || SQLERRM;
END
\$\$;
COPY (SELECT id, ours(input, region) FROM oracle ORDER BY id) TO STDOUT;
});

my %ours;
for my $line (split /\n/, $answers)
{
	my ($id, $v) = split /\t/, $line, 2;
	$v =~ s/\\(.)/$1/g unless $v eq '\\N';
	$ours{$id} = $v eq '\\N' ? undef : $v;
}
is(scalar(keys %ours), $total, 'SQL answered every line');

# ---------------------------------------------------------------------------
# Compare.

my @CATEGORIES = qw(LOCAL_ONLY OVER_15 NANP CHARSET);
my %count = (agree => 0, unexplained => 0, map { $_ => 0 } @CATEGORIES);
my %pattern;     # unexplained, by kind
my %examples;    # kind => [ example lines ]

sub classify_difference
{
	my ($input, $e164, $reason) = @_;

	return 'CHARSET' if $input =~ m{[^0-9+ \-.()/]};
	return 'LOCAL_ONLY' if $reason eq 'IS_POSSIBLE_LOCAL_ONLY';
	return 'OVER_15' if ($e164 =~ tr/0-9//) > 15;
	return 'NANP' if $e164 =~ /^\+1([0-9])[0-9]{2}([0-9])/ && ($1 le '1' || $2 le '1');
	return undef;
}

for my $i (0 .. $#rows)
{
	my ($input, $region, $verdict, $e164, $reason) = @{ $rows[$i] };
	my $mine = $ours{ $i + 1 };
	my $kind;

	if (defined $mine && $mine =~ /^ERROR: /)
	{
		$kind = 'ours raised an error';
	}
	elsif ($verdict eq 'ok')
	{
		if (defined $mine && $mine eq $e164)
		{
			# Agreement where a deliberate difference says we must reject
			# is a bug too (e.g. a vanity number or a local-only number
			# accepted).
			my $cat = classify_difference($input, $e164, $reason);
			if (!$cat)
			{
				$count{agree}++;
				next;
			}
			$kind = "we accept despite deliberate difference $cat";
		}
		elsif (defined $mine)
		{
			$kind = 'both accept, different E.164';
		}
		elsif (my $cat = classify_difference($input, $e164, $reason))
		{
			$count{$cat}++;
			next;
		}
		else
		{
			$kind = 'libphonenumber accepts, we reject';
		}
	}
	else
	{
		if (!defined $mine)
		{
			$count{agree}++;
			next;
		}
		$kind =
		  $input =~ m{[^0-9+ \-.()/]}
		  ? 'we accept a character outside the accepted set'
		  : 'libphonenumber rejects, we accept';
	}

	$count{unexplained}++;
	$pattern{$kind}++;
	my $shown = length($input) > 60 ? substr($input, 0, 57) . '...' : $input;
	push @{ $examples{$kind} },
	  sprintf("%-34s region=%-3s libphonenumber=%s %s (%s)  ours=%s",
		"'$shown'", $region, $verdict, $e164 eq '' ? '-' : $e164,
		$reason, $mine // 'NULL')
	  if @{ $examples{$kind} // [] } < $MAX_EXAMPLES;
}

# Up to $MAX_EXAMPLES examples, taken in turn from each kind of failure.
my @examples;
while (@examples < $MAX_EXAMPLES && grep { @{ $examples{$_} } } keys %examples)
{
	for my $kind (sort keys %examples)
	{
		push @examples, "[$kind] " . shift @{ $examples{$kind} }
		  if @{ $examples{$kind} } && @examples < $MAX_EXAMPLES;
	}
}

my $table = sprintf("%-22s %8s %7s\n", 'e164 differential', 'lines', 'share');
for my $k ('agree', @CATEGORIES, 'unexplained')
{
	my $label = $k eq 'agree' || $k eq 'unexplained' ? $k : "explained: $k";
	$table .= sprintf("%-22s %8d %6.2f%%\n", $label, $count{$k},
		100 * $count{$k} / $total);
}
$table .= sprintf("%-22s %8d\n", 'total', $total);
$table .= sprintf("%-22s %8d\n", 'regions', scalar keys %regions);
diag($table);

for my $cat (@CATEGORIES)
{
	cmp_ok($count{$cat}, '<', $MAX_CATEGORY_SHARE * $total,
		"explained category $cat is under "
		  . (100 * $MAX_CATEGORY_SHARE) . "% of the corpus ($count{$cat})");
}

cmp_ok($count{agree}, '>', 0.9 * $total, 'at least 90% of lines agree outright');

is($count{unexplained}, 0, 'no unexplained disagreements with libphonenumber')
  or diag(join("\n",
	(map { "  $_: $pattern{$_}" } sort keys %pattern),
	"examples (at most $MAX_EXAMPLES):",
	(map { "  $_" } @examples)));

$node->stop;
done_testing();
