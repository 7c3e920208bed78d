# 105_journey_routing.pl
#   Journey (h) of issue 19, played whole against the running shim, the
#   dispatcher, pg_cron's job and the Vapi stand-in (t/lib/CallPlayer.pm):
#   a lead asks for a call and holds a pool number; the call ends ("a day
#   ago": the reports' times move the clock, nothing sleeps); the broker calls
#   her own pool number while the lead still holds it -> the Call Connector
#   -> transfer-destination-requests WITHOUT the top-level phoneNumber and
#   customer (as Vapi's SDK allows): the lead, then "no one is available";
#   the release job frees the number; the lead calls it again -> routed as
#   docs/pool_engine.md says (a known lead of the number's broker reaches the
#   broker: primary, secondary, then no one).
#   The assistant's side acts only on what the answers said.
use strict;
use warnings;

use POSIX ();
use PostgreSQL::Test::Utils;
use Test::More;
use CallPlayer;

my $org = 'aaaaaaaa-0000-4000-8000-000000000000';
my $broker = 'a1000000-0000-4000-8000-000000000001';
my $pool = '+13105550199';
my $broker_primary = '+13105550147';
my $broker_secondary = '+13105550148';
my $lead_number = '+14155550177';
my $hold_hours = 24;

# a zone in which the calling window is open now (see CallPlayer)
my $zone = CallPlayer::working_hours_zone();
note("the broker's zone: $zone");

