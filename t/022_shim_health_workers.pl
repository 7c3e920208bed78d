# 022_shim_health_workers.pl
#   /healthz speaks for the webhook workers' connections, not only for the
#   prober's: it is not ok while no worker can run a webhook, and whenever
#   it is ok a webhook sent right after it is not answered 503.
#
#   - A worker whose backend is terminated while idle notices at once and
#     reconnects; while it cannot prepare vapi_pool.receive_webhook (renamed
#     away here) /healthz is 503 saying so, though the prober is fine.
#   - The node stops (fast and immediate): /healthz turns 503 and stays so
#     while /metrics shows no worker connected; it starts (or restarts):
#     every 200 of /healthz is followed by a webhook, none answered 503.
#
#   One worker (--db-pool-size=1), so that a dead connection kept by the
#   worker would be met by the very webhook after /healthz.  Waits are
#   bounded loops; no result is decided by how long something took.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HTTP::Tiny;
use IPC::Run ();
use JSON::PP ();
use Time::HiRes qw(usleep);
use VapiPoolTest qw(new_vapi_node shim_binary);

my $shim_bin = shim_binary();
BAIL_OUT("vapi-shim is not built at $shim_bin (run make first)") unless -x $shim_bin;
delete $ENV{$_} for grep { /^VAPI_POOL_/ } keys %ENV;

my $secret = 'vapi-secret-022';
my $http = HTTP::Tiny->new(timeout => 15);
my $node = new_vapi_node('health_workers');
my $dir = PostgreSQL::Test::Utils::tempdir();
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $errfile = "$dir/shim.stderr";

$ENV{VAPI_POOL_VAPI_SECRET} = $secret;
my $shim = IPC::Run::start(
	[
		$shim_bin, '--database-url=' . $node->connstr('postgres'),
		"--listen=127.0.0.1:$port", '--db-pool-size=1'
	],
	'<', \undef, '>', "$dir/shim.stdout", '2>', $errfile, IPC::Run::timeout(300));

sub shim_log { return -f $errfile ? slurp_file($errfile) : '' }

# GET /healthz: (status, decoded body).
sub healthz
{
	my $r = $http->get("http://127.0.0.1:$port/healthz");
	return ($r->{status}, eval { JSON::PP::decode_json($r->{content}) } // {});
}

# Webhook workers connected, as /metrics says (idle + busy).
sub connected_workers
{
	my $r = $http->get("http://127.0.0.1:$port/metrics");
	my %m = $r->{content} =~ /^vapi_shim_db_pool_connections\{state="(\w+)"\} (\d+)$/mg;
	return ($m{idle} // 0) + ($m{busy} // 0);
}

my $n = 0;

# POST a Vapi status-update (a new call id each time); returns the status.
sub webhook
{
	$n++;
	my $r = $http->post(
		"http://127.0.0.1:$port/webhook/vapi",
		{
			content => qq({"message":{"type":"status-update","status":"ringing","call":{"id":"call-022-$n"}}}),
			headers => { 'content-type' => 'application/json', 'x-vapi-secret' => $secret }
		});
	return $r->{status};
}

# Poll /healthz (every 20 ms, at most $tries times) until it answers $want
# with a body $cond accepts (when given); returns (status, body) of the last
# answer.
sub wait_health
{
	my ($want, $tries, $cond) = @_;
	my ($st, $body);
	for (1 .. $tries)
	{
		($st, $body) = healthz();
		last if $st == $want && (!$cond || $cond->($body));
		usleep(20_000);
	}
	return ($st, $body);
}

# After the database came back: poll /healthz; after each 200 send a webhook
# at once.  Returns (the webhook statuses, whether /healthz was ever 200)
# once $pairs webhooks followed a 200 (or after $tries polls).
sub ok_then_webhook
{
	my ($pairs, $tries) = @_;
	my @statuses;
	for (1 .. $tries)
	{
		my ($st) = healthz();
		if ($st == 200)
		{
			push @statuses, webhook();
			last if @statuses >= $pairs;
		}
		else
		{
			usleep(20_000);
		}
	}
	return @statuses;
}

my ($st, $body) = wait_health(200, 1500);
is($st, 200, '/healthz is 200 once the worker is connected') or diag(shim_log());
is_deeply($body->{workers}, { connected => 1, total => 1 }, '/healthz: the worker is connected');
is(webhook(), 200, 'a webhook is answered 200');

# ---------------------------------------------------------------- the worker cannot serve, the prober can

$node->safe_psql('postgres', q{
	ALTER FUNCTION vapi_pool.receive_webhook(text, jsonb) RENAME TO receive_webhook_away_022;
	SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'vapi-shim';
});
# first the closed connection, then the failed reconnect: wait for the latter
($st, $body) = wait_health(503, 1500, sub { ($_[0]{error} // '') =~ /receive_webhook/ });
is($st, 503, 'backend terminated, statement cannot be prepared: /healthz turns 503');
is($body->{status}, 'degraded', '... status degraded');
is($body->{database}, 'reachable', '... though the prober reaches the database');
like($body->{error} // '', qr/no webhook worker has a database connection/, '... the error says the workers cannot serve');
like($body->{error} // '', qr/receive_webhook/, '... and why');
is($body->{workers}{connected}, 0, '... no worker connected');
is(webhook(), 503, 'a webhook meanwhile is answered 503');
like(shim_log(), qr/database worker 1: connection closed while idle/, 'the worker noticed its backend was gone while idle');

$node->safe_psql('postgres',
	'ALTER FUNCTION vapi_pool.receive_webhook_away_022(text, jsonb) RENAME TO receive_webhook');
my @after = ok_then_webhook(5, 1500);
is(scalar(@after), 5, 'the function is back: /healthz is 200 again');
is_deeply([ grep { $_ == 503 } @after ], [], '... and no webhook right after a 200 got 503 (' . join(',', @after) . ')');

# ---------------------------------------------------------------- the node stops and starts

for my $mode (qw(fast immediate))
{
	$node->stop($mode);
	($st, $body) = wait_health(503, 1500);
	is($st, 503, "stop ($mode): /healthz turns 503");
	my @while_down;
	for (1 .. 10)
	{
		my $workers = connected_workers();
		my ($h) = healthz();
		push @while_down, "$workers:$h";
	}
	is_deeply([ grep { !/^0:503$/ } @while_down ], [],
		"stop ($mode): no worker connected and /healthz 503, every time asked");
	is(webhook(), 503, "stop ($mode): a webhook is answered 503");

	$node->start;
	@after = ok_then_webhook(5, 1500);
	is(scalar(@after), 5, "start after $mode stop: /healthz is 200 again");
	is_deeply([ grep { $_ == 503 } @after ], [],
		"start after $mode stop: no webhook right after a 200 got 503 (" . join(',', @after) . ')');
}

for my $round (1 .. 3)
{
	$node->restart;
	@after = ok_then_webhook(5, 1500);
	is(scalar(@after), 5, "restart $round: /healthz is 200 again");
	is_deeply([ grep { $_ == 503 } @after ], [],
		"restart $round: no webhook right after a 200 got 503 (" . join(',', @after) . ')');
}

$shim->signal('TERM');
ok(eval { $shim->finish; 1 }, 'the shim exits after SIGTERM') or $shim->kill_kill;
$node->stop;
done_testing();
