# 023_shim_search_path.pl
#   No statement vapi-shim sends can be captured through the search_path.
#   A superuser plants, in schema public, shadows of what the shim's SQL
#   names or could resolve to: public.make_interval(secs text) (preferred
#   over pg_catalog's for an untyped parameter: the reported hijack),
#   set_config, now, clock_timestamp, the operators - (timestamptz) and
#   = (name), and a domain public.text.  Each records into public.hijack_log
#   that it ran, and in which application.  Every vapi-shim process is given
#   a --database-url whose own options put public first
#   (-c search_path=public,pg_catalog), so that even a shadow with the same
#   signature as pg_catalog's would win unless the shim pins its search_path.
#
#   Then every kind of connection runs its statements: the webhook workers
#   (session set-up, receive_webhook), the health prober, the dispatcher
#   (claims, reports, the next due time) with pool fill waiting for it, pool
#   sync and assistants push against the Vapi stand-in.  One dispatcher also
#   runs with the default search_path, the reported case.  No shadow may have
#   run in a vapi-shim session; a psql session with the same search_path
#   shows that each shadow does run when it can.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Copy qw(copy);
use File::Temp ();
use HTTP::Tiny;
use IPC::Run ();
use Time::HiRes qw(usleep time);
use VapiPoolTest qw(new_vapi_node shim_binary source_dir wait_shim_healthy);
use VendorStandin;

my $shim_bin = shim_binary();
BAIL_OUT("vapi-shim is not built at $shim_bin (run make first)") unless -x $shim_bin;
delete $ENV{$_} for grep { /^VAPI_POOL_/ } keys %ENV;

my $api_key = 'vapi-private-023';
my $secret = 'vapi-secret-023';
my $public_url = 'https://voice.search-path.invalid';
my $org = 'aaaaaaaa-0000-4000-8000-000000000023';
my $broker = 'a1000000-0000-4000-8000-000000000023';
my $http = HTTP::Tiny->new(timeout => 15);
my $dir = PostgreSQL::Test::Utils::tempdir();

my $node = new_vapi_node('search_path');
my $vapi = VendorStandin->start(vapi_key => $api_key);

sub psql { return $node->safe_psql('postgres', $_[0]); }

psql(<<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name) VALUES ('$org', 'Search Path Home Loans');
INSERT INTO brokers (org_id, id, name, number_pool_size, number_pool_active)
	VALUES ('$org', '$broker', 'Sam Park', 0, true);
SQL

# ---------------------------------------------------------------- the shadows

psql(<<'SQL');
CREATE TABLE public.hijack_log (fn pg_catalog.text, app pg_catalog.text);
GRANT SELECT, INSERT ON public.hijack_log TO PUBLIC;
CREATE FUNCTION public.hijacked(fn pg_catalog.text) RETURNS pg_catalog.bool LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.hijack_log (fn, app) VALUES (fn, pg_catalog.current_setting('application_name'));
	RETURN true;
END $$;

-- the reported hijack: preferred for make_interval(secs => $3) with $3 untyped
CREATE FUNCTION public.make_interval(secs pg_catalog.text) RETURNS pg_catalog.interval LANGUAGE plpgsql AS $$
BEGIN
	PERFORM public.hijacked('make_interval');
	RETURN pg_catalog.make_interval(secs => secs::pg_catalog.float8);
END $$;

-- same signatures as pg_catalog's: they win only where public comes first
CREATE FUNCTION public.set_config(pg_catalog.text, pg_catalog.text, pg_catalog.bool) RETURNS pg_catalog.text
	LANGUAGE plpgsql AS $$
BEGIN
	PERFORM public.hijacked('set_config');
	RETURN pg_catalog.set_config($1, $2, $3);
END $$;
CREATE FUNCTION public.now() RETURNS pg_catalog.timestamptz LANGUAGE plpgsql AS $$
BEGIN
	PERFORM public.hijacked('now');
	RETURN pg_catalog.now();
END $$;
CREATE FUNCTION public.clock_timestamp() RETURNS pg_catalog.timestamptz LANGUAGE plpgsql AS $$
BEGIN
	PERFORM public.hijacked('clock_timestamp');
	RETURN pg_catalog.clock_timestamp();