my $p = CallPlayer->start('journey_routing', settings => { 'vapi_pool.hold_after_call' => "${hold_hours}h" },
	fixtures => <<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name) VALUES ('$org', 'Acme Home Loans');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, secondary_phone_e164, number_pool_active) VALUES
	('$org', '$broker', 'Dana Lee', '$zone', '$broker_primary', '$broker_secondary', true);
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, broker_id) VALUES
	('$org', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d', '$broker');
SELECT count(*) FROM add_pool_number('$broker', '$pool', 'pn_journey_h');
SELECT count(*) FROM schedule_maintenance();
SQL

# Report times "$hours_ago hours ago" for a call of $minutes minutes, as end() arguments.
sub ended_hours_ago
{
	my ($hours_ago, $minutes) = @_;
	my $ended = time - $hours_ago * 3600;
	return (startedAt => CallPlayer::Call::_iso($ended - $minutes * 60), endedAt => CallPlayer::Call::_iso($ended),
		durationSeconds => $minutes * 60);
}

# The number a transfer answer sends the call to, or its error (what Vapi acts on).
sub transferred_to
{
	my ($answer) = @_;
	return $answer->{destination}{number} // "error: " . ($answer->{error} // '(none)');
}

# The lead's latest assignment: "status|its release is due (true/false)|the pool number's status".
sub assignment_state
{
	my ($lead) = @_;
	return $p->sql("SELECT a.status || '|' || coalesce(a.release_at <= now() AND a.status <> 'released', false)::text || '|' || n.status
		FROM vapi_pool.vapi_number_assignments a JOIN vapi_pool.vapi_number_pool n ON n.id = a.pool_number_id
		WHERE a.lead_id = '$lead' ORDER BY a.booked_at DESC LIMIT 1");
}

# ================================================================ the lead holds the number

$p->mark('h');
my ($st, $ans) = $p->instantly_reply(reply_text => "Sure, call me at 415-555-0177.\n\nOn Thu, Dana wrote:\n> Want to talk?",
	reply_text_snippet => 'Sure, call me at 415-555-0177.');
is($ans->{decision}, 'call_queued', 'the lead asks for a call: a call is queued');
my $lead = $p->sql("SELECT id FROM vapi_pool.leads WHERE email = 'pat.quinn\@example.com'");
like($lead, qr/^[0-9a-f-]{36}$/, '... for the lead the reply came from');

my $out = $p->placed_call($lead_number);
ok($p->node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = '${\ $out->id}'"), 'the call is placed and logged');
$out->status('ringing');
$out->status('in-progress');
# the call was yesterday: its report says so
($st, $ans) = $out->end(endedReason => 'customer-ended-call', ended_hours_ago($hold_hours + 2, 4),
	transcript => "AI: Hi Pat, this is Barbara.\nUser: I will call Dana back myself, thanks.");
is($ans->{outcome}, 'answered', 'the lead answered; the report is taken');
is(assignment_state($lead), 'call_completed|true|assigned',
	'the number stays with the lead after the call (its release is due, the nightly job has not run)');

# ================================================================ the broker calls her own pool number

my $bc = $p->inbound_call(to => $pool, from => $broker_primary);
$ans = $bc->assistant_request;
my $vars = $ans->{assistantOverrides}{variableValues} // {};
is($ans->{assistantId}, $CallPlayer::ASSISTANT{connector}, 'the broker calls her pool number: the Call Connector answers');
is($vars->{direction}, 'inbound_from_broker', '... told the broker is calling');
is($vars->{lead_id}, $lead, '... about the lead who holds the number');
is($vars->{forward_to_number}, $lead_number, "... to be connected to the lead's number");
$bc->status('in-progress');

# The connector's transfer tool has no destination: Vapi asks, in the SDK's shape (only the call object).
my $bare = $bc->message('transfer-destination-request', bare => 1)->{message};
ok(!exists $bare->{phoneNumber} && !exists $bare->{customer}, 'the transfer requests carry no top-level phoneNumber or customer');
$ans = $bc->transfer(bare => 1);
is(transferred_to($ans), $vars->{forward_to_number}, 'the first transfer rings the number the connector was given: the lead');
is($ans->{message}{type}, 'request-start', '... saying so to the caller');
is($ans->{destination}{transferPlan}{fallbackPlan}{endCallEnabled}, JSON::PP::false,
	'... and a transfer nobody answers comes back to the assistant');
# nobody answers: the assistant asks for the next number
$ans = $bc->transfer(bare => 1);
like(transferred_to($ans), qr/^error: I'm sorry, no one is available/, 'nobody answers: no one else to ring, a sentence to say');
($st, $ans) = $bc->end(endedReason => 'assistant-ended-call', ended_hours_ago($hold_hours + 1, 2),
	transcript => "AI: Connecting you now.\nAI: I'm sorry, no one is available to take your call right now.");
is($st, 200, "the broker's call ends");
is($p->sql("SELECT direction || '|' || lead_id || '|' || (assignment_id IS NOT NULL) || '|' || transfer_attempts || '|'
	|| from_e164::text || '|' || to_e164::text || '|' || status FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = '${\ $bc->id}'"),
	"inbound_from_broker|$lead|true|2|$broker_primary|$pool|ended",
	"the broker's call is logged against the lead's assignment, with its two transfer requests");

# ================================================================ the release job runs

is(assignment_state($lead), 'call_completed|true|assigned', "the broker's call (a day ago too) keeps the release due");
$p->run_cron_job('vapi_pool.release_expired');
is(assignment_state($lead), 'released|false|available', 'the release job frees the number');
is($p->sql("SELECT count(*) FROM vapi_pool.vapi_number_assignments WHERE status <> 'released'"), '0',
	'... and nothing holds it any more');

# ================================================================ the lead calls the released number

my $lc = $p->inbound_call(to => $pool, from => $lead_number);
$ans = $lc->assistant_request;
$vars = $ans->{assistantOverrides}{variableValues} // {};
is($ans->{assistantId}, $CallPlayer::ASSISTANT{connector},
	'the lead calls the released number: a known lead of its broker gets the Call Connector, not the intake');
is($vars->{direction}, 'inbound_from_lead', '... told the lead is calling');
is($vars->{lead_id}, $lead, '... which lead');
is($vars->{forward_to_number}, $broker_primary, "... to be connected to the broker's primary phone");
is($vars->{secondary_number}, $broker_secondary, '... then her secondary phone');
$lc->status('in-progress');
my @rung = map { transferred_to($lc->transfer(bare => 1)) } 1 .. 3;
is($rung[0], $vars->{forward_to_number}, 'the first transfer rings the primary phone');
is($rung[1], $vars->{secondary_number}, 'nobody answers: the second rings the secondary phone');
like($rung[2], qr/^error: I'm sorry, no one is available/, 'nobody answers again: no one is available');
($st, $ans) = $lc->end(endedReason => 'customer-ended-call', transcript => "AI: Connecting you now.\nUser: OK, bye.");
is($st, 200, "the lead's call ends");
is($p->sql("SELECT direction || '|' || lead_id || '|' || (assignment_id IS NULL) || '|' || transfer_attempts || '|' || status
	FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = '${\ $lc->id}'"), "inbound_from_lead|$lead|true|3|ended",
	"the lead's call is logged under the lead, with no assignment");
is(assignment_state($lead), 'released|false|available', '... and does not take the number back');

# ================================================================ nothing else happened

ok($p->outbox_settled(15), 'the outbox is settled');
is_deeply($p->jobs('%'), ['vapi.create_call|done|1'], 'the only job was the lead\'s call, delivered once');
my @seen = map { "$_->{service} $_->{method} $_->{path}" } @{ $p->requests(since => 'h') };
is_deeply(\@seen, ['vapi POST /call'], 'the stand-ins saw one request in all: the call');
is($p->sql("SELECT string_agg(event_type || ':' || n, ',' ORDER BY event_type) FROM (SELECT event_type, count(*) n
	FROM vapi_pool.webhook_inbox WHERE source = 'vapi' AND state = 'processed' GROUP BY event_type) s"),
	'assistant-request:2,end-of-call-report:3,status-update:4,transfer-destination-request:5',
	'every Vapi message was processed once');
is($p->sql("SELECT count(*) FROM vapi_pool.webhook_inbox WHERE state <> 'processed'"), '0', '... and none failed');
is($p->sql("SELECT count(*) FROM vapi_pool.vapi_call_logs"), '3', 'three calls are logged: no other');
is($p->sql("SELECT count(*) FROM vapi_pool.leads"), '1', 'no other lead or contact was made');
is($p->sql("SELECT status FROM vapi_pool.leads WHERE id = '$lead'"), 'connected', 'the lead is connected');

$p->stop;
done_testing();
