# 070_shim_webhooks.pl
#   vapi-shim end to end against a real cluster: every webhook route with the
#   reference examples (../shared/reference/examples) and fixtures of our
#   own, each Vapi authentication mode (good, bad, stale, missing, rotated),
#   Instantly and Cal.com secrets, duplicate delivery, the Instantly reply
#   that queues a call (issue 8), the clinic drop-off that queues one SMS
#   (issue 9), and a database restarted in the middle of a request stream:
#   no 2xx answer without a stored event.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Digest::SHA qw(hmac_sha256_hex hmac_sha512 hmac_sha256);
use MIME::Base64 qw(encode_base64);
use HTTP::Tiny;
use IO::Socket::INET;
use IPC::Run ();
use POSIX ();
use JSON::PP ();
use Time::HiRes qw(usleep time);
use VapiPoolTest qw(new_vapi_node shim_binary source_dir wait_shim_healthy);

my $shim_bin = shim_binary();
BAIL_OUT("vapi-shim is not built at $shim_bin (run make first)") unless -x $shim_bin;
delete $ENV{$_} for grep { /^VAPI_POOL_/ } keys %ENV;

my $json = JSON::PP->new->canonical;
my $http = HTTP::Tiny->new(timeout => 15);
# copies of ../shared/reference/examples, the contracts' own payloads
my $examples = source_dir() . '/t/fixtures/reference';

my %secret = (
	vapi => 'vapi-current-Q7x2',
	vapi_previous => 'vapi-previous-W4k9',
	instantly => 'instantly-hook-Z3m1',
	cal => 'cal-hook-R8n5',);

my $node = new_vapi_node('shim_webhooks');

# ---------------------------------------------------------------- fixtures

$node->safe_psql('postgres', <<'SQL');
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans');
INSERT INTO orgs (org_id, name, is_clinic, timezone, dropoff_sms_enabled) VALUES
	('cccccccc-0000-4000-8000-000000000000', 'Bright Smile Clinic', true, 'America/New_York', true);
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, secondary_phone_e164, number_pool_active) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/Los_Angeles',
	 '+13105550147', '+13105550148', true),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002', 'Campaign Desk', 'America/Los_Angeles',
	 '+13105550157', NULL, true),
	('cccccccc-0000-4000-8000-000000000000', 'c1000000-0000-4000-8000-000000000001', 'Front desk', 'America/New_York',
	 '+12125550100', NULL, true);
INSERT INTO territories (org_id, zip, broker_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', '90210', 'a1000000-0000-4000-8000-000000000001');
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164, status) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001',
	 'a1000000-0000-4000-8000-000000000001', 'Pat', '+14155550123', 'call_requested'),
	('cccccccc-0000-4000-8000-000000000000', 'c2000000-0000-4000-8000-000000000001',
	 'c1000000-0000-4000-8000-000000000001', 'Rosa', '+12125550177', 'new');
SELECT count(*) FROM (
	SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550199', 'pn_4c2d9e7f')
	UNION ALL SELECT add_pool_number('a1000000-0000-4000-8000-000000000002', '+13105550198', 'pn_campaign')
	UNION ALL SELECT add_pool_number('c1000000-0000-4000-8000-000000000001', '+12125550150', 'pn_clinic')) s;
SELECT count(*) FROM assign_number('a2000000-0000-4000-8000-000000000001');
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, broker_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', '1e24d68f-3645-42ac-a253-8b64ee61feee',
	 '51c0231c-9645-46c3-992a-ec88b782136d', 'a1000000-0000-4000-8000-000000000002');
SQL

# ---------------------------------------------------------------- the shim

my ($shim, $shim_out, $port) = (undef, '', 0);

# Start the shim with the base options plus extra flags; waits for /healthz.
sub start_shim
{
	my (@flags) = @_;
	$port = PostgreSQL::Test::Cluster::get_free_port();
	$shim_out = '';
	my @cmd = (
		$shim_bin,
		'--database-url=' . $node->connstr('postgres'),
		"--listen=127.0.0.1:$port",
		'--intake-assistant-id=9a8b7c6d-barbara',
		'--connector-assistant-id=1d2e3f4a-call-connector',
		'--db-pool-size=4', @flags);
	local $ENV{VAPI_POOL_VAPI_SECRET} = $secret{vapi};
	local $ENV{VAPI_POOL_VAPI_SECRET_PREVIOUS} = $secret{vapi_previous};
	local $ENV{VAPI_POOL_INSTANTLY_SECRET} = $secret{instantly};
	local $ENV{VAPI_POOL_CAL_WEBHOOK_SECRET} = $secret{cal};
	$shim = IPC::Run::start(\@cmd, '<', \undef, '>&', \$shim_out);
	wait_shim_healthy($port, \$shim_out);
}

