# 090_dispatcher.pl
#   vapi-shim dispatch end to end: a real cluster, the outbox SQL API and
#   the Vapi/Cal.com stand-in (t/lib/VendorStandin.pm).  An Instantly reply
#   becomes exactly one POST /call with the documented body and its call id
#   on the call log; exactly one call even when the dispatcher is killed
#   (kill -9) before its claim commits, while its request hangs or is slow at
#   the vendor, and after the vendor answered but before the report; 429 with
#   Retry-After and 500 retried with growing gaps; a job that keeps failing
#   ends dead and outbox_replay sends it again; a bad number is dead at once;
#   Vapi's concurrency limit is retried; two dispatchers never send one job
#   twice; SMS go out as POST /chat; a NOTIFY wakes an idle dispatcher long
#   before its poll; Cal.com jobs without a key, and with one (its base URL,
#   key and cal-api-version header); SIGTERM (in-flight answers reported,
#   claimed jobs put back unsent); a database restart mid-request; no log
#   shows a key or a body.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HTTP::Tiny;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(usleep time);
use VapiPoolTest qw(new_vapi_node shim_binary source_dir);
use VendorStandin;

my $shim_bin = shim_binary();
BAIL_OUT("vapi-shim is not built at $shim_bin (run make first)") unless -x $shim_bin;
delete $ENV{$_} for grep { /^VAPI_POOL_/ } keys %ENV;

my $json = JSON::PP->new->canonical;
my $vapi_key = 'vapi-api-key-Zq81Lm';
my $cal_key = 'cal-api-key-Wt62Pn';
my $org = 'aaaaaaaa-0000-4000-8000-000000000000';
my $dir = PostgreSQL::Test::Utils::tempdir();
my $version;
($version) = slurp_file(source_dir() . '/vapi_pool.control') =~ /^\s*default_version\s*=\s*'([^']+)'/m;

my $node = new_vapi_node('dispatcher');
my $s = VendorStandin->start(vapi_key => $vapi_key, cal_key => $cal_key);

# ---------------------------------------------------------------- fixtures

# The Instantly reply's campaign (as in 070), and 400 leads, each with a
# pool number of its own and an assignment, for the jobs queued below.
# Retries back off from 300 ms here (5 s by default) to keep the test short.
$node->safe_psql('postgres', <<"SQL");
SET search_path = vapi_pool, public;
ALTER DATABASE postgres SET vapi_pool.outbox_backoff_base_ms = 300;
ALTER DATABASE postgres SET vapi_pool.http_timeout_ms = 5000;
INSERT INTO orgs (org_id, name) VALUES ('$org', 'Acme Home Loans');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active) VALUES
	('$org', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/Los_Angeles', '+13105550147', true),
	('$org', 'a1000000-0000-4000-8000-000000000002', 'Campaign Desk', 'America/Los_Angeles', '+13105550157', true);
SELECT count(*) FROM (SELECT add_pool_number('a1000000-0000-4000-8000-000000000002', '+13105550198', 'pn_campaign')) s;
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, broker_id) VALUES
	('$org', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d',
	 'a1000000-0000-4000-8000-000000000002');
SELECT count(*) FROM (SELECT add_pool_number('a1000000-0000-4000-8000-000000000001',
	('+1310555' || n)::e164, 'pn_' || n) FROM generate_series(1000, 1399) n) s;
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, primary_phone_e164)
	SELECT '$org', ('d0000000-0000-4000-8000-00000000' || n)::uuid, 'a1000000-0000-4000-8000-000000000001',
		'Lead', n::text, ('+1415555' || n)::e164
	FROM generate_series(1000, 1399) n;
SELECT count(*) FROM (SELECT assign_number(id) FROM leads WHERE first_name = 'Lead') s;
SQL

