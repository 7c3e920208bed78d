# 107_journey_compliance.pl
#   Calling people lawfully (issue 20), played whole against the running
#   shim, the dispatcher and the Vapi stand-in (t/lib/CallPlayer.pm):
#   (a) a reply asking for a call at night, in the lead's own time zone:
#       the call waits for the lead's calling hours, the reply is kept as the
#       lead's consent (redacted);
#   (b) the lead then unsubscribes: the waiting call ends suppressed, its
#       number goes back to the pool, the number is on the do-not-call list,
#       and when the hours open nothing is sent to Vapi;
#   (c) with the hours open, another lead's reply is called at once;
#   (d) a call due now whose hours closed before the dispatcher claimed it
#       goes back, due at the next opening, and is not sent;
#   (e) an operator lists that number while it waits (Instantly's
#       lead_unsubscribed for a third lead does the same): never sent.
#   Every "nothing was sent" is the stand-in's own request log.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use CallPlayer;
use VapiPoolTest qw(wait_for);

my $org = 'aaaaaaaa-0000-4000-8000-000000000000';
my $broker = 'a1000000-0000-4000-8000-000000000001';
my $lead_zone = 'America/New_York';	# the zone of the leads' +1 212 numbers

my $p = CallPlayer->start('journey_compliance', fixtures => <<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name) VALUES ('$org', 'Acme Home Loans');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active) VALUES
	('$org', '$broker', 'Dana Lee', 'Pacific/Honolulu', '+13105550147', true);
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, broker_id) VALUES
	('$org', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d', '$broker');
SELECT count(*) FROM (SELECT add_pool_number('$broker', ('+1310555019' || n)::vapi_pool.e164, 'pn_c' || n)
	FROM generate_series(1, 4) n) s;
SQL

sub q1 { return $p->sql($_[0]) }

# POST /call requests the stand-in has received.
sub calls_sent { return scalar @{ $p->requests(service => 'vapi', method => 'POST', path => '/call') } }

# An hour of the day in New York that is not now nor the next hour: the
# organisation's calling hours are that one hour, so now is outside them.
my $ny_hour = q1("SELECT extract(hour FROM now() AT TIME ZONE '$lead_zone')::int");
my $open = ($ny_hour + 12) % 24;
$open = 3 if $open >= 23 || $open == $ny_hour || $open == ($ny_hour + 1) % 24;
my $hours = sprintf("calling_hours_start = '%02d:00', calling_hours_end = '%02d:00'", $open, $open + 1);
note("now $ny_hour:xx in $lead_zone; calling hours $open:00-" . ($open + 1) . ":00");
q1("UPDATE vapi_pool.orgs SET $hours WHERE org_id = '$org'");

# ---------------------------------------------------------------- (a) a reply at night

my ($st, $ans) = $p->instantly_reply(email_id => 'e-ann-1', lead_email => 'ann@example.com', email => 'ann@example.com',
	firstName => 'Ann', lastName => 'Wu', phone => undef, reply_text => 'Yes, call me at 212-555-0166 please.',
	reply_text_snippet => undef, reply_html => undef);
is($st, 200, '(a) the reply is accepted');
is(q1("SELECT decision FROM vapi_pool.instantly_events WHERE email_id = 'e-ann-1'"), 'call_queued', '... a call is queued');
like(q1("SELECT decision_detail FROM vapi_pool.instantly_events WHERE email_id = 'e-ann-1'"),
	qr/^Outside the calling hours in the lead's local time: the call waits until /, '... and the decision says why it waits');
is(q1("SELECT o.state || '|' || (o.run_at > now()) || '|' || ((o.run_at AT TIME ZONE '$lead_zone')::time = '$open:00')
	FROM vapi_pool.outbox o JOIN vapi_pool.instantly_events e ON e.outbox_id = o.id WHERE e.email_id = 'e-ann-1'"),
	'pending|true|true', "... due when the calling hours open in the lead's zone (New York), not the broker's (Honolulu)");
is(q1("SELECT kind || '|' || source_id || '|' || (evidence NOT LIKE '%555-0166%') || '|' || (evidence LIKE '%[PHONE]%')
	FROM vapi_pool.lead_consents c JOIN vapi_pool.leads l ON l.id = c.lead_id WHERE l.email = 'ann\@example.com'"),
	'instantly_reply|e-ann-1|true|true', '... the reply is kept as her consent, redacted');
$p->outbox_settled;
is(calls_sent(), 0, '... and nothing is sent to Vapi');

# ---------------------------------------------------------------- (b) she unsubscribes

($st, $ans) = $p->instantly_reply(email_id => 'e-ann-2', lead_email => 'ann@example.com', email => 'ann@example.com',
	timestamp => '2026-11-21T16:49:49.188Z', reply_text => 'Actually please remove me from your list and do not contact me.',
	reply_text_snippet => undef, reply_html => undef, phone => undef);
is(q1("SELECT decision FROM vapi_pool.instantly_events WHERE email_id = 'e-ann-2'"), 'opted_out', '(b) the unsubscribe is an opt-out');
is(q1("SELECT o.state FROM vapi_pool.outbox o JOIN vapi_pool.instantly_events e ON e.outbox_id = o.id WHERE e.email_id = 'e-ann-1'"),
	'suppressed', '... the waiting call is cancelled (suppressed: Vapi was never asked)');
is(q1("SELECT source FROM vapi_pool.do_not_call WHERE phone = '+12125550166'"), 'instantly',
	'... the number is on the do-not-call list');
is(q1("SELECT a.status FROM vapi_pool.vapi_number_assignments a JOIN vapi_pool.leads l ON l.id = a.lead_id
	WHERE l.email = 'ann\@example.com'"), 'released', '... and the pool number lent for the call is back');
# the hours open: nothing of hers is due
q1("UPDATE vapi_pool.orgs SET calling_hours_start = NULL, calling_hours_end = NULL WHERE org_id = '$org'");
q1("UPDATE vapi_pool.outbox SET run_at = now() WHERE state = 'pending'");
q1("NOTIFY vapi_pool_outbox");
$p->outbox_settled;
is(calls_sent(), 0, '... so when the hours open, nothing is sent to Vapi');

# ---------------------------------------------------------------- (c) open hours: at once

($st, $ans) = $p->instantly_reply(email_id => 'e-bob-1', lead_email => 'bob@example.com', email => 'bob@example.com',
	firstName => 'Bob', lastName => 'Ruiz', phone => undef, reply_text => 'Call me at 212-555-0167.',
	reply_text_snippet => undef, reply_html => undef);
my $bob = $p->placed_call('+12125550167');
ok($bob, '(c) with the hours open, another lead is called at once');
is(calls_sent(), 1, '... one call');

# ---------------------------------------------------------------- (d) hours closed before the claim

$p->stop_dispatcher;
($st, $ans) = $p->instantly_reply(email_id => 'e-cy-1', lead_email => 'cy@example.com', email => 'cy@example.com',
	firstName => 'Cy', lastName => 'Lo', phone => undef, reply_text => 'Call me at 212-555-0168 any time.',
	reply_text_snippet => undef, reply_html => undef);
is(q1("SELECT o.state || '|' || (o.run_at <= now()) FROM vapi_pool.outbox o JOIN vapi_pool.instantly_events e ON e.outbox_id = o.id
	WHERE e.email_id = 'e-cy-1'"), 'pending|true', '(d) a call is queued, due now');
q1("UPDATE vapi_pool.orgs SET $hours WHERE org_id = '$org'");
$p->start_dispatcher;
ok(wait_for(15, sub { q1("SELECT o.state || '|' || (o.run_at > now()) || '|' || o.attempts FROM vapi_pool.outbox o
	JOIN vapi_pool.instantly_events e ON e.outbox_id = o.id WHERE e.email_id = 'e-cy-1'") eq 'pending|true|0' }),
	'... the hours closed before it was claimed: the claim puts it back, due at the opening, its attempt not counted');
is(q1("SELECT (o.run_at AT TIME ZONE '$lead_zone')::time FROM vapi_pool.outbox o
	JOIN vapi_pool.instantly_events e ON e.outbox_id = o.id WHERE e.email_id = 'e-cy-1'"), sprintf('%02d:00:00', $open),
	'... at the opening, in the lead\'s zone');
is(calls_sent(), 1, '... and it is not sent');

# ---------------------------------------------------------------- (e) listed while it waits

q1("INSERT INTO vapi_pool.do_not_call (org_id, phone, reason) VALUES ('$org', '+12125550168', 'asked by phone')");
is(q1("SELECT o.state || '|' || o.last_error FROM vapi_pool.outbox o JOIN vapi_pool.instantly_events e ON e.outbox_id = o.id
	WHERE e.email_id = 'e-cy-1'"), 'suppressed|the number is on a do-not-call list', '(e) an operator lists the number: suppressed');
is(q1("SELECT status FROM vapi_pool.leads WHERE email = 'cy\@example.com'"), 'do_not_call', '... the lead is do_not_call');
# Instantly's own unsubscribe event for Bob, called already: listed, no new call
($st, $ans) = $p->post('/webhook/instantly-reply', { timestamp => '2026-11-22T10:00:00Z', event_type => 'lead_unsubscribed',
	workspace => '51c0231c-9645-46c3-992a-ec88b782136d', campaign_id => '1e24d68f-3645-42ac-a253-8b64ee61feee',
	lead_email => 'bob@example.com', email => 'bob@example.com' });
is($st, 200, "... Instantly's lead_unsubscribed is accepted");
is(q1("SELECT source FROM vapi_pool.do_not_call WHERE phone = '+12125550167'"), 'instantly', '... and lists that lead\'s number');
q1("UPDATE vapi_pool.orgs SET calling_hours_start = NULL, calling_hours_end = NULL WHERE org_id = '$org'");
q1("UPDATE vapi_pool.outbox SET run_at = now() WHERE state = 'pending'");
q1("NOTIFY vapi_pool_outbox");
$p->outbox_settled;
is(calls_sent(), 1, 'when the hours open again, still only the one call was ever sent');
is(join(',', @{ $p->jobs('vapi.create_call') }), 'vapi.create_call|suppressed|0,vapi.create_call|done|1,vapi.create_call|suppressed|0',
	'the three calls: cancelled, placed, suppressed');

$p->stop;
done_testing();