sub stop_shim
{
	return unless $shim;
	$shim->signal('TERM');
	$shim->finish;
	$shim = undef;
}

# POST a body (string) to a path with headers; returns (status, decoded body or undef, raw).
sub post
{
	my ($path, $body, %headers) = @_;
	my $r = $http->post("http://127.0.0.1:$port$path",
		{ content => $body, headers => { 'content-type' => 'application/json', %headers } });
	my $decoded = eval { $json->decode($r->{content}) };
	return ($r->{status}, $decoded, $r->{content});
}

sub post_vapi
{
	my ($body, %headers) = @_;
	return post('/webhook/vapi', $body, 'x-vapi-secret' => $secret{vapi}, %headers);
}

sub example { return slurp_file("$examples/$_[0]"); }

sub inbox_count
{
	return $node->safe_psql('postgres', 'SELECT count(*) FROM vapi_pool.webhook_inbox');
}

start_shim();

# ---------------------------------------------------------------- Vapi: assistant-request

my ($st, $ans, $raw) = post_vapi(example('assistant-request.json'));
is($st, 200, 'assistant-request: 200');
is($ans->{assistantId}, '1d2e3f4a-call-connector', 'a lead calling their pool number gets the Call Connector');
is($ans->{assistantOverrides}{variableValues}{lead_id}, 'a2000000-0000-4000-8000-000000000001', '... with lead_id');
is($ans->{assistantOverrides}{variableValues}{forward_to_number}, '+13105550147', '... and the broker\'s primary number');
is($ans->{assistantOverrides}{variableValues}{broker_name}, 'Dana Lee', '... and the broker\'s name');
my $first_raw = $raw;
($st, $ans, $raw) = post_vapi(example('assistant-request.json'));
is($st, 200, 'the same assistant-request again: 200');
is($raw, $first_raw, '... with the very same answer');
is($node->safe_psql('postgres',
	"SELECT attempts || '/' || duplicates FROM vapi_pool.webhook_inbox WHERE dedupe_key LIKE 'assistant-request:6f1c2a3e%'"),
	'1/1', '... run once, counted as a duplicate');
is($node->safe_psql('postgres',
	"SELECT count(*) FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = '6f1c2a3e-8c1b-4f7e-9a55-0d3c1b2a4e10'"),
	'1', '... one call log');

# a stranger gets the intake assistant
my $stranger = $json->decode(example('assistant-request.json'));
$stranger->{message}{call}{id} = 'stranger-call-1';
$stranger->{message}{customer}{number} = '+12025550111';
delete $stranger->{message}{call}{customer};
($st, $ans) = post_vapi($json->encode($stranger));
is($ans->{assistantId}, '9a8b7c6d-barbara', 'an unknown caller gets the intake assistant');

# ---------------------------------------------------------------- transfer-destination-request

