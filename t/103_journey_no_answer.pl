# 103_journey_no_answer.pl
#   Journey (c) of issue 19, played whole against the running shim, the
#   dispatcher and the Vapi stand-in (t/lib/CallPlayer.pm): an Instantly
#   reply asks for a call; the lead does not pick up three times -- busy, a
#   voicemail, no answer -- at allowed hours; after the third the SMS goes
#   out once.  Every POST /call configures voicemail detection, the one that
#   reaches the machine leaves the message (the create-call carried it, the
#   call log keeps it), and the lead is never "connected".
#
#   Time moves without sleeping: the calls end at chosen instants (the
#   reports' startedAt/endedAt, tomorrow and the day after in the lead's
#   zone), and a retry queued for a later hour is made due by setting its
#   outbox run_at to now, which is what the clock would have done.  The
#   lead's zone (its own leads.timezone, since 0.7.0 the one that counts) is
#   one where it is working hours now, so that the dispatcher's own check of
#   the calling hours at the real now (0.7.0) agrees with the test's clock.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use CallPlayer;

my $org = 'cccccccc-0000-4000-8000-000000000000';
my $broker = 'c1000000-0000-4000-8000-000000000001';
my $zone = CallPlayer::working_hours_zone();
note("the lead's and the broker's zone: $zone");
my $pool_number = '+13105550188';
my $pool_id = 'pn_journey_c';
my $lead_number = '+14155550177';	# the number the reply asks to be called at
my $sms_text = 'Sorry we missed you! Reply here or call this number to talk to Dana.';

my $p = CallPlayer->start('journey_no_answer',
	# the engine's rules, said here rather than taken for granted
	settings => {
		'vapi_pool.max_call_attempts' => 3,
		'vapi_pool.retry_backoff' => '1h, 4h',
		'vapi_pool.calling_window' => '08:00-20:00',
	},
	fixtures => <<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name, sms_when_unreachable, unreachable_sms_text)
	VALUES ('$org', 'Acme Home Loans', true, '$sms_text');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active) VALUES
	('$org', '$broker', 'Dana Lee', '$zone', '+13105550147', true);
