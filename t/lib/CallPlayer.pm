# CallPlayer.pm
#   The journey tests' player (issue 19): one whole deployment in a temporary
#   directory -- a PostgreSQL node with pg_cron preloaded and vapi_pool
#   created, the Vapi/Cal.com stand-in (t/standin/vendor_standin.py), the
#   shim answering webhooks and `vapi-shim dispatch` delivering the outbox --
#   and a player of Vapi's side of a call:
#
#     my $p = CallPlayer->start('journey_booking', fixtures => $sql);
#     my $call = $p->inbound_call(to => '+13105550199', from => '+14155550123');
#     my $answer = $call->assistant_request;        # what Vapi gets
#     my $said = $call->tool('supabase_query', {query_type => 'get_lead_details', identifier => $id});
#     $call->status('in-progress');
#     $call->end(endedReason => 'customer-ended-call', transcript => "AI: ...\nUser: ...");
#     $p->run_cron_job('vapi_pool.release_expired'); # the job's command, now
#
#   Outbound calls are the ones the dispatcher placed: $p->placed_call(...)
#   finds the stand-in's call and returns a player for it.  The assistant's
#   side is the test's: it reads the tool answers ($call->tool returns the
#   text the model would read) and decides from that text only; the helpers
#   here never choose anything from the database.
#
#   Every wait is bounded (a dead dispatcher fails the test, it does not hang
#   it); no wait decides what a test covers.
package CallPlayer;

use strict;
use warnings;
use Carp qw(croak);
use HTTP::Tiny;
use JSON::PP ();
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Time::HiRes qw(usleep time);
use VapiPoolTest qw(new_vapi_node shim_binary source_dir wait_shim_healthy wait_for);
use VendorStandin;

my $JSON = JSON::PP->new->canonical->allow_nonref;

# The secrets and keys of a player's deployment (fixed: the tests read the
# shim's output for them).
our %SECRET = (
	vapi => 'vapi-journey-secret-J4x8',
	instantly => 'instantly-journey-secret-M2p6',
	cal_webhook => 'cal-journey-secret-T7v3',
	vapi_key => 'vapi_journey_key_R5n1',
	cal_key => 'cal_journey_key_W9k2',);

# The assistant ids the shim is started with.
our %ASSISTANT = (
	intake => 'asst-intake-barbara',
	connector => 'asst-call-connector',);

