# 102_journey_number_leaks.pl
#   Journeys (f) and (g) of issue 19, played whole against the running shim,
#   the dispatcher, the pg_cron job's command and the Vapi stand-in
#   (t/lib/CallPlayer.pm): no number is lost.
#
#   (f) Vapi refuses a create-call (400): the job is dead, the number lent
#       for the call is free again at once and the lead asked for a call that
#       was not placed; outbox_replay lends the number again and the call goes
#       out.
#   (g) A call's end-of-call report never arrives: the sweep (the pg_cron job
#       vapi_pool.reconcile_stale_calls, its command run now) asks Vapi with
#       GET /call/{id} through the outbox, and the outcome Vapi gives is
#       recorded as the report would have been -- answered: the number held
#       (call_completed); not answered: the retry queued.  The report coming
#       late after all decides nothing twice.  A call Vapi does not know
#       either (404) keeps its number until vapi_pool.call_report_give_up
#       after it should have ended, and is then ended as unknown and its
#       number released.
#
#   Time moves without sleeping: a call "placed 25 minutes ago" is a call
#   log whose created_at is set 25 minutes back (what the clock would have
#   done), and later moments are the sweep's own now argument.  The real
#   pg_cron schedule of the sweep is switched off, so only the test runs it.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use CallPlayer;

my $org = 'ffffffff-0000-4000-8000-000000000000';
my $broker = 'f1000000-0000-4000-8000-000000000001';
my $zone = 'America/Los_Angeles';
my $first_number = '+13105550191';

