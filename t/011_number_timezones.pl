# 011_number_timezones.pl
#   vapi_pool.number_timezones(e164) against libphonenumber's own
#   time_zones_for_number() (python3-phonenumbers, the release the table is
#   generated from).
#
# t/e164/tz_cases.py writes the numbers and libphonenumber's answers: one
# valid number for every NANP area code that has one (and one number of each
# area code that has none), every prefix of libphonenumber's prefix -> zone
# map completed to a full number, every example number of every type of
# every region, and fixed-seed mutations of the examples of 20 countries
# (RU, BR, AU, MX, CA and ID among them).  Each number goes through the
# e164 type and number_timezones() on a live node; the zone lists must be
# equal, in order.  A number the e164 type rejects (over 15 digits, a NANP
# code starting with 0 or 1) is skipped and counted; a number the e164 type
# reads as a different number is a failure.
#
# Every zone the table can return must also be one PostgreSQL knows.
#
# Environment:
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
my $python = $ENV{E164_PYTHON} // '/usr/bin/python3';
my $gen    = "$src/t/e164/tz_cases.py";

# Minimum sizes, so that the test cannot pass vacuously.
my $MIN_CASES          = 8_000;
my $MIN_NANP_AREA      = 300;    # NANP area codes with a valid number
my $MIN_CALLING_CODES  = 200;
my $MAX_EXAMPLES       = 30;
my @MULTI_ZONE         = (7, 55, 61, 52, 1, 62);    # RU, BR, AU, MX, CA/US, ID

my $tmp        = PostgreSQL::Test::Utils::tempdir();
my $cases_file = "$tmp/cases.tsv";

my $err = '';
ok(IPC::Run::run([ $python, $gen ], '>', $cases_file, '2>', \$err), 'cases generated')
  or BAIL_OUT("$gen failed (needs $python with python3-phonenumbers): $err");

my (%want, %set_of);
{
	open my $fh, '<:raw', $cases_file or die "open $cases_file: $!";
	while (my $line = <$fh>)
	{
		chomp $line;
		my ($digits, $set, $zones) = split /\t/, $line, -1;
		die "malformed line $.: $line" unless defined $zones && $digits =~ /^[0-9]+$/;
		$want{$digits}   = $zones;
		$set_of{$digits} = $set;
	}
	close $fh;
}
my $total = scalar keys %want;
cmp_ok($total, '>=', $MIN_CASES, "at least $MIN_CASES numbers ($total)");
my $nanp_valid = grep { $set_of{$_} eq 'nanp' } keys %want;
cmp_ok($nanp_valid, '>=', $MIN_NANP_AREA,
	"a valid number for at least $MIN_NANP_AREA NANP area codes ($nanp_valid)");
my $with_zones = grep { $want{$_} ne '' } keys %want;
cmp_ok($with_zones, '>', $total / 2, "most numbers have zones ($with_zones)");
cmp_ok($total - $with_zones, '>', 100, 'some numbers have none (' . ($total - $with_zones) . ')');
my $several = grep { $want{$_} =~ /,/ } keys %want;
cmp_ok($several, '>', 100, "some numbers have several zones ($several)");

# ---------------------------------------------------------------------------
# Our answers.

my $node = new_vapi_node('number_tz');

my $copy_file = "$tmp/cases.copy";
{
	open my $fh, '>:raw', $copy_file or die "open $copy_file: $!";
	print $fh "$_\n" for sort keys %want;
	close $fh or die "close $copy_file: $!";
}
my $answers = $node->safe_psql(
	'postgres', qq{
CREATE TABLE cases (digits text PRIMARY KEY);
COPY cases FROM '$copy_file';
COPY (
	SELECT c.digits, p::text, vapi_pool.e164_country_code(p),
		pg_catalog.array_to_string(vapi_pool.number_timezones(p), ',')
	FROM cases c, LATERAL vapi_pool.e164_try_parse('+' || c.digits, 'US') AS p
	ORDER BY c.digits
) TO STDOUT;
});

my %ours;
for my $line (split /\n/, $answers)
{
	my ($digits, $e164, $cc, $zones) = split /\t/, $line, -1;
	$ours{$digits} = [ $e164, $cc, $zones ];
}
is(scalar(keys %ours), $total, 'SQL answered every number');

# ---------------------------------------------------------------------------
# Compare.

