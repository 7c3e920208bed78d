# 021_shim_request_framing.pl
#   vapi-shim refuses requests whose body framing is ambiguous (request
#   smuggling): two Content-Length headers, Content-Length with
#   Transfer-Encoding, two Transfer-Encoding headers.  Each gets a JSON 400
#   and its connection is closed, so a second request hidden in its body is
#   never answered.  Raw sockets: HTTP::Tiny would not send such requests.
#   A well-formed request on the same kind of connection, and two pipelined
#   ones, still get their answers (so the counting below can see a second
#   answer).  No database is needed: the framing is checked before routing.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IO::Select;
use IO::Socket::INET;
use IPC::Run ();
use JSON::PP ();
use Time::HiRes qw(time usleep);
use VapiPoolTest qw(shim_binary);

my $shim_bin = shim_binary();
BAIL_OUT("vapi-shim is not built at $shim_bin (run make first)") unless -x $shim_bin;
delete $ENV{$_} for grep { /^VAPI_POOL_/ } keys %ENV;

my $dir = PostgreSQL::Test::Utils::tempdir();
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $secret = 'vapi-secret-021';
my $errfile = "$dir/shim.stderr";

# no database: the workers keep retrying a socket that is not there
$ENV{VAPI_POOL_VAPI_SECRET} = $secret;
my $shim = IPC::Run::start(
	[
		$shim_bin, "--listen=127.0.0.1:$port",
		"--database-url=host=$dir/no-such-dir dbname=postgres",
		'--db-pool-size=1'
	],
	'<', \undef, '>', "$dir/shim.stdout", '2>', $errfile,
	IPC::Run::timeout(120));

sub shim_log { return -f $errfile ? slurp_file($errfile) : '' }

# Wait until the listener accepts connections.
my $up = 0;
for (1 .. 100)
{
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp');
	if ($s) { close $s; $up = 1; last }
	usleep(100_000);
}
ok($up, 'the shim listens') or BAIL_OUT("vapi-shim did not start:\n" . shim_log());

# Send raw bytes on a new connection and read until the server closes it
# (or 10 s pass); returns (everything read, 1 if the server closed it).
sub exchange
{
	my ($bytes) = @_;
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
	  or die "connect: $!";
	my $sel = IO::Select->new($sock);
	my ($got, $closed) = ('', 0);
	my $end = time + 10;

	syswrite($sock, $bytes) == length($bytes) or die "write: $!";
	while ((my $left = $end - time) > 0)
	{
		last unless $sel->can_read($left);
		my $n = sysread($sock, my $buf, 65536);
		if (!$n)
		{
			# 0: end of stream; undef: reset, which closes it too
			$closed = 1;
			last;
		}
		$got .= $buf;
	}
	close $sock;
	return ($got, $closed);
}

# The answers in a byte stream: a list of { status, headers, body }.
sub answers
{
	my ($stream) = @_;
	my @answers;
	while ($stream =~ s/\AHTTP\/1\.1 (\d{3}) [^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n//)
	{
		my ($status, $head) = ($1, $2);
		my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1 => $2) : () } split /\r\n/, $head;
		my $len = $h{'content-length'} // 0;
		push @answers, { status => $status, headers => \%h, body => substr($stream, 0, $len, '') };
	}
	return @answers;
}

# A request head: the request line, then header lines, then the blank line.
sub head
{
	my ($line, @headers) = @_;
	return join('', map { "$_\r\n" } $line, 'Host: 127.0.0.1', @headers) . "\r\n";
}

my $smuggled = head('GET /smuggled-021 HTTP/1.1');
my $webhook = '{"message":{"type":"status-update","status":"ringing"}}';
my @vapi = ('Content-Type: application/json', "x-vapi-secret: $secret");

# Controls: well-formed requests get their answers, pipelined ones both ----------

my ($got, $closed) = exchange(head('GET /control-one HTTP/1.1', 'Connection: close'));
my @a = answers($got);
is(scalar(@a), 1, 'control: a plain request gets one answer');
is($a[0]{status}, 404, 'control: ... a 404 (no such path)');

($got, $closed) = exchange(
	head('POST /control-two HTTP/1.1', 'Content-Length: 2', 'Content-Type: application/json') . '{}'
	  . head('GET /control-three HTTP/1.1', 'Connection: close'));
