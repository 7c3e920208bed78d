# VapiPoolTest.pm
#   Shared set-up for vapi_pool's TAP tests: a temporary PostgreSQL node with
#   pg_cron preloaded and the extension created, plus paths to built binaries.
package VapiPoolTest;

use strict;
use warnings;
use Exporter 'import';
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use HTTP::Tiny;
use Time::HiRes qw(usleep);

our @EXPORT_OK = qw(new_vapi_node source_dir shim_binary tsv_lines wait_shim_healthy wait_for);

# PostgreSQL::Test::Cluster runs $PG_REGRESS --config-auth when it creates a
# node; `make installcheck` sets it, a bare `prove` does not.
if (!$ENV{PG_REGRESS})
{
	my $pgxs = `pg_config --pgxs`;
	chomp $pgxs;
	(my $pg_regress = $pgxs) =~ s{/src/makefiles/pgxs\.mk$}{/src/test/regress/pg_regress};
	$ENV{PG_REGRESS} = $pg_regress if $pgxs ne '' && -x $pg_regress;
}

# Top of the source tree (t/lib/.. /..).
sub source_dir
{
	return abs_path(dirname(__FILE__) . '/../..');
}

# The vapi-shim binary built by `make`.
sub shim_binary
{
	return $ENV{VAPI_SHIM} // source_dir() . '/shim/vapi-shim';
}

# Poll $check every 50 ms until it returns true or $seconds pass; returns its
# value (undef when the time ran out).
sub wait_for
{
	my ($seconds, $check) = @_;
	my $end = Time::HiRes::time() + $seconds;
	while (Time::HiRes::time() < $end)
	{
		my $r = $check->();
		return $r if $r;
		usleep(50_000);
	}
	return undef;
}

# Wait (up to 10 s) until the shim on $port answers GET /healthz with 200;
# die with its output so far ($$out_ref) otherwise.
sub wait_shim_healthy
{
	my ($port, $out_ref) = @_;
	my $http = HTTP::Tiny->new(timeout => 5);

	for (1 .. 100)
	{
		return if $http->get("http://127.0.0.1:$port/healthz")->{status} == 200;
		usleep(100_000);
	}
	die "vapi-shim did not become healthy:\n" . ($$out_ref // '');
}

# Start a node named $name with pg_cron preloaded and CREATE EXTENSION
# vapi_pool CASCADE run in database postgres (unless create => 0).
sub new_vapi_node
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(allows_streaming => 0);
	$node->append_conf('postgresql.conf', <<'CONF');
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 20
log_min_messages = warning
# Calls and texts go out at any hour unless a test sets calling hours: no
# outcome of the suite may depend on the hour it runs at.
vapi_pool.calling_window = '00:00-24:00'
CONF
	$node->append_conf('postgresql.conf', $opts{conf}) if $opts{conf};
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION vapi_pool CASCADE')
	  unless defined $opts{create} && !$opts{create};
	return $node;
}

# The data lines of a tab-separated corpus file, read as raw bytes: a list of
# [line number, fields...], skipping comments (#) and blank lines.
sub tsv_lines
{
	my ($path) = @_;
	my @lines;
	open my $fh, '<:raw', $path or die "open $path: $!";
	my $lineno = 0;
	while (my $line = <$fh>)
	{
		$lineno++;
		$line =~ s/\r?\n\z//;
		next if $line =~ /^#/ || $line =~ /^\s*$/;
		push @lines, [ $lineno, split(/\t/, $line, -1) ];
	}
	close $fh;
	return @lines;
}

1;
