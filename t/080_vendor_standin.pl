# 080_vendor_standin.pl
#   The vendor stand-in (t/standin/vendor_standin.py, driven through
#   t/lib/VendorStandin.pm) against the reference contracts copied in
#   t/fixtures/reference: Vapi calls (the example request answers 201 with
#   every key of the example answer; E.164 and concurrency-limit 400s; list
#   filters), SMS chats, phone numbers, assistants; Cal.com slots (the
#   example's shape, written in the requested zone and grouped by its local
#   date), bookings (the example's shape, the exact "taken" body, cancel,
#   past, bad range); every misbehaviour mode and its count; bearer keys;
#   the rate limit; recorded requests with their headers and bodies; chunked
#   bodies on a keep-alive connection; the --log file; a failed start.
#   No PostgreSQL needed.
use strict;
use warnings;

use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp ();
use HTTP::Tiny;
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use POSIX qw(strftime);
use Time::HiRes qw(time sleep);
use VendorStandin;

my $examples = abs_path(dirname(__FILE__)) . '/fixtures/reference';
for my $f (qw(vapi-create-call.request.json vapi-create-call.answer.json
	calcom-slots.answer.json calcom-booking.request.json
	calcom-booking.answer.json calcom-booking.answer-taken.json))
{
	BAIL_OUT("missing reference example $examples/$f") unless -f "$examples/$f";
}

my $json = JSON::PP->new->canonical;
my $http = HTTP::Tiny->new(timeout => 10);
my $tmp = File::Temp->newdir('standin-test-XXXXXX', TMPDIR => 1);
my $log = "$tmp/requests.jsonl";
my $uuid_re = qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
my $iso_ms_z = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

# A reference example, decoded.
sub example
{
	my ($name) = @_;
	open(my $fh, '<', "$examples/$name") or die "$examples/$name: $!";
	local $/;
	return $json->decode(<$fh>);
}

