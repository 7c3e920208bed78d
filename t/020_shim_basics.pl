# 020_shim_basics.pl
#   vapi-shim foundation: options, start-up checks, /healthz against a live
#   and a stopped database, placeholder webhook routes, JSON errors, logging
#   without secrets and a clean exit on SIGTERM/SIGINT.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HTTP::Tiny;
use IPC::Run ();
use JSON::PP ();
use Time::HiRes qw(usleep);
use VapiPoolTest qw(new_vapi_node shim_binary source_dir);

my $shim = shim_binary();
BAIL_OUT("vapi-shim is not built at $shim (run make first)") unless -x $shim;

# The version the binary must report: the control file's, 0.1.0 until then.
my $version = '0.1.0';
if (-f source_dir() . '/vapi_pool.control')
{
	($version) = slurp_file(source_dir() . '/vapi_pool.control') =~
	  /^\s*default_version\s*=\s*'([^']+)'/m
	  or die "no default_version in vapi_pool.control";
}

# Keep whatever VAPI_POOL_* the caller has out of every run below.
delete $ENV{$_} for grep { /^VAPI_POOL_/ } keys %ENV;

my @all_vars = qw(
  VAPI_POOL_DATABASE_URL VAPI_POOL_LISTEN VAPI_POOL_VAPI_AUTH
  VAPI_POOL_VAPI_SECRET VAPI_POOL_VAPI_SECRET_PREVIOUS
  VAPI_POOL_INTAKE_ASSISTANT_ID VAPI_POOL_CONNECTOR_ASSISTANT_ID
  VAPI_POOL_INSTANTLY_HEADER VAPI_POOL_INSTANTLY_SECRET
  VAPI_POOL_CAL_WEBHOOK_SECRET VAPI_POOL_VAPI_API_KEY VAPI_POOL_VAPI_BASE_URL
  VAPI_POOL_CAL_API_KEY VAPI_POOL_CAL_BASE_URL VAPI_POOL_MAX_BODY);

my @webhooks = qw(/webhook/vapi /webhook/vapi-inbound /webhook/vapi-tools
  /webhook/vapi-supabase-tool /webhook/instantly-reply /webhook/cal);

# Distinctive secret values: none of them may ever show up in any output.
my %secrets = (
	VAPI_POOL_VAPI_SECRET => 'vapi-secret-7Hq2xZ',
	VAPI_POOL_VAPI_SECRET_PREVIOUS => 'vapi-previous-9Kd4wY',
	VAPI_POOL_INSTANTLY_SECRET => 'instantly-secret-3Lm8vX',
	VAPI_POOL_CAL_WEBHOOK_SECRET => 'cal-hook-secret-5Np1uW',
	VAPI_POOL_CAL_API_KEY => 'cal-api-key-2Rs6tV',
	VAPI_POOL_VAPI_API_KEY => 'vapi-api-key-8Tb3sU',);

