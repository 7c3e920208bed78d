# 109_journey_cal_booking.pl
#   Issue 25's journey, played whole against the running shim, the
#   dispatcher, pg_cron's job and the Vapi/Cal.com stand-in
#   (t/lib/CallPlayer.pm): seed 000's "booking -> number -> call -> log ->
#   release".
#   (a) a lead books on the broker's Cal.com page (the stand-in books it) and
#       Cal.com sends BOOKING_CREATED, signed -> the lead, the appointment
#       and a pool number exist; a redelivery changes nothing -> the lead
#       calls that number and reaches the broker (primary, then secondary)
#       -> the confirmation call is queued a day ahead, at the appointment's
#       local time -> the broker moves it in Cal.com: the call follows it,
#       and so does the number's hold -> when it is due the dispatcher places it with the lead
#       and the appointment in variableValues -> Barbara looks the lead up
#       and confirms -> the release job keeps the number while the
#       appointment is ahead -> the appointment passes -> the job frees it;
#   (b) a second lead books, and cancels on the confirmation call ->
#       the cancellation reaches Cal.com; Cal.com's own BOOKING_CANCELLED
#       changes nothing more; the number goes by the release rule.
#   Times move by shifting stored times; nothing sleeps.  The assistant's
#   side acts only on what the tool answers said.
use strict;
use warnings;

use JSON::PP ();
use PostgreSQL::Test::Utils;
use Test::More;
use CallPlayer;

my $org = 'aaaaaaaa-0000-4000-8000-000000000000';
my $broker = 'a1000000-0000-4000-8000-000000000001';
my $event_type = 5151;
my $primary = '+13125550147';
my $secondary = '+13125550148';
my $json = JSON::PP->new->canonical;

# a zone in which the calling window is open now (see CallPlayer)
my $zone = CallPlayer::working_hours_zone();
note("the broker's and the leads' zone: $zone");

my $p = CallPlayer->start('journey_cal_booking', fixtures => <<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name, confirmation_call_before) VALUES ('$org', 'Acme Home Loans', '24 hours');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, secondary_phone_e164, number_pool_active,
	cal_event_type_id) VALUES ('$org', '$broker', 'Dana Lee', '$zone', '$primary', '$secondary', true, $event_type);
SELECT count(*) FROM (SELECT add_pool_number('$broker', '+13125550199', 'pn_journey_cal_a')
	UNION ALL SELECT add_pool_number('$broker', '+13125550198', 'pn_journey_cal_b')) s;
SQL

