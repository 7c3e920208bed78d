# 111_journey_number_health.pl
#   Issue 22's burned number, played whole against the running shim, the
#   dispatcher, the pg_cron job's command and the Vapi stand-in
#   (t/lib/CallPlayer.pm):
#   thirty leads reply to the Instantly campaign asking for a call; the
#   dispatcher places each call from a number of the broker's pool of three
#   (fair reuse takes them in turn); on Vapi's side nobody ever answers the
#   calls from one number (a carrier labels it "Spam Likely") while two in
#   three calls from the others are answered; each report comes back signed
#   and the nightly release job frees the number.  Then number_health calls
#   that number burned and the others healthy, /metrics counts it, the
#   hourly rotation job (its command, now) retires it and queues its
#   replacement, the dispatcher buys the replacement from Vapi in the same
#   area code at the deployment's server URL and adds it to the pool, and the
#   next lead's call goes out from the new number, never the burned one.
#   Nothing sleeps: every wait is bounded, and one that runs out fails the
#   test (it never changes what the test covers).
use strict;
use warnings;

use HTTP::Tiny;
use JSON::PP ();
use PostgreSQL::Test::Utils;
use Test::More;
use CallPlayer;
use VapiPoolTest qw(wait_for);

my $org = 'abababab-0000-4000-8000-000000000022';
my $broker = 'a1000000-0000-4000-8000-000000000022';
my $campaign = '1e24d68f-3645-42ac-a253-8b64ee61feee';
my $server_url = 'https://voice.journey.invalid/hooks/vapi';
my %pool = ('+13125550191' => 'pn_nh_1', '+13125550192' => 'pn_nh_2', '+13125550193' => 'pn_nh_3');
my $burned = '+13125550192';

my $p = CallPlayer->start('journey_number_health',
	settings => {
		# every call is due when it is queued; one attempt per request
		'vapi_pool.calling_window' => '00:00-24:00',
		'vapi_pool.max_call_attempts' => 1,
		# a number goes back to the pool as soon as its call ended
		'vapi_pool.hold_after_call' => '0',
		# judged from six calls, so that thirty calls tell
		'vapi_pool.number_health_min_calls' => 6,
	},
	fixtures => <<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name, rotate_burned_numbers) VALUES ('$org', 'Acme Home Loans', true);
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active, number_pool_size) VALUES
	('$org', '$broker', 'Dana Lee', 'America/Chicago', '+13125550147', true, 3);
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, broker_id) VALUES
	('$org', '$campaign', '51c0231c-9645-46c3-992a-ec88b782136d', '$broker');
SELECT count(*) FROM (SELECT add_pool_number('$broker', '+13125550191', 'pn_nh_1')
	UNION ALL SELECT add_pool_number('$broker', '+13125550192', 'pn_nh_2')
	UNION ALL SELECT add_pool_number('$broker', '+13125550193', 'pn_nh_3')) s;
-- the operator ran `vapi-shim pool fill --public-url ...` (the pool was full): the server URL is recorded
SELECT queued FROM pool_fill('$broker', server_url => '$server_url');
-- only the test runs the hourly rotation (its command, now)
UPDATE cron.job SET active = false WHERE jobname = 'vapi_pool.rotate_burned_numbers';
SQL
my $s = $p->standin;
my $http = HTTP::Tiny->new(timeout => 10);

# One value of a query.
sub q1 { return $p->sql($_[0]) }

# Lead $i replies asking for a call; returns the call the dispatcher placed.
sub lead_asks_for_a_call
{
	my ($i) = @_;
	my $phone = sprintf('+1415555%04d', 2000 + $i);
	my $text = "Yes, please call me at $phone";
	my ($st) = $p->instantly_reply(email_id => sprintf('e2200000-0000-4000-8000-%012d', $i),
		lead_email => "lead$i\@example.com", email => "lead$i\@example.com", firstName => "Lead$i",
		lastName => 'Quinn', phone => $phone, reply_text => $text, reply_text_snippet => $text,
		reply_html => "<div>$text</div>");
	die "the reply of lead $i was refused ($st)" unless $st == 200;
	return $p->placed_call($phone);
}

# The shim's /metrics line of $name (with its labels), or undef.
sub metric
{
	my ($name) = @_;
	my $res = $http->get("http://127.0.0.1:$p->{port}/metrics");
	return undef unless $res->{success};
	return $res->{content} =~ /^\Q$name\E (\S+)$/m ? $1 : undef;
}

# ---------------------------------------------------------------- thirty calls

