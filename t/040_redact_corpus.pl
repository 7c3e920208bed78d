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
# Then the contact's own details (release 0.7.0): t/redact/contact_corpus.tsv
# holds contacts (name, e-mail, phone, ZIP) and lines that mention them in
# ways the pattern rules cannot know.  Each line goes through redact_pii
# alone (before) and through redact_personal with its contact (after); the
# same metrics are taken with [NAME] and [ZIP] added, a line also leaking
# when it keeps more words of the contact's name than expected.  The
# clean-line alteration rate is measured twice: the contact corpus's
# untouched lines with their contact, and every untouched line of
# corpus.tsv with each contact whose names are ordinary words (Will, May,
# Grace, Bill, Hope, Mark).  Asserted: recall after >= 95% and above
# recall before, clean-line alteration <= 10% on the contact corpus (its
# untouched lines are made to trap it: each uses a name word as an
# ordinary word or names someone else) and
# <= 0.5% on corpus.tsv.
#
# Environment:
#   REDACT_CORPUS          corpus file (default t/redact/corpus.tsv)
#   REDACT_CONTACT_CORPUS  contact corpus (default t/redact/contact_corpus.tsv)
#   REDACT_REPORT          file to write the per-type and summary lines to
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

# ---------------------------------------------------------------------------
# One corpus file through redact_pii: its rows checked, every row that is not
# exact printed, and its counts returned.  Kept as raw bytes throughout:
# input, expected and the function's output are compared byte for byte.

my $tmp = PostgreSQL::Test::Utils::tempdir();

my $DIGIT_WORD = qr/\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b/i;

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

sub score_corpus
{
	my ($corpus_path, $name, $table) = @_;

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

	is(join("\n", @malformed), '', "$name: rows are well-formed");

	# COPY takes the fields literally: CSV with a tab delimiter and a quote
	# character that never occurs in the corpus, so neither backslashes nor
	# quotes are interpreted.
	my $copy_file = "$tmp/$name.copy";
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
	DROP TABLE IF EXISTS $table;
	CREATE TABLE $table (line int PRIMARY KEY, input text NOT NULL, expected text NOT NULL);
	COPY $table (line, input, expected) FROM '$copy_sql_path'
	  WITH (FORMAT csv, DELIMITER E'\\t', QUOTE E'\\x01', ENCODING 'UTF8');
	-- An error on one row is a miss for that row, not the end of the run.
	CREATE OR REPLACE FUNCTION redact_corpus_try(t text) RETURNS text LANGUAGE plpgsql AS \$fn\$
	BEGIN
		RETURN coalesce(vapi_pool.redact_pii(t), '<<NULL>>');
	EXCEPTION WHEN others THEN
		RETURN '<<ERROR: ' || SQLERRM || '>>';
	END
	\$fn\$;
	});

	is($node->safe_psql('postgres', "SELECT count(*) FROM $table"),
		$n_rows, "$name: whole corpus loaded");

	my $out = $node->safe_psql(
		'postgres',
		"SELECT line, redact_corpus_try(input) FROM $table ORDER BY line",
		extra_params => [ '-F', "\x1f", '-R', "\x1e" ]);
	my %actual;
	for my $rec (split /\x1e/, $out)
	{
		$rec =~ s/\n\z//;
		next if $rec eq '';
		my ($line, $act) = split /\x1f/, $rec, 2;
		$actual{$line} = $act;
	}

	# Metrics.
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
		diag(sprintf("$name line %d (%s)\n  input:    %s\n  expected: %s\n  actual:   %s",
				$r->{line}, join(', ', @notes), $r->{input}, $r->{expected}, $act));
	}

	my $recall = $items ? $recalled / $items : 0;
	my $per_type = "redact corpus $name per type: " . join(
		', ',
		map {
			sprintf('%s %d/%d%s', $_, $recalled_t{$_} // 0, $items_t{$_} // 0,
				$over_t{$_} ? " (+$over_t{$_} extra)" : '')
		} @TYPES);
	my $summary = sprintf(
		"redact corpus $name: "
		  . '%d rows, %d items, recall %.1f%%, untouched rows changed %d, '
		  . 'over-redactions %d, exact rows %d/%d',
		$n_rows, $items, 100 * $recall, $fp_rows, $over, $exact, $n_rows);
	diag($per_type);
	diag("redact corpus $name: $leak_rows row(s) with raw PII left") if $leak_rows;
	diag($summary);

	return {
		rows      => $n_rows,
		untouched => $n_untouched,
		items     => $items,
		recalled  => $recalled,
		fp_rows   => $fp_rows,
		over      => $over,
		report    => "$per_type\n$summary\n",
	};
}

