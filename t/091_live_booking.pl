# 091_live_booking.pl
#   check_availability_and_book live inside a Vapi tool call (issue 7):
#   vapi-shim sends the Cal.com requests receive_webhook asks for while Vapi
#   waits, hands the answers to continue_webhook and answers Vapi with the
#   final result.  Against a real cluster and the Cal.com stand-in
#   (t/standin/vendor_standin.py): check (GET /slots), book (POST /bookings
#   -> booked with the uid), a slot taken in Cal.com (hold released, other
#   times offered), Cal.com slow past the budget or failing (the hold kept, a
#   cal.create_booking job queued, "being confirmed"), a duplicate delivery
#   while the first waits (never a second POST), other events answered
#   while a worker waits, and one log line per round without keys or bodies.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HTTP::Tiny;
use IPC::Run ();
use JSON::PP ();
use POSIX qw(strftime);
use Time::HiRes qw(usleep time);
use VapiPoolTest qw(new_vapi_node shim_binary source_dir wait_shim_healthy);
use VendorStandin;

my $shim_bin = shim_binary();
BAIL_OUT("vapi-shim is not built at $shim_bin (run make first)") unless -x $shim_bin;
delete $ENV{$_} for grep { /^VAPI_POOL_/ } keys %ENV;

my $json = JSON::PP->new->canonical;
my $http = HTTP::Tiny->new(timeout => 30);
my $examples = source_dir() . '/t/fixtures/reference';
my $vapi_secret = 'vapi-live-S3c9';
my $cal_key = 'cal_live_key_T8q4';
my $vapi_key = 'vapi_live_key_K2w7';
my $org = 'aaaaaaaa-0000-4000-8000-000000000000';
my $broker = 'a1000000-0000-4000-8000-000000000001';
my $event_type = 4242;
my $zone = 'America/Los_Angeles';
my $call_id = 'live-call-0001';

my $cal = VendorStandin->start(cal_key => $cal_key, vapi_key => $vapi_key);
my $node = new_vapi_node('live_booking');

# ---------------------------------------------------------------- fixtures

$node->safe_psql('postgres', <<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name) VALUES ('$org', 'Acme Home Loans');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active, cal_event_type_id) VALUES
	('$org', '$broker', 'Dana Lee', '$zone', '+13105550147', true, $event_type);
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, primary_phone_e164, status) VALUES
	('$org', 'a2000000-0000-4000-8000-000000000001', '$broker', 'Pat', 'Quinn', '+14155550123', 'call_requested');
SELECT add_pool_number('$broker', '+13105550199', 'pn_live');
SELECT count(*) FROM assign_number('a2000000-0000-4000-8000-000000000001');
SQL

# Cal.com's free slots: explicit instants two to five days ahead (17:00 and
# 17:30 UTC are morning times in Los Angeles), each used by one case below.
my @day = map { strftime('%Y-%m-%d', gmtime(time + $_ * 86400)) } 2 .. 5;
my %slot = (
	book => "$day[0]T17:00:00Z",
	taken => "$day[0]T17:30:00Z",
	prebooked => "$day[1]T17:00:00Z",
	slow => "$day[1]T17:30:00Z",
	error5xx => "$day[2]T17:00:00Z",
	duplicate => "$day[2]T17:30:00Z",
	late => "$day[3]T17:00:00Z",
	free => "$day[3]T17:30:00Z",);
$cal->availability(eventTypeId => $event_type, starts => [ sort values %slot ], lengthInMinutes => 30);

# A slot as the assistant reads it out, computed by PostgreSQL's own clock
# arithmetic (not by the extension): "Tuesday, November 24 at 9:00 AM".
sub spoken
{
	my ($instant) = @_;
	return $node->safe_psql('postgres',
		"SELECT to_char('$instant'::timestamptz AT TIME ZONE '$zone', 'FMDay, FMMonth FMDD \"at\" FMHH12:MI AM')");
}

# ---------------------------------------------------------------- the shim

my ($shim, $shim_out, $port) = (undef, '', 0);
my $earlier_out = '';			# the output of the shims stopped before

