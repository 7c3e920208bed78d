# 110_operator_cli.pl
#   vapi-shim status and vapi-shim dead-letters, the operator's command line,
#   against a real cluster: known pools, numbers, calls, dead letters and
#   outbox jobs go in, exactly those figures come out (JSON and tables); the
#   running shim's /healthz is seen, or missed without failing; a dead job
#   replayed is pending again; refusals exit 1 with their SQLSTATE, usage
#   errors exit 2; an unreachable database, a missing extension and an
#   unreadable section exit 1; colour only on a terminal, never with
#   NO_COLOR or --json.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run ();
use JSON::PP ();
use VapiPoolTest qw(new_vapi_node shim_binary wait_shim_healthy);

my $shim_bin = shim_binary();
BAIL_OUT("vapi-shim is not built at $shim_bin (run make first)") unless -x $shim_bin;
delete $ENV{$_} for grep { /^VAPI_POOL_/ } keys %ENV;
delete $ENV{NO_COLOR};

my $json = JSON::PP->new;
my $org = 'aaaaaaaa-0000-4000-8000-000000000110';
my $broker_a = 'a1000000-0000-4000-8000-000000000110';	# Robin Park: one burned number
my $broker_b = 'b1000000-0000-4000-8000-000000000110';	# Sam Ortiz: one number on watch, one lent
my $lead = 'a2000000-0000-4000-8000-000000000110';

my $node = new_vapi_node('operator');
my $db_url = $node->connstr('postgres');
# nothing listens here: the shim probe of most runs finds no shim
my $no_shim = 'http://127.0.0.1:' . PostgreSQL::Test::Cluster::get_free_port();

sub psql { return $node->safe_psql('postgres', $_[0]); }

