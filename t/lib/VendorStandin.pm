# VendorStandin.pm
#   Start and drive t/standin/vendor_standin.py, the local stand-in for the
#   Vapi REST API and Cal.com API v2, from a TAP test:
#
#     use VendorStandin;
#     my $s = VendorStandin->start(concurrency_limit => 2, cal_key => 'k');
#     # point the product at $s->vapi_url and $s->cal_url, then:
#     $s->misbehave(method => 'POST', path => '/call', mode => 'status',
#         status => 429, retry_after => '2', count => 1);
#     my $calls = $s->requests(service => 'vapi', path => '/call');
#     is($calls->[0]{headers}{authorization}, 'Bearer ...');
#     $s->stop;    # also done when $s goes out of scope
#
#   Every control call dies (croak) when the stand-in does not answer 2xx.
package VendorStandin;

use strict;
use warnings;
use Carp qw(croak);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp ();
use HTTP::Tiny;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(usleep time);

# The stand-in script, found next to this module (t/lib/../standin/).
my $SCRIPT = abs_path(dirname(abs_path(__FILE__)) . '/../standin/vendor_standin.py');

my $JSON = JSON::PP->new->canonical->allow_nonref;

# Command-line flag of each start() option that takes a value.
my %FLAG = (
	vapi_port => '--vapi-port',
	cal_port => '--cal-port',
	host => '--host',
	vapi_key => '--vapi-key',
	cal_key => '--cal-key',
	concurrency_limit => '--concurrency-limit',
	log => '--log',
	vapi_rate_limit => '--vapi-rate-limit',
	cal_rate_limit => '--cal-rate-limit',
	rate_window => '--rate-window',
	max_records => '--max-records',);

