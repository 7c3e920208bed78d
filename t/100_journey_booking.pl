# 100_journey_booking.pl
#   Journeys (a) and (b) of issue 19, each played whole against the running
#   shim, the dispatcher, pg_cron's job and the Vapi/Cal.com stand-in
#   (t/lib/CallPlayer.pm):
#   (a) an Instantly reply "call me at ..." -> a pool number -> POST /call ->
#       the lead answers -> Barbara looks the lead up, checks, and books the
#       second time she offered, as she worded it -> Cal.com books exactly
#       that start -> the end-of-call report -> call_completed -> the release
#       job frees the number;
#   (b) a stranger calls a pool number -> the intake assistant -> ZIP lookup
#       -> check -> the caller says "<weekday> at <hour>" (first too vaguely,
#       and the answer lists the candidates) -> booked -> the new lead has a
#       name, an e-mail and a phone, and the call log is linked to it.
#   The assistant's side chooses only from the text the tools answered.
use strict;
use warnings;

use JSON::PP ();
use POSIX ();
use PostgreSQL::Test::Utils;
use Test::More;
use CallPlayer;

my $org = 'aaaaaaaa-0000-4000-8000-000000000000';
my $broker = 'a1000000-0000-4000-8000-000000000001';
my $event_type = 4242;
my $json = JSON::PP->new->canonical;

# a zone in which the calling window is open now (see CallPlayer)
my $zone = CallPlayer::working_hours_zone();
note("the broker's zone: $zone");

my $p = CallPlayer->start('journey_booking', fixtures => <<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name) VALUES ('$org', 'Acme Home Loans');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active, cal_event_type_id) VALUES
	('$org', '$broker', 'Dana Lee', '$zone', '+13105550147', true, $event_type);
