# 104_journey_clinic.pl
#   Journeys (d) and (e) of issue 19, played whole against the running shim,
#   the dispatcher and the Vapi/Cal.com stand-in (t/lib/CallPlayer.pm):
#
#   (d) Bright Smile (its own calendar: opening hours, no Cal.com).  A new
#       caller reaches the receptionist, gives her name, asks about a nose
#       job and hangs up -> a contact with her name and number, the call
#       hers, her medical history moved out of the transcript into her
#       record, one follow-up and one SMS job at an allowed hour (the calling
#       window is set a few hours ahead, so the job waits and the test sees
#       it queued, not sent).  She calls back: the receptionist knows her
#       (contact id and name), checks, holds the second time offered as
#       worded, books it -> the appointment booked at that time, her
#       follow-up booked and its SMS called off, no second follow-up, and
#       nothing sent to any vendor.
#   (e) Bay Aesthetics (a Cal.com event type).  A patient on file calls ->
#       the receptionist with her contact id and name; she books the first
#       time offered (GET /slots, POST /bookings), then moves it to another
#       (GET /slots, POST /bookings; the old booking cancelled here and, by
#       the dispatcher, in Cal.com) -> exactly those five Cal.com requests.
#
#   Also: every tool of assistants/clinic_receptionist.json is answered, and
#   asks for the parameters the definition says it requires.
#   The assistant's side acts only on the text the tools answered.
use strict;
use warnings;

use JSON::PP ();
use POSIX ();
use PostgreSQL::Test::Utils;
use Test::More;
use CallPlayer;
use VapiPoolTest qw(source_dir);

my $smile = 'cccccccc-0000-4000-8000-000000000000';
my $smile_desk = 'c1000000-0000-4000-8000-000000000001';
my $smile_zone = 'America/New_York';
my $smile_line = '+12125550150';
my $bay = 'dddddddd-0000-4000-8000-000000000000';
my $bay_desk = 'd1000000-0000-4000-8000-000000000001';
my $bay_line = '+14155550350';
my $dora = 'd2000000-0000-4000-8000-000000000001';
my $dora_number = '+14155550166';
my $mia_number = '+12125550199';
my $event_type = 4243;

# A calling window of one hour, three hours after the present hour in the
# clinic's zone: a follow-up SMS queued now waits for it (its run_at is the
# window's start), whenever the test runs.
sub window_ahead
{
	local $ENV{TZ} = $smile_zone;
	POSIX::tzset();
	my $start = ((localtime)[2] + 3) % 24;
	POSIX::tzset();
	return (sprintf('%02d:00-%02d:00', $start, $start + 1), sprintf('%02d:00:00', $start));
}
my ($window, $window_start) = window_ahead();
POSIX::tzset();
note("calling window: $window ($smile_zone)");

my $p = CallPlayer->start('journey_clinic',
	shim_args => ['--receptionist-assistant-id=asst-voxanne'],
	settings => { 'vapi_pool.calling_window' => $window },
	fixtures => <<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name, is_clinic, timezone, dropoff_sms_enabled) VALUES
	('$smile', 'Bright Smile Clinic', true, '$smile_zone', true),
	('$bay', 'Bay Aesthetics', true, 'America/Los_Angeles', true);
UPDATE orgs SET cal_event_type_id = $event_type, receptionist_assistant_id = 'asst-bay-voxanne' WHERE org_id = '$bay';
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active) VALUES
	('$smile', '$smile_desk', 'Front desk', '$smile_zone', '+12125550100', true),
	('$bay', '$bay_desk', 'Front desk', 'America/Los_Angeles', '+14155550300', true);
INSERT INTO leads (org_id, id, first_name, last_name, email, primary_phone_e164) VALUES
	('$bay', '$dora', 'Dora', 'Kim', 'dora\@example.com', '$dora_number');
INSERT INTO clinic_hours (org_id, weekday, opens, closes)
SELECT '$smile', d, '09:00', '17:00' FROM generate_series(1, 7) d;
SELECT count(*) FROM (SELECT add_pool_number('$smile_desk', '$smile_line', 'pn_smile')
	UNION ALL SELECT add_pool_number('$bay_desk', '$bay_line', 'pn_bay')) s;
SQL

my $JSON = JSON::PP->new->canonical;