my $p = CallPlayer->start('journey_number_leaks',
	settings => {
		# every call is due when it is queued
		'vapi_pool.calling_window' => '00:00-24:00',
		# the rules this journey plays, said here rather than taken for granted
		'vapi_pool.call_max_duration' => '10min',
		'vapi_pool.call_report_grace' => '10min',
		'vapi_pool.call_report_give_up' => '1h',
		'vapi_pool.hold_after_call' => '24h',
		'vapi_pool.retry_backoff' => '1h',
	},
	fixtures => <<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name) VALUES ('$org', 'Acme Home Loans');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active) VALUES
	('$org', '$broker', 'Dana Lee', '$zone', '+13105550147', true);
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, broker_id) VALUES
	('$org', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d', '$broker');
SELECT count(*) FROM add_pool_number('$broker', '$first_number', 'pn_journey_f1');
-- only the test runs the sweep (its command, now): pg_cron's every-five-minutes run is off
UPDATE cron.job SET active = false WHERE jobname = 'vapi_pool.reconcile_stale_calls';
SQL
my $s = $p->standin;

# ---------------------------------------------------------------- helpers

# One value of a query.
sub q1 { return $p->sql($_[0]) }

# Wait until outbox job $id is in state $state.
sub wait_job
{
	my ($id, $state) = @_;
	return $p->node->poll_query_until('postgres', "SELECT state = '$state' FROM vapi_pool.outbox WHERE id = $id");
}

# The Vapi requests since mark $name, each "METHOD path status".
sub vapi_seen
{
	my ($name, %filter) = @_;
	return join(', ', map { "$_->{method} $_->{path} $_->{status}" }
		  @{ $p->requests(service => 'vapi', since => $name, %filter) });
}

# An Instantly reply asking for a call at $number, from a lead of the campaign.
sub reply
{
	my (%o) = @_;
	my $text = "Yes please give me a call at $o{number}";
	return $p->instantly_reply(email_id => $o{email_id}, lead_email => $o{email}, email => $o{email},
		firstName => $o{first}, lastName => 'Quinn', phone => $o{number}, reply_text => $text,
		reply_text_snippet => $text, reply_html => "<div>$text</div>");
}

# The create-call job a reply queued.
sub reply_job
{
	my ($email_id) = @_;
	return q1("SELECT id FROM vapi_pool.outbox WHERE idempotency_key = 'instantly-reply:$email_id'");
}

# How a lead stands: its latest assignment, that number's pool status, the
# lead's status, and whether the lead still points at an assignment.
sub held
{
	my ($email) = @_;
	return q1("SELECT a.status || '|' || p.status || '|' || l.status || '|' || (l.vapi_assignment_id IS NOT NULL)"
		  . " FROM vapi_pool.leads l"
		  . " JOIN vapi_pool.vapi_number_assignments a ON a.org_id = l.org_id AND a.lead_id = l.id"
		  . " JOIN vapi_pool.vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id"
		  . " WHERE l.email = '$email' ORDER BY a.booked_at DESC LIMIT 1");
}

# The call log of Vapi call $id, as "status|ended_reason|outcome".
sub call_log
{
	my ($id) = @_;
	return q1("SELECT status || '|' || coalesce(ended_reason, '') || '|' || coalesce(outcome, '')"
		  . " FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = '$id'");
}

# The call was placed $minutes ago (its log's created_at moved back), and
# has had no report since.
sub placed_ago
{
	my ($id, $minutes) = @_;
	q1("UPDATE vapi_pool.vapi_call_logs SET created_at = created_at - interval '$minutes minutes'"
		  . " WHERE vapi_call_id = '$id'");
}

# The stand-in's call $id as GET /call/{id} would return it.
sub vapi_call
{
	my ($id) = @_;
	my ($call) = grep { $_->{id} eq $id } @{ $s->state->{calls} };
	return $call;
}

# The lookup jobs of Vapi call $id, each "state|last_http_status".
sub lookups
{
	my ($id) = @_;
	return q1("SELECT string_agg(state || '|' || coalesce(last_http_status::text, ''), ', ' ORDER BY id)"
		  . " FROM vapi_pool.outbox WHERE kind = 'vapi.get_call' AND payload ->> 'call_id' = '$id'");
}

# ---------------------------------------------------------------- (f) Vapi refuses the call: 400

my $pat = 'pat.quinn@example.com';
$p->mark('f');
$s->misbehave(service => 'vapi', method => 'POST', path => '/call', mode => 'status', status => 400, count => 1,
	body => { message => ['customer.number must be a valid phone number in the E.164 format'],
		error => 'Bad Request', statusCode => 400 });
my ($st, $ans) = reply(email_id => 'f0000000-0000-4000-8000-000000000001', email => $pat, first => 'Pat',
	number => '415-555-0177');
is($st, 200, '(f) the Instantly reply asking for a call is taken');
my $job = reply_job('f0000000-0000-4000-8000-000000000001');
ok($job, '... a create-call job is queued');
ok(wait_job($job, 'dead'), 'Vapi answers 400: the job is dead');
is(q1("SELECT attempts || '|' || last_http_status || '|' || last_error || '|' || (result ->> 'assignment')"
	  . " FROM vapi_pool.outbox WHERE id = $job"),
	'1|400|HTTP 400: customer.number must be a valid phone number in the E.164 format|released',
	'... at once, with Vapi\'s reason, and it says its number was released');
is(held($pat), 'released|available|call_requested|false',
	'the number is free again, the lead no longer holds it and asked for a call that was not placed');
is(q1("SELECT available || '|' || booked FROM vapi_pool.pool_status WHERE broker_id = '$broker'"), '1|0',
	'... the broker\'s pool has its one number available');
is(vapi_seen('f'), 'POST /call 400', 'Vapi got one POST /call, nothing else');
like($p->shim_log, qr/job $job vapi\.create_call .*dead.*the number lent for the call is released/,
	'the dispatcher\'s log says so');

# an operator replays it: the lead is lent the number again, and the call goes out
$p->mark('replay');
is(q1("SELECT state FROM vapi_pool.outbox_replay($job)"), 'pending', 'outbox_replay sends the job again');
my $pat_call = $p->placed_call('+14155550177');
ok(wait_job($job, 'done'), '... and Vapi takes it');
is(vapi_seen('replay'), 'POST /call 201', '... one POST /call');
is($pat_call->{vapi}{phoneNumberId}, 'pn_journey_f1', '... from the pool number, lent again');
is(held($pat), 'booked|assigned|calling|true', 'the lead holds the number again and is being called');
is(call_log($pat_call->id) =~ s/\|.*//r, 'queued', 'the call is logged');

# ---------------------------------------------------------------- (g) the report never arrives: answered

# Vapi said the call rang and was answered; it ended at Vapi, and the
# end-of-call report was lost.
$pat_call->status('ringing');
$pat_call->status('in-progress');
my $started = CallPlayer::Call::_iso(time - 95);
$s->control('POST', 'end-call', { id => $pat_call->id, endedReason => 'customer-ended-call', startedAt => $started,
	cost => 0.14,
	artifact => { recordingUrl => 'https://storage.vapi.ai/' . $pat_call->id . '-mono.wav',
		transcript => "AI: Hi Pat, this is Barbara from Acme Home Loans.\nUser: Hi. Call me next week at 415-555-0177." },
	analysis => { summary => 'Pat wants a call next week.' } });
placed_ago($pat_call->id, 25);
$p->mark('g1');
is($p->run_cron_job('vapi_pool.reconcile_stale_calls'), '1',
	'(g) 25 minutes on, the sweep (the pg_cron job\'s command) finds one call whose report is late');
my $look = q1("SELECT id FROM vapi_pool.outbox WHERE kind = 'vapi.get_call' AND payload ->> 'call_id' = '"
	  . $pat_call->id . "'");
ok($look, '... and queues its lookup');
ok(wait_job($look, 'done'), 'the dispatcher looks the call up');
is(vapi_seen('g1'), 'GET /call/' . $pat_call->id . ' 200', '... with one GET /call/{id}');
is(call_log($pat_call->id), 'ended|customer-ended-call|answered', 'the outcome is recorded as the report would be');
is(q1("SELECT (started_at = '$started'::timestamptz) || '|' || (duration_seconds = round(extract(epoch FROM ended_at - started_at)::numeric, 3))"
	  . " || '|' || cost || '|' || recording_url || '|' || summary || '|' || (transcript LIKE '%415-555-0177%')"
	  . " FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = '" . $pat_call->id . "'"),
	'true|true|0.14|https://storage.vapi.ai/' . $pat_call->id . '-mono.wav|[NAME] wants a call next week.|false',
	'... with Vapi\'s times, cost, recording and summary, and the transcript redacted');
is(held($pat), 'call_completed|assigned|connected|true', 'the number is held after the call; the lead is connected');
is(q1("SELECT release_at = ended_at + interval '24 hours' FROM vapi_pool.vapi_number_assignments a"
	  . " JOIN vapi_pool.vapi_call_logs c ON c.assignment_id = a.id WHERE c.vapi_call_id = '" . $pat_call->id . "'"),
	't', '... until 24 hours after it ended');

# the report arrives after all, with the call's own times
my $jobs_before = q1('SELECT count(*) FROM vapi_pool.outbox');
($st, $ans) = $pat_call->end(endedReason => 'customer-ended-call', durationSeconds => 95,
	startedAt => $started, endedAt => vapi_call($pat_call->id)->{endedAt},
	transcript => "AI: Hi Pat, this is Barbara from Acme Home Loans.");
is($st, 200, 'the late report is taken');
ok($ans->{duplicate}, '... as a report of a call that has ended: nothing is decided twice');
is(q1('SELECT count(*) FROM vapi_pool.outbox'), $jobs_before, '... no job is queued');
is(held($pat), 'call_completed|assigned|connected|true', '... the number and the lead are as they were');

# ---------------------------------------------------------------- (g) the report never arrives: no answer

# the broker's pool grows: the next leads get numbers of their own
q1("SELECT count(vapi_pool.add_pool_number('$broker', n::vapi_pool.e164, 'pn_journey_f' || right(n, 1)))"
	  . " FROM unnest(ARRAY['+13105550192', '+13105550193']) n");
my $sam = 'sam.quinn@example.com';
($st, $ans) = reply(email_id => 'f0000000-0000-4000-8000-000000000002', email => $sam, first => 'Sam',
	number => '415-555-0178');
my $sam_job = reply_job('f0000000-0000-4000-8000-000000000002');
my $sam_call = $p->placed_call('+14155550178');
ok(wait_job($sam_job, 'done'), 'Sam\'s call is placed');
$sam_call->status('ringing');
$s->end_call($sam_call->id, 'customer-did-not-answer');
placed_ago($sam_call->id, 25);
$p->mark('g2');
is($p->run_cron_job('vapi_pool.reconcile_stale_calls'), '1', 'its report is late too: the sweep looks it up');
my $sam_look = q1("SELECT id FROM vapi_pool.outbox WHERE kind = 'vapi.get_call' AND payload ->> 'call_id' = '"
	  . $sam_call->id . "'");
ok(wait_job($sam_look, 'done'), '... the dispatcher asks Vapi');
is(vapi_seen('g2'), 'GET /call/' . $sam_call->id . ' 200', '... with one GET /call/{id}');
is(call_log($sam_call->id), 'ended|customer-did-not-answer|no_answer', 'Vapi says no one answered: recorded');
is(q1("SELECT payload ->> 'attempt' || '|' || state || '|' || (run_at = c.ended_at + interval '1 hour')"
	  . " FROM vapi_pool.outbox o, vapi_pool.vapi_call_logs c"
	  . " WHERE o.idempotency_key = 'retry-of:' || c.vapi_call_id AND c.vapi_call_id = '" . $sam_call->id . "'"),
	'2|pending|true', 'the retry is queued: attempt 2, an hour after the call ended');
is(held($sam), 'call_completed|assigned|calling|true', 'the number is held for it; the lead is still being called');
my $sam_ended = vapi_call($sam_call->id)->{endedAt};
($st, $ans) = $sam_call->end(endedReason => 'customer-did-not-answer', durationSeconds => 0, transcript => '',
	startedAt => $sam_ended, endedAt => $sam_ended);
ok($st == 200 && $ans->{duplicate}, 'the late report changes nothing');
is(q1("SELECT count(*) FROM vapi_pool.outbox WHERE kind = 'vapi.create_call' AND payload ->> 'lead_id' ="
	  . " (SELECT id::text FROM vapi_pool.leads WHERE email = '$sam')"), '2',
	'... no second retry: Sam has the first call and one retry');

# ---------------------------------------------------------------- (g) Vapi has no answer either

my $kim = 'kim.quinn@example.com';
($st, $ans) = reply(email_id => 'f0000000-0000-4000-8000-000000000003', email => $kim, first => 'Kim',
	number => '415-555-0179');
my $kim_job = reply_job('f0000000-0000-4000-8000-000000000003');
my $kim_call = $p->placed_call('+14155550179');
ok(wait_job($kim_job, 'done'), 'Kim\'s call is placed');
my $kim_id = $kim_call->id;
$kim_call->status('ringing');
# Vapi has lost the call: it answers 404 as for a call it never had
$s->misbehave(service => 'vapi', method => 'GET', path => "/call/$kim_id", mode => 'status', status => 404,
	count => -1, body => { message => "Couldn't Find Call", error => 'Not Found', statusCode => 404 });
placed_ago($kim_id, 25);
$p->mark('g3');
is($p->run_cron_job('vapi_pool.reconcile_stale_calls'), '1', 'its report is late: the sweep looks it up');
my $kim_look = q1("SELECT id FROM vapi_pool.outbox WHERE kind = 'vapi.get_call' AND payload ->> 'call_id' = '$kim_id'");
ok(wait_job($kim_look, 'dead'), 'Vapi does not know the call: the lookup is dead');
is(q1("SELECT last_error FROM vapi_pool.outbox WHERE id = $kim_look"), "HTTP 404: Couldn't Find Call",
	'... with Vapi\'s answer');
is(held($kim), 'booked|assigned|calling|true', 'the number stays with the call for now');
is(call_log($kim_id), 'ringing||', '... and the call is not ended');

# 30 minutes later (55 after the call was placed, 45 after it should have ended): asked again
is(q1("SELECT string_agg(action, ',') FROM vapi_pool.reconcile_stale_calls(now() + interval '30 minutes')"),
	'look_up', '45 minutes after the call should have ended, the sweep asks Vapi again');
ok($p->node->poll_query_until('postgres',
		"SELECT count(*) = 2 AND bool_and(state = 'dead') FROM vapi_pool.outbox"
		  . " WHERE kind = 'vapi.get_call' AND payload ->> 'call_id' = '$kim_id'"),
	'... Vapi still has no answer');
is(held($kim), 'booked|assigned|calling|true', '... and the number is still not released: give-up is at 60 minutes');

# 46 minutes later (61 after it should have ended): given up on
is(q1("SELECT action || '|' || detail FROM vapi_pool.reconcile_stale_calls(now() + interval '46 minutes')"),
	'give_up|ended as unknown; its number is released',
	'call_report_give_up (1 h) after the call should have ended, the sweep gives up on it');
is(q1("SELECT status || '|' || ended_reason || '|' || review_reason FROM vapi_pool.vapi_call_logs"
	  . " WHERE vapi_call_id = '$kim_id'"),
	'ended|unknown|no end-of-call report, and Vapi has no answer for the call',
	'... the call is ended as unknown, for a person to look at');
is(held($kim), 'released|available|calling|false', '... and its number released');
is(lookups($kim_id), 'dead|404, dead|404', 'two lookups, both 404');
is(vapi_seen('g3'), "GET /call/$kim_id 404, GET /call/$kim_id 404", 'Vapi got the two GETs, nothing else');

# the report arrives after all: it only fills in the log
($st, $ans) = $kim_call->end(endedReason => 'customer-ended-call', durationSeconds => 30,
	transcript => 'AI: Hi Kim, this is Barbara from Acme Home Loans.');
ok($st == 200 && $ans->{duplicate}, 'Kim\'s late report is taken and decides nothing');
is(held($kim), 'released|available|calling|false', '... the number stays free');
is(q1("SELECT ended_reason || '|' || (recording_url IS NOT NULL) FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = '$kim_id'"),
	'unknown|true', '... the log keeps "unknown" and gains the recording');
is(q1("SELECT count(*) FROM vapi_pool.reconcile_stale_calls(now() + interval '1 day')"), '0',
	'the sweep has nothing left to do');

# ---------------------------------------------------------------- nothing else happened

ok($p->outbox_settled(15), 'the dispatcher delivered what was due');
is(q1("SELECT string_agg(kind || ':' || state || ':' || n, ', ' ORDER BY kind, state) FROM"
	  . " (SELECT kind, state, count(*) AS n FROM vapi_pool.outbox GROUP BY kind, state) j"),
	'vapi.create_call:done:3, vapi.create_call:pending:1, vapi.get_call:dead:2, vapi.get_call:done:2',
	'the outbox: three calls placed, Sam\'s retry waiting, four lookups');
is(vapi_seen('f'),
	join(', ', 'POST /call 400', 'POST /call 201', 'GET /call/' . $pat_call->id . ' 200', 'POST /call 201',
		'GET /call/' . $sam_call->id . ' 200', 'POST /call 201', "GET /call/$kim_id 404", "GET /call/$kim_id 404"),
	'Vapi got exactly these requests, in this order');
is(scalar @{ $p->requests(service => 'cal') }, 0, 'Cal.com got none');
is(q1("SELECT available || '|' || booked || '|' || call_completed FROM vapi_pool.pool_status WHERE broker_id = '$broker'"),
	'1|0|2', 'the pool: Kim\'s number free, Pat\'s and Sam\'s held after their calls');

$p->stop;
done_testing();
