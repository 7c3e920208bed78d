# 106_journey_opt_out.pl
#   Issue 20's opt-outs said on the phone and the recording disclosure,
#   played whole against the running shim, the dispatcher and the
#   Vapi/Cal.com stand-in (t/lib/CallPlayer.pm):
#
#   (a) Acme Home Loans, with a recording disclosure.  Pat and Alex Quinn
#       share a phone; Pat's call is placed (its POST /call opens with the
#       disclosure), Alex's waits.  Pat says "please don't call me again":
#       Barbara calls record_opt_out and says what it answers -> the phone is
#       on Acme's do_not_call list (source assistant), both leads are
#       do_not_call, Alex's pending call is suppressed (never sent, even once
#       due) and its number released; the end-of-call report queues no
#       retry, and nothing more is sent to Vapi.
#   (b) Bright Smile, a clinic.  A new caller asks about a nose job, then
#       asks not to be contacted; the receptionist does not call the tool,
#       but the report's analysis says doNotCall -> the number is on the
#       clinic's list (source call_report), the caller's contact is
#       do_not_call, and no drop-off SMS is left to send (nothing reaches
#       Vapi).
#   Also: `vapi-shim assistants push` records each assistant's firstMessage,
#   so that once the clinic sets a disclosure its callers hear it first and
#   then Voxanne's own greeting; without one the answer has no firstMessage.
#   The assistant's side acts only on the text the tools answered.
use strict;
use warnings;

use JSON::PP ();
use PostgreSQL::Test::Utils;
use Test::More;
use CallPlayer;
use VapiPoolTest qw(source_dir);

my $acme = 'aaaaaaaa-0000-4000-8000-000000000000';
my $dana = 'a1000000-0000-4000-8000-000000000001';
my $pat = 'a2000000-0000-4000-8000-000000000001';
my $alex = 'a2000000-0000-4000-8000-000000000002';
my $phone = '+14155550123';
my $smile = 'cccccccc-0000-4000-8000-000000000000';
my $smile_desk = 'c1000000-0000-4000-8000-000000000001';
my $smile_line = '+12125550150';
my $mia_number = '+12125550199';
my $disclosure = 'This call may be recorded for quality and training.';
my $json = JSON::PP->new->canonical;

# a zone in which it is working hours now: the leads' calling hours are open
my $zone = CallPlayer::working_hours_zone();
note("the leads' zone: $zone");

my $p = CallPlayer->start('journey_opt_out', fixtures => <<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name, recording_disclosure) VALUES ('$acme', 'Acme Home Loans', '$disclosure');
INSERT INTO orgs (org_id, name, is_clinic, timezone, dropoff_sms_enabled) VALUES
	('$smile', 'Bright Smile Clinic', true, '$zone', true);
-- consent is not this test's subject
UPDATE orgs SET require_consent = false;
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active) VALUES
	('$acme', '$dana', 'Dana Lee', '$zone', '+13105550147', true),
	('$smile', '$smile_desk', 'Front desk', '$zone', '+12125550100', true);
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, email, primary_phone_e164, timezone, status) VALUES
	('$acme', '$pat', '$dana', 'Pat', 'Quinn', 'pat.quinn\@example.com', '$phone', '$zone', 'call_requested'),
	('$acme', '$alex', '$dana', 'Alex', 'Quinn', 'alex.quinn\@example.com', '$phone', '$zone', 'call_requested');
SELECT count(*) FROM (SELECT add_pool_number('$dana', '+13105550199', 'pn_optout_a')
	UNION ALL SELECT add_pool_number('$dana', '+13105550198', 'pn_optout_b')
	UNION ALL SELECT add_pool_number('$smile_desk', '$smile_line', 'pn_optout_smile')) s;
SELECT count(*) FROM (SELECT assign_number('$pat') UNION ALL SELECT assign_number('$alex')) s;
SQL