my $main = score_corpus($corpus_path, 'corpus.tsv', 'redact_corpus');
ok($main->{rows} >= $MIN_ROWS && $main->{untouched} >= $MIN_UNTOUCHED,
	"corpus has $main->{rows} rows (>= $MIN_ROWS), $main->{untouched} untouched (>= $MIN_UNTOUCHED)");
my $recall = $main->{items} ? $main->{recalled} / $main->{items} : 0;
ok($recall >= $MIN_RECALL,
	sprintf('recall %.1f%% >= %.0f%%', 100 * $recall, 100 * $MIN_RECALL));
is($main->{fp_rows}, 0, 'no untouched row changed');
is($main->{over},    0, 'no over-redaction');

# The blind corpora of dates and long numbers (0.7.3, issue 26), together:
# recall >= 99%, at most 1 altered clean line in 200, over-redactions at
# most 1 item in 200.
my %blind = map { $_ => 0 } qw(rows untouched items recalled fp_rows over);
my $report = $main->{report};
for my $path (sort glob(source_dir() . '/t/redact/blind-*.tsv'))
{
	(my $name = $path) =~ s{.*/}{};
	my $m = score_corpus($path, $name, 'redact_blind');
	$blind{$_} += $m->{$_} for keys %blind;
	$report .= $m->{report};
}
my $blind_recall = $blind{items} ? $blind{recalled} / $blind{items} : 0;
my $blind_summary = sprintf(
	'redact corpus blind-*: %d rows, %d items, recall %.1f%%, clean lines altered %d/%d (%.2f%%), over-redactions %d',
	$blind{rows}, $blind{items}, 100 * $blind_recall, $blind{fp_rows}, $blind{untouched},
	$blind{untouched} ? 100 * $blind{fp_rows} / $blind{untouched} : 0, $blind{over});
diag($blind_summary);
$report .= "$blind_summary\n";
ok($blind{rows} >= 400 && $blind{untouched} >= 150,
	"blind corpora have $blind{rows} rows (>= 400), $blind{untouched} clean (>= 150)");
ok($blind_recall >= $MIN_RECALL,
	sprintf('blind corpora: recall %.1f%% >= %.0f%%', 100 * $blind_recall, 100 * $MIN_RECALL));
ok($blind{fp_rows} * 200 <= $blind{untouched},
	"blind corpora: $blind{fp_rows} of $blind{untouched} clean lines altered (at most 1 in 200)");
ok($blind{over} * 200 <= $blind{items},
	"blind corpora: $blind{over} over-redactions in $blind{items} items (at most 1 in 200)");

if (defined $ENV{REDACT_REPORT} && $ENV{REDACT_REPORT} ne '')
{
	open my $fh, '>', $ENV{REDACT_REPORT}
	  or die "open $ENV{REDACT_REPORT}: $!";
	print $fh $report;
	close $fh or die "close $ENV{REDACT_REPORT}: $!";
}

# ---------------------------------------------------------------------------
# The contact's own details: redact_pii alone against redact_personal.

my $contact_path = $ENV{REDACT_CONTACT_CORPUS} // source_dir() . '/t/redact/contact_corpus.tsv';
my $MIN_CONTACT_ROWS       = 100;
my $MIN_CONTACT_UNTOUCHED  = 30;
my $MIN_CONTACT_RECALL     = 0.95;
my $MAX_CONTACT_ALTERATION = 0.10;
my $MAX_CORPUS_ALTERATION  = 0.005;
# Contacts whose names are ordinary words, run on every untouched corpus.tsv line.
my @COMMON_CONTACTS = qw(will may grace bill hope mark);