# The id an answer gave after "key: " (hold_id, appointment_id), as the model reads it.
sub id_in
{
	my ($text, $key) = @_;
	my ($id) = ($text // '') =~ /\b$key:? ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/;
	return $id;
}

# A day three days ahead in a zone, YYYY-MM-DD (the caller's "Thursday").
sub day_ahead
{
	my ($zone) = @_;
	local $ENV{TZ} = $zone;
	POSIX::tzset();
	my $day = POSIX::strftime('%Y-%m-%d', localtime(time + 3 * 86400));
	POSIX::tzset();
	return $day;
}

# ---------------------------------------------------------------- the definition agrees with the tools

my $definition = $JSON->decode(slurp_file(source_dir() . '/assistants/clinic_receptionist.json'));
my $prompt = $definition->{model}{messages}[0]{content};
my $probe = $p->inbound_call(to => $smile_line, from => '+12125550111');
$probe->assistant_request;
for my $tool (@{ $definition->{model}{tools} })
{
	my $name = $tool->{function}{name};
	my $said = $probe->tool($name, {});
	unlike($said, qr/unknown tool/, "the definition's $name is one of the receptionist's tools");
	like($prompt, qr/\b\Q$name\E\b/, "... and the prompt says when to use it");
	for my $required (@{ $tool->{function}{parameters}{required} // [] })
	{
		like($said, qr/\b\Q$required\E\b/, "... without $required it asks for $required");
	}
}
$p->sql("DELETE FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = '" . $probe->id . "'");
$p->sql("DELETE FROM vapi_pool.leads WHERE primary_phone_e164 = '+12125550111'");

# ---------------------------------------------------------------- (d) a new caller drops off, then books

my $first = $p->inbound_call(to => $smile_line, from => $mia_number);
my $answer = $first->assistant_request;
is($answer->{assistantId}, 'asst-voxanne', '(d) a new caller of the clinic gets the receptionist');
is_deeply($answer->{assistantOverrides}{variableValues},
	{ clinic_name => 'Bright Smile Clinic', called_number => $smile_line, caller_number => $mia_number },
	'... with the numbers and no contact yet');
$first->status('in-progress');
my $said = $first->tool('save_caller_details', { first_name => 'Mia', last_name => 'Lopez' });
like($said, qr/^Saved the caller's details: name Mia Lopez\b/, '... who saves the name the caller gave');
my ($st, $ended) = $first->end(endedReason => 'customer-ended-call',
	transcript => "AI: Bright Smile, this is Voxanne.\nUser: Hi, I'm Mia Lopez. How much is a nose job? "
	  . "I have asthma, is that a problem?\nAI: Rhinoplasty starts at 6,000 dollars.\nUser: Okay.");
is($st, 200, '... and the caller hangs up');
ok($ended->{followup_id}, '... a drop-off: the report is answered with its follow-up');

my $mia = $p->sql("SELECT id FROM vapi_pool.leads WHERE org_id = '$smile' AND primary_phone_e164 = '$mia_number'");
is( $p->sql(
		"SELECT l.name || '|' || (l.redacted_medical_history LIKE '%asthma%') || '|' || (c.lead_id = l.id)
		   || '|' || (c.transcript NOT LIKE '%asthma%' AND c.transcript LIKE '%[MEDICAL]%')
		 FROM vapi_pool.leads l JOIN vapi_pool.vapi_call_logs c ON c.vapi_call_id = '" . $first->id . "'
		 WHERE l.id = '$mia'"),
	'Mia Lopez|true|true|true',
	'(d) a contact with her name; the call hers; her medical history in her record, not in the transcript');
is( $p->sql(
		"SELECT f.procedures::text || '|' || f.state || '|' || o.kind || '|' || o.state || '|'
		   || (o.payload ->> 'customer_number') || '|' || (o.payload ->> 'text')
		 FROM vapi_pool.dropoff_followups f JOIN vapi_pool.outbox o ON o.org_id = f.org_id AND o.id = f.outbox_id
		 WHERE f.lead_id = '$mia'"),
	"{Rhinoplasty}|sms_queued|vapi.sms|pending|$mia_number|Hi Mia, thanks for calling us about Rhinoplasty. "
	  . 'Reply to this message and we will find you a time that suits you.',
	'... one follow-up (Rhinoplasty) and its SMS job, addressed to her');
is( $p->sql(
		"SELECT run_at > now() AND (run_at AT TIME ZONE '$smile_zone')::time = '$window_start'
		 FROM vapi_pool.outbox WHERE kind = 'vapi.sms'"),
	't', "... at the next allowed hour in the clinic's zone (the window opens at $window_start)");

# She calls back, and books.
my $second = $p->inbound_call(to => $smile_line, from => $mia_number);
$answer = $second->assistant_request;
is($answer->{assistantId}, 'asst-voxanne', '(d) the same caller calls back: the receptionist');
is($answer->{assistantOverrides}{variableValues}{contact_id}, $mia, '... with her contact id');
is($answer->{assistantOverrides}{variableValues}{contact_name}, 'Mia Lopez', '... and her name');
$second->status('in-progress');
my $day = day_ahead($smile_zone);
$said = $second->tool('check_availability', { date => $day });
my @offered = CallPlayer::offered_times($said);
is(scalar @offered, 6, '(d) the check offers six times') or diag($said);
$said = $second->tool('claim_slot_atomic', { slot_time => $offered[1] });
my $hold = id_in($said, 'hold_id');
like($said, qr/^Held \Q$offered[1]\E \(\Q$smile_zone\E\)/, '... the second one is held as worded') or diag($said);
$said = $second->tool('confirm_booking', { hold_id => $hold });
like($said, qr/^Booked \Q$offered[1]\E\b/, '... and booked') or diag($said);
my $appointment = id_in($said, 'appointment_id');
($st, $ended) = $second->end(endedReason => 'customer-ended-call',
	transcript => "AI: Welcome back, Mia.\nUser: I'd like to come in about the rhinoplasty.\n"
	  . "AI: For your chart, can you confirm your date of birth?\nUser: March 14th, 1990.\n"
	  . "AI: You are booked for $offered[1].\nUser: Thanks. My insurance claim number is 4012887766, bye.");
is($st, 200, '... and hangs up');
ok(!$ended->{followup_id}, '... booked: no follow-up');
is( $p->sql(
		"SELECT transcript FROM vapi_pool.vapi_call_logs WHERE org_id = '$smile' AND vapi_call_id = '" . $second->id . "'"),
	"AI: Welcome back, [NAME].\nUser: I'd like to come in about the rhinoplasty.\n"
	  . "AI: For your chart, can you confirm your date of birth?\nUser: [DOB].\n"
	  . "AI: You are booked for $offered[1].\nUser: Thanks. My insurance claim number is 4012887766, bye.",
	'(d) the stored transcript keeps what the call was about (the appointment, the claim number), not her birth date');

is( $p->sql(
		"SELECT a.status || '|' || vapi_pool.spoken_time(a.scheduled_at, '$smile_zone') || '|' || (a.cal_booking_uid IS NULL)
		 FROM vapi_pool.appointments a WHERE a.org_id = '$smile' AND a.contact_id = '$mia' AND a.hold_id = '$appointment'"),
	"booked|$offered[1]|true", '(d) the appointment is booked at the time she chose, on the clinic\'s own calendar');
is( $p->sql(
		"SELECT count(*) || '|' || string_agg(f.state || '|' || o.state || '|' || o.last_error, ';')
		 FROM vapi_pool.dropoff_followups f JOIN vapi_pool.outbox o ON o.org_id = f.org_id AND o.id = f.outbox_id
		 WHERE f.org_id = '$smile'"),
	'1|booked|dead|not sent: the contact booked before the follow-up went out',
	'... no second follow-up; the first one is booked and its SMS, not sent yet, called off');
is($p->sql("SELECT count(*) FROM vapi_pool.appointments WHERE org_id = '$smile'"), '1',
	'... no other appointment (nor hold) of the clinic');
is($p->sql("SELECT count(*) FROM vapi_pool.outbox WHERE org_id = '$smile'"), '1', '... no other outbox job');
$p->outbox_settled(5);
is(scalar @{ $p->requests }, 0, '(d) nothing was sent to Vapi or Cal.com');

# ---------------------------------------------------------------- (e) a patient on file books, then moves it

my $call = $p->inbound_call(to => $bay_line, from => $dora_number);
$answer = $call->assistant_request;
is($answer->{assistantId}, 'asst-bay-voxanne', "(e) a patient on file gets the clinic's own receptionist");
is($answer->{assistantOverrides}{variableValues}{contact_id}, $dora, '... with her contact id');
is($answer->{assistantOverrides}{variableValues}{contact_name}, 'Dora Kim', '... and her name');
$call->status('in-progress');
$p->mark('e');
$said = $call->tool('check_availability', {});
my @first_offer = CallPlayer::offered_times($said);
ok(@first_offer >= 2, '(e) the check offers Cal.com\'s free times') or diag($said);
$said = $call->tool('claim_slot_atomic', { slot_time => $first_offer[0] });
like($said, qr/^Held \Q$first_offer[0]\E\b/, '... the first one is held as worded') or diag($said);
$said = $call->tool('confirm_booking', { hold_id => id_in($said, 'hold_id') });
my ($uid1) = $said =~ /confirmation (\S+?)\./;
like($said, qr/^Booked \Q$first_offer[0]\E .*confirmation \S+\. appointment_id: /, '... and booked in Cal.com')
  or diag($said);
my $old = id_in($said, 'appointment_id');

$said = $call->tool('list_appointments', {});
like($said, qr/\Q$first_offer[0]\E \(appointment_id \Q$old\E\)/, '(e) she asks to move it: her appointment is listed');
$said = $call->tool('check_availability', {});
my @second_offer = CallPlayer::offered_times($said);
my $new_time = $second_offer[-1];
isnt($new_time, $first_offer[0], '... the new check offers other times') or diag($said);
$said = $call->tool('claim_slot_atomic', { slot_time => $new_time });
like($said, qr/^Held \Q$new_time\E\b/, '... the last one is held as worded') or diag($said);
$said = $call->tool('reschedule_appointment', { appointment_id => $old, hold_id => id_in($said, 'hold_id') });
my ($uid2) = $said =~ /confirmation (\S+?)\./;
like($said, qr/^Booked \Q$new_time\E .*The appointment on \Q$first_offer[0]\E is cancelled\./,
	'... moved: the new time booked, the old one cancelled') or diag($said);
my $new = id_in($said, 'appointment_id');
($st, $ended) = $call->end(endedReason => 'assistant-ended-call',
	transcript => "AI: Hello Dora.\nUser: I need to move my appointment.\nAI: Done, see you then.");
is($st, 200, '(e) the call ends');
ok($p->outbox_settled(15), '... and the dispatcher delivers what it queued');

is( $p->sql(
		"SELECT string_agg(a.status || ':' || coalesce(a.cal_booking_uid, '-') || ':' || coalesce(a.cancel_reason, '-'), ' ' ORDER BY a.created_at)
		 FROM vapi_pool.appointments a WHERE a.org_id = '$bay' AND a.contact_id = '$dora'"),
	"cancelled:$uid1:rescheduled by the caller booked:$uid2:-",
	'(e) the old appointment cancelled (rescheduled), the new one booked with its Cal.com uid');
is($p->sql("SELECT hold_id FROM vapi_pool.appointments WHERE cal_booking_uid = '$uid2'"), $new,
	'... the appointment id the model was told');
my $cal = $p->requests(since => 'e');
is_deeply([ map { "$_->{service} $_->{method} " . ($_->{path} =~ s{/v2/bookings/[^/]+/cancel}{/v2/bookings/UID/cancel}r) } @$cal ],
	[ 'cal GET /v2/slots', 'cal POST /v2/bookings', 'cal GET /v2/slots', 'cal POST /v2/bookings',
		'cal POST /v2/bookings/UID/cancel' ],
	'... Cal.com got two checks, two bookings and one cancellation, and nothing else was sent');
is($cal->[0]{query}{eventTypeId}, $event_type, "... the slots of the clinic's event type");
is_deeply([ map { $_->{body}{attendee}{name} . ' ' . $_->{body}{attendee}{email} } @$cal[ 1, 3 ] ],
	[ 'Dora Kim dora@example.com', 'Dora Kim dora@example.com' ], '... each booking for her');
is($cal->[4]{path}, "/v2/bookings/$uid1/cancel", '... the cancellation of the first booking');
my %bookings = map { $_->{uid} => $_->{status} } @{ $p->standin->state->{bookings} // [] };
is_deeply(\%bookings, { $uid1 => 'cancelled', $uid2 => 'accepted' }, "... Cal.com's own record agrees");
is($p->sql("SELECT string_agg(kind || ':' || state, ' ') FROM vapi_pool.outbox WHERE org_id = '$bay'"),
	'cal.cancel_booking:done', '... the only job was that cancellation, done');
is($p->sql("SELECT count(*) FROM vapi_pool.dropoff_followups WHERE org_id = '$bay'"), '0',
	'... and the call the receptionist ended is no drop-off');

$p->stop;
done_testing();