# Start a deployment named $name: pg_cron created and the jobs of `make run`
# scheduled (schedule_maintenance, schedule_inbox_purge).  Options: fixtures (SQL run as the
# superuser after CREATE EXTENSION), settings (hash of vapi_pool.* GUCs set
# with ALTER DATABASE before the shim connects), conf (postgresql.conf lines),
# shim_args / dispatch_args (extra flags), standin (options of
# VendorStandin->start).
sub start
{
	my ($class, $name, %o) = @_;
	my $self = bless { name => $name, dir => PostgreSQL::Test::Utils::tempdir(), seq => 0,
		http => HTTP::Tiny->new(timeout => 30), calls => 0 }, $class;
	my $bin = shim_binary();
	croak "vapi-shim is not built at $bin (run make first)" unless -x $bin;
	delete $ENV{$_} for grep { /^VAPI_POOL_/ } keys %ENV;

	$self->{standin} = VendorStandin->start(vapi_key => $SECRET{vapi_key}, cal_key => $SECRET{cal_key},
		%{ $o{standin} // {} });
	$self->{node} = new_vapi_node($name, conf => $o{conf});
	my %settings = (
		# retries of a failed delivery back off from 200 ms, not 5 s
		'vapi_pool.outbox_backoff_base_ms' => 200,
		%{ $o{settings} // {} });
	$self->{node}->safe_psql('postgres',
		join('', map { "ALTER DATABASE postgres SET $_ = '$settings{$_}';\n" } sort keys %settings));
	# pg_cron and the jobs, as `make run` schedules them
	$self->{node}->safe_psql('postgres', 'CREATE EXTENSION IF NOT EXISTS pg_cron;
		SELECT count(*) FROM vapi_pool.schedule_maintenance();
		SELECT count(*) FROM vapi_pool.schedule_inbox_purge();');
	$self->{node}->safe_psql('postgres', $o{fixtures}) if defined $o{fixtures};
	$self->start_shim(@{ $o{shim_args} // [] });
	$self->start_dispatcher(@{ $o{dispatch_args} // [] });
	return $self;
}

# The node, the stand-in.
sub node { return $_[0]{node} }
sub standin { return $_[0]{standin} }

# Run SQL as the superuser; returns psql's output.
sub sql
{
	my ($self, $sql) = @_;
	return $self->{node}->safe_psql('postgres', $sql);
}

# ---------------------------------------------------------------- processes

# The environment every vapi-shim process of the player gets.
sub _shim_env
{
	return (
		VAPI_POOL_VAPI_SECRET => $SECRET{vapi},
		VAPI_POOL_INSTANTLY_SECRET => $SECRET{instantly},
		VAPI_POOL_CAL_WEBHOOK_SECRET => $SECRET{cal_webhook},
		VAPI_POOL_VAPI_API_KEY => $SECRET{vapi_key},
		VAPI_POOL_CAL_API_KEY => $SECRET{cal_key},);
}

# Processes the players of this test started (pid => 1), stopped at exit
# even when the test dies.
my %CHILDREN;

# Fork and exec @cmd with %env added, stdout and stderr appended to $log and
# no other descriptor inherited (a lock the test runner holds must not live
# on in a process the test left behind); returns the pid.
sub _spawn
{
	my ($log, $env, @cmd) = @_;
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $log);
		open(STDERR, '>>', $log);
		POSIX::close($_) for 3 .. 1023;
		@ENV{ keys %$env } = values %$env;
		no warnings 'exec';
		exec { $cmd[0] } @cmd;
		POSIX::_exit(127);
	}
	$CHILDREN{$pid} = 1;
	return $pid;
}

# SIGTERM a process and reap it.
sub _stop_pid
{
	my ($pid) = @_;
	return unless $pid && delete $CHILDREN{$pid};
	kill 'TERM', $pid;
	waitpid($pid, 0);
}

END
{
	local $?;
	_stop_pid($_) for keys %CHILDREN;
}

# Start the webhook shim (2 database workers) with extra flags; waits for /healthz.
sub start_shim
{
	my ($self, @flags) = @_;
	$self->{port} = PostgreSQL::Test::Cluster::get_free_port();
	$self->{shim_log} = "$self->{dir}/shim.log";
	my %env = _shim_env();
	$self->{shim} = _spawn($self->{shim_log}, \%env, shim_binary(),
		'--database-url=' . $self->{node}->connstr('postgres'), "--listen=127.0.0.1:$self->{port}",
		"--intake-assistant-id=$ASSISTANT{intake}", "--connector-assistant-id=$ASSISTANT{connector}",
		'--cal-base-url=' . $self->{standin}->cal_url, '--vapi-base-url=' . $self->{standin}->vapi_url,
		'--db-pool-size=2', @flags);
	my $out = '';
	eval { wait_shim_healthy($self->{port}, \$out); 1 }
	  or die "vapi-shim did not become healthy:\n" . slurp_file($self->{shim_log});
}

# Stop the webhook shim (SIGTERM).
sub stop_shim
{
	my ($self) = @_;
	_stop_pid(delete $self->{shim});
}

# Start `vapi-shim dispatch` (polling every 100 ms) with extra flags; waits until it is connected.
sub start_dispatcher
{
	my ($self, @flags) = @_;
	my $log = $self->{dispatch_log} = "$self->{dir}/dispatch.log";
	my %env = _shim_env();
	$self->{dispatcher} = _spawn($log, \%env, shim_binary(), 'dispatch',
		'--database-url=' . $self->{node}->connstr('postgres'),
		'--vapi-base-url=' . $self->{standin}->vapi_url, '--cal-base-url=' . $self->{standin}->cal_url,
		"--intake-assistant-id=$ASSISTANT{intake}", "--dispatcher-name=$self->{name}",
		'--dispatch-poll-ms=100', @flags);
	wait_for(15, sub { -f $log && slurp_file($log) =~ /database \(claims\): connected/ })
	  or die "the dispatcher did not connect:\n" . slurp_file($log);
}

# Stop the dispatcher (SIGTERM, then wait).
sub stop_dispatcher
{
	my ($self) = @_;
	_stop_pid(delete $self->{dispatcher});
}

# What the shim and the dispatcher have written so far.
sub shim_log
{
	my ($self) = @_;
	return join('', map { -f ($_ // '') ? slurp_file($_) : '' } $self->{shim_log}, $self->{dispatch_log});
}

# Stop everything (also done at the end of the test).
sub stop
{
	my ($self) = @_;
	$self->stop_dispatcher;
	$self->stop_shim;
	$self->{node}->stop if $self->{node} && !$self->{stopped}++;
	$self->{standin}->stop if $self->{standin};
}

sub DESTROY
{
	my ($self) = @_;
	local $?;
	$self->stop_dispatcher;
	$self->stop_shim;
}

# ---------------------------------------------------------------- webhooks

# POST a body (a Perl structure, or a JSON string) to the shim's $path with
# the right secret; returns (HTTP status, decoded answer or undef, raw body).
sub post
{
	my ($self, $path, $body, %headers) = @_;
	my %auth = $path =~ m{/vapi} ? ('x-vapi-secret' => $SECRET{vapi})
	  : $path =~ m{/instantly} ? ('x-webhook-secret' => $SECRET{instantly}) : ();
	my $content = ref $body ? $JSON->encode($body) : $body;
	if ($path =~ m{/cal})
	{
		require Digest::SHA;
		$auth{'x-cal-signature-256'} = Digest::SHA::hmac_sha256_hex($content, $SECRET{cal_webhook});
	}
	my $r = $self->{http}->post("http://127.0.0.1:$self->{port}$path",
		{ content => $content, headers => { 'content-type' => 'application/json', %auth, %headers } });
	return ($r->{status}, eval { $JSON->decode($r->{content}) }, $r->{content});
}

# An example payload of ../shared/reference (copied to t/fixtures/reference), decoded.
sub example
{
	my ($name) = @_;
	return $JSON->decode(slurp_file(source_dir() . "/t/fixtures/reference/$name"));
}

# An Instantly reply_received event (instantly-reply.json's shape) with
# these fields replaced; POSTed to /webhook/instantly-reply.  Returns
# (status, answer).
sub instantly_reply
{
	my ($self, %fields) = @_;
	my $e = example('instantly-reply.json');
	@$e{ keys %fields } = values %fields;
	my ($st, $ans) = $self->post('/webhook/instantly-reply', $e);
	return ($st, $ans);
}

# ---------------------------------------------------------------- calls

# A player for an inbound call to pool number $o{to} (its Vapi phone number
# id $o{phone_number_id}) from $o{from}.
sub inbound_call
{
	my ($self, %o) = @_;
	return CallPlayer::Call->new($self, type => 'inboundPhoneCall', id => $o{id} // $self->_call_id,
		to => $o{to}, from => $o{from}, phone_number_id => $o{phone_number_id});
}

# A player for the outbound call the dispatcher placed to $number (waits for
# it up to $o{wait} seconds, default 15; dies when there is none).  The
# call's id is the stand-in's, as Vapi's would be.
sub placed_call
{
	my ($self, $number, %o) = @_;
	my $seen = $o{after} // 0;
	my $call = wait_for($o{wait} // 15, sub {
		my @c = grep { ($_->{customer}{number} // '') eq $number } @{ $self->{standin}->state->{calls} };
		return @c > $seen ? $c[$seen] : undef;
	}) or croak "no call was placed to $number";
	my $from = $self->sql("SELECT number FROM vapi_pool.vapi_number_pool WHERE vapi_phone_number_id = '$call->{phoneNumberId}'");
	return CallPlayer::Call->new($self, type => 'outboundPhoneCall', id => $call->{id}, to => $number,
		from => $from, phone_number_id => $call->{phoneNumberId}, vapi => $call);
}

# A fresh call id.
sub _call_id
{
	my ($self) = @_;
	return sprintf('%s-call-%04d-%s', $self->{name}, ++$self->{calls}, substr(Digest::MD5::md5_hex(time . $$), 0, 8))
	  if eval { require Digest::MD5; 1 };
	return sprintf('%s-call-%04d', $self->{name}, ++$self->{calls});
}

# ---------------------------------------------------------------- the outbox and cron

# Wait (up to $seconds, default 15) until no outbox job is due or in flight
# (the dispatcher delivered what it could); returns true when it got there.
sub outbox_settled
{
	my ($self, $seconds) = @_;
	return $self->{node}->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM vapi_pool.outbox WHERE state IN ('pending', 'in_flight') AND run_at <= now()",
		't') if !defined $seconds;
	return wait_for($seconds, sub {
		$self->sql("SELECT count(*) FROM vapi_pool.outbox WHERE state IN ('pending', 'in_flight') AND run_at <= now()") eq '0' });
}

# Rows "kind|state|attempts" of the outbox jobs whose kind matches a LIKE pattern, oldest first.
sub jobs
{
	my ($self, $kind) = @_;
	return [ split /\n/, $self->sql(
		"SELECT kind || '|' || state || '|' || attempts FROM vapi_pool.outbox WHERE kind LIKE '$kind' ORDER BY id") ];
}

# Run the command of the pg_cron job named $name now, as pg_cron would (its
# database, the superuser); returns its output.  Dies when there is no such job.
sub run_cron_job
{
	my ($self, $name) = @_;
	my $command = $self->sql("SELECT command FROM cron.job WHERE jobname = '$name'");
	croak "no pg_cron job $name" if $command eq '';
	return $self->sql($command);
}

# The stand-in's requests (service vapi or cal, method, path prefix) since the last mark($name).
sub requests
{
	my ($self, %o) = @_;
	my $since = defined $o{since} ? $self->{marks}{ delete $o{since} } // 0 : 0;
	return $self->{standin}->requests(%o, since_seq => $since);
}

# Remember the stand-in's sequence number under $name (requests after it are new).
sub mark
{
	my ($self, $name) = @_;
	$self->{marks}{$name} = $self->{standin}->state->{seq} // 0;
}

# ---------------------------------------------------------------- time

# A real time zone in which it is now between 10:00 and 16:00, so that a
# calling window (08:00-20:00 by default) in that zone is open whenever the
# test runs: what a journey covers never depends on the hour it runs at.
sub working_hours_zone
{
	my $found;
	for my $zone (qw(America/Los_Angeles America/New_York America/Sao_Paulo Europe/London Europe/Berlin
		Asia/Dubai Asia/Kolkata Asia/Bangkok Asia/Tokyo Australia/Sydney Pacific/Auckland Pacific/Honolulu))
	{
		local $ENV{TZ} = $zone;
		POSIX::tzset();
		my $hour = (localtime)[2];
		if ($hour >= 10 && $hour < 16)
		{
			$found = $zone;
			last;
		}
	}
	POSIX::tzset();
	die 'no zone is in working hours' unless $found;
	return $found;
}

# ---------------------------------------------------------------- the assistant's side

# The times a tool answer offers, in the order it says them: the answer
# "Free times (Zone): A; B; C." (or any "...: A; B; C.") split on "; ".
sub offered_times
{
	my ($text) = @_;
	my ($list) = ($text // '') =~ /:\s*(.+?)\.?\s*$/s or return ();
	$list =~ s/\.\s.*\z//s;		# a sentence after the list is not a time
	return split /;\s*/, $list;
}

package CallPlayer::Call;

use strict;
use warnings;
use Carp qw(croak);

# A call: the player, its type, Vapi call id, pool number (to), caller (from).
sub new
{
	my ($class, $player, %o) = @_;
	my $self = bless { p => $player, %o, tool_calls => 0, messages => [] }, $class;
	if (!defined $self->{phone_number_id})
	{
		my $pool = $self->{type} eq 'inboundPhoneCall' ? $self->{to} : $self->{from};
		$self->{phone_number_id} = $player->sql(
			"SELECT vapi_phone_number_id FROM vapi_pool.vapi_number_pool WHERE number = '$pool'");
	}
	return $self;
}

# The call's id.
sub id { return $_[0]{id} }

# The call object Vapi sends with every message of this call.
sub call_object
{
	my ($self) = @_;
	my $customer = $self->{type} eq 'inboundPhoneCall' ? $self->{from} : $self->{to};
	return { id => $self->{id}, orgId => '0b7d5c4e-1111-4a2b-9c3d-5e6f7a8b9c0d', type => $self->{type},
		phoneNumberId => $self->{phone_number_id}, phoneCallProvider => 'twilio',
		customer => { number => $customer } };
}

# The message of type $type with the call, the phone number and the
# customer (as Vapi sends them), plus %extra; unless $o{bare}, which sends
# only the call object (as Vapi's SDK allows).
sub message
{
	my ($self, $type, %extra) = @_;
	my $bare = delete $extra{bare};
	my $pool = $self->{type} eq 'inboundPhoneCall' ? $self->{to} : $self->{from};
	my $customer = $self->{type} eq 'inboundPhoneCall' ? $self->{from} : $self->{to};
	my $m = { type => $type, timestamp => int(Time::HiRes::time() * 1000) + scalar @{ $self->{messages} },
		call => $self->call_object };
	$m->{phoneNumber} = { id => $self->{phone_number_id}, number => $pool } unless $bare;
	$m->{customer} = { number => $customer } unless $bare;
	@$m{ keys %extra } = values %extra;
	push @{ $self->{messages} }, $type;
	return { message => $m };
}

# POST a message of this call; returns (status, answer).
sub send
{
	my ($self, $type, %extra) = @_;
	my ($st, $ans) = $self->{p}->post('/webhook/vapi', $self->message($type, %extra));
	$self->{last_status} = $st;
	return ($st, $ans);
}

# assistant-request: returns the answer (the assistant, a destination or an error).
sub assistant_request
{
	my ($self) = @_;
	my ($st, $ans) = $self->send('assistant-request');
	croak "assistant-request answered $st" unless $st == 200;
	return $ans;
}

# A status-update with $status.
sub status
{
	my ($self, $status, %extra) = @_;
	my ($st, $ans) = $self->send('status-update', status => $status, %extra);
	return $ans;
}

# transfer-destination-request (bare => 1: without top-level phoneNumber and
# customer); returns the answer.
sub transfer
{
	my ($self, %o) = @_;
	my ($st, $ans) = $self->send('transfer-destination-request', %o);
	return $ans;
}

# One tool call of $name with $args (a hash), as tool-calls.json sends it;
# returns the text the model reads: the result, or "ERROR: " and the error.
# In list context also the whole item.
sub tool
{
	my ($self, $name, $args) = @_;
	my $id = sprintf('call_%s_%02d', substr($self->{id}, -8), ++$self->{tool_calls});
	my $call = { id => $id, type => 'function',
		function => { name => $name, arguments => $JSON->encode($args // {}) } };
	my ($st, $ans) = $self->send('tool-calls', toolCallList => [$call],
		toolWithToolCallList => [ { type => 'function', function => { name => $name }, toolCall => $call } ]);
	croak "tool-calls answered $st" unless $st == 200;
	my ($item) = grep { ($_->{toolCallId} // '') eq $id } @{ $ans->{results} // [] };
	croak "no result for tool call $id" unless $item;
	my $text = defined $item->{result} ? $item->{result} : 'ERROR: ' . ($item->{error} // '');
	return wantarray ? ($text, $item) : $text;
}

# end-of-call-report: endedReason (default customer-ended-call), transcript,
# summary, durationSeconds (default 60), plus any extra fields; returns
# (status, answer).
sub end
{
	my ($self, %o) = @_;
	my $duration = delete $o{durationSeconds} // 60;
	my $ended = Time::HiRes::time();
	my %artifact = (recordingUrl => "https://storage.example.com/rec/$self->{id}.wav",
		transcript => delete $o{transcript} // '');
	my $summary = delete $o{summary} // '';
	return $self->send('end-of-call-report',
		endedReason => delete $o{endedReason} // 'customer-ended-call',
		startedAt => _iso($ended - $duration), endedAt => _iso($ended), durationSeconds => $duration,
		cost => 0.11, artifact => \%artifact, analysis => { summary => $summary }, %o);
}

# An ISO 8601 UTC time with milliseconds, as Vapi writes them.
sub _iso
{
	my ($t) = @_;
	return POSIX::strftime('%Y-%m-%dT%H:%M:%S', gmtime($t)) . sprintf('.%03dZ', ($t - int($t)) * 1000);
}

# ---------------------------------------------------------------- issue 20: provisioning (t/106_journey_opt_out.pl)

package CallPlayer;

# Run `vapi-shim assistants push` against the stand-in: the repository's
# definitions (or $o{dir}'s), server URLs built from $o{public_url} (default
# https://journey.invalid); returns (exit status, stdout, stderr).
sub push_assistants
{
	my ($self, %o) = @_;
	require IPC::Run;
	my ($out, $err) = ('', '');
	my @cmd = (shim_binary(), 'assistants', 'push', '--assistants-dir=' . ($o{dir} // source_dir() . '/assistants'),
		'--public-url=' . ($o{public_url} // 'https://journey.invalid'),
		'--database-url=' . $self->{node}->connstr('postgres'), '--vapi-base-url=' . $self->{standin}->vapi_url);
	my %env = _shim_env();
	local @ENV{ keys %env } = values %env;
	IPC::Run::run(\@cmd, '<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout(60));
	return ($? >> 8, $out, $err);
}

1;