my @CTYPES = qw(NAME EMAIL PHONE ZIP SSN CARD DOB);
my $CPLACEHOLDER = qr/\[(NAME|EMAIL|PHONE|ZIP|SSN|CARD|DOB)\]/;

my (%contacts, @crows, @cmalformed);
my @clines = eval { tsv_lines($contact_path) } or BAIL_OUT($@ || "no rows in $contact_path");
for my $l (@clines)
{
	my ($lineno, @f) = @$l;
	if ($f[0] eq '@contact')
	{
		if (@f != 7 || $f[1] eq '')
		{
			push @cmalformed, "line $lineno: a contact is \@contact, key, first, last, e-mail, phone, zip";
			next;
		}
		$contacts{ $f[1] } = { key => $f[1], first => $f[2], last => $f[3], email => $f[4],
			phone => $f[5], zip => $f[6] };
		next;
	}
	if (@f != 3 || $f[1] eq '' || $f[2] eq '')
	{
		push @cmalformed, "line $lineno: expected contact, input and expected";
		next;
	}
	push @crows, { line => $lineno, key => $f[0], input => $f[1], expected => $f[2] };
}

sub ctype_counts
{
	my ($s) = @_;
	my %c = map { $_ => 0 } @CTYPES;
	$c{$1}++ while $s =~ /$CPLACEHOLDER/g;
	return \%c;
}

sub ctotal
{
	my ($c) = @_;
	my $n = 0;
	$n += $c->{$_} for @CTYPES;
	return $n;
}

for my $r (@crows)
{
	push @cmalformed, "line $r->{line}: unknown contact $r->{key}" unless $contacts{ $r->{key} };
	$r->{exp_counts} = ctype_counts($r->{expected});
	$r->{untouched}  = ctotal($r->{exp_counts}) == 0;
	push @cmalformed, "line $r->{line}: no placeholder but expected differs from input"
	  if $r->{untouched} && $r->{expected} ne $r->{input};
	push @cmalformed, "line $r->{line}: placeholder(s) already in input"
	  if ctotal(ctype_counts($r->{input})) > 0;
}
push @cmalformed, "contact $_ is not in the contact corpus" for grep { !$contacts{$_} } @COMMON_CONTACTS;
my $n_crows      = scalar @crows;
my $n_cuntouched = grep { $_->{untouched} } @crows;
is(join("\n", @cmalformed), '', 'contact corpus rows are well-formed');
ok($n_crows >= $MIN_CONTACT_ROWS && $n_cuntouched >= $MIN_CONTACT_UNTOUCHED,
	"contact corpus has $n_crows rows (>= $MIN_CONTACT_ROWS), $n_cuntouched untouched (>= $MIN_CONTACT_UNTOUCHED)");

my $has_personal = $node->safe_psql('postgres',
	q{SELECT to_regprocedure('vapi_pool.redact_personal(text, text, text, text, vapi_pool.e164, text)') IS NOT NULL});
if (!ok($has_personal eq 't', 'vapi_pool.redact_personal exists'))
{
	done_testing();
	exit 0;
}