INSERT INTO territories (org_id, zip, broker_id) VALUES ('$org', '90210', '$broker');
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, broker_id) VALUES
	('$org', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d', '$broker');
SELECT count(*) FROM (SELECT add_pool_number('$broker', '+13105550199', 'pn_journey_a')
	UNION ALL SELECT add_pool_number('$broker', '+13105550198', 'pn_journey_b')) s;
SQL

# Cal.com's free times: two a day, an hour apart, two and three days ahead,
# 45 minutes long (the event type's length, not the 30 of 0.5.1).
my @starts;
for my $d (2, 3)
{
	my $day = POSIX::strftime('%Y-%m-%d', gmtime(time + $d * 86400));
	push @starts, "${day}T15:00:00Z", "${day}T16:00:00Z";
}
$p->standin->availability(eventTypeId => $event_type, starts => \@starts, lengthInMinutes => 45);

# A stand-in request's body (decoded).
sub body_of
{
	my ($r) = @_;
	return ref $r->{body} ? $r->{body} : eval { $json->decode($r->{body} // '') } // {};
}

# ================================================================ (a) a reply becomes a booking

$p->mark('a');
my ($st, $ans) = $p->instantly_reply(reply_text => "Yes, call me today at 415-555-0177 please.\n\nOn Thu, Dana wrote:\n> Want to talk?",
	reply_text_snippet => 'Yes, call me today at 415-555-0177 please.');
is($st, 200, '(a) the Instantly reply is taken');
is($ans->{decision}, 'call_queued', '... and a call is queued');
my $lead = $p->sql("SELECT id FROM vapi_pool.leads WHERE email = 'pat.quinn\@example.com'");
like($lead, qr/^[0-9a-f-]{36}$/, '... for the lead the reply came from');
my ($pool_id, $assignment) = split /\|/, $p->sql("SELECT p.vapi_phone_number_id || '|' || a.status
	FROM vapi_pool.vapi_number_assignments a JOIN vapi_pool.vapi_number_pool p ON p.id = a.pool_number_id
	WHERE a.lead_id = '$lead'");
like($pool_id // '', qr/^pn_journey_[ab]$/, '... who holds a pool number');
is($assignment, 'booked', '... booked for the call');

my $call = $p->placed_call('+14155550177');
my $posts = $p->requests(service => 'vapi', method => 'POST', path => '/call', since => 'a');
is(scalar @$posts, 1, 'exactly one POST /call');
my $create = body_of($posts->[0]);
is($create->{phoneNumberId}, $pool_id, '... from the assigned number');
is($create->{customer}{number}, '+14155550177', '... to the number the reply asked for');
is($create->{assistantId}, $CallPlayer::ASSISTANT{intake}, '... with Barbara');
is($create->{assistantOverrides}{variableValues}{lead_id}, $lead, '... who is given the lead id');
ok($p->node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = '${\ $call->id}' AND lead_id = '$lead'"),
	'the call is logged under the id Vapi gave it');

$call->status('ringing');
$call->status('in-progress');

# Barbara, with the lead id Vapi gave her, looks the lead up.
my $said = $call->tool('supabase_query', { query_type => 'get_lead_details',
	identifier => $create->{assistantOverrides}{variableValues}{lead_id} });
like($said, qr/Pat/, 'Barbara looks the lead up: the first name');
like($said, qr/Dana Lee/, "... and the broker's name");

# She checks; the stand-in's calendar is what she reads out.
$p->mark('check');
$said = $call->tool('check_availability_and_book', { action => 'check' });
like($said, qr/^Free times \(\Q$zone\E\): .+\. To book one, pass it as start exactly as written\.$/,
	'the check answers the free times in the broker\'s zone, and how to book one');
my @offered = CallPlayer::offered_times($said);
is(scalar @offered, scalar @starts, '... every free time, as a list she can read');
is(scalar @{ $p->requests(service => 'cal', method => 'GET', path => '/v2/slots', since => 'check') }, 1,
	'... from one GET /v2/slots');

# The lead takes the second one; Barbara passes it back as she worded it.
$p->mark('book');
$said = $call->tool('check_availability_and_book', { action => 'book', start => $offered[1],
	name => 'Pat Quinn', email => 'pat.quinn@example.com' });
like($said, qr/^Booked for \Q$offered[1]\E \(\Q$zone\E\)\. Confirmation (\S+)\.$/,
	'booking the second offered time as worded: booked, said back in the same words');
my ($uid) = $said =~ /Confirmation (\S+)\.$/;
my $bookings = $p->requests(service => 'cal', method => 'POST', path => '/v2/bookings', since => 'book');
is(scalar @$bookings, 1, 'exactly one POST /v2/bookings');
is(body_of($bookings->[0])->{start}, $starts[1], '... for exactly the start that was offered second');
is(body_of($bookings->[0])->{attendee}{language}, 'en', "... the attendee in the organisation's language");
is($p->sql("SELECT status || '|' || cal_booking_uid || '|' || (ends_at - scheduled_at)
	FROM vapi_pool.appointments WHERE contact_id = '$lead'"), "booked|$uid|00:45:00",
	'the appointment is booked with the Cal.com uid, 45 minutes long');

# The lead hangs up; Vapi reports the call.
($st, $ans) = $call->end(endedReason => 'customer-ended-call', durationSeconds => 190,
	transcript => "AI: Hi Pat, this is Barbara.\nUser: Hi.\nAI: You are booked for $offered[1].");
is($st, 200, 'the end-of-call report is taken');
is($ans->{outcome}, 'answered', '... the call was answered');
is($p->sql("SELECT a.status || '|' || l.status FROM vapi_pool.vapi_number_assignments a
	JOIN vapi_pool.leads l ON l.id = a.lead_id WHERE a.lead_id = '$lead'"), 'call_completed|appointment_booked',
	'the assignment is call_completed and the lead appointment_booked');

# A day later the 3 AM job runs (the clock is moved, not waited for): the
# appointment is still ahead, so the lead keeps the number she will call
# about it (release 0.8.0).
$p->sql("UPDATE vapi_pool.vapi_number_assignments SET last_call_at = last_call_at - interval '25 hours',
	release_at = release_at - interval '25 hours' WHERE lead_id = '$lead'");
$p->run_cron_job('vapi_pool.release_expired');
is($p->sql("SELECT a.status || '|' || p.status FROM vapi_pool.vapi_number_assignments a
	JOIN vapi_pool.vapi_number_pool p ON p.id = a.pool_number_id WHERE a.lead_id = '$lead'"), 'call_completed|assigned',
	'a day after the call the release job keeps the number: the appointment is ahead');
# A day after the appointment it runs again.
$p->sql("DO \$\$ DECLARE shift interval := (SELECT ends_at FROM vapi_pool.appointments WHERE contact_id = '$lead')
		- now() + interval '25 hours';
	BEGIN
		UPDATE vapi_pool.appointments SET scheduled_at = scheduled_at - shift WHERE contact_id = '$lead';
		UPDATE vapi_pool.vapi_number_assignments SET last_call_at = last_call_at - shift,
			release_at = release_at - shift WHERE lead_id = '$lead';
	END \$\$");
$p->run_cron_job('vapi_pool.release_expired');
is($p->sql("SELECT a.status || '|' || p.status FROM vapi_pool.vapi_number_assignments a
	JOIN vapi_pool.vapi_number_pool p ON p.id = a.pool_number_id WHERE a.lead_id = '$lead'"), 'released|available',
	'a day after the appointment the release job frees the number');

# Nothing else happened.
ok($p->outbox_settled(15), 'the outbox is settled');
is_deeply($p->jobs('%'), ['vapi.create_call|done|1'], 'the only job was the call, delivered once');
is(scalar @{ $p->requests(since => 'a') }, 3, 'the stand-ins saw three requests in all: the call, the slots, the booking')
  or note explain [ map { "$_->{method} $_->{path}" } @{ $p->requests(since => 'a') } ];

# ================================================================ (b) a stranger books by voice

my $stranger = '+12135550100';
$p->mark('b');
$call = $p->inbound_call(to => '+13105550198', from => $stranger);
$ans = $call->assistant_request;
is($ans->{assistantId}, $CallPlayer::ASSISTANT{intake}, '(b) a stranger gets the intake assistant');
is($ans->{assistantOverrides}{variableValues}{lead_id}, undef, '... with no lead id');
is($ans->{assistantOverrides}{voicemailDetection}, 'off', '... and no voicemail detection: a person called');

$said = $call->tool('supabase_query', { query_type => 'find_broker_by_zip', identifier => '90210' });
my $found = eval { $json->decode($said) } // {};
is($found->{broker}{name}, 'Dana Lee', 'the ZIP lookup names the broker');
my $broker_said = $found->{broker}{id};

$said = $call->tool('check_availability_and_book', { action => 'check', broker_id => $broker_said });
@offered = CallPlayer::offered_times($said);
ok(@offered >= 2, 'the check offers times') or diag $said;

# The caller names only a weekday on which two times were offered: both fit.
my %on_day;
push @{ $on_day{ ($_ =~ /^(\w+),/)[0] } }, $_ for @offered;
my ($weekday) = grep { @{ $on_day{$_} } == 2 } sort keys %on_day;
ok(defined $weekday, 'two of the offered times are on one day') or diag $said;
my @same_day = @{ $on_day{ $weekday // '' } // [] };
$said = $call->tool('check_availability_and_book', { action => 'book', broker_id => $broker_said,
	start => $weekday, name => 'Jordan Reyes', email => 'jordan.reyes@example.com', phone => $stranger });
like($said, qr/^ERROR: "\Q$weekday\E" fits more than one offered time: It fits: \Q$same_day[0]\E; \Q$same_day[1]\E\. Ask the caller which one/,
	'"<weekday>" alone: the answer lists the two times it fits and says to ask');
is($p->sql("SELECT count(*) FROM vapi_pool.appointments a JOIN vapi_pool.leads l ON l.id = a.contact_id
	WHERE l.primary_phone_e164 = '$stranger'"), '0', '... and nothing is held');

# The caller then says the hour too, as people do: "<weekday> at <hour>".
my ($hour) = $same_day[1] =~ / at (\d+):\d\d (?:AM|PM)$/;
$p->mark('b-book');
$said = $call->tool('check_availability_and_book', { action => 'book', broker_id => $broker_said,
	start => "$weekday at $hour", name => 'Jordan Reyes', email => 'jordan.reyes@example.com', phone => $stranger });
like($said, qr/^Booked for \Q$same_day[1]\E \(\Q$zone\E\)\. Confirmation \S+\.$/, "\"$weekday at $hour\": booked for that offered time");
$bookings = $p->requests(service => 'cal', method => 'POST', path => '/v2/bookings', since => 'b-book');
is(scalar @$bookings, 1, 'exactly one POST /v2/bookings');
is(body_of($bookings->[0])->{attendee}{email}, 'jordan.reyes@example.com', "... with the caller's e-mail");
$call->end(endedReason => 'customer-ended-call', transcript => "AI: Hello.\nUser: I would like to talk to a broker.");

my $new_lead = $p->sql("SELECT id || '|' || coalesce(name, '') || '|' || coalesce(email::text, '') || '|' || primary_phone_e164::text
	FROM vapi_pool.leads WHERE primary_phone_e164 = '$stranger'");
like($new_lead, qr/^[0-9a-f-]{36}\|Jordan Reyes\|jordan\.reyes\@example\.com\|\Q$stranger\E$/,
	'the stranger is a lead now, with name, e-mail and phone');
my ($new_id) = split /\|/, $new_lead;
is($p->sql("SELECT lead_id || '|' || direction FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = '${\ $call->id}'"),
	"$new_id|inbound_unknown", 'the call log is linked to the new lead');
is($p->sql("SELECT count(*) FROM vapi_pool.appointments WHERE contact_id = '$new_id' AND status = 'booked'"), '1',
	'... who has the booked appointment');
ok($p->outbox_settled(15), 'the outbox is settled');
is(scalar @{ $p->requests(service => 'vapi', since => 'b') }, 0, 'no Vapi request was made for the inbound call');

$p->stop;
done_testing();