# Start the shim against the stand-in (2 workers, a short database deadline:
# a tool call must not be cut at --db-timeout-ms), with the Cal.com key
# unless told otherwise; waits for /healthz.
sub start_shim
{
	my (%opts) = @_;
	$port = PostgreSQL::Test::Cluster::get_free_port();
	$shim_out = '';
	my @cmd = (
		$shim_bin,
		'--database-url=' . $node->connstr('postgres'),
		"--listen=127.0.0.1:$port",
		'--intake-assistant-id=9a8b7c6d-barbara',
		'--connector-assistant-id=1d2e3f4a-call-connector',
		'--cal-base-url=' . $cal->cal_url,
		'--vapi-base-url=' . $cal->vapi_url,
		# one turn (--db-active-max=1): a worker waiting for Cal.com must have given it back
		'--db-pool-size=2', '--db-active-max=1', '--db-timeout-ms=2000');
	local $ENV{VAPI_POOL_VAPI_SECRET} = $vapi_secret;
	local $ENV{VAPI_POOL_CAL_API_KEY} = $cal_key unless $opts{no_cal_key};
	local $ENV{VAPI_POOL_VAPI_API_KEY} = $vapi_key;
	$shim = IPC::Run::start(\@cmd, '<', \undef, '>&', \$shim_out);
	wait_shim_healthy($port, \$shim_out);
}

sub stop_shim
{
	return unless $shim;
	$shim->signal('TERM');
	$shim->finish;
	$shim = undef;
	$earlier_out .= $shim_out;
}

# What the shim has written so far (read without blocking).
sub shim_log
{
	for (1 .. 5)
	{
		my $had = length $shim_out;
		$shim->pump_nb if $shim;
		last if length $shim_out == $had;
		usleep(20_000);
	}
	return $shim_out;
}

# POST a Vapi webhook; returns (status, decoded body or undef, seconds taken).
sub post_vapi
{
	my ($body) = @_;
	my $t0 = time;
	my $r = $http->post("http://127.0.0.1:$port/webhook/vapi",
		{ content => $body, headers => { 'content-type' => 'application/json', 'x-vapi-secret' => $vapi_secret } });
	return ($r->{status}, eval { $json->decode($r->{content}) }, time - $t0);
}

# A tool-calls message (tool-calls.json's shape) with one
# check_availability_and_book call: its id and arguments.
sub tool_calls
{
	my ($tool_call_id, $args) = @_;
	my $m = $json->decode(slurp_file("$examples/tool-calls.json"));
	my $call = { id => $tool_call_id, type => 'function',
		function => { name => 'check_availability_and_book', arguments => $json->encode($args) } };
	$m->{message}{call} = { id => $call_id, phoneNumberId => 'pn_live', customer => { number => '+14155550123' } };
	$m->{message}{toolCallList} = [$call];
	$m->{message}{toolWithToolCallList} = [
		{ type => 'function', function => { name => 'check_availability_and_book' }, toolCall => $call } ];
	return $json->encode($m);
}

# The single result item of a tool-calls answer.
sub item_of
{
	my ($answer) = @_;
	return ($answer && ref $answer->{results} eq 'ARRAY' && @{ $answer->{results} } == 1)
	  ? $answer->{results}[0] : {};
}

# The Cal.com requests the stand-in saw since $seq for METHOD PATH.
sub cal_requests
{
	my ($method, $path, $seq) = @_;
	return $cal->requests(service => 'cal', method => $method, path => $path, since_seq => $seq);
}

# The stand-in's last sequence number (requests after it are new).
sub last_seq
{
	return $cal->state->{seq} // 0;
}