my $ccopy = "$tmp/contacts.copy";
my $rcopy = "$tmp/contact_rows.copy";
{
	open my $fh, '>:raw', $ccopy or die "open $ccopy: $!";
	print $fh join("\t", @{ $contacts{$_} }{qw(key first last email phone zip)}), "\n" for sort keys %contacts;
	close $fh or die "close $ccopy: $!";
	open $fh, '>:raw', $rcopy or die "open $rcopy: $!";
	print $fh join("\t", $_->{line}, $_->{key}, $_->{input}), "\n" for @crows;
	close $fh or die "close $rcopy: $!";
}
(my $ccopy_sql = $ccopy) =~ s/'/''/g;
(my $rcopy_sql = $rcopy) =~ s/'/''/g;
$node->safe_psql(
	'postgres', qq{
CREATE TABLE corpus_contacts (key text PRIMARY KEY, first text, last text, email text, phone text, zip text);
COPY corpus_contacts FROM '$ccopy_sql' WITH (FORMAT csv, DELIMITER E'\\t', QUOTE E'\\x01', ENCODING 'UTF8');
CREATE TABLE contact_corpus (line int PRIMARY KEY, key text NOT NULL, input text NOT NULL);
COPY contact_corpus FROM '$rcopy_sql' WITH (FORMAT csv, DELIMITER E'\\t', QUOTE E'\\x01', ENCODING 'UTF8');
CREATE FUNCTION redact_personal_try(t text, c corpus_contacts) RETURNS text LANGUAGE plpgsql AS \$fn\$
BEGIN
	RETURN coalesce(vapi_pool.redact_personal(t, c.first, c.last, c.email, c.phone::vapi_pool.e164, c.zip),
		'<<NULL>>');
EXCEPTION WHEN others THEN
	RETURN '<<ERROR: ' || SQLERRM || '>>';
END
\$fn\$;
});

# line -> [before, after]
my %cactual;
{
	my $out = $node->safe_psql(
		'postgres',
		'SELECT r.line, redact_corpus_try(r.input), redact_personal_try(r.input, c)'
		  . ' FROM contact_corpus r JOIN corpus_contacts c USING (key) ORDER BY r.line',
		extra_params => [ '-F', "\x1f", '-R', "\x1e" ]);
	for my $rec (split /\x1e/, $out)
	{
		$rec =~ s/\n\z//;
		next if $rec eq '';
		my ($line, $before, $after) = split /\x1f/, $rec, 3;
		$cactual{$line} = [ $before, $after ];
	}
}

# Words of the contact's name (two letters or more), for the leak check.
sub name_words
{
	my ($c) = @_;
	return grep { length >= 2 } map { split /[\s.\-]+/ } grep { defined } ($c->{first}, $c->{last});
}

sub count_words
{
	my ($s, @words) = @_;
	my $n = 0;
	for my $w (@words)
	{
		my $q = quotemeta $w;
		$n++ while $s =~ /(?<![\p{L}\p{N}])$q(?![\p{L}\p{N}])/gi;
	}
	return $n;
}