my (%calls_from, %answered_from);
for my $i (1 .. 30)
{
	my $call = lead_asks_for_a_call($i);
	my $from = $call->{from};
	$calls_from{$from}++;
	# the lead's phone shows "Spam Likely" for the burned number: nobody picks up
	my $answers = $from ne $burned && $calls_from{$from} % 3 != 0;
	$answered_from{$from}++ if $answers;
	$call->status('ringing');
	if ($answers)
	{
		$call->status('in-progress');
		$call->end(endedReason => 'customer-ended-call', durationSeconds => 45,
			transcript => "AI: Hi, this is Barbara from Acme Home Loans.\nUser: Hi, thanks for calling back.");
	}
	else
	{
		$call->end(endedReason => 'customer-did-not-answer', durationSeconds => 0);
	}
	$p->run_cron_job('vapi_pool.release_expired');
}
is(join(',', map { "$_=" . ($calls_from{$_} // 0) } sort keys %pool), '+13125550191=10,+13125550192=10,+13125550193=10',
	'fair reuse placed ten calls from each of the three numbers');
is(q1("SELECT count(*) FILTER (WHERE outcome = 'answered') || '/' || count(*) FROM vapi_pool.vapi_call_logs"
	  . " WHERE org_id = '$org' AND direction = 'outbound_to_lead' AND status = 'ended'"),
	($answered_from{'+13125550191'} + $answered_from{'+13125550193'}) . '/30',
	'every report was recorded with its outcome');

# ---------------------------------------------------------------- number health

is(q1("SELECT string_agg(number::text || ':' || answered || '/' || attempts || ':' || state, ' ' ORDER BY number)"
	  . " FROM vapi_pool.number_health WHERE org_id = '$org'"),
	'+13125550191:7/10:healthy +13125550192:0/10:burned +13125550193:7/10:healthy',
	'number_health: the number nobody answers is burned, its siblings healthy');
like(q1("SELECT reason FROM vapi_pool.number_health WHERE number = '$burned'"),
	qr/^answered 0 of 10 calls \(0%\) against 70% of 20 on the broker's other numbers; likely labelled as spam$/,
	'... and says why, in words an operator can act on');
# summed over the weeks: a run across Monday 00:00 in Chicago splits them
is(q1("SELECT sum(calls_placed) || '|' || sum(answered) || '|' || sum(no_answer) FROM vapi_pool.call_report"
	  . " WHERE broker_id = '$broker' AND period = 'week'"),
	'30|14|16', 'call_report: Dana Lee\'s weeks, thirty calls placed, fourteen answered, sixteen not');

# the shim's prober reads the slow figures when it connects: a restart reads them now
$p->stop_shim;
$p->start_shim;
ok(wait_for(30, sub { (metric('vapi_shim_pool_numbers_unhealthy{health="burned"}') // 'NaN') ne 'NaN' }),
	'/metrics reads the number health figures');
is(metric('vapi_shim_pool_numbers_unhealthy{health="burned"}'), '1', '/metrics: one burned number');
is(metric('vapi_shim_pool_numbers_unhealthy{health="watch"}'), '0', '/metrics: none on watch');

# ---------------------------------------------------------------- rotation

$p->mark('rotate');
is($p->run_cron_job('vapi_pool.rotate_burned_numbers'), '1', 'the hourly rotation job rotates one number');
is(q1("SELECT status FROM vapi_pool.vapi_number_pool WHERE number = '$burned'"), 'retired',
	'... the burned number, free between calls, is retired at once');
my $job = q1("SELECT replacement_job_ids[1] FROM vapi_pool.number_rotations WHERE number = '$burned'");
ok($job, '... the rotation is logged with the purchase it queued');
ok($p->node->poll_query_until('postgres', "SELECT state = 'done' FROM vapi_pool.outbox WHERE id = $job"),
	'the dispatcher buys the replacement');
my ($buy) = @{ $p->requests(service => 'vapi', since => 'rotate', method => 'POST', path => '/phone-number') };
ok($buy, '... with one POST /phone-number to Vapi');
my $body = ref $buy->{body} ? $buy->{body} : JSON::PP->new->decode($buy->{body} // '{}');
is(($body->{numberDesiredAreaCode} // '') . '|' . ($body->{server}{url} // ''), "312|$server_url",
	'... in the burned number\'s area code, pointed at this deployment');
my $new = q1("SELECT number FROM vapi_pool.vapi_number_pool WHERE org_id = '$org' AND status <> 'retired'"
	  . " AND number NOT IN ('+13125550191', '+13125550193')");
like($new, qr/^\+1312555\d{4}$/, "the new number $new joined Dana Lee's pool");
is(q1("SELECT size || '|' || available || '|' || retired FROM vapi_pool.pool_status WHERE broker_id = '$broker'"),
	'3|3|1', 'the pool is back to three numbers, one retired');
is($p->run_cron_job('vapi_pool.rotate_burned_numbers'), '0', 'the next hour rotates nothing');

my $next = lead_asks_for_a_call(31);
is($next->{from}, $new, 'the next lead is called from the new number');
$next->end(endedReason => 'customer-ended-call', durationSeconds => 30);
my %later;
for my $i (32 .. 34)
{
	my $c = lead_asks_for_a_call($i);
	$later{ $c->{from} }++;
	$c->end(endedReason => 'customer-ended-call', durationSeconds => 30);
	$p->run_cron_job('vapi_pool.release_expired');
}
ok(!$later{$burned}, 'no later call comes from the burned number');

$p->stop_shim;
$p->start_shim;
ok(wait_for(30, sub { (metric('vapi_shim_pool_numbers_unhealthy{health="burned"}') // 'NaN') eq '0' }),
	'/metrics: no burned number left in the pool');

done_testing();