my (%count, @bad, %codes, %multi_seen);
for my $digits (sort keys %want)
{
	my ($e164, $cc, $zones) = @{ $ours{$digits} // [ '\\N', '', '' ] };
	my $set = $set_of{$digits};
	if ($e164 eq '\\N')
	{
		$count{"skipped: the e164 type rejects ($set)"}++;
		next;
	}
	if ($e164 ne "+$digits")
	{
		push @bad, "+$digits ($set): the e164 type reads it as $e164";
		next;
	}
	if ($zones eq $want{$digits})
	{
		$count{"agree ($set)"}++;
		$codes{$cc} = 1;
		$multi_seen{$cc}++ if $zones =~ /,/;
		next;
	}
	push @bad,
	  sprintf("+%s (%s): number_timezones {%s}, libphonenumber {%s}",
		$digits, $set, $zones, $want{$digits});
}

diag(join("\n", map { sprintf("%-45s %6d", $_, $count{$_}) } sort keys %count));

my $agree = 0;
$agree += $count{$_} for grep { /^agree/ } keys %count;
cmp_ok($agree, '>=', 0.95 * $total, "at least 95% of the numbers compared ($agree)");
is($count{'agree (nanp)'} // 0, $nanp_valid, 'every NANP area code with a valid number agrees');
cmp_ok(scalar(keys %codes), '>=', $MIN_CALLING_CODES,
	'numbers of at least ' . $MIN_CALLING_CODES . ' calling codes compared (' . scalar(keys %codes) . ')');
for my $cc (@MULTI_ZONE)
{
	cmp_ok($multi_seen{$cc} // 0, '>', 0, "+$cc: numbers with several zones compared");
}

is(scalar(@bad), 0, 'number_timezones agrees with libphonenumber on every number')
  or diag(join("\n",
	"disagreements (at most $MAX_EXAMPLES of " . scalar(@bad) . "):",
	(map { "  $_" } @bad[ 0 .. ($#bad < $MAX_EXAMPLES - 1 ? $#bad : $MAX_EXAMPLES - 1) ]),
	'reproduce one with:',
	"  $python $gen +<digits>",
	"  psql -c \"SELECT vapi_pool.number_timezones('+<digits>')\"",
	'and the whole test with: make installcheck-tap PROVE_TESTS=t/011_number_timezones.pl'));

# ---------------------------------------------------------------------------
# Every zone of the table is one PostgreSQL knows.

my $unknown = $node->safe_psql('postgres', q{
SELECT pg_catalog.string_agg(z, ', ' ORDER BY z)
FROM vapi_pool.number_timezone_names() AS z
WHERE z NOT IN (SELECT name FROM pg_catalog.pg_timezone_names)
});
is($unknown, '', 'every zone of the table is in pg_timezone_names');

# ... and the table names exactly the zones libphonenumber's map names (by
# their current names: gen_e164_timezones.py's RENAMED_ZONES).
my $listed = $node->safe_psql('postgres',
	q{SELECT pg_catalog.string_agg(z, ',' ORDER BY z COLLATE "C") FROM vapi_pool.number_timezone_names() AS z});
my ($py_zones, $py_err) = ('', '');
IPC::Run::run(
	[
		$python, '-c',
		'import sys; sys.path.insert(0, sys.argv[1]); from gen_e164_timezones import known; '
		  . 'from phonenumbers.tzdata import TIMEZONE_DATA as D; '
		  . 'print(",".join(sorted({z for v in D.values() for z in known(v)})))',
		"$src/extension/e164"
	],
	'>', \$py_zones, '2>', \$py_err) or die "python: $py_err";
chomp $py_zones;
is($listed, $py_zones, 'the table lists the zones of libphonenumber\'s map');

# Each rename of the generator (RENAMED_ZONES) is one the time zone database
# itself makes: where PostgreSQL still knows the old name (Debian 12's tzdata;
# Debian 13's only with tzdata-legacy), it gives the same local time as the
# new name at every week from 1970 to 2037.  (Not the same zone file: Debian
# builds tzdata with its pre-1970 "backzone" histories, so Africa/Asmara has
# its own 1870 while Africa/Asmera is Africa/Nairobi.  The database promises
# a link's clocks only since 1970, and calls are placed now.)
my ($renames, $rn_err) = ('', '');
IPC::Run::run(
	[
		$python, '-c',
		'import sys; sys.path.insert(0, sys.argv[1]); from gen_e164_timezones import RENAMED_ZONES as R; '
		  . 'print("\\n".join("%s %s" % kv for kv in sorted(R.items())))',
		"$src/extension/e164"
	],
	'>', \$renames, '2>', \$rn_err) or die "python: $rn_err";
for my $line (split /\n/, $renames)
{
	my ($old, $new) = split / /, $line;
	SKIP:
	{
		skip "PostgreSQL does not know $old here (tzdata-legacy)", 1
		  unless $node->safe_psql('postgres', "SELECT count(*) FROM pg_catalog.pg_timezone_names WHERE name = '$old'") eq '1';
		is( $node->safe_psql('postgres', qq{
SELECT count(*) FROM pg_catalog.generate_series('1970-01-01 00:00+00'::timestamptz, '2037-12-31', '7 days') AS t
WHERE (t AT TIME ZONE '$old') <> (t AT TIME ZONE '$new')}),
			'0', "$old keeps the clocks of $new since 1970");
	}
}

$node->stop;
done_testing();