# Scores one run (0: before, 1: after) of the contact corpus.
sub score_contacts
{
	my ($run, $label) = @_;
	my %s = (items => 0, recalled => 0, fp => 0, over => 0, exact => 0);
	my (%items_t, %recalled_t);
	for my $r (@crows)
	{
		my $act = $cactual{ $r->{line} } ? $cactual{ $r->{line} }[$run] : '<<MISSING>>';
		my $exp = $r->{exp_counts};
		my $got = ctype_counts($act);
		my @words = name_words($contacts{ $r->{key} });
		utf8::decode(my $exp_u = $r->{expected});
		utf8::decode(my $act_u = $act);
		my $leak = $act ne $r->{expected}
		  && (leaks($r->{expected}, $act) || count_words($act_u, @words) > count_words($exp_u, @words));
		my @notes;
		for my $t (@CTYPES)
		{
			my $hit = $exp->{$t} < $got->{$t} ? $exp->{$t} : $got->{$t};
			$hit = 0 if $leak;
			$s{items} += $exp->{$t};
			$s{recalled} += $hit;
			$items_t{$t} += $exp->{$t};
			$recalled_t{$t} += $hit;
			push @notes, sprintf('missed %d %s', $exp->{$t} - $hit, $t) if $hit < $exp->{$t};
			if ($got->{$t} > $exp->{$t})
			{
				$s{over} += $got->{$t} - $exp->{$t};
				push @notes, sprintf('%d extra %s', $got->{$t} - $exp->{$t}, $t);
			}
		}
		push @notes, 'personal data left' if $leak;
		if ($r->{untouched} && $act ne $r->{input})
		{
			$s{fp}++;
			push @notes, 'untouched row changed';
		}
		if ($act eq $r->{expected})
		{
			$s{exact}++;
			next;
		}
		push @notes, 'not exact' unless @notes;
		diag(sprintf("contact corpus line %d, %s (%s)\n  input:    %s\n  expected: %s\n  actual:   %s",
				$r->{line}, $label, join(', ', @notes), $r->{input}, $r->{expected}, $act))
		  if $run == 1;
	}
	$s{recall} = $s{items} ? $s{recalled} / $s{items} : 0;
	$s{per_type} = join(', ',
		map { sprintf('%s %d/%d', $_, $recalled_t{$_} // 0, $items_t{$_} // 0) } grep { $items_t{$_} } @CTYPES);
	return \%s;
}

my $before = score_contacts(0, 'redact_pii');
my $after  = score_contacts(1, 'redact_personal');

# Every untouched corpus.tsv line with each contact whose names are ordinary words.
my ($pairs, $altered) = (0, 0);
{
	my $keys = join(',', map { "'$_'" } @COMMON_CONTACTS);
	my $out = $node->safe_psql(
		'postgres',
		"SELECT r.line, c.key, p.out <> r.input, p.out FROM redact_corpus r"
		  . " CROSS JOIN corpus_contacts c CROSS JOIN LATERAL (SELECT redact_personal_try(r.input, c) AS out) p"
		  . " WHERE c.key IN ($keys) AND r.input = r.expected ORDER BY 1, 2",
		extra_params => [ '-F', "\x1f", '-R', "\x1e" ]);
	for my $rec (split /\x1e/, $out)
	{
		$rec =~ s/\n\z//;
		next if $rec eq '';
		my ($line, $key, $changed, $text) = split /\x1f/, $rec, 4;
		$pairs++;
		next unless $changed eq 't';
		$altered++;
		diag("corpus line $line changed with contact $key: $text");
	}
}

my $contact_alteration = $n_cuntouched ? $after->{fp} / $n_cuntouched : 0;
my $corpus_alteration  = $pairs ? $altered / $pairs : 0;
my @contact_report = (
	sprintf('contact corpus before (redact_pii): %d rows, %d items, recall %.1f%% (%s)',
		$n_crows, $before->{items}, 100 * $before->{recall}, $before->{per_type}),
	sprintf('contact corpus after (redact_personal): recall %.1f%% (%s), over-redactions %d, exact rows %d/%d',
		100 * $after->{recall}, $after->{per_type}, $after->{over}, $after->{exact}, $n_crows),
	sprintf('clean-line alteration: contact corpus %d/%d (%.1f%%), corpus.tsv x %d common-name contacts %d/%d (%.2f%%)',
		$after->{fp}, $n_cuntouched, 100 * $contact_alteration, scalar @COMMON_CONTACTS, $altered, $pairs,
		100 * $corpus_alteration));
diag($_) for @contact_report;

if (defined $ENV{REDACT_REPORT} && $ENV{REDACT_REPORT} ne '')
{
	open my $fh, '>>', $ENV{REDACT_REPORT}
	  or die "open $ENV{REDACT_REPORT}: $!";
	print $fh "$_\n" for @contact_report;
	close $fh or die "close $ENV{REDACT_REPORT}: $!";
}

ok($after->{recall} >= $MIN_CONTACT_RECALL,
	sprintf('contact recall %.1f%% >= %.0f%%', 100 * $after->{recall}, 100 * $MIN_CONTACT_RECALL));
ok($after->{recall} > $before->{recall},
	sprintf('contact details raise recall (%.1f%% -> %.1f%%)', 100 * $before->{recall}, 100 * $after->{recall}));
ok($contact_alteration <= $MAX_CONTACT_ALTERATION,
	sprintf('contact corpus clean lines altered %.1f%% <= %.0f%%', 100 * $contact_alteration,
		100 * $MAX_CONTACT_ALTERATION));
ok($corpus_alteration <= $MAX_CORPUS_ALTERATION,
	sprintf('corpus.tsv clean lines altered by common names %.2f%% <= %.1f%%', 100 * $corpus_alteration,
		100 * $MAX_CORPUS_ALTERATION));

$node->stop;
done_testing();