my $td = $json->decode(example('transfer-destination-request.json'));
($st, $ans) = post_vapi($json->encode($td));
is($ans->{destination}{number}, '+13105550147', 'transfer: the primary number first');
is($ans->{message}{type}, 'request-start', '... with a request-start message');
$td->{message}{timestamp}++;
($st, $ans) = post_vapi($json->encode($td));
is($ans->{destination}{number}, '+13105550148', 'the next transfer request: the secondary number');
$td->{message}{timestamp}++;
($st, $ans) = post_vapi($json->encode($td));
like($ans->{error} // '', qr/no one is available/, 'then a sentence the assistant can say');

# ---------------------------------------------------------------- tool-calls

($st, $ans) = post_vapi(example('tool-calls.json'));
is($st, 200, 'tool-calls: 200');
is_deeply([ map { $_->{toolCallId} } @{ $ans->{results} } ], [ 'call_q1', 'call_q2' ], 'one item per call, in order');
is_deeply([ map { $_->{name} } @{ $ans->{results} } ], [ 'supabase_query', 'check_availability_and_book' ],
	'names echoed');
my $q1 = $json->decode($ans->{results}[0]{result});
ok($q1->{served} && $q1->{broker}{name} eq 'Dana Lee', 'supabase_query answers from the database (ZIP 90210 served)');
unlike($ans->{results}[0]{result}, qr/\n/, 'results are single-line strings');
like($ans->{results}[1]{error} // '', qr/broker_id must be a broker's id/,
	'check_availability_and_book: the example\'s placeholder broker id is refused with a clear error (live booking: t/091)');
($st, $ans) = post_vapi(example('tool-calls.flattened.json'));
is($st, 200, 'the flattened form: 200');
is($ans->{results}[0]{toolCallId}, 'call_f1', '... its id echoed');
ok(defined $ans->{results}[0]{error}, '... an error item when the call belongs to no organisation');

# ---------------------------------------------------------------- status-update, end-of-call-report, others

($st, $ans) = post_vapi(example('status-update.json'));
is($st, 200, 'status-update: 200');
($st, $ans) = post_vapi(example('end-of-call-report.json'));
is($st, 200, 'end-of-call-report: 200');
is($ans->{outcome}, 'answered', '... recorded by record_call_ended');
is( $node->safe_psql(
		'postgres',
		"SELECT status || ' ' || duration_seconds || ' ' || (transcript LIKE '%[EMAIL]%' AND transcript NOT LIKE '%pat@%')
		 FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = '6f1c2a3e-8c1b-4f7e-9a55-0d3c1b2a4e10'"),
	'ended 150.75 true',
	'... the call log ended, durationSeconds kept, transcript redacted');
is( $node->safe_psql(
		'postgres',
		"SELECT payload #> '{message,artifact}' ? 'transcript' FROM vapi_pool.webhook_inbox
		 WHERE dedupe_key = 'end-of-call-report:6f1c2a3e-8c1b-4f7e-9a55-0d3c1b2a4e10'"),
	'f', '... and the inbox keeps no raw transcript');
($st, $ans) = post_vapi(example('end-of-call-report.no-answer.legacy.json'));
is($st, 200, 'a legacy end-of-call-report (top-level fields): 200');
($st, $ans) = post_vapi('{"message": {"type": "conversation-update", "timestamp": 1, "call": {"id": "x1"}}}');
is($st, 200, 'another message type: stored, 200');
# the types Vapi waits on but the product does not act on: their neutral answer (docs/webhooks.md)
($st, $ans) = post_vapi('{"message": {"type": "knowledge-base-request", "timestamp": 1, "call": {"id": "x1"}}}');
is_deeply([ $st, $ans ], [ 200, { documents => [] } ], 'a knowledge-base-request: 200 {"documents": []}');
($st) = post_vapi('{"message": {"type": "voice-request", "timestamp": 1, "text": "Hi", "sampleRate": 24000, "call": {"id": "x1"}}}');
is($st, 204, 'a voice-request (Vapi reads the body as audio): 204');
# the bytes on the wire, read to the end of the connection: no body follows the head
{
	my $body = '{"message": {"type": "voice-request", "timestamp": 2, "text": "Hi", "sampleRate": 24000, "call": {"id": "x1"}}}';
	my $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10) or die "connect: $!";
	print $sock "POST /webhook/vapi HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
	  . "x-vapi-secret: $secret{vapi}\r\nContent-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
	local $/;
	my $wire = <$sock> // '';
	close $sock;
	my ($head, $rest) = split /\r\n\r\n/, $wire, 2;
	like($head, qr{^HTTP/1\.1 204 }, '... on the wire too');
	is($rest // '', '', '... with no body at all');
}

# the seed's separate paths are aliases
for my $alias (qw(/webhook/vapi-inbound /webhook/vapi-tools /webhook/vapi-supabase-tool))
{
	($st) = post($alias, '{"message": {"type": "hang", "timestamp": 7, "call": {"id": "alias"}}}',
		'x-vapi-secret' => $secret{vapi});
	is($st, 200, "$alias is an alias of /webhook/vapi");
}

# a body the functions refuse: stored as failed, answered 422, replayable
($st, $ans) = post_vapi('{"message": {"type": "end-of-call-report", "endedReason": "x", "startedAt": "soon", "call": {"id": "bad-1"}}}');
is($st, 422, 'a report the database refuses: 422');
is($node->safe_psql('postgres', "SELECT state FROM vapi_pool.webhook_inbox WHERE dedupe_key = 'end-of-call-report:bad-1'"),
	'failed', '... kept in the inbox as failed (the dead-letter queue)');

# ---------------------------------------------------------------- Instantly (issue 8)

my $before = inbox_count();
($st) = post('/webhook/instantly-reply', example('instantly-reply.json'));
is($st, 401, 'Instantly without its header: 401');
($st) = post('/webhook/instantly-reply', example('instantly-reply.json'), 'X-Webhook-Secret' => 'wrong');
is($st, 401, 'Instantly with a wrong secret: 401');
is(inbox_count(), $before, '... nothing stored for either');
($st, $ans) = post('/webhook/instantly-reply', example('instantly-reply.json'), 'X-Webhook-Secret' => $secret{instantly});
is($st, 200, 'the Instantly example reply: 200');
is($ans->{intent}, 'call_requested', '... read as a call request');
is($ans->{decision}, 'call_queued', '... and a call is queued');
my $job = $node->safe_psql('postgres', <<'SQL');
SELECT o.payload ->> 'customer_number', o.payload ->> 'phone_number_id', o.payload ->> 'from_number',
	   (o.payload ->> 'lead_id') = l.id::text, l.email::text, count(*) OVER ()
FROM vapi_pool.outbox o JOIN vapi_pool.leads l ON l.org_id = o.org_id AND l.id = (o.payload ->> 'lead_id')::uuid
WHERE o.kind = 'vapi.create_call'
SQL
is($job, "+14155550177|pn_campaign|+13105550198|t|pat.quinn\@example.com|1",
	'exactly one create-call job: the number from the reply, the lead, the campaign broker\'s pool number');
($st, $ans) = post('/webhook/instantly-reply', example('instantly-reply.json'), 'X-Webhook-Secret' => $secret{instantly});
is($st, 200, 'the same reply again: 200');
is($node->safe_psql('postgres', "SELECT count(*) FROM vapi_pool.outbox WHERE kind = 'vapi.create_call'"),
	'1', '... and still one job');

# ---------------------------------------------------------------- Cal.com

my $cal_body = slurp_file(source_dir() . '/t/fixtures/cal-booking-cancelled.json');
($st) = post('/webhook/cal', $cal_body, 'X-Cal-Signature-256' => 'deadbeef');
is($st, 401, 'Cal.com with a bad signature: 401');
($st, $ans) = post('/webhook/cal', $cal_body, 'X-Cal-Signature-256' => hmac_sha256_hex($cal_body, $secret{cal}));
is($st, 200, 'Cal.com signed with the webhook secret: 200');
is($ans->{action}, 'unknown_booking', '... a booking we did not make is stored only');

# ---------------------------------------------------------------- clinic drop-off (issue 9)

my $clinic_call = {
	message => {
		type => 'assistant-request',
		call => { id => 'clinic-tap-1', phoneNumberId => 'pn_clinic', customer => { number => '+12125550177' } },
		phoneNumber => { id => 'pn_clinic', number => '+12125550150' },
		customer => { number => '+12125550177' } } };
($st) = post_vapi($json->encode($clinic_call));
is($st, 200, 'clinic: the caller is routed');
my $dropoff = $json->encode(
	{
		message => {
			type => 'end-of-call-report',
			endedReason => 'customer-ended-call',
			startedAt => '2026-11-20T14:00:00Z',
			endedAt => '2026-11-20T14:03:00Z',
			call => { id => 'clinic-tap-1', phoneNumberId => 'pn_clinic' },
			artifact => {
				transcript =>
				  "AI: Bright Smile, this is Voxanne.\nUser: Hi, how much is a nose job? I have asthma, is that a problem?\nAI: It starts at 6,000."
			} } });
($st, $ans) = post_vapi($dropoff);
is($st, 200, 'clinic: the end-of-call report of a caller who asked about a nose job and hung up: 200');
ok($ans->{followup_id}, '... answered with the follow-up it created');
my $counts = "SELECT (SELECT count(*) FROM vapi_pool.dropoff_followups) || ' ' ||
	(SELECT count(*) FROM vapi_pool.outbox WHERE kind = 'vapi.sms') || ' ' ||
	(SELECT string_agg(array_to_string(procedures, ','), ';') FROM vapi_pool.dropoff_followups)";
is($node->safe_psql('postgres', $counts), '1 1 Rhinoplasty', '... exactly one follow-up and one queued SMS');
is( $node->safe_psql(
		'postgres',
		"SELECT transcript LIKE '%[MEDICAL]%' AND transcript NOT LIKE '%asthma%'
		 FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = 'clinic-tap-1'"),
	't', '... the stored transcript keeps no medical history');
($st, $ans) = post_vapi($dropoff);
is($st, 200, 'clinic: the same report again: 200');
is($node->safe_psql('postgres', $counts), '1 1 Rhinoplasty', '... and nothing more');

# ---------------------------------------------------------------- Vapi authentication: secret mode

$before = inbox_count();
my $probe = '{"message": {"type": "hang", "timestamp": 11, "call": {"id": "auth-probe"}}}';
($st, $ans) = post('/webhook/vapi', $probe);
is($st, 401, 'secret mode, header missing: 401');
is_deeply($ans, { error => 'unauthorized' }, '... with a JSON body');
($st) = post('/webhook/vapi', $probe, 'x-vapi-secret' => 'nope');
is($st, 401, 'secret mode, wrong secret: 401');
($st) = post('/webhook/vapi', $probe, 'x-vapi-secret' => $secret{vapi} . 'x');
is($st, 401, 'secret mode, the secret with a suffix: 401');
is(inbox_count(), $before, '... nothing stored for any of them');
($st) = post('/webhook/vapi', $probe, 'X-Vapi-Secret' => $secret{vapi_previous});
is($st, 200, 'secret mode, the previous secret during rotation: 200');
stop_shim();
unlike($shim_out, qr/\Q$_\E/, 'the shim log never shows a secret') for values %secret;
like($shim_out, qr/^\S+ \[\d+\] WARNING: database WARNING \(01000\): webhook vapi end-of-call-report stored as failed/m,
	'an event stored as failed is one line of the shim log');
unlike($shim_out, qr/^(DETAIL|HINT):/m, '... without the detail, which may quote the payload');

# ---------------------------------------------------------------- bearer mode

start_shim('--vapi-auth=bearer');
my $n = 0;
sub probe { $n++; return qq({"message": {"type": "hang", "timestamp": $n, "call": {"id": "auth-$_[0]"}}}); }
($st) = post('/webhook/vapi', probe('b1'), Authorization => "Bearer $secret{vapi}");
is($st, 200, 'bearer mode, good token: 200');
($st) = post('/webhook/vapi', probe('b2'), Authorization => "Bearer $secret{vapi_previous}");
is($st, 200, 'bearer mode, previous token: 200');
($st) = post('/webhook/vapi', probe('b3'), Authorization => "Bearer wrong");
is($st, 401, 'bearer mode, wrong token: 401');
($st) = post('/webhook/vapi', probe('b4'), Authorization => "$secret{vapi}");
is($st, 401, 'bearer mode, token without its prefix: 401');
($st) = post('/webhook/vapi', probe('b5'), 'x-vapi-secret' => $secret{vapi});
is($st, 401, 'bearer mode, the legacy header does not count: 401');
stop_shim();

start_shim('--vapi-auth=bearer', '--vapi-auth-header=X-Vapi-Secret', '--vapi-auth-prefix=none');
($st) = post('/webhook/vapi', probe('b6'), 'X-Vapi-Secret' => $secret{vapi});
is($st, 200, 'bearer mode with a custom header and no prefix: 200');
stop_shim();

# ---------------------------------------------------------------- HMAC mode

start_shim('--vapi-auth=hmac');
sub signed
{
	my ($body, $ts, $key, %o) = @_;
	my $sig = hmac_sha256_hex("$ts.$body", $key);
	return ('x-signature' => ($o{prefix} // '') . $sig, 'x-timestamp' => $ts);
}
my $body = probe('h1');
($st) = post('/webhook/vapi', $body, signed($body, int(time()), $secret{vapi}));
is($st, 200, 'hmac mode, good signature (seconds): 200');
$body = probe('h2');
($st) = post('/webhook/vapi', $body, signed($body, int(time() * 1000), $secret{vapi}));
is($st, 200, 'hmac mode, timestamp in milliseconds: 200');
$body = probe('h3');
($st) = post('/webhook/vapi', $body, signed($body, int(time()), $secret{vapi_previous}));
is($st, 200, 'hmac mode, signed with the previous secret: 200');
$body = probe('h4');
($st) = post('/webhook/vapi', $body, signed($body, int(time()) - 600, $secret{vapi}));
is($st, 401, 'hmac mode, a timestamp ten minutes old: 401');
$body = probe('h5');
($st) = post('/webhook/vapi', $body, signed($body, int(time()) + 600, $secret{vapi}));
is($st, 401, 'hmac mode, a timestamp ten minutes ahead: 401');
$body = probe('h6');
my %h = signed($body, int(time()), $secret{vapi});
($st) = post('/webhook/vapi', $body . ' ', %h);
is($st, 401, 'hmac mode, the body changed after signing: 401');
($st) = post('/webhook/vapi', $body, 'x-signature' => $h{'x-signature'});
is($st, 401, 'hmac mode, timestamp missing: 401');
($st) = post('/webhook/vapi', $body, signed($body, int(time()), 'wrong-key'));
is($st, 401, 'hmac mode, wrong key: 401');
stop_shim();

start_shim('--vapi-auth=hmac', '--vapi-hmac-algorithm=sha512', '--vapi-hmac-encoding=base64',
	'--vapi-hmac-prefix=sha512=');
$body = probe('h7');
my $ts = int(time());
my $b64 = encode_base64(hmac_sha512("$ts.$body", $secret{vapi}), '');
($st) = post('/webhook/vapi', $body, 'x-signature' => "sha512=$b64", 'x-timestamp' => $ts);
is($st, 200, 'hmac mode, sha512 in base64 with a prefix: 200');
($st) = post('/webhook/vapi', probe('h8'), 'x-signature' => "sha512=$b64", 'x-timestamp' => $ts);
is($st, 401, '... that signature on another body: 401');
stop_shim();

# ---------------------------------------------------------------- a database restart mid-stream

start_shim('--db-timeout-ms=2000');
my $results = "$PostgreSQL::Test::Utils::tmp_check/restart_stream.txt";
my $pid = fork();
die "fork: $!" unless defined $pid;
if ($pid == 0)
{
	open my $fh, '>', $results or die;
	my $t = HTTP::Tiny->new(timeout => 10);
	my $end = time() + 8;
	my $i = 0;
	while (time() < $end)
	{
		$i++;
		my $r = $t->post(
			"http://127.0.0.1:$port/webhook/vapi",
			{
				content => qq({"message": {"type": "end-of-call-report", "endedReason": "customer-ended-call", "call": {"id": "restart-$i"}}}),
				headers => { 'content-type' => 'application/json', 'x-vapi-secret' => $secret{vapi} }
			});
		print $fh "restart-$i $r->{status}\n";
		usleep(10_000);
	}
	close $fh;
	# not exit: the END blocks of PostgreSQL::Test::Cluster would tear down the node
	POSIX::_exit(0);
}
usleep(1_500_000);
$node->stop('immediate');
usleep(1_000_000);
$node->start;
waitpid($pid, 0);
my (%answered, %status_seen);
for my $line (split /\n/, slurp_file($results))
{
	my ($id, $code) = split / /, $line;
	$status_seen{$code}++;
	$answered{$id} = 1 if $code =~ /^2/;
}
ok(scalar(keys %answered) > 20, 'restart: requests were answered before and after (' . scalar(keys %answered) . ')');
ok(($status_seen{503} // 0) > 0, 'restart: while the database was down the answer was 503 (' . ($status_seen{503} // 0) . ')');
is(join(',', sort grep { !/^(200|503)$/ } keys %status_seen), '', 'restart: no answer other than 200 and 503');
my %stored = map { $_ => 1 } split /\n/, $node->safe_psql('postgres',
	"SELECT split_part(dedupe_key, ':', 2) FROM vapi_pool.webhook_inbox WHERE dedupe_key LIKE 'end-of-call-report:restart-%'");
my @lost = grep { !$stored{$_} } sort keys %answered;
is(scalar(@lost), 0, 'restart: every event answered 2xx is stored') or diag("lost: @lost[0 .. ($#lost < 9 ? $#lost : 9)]");
stop_shim();

$node->stop;
done_testing();
