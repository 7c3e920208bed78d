# 060_reply_corpus.pl
#   Accuracy of vapi_pool.classify_reply on the labelled reply corpus
#   (t/fixtures/replies/, see its README.md): the development set
#   (replies-dev.tsv, a copy of the shared one), the lines written before the
#   classifier (replies-extra.tsv), four sets written blind while it was
#   built and a fifth held out after it (replies-blind-*.tsv).
#
# Every row is id<TAB>intent<TAB>phone<TAB>region<TAB>text ("\n" for a line
# break).  The whole corpus goes through classify_reply in one query on a
# live node, and the test reports, for the development set alone, for the
# project's own lines and for the full set:
#
#   intent accuracy            rows whose intent is the labelled one
#   call_requested precision   rows classified call_requested that are
#   call_requested recall      and labelled call_requested that are found
#   callback number exact      rows labelled call_requested whose phone is
#                              exactly the labelled one (both empty counts)
#
# and asserts the product's targets on the development set and on the full
# set: intent accuracy >= 90%, call_requested precision >= 95%, callback
# number exact match >= 95%.  Every row classified wrongly is printed with
# diag.
#
# Environment:
#   REPLY_CORPUS_DIR  corpus directory (default t/fixtures/replies)
#   REPLY_REPORT      file to write the summary lines to
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VapiPoolTest qw(tsv_lines new_vapi_node source_dir);

my $dir = $ENV{REPLY_CORPUS_DIR} // source_dir() . '/t/fixtures/replies';
my @FILES = qw(replies-dev.tsv replies-extra.tsv replies-blind-1.tsv replies-blind-2.tsv
  replies-blind-3.tsv replies-blind-4.tsv replies-blind-5.tsv replies-blind-6a.tsv replies-blind-6b.tsv
  replies-blind-6c.tsv replies-blind-7.tsv replies-blind-8.tsv replies-blind-9.tsv replies-blind-10.tsv
  replies-blind-11.tsv replies-blind-12.tsv replies-blind-13.tsv replies-blind-14.tsv replies-blind-15.tsv
  replies-blind-16.tsv replies-blind-17.tsv replies-blind-18.tsv replies-blind-19.tsv replies-blind-20.tsv
  replies-blind-21.tsv replies-blind-22.tsv replies-blind-23.tsv replies-blind-24.tsv);
my %INTENTS = map { $_ => 1 }
  qw(call_requested interested not_interested unsubscribe out_of_office wrong_person question unclear);

# Replies that ask for a time, with the local time each asks for (issue 23,
# item 3): id, received (local), zone, expected (local, or "now"), text.
my @TIMES_FILES = qw(reply-times-1.tsv reply-times-2.tsv reply-times-3.tsv reply-times-4.tsv);
my $MIN_TIMES   = 0.90;

# Guards against a truncated corpus: the whole shared development set, and
# the project's own lines (the issue asks for at least 150).
my $DEV_ROWS = 40;
my $MIN_OWN  = 150;

# The product's targets.
my $MIN_ACCURACY  = 0.90;
my $MIN_PRECISION = 0.95;
my $MIN_PHONE     = 0.95;

# ---------------------------------------------------------------------------
# Corpus.

my (@rows, @malformed, %seen);
for my $file (@FILES)
{
	my @lines = eval { tsv_lines("$dir/$file") } or BAIL_OUT($@ || "no rows in $dir/$file");
	for my $l (@lines)
	{
		my ($lineno, @f) = @$l;
		my $where = "$file line $lineno";
		if (@f != 5)
		{
			push @malformed, "$where: expected 5 tab-separated fields";
			next;
		}
		my ($id, $intent, $phone, $region, $text) = @f;
		push @malformed, "$where: duplicate id $id" if $seen{$id}++;
		push @malformed, "$where: unknown intent '$intent'" unless $INTENTS{$intent};
		push @malformed, "$where: phone '$phone' is not E.164" unless $phone eq '' || $phone =~ /^\+[1-9][0-9]{6,14}$/;
		push @malformed, "$where: a phone on a row that is not call_requested"
		  if $phone ne '' && $intent ne 'call_requested';
		push @malformed, "$where: region '$region'" unless $region =~ /^[A-Z]{2}$/;
		push @malformed, "$where: control character \\x01 in text" if $text =~ /\x01/;
		push @rows,
		  {
			file   => $file,
			id     => $id,
			intent => $intent,
			phone  => $phone,
			region => $region,
			text   => $text,
			n      => scalar(@rows) + 1
		  };
	}
}