# Spawn the stand-in and wait (up to startup_timeout seconds, default 10) for
# its port file.  Options: the keys of %FLAG, python (interpreter, default
# $VENDOR_STANDIN_PYTHON or /usr/bin/python3), args (extra flags, array ref).
# Dies with the stand-in's stderr when it does not come up.
sub start
{
	my ($class, %opts) = @_;
	my $dir = File::Temp->newdir('vendor-standin-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my $port_file = "$dir/ports.json";
	my $python = $opts{python} // $ENV{VENDOR_STANDIN_PYTHON}
	  // (-x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3');
	my @cmd = ($python, $SCRIPT, '--port-file', $port_file, '--watch-pid', $$);
	for my $opt (sort keys %FLAG)
	{
		push @cmd, $FLAG{$opt}, $opts{$opt} if defined $opts{$opt};
	}
	push @cmd, @{ $opts{args} } if $opts{args};

	my $self = bless {
		dir => $dir,
		stderr_file => "$dir/stderr",
		owner => $$,
		log => $opts{log},
		http => HTTP::Tiny->new(timeout => $opts{http_timeout} // 30, keep_alive => 1),
	}, $class;

	my $pid = fork();
	croak "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		# The child only execs: never return into the test (no END blocks).
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', "$dir/stdout");
		open(STDERR, '>', "$dir/stderr");
		exec { $cmd[0] } @cmd or print STDERR "exec $cmd[0]: $!\n";
		POSIX::_exit(127);
	}
	$self->{pid} = $pid;

	my $deadline = time + ($opts{startup_timeout} // 10);
	while (1)
	{
		if (-s $port_file)
		{
			my $ports = eval { $JSON->decode(_slurp($port_file)) };
			if ($ports && $ports->{vapi} && $ports->{cal})
			{
				$self->{ports} = $ports;
				last;
			}
		}
		if (waitpid($pid, POSIX::WNOHANG()) == $pid)
		{
			my $status = $?;
			delete $self->{pid};
			croak sprintf("vendor stand-in exited (status %d) before listening: %s",
				$status >> 8, $self->stderr);
		}
		if (time > $deadline)
		{
			$self->stop;
			croak "vendor stand-in did not listen within the timeout: " . $self->stderr;
		}
		usleep(20_000);
	}
	return $self;
}

# Whole content of a file ('' when it cannot be read).
sub _slurp
{
	my ($file) = @_;
	open(my $fh, '<', $file) or return '';
	local $/;
	my $text = <$fh>;
	close $fh;
	return $text // '';
}

# Base URL of the Vapi API (no prefix): http://127.0.0.1:PORT.
sub vapi_url
{
	my ($self) = @_;
	return "http://127.0.0.1:$self->{ports}{vapi}";
}

# Base URL of the Cal.com API v2: http://127.0.0.1:PORT/v2.
sub cal_url
{
	my ($self) = @_;
	return "http://127.0.0.1:$self->{ports}{cal}/v2";
}

# The two ports: { vapi => PORT, cal => PORT, pid => PID }.
sub ports
{
	my ($self) = @_;
	return { %{ $self->{ports} } };
}

# Process id of the stand-in (undef once stopped).
sub pid
{
	my ($self) = @_;
	return $self->{pid};
}

# What the stand-in has written to stderr so far.
sub stderr
{
	my ($self) = @_;
	return _slurp($self->{stderr_file});
}

# Call the control API: METHOD /__control/NAME with an optional JSON body and
# query hash; returns the decoded answer, croaks unless it is 2xx.
sub control
{
	my ($self, $method, $name, $body, $query) = @_;
	my $url = $self->vapi_url . "/__control/$name";
	if ($query && %$query)
	{
		$url .= '?' . $self->{http}->www_form_urlencode($query);
	}
	my %req = (headers => { 'content-type' => 'application/json' });
	$req{content} = $JSON->encode($body) if defined $body;
	my $res = $self->{http}->request($method, $url, \%req);
	croak "vendor stand-in: $method /__control/$name answered $res->{status}: $res->{content}"
	  unless $res->{success};
	return $JSON->decode($res->{content});
}

# Arm one misbehaviour rule: service, method, path ("/call" or a prefix with
# "*"), mode (status|slow|reset|hang|taken|held), status, body, retry_after,
# delay, count (-1 = until cleared), headers.  Returns the armed rule.  A
# "held" request is answered when release() is called.
sub misbehave
{
	my ($self, %rule) = @_;
	for my $num (qw(status count delay))
	{
		$rule{$num} += 0 if defined $rule{$num};
	}
	$rule{retry_after} .= '' if defined $rule{retry_after};
	return $self->control('POST', 'misbehave', \%rule)->{armed}[0];
}

# Answer the requests a "held" rule is holding.
sub release
{
	my ($self) = @_;
	return $self->control('POST', 'release');
}

# Drop every misbehaviour rule still armed.
sub clear_misbehave
{
	my ($self) = @_;
	return $self->control('DELETE', 'misbehave');
}

# Recorded vendor requests (array ref of hashes: seq, t, service, method,
# path, query, headers, body, status), filtered by service, method, path
# (exact or prefix*) and since_seq.
sub requests
{
	my ($self, %filter) = @_;
	return $self->control('GET', 'requests', undef, \%filter);
}

# All vendor state: calls, activeCalls, chats, numbers, assistants,
# bookings, availability, rules, config, seq.
sub state
{
	my ($self) = @_;
	return $self->control('GET', 'state');
}

# Forget recorded requests, rules and state (start-up config restored).
sub reset
{
	my ($self) = @_;
	return $self->control('POST', 'reset', {});
}

# End call $id (or every active call when $id is undef), freeing its
# concurrency slot; optional ended reason.
sub end_call
{
	my ($self, $id, $reason) = @_;
	my $body = defined $id ? { id => $id } : { all => JSON::PP::true };
	$body->{endedReason} = $reason if defined $reason;
	return $self->control('POST', 'end-call', $body);
}

# Add phone numbers: each a hash ref {id?, number, server?, name?,
# assistantId?} or a bare E.164 string.  Returns the number objects.
sub seed_numbers
{
	my ($self, @numbers) = @_;
	return $self->control('POST', 'seed-numbers', [@numbers]);
}

# Set an event type's availability: (eventTypeId => N, starts => [UTC
# instants]) or (eventTypeId => N, timeZone, days => [1..7], from => 'HH:MM',
# to => 'HH:MM', step => minutes); optional lengthInMinutes, host.  Without
# eventTypeId it sets the default of every event type.
sub availability
{
	my ($self, %spec) = @_;
	return $self->control('POST', 'availability', \%spec);
}

# Pre-book a slot (accepted, no availability check): eventTypeId, start,
# optional lengthInMinutes, attendee, metadata.  Returns the booking.
sub book
{
	my ($self, %booking) = @_;
	return $self->control('POST', 'book', \%booking);
}

# Change the live configuration (concurrency_limit, vapi_key, cal_key,
# vapi_rate_limit, cal_rate_limit, rate_window); returns the new one.
sub config
{
	my ($self, %config) = @_;
	return %config ? $self->control('POST', 'config', \%config) : $self->control('GET', 'config');
}

# Stop the stand-in: SIGTERM (it flushes its log), SIGKILL after 5 s.
# Only the process that started it does this (never a forked child).
sub stop
{
	my ($self) = @_;
	my $pid = $self->{pid};
	return unless $pid && $self->{owner} == $$;
	local ($?, $!);
	kill 'TERM', $pid;
	my $deadline = time + 5;
	while (waitpid($pid, POSIX::WNOHANG()) == 0)
	{
		if (time > $deadline)
		{
			kill 'KILL', $pid;
			waitpid($pid, 0);
			last;
		}
		usleep(20_000);
	}
	delete $self->{pid};
	return;
}

# Stop the stand-in when the object goes away.
sub DESTROY
{
	my ($self) = @_;
	$self->stop;
}

1;