@a = answers($got);
is(scalar(@a), 2, 'control: two pipelined requests get two answers');
is($a[1]{status}, 404, 'control: ... the second one answered too');

($got, $closed) = exchange(
	head('POST /control-four HTTP/1.1', 'Transfer-Encoding: chunked') . "2\r\n{}\r\n0\r\n\r\n"
	  . head('GET /control-five HTTP/1.1', 'Connection: close'));
@a = answers($got);
is(scalar(@a), 2, 'control: a chunked body alone is fine, the next request is answered');

# some clients send an empty line after a body: h2o skips it, so does the check
($got, $closed) = exchange(
	head('POST /control-six HTTP/1.1', 'Content-Length: 2', 'Content-Type: application/json') . "{}\r\n"
	  . head('GET /control-seven HTTP/1.1', 'Connection: close'));
@a = answers($got);
is(scalar(@a), 2, 'control: an empty line before the next request is skipped');
is($a[1]{status}, 404, 'control: ... and that request answered (404)');

# Ambiguous framing: 400, JSON, closed, the hidden request never answered --------

my @cases = (
	[
		'two Content-Length (0 and the smuggled length)',
		head('POST /webhook/vapi HTTP/1.1', @vapi, 'Content-Length: 0',
			'Content-Length: ' . length($smuggled))
		  . $smuggled,
		qr/more than one Content-Length/
	],
	[
		'two equal Content-Length',
		head('POST /webhook/vapi HTTP/1.1', @vapi, 'Content-Length: ' . length($webhook),
			'content-length: ' . length($webhook))
		  . $webhook . $smuggled,
		qr/more than one Content-Length/
	],
	[
		'Content-Length with Transfer-Encoding: chunked',
		head('POST /webhook/vapi HTTP/1.1', @vapi,
			'Content-Length: ' . (length($webhook) + 10), 'Transfer-Encoding: chunked')
		  . sprintf("%x\r\n%s\r\n0\r\n\r\n", length($webhook), $webhook) . $smuggled,
		qr/both Content-Length and Transfer-Encoding/
	],
	[
		'Transfer-Encoding: chunked before Content-Length',
		head('POST /webhook/vapi HTTP/1.1', @vapi, 'Transfer-Encoding: chunked', 'Content-Length: 5')
		  . "0\r\n\r\n" . $smuggled,
		qr/both Content-Length and Transfer-Encoding/
	],
	[
		'two Transfer-Encoding',
		head('POST /webhook/vapi HTTP/1.1', @vapi, 'Transfer-Encoding: chunked',
			'Transfer-Encoding: chunked')
		  . "0\r\n\r\n" . $smuggled,
		qr/more than one Transfer-Encoding/
	],
	[
		'two Content-Length on an unknown path',
		head('POST /no-such-path HTTP/1.1', 'Content-Length: 0', 'Content-Length: ' . length($smuggled))
		  . $smuggled,
		qr/more than one Content-Length/
	],);

for my $case (@cases)
{
	my ($name, $bytes, $why) = @$case;
	($got, $closed) = exchange($bytes);
	@a = answers($got);
	is(scalar(@a), 1, "$name: one answer, the hidden request is not answered");
	is($a[0]{status}, 400, "$name: 400");
	is($a[0]{headers}{'content-type'}, 'application/json', "$name: JSON");
	my $body = eval { JSON::PP::decode_json($a[0]{body}) } // {};
	like($body->{error} // '', $why, "$name: the body says why");
	is(lc($a[0]{headers}{connection} // ''), 'close', "$name: Connection: close");
	ok($closed, "$name: the server closed the connection");
}

# The shim's own record: refusals logged, the hidden requests never seen ----------

my $log = shim_log();
is(scalar(() = $log =~ /refused a request and closed its connection: ambiguous request framing/g),
	scalar(@cases), 'each refusal is logged');
unlike($log, qr/smuggled-021/, 'no hidden request reached the access log');
like($log, qr/access: GET \/control-five 404/, 'the control requests did');

$shim->signal('TERM');
ok(eval { $shim->finish; 1 }, 'the shim exits after SIGTERM') or $shim->kill_kill;
done_testing();