# A stand-in request's body (decoded).
sub body_of
{
	my ($r) = @_;
	return ref $r->{body} ? $r->{body} : eval { $json->decode($r->{body} // '') } // {};
}

# An instant $days days ahead at $hour:00 in the zone, in UTC ISO 8601.
sub local_instant
{
	my ($days, $hour) = @_;
	return $p->sql("SELECT to_char((((now() AT TIME ZONE '$zone')::date + $days + time '$hour:00') AT TIME ZONE '$zone')
		AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
}

# The BOOKING_CREATED Cal.com sends for a booking the stand-in made.
sub booking_created
{
	my ($b) = @_;
	return { triggerEvent => 'BOOKING_CREATED', createdAt => $b->{createdAt},
		payload => { uid => $b->{uid}, bookingId => $b->{id}, eventTypeId => $b->{eventTypeId}, title => $b->{title},
			startTime => $b->{start}, endTime => $b->{end}, status => 'ACCEPTED', organizer => $b->{hosts}[0],
			attendees => $b->{attendees}, metadata => $b->{metadata}, responses => $b->{bookingFieldsResponses} } };
}

# Move the clock past the appointment of lead $lead: its appointments and its number's times
# shift back by (the end of its last appointment - now + 25 hours).
sub after_the_appointment
{
	my ($lead) = @_;
	$p->sql("DO \$\$ DECLARE shift interval := (SELECT max(ends_at) FROM vapi_pool.appointments
			WHERE contact_id = '$lead') - now() + interval '25 hours';
		BEGIN
			UPDATE vapi_pool.appointments SET scheduled_at = scheduled_at - shift WHERE contact_id = '$lead';
			UPDATE vapi_pool.vapi_number_assignments SET release_at = release_at - shift,
				last_call_at = last_call_at - shift, booked_at = booked_at - shift WHERE lead_id = '$lead';
		END \$\$");
}

# "assignment status|number status" of the lead's latest assignment.
sub number_state
{
	my ($lead) = @_;
	return $p->sql("SELECT a.status || '|' || n.status FROM vapi_pool.vapi_number_assignments a
		JOIN vapi_pool.vapi_number_pool n ON n.id = a.pool_number_id WHERE a.lead_id = '$lead'
		ORDER BY a.booked_at DESC LIMIT 1");
}

# ================================================================ (a) booked on Cal.com

$p->mark('a');
my $start = local_instant(2, 11);
my $booking = $p->standin->book(eventTypeId => $event_type, start => $start, lengthInMinutes => 30,
	attendee => { name => 'Jo Rivera', email => 'jo.rivera@example.com', timeZone => $zone,
		phoneNumber => '+14155550177', language => 'en' });
my ($st, $ans) = $p->post('/webhook/cal', booking_created($booking));
is($st, 200, '(a) Cal.com\'s BOOKING_CREATED is taken');
is($ans->{action}, 'recorded', '... and recorded');
is($ans->{lead_created}, JSON::PP::true, '... for a new lead');
like($ans->{pool_number} // '', qr/^\+1312555019[89]$/, '... who is lent one of the broker\'s numbers');
my $number = $ans->{pool_number};
my $lead = $ans->{lead_id};
is($p->sql("SELECT name || '|' || email || '|' || primary_phone_e164::text || '|' || timezone || '|' || status
	FROM vapi_pool.leads WHERE id = '$lead'"), "Jo Rivera|jo.rivera\@example.com|+14155550177|$zone|appointment_booked",
	'the lead has the attendee\'s name, e-mail, phone and zone, and is booked');
is($p->sql("SELECT kind || '|' || source_id FROM vapi_pool.lead_consents WHERE lead_id = '$lead'"),
	"booking|$booking->{uid}", '... and the booking is kept as consent evidence');
is($p->sql("SELECT status || '|' || booked_via || '|' || (scheduled_at = '$start'::timestamptz) || '|' || duration
	FROM vapi_pool.appointments WHERE cal_booking_uid = '$booking->{uid}'"), 'booked|cal.com|true|00:30:00',
	'the appointment is booked at exactly the booked interval');
is($p->sql("SELECT a.release_at = ap.ends_at + interval '24 hours' FROM vapi_pool.vapi_number_assignments a
	JOIN vapi_pool.appointments ap ON ap.contact_id = a.lead_id WHERE a.lead_id = '$lead'"), 't',
	'the number is held until a day after the appointment');

# Cal.com delivers it again: the first answer, nothing twice.
($st, my $again) = $p->post('/webhook/cal', booking_created($booking));
is($st, 200, 'a redelivery is answered 200');
is_deeply($again, $ans, '... with the first answer');
is($p->sql("SELECT count(*) || '|' || sum(duplicates) FROM vapi_pool.webhook_inbox WHERE source = 'cal'"), '1|1',
	'... stored once, counted as a duplicate');

# ---------------------------------------------------------------- the lead calls the number

my $lc = $p->inbound_call(to => $number, from => '+14155550177');
my $route = $lc->assistant_request;
my $vars = $route->{assistantOverrides}{variableValues} // {};
is($route->{assistantId}, $CallPlayer::ASSISTANT{connector}, 'the lead calls the number: the Call Connector');
is($vars->{lead_id}, $lead, '... for the lead');
is($vars->{forward_to_number}, $primary, "... to the broker's primary phone");
is($vars->{secondary_number}, $secondary, '... then her secondary one');
$lc->status('in-progress');
my @rung = map { $_->{destination}{number} // 'none' } map { $lc->transfer } 1 .. 2;
is_deeply(\@rung, [$primary, $secondary], 'the transfers ring the primary, then the secondary phone');
($st) = $lc->end(endedReason => 'customer-ended-call', transcript => "AI: Connecting you.\nUser: Thanks.");
is($st, 200, "the lead's call ends");
is(number_state($lead), 'call_completed|assigned', '... and the number stays hers');

# ---------------------------------------------------------------- the confirmation call

# The pending confirmation call of the lead's appointment: "id|a day before|local time".
sub confirmation
{
	my ($who) = @_;
	return $p->sql("SELECT o.id || '|' || (o.run_at = ap.scheduled_at - interval '24 hours')
		|| '|' || to_char(o.run_at AT TIME ZONE '$zone', 'HH24:MI')
		FROM vapi_pool.outbox o JOIN vapi_pool.appointments ap ON (o.payload ->> 'appointment_id') = ap.id::text
		WHERE ap.contact_id = '$who' AND o.state = 'pending'");
}

my ($first_job, $a_day_ahead, $local) = split /\|/, confirmation($lead);
is($a_day_ahead, 'true', 'the confirmation call is queued a day before the appointment');
is($local, '11:00', '... at 11:00 in the lead\'s zone, the appointment\'s hour');

# The broker moves it in Cal.com to the next day at 15:00 (a new uid, as Cal.com does).
my $moved_start = local_instant(3, 15);
my $moved_end = $p->sql("SELECT to_char(('$moved_start'::timestamptz + interval '30 minutes') AT TIME ZONE 'UTC',
	'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
($st, $ans) = $p->post('/webhook/cal', { triggerEvent => 'BOOKING_RESCHEDULED', createdAt => '2030-01-01T00:00:00.000Z',
	payload => { uid => "$booking->{uid}-moved", rescheduleUid => $booking->{uid}, eventTypeId => $event_type,
		startTime => $moved_start, endTime => $moved_end, attendees => $booking->{attendees} } });
is($ans->{action}, 'moved', 'Cal.com moves the appointment: moved');
is($p->sql("SELECT state || '|' || last_error FROM vapi_pool.outbox WHERE id = $first_job"),
	'suppressed|the appointment was moved', '... its first confirmation call is withdrawn');
my ($job_id, $still_a_day, $local_moved) = split /\|/, confirmation($lead);
isnt($job_id // '', $first_job, '... and another is queued');
is("$still_a_day|$local_moved", 'true|15:00', '... a day before the new time, at 15:00 local');
is($p->sql("SELECT a.release_at = ap.ends_at + interval '24 hours' FROM vapi_pool.vapi_number_assignments a
	JOIN vapi_pool.appointments ap ON ap.contact_id = a.lead_id WHERE a.lead_id = '$lead'"), 't',
	"... and the number's hold follows it");
is(scalar @{ $p->requests(service => 'vapi', since => 'a') }, 0, 'no call is placed before it is due');

# The day comes (its time is moved, not waited for).
$p->mark('confirm');
$p->sql("UPDATE vapi_pool.outbox SET run_at = now() WHERE id = $job_id");
my $call = $p->placed_call('+14155550177');
my $posts = $p->requests(service => 'vapi', method => 'POST', path => '/call', since => 'confirm');
is(scalar @$posts, 1, 'when it is due, the dispatcher places one call');
my $create = body_of($posts->[0]);
is($create->{assistantId}, $CallPlayer::ASSISTANT{intake}, '... with Barbara');
is($create->{phoneNumberId}, $p->sql("SELECT vapi_phone_number_id FROM vapi_pool.vapi_number_pool WHERE number = '$number'"),
	'... from the lead\'s pool number');
my $appointment = $p->sql("SELECT id FROM vapi_pool.appointments WHERE contact_id = '$lead'");
is_deeply($create->{assistantOverrides}{variableValues}, { lead_id => $lead, appointment_id => $appointment },
	'... given only the lead and the appointment');
$call->status('in-progress');

# Barbara looks the lead up: the answer names the appointment.
my $said = $call->tool('supabase_query', { query_type => 'get_lead_details', identifier => $lead });
my $details = eval { $json->decode($said) } // {};
my $next = $details->{lead}{next_appointment} // {};
is($next->{id}, $appointment, 'get_lead_details names the appointment');
is($next->{with}, 'Dana Lee', '... with whom');
is($next->{time_zone}, $zone, '... in which zone its time is said');
is($next->{confirmed}, JSON::PP::false, '... not confirmed yet');
# The lead confirms; Barbara passes the id she was given.
$said = $call->tool('update_appointment', { action => 'confirm',
	appointment_id => $create->{assistantOverrides}{variableValues}{appointment_id} });
like($said, qr/^Confirmed: the appointment with Dana Lee on \Q$next->{when}\E \(\Q$zone\E time\)\. Thank the caller/,
	'update_appointment confirms, in the words the lookup used, and says what to do next');
is($p->sql("SELECT confirmed_at IS NOT NULL FROM vapi_pool.appointments WHERE id = '$appointment'"), 't',
	'the appointment is confirmed');
($st, $ans) = $call->end(endedReason => 'customer-ended-call', durationSeconds => 45,
	transcript => "AI: Hi Jo, this is Barbara, calling to confirm your appointment with Dana.\nUser: Yes, I'll be there.");
is($ans->{outcome}, 'answered', 'the confirmation call is logged as answered');
is($p->sql("SELECT status FROM vapi_pool.leads WHERE id = '$lead'"), 'appointment_booked', '... and the lead stays booked');
is($p->sql("SELECT count(*) FROM vapi_pool.outbox WHERE kind = 'vapi.create_call' AND state = 'pending'"), '0',
	'... with no retry queued');

# ---------------------------------------------------------------- the number is released after the appointment

$p->run_cron_job('vapi_pool.release_expired');
is(number_state($lead), 'call_completed|assigned', 'the release job keeps the number while the appointment is ahead');
after_the_appointment($lead);
$p->run_cron_job('vapi_pool.release_expired');
is(number_state($lead), 'released|available', 'a day after the appointment the release job frees it');
is($p->sql("SELECT vapi_assignment_id IS NULL FROM vapi_pool.leads WHERE id = '$lead'"), 't', '... and the lead lets go of it');

# ================================================================ (b) cancelled on the confirmation call

$p->mark('b');
my $booking_b = $p->standin->book(eventTypeId => $event_type, start => local_instant(3, 14), lengthInMinutes => 30,
	attendee => { name => 'Sam Ortiz', email => 'sam@example.com', timeZone => $zone, phoneNumber => '+14155550188' });
($st, $ans) = $p->post('/webhook/cal', booking_created($booking_b));
is($ans->{action}, 'recorded', '(b) a second lead books on Cal.com');
my $lead_b = $ans->{lead_id};
my $job_b = $p->sql("SELECT o.id FROM vapi_pool.outbox o JOIN vapi_pool.appointments ap
	ON (o.payload ->> 'appointment_id') = ap.id::text WHERE ap.contact_id = '$lead_b' AND o.state = 'pending'");
like($job_b, qr/^\d+$/, '... and a confirmation call is queued for it');
$p->sql("UPDATE vapi_pool.outbox SET run_at = now() WHERE id = $job_b");
my $call_b = $p->placed_call('+14155550188');
$call_b->status('in-progress');
$said = $call_b->tool('update_appointment', { action => 'cancel' });
like($said, qr/^Cancelled: the appointment with Dana Lee on .+\. Ask whether the caller wants another time/,
	'the lead cancels: the answer says so and what to ask next');
ok($p->outbox_settled(15), 'the dispatcher delivers what was queued');
my $cancels = $p->requests(service => 'cal', method => 'POST', path => "/v2/bookings/$booking_b->{uid}/cancel", since => 'b');
is(scalar @$cancels, 1, 'Cal.com is asked once to cancel that booking');
is(body_of($cancels->[0])->{cancellationReason}, 'cancelled by the lead on a call', '... with the reason');
($st, $ans) = $call_b->end(endedReason => 'customer-ended-call', durationSeconds => 30,
	transcript => "AI: Calling to confirm.\nUser: I need to cancel, sorry.");
is($ans->{outcome}, 'answered', 'the call ends answered');
# Cal.com tells us of the cancellation it made.
($st, $ans) = $p->post('/webhook/cal', { triggerEvent => 'BOOKING_CANCELLED', createdAt => '2030-01-01T00:00:00.000Z',
	payload => { uid => $booking_b->{uid}, eventTypeId => $event_type, status => 'CANCELLED' } });
is($st, 200, "Cal.com's BOOKING_CANCELLED is taken");
is($p->sql("SELECT status || '|' || cancel_reason FROM vapi_pool.appointments WHERE contact_id = '$lead_b'"),
	'cancelled|cancelled by the lead on a call', '... and changes nothing more');
is($p->sql("SELECT count(*) FROM vapi_pool.outbox WHERE kind = 'cal.cancel_booking'"), '1', '... nor cancels again');
# The number goes by the release rule: a day after the last call.
$p->run_cron_job('vapi_pool.release_expired');
is(number_state($lead_b), 'call_completed|assigned', 'the number stays with the lead for a day after the call');
$p->sql("UPDATE vapi_pool.vapi_number_assignments SET release_at = release_at - interval '25 hours',
	last_call_at = last_call_at - interval '25 hours' WHERE lead_id = '$lead_b'");
$p->run_cron_job('vapi_pool.release_expired');
is(number_state($lead_b), 'released|available', '... then the release job frees it');

# ================================================================ nothing else happened

ok($p->outbox_settled(15), 'the outbox is settled');
is($p->sql("SELECT string_agg(kind || ':' || state, ',' ORDER BY id) FROM vapi_pool.outbox"),
	'vapi.create_call:suppressed,vapi.create_call:done,vapi.create_call:done,cal.cancel_booking:done',
	'the jobs: the call withdrawn by the move, the two confirmation calls and the cancellation, each delivered');
is($p->sql("SELECT count(*) FROM vapi_pool.webhook_inbox WHERE state <> 'processed'"), '0', 'no event failed');
is($p->sql("SELECT count(*) FROM vapi_pool.leads"), '2', 'two leads, no other contact');

$p->stop;
done_testing();
