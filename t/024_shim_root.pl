# 024_shim_root.pl
#   vapi-shim refuses to run as root (effective user id 0) unless
#   --allow-root or VAPI_POOL_ALLOW_ROOT=1 says otherwise, whatever the
#   command (the server, dispatch, the provisioning commands); --help and
#   --version still work.  The tests run unprivileged, so root is a user
#   namespace's (unshare --user --map-root-user); where the kernel allows
#   none, those cases are skipped.
#
#   make run (scripts/run.sh) starts vapi-shim through shim_user_prefix of
#   scripts/common.sh: as root it drops to the cluster's user with setpriv,
#   unless VAPI_POOL_ALLOW_ROOT allows root; its decisions are checked here,
#   and that run.sh starts both the server and the dispatcher through it.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run ();
use Time::HiRes qw(usleep);
use VapiPoolTest qw(shim_binary source_dir);

my $shim_bin = shim_binary();
BAIL_OUT("vapi-shim is not built at $shim_bin (run make first)") unless -x $shim_bin;
delete $ENV{$_} for grep { /^VAPI_POOL_/ } keys %ENV;

my $dir = PostgreSQL::Test::Utils::tempdir();
my $broker = 'a1000000-0000-4000-8000-000000000024';

# Run a command with extra environment; returns (exit, stdout + stderr).
# One still running after 10 s (it did not refuse: it runs) counts as -1.
sub run_cmd
{
	my ($env, @cmd) = @_;
	my $out = '';
	local %ENV = (%ENV, %$env);
	my $h = IPC::Run::start(\@cmd, '<', \undef, '>&', \$out, IPC::Run::timeout(10));
	return ($? >> 8, $out) if eval { $h->finish; 1 };
	$h->kill_kill;
	return (-1, $out);
}

# ---------------------------------------------------------------- vapi-shim itself

my ($rc, $out) = run_cmd({ VAPI_POOL_VAPI_SECRET => 's' }, $shim_bin, '--database-url=host=/nonexistent',
	'--listen=127.0.0.1:1', '--db-pool-size=0');
is($rc, 2, 'not root: no refusal (the next check speaks: a bad pool size, exit 2)');
unlike($out, qr/refusing to run as root/, '... and no word about root');

my ($root) = run_cmd({}, 'unshare', '--user', '--map-root-user', 'id', '-u');
SKIP:
{
	skip 'no user namespace to be root in (unshare --user --map-root-user)', 19
	  unless $root == 0 && run_cmd_out('unshare', '--user', '--map-root-user', 'id', '-u') eq "0\n";

	my @as_root = ('unshare', '--user', '--map-root-user', $shim_bin);
	my @serve = ('--database-url=host=/nonexistent', '--listen=127.0.0.1:1');

	($rc, $out) = run_cmd({ VAPI_POOL_VAPI_SECRET => 's' }, @as_root, @serve);
	is($rc, 2, 'as root: the server refuses to start (exit 2)');
	like($out, qr/^vapi-shim: refusing to run as root \(effective user id 0\): run vapi-shim as an unprivileged user, or set VAPI_POOL_ALLOW_ROOT=1/m,
		'... saying why and how to override');

	($rc, $out) = run_cmd({ VAPI_POOL_VAPI_API_KEY => 'k' }, @as_root, 'dispatch', '--database-url=host=/nonexistent');
	is($rc, 2, 'as root: dispatch refuses (exit 2)');
	like($out, qr/refusing to run as root/, '... saying why');

	($rc, $out) = run_cmd({}, @as_root, 'pool', 'fill', "--broker=$broker", '--dry-run',
		'--database-url=host=/nonexistent');
	is($rc, 2, 'as root: pool fill refuses (exit 2)');
	like($out, qr/refusing to run as root/, '... saying why');

	($rc, $out) = run_cmd({}, @as_root, '--version');
	is($rc, 0, 'as root: --version still works');
	($rc, $out) = run_cmd({}, @as_root, '--help');
	is($rc, 0, 'as root: --help still works');
	like($out, qr/--allow-root\n\s+env VAPI_POOL_ALLOW_ROOT=1/, '--help documents --allow-root and VAPI_POOL_ALLOW_ROOT');

	# allowed: the root check passes, the next check (no webhook secret) speaks
	($rc, $out) = run_cmd({ VAPI_POOL_ALLOW_ROOT => '1' }, @as_root, @serve);
	is($rc, 2, 'VAPI_POOL_ALLOW_ROOT=1: past the root check');
	like($out, qr/VAPI_POOL_VAPI_SECRET is not set/, '... to the next check');
	($rc, $out) = run_cmd({}, @as_root, '--allow-root', @serve);
	like($out, qr/VAPI_POOL_VAPI_SECRET is not set/, '--allow-root: past the root check');
	($rc, $out) = run_cmd({}, @as_root, 'pool', 'fill', "--broker=$broker", '--allow-root', '--dry-run',
		'--database-url=host=/nonexistent');
	is($rc, 1, 'pool fill --allow-root (between tool flags): past the root check, to the database (exit 1)');
	like($out, qr/could not connect to the database/, '... which is not there');

	($rc, $out) = run_cmd({ VAPI_POOL_ALLOW_ROOT => '0', VAPI_POOL_VAPI_SECRET => 's' }, @as_root, @serve);
	like($out, qr/refusing to run as root/, 'VAPI_POOL_ALLOW_ROOT=0: refused');
	($rc, $out) = run_cmd({ VAPI_POOL_ALLOW_ROOT => 'perhaps', VAPI_POOL_VAPI_SECRET => 's' }, @as_root, @serve);
	is($rc, 2, 'VAPI_POOL_ALLOW_ROOT=perhaps: a usage error');
	like($out, qr/VAPI_POOL_ALLOW_ROOT must be 1 \(run even as root\) or 0, got "perhaps"/, '... naming the value');

	# allowed and running: it says so in its log
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	my $log = '';
	my $h;
	{
		local $ENV{VAPI_POOL_ALLOW_ROOT} = 'yes';
		local $ENV{VAPI_POOL_VAPI_SECRET} = 's';
		$h = IPC::Run::start([ @as_root, '--database-url=host=/nonexistent', "--listen=127.0.0.1:$port" ],
			'<', \undef, '>&', \$log, IPC::Run::timeout(60));
	}
	for (1 .. 100)
	{
		$h->pump_nb;
		last if $log =~ /listening on/;
		usleep(50_000);
	}
	like($log, qr/WARNING: running as root \(VAPI_POOL_ALLOW_ROOT \/ --allow-root\)/,
		'allowed as root: the server warns that it runs as root');
	$h->signal('TERM');
	ok(eval { $h->finish; 1 }, '... and stops on SIGTERM') or $h->kill_kill;
}