# Run the shim to completion with extra environment; returns (exit, out, err).
# A shim still running after 10 seconds (i.e. it did not exit) counts as -1.
sub run_shim
{
	my ($env, @args) = @_;
	my ($out, $err) = ('', '');
	local %ENV = (%ENV, %$env);
	my $ok = eval {
		IPC::Run::run([ $shim, @args ], '<', \undef, '>', \$out, '2>', \$err,
			IPC::Run::timeout(10));
		1;
	};
	return (-1, $out, $err . ($@ // '')) unless $ok;
	return ($? >> 8, $out, $err);
}

# Does $text contain any of the secret values?
sub leaked_secrets
{
	my ($text) = @_;
	return grep { index($text, $_) >= 0 } values %secrets;
}

# --version, --help, bad flags, missing secret -------------------------------

my ($rc, $out, $err) = run_shim({}, '--version');
is($rc, 0, '--version exits 0');
is($out, "vapi-shim $version\n", '--version prints the version');

($rc, $out, $err) = run_shim(\%secrets, '--help');
is($rc, 0, '--help exits 0');
for my $var (@all_vars)
{
	(my $flag = lc substr($var, length 'VAPI_POOL_')) =~ tr/_/-/;
	like($out, qr/\Q$var\E\b/, "--help documents $var");
	like($out, qr/--\Q$flag\E\b/, "--help documents --$flag");
}
like($out, qr/default: 127\.0\.0\.1:8080/, '--help shows the listen default');
is_deeply([ leaked_secrets($out . $err) ], [], '--help shows no secret value');

($rc, $out, $err) = run_shim({ VAPI_POOL_VAPI_SECRET => 's' }, '--no-such-flag');
is($rc, 2, 'an unknown flag exits 2');
like($err, qr/--no-such-flag/, 'the unknown flag is named');

($rc, $out, $err) = run_shim({}, '--listen', '127.0.0.1:1');
is($rc, 2, 'no VAPI_POOL_VAPI_SECRET: exit 2');
like($err, qr/VAPI_POOL_VAPI_SECRET/, 'the missing variable is named');
is(scalar(() = $err =~ /\n/g), 2, 'the error is one line (plus a --help hint)');

($rc, $out, $err) = run_shim({ VAPI_POOL_VAPI_SECRET => '' });
is($rc, 2, 'an empty VAPI_POOL_VAPI_SECRET counts as missing');

($rc, $out, $err) =
  run_shim({ VAPI_POOL_VAPI_SECRET => 's' }, '--vapi-auth=sometimes');
is($rc, 2, 'a bad --vapi-auth exits 2');
like($err, qr/VAPI_POOL_VAPI_AUTH/, 'the bad option is named');

# A running shim against a live node ------------------------------------------

my $node = new_vapi_node('shim');
my $dir = PostgreSQL::Test::Utils::tempdir();
my $http = HTTP::Tiny->new(timeout => 5);

# Start the shim in the background; stderr goes to a file we can read live.
sub start_shim
{
	my ($name, $env, @args) = @_;
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	my $errfile = "$dir/$name.stderr";
	local %ENV = (
		%ENV,
		VAPI_POOL_DATABASE_URL => $node->connstr('postgres'),
		VAPI_POOL_LISTEN => "127.0.0.1:$port",
		%$env);
	my $h = IPC::Run::start([ $shim, @args ],
		'<', \undef, '>', "$dir/$name.stdout", '2>', $errfile,
		IPC::Run::timeout(180));
	return { h => $h, base => "http://127.0.0.1:$port", err => $errfile,
		out => "$dir/$name.stdout" };
}

# Everything the shim has logged so far.
sub shim_log
{
	my ($s) = @_;
	return -f $s->{err} ? slurp_file($s->{err}) : '';
}

# Request $path; check the answer is JSON and return (response, decoded body).
sub request
{
	my ($s, $method, $path, $content) = @_;
	my $res = $http->request($method, $s->{base} . $path,
		defined $content ? { content => $content } : {});
	my $json = eval { JSON::PP::decode_json($res->{content}) };
	return ($res, $json);
}

# Poll /healthz until it answers $want (bounded); return the last answer.
sub wait_for_health
{
	my ($s, $want, $seconds) = @_;
	my ($res, $json);
	for (my $i = 0; $i < $seconds * 10; $i++)
	{
		($res, $json) = request($s, 'GET', '/healthz');
		last if $res->{status} == $want;
		usleep(100_000);
	}
	return ($res, $json);
}

my %with_secrets = %secrets;
delete $with_secrets{VAPI_POOL_VAPI_API_KEY};
# env says one thing, the flag another: the flag must win
my $s = start_shim('main', { %with_secrets, VAPI_POOL_MAX_BODY => '12' },
	'--max-body', '4096');

my ($res, $json) = wait_for_health($s, 200, 30);
is($res->{status}, 200, '/healthz is 200 with the database up')
  or diag("shim log:\n" . shim_log($s));
is($res->{headers}{'content-type'}, 'application/json', '/healthz is JSON');
is($json->{status}, 'ok', '/healthz status ok');
is($json->{version}, $version, '/healthz reports the version');
is($json->{database}, 'reachable', '/healthz: database reachable');
is($json->{extension}, $version,
	'/healthz: reports the installed extension version');
ok(!exists $json->{error}, '/healthz: no error while healthy');

($res, $json) = request($s, 'GET', '/no/such/path?token=q7query');
is($res->{status}, 404, 'unknown path: 404');
is($res->{headers}{'content-type'}, 'application/json', '404 is JSON');
is_deeply($json, { error => 'not found' }, '404 body');

($res, $json) = request($s, 'GET', '/webhook/vapi');
is($res->{status}, 405, 'GET on a webhook: 405');
is($res->{headers}{allow}, 'POST', '405 has Allow: POST');
is($res->{headers}{'content-type'}, 'application/json', '405 is JSON');
like($json->{error}, qr/not allowed/, '405 body says why');

($res, $json) = request($s, 'POST', '/healthz', '{}');
is($res->{status}, 405, 'POST on /healthz: 405');
like($res->{headers}{allow} // '', qr/\bGET\b/, '405 on /healthz allows GET');

for my $route (@webhooks)
{
	($res, $json) = request($s, 'POST', $route, '{"message":{}}');
	is($res->{status}, 501, "POST $route: 501");
	is($res->{headers}{'content-type'}, 'application/json', "$route answer is JSON");
	is_deeply($json,
		{ error => "not implemented yet: $route is built in a later release" },
		"$route: honest not-implemented body");
}

($res, $json) = request($s, 'POST', '/webhook/vapi', 'x' x 5000);
is($res->{status}, 413, 'a body over --max-body: 413 (flag beat the env var)');
is($res->{headers}{'content-type'}, 'application/json', '413 is JSON');
ok(defined $json && defined $json->{error}, '413 body is a JSON error');

my $log = shim_log($s);
is(scalar(() = $log =~ /outbound calls are held: VAPI_POOL_VAPI_API_KEY is not set \(jobs stay queued\)/g),
	1, 'the "outbound calls are held" line is logged once');
unlike($log, qr/refuse every request/,
	'no refusal warning when the Instantly and Cal.com secrets are set');
like($log, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /m, 'log lines carry a timestamp');
like($log, qr/access: POST \/webhook\/cal 501 \d+us/, 'requests are access-logged');
unlike($log, qr/q7query/, 'query strings are not logged');

# The database goes away and comes back ----------------------------------------

$node->stop;
($res, $json) = wait_for_health($s, 503, 15);
is($res->{status}, 503, '/healthz turns 503 after the node stops');
is($json->{status}, 'degraded', '/healthz status degraded');
is($json->{database}, 'unreachable', '/healthz: database unreachable');
is($json->{version}, $version, '/healthz still reports the version');
ok(defined $json->{error} && length $json->{error}, '/healthz says why');
like(shim_log($s), qr/database unreachable/, 'the outage is logged');

$node->start;
($res, $json) = wait_for_health($s, 200, 15);
is($res->{status}, 200, '/healthz is 200 again after the node restarts');
is($json->{database}, 'reachable', '/healthz: database reachable again');

# SIGTERM: clean exit ----------------------------------------------------------

$s->{h}->signal('TERM');
my $finished = eval { $s->{h}->finish; 1 };
ok($finished, 'the shim exits after SIGTERM') or $s->{h}->kill_kill;
is($s->{h}->result(0), 0, 'SIGTERM: exit code 0');
$log = shim_log($s);
like($log, qr/shutting down/, '"shutting down" is logged');
is_deeply([ leaked_secrets($log . slurp_file($s->{out})) ], [],
	'no secret value in the shim output');

# Without Instantly/Cal.com secrets, with a Vapi API key -----------------------

my $s2 = start_shim('nosecrets', {
		VAPI_POOL_VAPI_SECRET => $secrets{VAPI_POOL_VAPI_SECRET},
		VAPI_POOL_VAPI_API_KEY => $secrets{VAPI_POOL_VAPI_API_KEY} });
($res, $json) = wait_for_health($s2, 200, 30);
is($res->{status}, 200, 'second shim is up')
  or diag("shim log:\n" . shim_log($s2));
($res, $json) = request($s2, 'POST', '/webhook/instantly-reply', '{}');
is($res->{status}, 401, 'no Instantly secret: /webhook/instantly-reply refuses (401)');
is($res->{headers}{'content-type'}, 'application/json', '401 is JSON');
($res, $json) = request($s2, 'POST', '/webhook/cal', '{}');
is($res->{status}, 401, 'no Cal.com secret: /webhook/cal refuses (401)');
($res, $json) = request($s2, 'POST', '/webhook/vapi', '{}');
is($res->{status}, 501, 'the Vapi route is unaffected');

$log = shim_log($s2);
like($log, qr/VAPI_POOL_INSTANTLY_SECRET is not set: \/webhook\/instantly-reply will refuse every request \(401\)/,
	'missing Instantly secret is logged as a refusal');
like($log, qr/VAPI_POOL_CAL_WEBHOOK_SECRET is not set: \/webhook\/cal will refuse every request \(401\)/,
	'missing Cal.com secret is logged as a refusal');
unlike($log, qr/outbound calls are held/, 'no "held" line when the API key is set');

$s2->{h}->signal('INT');
$finished = eval { $s2->{h}->finish; 1 };
ok($finished, 'the shim exits after SIGINT') or $s2->{h}->kill_kill;
is($s2->{h}->result(0), 0, 'SIGINT: exit code 0');
is_deeply([ leaked_secrets(shim_log($s2) . slurp_file($s2->{out})) ], [],
	'no secret value in the second shim output');

$node->stop;
done_testing();