# Send METHOD url with an optional JSON body (a reference, or a raw string)
# and headers; return (response, decoded JSON body or undef).  $client is an
# HTTP::Tiny (default: the shared one).
sub api
{
	my ($method, $url, $body, $headers, $client) = @_;
	my %req = (headers => { 'content-type' => 'application/json', %{ $headers // {} } });
	$req{content} = ref $body ? $json->encode($body) : $body if defined $body;
	my $res = ($client // $http)->request($method, $url, \%req);
	my $decoded = eval { $json->decode($res->{content}) };
	return ($res, $decoded);
}

# Sorted keys of a hash reference.
sub keys_of
{
	my ($h) = @_;
	return [ sort keys %$h ];
}

# True when every key of $want is a key of $got.
sub has_keys
{
	my ($got, $want) = @_;
	return !grep { !exists $got->{$_} } keys %$want;
}

my $s = VendorStandin->start(concurrency_limit => 3, log => $log);
ok($s->pid && kill(0, $s->pid), 'the stand-in runs');
like($s->vapi_url, qr{^http://127\.0\.0\.1:\d+$}, 'vapi_url');
like($s->cal_url, qr{^http://127\.0\.0\.1:\d+/v2$}, 'cal_url');
my ($vapi, $cal) = ($s->vapi_url, $s->cal_url);

# ---------------------------------------------------------------- Vapi calls

my $call_req = example('vapi-create-call.request.json');
my $call_ans = example('vapi-create-call.answer.json');
my ($res, $body) = api('POST', "$vapi/call", $call_req, { authorization => 'Bearer test-key' });
is($res->{status}, 201, 'POST /call with the example request: 201');
ok(has_keys($body, $call_ans), 'the answer has every key of the example answer')
  or diag explain [ keys_of($call_ans), keys_of($body) ];
like($body->{id}, $uuid_re, 'id is a uuid');
is($body->{$_}, $call_ans->{$_}, "$_ as in the example") for qw(status type phoneNumberId);
is($body->{customer}{number}, $call_ans->{customer}{number}, 'customer.number as in the example');
is_deeply(keys_of($body->{subscriptionLimits}), keys_of($call_ans->{subscriptionLimits}),
	'subscriptionLimits has the example keys');
is_deeply($body->{subscriptionLimits},
	{ concurrencyBlocked => JSON::PP::false, concurrencyLimit => 3, remainingConcurrentCalls => 2 },
	'subscriptionLimits counts this call');
is_deeply($body->{assistantOverrides}, $call_req->{assistantOverrides}, 'assistantOverrides echoed');
is($body->{assistantId}, $call_req->{assistantId}, 'assistantId echoed');
like($body->{$_}, $iso_ms_z, "$_ is ISO 8601 UTC with milliseconds") for qw(createdAt updatedAt);
ok($body->{orgId}, 'orgId');
my $first_call = $body->{id};

($res, $body) = api('POST', "$vapi/call",
	{ %$call_req, customer => { number => '4155550123' } });
is($res->{status}, 400, 'a number that is not E.164: 400');
is(ref $body->{message}, 'ARRAY', 'the message is an array');
like($body->{message}[0], qr/^customer\.number must be a valid phone number in the E\.164 format\./,
	'the message names customer.number and E.164');
is_deeply([ @$body{qw(error statusCode)} ], [ 'Bad Request', 400 ], 'error and statusCode');

($res, $body) = api('POST', "$vapi/call", { customer => { number => '+14155550123' } });
is($res->{status}, 400, 'no assistantId nor phoneNumberId: 400');
is(scalar @{ $body->{message} }, 2, 'one message per missing field');

($res, $body) = api('POST', "$vapi/call", 'not json');
is($res->{status}, 400, 'a body that is not JSON: 400');

# the limit is 3 and one call is active
for my $n (2, 3)
{
	($res, $body) = api('POST', "$vapi/call", $call_req);
	is($res->{status}, 201, "call $n of 3: 201");
}
is($body->{subscriptionLimits}{remainingConcurrentCalls}, 0, 'no concurrent call left');
($res, $body) = api('POST', "$vapi/call", $call_req);
is($res->{status}, 400, 'over the concurrency limit: 400');
like($body->{message}, qr/concurrency limit/i, 'the message names the concurrency limit');
is_deeply($body->{subscriptionLimits},
	{ concurrencyBlocked => JSON::PP::true, concurrencyLimit => 3, remainingConcurrentCalls => 0 },
	'subscriptionLimits.concurrencyBlocked is true');
is($body->{statusCode}, 400, 'statusCode 400');
my $ended = $s->end_call($first_call);
is_deeply($ended->{ended}, [$first_call], 'end_call ends the call');
($res, $body) = api('POST', "$vapi/call", $call_req);
is($res->{status}, 201, 'an ended call frees its slot');
is(scalar @{ $s->state->{activeCalls} }, 3, 'three calls active');
$s->end_call(undef);
is(scalar @{ $s->state->{activeCalls} }, 0, 'end_call(undef) ends them all');
($res, $body) = api('GET', "$vapi/call/$first_call");
is($body->{status}, 'ended', 'an ended call has status ended');
is($body->{endedReason}, 'customer-ended-call', 'and an endedReason');

# GET /call filters
my @other;
for (1 .. 3)
{
	sleep 0.005;    # distinct createdAt milliseconds
	($res, $body) = api('POST', "$vapi/call", { %$call_req, phoneNumberId => 'pn_other' });
	push @other, $body;
}
$s->end_call(undef);
($res, $body) = api('GET', "$vapi/call?phoneNumberId=pn_other");
is($res->{status}, 200, 'GET /call: 200');
is_deeply([ map { $_->{id} } @$body ], [ map { $_->{id} } reverse @other ],
	'phoneNumberId filters, newest first');
($res, $body) = api('GET', "$vapi/call?phoneNumberId=pn_other&createdAtGe=$other[1]{createdAt}");
is_deeply([ map { $_->{id} } @$body ], [ $other[2]{id}, $other[1]{id} ], 'createdAtGe is inclusive');
($res, $body) = api('GET', "$vapi/call?createdAtGt=$other[1]{createdAt}");
is_deeply([ map { $_->{id} } @$body ], [ $other[2]{id} ], 'createdAtGt is exclusive');
($res, $body) = api('GET', "$vapi/call?createdAtLt=$other[0]{createdAt}&phoneNumberId=pn_4c2d9e7f");
is(scalar @$body, 4, 'createdAtLt with phoneNumberId');
($res, $body) = api('GET', "$vapi/call?limit=2");
is(scalar @$body, 2, 'limit');
($res, $body) = api('GET', "$vapi/call?createdAtGe=yesterday");
is($res->{status}, 400, 'a bad date filter: 400');
($res, $body) = api('GET', "$vapi/call/$other[0]{id}");
is($body->{id}, $other[0]{id}, 'GET /call/{id}');
($res, $body) = api('GET', "$vapi/call/00000000-0000-4000-8000-000000000000");
is($res->{status}, 404, 'an unknown call: 404');
is_deeply($body, { message => "Couldn't Find Call", error => 'Not Found', statusCode => 404 },
	'the 404 body');

# ---------------------------------------------------------------- Vapi chat

my $chat = { input => 'Your appointment is confirmed.', assistantId => 'asst_1',
	transport => { type => 'twilio.sms', phoneNumberId => 'pn_4c2d9e7f',
		customer => { number => '+14155550123' } } };
($res, $body) = api('POST', "$vapi/chat", $chat);
is($res->{status}, 201, 'POST /chat: 201');
like($body->{id}, $uuid_re, 'the chat has an id');
is($body->{input}, $chat->{input}, 'input echoed');
is($body->{output}[0]{role}, 'assistant', 'output[0] is the assistant');
ok(length $body->{output}[0]{content}, 'with content');
like($body->{createdAt}, $iso_ms_z, 'createdAt');
($res, $body) = api('POST', "$vapi/chat",
	{ %$chat, transport => { %{ $chat->{transport} }, type => 'twilio.voice' } });
is($res->{status}, 400, 'a transport that is not twilio.sms: 400');
like(join(' ', @{ $body->{message} }), qr/twilio\.sms/, 'the message names twilio.sms');
($res, $body) = api('POST', "$vapi/chat",
	{ %$chat, transport => { %{ $chat->{transport} }, customer => { number => '555-0123' } } });
is($res->{status}, 400, 'an SMS to a number that is not E.164: 400');
like($body->{message}[0], qr/E\.164/, 'the message names E.164');
($res, $body) = api('POST', "$vapi/chat", { %$chat, input => undef });
is($res->{status}, 400, 'no input: 400');

# ---------------------------------------------------------------- numbers

($res, $body) = api('POST', "$vapi/phone-number",
	{ provider => 'vapi', numberDesiredAreaCode => '415', name => 'pool 1' });
is($res->{status}, 201, 'buy a number: 201');
like($body->{number}, qr/^\+1415555\d{4}$/, 'a +1 415 555 number');
is_deeply([ @$body{qw(provider assistantId status name)} ], [ 'vapi', undef, 'active', 'pool 1' ],
	'provider, assistantId, status, name');
ok(!exists $body->{server}, 'no server unless given');
my $bought = $body;
($res, $body) = api('POST', "$vapi/phone-number",
	{ provider => 'vapi', numberDesiredAreaCode => '415', server => { url => 'http://a/hook' } });
isnt($body->{number}, $bought->{number}, 'a second number is another number');
is($body->{server}{url}, 'http://a/hook', 'server given at purchase');
($res, $body) = api('POST', "$vapi/phone-number", { provider => 'vapi', numberDesiredAreaCode => '41' });
is($res->{status}, 400, 'an area code that is not 3 digits: 400');
($res, $body) = api('POST', "$vapi/phone-number", { provider => 'vapi' });
is($res->{status}, 400, 'no area code: 400');
($res, $body) = api('PATCH', "$vapi/phone-number/$bought->{id}",
	{ server => { url => 'https://shim.example/vapi', timeoutSeconds => 20 } });
is($res->{status}, 200, 'PATCH /phone-number/{id}: 200');
is($body->{server}{url}, 'https://shim.example/vapi', 'server.url set');
($res, $body) = api('PATCH', "$vapi/phone-number/$bought->{id}", { name => 'renamed', server => { secret => 'x' } });
is_deeply([ $body->{name}, $body->{server} ],
	[ 'renamed', { url => 'https://shim.example/vapi', timeoutSeconds => 20, secret => 'x' } ],
	'a second PATCH merges server and sets name');
($res, $body) = api('PATCH', "$vapi/phone-number/nope", { name => 'x' });
is($res->{status}, 404, 'PATCH of an unknown number: 404');
my $seeded = $s->seed_numbers({ id => 'pn_4c2d9e7f', number => '+13105550199' }, '+13105550198');
is(scalar @$seeded, 2, 'seed_numbers');
($res, $body) = api('GET', "$vapi/phone-number/pn_4c2d9e7f");
is($body->{number}, '+13105550199', 'a seeded number keeps its id');
($res, $body) = api('GET', "$vapi/phone-number");
is(scalar @$body, 4, 'GET /phone-number lists every number');
ok(!grep({ !has_keys($_, { id => 1, number => 1, provider => 1, assistantId => 1, name => 1,
	createdAt => 1, status => 1 }) } @$body), 'each with the documented keys');
($res, $body) = api('GET', "$vapi/phone-number?limit=1");
is(scalar @$body, 1, 'GET /phone-number?limit=1');
($res, $body) = api('GET', "$vapi/phone-number/missing");
is($res->{status}, 404, 'GET of an unknown number: 404');

# ---------------------------------------------------------------- assistants

($res, $body) = api('POST', "$vapi/assistant",
	{ name => 'Barbara', firstMessage => 'Hi!', model => { provider => 'openai' } });
is($res->{status}, 201, 'POST /assistant: 201');
like($body->{id}, $uuid_re, 'the assistant has an id');
is($body->{name}, 'Barbara', 'the definition is echoed');
my $assistant = $body;
($res, $body) = api('PATCH', "$vapi/assistant/$assistant->{id}", { firstMessage => 'Hello!' });
is($res->{status}, 200, 'PATCH /assistant/{id}: 200');
is_deeply([ @$body{qw(name firstMessage)} ], [ 'Barbara', 'Hello!' ], 'top-level keys merged');
is_deeply($body->{model}, { provider => 'openai' }, 'other keys kept');
($res, $body) = api('GET', "$vapi/assistant/$assistant->{id}");
is($body->{firstMessage}, 'Hello!', 'GET /assistant/{id}');
($res, $body) = api('GET', "$vapi/assistant");
is_deeply([ map { $_->{id} } @$body ], [ $assistant->{id} ], 'GET /assistant');
($res, $body) = api('PATCH', "$vapi/assistant/unknown", {});
is($res->{status}, 404, 'PATCH of an unknown assistant: 404');
($res, $body) = api('POST', "$vapi/assistant", [1, 2]);
is($res->{status}, 400, 'an assistant that is not an object: 400');

# ---------------------------------------------------------------- Cal.com slots

# Day D is ten days ahead; the availability of event type 123456 is three
# explicit instants, the last one late enough to be the next local day in
# Asia/Kolkata (UTC+05:30).
my $t0 = time + 10 * 86400;
my ($D, $D1, $D2) = map { strftime('%Y-%m-%d', gmtime($t0 + $_ * 86400)) } 0 .. 2;
my @starts = ("${D}T17:00:00Z", "${D}T17:30:00Z", "${D1}T22:00:00Z");
$s->availability(eventTypeId => 123456, starts => \@starts);
my %slots_v = ('cal-api-version' => '2024-09-04');
my $slots_example = example('calcom-slots.answer.json');
my ($example_slot) = values %{ $slots_example->{data} };

# GET /v2/slots for event type 123456 from D to D1 in $zone; returns the
# decoded answer after checking its shape against the example.
sub slots_in
{
	my ($zone, $event, $from, $to) = @_;
	my $q = "eventTypeId=" . ($event // 123456) . "&start=" . ($from // $D) . "&end=" . ($to // $D1);
	$q .= "&timeZone=$zone" if defined $zone;
	my ($r, $b) = api('GET', "$cal/slots?$q", undef, \%slots_v);
	is($r->{status}, 200, "slots in " . ($zone // 'the default zone') . ": 200");
	is_deeply(keys_of($b), keys_of($slots_example), 'top-level keys as in the example');
	is($b->{status}, 'success', 'status success');
	my @bad;
	for my $date (sort keys %{ $b->{data} })
	{
		push @bad, "key $date" unless $date =~ /^\d{4}-\d\d-\d\d$/;
		for my $slot (@{ $b->{data}{$date} })
		{
			push @bad, "keys of $slot->{start}"
			  unless $json->encode(keys_of($slot)) eq $json->encode(keys_of($example_slot->[0]));
			push @bad, "date of $slot->{start}" unless substr($slot->{start}, 0, 10) eq $date;
		}
	}
	is_deeply(\@bad, [], 'every slot has the example keys and lies on its date key');
	return $b;
}

# All slot starts of a slots answer, in date order.
sub all_starts
{
	my ($b) = @_;
	return [ map { map { $_->{start} } @{ $b->{data}{$_} } } sort keys %{ $b->{data} } ];
}

$body = slots_in('America/Los_Angeles');
my $la = all_starts($body);
is(scalar @$la, 3, 'three free slots');
ok(!grep({ !/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000-0[78]:00$/ } @$la),
	'written in America/Los_Angeles (offset -08:00 or -07:00)') or diag explain $la;
$body = slots_in('Asia/Kolkata');
is_deeply($body->{data}, {
		$D => [ { start => "${D}T22:30:00.000+05:30" }, { start => "${D}T23:00:00.000+05:30" } ],
		$D2 => [ { start => "${D2}T03:30:00.000+05:30" } ] },
	'Asia/Kolkata: +05:30, grouped by the local date');
$body = slots_in(undef);
is_deeply(all_starts($body), [ "${D}T17:00:00.000Z", "${D}T17:30:00.000Z", "${D1}T22:00:00.000Z" ],
	'no timeZone: UTC');

# default availability: weekdays 09:00-17:00 every 30 minutes in Los Angeles;
# nine UTC days hold eight whole local days, at least five of them weekdays
$body = slots_in('America/Los_Angeles', 777, $D, strftime('%Y-%m-%d', gmtime($t0 + 8 * 86400)));
my @default = @{ all_starts($body) };
my @off_hours = grep {
	my ($y, $m, $d, $hh, $mm) = /^(\d+)-(\d+)-(\d+)T(\d\d):(\d\d)/;
	my $wday = strftime('%u', 0, 0, 12, $d, $m - 1, $y - 1900);
	$wday > 5 || "$hh:$mm" lt '09:00' || "$hh:$mm" gt '16:30' || $mm % 30
} @default;
is_deeply(\@off_hours, [], 'default availability: weekdays between 09:00 and 16:30, every 30 minutes');
my %per_day = map { $_ => scalar @{ $body->{data}{$_} } } keys %{ $body->{data} };
cmp_ok(scalar(grep { $per_day{$_} == 16 } keys %per_day), '>=', 5, 'five whole weekdays of 16 slots');
ok(!grep({ $_ > 16 } values %per_day), 'never more than 16 a day');

# bad ranges
my $range_error = { status => 'error', error => { code => 'BadRequestException',
		message => 'Invalid time range given - check the "start" and "end" query parameters.' } };
($res, $body) = api('GET', "$cal/slots?eventTypeId=123456&start=$D1&end=$D", undef, \%slots_v);
is($res->{status}, 400, 'a reversed range: 400');
is_deeply($body, $range_error, 'the invalid-range body');
($res, $body) = api('GET', "$cal/slots?eventTypeId=123456&start=$D", undef, \%slots_v);
is($res->{status}, 400, 'no end: 400');
is_deeply($body, $range_error, 'the invalid-range body');

# ---------------------------------------------------------------- Cal.com bookings

my %book_v = ('cal-api-version' => '2024-08-13', authorization => 'Bearer cal_live_test');
my $booking_req = example('calcom-booking.request.json');
my $booking_ans = example('calcom-booking.answer.json');
my $taken = example('calcom-booking.answer-taken.json');
$booking_req->{start} = "${D}T17:00:00Z";

($res, $body) = api('POST', "$cal/bookings", $booking_req, \%book_v);
is($res->{status}, 201, 'POST /v2/bookings: 201');
is_deeply(keys_of($body), keys_of($booking_ans), 'top-level keys as in the example');
my $booking = $body->{data};
ok(has_keys($booking, $booking_ans->{data}), 'data has every key of the example')
  or diag explain [ keys_of($booking_ans->{data}), keys_of($booking) ];
is_deeply([ @$booking{qw(status start end duration eventTypeId)} ],
	[ 'accepted', "${D}T17:00:00.000Z", "${D}T17:30:00.000Z", 30, 123456 ],
	'status, start, end, duration, eventTypeId');
like($booking->{uid}, qr/^[A-Za-z0-9]{22}$/, 'uid: 22 letters and digits');
like($booking->{id}, qr/^\d+$/, 'id: an integer');
like($booking->{title}, qr/Pat Quinn/, 'the title names the attendee');
ok(has_keys($booking->{hosts}[0], $booking_ans->{data}{hosts}[0]), 'hosts[0] has the example keys');
ok(has_keys($booking->{attendees}[0], $booking_ans->{data}{attendees}[0]),
	'attendees[0] has the example keys');
is($booking->{attendees}[0]{absent}, JSON::PP::false, 'attendee absent: false');
is_deeply($booking->{metadata}, $booking_req->{metadata}, 'metadata echoed');

$body = slots_in('America/Los_Angeles');
is(scalar @{ all_starts($body) }, 2, 'the booked slot is no longer offered');

($res, $body) = api('POST', "$cal/bookings", $booking_req, \%book_v);
is($res->{status}, 400, 'the same slot again: 400');
is_deeply($body, $taken, 'the exact "taken" body of the example');
($res, $body) = api('POST', "$cal/bookings", { %$booking_req, start => "${D}T03:17:00Z" }, \%book_v);
is($res->{status}, 400, 'a start outside the availability: 400');
is_deeply($body, $taken, 'the "taken" body too');

($res, $body) = api('POST', "$cal/bookings/$booking->{uid}/cancel",
	{ cancellationReason => 'lead asked to cancel' }, \%book_v);
is($res->{status}, 200, 'cancel: 200');
is_deeply([ $body->{status}, $body->{data}{status}, $body->{data}{uid} ],
	[ 'success', 'cancelled', $booking->{uid} ], 'the booking is cancelled');
$body = slots_in('America/Los_Angeles');
is(scalar @{ all_starts($body) }, 3, 'a cancelled slot is offered again');
($res, $body) = api('POST', "$cal/bookings", $booking_req, \%book_v);
is($res->{status}, 201, 'and can be booked again');
($res, $body) = api('POST', "$cal/bookings/NoSuchUid0000000000000/cancel", { cancellationReason => 'x' });
is($res->{status}, 404, 'cancel of an unknown uid: 404');
is_deeply([ $body->{status}, $body->{error}{code} ], [ 'error', 'NotFoundException' ],
	'a NotFoundException');

($res, $body) = api('POST', "$cal/bookings", { %$booking_req, start => '2020-01-07T17:00:00Z' }, \%book_v);
is($res->{status}, 400, 'a start in the past: 400');
is_deeply($body, { status => 'error', error => { code => 'BadRequestException',
			message => 'Attempting to book a meeting in the past.' } }, 'the past-booking body');
($res, $body) = api('POST', "$cal/bookings",
	{ %$booking_req, attendee => { name => 'Pat', email => 'pat@example.com' } }, \%book_v);
is($res->{status}, 400, 'no attendee.timeZone: 400');
like($body->{error}{message}, qr/timeZone/, 'the message names timeZone');
($res, $body) = api('POST', "$cal/bookings",
	{ %$booking_req, metadata => { map { ("k$_" => 'v') } 1 .. 51 } }, \%book_v);
is($res->{status}, 400, 'metadata with 51 keys: 400');
($res, $body) = api('POST', "$cal/bookings", { %$booking_req, metadata => { note => 'x' x 501 } }, \%book_v);
is($res->{status}, 400, 'a metadata value of 501 characters: 400');

my $pre = $s->book(eventTypeId => 123456, start => "${D}T17:30:00Z");
is($pre->{status}, 'accepted', 'book() pre-books a slot');
($res, $body) = api('POST', "$cal/bookings", { %$booking_req, start => "${D}T17:30:00Z" }, \%book_v);
is_deeply([ $res->{status}, $body ], [ 400, $taken ], 'a pre-booked slot is taken');

$s->misbehave(mode => 'taken');
($res, $body) = api('POST', "$cal/bookings", { %$booking_req, start => "${D1}T22:00:00Z" }, \%book_v);
is_deeply([ $res->{status}, $body ], [ 400, $taken ], 'mode taken: the next booking is taken');
($res, $body) = api('POST', "$cal/bookings", { %$booking_req, start => "${D1}T22:00:00Z" }, \%book_v);
is($res->{status}, 201, 'and only the next one');

# ---------------------------------------------------------------- misbehave

# A fresh client per case: no connection is reused across a failure.
sub client
{
	my ($timeout) = @_;
	return HTTP::Tiny->new(timeout => $timeout // 10);
}

# many calls below: lift the concurrency limit (reset restores it)
is($s->config(concurrency_limit => 0)->{concurrency_limit}, 0, 'config changes the live limit');

my $default_500 = { message => 'Internal server error', statusCode => 500 };
$s->misbehave(method => 'POST', path => '/call', mode => 'status', status => 500);
($res, $body) = api('POST', "$vapi/call", $call_req, undef, client());
is($res->{status}, 500, 'mode status 500');
is_deeply($body, $default_500, 'the default 5xx body');
($res, $body) = api('POST', "$vapi/call", $call_req, undef, client());
is($res->{status}, 201, 'count defaults to 1');

$s->misbehave(service => 'vapi', method => 'POST', path => '/call', status => 429, retry_after => '2');
($res, $body) = api('POST', "$vapi/call", $call_req, undef, client());
is($res->{status}, 429, 'status 429');
is($res->{headers}{'retry-after'}, '2', 'with Retry-After');
is_deeply($body, { message => 'Too Many Requests', statusCode => 429 }, 'the default 429 body');

$s->misbehave(service => 'cal', path => '/v2/book*', status => 503, body => { oops => 1 });
($res, $body) = api('GET', "$cal/slots?eventTypeId=1&start=$D&end=$D", undef, \%slots_v, client());
is($res->{status}, 200, 'a rule for a path prefix leaves other paths alone');
($res, $body) = api('POST', "$cal/bookings/x/cancel", {}, undef, client());
is_deeply([ $res->{status}, $body ], [ 503, { oops => 1 } ], 'prefix rule with its own body');

$s->misbehave(service => 'cal', method => 'POST', path => '/call', status => 500);
($res, $body) = api('POST', "$vapi/call", $call_req, undef, client());
is($res->{status}, 201, 'a rule of the other service does not fire');
$s->clear_misbehave;

# slow: a client that gives up first, then one that waits
$s->misbehave(method => 'POST', path => '/call', mode => 'slow', delay => 2.0);
my $before = $s->state->{seq};
my $t = time;
($res, $body) = api('POST', "$vapi/call", $call_req, undef, client(0.5));
my $waited = time - $t;
is($res->{status}, 599, 'slow: a client with a shorter timeout gives up');
like($res->{content}, qr/timed? ?out/i, 'on a timeout');
cmp_ok($waited, '<', 1.8, 'before the delay');
my $slow;
for (1 .. 100)
{
	($slow) = @{ $s->requests(since_seq => $before) };
	last if defined $slow->{status};
	sleep 0.05;
}
is($slow->{status}, 201, 'the slow request was answered normally after the delay');
cmp_ok(time - $t, '>=', 1.9, 'not before the delay');
# held: no answer until the test releases it, then the normal one
$s->misbehave(method => 'POST', path => '/call', mode => 'held');
$before = $s->state->{seq};
($res, $body) = api('POST', "$vapi/call", $call_req, undef, client(0.5));
is($res->{status}, 599, 'held: no answer while it is held');
my ($held) = @{ $s->requests(since_seq => $before) };
ok(defined $held && !defined $held->{status}, '... the stand-in has the request and has not answered it');
$s->release;
for (1 .. 100)
{
	($held) = @{ $s->requests(since_seq => $before) };
	last if defined $held->{status};
	sleep 0.05;
}
is($held->{status}, 201, '... released: answered normally');
$s->misbehave(method => 'POST', path => '/call', mode => 'slow', delay => 0.6);
$t = time;
($res, $body) = api('POST', "$vapi/call", $call_req, undef, client(5));
is($res->{status}, 201, 'slow with a patient client: 201');
cmp_ok(time - $t, '>=', 0.55, 'after the delay');
$s->misbehave(method => 'POST', path => '/call', status => 502, delay => 0.4);
$t = time;
($res, $body) = api('POST', "$vapi/call", $call_req, undef, client(5));
is($res->{status}, 502, 'status with a delay');
cmp_ok(time - $t, '>=', 0.35, 'answered after the delay');

# reset and hang
$s->misbehave(method => 'POST', path => '/call', mode => 'reset');
($res, $body) = api('POST', "$vapi/call", $call_req, undef, client());
is($res->{status}, 599, 'reset: the client sees a connection error');
like($res->{content}, qr/reset|closed|unexpected end|broken/i, 'a reset or closed connection')
  or diag $res->{content};
$s->misbehave(method => 'POST', path => '/call', mode => 'hang');
$t = time;
($res, $body) = api('POST', "$vapi/call", $call_req, undef, client(1));
is($res->{status}, 599, 'hang: no answer');
like($res->{content}, qr/timed? ?out/i, 'until the client times out');
($res, $body) = api('POST', "$vapi/call", $call_req, undef, client());
is($res->{status}, 201, 'the next request is answered');
my @last = @{ $s->requests(service => 'vapi', method => 'POST', path => '/call') }[-3 .. -1];
is_deeply([ map { $_->{status} } @last ], [ 'reset', 'hang', 201 ],
	'reset and hang requests are recorded with their fate');

# count semantics and order
$s->misbehave(method => 'POST', path => '/call', status => 500, count => 2);
my @got = map { (api('POST', "$vapi/call", $call_req, undef, client()))[0]{status} } 1 .. 3;
is_deeply(\@got, [ 500, 500, 201 ], 'count 2: two failures, then normal');
$s->misbehave(method => 'POST', path => '/call', status => 500, count => -1);
@got = map { (api('POST', "$vapi/call", $call_req, undef, client()))[0]{status} } 1 .. 4;
is_deeply(\@got, [ 500, 500, 500, 500 ], 'count -1: until cleared');
is(scalar @{ $s->state->{rules} }, 1, 'the rule is still armed');
$s->clear_misbehave;
($res, $body) = api('POST', "$vapi/call", $call_req, undef, client());
is($res->{status}, 201, 'cleared');
$s->misbehave(path => '/call*', status => 503);
$s->misbehave(path => '/call*', status => 429);
@got = map { (api('POST', "$vapi/call", $call_req, undef, client()))[0]{status} } 1 .. 3;
is_deeply(\@got, [ 503, 429, 201 ], 'rules are consumed in order');
is_deeply($s->state->{rules}, [], 'consumed rules are gone');
$s->end_call(undef);

# ---------------------------------------------------------------- rate limit

$s->config(cal_rate_limit => 2);
my @rl = map { (api('GET', "$cal/slots?eventTypeId=1&start=$D&end=$D", undef, \%slots_v))[0] } 1 .. 3;
is_deeply([ map { $_->{status} } @rl ], [ 200, 200, 429 ], 'cal rate limit 2: the third is 429');
is_deeply([ map { $_->{headers}{'x-ratelimit-remaining-default'} } @rl ], [ 1, 0, 0 ],
	'X-RateLimit-Remaining-Default counts down');
like($rl[2]{headers}{'x-ratelimit-reset-default'}, qr/^\d+$/, 'X-RateLimit-Reset-Default');
like($rl[2]{headers}{'retry-after'}, qr/^\d+$/, 'Retry-After');
is($json->decode($rl[2]{content})->{error}{code}, 'ThrottlerException', 'a ThrottlerException body');
$s->config(cal_rate_limit => 0);

# ---------------------------------------------------------------- recordings

my $recs = $s->requests(service => 'cal', path => '/v2/slots');
ok(@$recs >= 5, 'slot requests are recorded');
ok(!grep({ ($_->{headers}{'cal-api-version'} // '') ne '2024-09-04' } @$recs),
	'each with its cal-api-version header');
is_deeply([ @{ $recs->[0]{query} }{qw(eventTypeId start end timeZone)} ],
	[ 123456, $D, $D1, 'America/Los_Angeles' ], 'and its query');
my ($first_booking) = @{ $s->requests(service => 'cal', method => 'POST', path => '/v2/bookings') };
is($first_booking->{headers}{'cal-api-version'}, '2024-08-13', 'a booking records cal-api-version');
is($first_booking->{headers}{authorization}, 'Bearer cal_live_test', 'and authorization');
is_deeply($first_booking->{body}, $booking_req, 'and its JSON body');
is($first_booking->{status}, 201, 'and the status answered');
my ($first_rec) = @{ $s->requests(service => 'vapi', path => '/call', method => 'POST') };
is_deeply($first_rec->{body}, $call_req, 'the first call body is recorded');
is($first_rec->{headers}{authorization}, 'Bearer test-key', 'with its authorization header');
my ($raw) = grep { !ref $_->{body} && defined $_->{body} } @{ $s->requests(service => 'vapi') };
is($raw->{body}, 'not json', 'a body that is not JSON is recorded as text');
my $all = $s->requests;
ok(!grep({ $_->{path} =~ m{^/__control/} } @$all), 'control requests are not recorded');
my @seqs = map { $_->{seq} } @$all;
is_deeply(\@seqs, [ sort { $a <=> $b } @seqs ], 'seq ascends');
ok(!grep({ $all->[$_]{t} < $all->[ $_ - 1 ]{t} } 1 .. $#$all), 't ascends');
my $since = $s->requests(since_seq => $seqs[-2]);
is_deeply([ map { $_->{seq} } @$since ], [ $seqs[-1] ], 'since_seq');
my $by_prefix = $s->requests(path => '/phone-number*');
ok(@$by_prefix >= 8 && !grep({ $_->{path} !~ m{^/phone-number} } @$by_prefix), 'a path prefix filter');

# ---------------------------------------------------------------- raw HTTP

# Send raw request bytes on $sock and read one answer: (status, headers, body).
sub raw_exchange
{
	my ($sock, $request) = @_;
	print $sock $request;
	my ($buf, $head) = ('');
	my $sel = IO::Select->new($sock);
	while (1)
	{
		if (!defined $head && (my $i = index($buf, "\r\n\r\n")) >= 0)
		{
			$head = substr($buf, 0, $i);
			$buf = substr($buf, $i + 4);
		}
		if (defined $head)
		{
			my ($len) = $head =~ /^Content-Length: (\d+)/mi;
			return ($head =~ m{^HTTP/1\.1 (\d+)}, $head, substr($buf, 0, $len))
			  if length $buf >= $len;
		}
		return (0, $head, $buf) unless $sel->can_read(5) && sysread($sock, $buf, 65536, length $buf);
	}
}

my ($vport) = $vapi =~ /:(\d+)$/;
my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $vport, Proto => 'tcp')
  or die "connect: $!";
my $chunk_body = '{"name":"Chunked","firstMessage":"Hi"}';
my ($st, $hd, $bd) = raw_exchange($sock,
	"POST /assistant HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	  . "Transfer-Encoding: chunked\r\n\r\n"
	  . sprintf("%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n",
		10, substr($chunk_body, 0, 10), length($chunk_body) - 10, substr($chunk_body, 10)));
is($st, 201, 'a chunked request body is read');
is($json->decode($bd)->{name}, 'Chunked', 'and decoded');
($st, $hd, $bd) = raw_exchange($sock, "GET /assistant?limit=1 HTTP/1.1\r\nHost: x\r\n\r\n");
is($st, 200, 'a second request on the same connection (keep-alive)');
is($json->decode($bd)->[0]{name}, 'Chunked', 'answers with the chunked assistant');
($st, $hd, $bd) = raw_exchange($sock, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
is($st, 404, 'an unknown route: 404');
like($hd, qr/^Connection: close/mi, 'Connection: close is honoured');
close $sock;

# ---------------------------------------------------------------- reset

$s->reset;
my $state = $s->state;
is_deeply([ map { scalar @{ $state->{$_} } } qw(calls chats numbers assistants bookings rules) ],
	[ 0, 0, 0, 0, 0, 0 ], 'reset clears the state');
is_deeply($s->requests, [], 'and the recorded requests');
is($state->{config}{concurrency_limit}, 3, 'and keeps the start-up configuration');

# ---------------------------------------------------------------- auth

my $keyed = VendorStandin->start(vapi_key => 'vk_private', cal_key => 'cal_live_k');
my ($kv, $kc) = ($keyed->vapi_url, $keyed->cal_url);
($res, $body) = api('POST', "$kv/call", $call_req);
is($res->{status}, 401, 'no bearer key: 401');
is_deeply([ @$body{qw(error statusCode)} ], [ 'Unauthorized', 401 ], 'a Vapi 401 body');
($res, $body) = api('POST', "$kv/call", $call_req, { authorization => 'Bearer wrong' });
is($res->{status}, 401, 'a wrong key: 401');
($res, $body) = api('POST', "$kv/call", $call_req, { authorization => 'Bearer vk_private' });
is($res->{status}, 201, 'the right key: 201');
($res, $body) = api('GET', "$kc/slots?eventTypeId=1&start=$D&end=$D", undef, \%slots_v);
is($res->{status}, 401, 'Cal.com without the key: 401');
is_deeply([ $body->{status}, $body->{error}{code} ], [ 'error', 'UnauthorizedException' ],
	'a Cal.com 401 body');
($res, $body) = api('GET', "$kc/slots?eventTypeId=1&start=$D&end=$D", undef,
	{ %slots_v, authorization => 'Bearer cal_live_k' });
is($res->{status}, 200, 'Cal.com with the key: 200');
is_deeply([ map { $_->{status} } @{ $keyed->requests } ], [ 401, 401, 201, 401, 200 ],
	'refused requests are recorded too');
my $keyed_pid = $keyed->pid;
undef $keyed;
ok(!kill(0, $keyed_pid), 'a stand-in stops when its object goes away');

# ---------------------------------------------------------------- stop, log

my $pid = $s->pid;
$s->stop;
ok(!kill(0, $pid), 'stop ends the process');
is($s->pid, undef, 'and forgets its pid');
open(my $lf, '<', $log) or die "$log: $!";
my @lines = map { $json->decode($_) } <$lf>;
close $lf;
ok(@lines > 50, 'the log has a line per vendor request (' . scalar(@lines) . ')');
ok(!grep({ !has_keys($_, { map { $_ => 1 } qw(seq t service method path query headers body status) }) }
		@lines), 'each line has every field of a record');
is(scalar(grep { $_->{status} eq 'hang' } @lines), 1, 'the log keeps the hang');
ok((grep { ref $_->{body} eq 'HASH' && ref $_->{body}{attendee} eq 'HASH'
			&& ($_->{body}{attendee}{name} // '') eq 'Pat Quinn' } @lines),
	'and the booking bodies');

# ---------------------------------------------------------------- failed start

my $err = eval { VendorStandin->start(args => ['--no-such-flag']); 1 } ? '' : $@;
like($err, qr/before listening.*unrecognized arguments: --no-such-flag/s,
	'a stand-in that cannot start dies with its stderr');

done_testing();