# Run vapi-shim @args (the database URL added unless given); returns
# (exit status, stdout, stderr).  %$opt: env => {...}, pty => 1 (stdout a
# terminal).
sub shim
{
	my ($opt, @args) = @_;
	my ($out, $err) = ('', '');
	my ($command, @rest) = @args;
	my @cmd = ($shim_bin, $command, (grep({ /^--database-url/ } @args) ? () : "--database-url=$db_url"), @rest);
	local %ENV = (%ENV, %{ $opt->{env} // {} });
	IPC::Run::run(\@cmd, '<', \undef, ($opt->{pty} ? '>pty>' : '>'), \$out, '2>', \$err,
		IPC::Run::timeout(60));
	note("vapi-shim @args: exit " . ($? >> 8) . "\n$out$err");
	return ($? >> 8, $out, $err);
}

# vapi-shim status with no shim to find, human or --json.
sub status { return shim({}, 'status', "--shim-url=$no_shim", @_); }

# Decode a JSON document, or undef (with a failure) when it is not one.
sub decoded
{
	my ($what, $text) = @_;
	my $doc = eval { $json->decode($text) };
	ok(defined $doc, "$what: stdout is one JSON document") or diag($@);
	return $doc // {};
}

# The lines of a titled section of the human output, up to the blank line.
sub section
{
	my ($out, $title) = @_;
	return $out =~ /^\Q$title\E\n((?:.+\n)*)/m ? $1 : '';
}

# ---------------------------------------------------------------- usage

my ($rc, $out, $err) = shim({}, 'status', '--help');
is($rc, 0, 'status --help: exit 0');
like($out, qr/vapi-shim status \[--json\]/, '... showing status');
like($out, qr/vapi-shim dead-letters --replay REF/, '... and dead-letters --replay');

for my $case (
	[ [ 'status', '--frobnicate' ], qr/unknown option "--frobnicate"/, 'an unknown option' ],
	[ [ 'status', 'pools' ], qr/unexpected argument "pools"/, 'an argument that is no option' ],
	[ [ 'status', '--limit', '5' ], qr/--limit is not an option of status/, 'an option of dead-letters' ],
	[ [ 'status', '--json=yes' ], qr/--json takes no value/, 'a value for --json' ],
	[ [ 'status', '--shim-url', 'ftp://127.0.0.1/' ], qr/--shim-url must be an http\(s\) URL/, 'a shim URL that is not http' ],
	[ [ 'dead-letters', '--limit', '0' ], qr/--limit must be a whole number from 1/, '--limit 0' ],
	[ [ 'dead-letters', '--limit', 'ten' ], qr/--limit must be a whole number from 1/, '--limit that is no number' ],
	[ [ 'dead-letters', '--replay' ], qr/--replay needs a value/, '--replay without a ref' ],
	[ [ 'dead-letters', '--replay', 'job:1', '--limit', '5' ], qr/does not go with --replay/, '--limit with --replay' ],
	[ [ 'dead-letters', '--shim-url', $no_shim ], qr/--shim-url is not an option of dead-letters/, 'an option of status' ])
{
	my ($args, $message, $what) = @$case;
	($rc, $out, $err) = shim({}, @$args);
	is($rc, 2, "$what: exit 2");
	like($err, $message, "... saying why");
	is($out, '', '... and printing nothing on stdout');
}

# ---------------------------------------------------------------- no database

my $nowhere = 'postgresql://127.0.0.1:' . PostgreSQL::Test::Cluster::get_free_port() . '/postgres?connect_timeout=5';
($rc, $out, $err) = status('--json', "--database-url=$nowhere");
is($rc, 1, 'status against an unreachable database: exit 1');
like($err, qr/cannot read the database: .*(refused|failed)/, '... saying so on stderr');
my $doc = decoded('status --json, no database', $out);
is($doc->{health}{database}{reachable}, JSON::PP::false, '... health.database.reachable is false');
like($doc->{health}{database}{error} // '', qr/\S/, '... with the reason');
is($doc->{health}{shim}{reachable}, JSON::PP::false, '... the missing shim is a finding');
is($doc->{pools}, undef, '... and pools is null: not read');
($rc, $out, $err) = status("--database-url=$nowhere");
is($rc, 1, 'status (tables) against an unreachable database: exit 1');
like(section($out, 'Health'), qr/database\s+unreachable: /, '... the health table says unreachable, and why');
($rc, $out, $err) = shim({}, 'dead-letters', "--database-url=$nowhere");
is($rc, 1, 'dead-letters against an unreachable database: exit 1');

# ---------------------------------------------------------------- an empty deployment

($rc, $out, $err) = status('--json');
is($rc, 0, 'status --json of a fresh extension: exit 0') or diag($err);
is($err, '', '... nothing on stderr');
$doc = decoded('status --json, fresh', $out);
is($doc->{health}{database}{reachable}, JSON::PP::true, '... the database is reachable');
is($doc->{health}{extension}, psql("SELECT extversion FROM pg_extension WHERE extname = 'vapi_pool'"),
	'... health.extension is the installed version');
is_deeply($doc->{health}{maintenance_jobs}, [], '... no maintenance jobs (no pg_cron in this database)');
is($doc->{health}{shim}{reachable}, JSON::PP::false, '... no shim answers at --shim-url');
is($doc->{health}{shim}{url}, "$no_shim/healthz", '... asked at <shim-url>/healthz');
is_deeply($doc->{pools}, [], '... no pools');
is_deeply($doc->{numbers}, [], '... no numbers');
is_deeply($doc->{dead_letters}, { total => 0, items => [] }, '... no dead letters');
is_deeply($doc->{outbox}, { pending => 0, due => 0, in_flight => 0, dead => 0, oldest_due_at => undef },
	'... an empty outbox');
is_deeply($doc->{calls}, { answered => 0, no_answer => 0, voicemail => 0, failed => 0, in_progress => 0 },
	'... no calls in the last hour');

($rc, $out, $err) = status();
is($rc, 0, 'status (tables) of a fresh extension: exit 0');
for my $title ('Maintenance jobs (pg_cron)', 'Pools (running dry first)', 'Numbers not healthy')
{
	is(section($out, $title), "  none\n", "... \"$title\" says none");
}
like(section($out, 'Health'), qr/shim\s+not reachable at \Q$no_shim\E\/healthz: /, '... the shim is not reachable: a line');
like(section($out, 'Dead letters (newest first)'), qr/\A  total: 0\n  none\n/, '... dead letters: total 0, none');

# ---------------------------------------------------------------- known figures

psql(<<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name) VALUES ('$org', 'Operator Home Loans');
INSERT INTO brokers (org_id, id, name, number_pool_size, number_pool_active) VALUES
	('$org', '$broker_a', 'Robin Park', 2, true),
	('$org', '$broker_b', 'Sam Ortiz', 2, true);
SELECT count(*) FROM (
	SELECT add_pool_number('$broker_a', '+13105550101')
	UNION ALL SELECT add_pool_number('$broker_a', '+13105550102')
	UNION ALL SELECT add_pool_number('$broker_b', '+13105550111')
	UNION ALL SELECT add_pool_number('$broker_b', '+13105550112')) s;
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164, status)
	VALUES ('$org', '$lead', '$broker_b', 'Pat', '+14155550123', 'call_requested');
SELECT count(*) FROM assign_number('$lead');
-- the last hour's outbound calls, per pool number and outcome
INSERT INTO vapi_call_logs (org_id, vapi_call_id, direction, status, from_e164, to_e164, outcome, created_at)
SELECT '$org', 'op-call-' || row_number() OVER (), 'outbound_to_lead', 'ended', c.number, '+14155550123', c.outcome,
	now() - interval '10 minutes'
FROM (VALUES ('+13105550101', 'no_answer', 20), ('+13105550101', 'voicemail', 10),
			 ('+13105550101', 'provider_error', 2),
			 ('+13105550102', 'answered', 30), ('+13105550102', 'no_answer', 10),
			 ('+13105550111', 'answered', 12), ('+13105550111', 'no_answer', 18),
			 ('+13105550112', 'answered', 48), ('+13105550112', 'voicemail', 12)) c (number, outcome, n),
	 generate_series(1, c.n);
-- a call still ringing, and one answered two hours ago (not in the last hour)
INSERT INTO vapi_call_logs (org_id, vapi_call_id, direction, status, from_e164, to_e164, outcome, created_at) VALUES
	('$org', 'op-call-live', 'outbound_to_lead', 'ringing', '+13105550112', '+14155550123', NULL, now()),
	('$org', 'op-call-old', 'outbound_to_lead', 'ended', '+13105550102', '+14155550123', 'answered',
	 now() - interval '2 hours');
SQL
# a webhook that fails (its startedAt is no time): a dead letter
psql(q{SELECT state FROM vapi_pool.receive_webhook('vapi',
	'{"message": {"type": "end-of-call-report", "endedReason": "customer-ended-call", "startedAt": "yesterday-ish", "call": {"id": "op-call-9"}}}')});
my $event = psql("SELECT id FROM vapi_pool.webhook_inbox WHERE state = 'failed'");
like($event, qr/^\d+$/, 'the failing webhook is stored as failed');
# a dead outbox job, after it: the newest dead letter
my $job = psql(<<"SQL");
INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key, state, attempts, last_http_status, last_error)
VALUES ('$org', 'vapi.sms', '{"to": "+14155550123"}', 'operator-test-dead', 'dead', 10, 400,
	'HTTP 400: the number cannot receive texts')
RETURNING id
SQL
my $outbox_pending = psql("SELECT count(*) FROM vapi_pool.outbox WHERE state = 'pending'");

($rc, $out, $err) = status('--json');
is($rc, 0, 'status --json with burned numbers and dead letters: exit 0 (the database was read)') or diag($err);
my $raw = $out;
$doc = decoded('status --json', $out);
is_deeply($doc->{calls}, { answered => 90, no_answer => 48, voicemail => 22, failed => 2, in_progress => 1 },
	'calls: the last hour by outcome, exactly (provider errors are failed, the ringing call in progress)');
is_deeply([ map { [ $_->{number}, $_->{state}, $_->{attempts}, $_->{broker_name} ] } @{ $doc->{numbers} } ],
	[ [ '+13105550101', 'burned', 30, 'Robin Park' ], [ '+13105550111', 'watch', 30, 'Sam Ortiz' ] ],
	'numbers: exactly the burned one and the one on watch, burned first');
is_deeply([ map { [ $_->{answer_rate} + 0, $_->{sibling_answer_rate} + 0 ] } @{ $doc->{numbers} } ],
	[ [ 0, 0.756 ], [ 0.4, 0.8 ] ], '... with their answer rates and their siblings\'');
like($doc->{numbers}[0]{reason} // '', qr/answered 0 of 30 calls/, '... and the reason in words');
is_deeply([ map { [ $_->{broker_name}, $_->{size}, $_->{available} ] } @{ $doc->{pools} } ],
	[ [ 'Sam Ortiz', 2, 1 ], [ 'Robin Park', 2, 2 ] ], 'pools: the one running dry first');
is($doc->{pools}[0]{days_until_dry} + 0, 7, '... Sam Ortiz runs dry in 7 days (1 available, 1 lent in 7 days)');
is($doc->{pools}[0]{pressure} + 0, 0.5, '... at pressure 0.5');
is($doc->{pools}[1]{days_until_dry}, undef, '... Robin Park does not run dry: null');
like($raw, qr/"size"\s*:\s*2\b/, 'numbers are JSON numbers');
like($raw, qr/"days_until_dry"\s*:\s*null/, 'NULL is null');
is($doc->{dead_letters}{total}, 2, 'dead_letters: total 2');
is_deeply([ map { $_->{ref} } @{ $doc->{dead_letters}{items} } ], [ "job:$job", "event:$event" ],
	'... the dead job and the failed event, newest first');
is($doc->{dead_letters}{items}[0]{error}, 'HTTP 400: the number cannot receive texts', '... with their errors');
is($doc->{outbox}{dead}, 1, 'outbox: one dead job');
is($doc->{outbox}{pending}, $outbox_pending, '... and the pending ones the table holds');

# the same as tables
($rc, $out, $err) = status();
is($rc, 0, 'status (tables): exit 0');
unlike($out, qr/\e\[/, '... no ANSI escapes when stdout is not a terminal');
my $numbers = section($out, 'Numbers not healthy');
like($numbers, qr/Sam Ortiz\s+\+13105550111\s+watch\s+30\s+40\.0%\s+80\.0%\s+answered 12 of 30/,
	'numbers: the one on watch, rates as percentages');
like($numbers, qr/Robin Park\s+\+13105550101\s+burned\s+30\s+0\.0%\s+75\.6%/, '... the burned one');
my ($header) = $numbers =~ /^(.*\bstate\b.*)$/m;
my ($watch_line) = $numbers =~ /^(.*\bwatch\b.*)$/m;
my ($burned_line) = $numbers =~ /^(.*\bburned\b.*)$/m;
ok(defined $header && defined $watch_line && defined $burned_line
	  && index($header, 'state') == index($watch_line, 'watch')
	  && index($header, 'state') == index($burned_line, 'burned'),
	'... in aligned columns');
like(section($out, 'Pools (running dry first)'), qr/Sam Ortiz\s+2\s+1\s+50\.0%\s+0\.14\s+-\s+7\.0\n.*Robin Park\s+2\s+2\s+0\.0%\s+0\.00\s+-\s+-\n/,
	'pools: running dry first, "-" for not running dry');
my $dead_section = section($out, 'Dead letters (newest first)');
like($dead_section, qr/\A  total: 2\n/, 'dead letters: the total on its own line');
like($dead_section, qr/job:$job\s+vapi\.sms\s.*\n.*event:$event\s+vapi end-of-call-report\s/, '... the newest first');
like(section($out, 'Outbox backlog'), qr/^\s+\d+\s+\d+\s+0\s+1\s+/m, 'outbox: one dead');
like(section($out, 'Calls in the last hour, by outcome'),
	qr/answered\s+90\n\s+no_answer\s+48\n\s+voicemail\s+22\n\s+failed\s+2\n\s+in_progress\s+1\n/,
	'calls by outcome');

# ---------------------------------------------------------------- maintenance jobs

psql('CREATE EXTENSION pg_cron; SELECT count(*) FROM vapi_pool.schedule_maintenance()');
($rc, $out, $err) = status('--json');
$doc = decoded('status --json with pg_cron', $out);
is_deeply([ map { [ $_->{jobname}, $_->{schedule} ] } @{ $doc->{health}{maintenance_jobs} } ],
	[ [ 'vapi_pool.purge_personal_data', '45 3 * * *' ], [ 'vapi_pool.reconcile_stale_calls', '*/5 * * * *' ],
	  [ 'vapi_pool.release_expired', '0 3 * * *' ], [ 'vapi_pool.rotate_burned_numbers', '20 * * * *' ] ],
	'health: the extension\'s pg_cron jobs');
($rc, $out, $err) = status();
like(section($out, 'Maintenance jobs (pg_cron)'), qr/vapi_pool\.rotate_burned_numbers\s+20 \* \* \* \*\s+yes\s/,
	'... listed in the table, active');

# ---------------------------------------------------------------- dead-letters

($rc, $out, $err) = shim({}, 'dead-letters', '--json');
is($rc, 0, 'dead-letters --json: exit 0') or diag($err);
$doc = decoded('dead-letters --json', $out);
is_deeply([ map { [ @$_{qw(ref kind what attempts sqlstate)} ] } @{ $doc->{items} } ],
	[ [ "job:$job", 'job', 'vapi.sms', 10, 'HTTP 400' ],
	  [ "event:$event", 'event', 'vapi end-of-call-report', 1, '22007' ] ],
	'... the two dead letters, newest first, with kind, what, attempts and SQLSTATE');
is($doc->{items}[0]{org_id}, $org, '... the job\'s organisation');
($rc, $out, $err) = shim({}, 'dead-letters', '--json', '--limit=1');
$doc = decoded('dead-letters --json --limit=1', $out);
is_deeply([ map { $_->{ref} } @{ $doc->{items} } ], [ "job:$job" ], '--limit 1: only the newest');
($rc, $out, $err) = shim({}, 'dead-letters');
is($rc, 0, 'dead-letters (table): exit 0');
unlike($out, qr/\e\[/, '... no ANSI escapes when stdout is not a terminal');
like($out, qr/^  job:$job\s+job\s+vapi\.sms\s+\Q$org\E\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\S*\s+10\s+HTTP 400\s+HTTP 400: the number/m,
	'... the job in the table, its time to the second');
like($out, qr/^  event:$event\s+event\s+vapi end-of-call-report\s+-\s+.*\s1\s+22007\s+invalid input syntax/m,
	'... the event, without an organisation');

# ---------------------------------------------------------------- replay

($rc, $out, $err) = shim({}, 'dead-letters', '--replay', "job:$job");
is($rc, 0, "--replay job:$job: exit 0") or diag($err);
like($out, qr/^job:$job: pending\n  vapi\.sms due at /, '... printing the outcome: pending again');
is(psql("SELECT state || ' ' || attempts FROM vapi_pool.outbox WHERE id = $job"), 'pending 0',
	'... the outbox row is pending, its attempts reset');
($rc, $out, $err) = shim({}, 'dead-letters', '--json');
$doc = decoded('dead-letters --json after the replay', $out);
is_deeply([ map { $_->{ref} } @{ $doc->{items} } ], [ "event:$event" ], '... and it is no dead letter any more');

($rc, $out, $err) = shim({}, 'dead-letters', '--replay', "job:$job");
is($rc, 1, 'replaying a job that is not dead: exit 1');
like($err, qr/replay of job:$job: .*\(SQLSTATE 55000\)/, '... with SQLSTATE 55000 on stderr');
($rc, $out, $err) = shim({}, 'dead-letters', '--replay', 'job:987654');
is($rc, 1, 'an unknown ref: exit 1');
like($err, qr/\(SQLSTATE P0002\)/, '... with SQLSTATE P0002 on stderr');
is($out, '', '... nothing on stdout');
($rc, $out, $err) = shim({}, 'dead-letters', '--replay', 'letter-7');
is($rc, 1, 'a ref of neither form: exit 1');
like($err, qr/dead letter reference must be event:ID or job:ID \(SQLSTATE 22023\)/, '... with SQLSTATE 22023');
like($err, qr/hint: /, '... and the hint');

($rc, $out, $err) = shim({}, 'dead-letters', '--replay', "event:$event", '--json');
is($rc, 1, 'replaying an event that fails again: exit 1');
$doc = decoded('--replay of the event --json', $out);
is_deeply([ @$doc{qw(ref outcome)} ], [ "event:$event", 'failed' ], '... the outcome says failed');
like($err, qr/it failed again and stays a dead letter/, '... and stderr says so');
is(psql("SELECT attempts FROM vapi_pool.webhook_inbox WHERE id = $event"), '2', '... after running it again');

# ---------------------------------------------------------------- the running shim

my $port = PostgreSQL::Test::Cluster::get_free_port();
my $server_out = '';
my $server;
{
	local $ENV{VAPI_POOL_VAPI_SECRET} = 'operator-secret-5Gh2';
	$server = IPC::Run::start([ $shim_bin, "--database-url=$db_url", "--listen=127.0.0.1:$port", '--db-pool-size=1' ],
		'<', \undef, '>&', \$server_out);
}
wait_shim_healthy($port, \$server_out);
($rc, $out, $err) = shim({}, 'status', '--json', "--shim-url=http://127.0.0.1:$port/");
$doc = decoded('status --json with a running shim', $out);
is_deeply([ @{ $doc->{health}{shim} }{qw(url reachable http_status status)} ],
	[ "http://127.0.0.1:$port/healthz", JSON::PP::true, 200, 'ok' ],
	'health.shim: the running shim answers 200 ok');
($rc, $out, $err) = shim({}, 'status', "--listen=127.0.0.1:$port");
like(section($out, 'Health'), qr/shim\s+http:\/\/127\.0\.0\.1:$port\/healthz: HTTP 200, status ok, version /,
	'without --shim-url the shim is asked where --listen says');
$server->signal('TERM');
$server->finish;

# ---------------------------------------------------------------- colour

SKIP:
{
	skip 'IO::Pty is not installed', 6 unless eval { require IO::Pty; 1 };
	($rc, $out, $err) = shim({ pty => 1, env => { TERM => 'xterm' } }, 'status', "--shim-url=$no_shim");
	is($rc, 0, 'status on a terminal: exit 0');
	like($out, qr/\e\[31m[^\n]*\+13105550101/, '... the burned number in red');
	like($out, qr/\e\[33m[^\n]*\+13105550111/, '... the one on watch in yellow');
	($rc, $out, $err) = shim({ pty => 1, env => { TERM => 'xterm', NO_COLOR => '1' } }, 'status', "--shim-url=$no_shim");
	unlike($out, qr/\e\[/, 'NO_COLOR: no colour on a terminal');
	($rc, $out, $err) = shim({ pty => 1, env => { TERM => 'xterm' } }, 'status', '--json', "--shim-url=$no_shim");
	unlike($out, qr/\e\[/, '--json: no colour on a terminal');
	$doc = eval { $json->decode($out) };
	is(ref $doc, 'HASH', '... and still one JSON document');
}

# ---------------------------------------------------------------- a database without it, or with a part missing

$node->safe_psql('postgres', 'CREATE DATABASE plain');
my $plain_url = $node->connstr('plain');
($rc, $out, $err) = status('--json', "--database-url=$plain_url");
is($rc, 1, 'status in a database without the extension: exit 1');
like($err, qr/the vapi_pool extension is not installed/, '... saying so');
$doc = decoded('status --json without the extension', $out);
is_deeply([ $doc->{health}{database}{reachable}, $doc->{health}{extension}, $doc->{pools} ],
	[ JSON::PP::true, undef, undef ], '... the database reachable, no extension, nothing read');

$node->safe_psql('plain', <<'SQL');
CREATE EXTENSION vapi_pool CASCADE;
ALTER EXTENSION vapi_pool DROP VIEW vapi_pool.number_health;
DROP VIEW vapi_pool.number_health;
SQL
($rc, $out, $err) = status('--json', "--database-url=$plain_url");
is($rc, 1, 'status with an unreadable section: exit 1');
like($err, qr/numbers not healthy: relation "vapi_pool\.number_health" does not exist \(SQLSTATE 42P01\)/,
	'... the error with its SQLSTATE on stderr');
$doc = decoded('status --json with a section missing', $out);
is($doc->{numbers}, undef, '... numbers is null');
is_deeply([ $doc->{pools}, $doc->{calls}{answered} ], [ [], 0 ], '... the other sections are still read');
($rc, $out, $err) = status("--database-url=$plain_url");
like(section($out, 'Numbers not healthy'), qr/could not be read: .*42P01/, '... the table says why it is missing');
like(section($out, 'Calls in the last hour, by outcome'), qr/answered\s+0/, '... and shows the rest');

# ---------------------------------------------------------------- what senders wrote, shown safely

# A broker named with a terminal escape, a C1 control (U+009B, a CSI in some
# terminals) and a right-to-left override, and a webhook whose error quotes
# an escape and a newline: none reaches the terminal, and JSON is ASCII.
$node->safe_psql('plain', 'DROP EXTENSION vapi_pool CASCADE');
$node->safe_psql('postgres', <<"SQL");
INSERT INTO vapi_pool.brokers (org_id, id, name, number_pool_active)
	VALUES ('$org', 'e1000000-0000-4000-8000-000000000110', E'Eve \\033[2J\\u009b31m\\u202eevil', true);
SELECT state FROM vapi_pool.receive_webhook('vapi', '{"message": {"type": "end-of-call-report", "endedReason": "x",
	"startedAt": "x\\u001b]0;HACKED\\u0007\\nforged line", "call": {"id": "op-call-esc"}}}');
SQL
my $escape_event = psql("SELECT id FROM vapi_pool.webhook_inbox WHERE payload::text LIKE '%op-call-esc%'");
my $hostile = qr/\e|\xc2\x9b|\xe2\x80\xae|\a/;
($rc, $out, $err) = status();
like($out, qr/Eve\s+\[2J\s+31m\s+evil/, 'status shows the hostile broker name with its controls blanked');
unlike($out . $err, $hostile, '... and writes no control character to the terminal');
($rc, $out, $err) = status('--json');
unlike($out, qr/[^\x00-\x7f]/, 'status --json is ASCII (non-ASCII escaped)');
unlike($out, qr/\e/, '... with no raw escape');
($rc, $out, $err) = shim({}, 'dead-letters');
unlike($out . $err, $hostile, 'dead-letters writes no control character');
($rc, $out, $err) = shim({}, 'dead-letters', '--replay', "event:$escape_event");
is($rc, 1, 'replaying the event that fails again: exit 1');
unlike($out . $err, $hostile, '... and neither its warning nor its error writes a control character');
like($err, qr/HACKED/, '... though they say what failed');

# ---------------------------------------------------------------- who may look

# A role of the service that bypasses row level security (what the shim
# runs as) reads everything; one that does not would see no organisation's
# rows, and is refused rather than shown an all-clear.
psql(q{CREATE ROLE ops LOGIN BYPASSRLS IN ROLE service_role; CREATE ROLE ops2 LOGIN IN ROLE service_role});
(my $ops_url = $db_url) =~ s/user=\S+/user=ops/;
$ops_url .= ' user=ops' unless $ops_url =~ /user=ops/;
($rc, $out, $err) = status('--json', "--database-url=$ops_url");
is($rc, 0, 'status as a service role with BYPASSRLS, not a superuser: exit 0') or diag($err);
$doc = decoded('status --json as ops', $out);
is($doc->{dead_letters}{total}, psql('SELECT count(*) FROM vapi_pool.dead_letters'), '... it sees every dead letter');
is(scalar(@{ $doc->{health}{maintenance_jobs} // [] }), psql("SELECT count(*) FROM vapi_pool.maintenance_jobs"),
	'... and the pg_cron jobs');
(my $ops2_url = $ops_url) =~ s/user=ops/user=ops2/;
($rc, $out, $err) = status("--database-url=$ops2_url");
is($rc, 1, 'status as a role without BYPASSRLS: exit 1');
like($err, qr/does not bypass row level security/, '... saying why, rather than an all-clear');

done_testing();
