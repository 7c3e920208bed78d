# 108_journey_reply_time.pl
#   A reply that asks for a time, played whole against the running shim,
#   the dispatcher and the Vapi stand-in (t/lib/CallPlayer.pm; issue 23,
#   item 3):
#   (a) "call me tomorrow after 5" at 212-555-0169, sent now: the call job
#       waits for 17:00 tomorrow in the lead's zone (New York, by the
#       number), or the first time the calling hours allow after it, and
#       decision_detail says both; nothing is sent before;
#   (b) when that time comes (the job's run_at moved to now), the
#       dispatcher places the call to the number the reply gave;
#   (c) a bare "ok" to an either-or offer is 'unclear': recorded, no job,
#       no call, the lead untouched.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use CallPlayer;

my $org = 'aaaaaaaa-0000-4000-8000-000000000000';
my $broker = 'a1000000-0000-4000-8000-000000000001';
my $lead_zone = 'America/New_York';	# the zone of +1 212 numbers

my $p = CallPlayer->start('journey_reply_time', fixtures => <<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name) VALUES ('$org', 'Acme Home Loans');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active) VALUES
	('$org', '$broker', 'Dana Lee', 'Pacific/Honolulu', '+13105550147', true);
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, broker_id) VALUES
	('$org', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d', '$broker');
SELECT count(*) FROM (SELECT add_pool_number('$broker', ('+1310555019' || n)::vapi_pool.e164, 'pn_t' || n)
	FROM generate_series(1, 3) n) s;
SQL

sub q1 { return $p->sql($_[0]) }

# POST /call requests the stand-in has received.
sub calls_sent { return scalar @{ $p->requests(service => 'vapi', method => 'POST', path => '/call') } }

my $sent_at = q1("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");

# ---------------------------------------------------------------- (a) a time asked for

my ($st, $ans) = $p->instantly_reply(email_id => 'e-tim-1', lead_email => 'tim@example.com', email => 'tim@example.com',
	firstName => 'Tim', lastName => 'Ode', phone => undef, timestamp => $sent_at,
	reply_text => "Sounds good. Call me tomorrow after 5 at 212-555-0169, I'm at work until then.",
	reply_text_snippet => undef, reply_html => undef);
is($st, 200, '(a) the reply is accepted');
is(q1("SELECT intent || '|' || decision || '|' || call_number::text FROM vapi_pool.instantly_events WHERE email_id = 'e-tim-1'"),
	'call_requested|call_queued|+12125550169', '... a call to the number it gives is queued');
# 17:00 tomorrow in New York, computed here; then the first time the calling hours allow
my $asked = q1("SELECT ((now() AT TIME ZONE '$lead_zone')::date + 1 + time '17:00') AT TIME ZONE '$lead_zone'");
my $due = q1("SELECT vapi_pool.next_call_time('$org', l.id, NULL, '$asked'::timestamptz) FROM vapi_pool.leads l
	WHERE l.email = 'tim\@example.com'");
is(q1("SELECT o.state || '|' || (o.run_at = '$due'::timestamptz) FROM vapi_pool.outbox o
	JOIN vapi_pool.instantly_events e ON e.outbox_id = o.id WHERE e.email_id = 'e-tim-1'"), 'pending|true',
	'... due at 17:00 tomorrow in the lead\'s zone (or the first time the calling hours allow after it)');
ok(q1("SELECT '$due'::timestamptz >= '$asked'::timestamptz AND '$asked'::timestamptz > now()") eq 't',
	'... which is later than now and not before the time asked');
like(q1("SELECT decision_detail FROM vapi_pool.instantly_events WHERE email_id = 'e-tim-1'"),
	qr/^The reply asks for a call at \S+ \S+: the call waits until|^The reply asks for a call at .*outside the calling hours/,
	'... and decision_detail says when it was asked for');
q1("NOTIFY vapi_pool_outbox");
$p->outbox_settled;
is(calls_sent(), 0, '... nothing is sent before then');

# ---------------------------------------------------------------- (b) the time comes

q1("UPDATE vapi_pool.outbox SET run_at = now() WHERE state = 'pending' AND kind = 'vapi.create_call'");
q1("NOTIFY vapi_pool_outbox");
my $tim = $p->placed_call('+12125550169');
ok($tim, '(b) when the time comes, the dispatcher places the call to the number the reply gave');
is(calls_sent(), 1, '... one call');

# ---------------------------------------------------------------- (c) unclear

($st, $ans) = $p->instantly_reply(email_id => 'e-una-1', lead_email => 'una@example.com', email => 'una@example.com',
	firstName => 'Una', lastName => 'Bay', phone => '+12125550170', timestamp => $sent_at,
	reply_text => "ok\n\nOn Thu, Mar 5, 2026 at 2:15 PM Dana Lee <dana\@acme.example> wrote:\n> I can give you a quick call, or just email you a written quote. Which would you prefer?",
	reply_text_snippet => undef, reply_html => undef);
is($st, 200, '(c) a bare "ok" to an either-or offer is accepted');
is(q1("SELECT intent || '|' || decision || '|' || (outbox_id IS NULL) FROM vapi_pool.instantly_events WHERE email_id = 'e-una-1'"),
	'unclear|recorded|true', '... read as unclear: recorded, no call queued');
is(q1("SELECT status FROM vapi_pool.leads WHERE email = 'una\@example.com'"), 'new', '... the lead is untouched');
$p->outbox_settled;
is(calls_sent(), 1, '... and nothing more is sent');

$p->stop;
done_testing();