-- Pat is on file (the reply finds her by address), in her own zone
INSERT INTO leads (org_id, broker_id, first_name, last_name, email, timezone) VALUES
	('$org', '$broker', 'Pat', 'Quinn', 'pat.quinn\@example.com', '$zone');
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, broker_id) VALUES
	('$org', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d', '$broker');
SELECT count(*) FROM (SELECT add_pool_number('$broker', '$pool_number', '$pool_id')) s;
SQL

# ---------------------------------------------------------------- helpers

# One value of a query.
sub q1 { return $p->sql($_[0]) }

# SQL for "the first instant at or after t inside 08:00-20:00 in the lead's
# zone" -- the calling window, computed here independently of the engine.
sub window_sql
{
	my ($t) = @_;
	return "(SELECT CASE WHEN l::time >= '08:00' AND l::time < '20:00' THEN x"
	  . " WHEN l::time < '08:00' THEN (l::date + time '08:00') AT TIME ZONE '$zone'"
	  . " ELSE (l::date + 1 + time '08:00') AT TIME ZONE '$zone' END"
	  . " FROM (SELECT ($t)::timestamptz AS x, ($t)::timestamptz AT TIME ZONE '$zone' AS l) w)";
}

# An instant as Vapi writes it: local time $local on day +$days (the lead's
# zone, counted from today there), in UTC ISO 8601 with milliseconds.
sub at_local
{
	my ($days, $local) = @_;
	return q1("SELECT to_char((((now() AT TIME ZONE '$zone')::date + $days) + time '$local')"
		  . " AT TIME ZONE '$zone' AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')");
}

# The create-call job that is pending (there is at most one): id|run_at.
sub pending_call_job
{
	return q1("SELECT id FROM vapi_pool.outbox WHERE kind = 'vapi.create_call' AND state = 'pending'");
}

# Let the clock reach job $id's hour: it is due now, and the dispatcher sends it.
sub make_due
{
	my ($id) = @_;
	q1("UPDATE vapi_pool.outbox SET run_at = now() WHERE id = $id AND state = 'pending'");
}

# The POST /call bodies the stand-in received, in order.
sub call_bodies
{
	return [ map { $_->{body} } @{ $p->requests(service => 'vapi', method => 'POST', path => '/call') } ];
}

# What a create-call must configure: Vapi's voicemail detection (the
# settings' defaults, @vapi-ai/server-sdk's VapiVoicemailDetectionPlan).
my %detection = (provider => 'vapi', type => 'audio', beepMaxAwaitSeconds => 30);

# The message a lead can act on: who called, why, and the number to call back.
my $message = "Hi Pat, this is Dana Lee's office at Acme Home Loans, returning your email. "
  . "Please call us back at 310-555-0188. Again, that is 310-555-0188. Thank you!";

# ---------------------------------------------------------------- the reply asks for a call

my ($st, $ans) = $p->instantly_reply();
is($st, 200, 'the Instantly reply is taken');
my $job1 = pending_call_job() || q1("SELECT min(id) FROM vapi_pool.outbox WHERE kind = 'vapi.create_call'");
ok($job1, 'a create-call job is queued for the lead');
is(q1("SELECT run_at = " . window_sql('created_at') . " FROM vapi_pool.outbox WHERE id = $job1"), 't',
	'attempt 1 is queued at the first allowed hour');
make_due($job1);
my $call1 = $p->placed_call($lead_number);
my $lead = q1("SELECT payload ->> 'lead_id' FROM vapi_pool.outbox WHERE id = $job1");
ok($lead, 'the lead exists');

my $bodies = call_bodies();
is(scalar @$bodies, 1, 'one POST /call');
is_deeply($bodies->[0]{assistantOverrides}{voicemailDetection}, \%detection,
	'attempt 1 configures voicemail detection');
is($bodies->[0]{assistantOverrides}{voicemailMessage}, $message,
	'... and carries the message: who, why, the pool number to call back');
is($bodies->[0]{phoneNumberId}, $pool_id, '... from the lead\'s pool number');

# ---------------------------------------------------------------- attempt 1: busy at 19:30

# tomorrow 19:30 in the lead's zone: +1 h is past 20:00, so attempt 2 is at 08:00 the day after
my $end1 = at_local(1, '19:30:00');
$call1->status('ringing');
($st, $ans) = $call1->end(endedReason => 'customer-busy', startedAt => at_local(1, '19:29:40'), endedAt => $end1,
	durationSeconds => 20, transcript => '');
is($st, 200, 'the report of attempt 1 is taken');
is($ans->{outcome}, 'no_answer', '... busy is no answer');
is($ans->{lead_status}, 'calling', '... the lead is still being called');
my $job2 = pending_call_job();
ok($job2, 'attempt 2 is queued');
is(q1("SELECT payload ->> 'attempt' FROM vapi_pool.outbox WHERE id = $job2"), '2', '... as attempt 2');
is(q1("SELECT run_at = " . window_sql("'$end1'::timestamptz + interval '1 hour'")
	  . " AND run_at = (((now() AT TIME ZONE '$zone')::date + 2) + time '08:00') AT TIME ZONE '$zone'"
	  . " FROM vapi_pool.outbox WHERE id = $job2"), 't',
	'... at the next allowed hour: 08:00 the next morning');
is(q1("SELECT run_at = '$ans->{next_attempt_at}'::timestamptz FROM vapi_pool.outbox WHERE id = $job2"), 't',
	'... which the answer says');
$p->standin->end_call($call1->id, 'customer-busy');

# ---------------------------------------------------------------- attempt 2: a machine answers

make_due($job2);
my $call2 = $p->placed_call($lead_number, after => 1);
$bodies = call_bodies();
is(scalar @$bodies, 2, 'the second POST /call');
is_deeply($bodies->[1]{assistantOverrides}{voicemailDetection}, \%detection, '... configures voicemail detection');
is($bodies->[1]{assistantOverrides}{voicemailMessage}, $message, '... and carries the message');

my $end2 = at_local(2, '08:05:00');
$call2->status('ringing');
$call2->status('in-progress');
($st, $ans) = $call2->end(endedReason => 'voicemail', startedAt => at_local(2, '08:04:10'), endedAt => $end2,
	durationSeconds => 50, transcript => "AI: $message");
is($st, 200, 'the report of attempt 2 is taken');
is($ans->{outcome}, 'voicemail', '... Vapi\'s detection found a machine: outcome voicemail');
is($ans->{lead_status}, 'calling', '... the lead is not connected');
is(q1("SELECT outcome || '|' || ended_reason || '|' || voicemail_message FROM vapi_pool.vapi_call_logs"
	  . " WHERE vapi_call_id = '" . $call2->id . "'"),
	"voicemail|voicemail|$message", 'the call log records the voicemail and the message it left');
my $job3 = pending_call_job();
ok($job3, 'attempt 3 is queued');
is(q1("SELECT payload ->> 'attempt' FROM vapi_pool.outbox WHERE id = $job3"), '3', '... as attempt 3');
is(q1("SELECT run_at = " . window_sql("'$end2'::timestamptz + interval '4 hours'")
	  . " AND (run_at AT TIME ZONE '$zone')::time = '12:05'"
	  . " FROM vapi_pool.outbox WHERE id = $job3"), 't',
	'... after the 4 h backoff, at an allowed hour (12:05)');
$p->standin->end_call($call2->id, 'voicemail');

# ---------------------------------------------------------------- attempt 3: no answer

make_due($job3);
my $call3 = $p->placed_call($lead_number, after => 2);
$bodies = call_bodies();
is(scalar @$bodies, 3, 'the third POST /call');
is_deeply($bodies->[2]{assistantOverrides}{voicemailDetection}, \%detection, '... configures voicemail detection');
ok(!exists $bodies->[2]{assistantOverrides}{voicemailMessage},
	'... and leaves no second message: one was left already');

my $end3 = at_local(2, '12:06:00');
$call3->status('ringing');
($st, $ans) = $call3->end(endedReason => 'customer-did-not-answer', startedAt => at_local(2, '12:05:15'),
	endedAt => $end3, durationSeconds => 45, transcript => '');
is($st, 200, 'the report of attempt 3 is taken');
is($ans->{outcome}, 'no_answer', '... no answer');
is($ans->{lead_status}, 'unreachable', '... the attempts are used up: the lead is unreachable');
ok(!exists $ans->{next_attempt_at}, '... and no attempt follows');
$p->standin->end_call($call3->id, 'customer-did-not-answer');

# ---------------------------------------------------------------- the SMS, once

ok($p->outbox_settled(15), 'the dispatcher delivered what was due');
my $chats = $p->requests(service => 'vapi', method => 'POST', path => '/chat');
is(scalar @$chats, 1, 'one POST /chat');
is_deeply($chats->[0]{body},
	{ input => $sms_text, assistantId => $CallPlayer::ASSISTANT{intake},
	  transport => { type => 'twilio.sms', phoneNumberId => $pool_id, customer => { number => $lead_number } } },
	'... the organisation\'s text, from the pool number, to the lead');

# the same report again changes nothing: no second SMS, no fourth call
($st, $ans) = $call3->end(endedReason => 'customer-did-not-answer', startedAt => at_local(2, '12:05:15'),
	endedAt => $end3, durationSeconds => 45, transcript => '');
is($st, 200, 'a repeated report is taken');
ok($p->outbox_settled(15), 'nothing is left to deliver');

# ---------------------------------------------------------------- the rows, and nothing else

is(q1("SELECT string_agg(attempt || ':' || ended_reason || ':' || outcome || ':' || (voicemail_message IS NOT NULL),"
	  . " ',' ORDER BY attempt) FROM vapi_pool.vapi_call_logs WHERE lead_id = '$lead'"),
	'1:customer-busy:no_answer:false,2:voicemail:voicemail:true,3:customer-did-not-answer:no_answer:false',
	'three call logs: busy, voicemail (message left), no answer');
is(q1("SELECT count(*) FROM vapi_pool.vapi_call_logs"), '3', 'no other call is logged');
is(q1("SELECT status FROM vapi_pool.leads WHERE id = '$lead'"), 'unreachable', 'the lead is unreachable, never connected');
is_deeply($p->jobs('%'),
	[ 'vapi.create_call|done|1', 'vapi.create_call|done|1', 'vapi.create_call|done|1', 'vapi.sms|done|1' ],
	'the outbox: three calls and one SMS, each sent once');
is(q1("SELECT string_agg(kind || ':' || (payload ->> 'purpose'), ',') FROM vapi_pool.outbox WHERE kind = 'vapi.sms'"),
	'vapi.sms:unreachable', '... the SMS is the unreachable one');
is_deeply([ map { "$_->{service} $_->{method} $_->{path}" } @{ $p->requests() } ],
	[ 'vapi POST /call', 'vapi POST /call', 'vapi POST /call', 'vapi POST /chat' ],
	'the vendors received three calls and one SMS, nothing else');
is(q1("SELECT status FROM vapi_pool.vapi_number_assignments WHERE lead_id = '$lead'"), 'call_completed',
	'the number stays with the lead until it is released');

$p->stop;
done_testing();