my $n_dev = grep { $_->{file} eq 'replies-dev.tsv' } @rows;
my $n_own = @rows - $n_dev;
is(join("\n", @malformed), '', 'corpus rows are well-formed');
ok($n_dev == $DEV_ROWS && $n_own >= $MIN_OWN,
	"corpus: $n_dev development rows (= $DEV_ROWS), $n_own own rows (>= $MIN_OWN)");

# ---------------------------------------------------------------------------
# Classify every row on a live node.

my $node;
{
	local $ENV{LC_CTYPE} = 'C.UTF-8';
	$node = new_vapi_node('replies');
}
my $has_fn = $node->safe_psql('postgres',
	q{SELECT to_regprocedure('vapi_pool.classify_reply(text, text)') IS NOT NULL});
if (!ok($has_fn eq 't', 'vapi_pool.classify_reply(text, text) exists'))
{
	done_testing();
	exit 0;
}

# COPY takes the fields literally (CSV with a quote character that never
# occurs); "\n" in the corpus becomes a line break in SQL.
my $tmp       = PostgreSQL::Test::Utils::tempdir();
my $copy_file = "$tmp/replies.copy";
{
	open my $fh, '>:raw', $copy_file or die "open $copy_file: $!";
	print $fh join("\t", $_->{n}, $_->{region}, $_->{text}), "\n" for @rows;
	close $fh or die "close $copy_file: $!";
}
(my $copy_sql_path = $copy_file) =~ s/'/''/g;
$node->safe_psql(
	'postgres', qq{
CREATE TABLE replies (n int PRIMARY KEY, region text NOT NULL, text text NOT NULL);
COPY replies (n, region, text) FROM '$copy_sql_path'
  WITH (FORMAT csv, DELIMITER E'\\t', QUOTE E'\\x01', ENCODING 'UTF8');
UPDATE replies SET text = replace(text, '\\n', E'\\n');
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM replies'), scalar(@rows), 'whole corpus loaded');

my $out = $node->safe_psql(
	'postgres',
	q{SELECT n, c.intent, coalesce(c.phone::text, ''), c.confidence, coalesce(c.evidence, '')
	  FROM replies, vapi_pool.classify_reply(text, region) c ORDER BY n},
	extra_params => [ '-F', "\x1f", '-R', "\x1e" ]);
my %got;
for my $rec (split /\x1e/, $out)
{
	$rec =~ s/\n\z//;
	next if $rec eq '';
	my ($n, $intent, $phone, $confidence, $evidence) = split /\x1f/, $rec, -1;
	$got{$n} = { intent => $intent, phone => $phone, confidence => $confidence, evidence => $evidence };
}
is(scalar(keys %got), scalar(@rows), 'every row classified');

# ---------------------------------------------------------------------------
# Metrics.

# Figures of a set of rows: accuracy, call precision and recall, phone match.
sub figures
{
	my ($name, @set) = @_;
	my ($ok, $pred, $tp, $gold, $phone_ok) = (0) x 5;
	for my $r (@set)
	{
		my $g = $got{ $r->{n} } // { intent => '', phone => '' };
		$ok++ if $g->{intent} eq $r->{intent};
		$pred++ if $g->{intent} eq 'call_requested';
		if ($r->{intent} eq 'call_requested')
		{
			$gold++;
			$tp++       if $g->{intent} eq 'call_requested';
			$phone_ok++ if $g->{phone} eq $r->{phone};
		}
	}
	my %f = (
		name      => $name,
		rows      => scalar(@set),
		accuracy  => @set ? $ok / @set : 0,
		ok        => $ok,
		precision => $pred ? $tp / $pred : 1,
		tp        => $tp,
		pred      => $pred,
		recall    => $gold ? $tp / $gold : 1,
		gold      => $gold,
		phone     => $gold ? $phone_ok / $gold : 1,
		phone_ok  => $phone_ok);
	$f{line} = sprintf(
		'%s: %d rows, intent accuracy %.1f%% (%d/%d), call_requested precision %.1f%% (%d/%d), '
		  . 'recall %.1f%% (%d/%d), callback number exact %.1f%% (%d/%d)',
		$name, $f{rows}, 100 * $f{accuracy}, $ok, $f{rows}, 100 * $f{precision}, $tp, $pred,
		100 * $f{recall}, $tp, $gold, 100 * $f{phone}, $phone_ok, $gold);
	return \%f;
}

for my $r (@rows)
{
	my $g = $got{ $r->{n} } // next;
	my $phone_wrong = $r->{intent} eq 'call_requested' && $g->{phone} ne $r->{phone};
	next if $g->{intent} eq $r->{intent} && !$phone_wrong;
	(my $shown = $r->{text}) =~ s/\\n/ | /g;
	diag(sprintf("%s %s: labelled %s %s, got %s %s (%.2f, \"%s\")\n  %s",
			$r->{file}, $r->{id}, $r->{intent}, $r->{phone} || '-', $g->{intent},
			$g->{phone} || '-', $g->{confidence}, $g->{evidence}, $shown));
}

my @report;
for my $file (@FILES)
{
	push @report, figures("  $file", grep { $_->{file} eq $file } @rows)->{line};
}
my $dev  = figures('development set', grep { $_->{file} eq 'replies-dev.tsv' } @rows);
my $own  = figures('own lines', grep { $_->{file} ne 'replies-dev.tsv' } @rows);
my $full = figures('full set', @rows);
push @report, $dev->{line}, $own->{line}, $full->{line};
diag($_) for @report;

if (defined $ENV{REPLY_REPORT} && $ENV{REPLY_REPORT} ne '')
{
	open my $fh, '>', $ENV{REPLY_REPORT} or die "open $ENV{REPLY_REPORT}: $!";
	print $fh "$_\n" for @report;
	close $fh or die "close $ENV{REPLY_REPORT}: $!";
}

for my $f ($dev, $full)
{
	ok($f->{accuracy} >= $MIN_ACCURACY,
		sprintf('%s: intent accuracy %.1f%% >= %.0f%%', $f->{name}, 100 * $f->{accuracy}, 100 * $MIN_ACCURACY));
	ok($f->{precision} >= $MIN_PRECISION,
		sprintf('%s: call_requested precision %.1f%% >= %.0f%%', $f->{name}, 100 * $f->{precision},
			100 * $MIN_PRECISION));
	ok($f->{phone} >= $MIN_PHONE,
		sprintf('%s: callback number exact match %.1f%% >= %.0f%%', $f->{name}, 100 * $f->{phone},
			100 * $MIN_PHONE));
}

# ---------------------------------------------------------------------------
# Times asked for: reply_call_time read in the lead's zone.

for my $TIMES_FILE (@TIMES_FILES)
{
	my @times = eval { tsv_lines("$dir/$TIMES_FILE") } or BAIL_OUT($@ || "no rows in $dir/$TIMES_FILE");
	my $times_copy = "$tmp/times.copy";
	open my $fh, '>:raw', $times_copy or die "open $times_copy: $!";
	for my $line (@times)
	{
		my (undef, @f) = @$line;
		BAIL_OUT("malformed row $line->[0] in $TIMES_FILE") unless @f == 5;
		print $fh join("\t", @f), "\n";
	}
	close $fh or die "close $times_copy: $!";
	(my $path = $times_copy) =~ s/'/''/g;
	my $res = $node->safe_psql(
		'postgres', qq{
DROP TABLE IF EXISTS times;
CREATE TABLE times (id text PRIMARY KEY, received text, zone text, expected text, text text);
COPY times FROM '$path' WITH (FORMAT csv, DELIMITER E'\\t', QUOTE E'\\x01', ENCODING 'UTF8');
UPDATE times SET text = replace(text, '\\n', E'\\n');
SELECT count(*), count(*) FILTER (WHERE got = want),
       coalesce(string_agg(id || ' wants ' || want || ', got ' || got, '; ' ORDER BY id) FILTER (WHERE got <> want), '')
FROM (SELECT id, CASE WHEN expected = received THEN 'now' ELSE expected END AS want,
             coalesce(to_char(vapi_pool.reply_call_time(text, (received || ' ' || zone)::timestamptz, zone)
                      AT TIME ZONE zone, 'YYYY-MM-DD HH24:MI'), 'now') AS got
      FROM times) s});
	my ($n, $exact, $misses) = split /\|/, $res, 3;
	diag("times asked for ($TIMES_FILE): $exact/$n exact" . ($misses ne '' ? "; misses: $misses" : ''));
	is($n, scalar(@times), "$TIMES_FILE: every row read");
	ok($n > 0 && $exact / $n >= $MIN_TIMES,
		sprintf('%s: %d/%d times read exactly (>= %.0f%%)', $TIMES_FILE, $exact, $n, 100 * $MIN_TIMES));
}

$node->stop;
done_testing();