# An appointment's "status|cal_booking_uid|cancel_reason|hold_id" at a start.
sub appointment
{
	my ($start) = @_;
	return $node->safe_psql('postgres',
		"SELECT status || '|' || coalesce(cal_booking_uid, '') || '|' || coalesce(cancel_reason, '') || '|' || hold_id
		 FROM vapi_pool.appointments WHERE scheduled_at = '$start' ORDER BY created_at DESC LIMIT 1");
}

# Book $slot{$name} through a tool call (tool call id "tc_$name"); returns
# (HTTP status, the result item, seconds taken, the stand-in seq before).
sub book
{
	my ($name) = @_;
	my $seq = last_seq();
	my ($st, $ans, $took) = post_vapi(tool_calls("tc_$name",
		{ action => 'book', start => $slot{$name}, name => 'Pat Quinn', email => 'pat@example.com' }));
	return ($st, item_of($ans), $took, $seq);
}

start_shim();

# ---------------------------------------------------------------- a logged call

my ($st, $ans) = post_vapi(slurp_file("$examples/assistant-request.json") =~ s/6f1c2a3e-8c1b-4f7e-9a55-0d3c1b2a4e10/$call_id/gr
	  =~ s/pn_4c2d9e7f/pn_live/gr);
is($st, 200, 'the call starts: assistant-request answered');
is($node->safe_psql('postgres', "SELECT count(*) FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = '$call_id'"),
	'1', '... and the call is logged');

# ---------------------------------------------------------------- check

my $seq = last_seq();
($st, $ans) = post_vapi(tool_calls('tc_check', { action => 'check' }));
my $item = item_of($ans);
is($st, 200, 'check: 200');
is($item->{toolCallId}, 'tc_check', '... the tool call id echoed');
like($item->{result} // '', qr/^Free times \(\Q$zone\E\): /, '... a result naming the time zone');
unlike($item->{result} // "\n", qr/[\r\n]/, '... on one line');
like($item->{result} // '', qr/\Q${\ spoken($slot{book})}\E/, '... listing a free slot as a local time');
my $slots = cal_requests('GET', '/v2/slots', $seq);
is(scalar @$slots, 1, 'the stand-in saw one GET /v2/slots');
is($slots->[0]{headers}{'cal-api-version'}, '2024-09-04', '... with cal-api-version 2024-09-04');
is($slots->[0]{query}{eventTypeId}, "$event_type", "... the broker's event type");
is($slots->[0]{query}{timeZone}, $zone, "... the broker's time zone");
is($slots->[0]{headers}{authorization}, "Bearer $cal_key", '... and the Cal.com key');
is($slots->[0]{status}, 200, '... which it answered 200');
is($node->safe_psql('postgres', "SELECT state FROM vapi_pool.webhook_inbox WHERE dedupe_key LIKE 'tool-calls:$call_id:tc_check%'"),
	'processed', 'the event ends processed');

# ---------------------------------------------------------------- book

my ($took);
($st, $item, $took, $seq) = book('book');
is($st, 200, 'book: 200');
like($item->{result} // '', qr/^Booked for \Q${\ spoken($slot{book})}\E \(\Q$zone\E\)\. Confirmation (\S+)\.$/,
	'... a confirmation with the local time and the zone');
my ($uid) = ($item->{result} // '') =~ /Confirmation (\S+)\.$/;
my $posts = cal_requests('POST', '/v2/bookings', $seq);
is(scalar @$posts, 1, 'the stand-in saw exactly one POST /v2/bookings');
is($posts->[0]{headers}{'cal-api-version'}, '2024-08-13', '... with cal-api-version 2024-08-13');
like($posts->[0]{headers}{'content-type'} // '', qr{^application/json}, '... a JSON body');
is($posts->[0]{body}{start}, $slot{book}, '... for the slot');
my ($status, $appt_uid, $reason, $hold) = split /\|/, appointment($slot{book});
is($posts->[0]{body}{metadata}{hold_id}, $hold, "... carrying the appointment's hold id");
is($status, 'booked', 'the appointment is booked');
ok(defined $uid && $appt_uid eq $uid, '... with the Cal.com uid');
is(scalar(grep { $_->{uid} eq ($uid // '') && $_->{status} eq 'accepted' } @{ $cal->state->{bookings} }), 1,
	'... which Cal.com has, accepted');

# ---------------------------------------------------------------- slot taken in Cal.com

$cal->misbehave(service => 'cal', method => 'POST', path => '/v2/bookings', mode => 'taken', count => 1);
($st, $item, $took, $seq) = book('taken');
is($st, 200, 'taken: 200');
like($item->{result} // '', qr/^That time was just taken\. Free times \(\Q$zone\E\): .+/,
	'... the answer offers other times');
($status, undef, $reason) = split /\|/, appointment($slot{taken});
is($status, 'cancelled', 'the hold is released');
like($reason, qr/Cal\.com/, '... and the reason names Cal.com');
is(scalar @{ cal_requests('POST', '/v2/bookings', $seq) }, 1, 'one POST /v2/bookings');
is(scalar @{ cal_requests('GET', '/v2/slots', $seq) }, 1, '... then one GET /v2/slots for the other times');

# a slot somebody booked in Cal.com directly
$cal->book(eventTypeId => $event_type, start => $slot{prebooked});
($st, $item) = book('prebooked');
like($item->{result} // '', qr/^That time was just taken\. Free times/, 'a slot booked in Cal.com meanwhile: other times');
unlike($item->{result} // '', qr/\Q${\ spoken($slot{prebooked})}\E/, '... not that one');
is((split /\|/, appointment($slot{prebooked}))[0], 'cancelled', '... and the hold released');

like(shim_log(), qr/live tool call: inbox \d+ round 1: 1 request \[tc_taken:book=400\] in \d+ ms, \d+ ms since arrival \(budget 15000 ms\): more requests/,
	'each round is logged: the inbox id, the requests and statuses, the times');
like(shim_log(), qr/live tool call: inbox \d+ round 2: 1 request \[tc_taken:alternatives=200\].*: answered 200/,
	'... the second round too');

# ---------------------------------------------------------------- a duplicate while the first waits

# The first delivery waits 3 s for Cal.com (past --db-timeout-ms: a tool call
# has its own deadline); meanwhile the same delivery again and another event.
$cal->misbehave(service => 'cal', method => 'POST', path => '/v2/bookings', mode => 'slow', delay => 3, count => 1);
$seq = last_seq();
my $body = tool_calls('tc_duplicate',
	{ action => 'book', start => $slot{duplicate}, name => 'Pat Quinn', email => 'pat@example.com' });
my $body_file = PostgreSQL::Test::Utils::tempdir() . '/duplicate.json';
PostgreSQL::Test::Utils::append_to_file($body_file, $body);
my $first_out = '';
my $first = IPC::Run::start(
	[ 'curl', '-s', '-m', '30', '-w', '\n%{http_code}', '-H', 'content-type: application/json',
		'-H', "x-vapi-secret: $vapi_secret", '--data-binary', "\@$body_file", "http://127.0.0.1:$port/webhook/vapi" ],
	'<', \undef, '>', \$first_out);
my $waiting = 0;
for (1 .. 100)
{
	last if ($waiting = $node->safe_psql('postgres',
		"SELECT count(*) FROM vapi_pool.webhook_inbox WHERE dedupe_key LIKE 'tool-calls:$call_id:tc_duplicate%' AND state = 'waiting'"));
	usleep(50_000);
}
is($waiting, '1', 'the first delivery waits for Cal.com');
my ($dst, $dans) = post_vapi($body);
is($dst, 200, 'the same delivery again: 200');
like(item_of($dans)->{error} // '', qr/Still working with the calendar/, '... a sentence to wait, at once');
my $status_update = slurp_file("$examples/status-update.json") =~ s/6f1c2a3e-8c1b-4f7e-9a55-0d3c1b2a4e10/$call_id/gr;
my ($ost, undef, $otook) = post_vapi($status_update);
is($ost, 200, 'another event meanwhile: answered by the other worker');
is($node->safe_psql('postgres',
	"SELECT state FROM vapi_pool.webhook_inbox WHERE dedupe_key LIKE 'tool-calls:$call_id:tc_duplicate%'"),
	'waiting', '... while the first is still waiting');
$first->finish;
my ($first_json, $first_status) = $first_out =~ /\A(.*)\n(\d+)\z/s;
is($first_status, '200', 'the first delivery: 200');
like(item_of(eval { $json->decode($first_json // '') })->{result} // '',
	qr/^Booked for \Q${\ spoken($slot{duplicate})}\E/,
	'... booked after 3 s, past --db-timeout-ms (2 s)');
is(scalar @{ cal_requests('POST', '/v2/bookings', $seq) }, 1, 'exactly one POST /v2/bookings for both deliveries');
is((split /\|/, appointment($slot{duplicate}))[0], 'booked', '... and the appointment is booked');

# ---------------------------------------------------------------- a small budget

# vapi_pool.tool_budget_ms for the shim's new connections
stop_shim();
$node->safe_psql('postgres', 'ALTER DATABASE postgres SET vapi_pool.tool_budget_ms = 1500');
start_shim();

# Cal.com answers after 6 s, far past the 1.5 s budget
$cal->misbehave(service => 'cal', method => 'POST', path => '/v2/bookings', mode => 'slow', delay => 6, count => 1);
($st, $item, $took) = book('slow');
is($st, 200, 'Cal.com slow past the budget: 200');
like($item->{result} // '', qr/being confirmed/, '... the booking is being confirmed');
ok($took < 10, sprintf('... answered well under Vapi\'s 20 s (%.1f s)', $took));
($status, undef, undef, $hold) = split /\|/, appointment($slot{slow});
is($status, 'held', '... the hold is kept');
is($node->safe_psql('postgres',
	"SELECT count(*) FROM vapi_pool.outbox WHERE kind = 'cal.create_booking' AND payload ->> 'hold_id' = '$hold'"),
	'1', '... and a cal.create_booking job is in the outbox');
like(shim_log(), qr/live tool call: inbox \d+ round 1: 1 request \[tc_slow:book=0 \([^)]*\)\].*\(budget 1500 ms\): answered 200/,
	'... the round logged with status 0');

# Cal.com fails with a 5xx
$cal->misbehave(service => 'cal', method => 'POST', path => '/v2/bookings', mode => 'status', status => 503, count => 1);
($st, $item) = book('error5xx');
like($item->{result} // '', qr/being confirmed/, 'Cal.com answers 503: the booking is being confirmed');
($status, undef, undef, $hold) = split /\|/, appointment($slot{error5xx});
is($status, 'held', '... the hold is kept');
is($node->safe_psql('postgres',
	"SELECT count(*) FROM vapi_pool.outbox WHERE kind = 'cal.create_booking' AND payload ->> 'hold_id' = '$hold'"),
	'1', '... and a cal.create_booking job is in the outbox');

# The budget counts from the webhook's arrival, over every round: Cal.com
# says "taken" after 1 s, so the other times (answered after 1.2 s) get only
# what is left of the 1.5 s.
$cal->misbehave(service => 'cal', method => 'POST', path => '/v2/bookings', mode => 'taken', delay => 1, count => 1);
$cal->misbehave(service => 'cal', method => 'GET', path => '/v2/slots', mode => 'slow', delay => 1.2, count => 1);
($st, $item, $took, $seq) = book('late');
like($item->{error} // '', qr/^That time was just taken, and the calendar cannot be read right now/,
	'a second round gets what is left of the budget: the other times are cut short');
is(scalar @{ cal_requests('GET', '/v2/slots', $seq) }, 1, '... though they were asked for');
is((split /\|/, appointment($slot{late}))[0], 'cancelled', '... and the hold released');
like(shim_log(), qr/live tool call: inbox \d+ round 2: 1 request \[tc_late:alternatives=0 \([^)]*\)\]/,
	'... the second round logged with status 0');

# ---------------------------------------------------------------- no Cal.com key

# The shim cannot authenticate to Cal.com: nothing is sent, the caller still
# gets an answer.
stop_shim();
start_shim(no_cal_key => 1);
$seq = last_seq();
($st, $ans) = post_vapi(tool_calls('tc_nokey', { action => 'check' }));
like(item_of($ans)->{error} // '', qr/calendar cannot be read right now \(no answer \(no API key configured/,
	'no Cal.com key: an error the assistant can say');
is(scalar @{ $cal->requests(service => 'cal', since_seq => $seq) }, 0, '... and nothing sent to Cal.com');

# ---------------------------------------------------------------- the log

stop_shim();
note($_) for grep { /live tool call/ } split /\n/, $earlier_out;
like($earlier_out, qr/\A(?:.*\n){5}/, 'both shims wrote their output');
unlike($earlier_out, qr/\Q$cal_key\E|\Q$vapi_key\E|\Q$vapi_secret\E/, 'no key or secret in the shim output');
unlike($earlier_out, qr/pat\@example\.com|Pat Quinn|hold_id|"uid"/, 'no request or answer body in the shim output');

$node->stop;
done_testing();