# A stand-in request's body (decoded).
sub body_of
{
	my ($r) = @_;
	return ref $r->{body} ? $r->{body} : eval { $json->decode($r->{body} // '') } // {};
}

# ================================================================ the assistants, pushed

my ($rc, $out, $err) = $p->push_assistants;
is($rc, 0, 'vapi-shim assistants push: exit 0') or diag "$out$err";
my %definition = map { (m{([^/]+)\.json$})[0] => $json->decode(slurp_file($_)) } glob(source_dir() . '/assistants/*.json');
is( $p->sql("SELECT string_agg(role || '=' || coalesce(first_message, '(none)'), '|' ORDER BY role) FROM vapi_pool.vapi_assistants"),
	join('|', map { "$_=" . ($definition{$_}{firstMessage} // '(none)') } sort keys %definition),
	"... records each definition's firstMessage (none for Barbara, whose first message the model says)");

# ================================================================ (a) Pat asks not to be called again

# Pat's first call is due now; Alex's (the same phone) in two hours.
$p->mark('a');
$p->sql(<<"SQL");
INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key, run_at)
SELECT a.org_id, 'vapi.create_call', jsonb_build_object('lead_id', a.lead_id, 'assignment_id', a.id,
	'phone_number_id', p.vapi_phone_number_id, 'from_number', p.number, 'customer_number', l.primary_phone_e164,
	'customer_name', l.name, 'attempt', 1), 'first-call:' || a.id,
	now() + CASE WHEN l.id = '$alex' THEN interval '2 hours' ELSE interval '0' END
FROM vapi_pool.vapi_number_assignments a
JOIN vapi_pool.vapi_number_pool p ON p.id = a.pool_number_id
JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id
WHERE a.lead_id IN ('$pat', '$alex') ORDER BY l.first_name DESC
SQL
my $call = $p->placed_call($phone);
my $posts = $p->requests(service => 'vapi', method => 'POST', path => '/call', since => 'a');
is(scalar @$posts, 1, '(a) one POST /call');
my $overrides = body_of($posts->[0])->{assistantOverrides} // {};
is($overrides->{variableValues}{lead_id}, $pat, "... Pat's");
is($overrides->{firstMessage}, $disclosure, "... opening with Acme's recording disclosure");
is($overrides->{firstMessageMode}, 'assistant-speaks-first', '... said first, although Barbara makes up her own greeting');
ok($p->node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = '${\ $call->id}' AND lead_id = '$pat'"),
	'the call is logged');
$call->status('in-progress');

my $said = $call->tool('supabase_query', { query_type => 'get_lead_details', identifier => $pat });
like($said, qr/Pat/, 'Barbara looks Pat up');

# Pat: "Please don't call me again."  Barbara calls the tool, with the
# call's own number implied; what it answers is what she says.
$said = $call->tool('record_opt_out', { reason => "said: please don't call me again" });
is( $said,
	'Done. Acme Home Loans will not call or text 415-555-0123 again. '
	  . 'Tell the caller they have been removed and end the call politely.',
	'record_opt_out answers what to say (the organisation, the number as said) and what to do');
is( $p->sql("SELECT o.name || '|' || d.phone::text || '|' || d.source || '|' || d.reason FROM vapi_pool.do_not_call d
	JOIN vapi_pool.orgs o USING (org_id)"),
	"Acme Home Loans|$phone|assistant|asked the assistant on call ${\ $call->id }: said: please don't call me again",
	"the phone is on Acme's do-not-call list, said on this call");
is($p->sql("SELECT string_agg(first_name || ':' || status, ' ' ORDER BY first_name) FROM vapi_pool.leads WHERE org_id = '$acme'"),
	'Alex:do_not_call Pat:do_not_call', 'both leads of that phone are do_not_call');
is( $p->sql("SELECT state || '|' || attempts FROM vapi_pool.outbox WHERE payload ->> 'lead_id' = '$alex'"),
	'suppressed|0', "Alex's pending call is suppressed, never sent");
is($p->sql("SELECT status FROM vapi_pool.vapi_number_assignments WHERE lead_id = '$alex'"), 'released',
	'... and its number released');

# Pat hangs up; the report's analysis agrees.
my ($st, $ended) = $call->end(endedReason => 'assistant-ended-call', durationSeconds => 40,
	transcript => "AI: Hi Pat, this is Barbara.\nUser: Please don't call me again.\nAI: Done, you have been removed. Goodbye.",
	analysis => { summary => 'The lead asked not to be called again.', structuredData => { doNotCall => JSON::PP::true } });
is($st, 200, 'the end-of-call report is taken');
is($ended->{outcome}, 'answered', '... the call was answered');
ok(!defined $ended->{next_attempt_at}, '... and no attempt follows');
is($p->sql("SELECT status FROM vapi_pool.leads WHERE id = '$pat'"), 'do_not_call', 'Pat stays do_not_call');
is($p->sql("SELECT count(*) FROM vapi_pool.do_not_call"), '1', '... listed once');

# Alex's call, due now, is still not sent.
$p->sql("UPDATE vapi_pool.outbox SET run_at = now() WHERE payload ->> 'lead_id' = '$alex'");
ok($p->outbox_settled(15), 'the outbox is settled');
is_deeply($p->jobs('%'), [ 'vapi.create_call|done|1', 'vapi.create_call|suppressed|0' ],
	"the jobs: Pat's call delivered once, Alex's suppressed");
is_deeply([ map { "$_->{method} $_->{path}" } @{ $p->requests(since => 'a') } ], ['POST /call'],
	'the stand-ins saw only the one call');

# ================================================================ (b) a clinic's caller, caught by the report

$p->mark('b');
my $first = $p->inbound_call(to => $smile_line, from => $mia_number);
my $answer = $first->assistant_request;
is($answer->{assistantId}, $p->sql("SELECT vapi_assistant_id FROM vapi_pool.vapi_assistants WHERE role = 'clinic_receptionist'"),
	'(b) a new caller of the clinic gets the receptionist pushed');
ok(!exists $answer->{assistantOverrides}{firstMessage}, '... with her own greeting: the clinic has no disclosure');
$first->status('in-progress');
$said = $first->tool('save_caller_details', { first_name => 'Mia', last_name => 'Lopez' });
like($said, qr/^Saved the caller's details: name Mia Lopez\b/, '... who saves the name the caller gave');
($st, $ended) = $first->end(endedReason => 'customer-ended-call',
	transcript => "AI: Bright Smile, this is Voxanne.\nUser: Hi, I'm Mia Lopez. How much is a nose job?\n"
	  . "AI: Rhinoplasty starts at 6,000 dollars.\nUser: Okay. And please don't call or text me about it.",
	analysis => { summary => 'Caller asked about rhinoplasty and asked not to be contacted.',
		structuredData => { doNotCall => JSON::PP::true } });
is($st, 200, '... the caller hangs up, and the report is taken');
ok($ended->{opted_out}, "... its analysis' doNotCall recorded an opt-out");

my $mia = $p->sql("SELECT id FROM vapi_pool.leads WHERE org_id = '$smile' AND primary_phone_e164 = '$mia_number'");
like($mia, qr/^[0-9a-f-]{36}$/, 'the caller is on file');
is( $p->sql("SELECT o.name || '|' || d.source || '|' || d.reason FROM vapi_pool.do_not_call d JOIN vapi_pool.orgs o USING (org_id)
	WHERE d.phone = '$mia_number'"),
	"Bright Smile Clinic|call_report|the end-of-call analysis says the caller asked not to be contacted on call ${\ $first->id }",
	"her number is on the clinic's do-not-call list, from the report");
is($p->sql("SELECT status FROM vapi_pool.leads WHERE id = '$mia'"), 'do_not_call', '... her contact is do_not_call');
# The call was a drop-off (a procedure, no booking, the caller hung up):
# its follow-up and SMS were made, and the opt-out called them off.
is( $p->sql("SELECT string_agg(f.procedures::text || '|' || f.state || '|' || coalesce(o.kind || ':' || o.state, '-'), ';')
		 FROM vapi_pool.dropoff_followups f LEFT JOIN vapi_pool.outbox o ON o.org_id = f.org_id AND o.id = f.outbox_id
		 WHERE f.lead_id = '$mia'"),
	'{Rhinoplasty}|suppressed|vapi.sms:suppressed', '... her drop-off follow-up and its SMS are called off');
is( $p->sql("SELECT count(*) FROM vapi_pool.outbox WHERE org_id = '$smile' AND kind = 'vapi.sms' AND state <> 'suppressed'"),
	'0', '... and no other SMS is queued');
ok($p->outbox_settled(15), 'the outbox is settled');
is(scalar @{ $p->requests(service => 'vapi', since => 'b') }, 0, '(b) nothing was sent to Vapi');

# ================================================================ the clinic's disclosure

$p->sql("UPDATE vapi_pool.orgs SET recording_disclosure = '$disclosure' WHERE org_id = '$smile'");
$answer = $p->inbound_call(to => $smile_line, from => '+12125550188')->assistant_request;
is($answer->{assistantOverrides}{firstMessage}, "$disclosure $definition{clinic_receptionist}{firstMessage}",
	'with a disclosure the receptionist opens with it, then with her own greeting as pushed');
is($answer->{assistantOverrides}{firstMessageMode}, 'assistant-speaks-first', '... said first');
is($answer->{assistantOverrides}{variableValues}{clinic_name}, 'Bright Smile Clinic',
	'... and the greeting\'s {{clinic_name}} is still Vapi\'s to fill in');

$p->stop;
done_testing();