# The output of a command (stdout and stderr), '' when it fails to run.
sub run_cmd_out
{
	my @cmd = @_;
	my $out = '';
	eval { IPC::Run::run(\@cmd, '<', \undef, '>&', \$out, IPC::Run::timeout(30)) };
	return $out;
}

# ---------------------------------------------------------------- make run (scripts/run.sh)

my $common = source_dir() . '/scripts/common.sh';

# shim_user_prefix UID USER with extra environment, as one line.
sub prefix
{
	my ($env, @args) = @_;
	my ($rc, $out) = run_cmd($env, 'bash', '-c', 'source "$1"; shift; shim_user_prefix "$@"', 'bash', $common, @args);
	$out =~ s/\n/ /g;
	$out =~ s/ $//;
	return $out;
}

is(prefix({}, 0, 'postgres'), 'setpriv --reuid=postgres --regid=postgres --init-groups --no-new-privs --',
	'run.sh as root: vapi-shim runs as postgres (setpriv, no new privileges)');
is(prefix({}, 1001, 'postgres'), '', 'run.sh as another user: vapi-shim runs as that user');
is(prefix({ VAPI_POOL_ALLOW_ROOT => '1' }, 0, 'postgres'), '', 'run.sh as root with VAPI_POOL_ALLOW_ROOT=1: root');
is(prefix({ VAPI_POOL_ALLOW_ROOT => 'Yes' }, 0, 'postgres'), '', '... or Yes');
like(prefix({ VAPI_POOL_ALLOW_ROOT => '0' }, 0, 'postgres'), qr/^setpriv /, 'VAPI_POOL_ALLOW_ROOT=0: not root');

my $run_sh = slurp_file(source_dir() . '/scripts/run.sh');
like($run_sh, qr/^mapfile -t shim_as < <\(shim_user_prefix "\$\(id -u\)" postgres\)$/m,
	'run.sh asks shim_user_prefix for the cluster\'s user');
is(scalar(() = $run_sh =~ /"\$\{shim_as\[\@\]\}" "\$top\/shim\/vapi-shim"/g), 2,
	'run.sh starts both the server and the dispatcher through it');
is(scalar(() = $run_sh =~ /"\$top\/shim\/vapi-shim"/g), 2, '... and vapi-shim no other way');
($rc) = run_cmd({}, 'bash', '-n', source_dir() . '/scripts/run.sh');
is($rc, 0, 'run.sh parses');

done_testing();