END $$;
CREATE FUNCTION public.tstz_mi(a pg_catalog.timestamptz, b pg_catalog.timestamptz) RETURNS pg_catalog.interval
	LANGUAGE plpgsql AS $$
BEGIN
	PERFORM public.hijacked('-');
	RETURN a OPERATOR(pg_catalog.-) b;
END $$;
CREATE OPERATOR public.- (LEFTARG = pg_catalog.timestamptz, RIGHTARG = pg_catalog.timestamptz,
	FUNCTION = public.tstz_mi);
CREATE FUNCTION public.name_eq(a pg_catalog.name, b pg_catalog.name) RETURNS pg_catalog.bool LANGUAGE plpgsql AS $$
BEGIN
	PERFORM public.hijacked('=');
	RETURN a OPERATOR(pg_catalog.=) b;
END $$;
CREATE OPERATOR public.= (LEFTARG = pg_catalog.name, RIGHTARG = pg_catalog.name, FUNCTION = public.name_eq);

-- a type: $1::text would mean this domain, whose check runs on every cast
CREATE DOMAIN public.text AS pg_catalog.text CHECK (public.hijacked('text'));
SQL

my @shadows = sort ('make_interval', 'set_config', 'now', 'clock_timestamp', '-', '=', 'text');

# Which shadows ran in sessions whose application name is like $app.
sub hijacks
{
	my ($app) = @_;
	return [ split /\n/, psql("SELECT DISTINCT fn || ' in ' || app FROM public.hijack_log
		WHERE app LIKE '$app' ORDER BY 1") ];
}

# The control: a session with the same search_path meets every shadow.
psql(q{
	SET search_path = public, pg_catalog;
	SET application_name = 'control-023';
	SELECT make_interval(secs => '1'), set_config('x.y', 'z', false), now() - clock_timestamp(),
		'a'::name = 'a'::name, 'b'::text;
});
is_deeply([ sort map { s/ in control-023$//r } @{ hijacks('control-023') } ], \@shadows,
	'control: with public first, a session runs each shadow');

# Every vapi-shim process: a database URL whose options put public first.
my $database_url = $node->connstr('postgres') . " options='-c search_path=public,pg_catalog'";

# ---------------------------------------------------------------- the webhook server and the prober

my $port = PostgreSQL::Test::Cluster::get_free_port();
my $server_out = '';
my $server;
{
	local $ENV{VAPI_POOL_VAPI_SECRET} = $secret;
	$server = IPC::Run::start(
		[
			$shim_bin, "--database-url=$database_url",
			"--listen=127.0.0.1:$port", '--db-pool-size=2',
			'--intake-assistant-id=asst-intake-023'
		],
		'<', \undef, '>&', \$server_out, IPC::Run::timeout(300));
}
wait_shim_healthy($port, \$server_out);
pass('the webhook server is healthy: its workers and its prober connected');

my $r = $http->post("http://127.0.0.1:$port/webhook/vapi",
	{
		content => '{"message":{"type":"status-update","status":"ringing","call":{"id":"call-023"}}}',
		headers => { 'content-type' => 'application/json', 'x-vapi-secret' => $secret }
	});
is($r->{status}, 200, 'a webhook is answered by receive_webhook');
is(psql("SELECT count(*) FROM vapi_pool.webhook_inbox WHERE dedupe_key LIKE '%call-023%'"), '1',
	'... and stored');
# a prober round after the webhook: its inbox and outbox query ran again
my $probes = 0;
for (1 .. 100)
{
	$r = $http->get("http://127.0.0.1:$port/metrics");
	last if ($probes = $r->{content} =~ /^vapi_shim_inbox_events \d+$/m);
	usleep(100_000);
}
ok($probes, 'the prober read the inbox and outbox figures');

# ---------------------------------------------------------------- the dispatcher and the provisioning commands

my @tool_base = ("--database-url=$database_url", '--vapi-base-url=' . $vapi->vapi_url,
	"--public-url=$public_url");

# Run vapi-shim with @args and the shared options; returns (exit, stdout, stderr).
sub tool
{
	my (@args) = @_;
	my ($out, $err) = ('', '');
	local $ENV{VAPI_POOL_VAPI_API_KEY} = $api_key;
	IPC::Run::run([ $shim_bin, @args, @tool_base ], '<', \undef, '>', \$out, '2>', \$err,
		IPC::Run::timeout(120));
	note("vapi-shim @args: exit " . ($? >> 8) . "\n$out$err");
	return ($? >> 8, $out, $err);
}

# Run pool fill (one more number) while a dispatcher connected with $url
# sends the purchase; checks both did their part.
sub fill_with_dispatcher
{
	my ($url, $what) = @_;
	my $log = "$dir/dispatch-" . ($what =~ s/\W+/-/gr) . '.log';
	my $dispatcher;
	{
		local $ENV{VAPI_POOL_VAPI_API_KEY} = $api_key;
		$dispatcher = IPC::Run::start(
			[
				$shim_bin, 'dispatch', "--database-url=$url",
				'--vapi-base-url=' . $vapi->vapi_url, '--dispatch-poll-ms=200'
			],
			'<', \undef, '>&', $log, IPC::Run::timeout(300));
	}
	psql("UPDATE vapi_pool.brokers SET number_pool_size = number_pool_size + 1 WHERE id = '$broker'");
	my ($rc, $out, $err) = tool('pool', 'fill', "--broker=$broker", '--area-code=310', '--wait-seconds=60');
	is($rc, 0, "pool fill with a dispatcher ($what): exit 0") or diag("$out$err");
	like($out, qr/^1 bought, 0 failed, 0 not finished$/m, "... one number bought ($what)");
	$dispatcher->signal('TERM');
	ok(eval { $dispatcher->finish; 1 }, "the dispatcher ($what) exits after SIGTERM") or $dispatcher->kill_kill;
	like(slurp_file($log), qr/vapi\.buy_number attempt 1: POST \/phone-number: HTTP 201 in \d+ ms -> done/,
		"the dispatcher ($what) claimed, sent and reported the job");
	my $ran = hijacks('vapi-shim dispatch');
	is_deeply($ran, [], "no shadow ran in the dispatcher's sessions ($what)")
	  or diag(join("\n", 'shadows that ran:', @$ran));
}

# the reported case: the default search_path ("$user", public)
fill_with_dispatcher($node->connstr('postgres'), 'default search_path');
# and a database URL that puts public first
fill_with_dispatcher($database_url, 'public first');

my ($rc, $out, $err);
($rc, $out, $err) = tool('pool', 'sync', "--broker=$broker");
is($rc, 0, 'pool sync: exit 0') or diag("$out$err");

my $assistants = File::Temp->newdir('assistants-XXXXXX', TMPDIR => 1);
copy(source_dir() . '/assistants/intake.json', "$assistants/intake.json") or die "copy: $!";
($rc, $out, $err) = tool('assistants', 'push', "--assistants-dir=$assistants");
is($rc, 0, 'assistants push: exit 0') or diag("$out$err");
is(psql("SELECT count(*) FROM vapi_pool.vapi_assistants WHERE role = 'intake'"), '1', '... and the assistant is recorded');
($rc, $out, $err) = tool('assistants', 'push', "--assistants-dir=$assistants");
like($out, qr/^intake\s+\S+\s+unchanged$/m, 'a second push reads the recorded hash');

$server->signal('TERM');
ok(eval { $server->finish; 1 }, 'the webhook server exits after SIGTERM') or $server->kill_kill;

# ---------------------------------------------------------------- the verdict

my $hijacks = hijacks('vapi-shim%');
is_deeply($hijacks, [], 'no shadow in public ran in any vapi-shim session')
  or diag(join("\n", 'shadows that ran:', @$hijacks));
is(psql(q{SELECT string_agg(DISTINCT application_name, ',' ORDER BY application_name)
	FROM pg_stat_activity WHERE application_name LIKE 'vapi-shim%'}), '',
	'every vapi-shim session has ended');

$node->stop;
done_testing();