# Queue create-call jobs for leads $from to $to (1000-1399) as the engine
# writes them, in one transaction; returns the job ids.  %o: attempt,
# max_attempts, customer_number (override).
sub queue_calls
{
	my ($from, $to, %o) = @_;
	my $number = defined $o{customer_number} ? "'$o{customer_number}'" : 'l.primary_phone_e164::text';
	return $node->safe_psql('postgres', <<"SQL");
INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key, max_attempts)
SELECT a.org_id, 'vapi.create_call', jsonb_build_object('lead_id', a.lead_id, 'assignment_id', a.id,
	'phone_number_id', p.vapi_phone_number_id, 'from_number', p.number, 'customer_number', $number,
	'customer_name', l.name, 'attempt', @{[ $o{attempt} // 1 ]}), 'tap-call-' || a.lead_id || clock_timestamp(),
	@{[ $o{max_attempts} // 10 ]}
FROM vapi_pool.vapi_number_assignments a
JOIN vapi_pool.vapi_number_pool p ON p.id = a.pool_number_id
JOIN vapi_pool.leads l ON l.id = a.lead_id
WHERE a.lead_id IN (SELECT ('d0000000-0000-4000-8000-00000000' || n)::uuid FROM generate_series($from, $to) n)
  AND a.released_at IS NULL
RETURNING id
SQL
}

# Queue one create-call job for lead n; returns its id.
sub queue_call
{
	my ($n, %o) = @_;
	return queue_calls($n, $n, %o);
}

sub job
{
	my ($id, $cols) = @_;
	return $node->safe_psql('postgres', "SELECT $cols FROM vapi_pool.outbox WHERE id = $id");
}

# Wait until job $id is in state $state (default done).
sub wait_job
{
	my ($id, $state) = @_;
	$state //= 'done';
	return $node->poll_query_until('postgres', "SELECT state = '$state' FROM vapi_pool.outbox WHERE id = $id");
}

# Poll $check until it returns true or $seconds pass; returns its value.
sub wait_for
{
	my ($seconds, $check) = @_;
	my $end = time + $seconds;
	while (time < $end)
	{
		my $r = $check->();
		return $r if $r;
		usleep(50_000);
	}
	return undef;
}

# The stand-in's recorded requests for a method and path.
sub seen
{
	my ($method, $path) = @_;
	return $s->requests(method => $method, path => $path);
}

# Calls the stand-in created for a customer number.
sub calls_for
{
	my ($number) = @_;
	return [ grep { ($_->{customer}{number} // '') eq $number } @{ $s->state->{calls} } ];
}

# The dispatcher's backend, when it waits for a lock.
sub dispatcher_waiting_backend
{
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE application_name = 'vapi-shim dispatch' AND wait_event_type = 'Lock'");
}

# ---------------------------------------------------------------- the dispatcher

my @logs;

# Start a dispatcher named $name with extra flags; waits until it is
# connected.  Its stderr goes to a log file of its own.
sub start_dispatcher
{
	my ($name, @flags) = @_;
	my $log = "$dir/$name-" . scalar(@logs) . '.log';
	push @logs, $log;
	open(my $fh, '>', $log) or die "open $log: $!";
	close $fh;
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $log);
		open(STDERR, '>>', $log);
		$ENV{VAPI_POOL_VAPI_API_KEY} = $vapi_key;
		no warnings 'exec';
		exec { $shim_bin } $shim_bin, 'dispatch', '--database-url=' . $node->connstr('postgres'),
		  '--vapi-base-url=' . $s->vapi_url, '--cal-base-url=' . $s->cal_url,
		  '--intake-assistant-id=asst_intake_barbara', "--dispatcher-name=$name",
		  '--dispatch-poll-ms=250', @flags;
		POSIX::_exit(127);
	}
	my $d = { pid => $pid, log => $log, name => $name };
	wait_for(10, sub { slurp_file($log) =~ /database \(claims\): connected/ })
	  or die "dispatcher $name did not connect:\n" . slurp_file($log);
	return $d;
}

# kill -9 a dispatcher.
sub kill9
{
	my ($d) = @_;
	kill 'KILL', $d->{pid};
	waitpid($d->{pid}, 0);
}

# SIGTERM a dispatcher and wait for it (at most $seconds); returns its exit code (-1: still running).
sub stop_dispatcher
{
	my ($d, $seconds) = @_;
	kill 'TERM', $d->{pid};
	return wait_exit($d, $seconds);
}

# Waits (up to $seconds, default 20) for the dispatcher to exit: its exit
# status, or -1 after killing it.
sub wait_exit
{
	my ($d, $seconds) = @_;
	my $end = time + ($seconds // 20);
	while (time < $end)
	{
		return $? >> 8 if waitpid($d->{pid}, POSIX::WNOHANG()) == $d->{pid};
		usleep(20_000);
	}
	kill 'KILL', $d->{pid};
	waitpid($d->{pid}, 0);
	return -1;
}

# ---------------------------------------------------------------- usage

{
	my $out = `$shim_bin dispatch --database-url=dbname=x 2>&1`;
	is($? >> 8, 2, 'dispatch without a Vapi API key: exit 2');
	like($out, qr/VAPI_POOL_VAPI_API_KEY/, '... naming the variable');
}

# ---------------------------------------------------------------- an Instantly reply: one call

my $reply = slurp_file(source_dir() . '/t/fixtures/reference/instantly-reply.json');
my ($decision, $job1) = split /\|/, $node->safe_psql('postgres',
	"SELECT decision, outbox_id FROM vapi_pool.handle_instantly_event(\$json\$$reply\$json\$::jsonb)");
is($decision, 'call_queued', 'the Instantly reply queues a call');

my $d = start_dispatcher('d1');
ok(wait_job($job1), 'the create-call job is done');
my $posts = seen('POST', '/call');
is(scalar(@$posts), 1, 'exactly one POST /call reached Vapi');
my $call = $posts->[0];
my $lead = job($job1, "payload ->> 'lead_id'");
is_deeply(
	$call->{body},
	{
		assistantId => 'asst_intake_barbara',
		phoneNumberId => 'pn_campaign',
		customer => { number => '+14155550177', name => 'Pat Quinn' },
		assistantOverrides => {
			variableValues => { lead_id => $lead },
			# voicemail detection and the message (0.6.0, docs/pool_engine.md "Voicemail")
			voicemailDetection => { provider => 'vapi', type => 'audio', beepMaxAwaitSeconds => 30 },
			voicemailMessage => "Hi Pat, this is Campaign Desk's office at Acme Home Loans, returning your email. "
			  . 'Please call us back at 310-555-0198. Again, that is 310-555-0198. Thank you!'
		}
	},
	'the documented body: assistant, the campaign pool number, the number from the reply, only lead_id, voicemail');
is($call->{headers}{authorization}, "Bearer $vapi_key", '... with the Vapi API key');
is($call->{headers}{'content-type'}, 'application/json', '... as JSON');
is($call->{headers}{'user-agent'}, "vapi-shim/$version", '... from vapi-shim');
my @vendor_calls = @{ $s->state->{calls} };
is(scalar(@vendor_calls), 1, 'the stand-in holds one call');
is($node->safe_psql('postgres', "SELECT string_agg(vapi_call_id, ',') FROM vapi_pool.vapi_call_logs WHERE lead_id = '$lead'"),
	$vendor_calls[0]{id}, 'its call id is on the lead\'s call log');
is(job($job1, "result ->> 'call_id'"), $vendor_calls[0]{id}, '... and on the job');
like(slurp_file($d->{log}), qr/job $job1 vapi\.create_call attempt 1: POST \/call: HTTP 201 in \d+ ms -> done/,
	'one log line for the job: id, kind, status, state');

# ---------------------------------------------------------------- kill -9 before the claim commits

$s->reset;
kill9($d);
my $lock = $node->background_psql('postgres');
my $j = queue_call(1000);
$lock->query_safe('BEGIN; LOCK TABLE vapi_pool.outbox IN EXCLUSIVE MODE');
$d = start_dispatcher('d2');
my $backend = wait_for(10, \&dispatcher_waiting_backend);
ok($backend, 'kill before the claim commits: the claim waits on a lock');
kill9($d);
$node->safe_psql('postgres', "SELECT pg_terminate_backend($backend)");
$lock->query_safe('COMMIT');
is(job($j, 'state || attempts'), 'pending0', '... the job is untouched');
is(scalar(@{ seen('POST', '/call') }), 0, '... nothing was sent');
$d = start_dispatcher('d3', '--dispatch-lease=2');
ok(wait_job($j), '... restarted: the job is done');
is(scalar(@{ seen('POST', '/call') }), 1, '... with one POST /call');
is(scalar(@{ calls_for('+14155551000') }), 1, '... and one call at Vapi');

# ---------------------------------------------------------------- kill -9 while the request hangs

$s->reset;
$s->misbehave(method => 'POST', path => '/call', mode => 'hang', count => 1);
$j = queue_call(1001);
ok(wait_for(10, sub { @{ seen('POST', '/call') } == 1 }), 'kill while the request hangs: it reached Vapi');
kill9($d);
$d = start_dispatcher('d4', '--dispatch-lease=2');
ok(wait_job($j), '... restarted: the job is done');
my @reqs = grep { $_->{path} eq '/call' } @{ $s->requests(service => 'vapi') };
is(join(' ', map { "$_->{method}:$_->{status}" } @reqs), 'POST:hang GET:200 POST:201',
	'... after the lease: a GET /call found no call, then one POST created it');
is(scalar(@{ calls_for('+14155551001') }), 1, '... one call at Vapi');
is(job($j, "result ->> 'call_id'"), calls_for('+14155551001')->[0]{id}, '... recorded on the job');

# ---------------------------------------------------------------- kill -9 while the vendor is slow

$s->reset;
$s->misbehave(method => 'POST', path => '/call', mode => 'slow', delay => 1.0, count => 1);
$j = queue_call(1002);
ok(wait_for(10, sub { @{ seen('POST', '/call') } == 1 }), 'kill while Vapi is slow: the request reached Vapi');
kill9($d);
ok(wait_for(10, sub { @{ calls_for('+14155551002') } == 1 }), '... Vapi placed the call anyway');
$d = start_dispatcher('d5', '--dispatch-lease=2');
ok(wait_job($j), '... restarted: the job is done');
is(scalar(@{ seen('POST', '/call') }), 1, '... the stand-in saw one POST /call, no second');
is(scalar(@{ seen('GET', '/call') }), 1, '... the reconcile asked with GET /call');
is(job($j, "result ->> 'call_id'"), calls_for('+14155551002')->[0]{id}, '... and adopted the call');
like(slurp_file($d->{log}), qr/job $j vapi\.create_call attempt 2: GET \/call: HTTP 200 .*-> done \(adopted/,
	'... as its log line says');

# ---------------------------------------------------------------- kill -9 after the answer, before the report

$s->reset;
$s->misbehave(method => 'POST', path => '/call', mode => 'slow', delay => 1.0, count => 1);
$j = queue_call(1003);
ok(wait_for(10, sub { @{ seen('POST', '/call') } == 1 }), 'kill after the answer: the request reached Vapi');
$lock->query_safe("BEGIN; SELECT 1 FROM vapi_pool.outbox WHERE id = $j FOR UPDATE");
$backend = wait_for(10, \&dispatcher_waiting_backend);
ok($backend, '... its report waits on the job\'s lock');
is(seen('POST', '/call')->[0]{status}, 201, '... after Vapi answered 201');
kill9($d);
$node->safe_psql('postgres', "SELECT pg_terminate_backend($backend)");
$lock->query_safe('ROLLBACK');
is(job($j, 'state'), 'in_flight', '... the answer never landed');
$d = start_dispatcher('d6', '--dispatch-lease=2');
ok(wait_job($j), '... restarted: the job is done');
is(scalar(@{ seen('POST', '/call') }), 1, '... one POST /call in all');
is(scalar(@{ calls_for('+14155551003') }), 1, '... one call at Vapi');
is(job($j, "result ->> 'call_id'"), calls_for('+14155551003')->[0]{id}, '... adopted by the reconcile');
is($node->safe_psql('postgres',
	"SELECT count(*) FROM vapi_pool.vapi_call_logs WHERE lead_id = 'd0000000-0000-4000-8000-000000001003'"),
	'1', '... one call log');
$lock->quit;
kill9($d);

# ---------------------------------------------------------------- 429 and 500: retried with backoff

$s->reset;
$s->misbehave(method => 'POST', path => '/call', mode => 'status', status => 429, retry_after => 2, count => 1);
$s->misbehave(method => 'POST', path => '/call', mode => 'status', status => 500, count => 2);
$d = start_dispatcher('d7');
$j = queue_call(1004);
ok(wait_job($j), '429 then 500 twice: the job ends done');
@reqs = grep { $_->{path} eq '/call' } @{ $s->requests(service => 'vapi') };
is(join(' ', map { "$_->{method}:$_->{status}" } @reqs), 'POST:429 POST:500 GET:200 POST:500 GET:200 POST:201',
	'... each 500 reconciled with a GET before the next POST');
my @t = map { $_->{t} } @reqs;
cmp_ok($t[1] - $t[0], '>=', 2.0, sprintf('... Retry-After: 2 honoured (%.2f s)', $t[1] - $t[0]));
# backoff 300 ms * 2^(attempts - 1), 25% jitter: after attempt 2 at least 450 ms, after attempt 4 at least 1.8 s
cmp_ok($t[2] - $t[1], '>=', 0.45, sprintf('... the first 500 backs off (%.2f s)', $t[2] - $t[1]));
cmp_ok($t[4] - $t[3], '>=', 1.8, sprintf('... the second 500 backs off longer (%.2f s)', $t[4] - $t[3]));
cmp_ok($t[4] - $t[3], '>', $t[2] - $t[1], '... exponentially');
is(job($j, 'attempts'), '6', '... six attempts');

# ---------------------------------------------------------------- dead, then replayed

$s->reset;
$s->misbehave(method => 'POST', path => '/call', mode => 'status', status => 503,
	body => { message => 'upstream unavailable', statusCode => 503 }, count => -1);
$j = queue_call(1005, max_attempts => 3);
ok(wait_job($j, 'dead'), 'a job that keeps failing ends dead');
is(job($j, "attempts || ' ' || last_http_status || ' ' || last_error"), '3 503 HTTP 503: upstream unavailable',
	'... with its last status and error');
$s->clear_misbehave;
my $before = scalar(@{ seen('POST', '/call') });
$node->safe_psql('postgres', "SELECT vapi_pool.outbox_replay($j)");
ok(wait_job($j), '... outbox_replay sends it again: done');
is(scalar(@{ seen('POST', '/call') }) - $before, 1, '... with one more POST /call');

# ---------------------------------------------------------------- a bad number: dead at once

$s->reset;
$j = queue_call(1006, customer_number => '+1555');
ok(wait_job($j, 'dead'), 'a 400 for a bad number: dead');
like(job($j, "attempts || ' ' || last_http_status || ' ' || last_error"), qr/^1 400 HTTP 400: .*E\.164/,
	'... at once, with Vapi\'s reason');

# ---------------------------------------------------------------- Vapi's concurrency limit: retried

$s->reset;
$s->config(concurrency_limit => 1);
my $http = HTTP::Tiny->new(timeout => 10);
my $busy = $http->post($s->vapi_url . '/call', {
	headers => { authorization => "Bearer $vapi_key", 'content-type' => 'application/json' },
	content => '{"assistantId": "a", "phoneNumberId": "pn_x", "customer": {"number": "+12025550100"}}' });
is($busy->{status}, 201, 'concurrency limit: another call holds the only slot');
$j = queue_call(1007);
ok($node->poll_query_until('postgres', "SELECT state = 'pending' AND last_http_status = 400 FROM vapi_pool.outbox WHERE id = $j"),
	'... the job gets 400 and is pending again: concurrencyBlocked is a retry, not dead');
like(job($j, 'last_error'), qr/Concurrency Limit/i, '... with the reason kept');
$s->end_call;
ok(wait_job($j), '... and once the slot is free the call goes out');
$s->config(concurrency_limit => 0);

# ---------------------------------------------------------------- SMS

$s->reset;
$j = $node->safe_psql('postgres', <<"SQL");
INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key)
SELECT a.org_id, 'vapi.sms', jsonb_build_object('lead_id', a.lead_id, 'purpose', 'tap',
	'customer_number', l.primary_phone_e164, 'customer_name', l.name,
	'phone_number_id', p.vapi_phone_number_id, 'from_number', p.number, 'text', 'Hi Lead, call us back any time.'),
	'tap-sms-1'
FROM vapi_pool.vapi_number_assignments a
JOIN vapi_pool.vapi_number_pool p ON p.id = a.pool_number_id
JOIN vapi_pool.leads l ON l.id = a.lead_id
WHERE a.lead_id = 'd0000000-0000-4000-8000-000000001008'
RETURNING id
SQL
ok(wait_job($j), 'an SMS job is done');
my $chats = seen('POST', '/chat');
is(scalar(@$chats), 1, '... sent as one POST /chat');
is_deeply(
	$chats->[0]{body},
	{
		input => 'Hi Lead, call us back any time.',
		assistantId => 'asst_intake_barbara',
		transport => { type => 'twilio.sms', phoneNumberId => 'pn_1008', customer => { number => '+14155551008' } }
	},
	'... with the twilio.sms transport');
is(job($j, "result ->> 'chat_id'"), $s->state->{chats}[0]{id}, '... the chat id kept');

# ---------------------------------------------------------------- Cal.com without a key

$j = $node->safe_psql('postgres', <<"SQL");
INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key)
VALUES ('$org', 'cal.cancel_booking', '{"booking_uid": "bk_tap_1", "reason": "test"}', 'tap-cancel-1') RETURNING id
SQL
ok(wait_for(10, sub { job($j, 'last_error') =~ /cal\.com API key not configured/ }),
	'a Cal.com job without --cal-api-key: answered "cal.com API key not configured"');
is(job($j, 'state'), 'pending', '... for the database to retry (once a key is configured)');
is(scalar(@{ $s->requests(service => 'cal') }), 0, '... and nothing sent to Cal.com');
$node->safe_psql('postgres', "UPDATE vapi_pool.outbox SET state = 'dead', lease_expires_at = NULL, finished_at = now() WHERE id = $j");
kill9($d);

# ---------------------------------------------------------------- Cal.com with a key

$s->reset;
my $booking = $s->book(eventTypeId => 7001, start => '2030-01-08T17:00:00Z', lengthInMinutes => 30);
$d = start_dispatcher('d7c', "--cal-api-key=$cal_key");
$j = $node->safe_psql('postgres', <<"SQL");
INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key)
VALUES ('$org', 'cal.cancel_booking', '{"booking_uid": "$booking->{uid}", "reason": "Lead asked to cancel"}', 'tap-cancel-2')
RETURNING id
SQL
ok(wait_job($j), 'a Cal.com cancel job with --cal-api-key: done');
my $cancels = $s->requests(service => 'cal');
is(join(' ', map { "$_->{method} $_->{path}" } @$cancels), "POST /v2/bookings/$booking->{uid}/cancel",
	'... one POST under the Cal.com base URL (/v2)');
is($cancels->[0]{headers}{authorization}, "Bearer $cal_key", '... with the Cal.com key');
is($cancels->[0]{headers}{'cal-api-version'}, '2024-08-13', '... and the job\'s own cal-api-version header');
is_deeply($cancels->[0]{body}, { cancellationReason => 'Lead asked to cancel' }, '... and its body');
is((grep { $_->{uid} eq $booking->{uid} } @{ $s->state->{bookings} })[0]{status}, 'cancelled',
	'... the booking is cancelled at Cal.com');
kill9($d);

# ---------------------------------------------------------------- two dispatchers

$s->reset;
$s->misbehave(method => 'POST', path => '/call', mode => 'slow', delay => 0.01, count => -1);
my @two = map { start_dispatcher("twin$_", '--dispatch-batch=8', '--dispatch-concurrency=16') } 1 .. 2;
my $first = $node->safe_psql('postgres', 'SELECT coalesce(max(id), 0) FROM vapi_pool.outbox');
queue_calls(1100 + 50 * $_, 1149 + 50 * $_) for 0 .. 5;
ok($node->poll_query_until('postgres', "SELECT count(*) = 300 FROM vapi_pool.outbox WHERE id > $first AND state = 'done'"),
	'two dispatchers: 300 jobs done');
$posts = seen('POST', '/call');
my %per_number;
$per_number{ $_->{body}{customer}{number} }++ for @$posts;
is(scalar(@$posts), 300, '... 300 POST /call in all');
is(scalar(grep { $per_number{$_} == 1 } keys %per_number), 300, '... each job POSTed once');
is($node->safe_psql('postgres', "SELECT count(*) FROM vapi_pool.outbox WHERE id > $first AND attempts <> 1"), '0',
	'... each in one attempt');
is($node->safe_psql('postgres', "SELECT string_agg(DISTINCT claimed_by, ',' ORDER BY claimed_by) FROM vapi_pool.outbox WHERE id > $first"),
	'twin1,twin2', '... both dispatchers took part');
$s->clear_misbehave;
is(stop_dispatcher($_), 0, "SIGTERM: $_->{name} exits 0") for @two;

# ---------------------------------------------------------------- NOTIFY wakes an idle dispatcher

$s->reset;
$d = start_dispatcher('sleepy', '--dispatch-poll-ms=60000');
sleep 1;									 # idle on LISTEN
my $t0 = time;
$j = queue_call(1009);
ok(wait_for(20, sub { @{ seen('POST', '/call') } == 1 }), 'poll every 60 s: a new job is sent');
my $delay = time - $t0;
cmp_ok($delay, '<', 10, sprintf('... %.2f s after its commit: woken by NOTIFY, not the poll', $delay));
ok(wait_for(10, sub { job($j, 'state') eq 'done' }), '... and reported done at once, not at the next poll');

# ---------------------------------------------------------------- SIGTERM with a request in flight

$s->reset;
# The stand-in holds the answer until the test releases it, once the
# dispatcher has said it is stopping: the request is in flight at the
# SIGTERM whatever the machine's load (a fixed 3 s delay once was not).
$s->misbehave(method => 'POST', path => '/call', mode => 'held', count => 1);
$j = queue_call(1010);
ok(wait_for(10, sub { @{ seen('POST', '/call') } == 1 }), 'SIGTERM while a request is in flight');
kill 'TERM', $d->{pid};
ok(wait_for(10, sub { slurp_file($d->{log}) =~ /stopping \(SIGTERM\)/ }), '... the dispatcher says it is stopping');
like(slurp_file($d->{log}), qr/stopping \(SIGTERM\): 1 requests in flight/, '... with the request in flight');
$s->release;
is(wait_exit($d), 0, '... waits for the answer and exits 0');
is(job($j, 'state'), 'done', '... its answer reported');

# ---------------------------------------------------------------- SIGTERM while claiming: put back unsent

$s->reset;
$lock = $node->background_psql('postgres');
$j = queue_call(1011);
$lock->query_safe('BEGIN; LOCK TABLE vapi_pool.outbox IN EXCLUSIVE MODE');
$d = start_dispatcher('d8');
ok(wait_for(10, \&dispatcher_waiting_backend), 'SIGTERM while a claim waits');
kill 'TERM', $d->{pid};
usleep(300_000);
$lock->query_safe('COMMIT');
$lock->quit;
my $rc = stop_dispatcher($d);
is($rc, 0, '... exit 0');
is(job($j, "state || ' ' || attempts || ' ' || claimed_by"), 'pending 0 d8', '... the claimed job is back, untouched');
is(scalar(@{ seen('POST', '/call') }), 0, '... and was not sent');
like(slurp_file($d->{log}), qr/job $j vapi\.create_call attempt 1: not sent \(stopping\) -> pending/,
	'... reported unsent');

# ---------------------------------------------------------------- the database restarts mid-request

$s->reset;
$s->misbehave(method => 'POST', path => '/call', mode => 'slow', delay => 2.0, count => 1);
$d = start_dispatcher('d9');
ok(wait_job($j, 'in_flight') && wait_for(10, sub { @{ seen('POST', '/call') } == 1 }),
	'database restart: the request is in flight');
$node->stop('immediate');
sleep 3;									 # the answer arrives while the database is down
$node->start;
ok(wait_job($j), '... the answer kept in memory is reported after reconnecting');
is(scalar(@{ seen('POST', '/call') }), 1, '... one POST /call');
is(job($j, "result ->> 'call_id'"), calls_for('+14155551011')->[0]{id}, '... the call recorded');
like(slurp_file($d->{log}), qr/database \(reports\): connected again/, '... the dispatcher reconnected');
is(stop_dispatcher($d), 0, '... and stops cleanly');

# ---------------------------------------------------------------- logs

my $all = join('', map { slurp_file($_) } @logs);
unlike($all, qr/\Q$vapi_key\E|\Q$cal_key\E|Bearer/, 'no log shows an API key');
unlike($all, qr/variableValues|upstream unavailable|twilio\.sms/, 'no log shows a request or answer body');

$s->stop;
$node->stop;
done_testing();
