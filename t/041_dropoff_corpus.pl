# 041_dropoff_corpus.pl
#   Drop-off detection on the blind corpora of clinic calls (releases 0.7.4,
#   0.7.5 and 0.10.1, issue 27): every t/fixtures/clinic/blind-*.tsv, written by
#   helpers from a brief of the contract (docs/clinic_followups.md), never
#   from the rules.
#
# Each line is id, expected drop-off, expected procedures (canonical names
# joined by |), Vapi endedReason, booked, transcript (turns joined by the
# two characters \n).  Every call goes through vapi_pool.detect_dropoff with
# a clinic's starter vocabulary on a live node, and the test asserts over
# all the files together: precision >= 95%, recall >= 90%, and the caller's
# first procedure named on >= 95% of the drop-offs.  Every call it gets
# wrong is printed; the per-file figures go to DROPOFF_REPORT when set.
#
# Reproduce: make installcheck-tap PROVE_TESTS=t/041_dropoff_corpus.pl
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VapiPoolTest qw(tsv_lines new_vapi_node source_dir);

my @files = sort glob(source_dir() . '/t/fixtures/clinic/blind-*.tsv');
ok(@files >= 2, scalar(@files) . ' blind corpora of clinic calls');

my $node;
{
	local $ENV{LC_CTYPE} = 'C.UTF-8';
	$node = new_vapi_node('dropoff');
}
my $org = 'cccccccc-0000-4000-8000-000000000000';
$node->safe_psql('postgres',
	"INSERT INTO vapi_pool.orgs (org_id, name, is_clinic, timezone) VALUES ('$org', 'Clinic', true, 'America/New_York')");

my $tmp = PostgreSQL::Test::Utils::tempdir();
my %total = map { $_ => 0 } qw(calls tp fp fn first);
my $report = '';
for my $path (@files)
{
	(my $name = $path) =~ s{.*/}{};
	my (@rows, @bad);
	for my $l (tsv_lines($path))
	{
		my ($lineno, @f) = @$l;
		next if $f[0] eq 'id';
		if (@f != 6 || $f[1] !~ /^[tf]$/ || $f[4] !~ /^[tf]$/)
		{
			push @bad, "line $lineno";
			next;
		}
		push @rows, { line => $lineno, id => $f[0], expected => $f[1], procedures => $f[2],
			ended => $f[3], booked => $f[4], transcript => $f[5] };
	}
	is(join(', ', @bad), '', "$name: lines are well-formed");

	# COPY in text format turns the \n escapes into line breaks.
	my $copy = "$tmp/$name.copy";
	open my $fh, '>:raw', $copy or die "open $copy: $!";
	print $fh join("\t", $_->{id}, $_->{ended}, $_->{booked}, $_->{transcript}), "\n" for @rows;
	close $fh;
	(my $copy_sql = $copy) =~ s/'/''/g;
	my $out = $node->safe_psql(
		'postgres', qq{
CREATE TEMP TABLE calls (id text, ended text, booked boolean, transcript text);
COPY calls FROM '$copy_sql';
SELECT c.id, d.is_dropoff, array_to_string(d.procedures, '|'), d.reason
FROM calls c, vapi_pool.detect_dropoff(c.transcript, c.ended, c.booked, '$org') d ORDER BY c.id},
		extra_params => [ '-F', "\x1f" ]);
	my %got = map { my @g = split /\x1f/, $_, -1; $g[0] => [ @g[ 1 .. 3 ] ] } split /\n/, $out;

	my %m = map { $_ => 0 } qw(calls tp fp fn first);
	for my $r (@rows)
	{
		my $g = $got{ $r->{id} } // [ 'missing', '', 'missing' ];
		my ($is, $procs, $reason) = @$g;
		my $want = $r->{expected} eq 't';
		$m{calls}++;
		$m{tp}++ if $want && $is eq 't';
		$m{fp}++ if !$want && $is eq 't';
		$m{fn}++ if $want && $is ne 't';
		my ($first_want) = split /\|/, $r->{procedures};
		my ($first_got)  = split /\|/, $procs;
		$m{first}++ if $want && defined $first_got && $first_got eq $first_want;
		diag("$name line $r->{line} ($r->{id}): expected $r->{expected} [$r->{procedures}], got $is [$procs] $reason")
		  if ($want xor $is eq 't') || ($want && ($first_got // '') ne $first_want);
	}
	$total{$_} += $m{$_} for keys %m;
	$report .= sprintf("%s: %d calls, %d drop-offs, precision %.1f%%, recall %.1f%%, first procedure %.1f%%\n",
		$name, $m{calls}, $m{tp} + $m{fn}, 100 * $m{tp} / (($m{tp} + $m{fp}) || 1),
		100 * $m{tp} / (($m{tp} + $m{fn}) || 1), 100 * $m{first} / (($m{tp} + $m{fn}) || 1));
}

my $dropoffs  = $total{tp} + $total{fn};
my $precision = $total{tp} / (($total{tp} + $total{fp}) || 1);
my $recall    = $total{tp} / ($dropoffs || 1);
my $first     = $total{first} / ($dropoffs || 1);
$report .= sprintf("all: %d calls, %d drop-offs, precision %.1f%%, recall %.1f%%, first procedure %.1f%%\n",
	$total{calls}, $dropoffs, 100 * $precision, 100 * $recall, 100 * $first);
diag($report);
if (defined $ENV{DROPOFF_REPORT} && $ENV{DROPOFF_REPORT} ne '')
{
	open my $fh, '>', $ENV{DROPOFF_REPORT} or die "open $ENV{DROPOFF_REPORT}: $!";
	print $fh $report;
	close $fh;
}
ok($total{calls} >= 300, "at least 300 blind calls ($total{calls})");
ok($precision >= 0.95, sprintf('precision %.1f%% >= 95%%', 100 * $precision));
ok($recall >= 0.90,    sprintf('recall %.1f%% >= 90%%', 100 * $recall));
ok($first >= 0.95,     sprintf('first procedure named on %.1f%% of drop-offs >= 95%%', 100 * $first));

done_testing();
