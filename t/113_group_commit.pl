# 113_group_commit.pl
#   Group commit through the running shim: webhooks that queue while the
#   database worker is busy share one transaction (one receive_webhooks
#   statement), and nobody is answered before it commits.
#
#   One worker (--db-pool-size=1).  A session of the test holds a lock a
#   first report needs, so the worker waits on it while more webhooks queue
#   (each sent once /metrics shows the one before it queued, so their order
#   is known); releasing the lock lets the worker take the queue as one group.
#
#   - A lone webhook is not held back: it runs as a group of one.
#   - Eight queued webhooks run as one transaction: the /metrics histogram
#     counts a group of eight, and their inbox rows share the transaction's
#     start time; among them a report delivered twice (stored once, the same
#     answer to both), a report the functions refuse (422 and a dead letter,
#     the others 200) and an assistant-request (answered as alone).
#   - The worker's backend is terminated while its group waits mid-way (a
#     shim whose sessions set vapi_pool.group_lock_timeout = 0), after
#     one delivery of the group already ran: all three are answered 503,
#     none is stored, and delivered again each is stored once.
#   - A delivery whose row another transaction holds is put off past
#     vapi_pool.group_lock_timeout: the group commits without it, and it
#     runs alone after, stored once.
#   - --db-group-max=1: the same queue runs one transaction per webhook.
#   - --db-active-max=1 with four connections: while the one turn waits, the
#     other connections take nothing and the queue becomes one group.
#
#   The shim answers a webhook its worker has not finished within
#   --db-timeout-ms (7 s here): each lock is held for the few polls needed
#   to queue the webhooks behind it.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HTTP::Tiny;
use IPC::Run ();
use JSON::PP ();
use POSIX ();
use VapiPoolTest qw(new_vapi_node shim_binary wait_for wait_shim_healthy);

my $shim_bin = shim_binary();
BAIL_OUT("vapi-shim is not built at $shim_bin (run make first)") unless -x $shim_bin;
delete $ENV{$_} for grep { /^VAPI_POOL_/ } keys %ENV;

my $secret = 'vapi-secret-113';
my $http = HTTP::Tiny->new(timeout => 20);
my $node = new_vapi_node('group_commit');
my $dir = PostgreSQL::Test::Utils::tempdir();
my $json = JSON::PP->new->canonical;

# a broker with 24 pool numbers; lead k holds number k and Vapi placed call gc-k
$node->safe_psql('postgres', <<'SQL');
INSERT INTO vapi_pool.orgs (org_id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000113', 'Group Commit');
INSERT INTO vapi_pool.brokers (org_id, id, name, primary_phone_e164, number_pool_active) VALUES
	('aaaaaaaa-0000-4000-8000-000000000113', 'a1000000-0000-4000-8000-000000000113', 'Gia', '+14155550300', true);
INSERT INTO vapi_pool.leads (org_id, id, broker_id, first_name, primary_phone_e164, status)
SELECT 'aaaaaaaa-0000-4000-8000-000000000113', ('a2000000-0000-4000-8000-0000000001' || lpad(k::text, 2, '0'))::uuid,
	'a1000000-0000-4000-8000-000000000113', 'Lead ' || k, ('+141555503' || lpad(k::text, 2, '0'))::vapi_pool.e164,
	'call_requested'
FROM generate_series(1, 24) k;
SELECT count(vapi_pool.add_pool_number('a1000000-0000-4000-8000-000000000113',
	('+131055503' || lpad(k::text, 2, '0'))::vapi_pool.e164, 'pn_113_' || k)) FROM generate_series(1, 24) k;
SELECT count(vapi_pool.record_call_placed(a.id, 'gc-' || (right(l.id::text, 2))::int))
FROM vapi_pool.leads l, LATERAL vapi_pool.assign_number(l.id) a
WHERE l.org_id = 'aaaaaaaa-0000-4000-8000-000000000113';
SQL

# the shims started, stopped at the end even when a check dies midway
my @shims;
END { $_->kill_kill for grep { $_->pumpable } @shims }

# Start a shim with these extra flags; returns (harness, port).
sub start_shim
{
	my ($name, @flags) = @_;
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	my @pool = grep { /^--db-pool-size=/ } @flags;
	@pool = ('--db-pool-size=1') unless @pool;
	my ($url) = grep { /^--database-url=/ } @flags;
	$url //= '--database-url=' . $node->connstr('postgres');
	@flags = grep { !/^--(db-pool-size|database-url)=/ } @flags;
	my $out = '';
	local $ENV{VAPI_POOL_VAPI_SECRET} = $secret;
	my $h = IPC::Run::start(
		[
			$shim_bin, $url,
			"--listen=127.0.0.1:$port", @pool, '--db-timeout-ms=7000',
			'--intake-assistant-id=intake-113', @flags
		],
		'<', \undef, '>', "$dir/$name.stdout", '2>', "$dir/$name.stderr", IPC::Run::timeout(600));
	push @shims, $h;
	wait_shim_healthy($port, \$out);
	return ($h, $port);
}

# The shim's /metrics as { name{labels} => value }.
sub metrics
{
	my ($port) = @_;
	my $r = $http->get("http://127.0.0.1:$port/metrics");
	return { $r->{content} =~ /^(vapi_shim_db_\S+) (\S+)$/mg };
}

# An end-of-call report of call $id (answered; a bad start time when $bad).
sub report
{
	my ($id, $bad) = @_;
	return $json->encode({ message => {
		type => 'end-of-call-report', endedReason => 'customer-ended-call',
		startedAt => $bad ? 'yesterday-ish' : '2026-11-21T16:00:00Z', endedAt => '2026-11-21T16:02:00Z',
		call => { id => $id } } });
}

# An assistant-request of call $id from a stranger to pool number 1.
sub assistant_request
{
	my ($id) = @_;
	return $json->encode({ message => {
		type => 'assistant-request', call => { id => $id, type => 'inboundPhoneCall' },
		phoneNumber => { number => '+13105550301' }, customer => { number => '+12125550113' } } });
}

# POST a Vapi body from a child process; returns its pid.  The child writes
# "status\nbody" to $dir/$tag.out.
sub post_in_background
{
	my ($port, $tag, $body) = @_;
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		my $r = HTTP::Tiny->new(timeout => 20)->post("http://127.0.0.1:$port/webhook/vapi",
			{ content => $body, headers => { 'content-type' => 'application/json', 'x-vapi-secret' => $secret } });
		open(my $fh, '>', "$dir/$tag.out") or POSIX::_exit(1);
		print $fh "$r->{status}\n$r->{content}";
		close $fh;
		POSIX::_exit(0);
	}
	return $pid;
}

# Wait for the children; returns { tag => [status, body] }.
sub answers
{
	my (%pids) = @_;
	my %out;
	for my $tag (keys %pids)
	{
		waitpid($pids{$tag}, 0);
		my ($status, $body) = split /\n/, slurp_file("$dir/$tag.out"), 2;
		$out{$tag} = [ $status, $body ];
	}
	return \%out;
}

# The shim's worker waiting on a lock (its backend pid), or undef.
sub worker_waiting
{
	my $pid = $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE application_name = 'vapi-shim' AND wait_event_type = 'Lock'");
	return $pid eq '' ? undef : $pid;
}

# Hold call $id's log row in a session of its own (until ->query_safe('COMMIT')).
sub lock_call
{
	my ($id) = @_;
	my $s = $node->background_psql('postgres');
	$s->query_safe("BEGIN; SELECT 1 FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = '$id' FOR UPDATE");
	return $s;
}

# Send @deliveries ([tag, body] ...) one after another, each once the one
# before it is queued; returns the pids by tag.
sub queue_behind
{
	my ($port, @deliveries) = @_;
	my %pids;
	my $depth = 0;
	for my $d (@deliveries)
	{
		$pids{ $d->[0] } = post_in_background($port, @$d);
		$depth++;
		ok(wait_for(7, sub { (metrics($port)->{vapi_shim_db_queue_depth} // -1) == $depth }),
			"$d->[0] queued (depth $depth)")
		  or diag("metrics: " . $json->encode(metrics($port)));
	}
	return %pids;
}

# The inbox rows of call ids @ids: { dedupe key => [attempts, duplicates, state, received_at] }.
sub inbox
{
	my @ids = @_;
	my $in = join(',', map { "'$_'" } @ids);
	my %rows;
	for (split /\n/, $node->safe_psql('postgres',
		"SELECT dedupe_key, attempts, duplicates, state, received_at FROM vapi_pool.webhook_inbox
		 WHERE split_part(dedupe_key, ':', 2) IN ($in)"))
	{
		my ($k, @rest) = split /\|/;
		$rows{$k} = \@rest;
	}
	return \%rows;
}

my ($shim, $port) = start_shim('grouped');

# ---------------------------------------------------------------- a lone webhook

my $m0 = metrics($port);
my $lone = answers(lone => post_in_background($port, 'lone', report('gc-20')));
is($lone->{lone}[0], 200, 'a lone report is answered 200');
my $m1 = metrics($port);
is($m1->{'vapi_shim_db_group_size_bucket{le="1"}'} - $m0->{'vapi_shim_db_group_size_bucket{le="1"}'}, 1,
	'... as a group of one (not held back for company)');
is($m1->{vapi_shim_db_group_size_count} - $m0->{vapi_shim_db_group_size_count}, 1, '... one transaction');

# ---------------------------------------------------------------- eight in one transaction

my $lock = lock_call('gc-1');
$m0 = metrics($port);
my %pids = (first => post_in_background($port, 'first', report('gc-1')));
ok(wait_for(7, \&worker_waiting), 'the first report waits on the locked call');
%pids = (%pids, queue_behind($port,
	[ r2 => report('gc-2') ], [ r3 => report('gc-3') ], [ r4a => report('gc-4') ], [ r5 => report('gc-5') ],
	[ r4b => report('gc-4') ], [ bad => report('gc-6', 1) ], [ ar => assistant_request('gc-ar-1') ],
	[ r7 => report('gc-7') ]));
$lock->query_safe('COMMIT');
$lock->quit;
my $a = answers(%pids);
$m1 = metrics($port);

is($a->{first}[0], 200, 'the first report is answered 200 once the lock goes');
is_deeply([ map { $a->{$_}[0] } qw(r2 r3 r4a r5 r4b r7) ], [ (200) x 6 ], 'the queued reports are answered 200');
is(JSON::PP::decode_json($a->{r2}[1])->{outcome}, 'answered', '... with what the report did (answered)');
is($a->{r4a}[1], $a->{r4b}[1], 'a report delivered twice in the group gets the same answer twice');
is($a->{bad}[0], 422, 'the report the functions refuse is answered 422 ...');
like($a->{bad}[1], qr/"stored": true/, '... and stored as a dead letter');
is($a->{ar}[0], 200, 'the assistant-request in the group is answered 200');
is(JSON::PP::decode_json($a->{ar}[1])->{assistantId}, 'intake-113', '... with the intake assistant');

my $new = sub { my ($k) = @_; ($m1->{$k} // 0) - ($m0->{$k} // 0) };
is($new->('vapi_shim_db_group_size_count'), 2, 'two transactions ran: the first report, then the queue');
is($new->('vapi_shim_db_group_size_sum'), 9, '... of nine deliveries');
is($new->('vapi_shim_db_group_size_bucket{le="8"}') - $new->('vapi_shim_db_group_size_bucket{le="4"}'), 1,
	'... the queue as one group of five to eight');
is($new->('vapi_shim_db_groups_split_total'), 0, '... which did not fail as a whole');

my $rows = inbox(map { "gc-$_" } 1 .. 7);
my %group_start = map { $rows->{$_}[3] => 1 }
  grep { $_ !~ /:gc-1$/ } keys %$rows;
$rows->{'assistant-request:gc-ar-1'} = inbox('gc-ar-1')->{'assistant-request:gc-ar-1'};
$group_start{ $rows->{'assistant-request:gc-ar-1'}[3] } = 1;
is(scalar(keys %group_start), 1, 'the eight deliveries were stored by one transaction (one start time)')
  or diag(explain($rows));
isnt($rows->{'end-of-call-report:gc-1'}[3], (keys %group_start)[0], '... not the first report\'s');
is($rows->{'end-of-call-report:gc-4'}[0], 1, 'the report delivered twice ran once (attempts 1)');
is($rows->{'end-of-call-report:gc-4'}[1], 1, '... duplicates 1');
is($rows->{'end-of-call-report:gc-6'}[2], 'failed', 'the refused report is the dead letter');
is($node->safe_psql('postgres',
	"SELECT string_agg(vapi_call_id || '=' || status, ',' ORDER BY vapi_call_id) FROM vapi_pool.vapi_call_logs
	 WHERE vapi_call_id IN ('gc-2', 'gc-3', 'gc-4', 'gc-5', 'gc-6', 'gc-7')"),
	'gc-2=ended,gc-3=ended,gc-4=ended,gc-5=ended,gc-6=queued,gc-7=ended',
	'the calls the group reported ended; the refused one did not');

# ---------------------------------------------------------------- a crash before the commit

# A shim of its own whose sessions let a group wait on a lock as long as it
# must (vapi_pool.group_lock_timeout = 0), so that it can be caught mid-way.
my ($crash, $cport) = start_shim('crash',
	'--database-url=' . $node->connstr('postgres') . " options='-c vapi_pool.group_lock_timeout=0'");
my $lock8 = lock_call('gc-8');
my $lock9 = lock_call('gc-9');
%pids = (r8 => post_in_background($cport, 'r8', report('gc-8')));
ok(wait_for(7, \&worker_waiting), 'a report waits on a locked call');
%pids = (%pids, queue_behind($cport, [ r10 => report('gc-10') ], [ r9 => report('gc-9') ], [ r11 => report('gc-11') ]));
$lock8->query_safe('COMMIT');
$lock8->quit;
# the group [gc-10, gc-9, gc-11] ran gc-10 and now waits on gc-9
ok(wait_for(7, sub {
	my $w = worker_waiting();
	$w && $node->safe_psql('postgres', "SELECT query FROM pg_stat_activity WHERE pid = $w") =~ /receive_webhooks/
}), 'the group waits mid-way on the other locked call');
my $victim = worker_waiting();
$node->safe_psql('postgres', "SELECT pg_terminate_backend($victim)");
$a = answers(%pids);
$lock9->query_safe('COMMIT');
$lock9->quit;
is($a->{r8}[0], 200, 'the report before the group was answered 200 (it committed)');
is_deeply([ map { $a->{$_}[0] } qw(r10 r9 r11) ], [ 503, 503, 503 ],
	'every delivery of the group is answered 503, the one that had run too');
is($node->safe_psql('postgres',
	"SELECT count(*) FROM vapi_pool.webhook_inbox WHERE dedupe_key IN
	 ('end-of-call-report:gc-10', 'end-of-call-report:gc-9', 'end-of-call-report:gc-11')"), 0,
	'... and none of them is stored');
is($node->safe_psql('postgres', "SELECT status FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = 'gc-10'"),
	'queued', '... nor what the one that ran did');
ok(wait_shim_healthy($cport, \my $ignored) // 1, 'the worker reconnects');
$a = answers(map { ("again$_" => post_in_background($cport, "again$_", report("gc-$_"))) } 9, 10, 11);
is_deeply([ map { $a->{"again$_"}[0] } 9, 10, 11 ], [ 200, 200, 200 ], 'delivered again, they are answered 200');
$rows = inbox(map { "gc-$_" } 9 .. 11);
is_deeply([ map { "$rows->{\"end-of-call-report:gc-$_\"}[0]/$rows->{\"end-of-call-report:gc-$_\"}[1]" } 9 .. 11 ],
	[ '1/0', '1/0', '1/0' ], '... and each is stored once, run once');
$crash->kill_kill;

# ---------------------------------------------------------------- a delivery put off

# The group [gc-17, gc-16, gc-18] meets gc-16's row locked by another
# transaction: past vapi_pool.group_lock_timeout (25 ms) gc-16 is put off,
# the group commits without it, and the worker runs it alone, where it waits
# as long as it has to.
my $lock19 = lock_call('gc-19');
my $lock16 = lock_call('gc-16');
$m0 = metrics($port);
%pids = (r19 => post_in_background($port, 'r19', report('gc-19')));
ok(wait_for(7, \&worker_waiting), 'a report waits on a locked call');
%pids = (%pids, queue_behind($port, [ r17 => report('gc-17') ], [ r16 => report('gc-16') ], [ r18 => report('gc-18') ]));
$lock19->query_safe('COMMIT');
$lock19->quit;
my $committed = q{SELECT string_agg(split_part(dedupe_key, ':', 2), ',' ORDER BY dedupe_key)
	FROM vapi_pool.webhook_inbox WHERE dedupe_key ~ ':gc-1[678]$'};
ok(wait_for(7, sub { $node->safe_psql('postgres', $committed) eq 'gc-17,gc-18' }),
	'the group went on without gc-16: it committed gc-17 and gc-18');
ok(wait_for(7, sub {
	$node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE application_name = 'vapi-shim'
		AND wait_event_type = 'Lock' AND query LIKE '%receive_webhook(%'}) == 1
}), '... and gc-16 now waits alone, in a transaction of its own');
$lock16->query_safe('COMMIT');
$lock16->quit;
$a = answers(%pids);
$m1 = metrics($port);
is_deeply([ map { $a->{$_}[0] } qw(r19 r17 r16 r18) ], [ 200, 200, 200, 200 ], 'all four are answered 200');
is($new->('vapi_shim_db_group_put_off_total'), 1, '/metrics counts one delivery put off');
$rows = inbox('gc-16');
is($rows->{'end-of-call-report:gc-16'}[0] . '/' . $rows->{'end-of-call-report:gc-16'}[2], '1/processed',
	'gc-16 is stored once, processed, its first attempt');

$shim->kill_kill;

# ---------------------------------------------------------------- --db-group-max=1

my ($single, $sport) = start_shim('single', '--db-group-max=1');
my $lock12 = lock_call('gc-12');
$m0 = metrics($sport);
%pids = (r12 => post_in_background($sport, 'r12', report('gc-12')));
ok(wait_for(7, \&worker_waiting), '--db-group-max=1: a report waits on a locked call');
%pids = (%pids, queue_behind($sport, [ r13 => report('gc-13') ], [ r14 => report('gc-14') ], [ r15 => report('gc-15') ]));
$lock12->query_safe('COMMIT');
$lock12->quit;
$a = answers(%pids);
$m1 = metrics($sport);
is_deeply([ map { $a->{$_}[0] } qw(r12 r13 r14 r15) ], [ 200, 200, 200, 200 ], '... all four answered 200');
is($new->('vapi_shim_db_group_size_count'), 4, '... in four transactions');
is($new->('vapi_shim_db_group_size_bucket{le="1"}'), 4, '... of one webhook each');
$rows = inbox(map { "gc-$_" } 13 .. 15);
is(scalar(keys %{ { map { $_->[3] => 1 } values %$rows } }), 3, '... three start times for the three queued');
$single->kill_kill;

# ---------------------------------------------------------------- --db-active-max=1

# Four connections, one turn: while the one worker with the turn waits, the
# other three connections take nothing, and the queue becomes one group.
my ($turns, $tport) = start_shim('turns', '--db-pool-size=4', '--db-active-max=1');
ok(wait_for(7, sub { (metrics($tport)->{'vapi_shim_db_pool_connections{state="idle"}'} // 0) == 4 }),
	'--db-pool-size=4 --db-active-max=1: four connections');
my $lock21 = lock_call('gc-21');
$m0 = metrics($tport);
%pids = (r21 => post_in_background($tport, 'r21', report('gc-21')));
ok(wait_for(7, \&worker_waiting), '... a webhook waits on a locked row with the one turn');
%pids = (%pids, queue_behind($tport, [ x1 => report('gc-x1') ], [ x2 => report('gc-x2') ], [ x3 => report('gc-x3') ]));
$lock21->query_safe('COMMIT');
$lock21->quit;
$a = answers(%pids);
$m1 = metrics($tport);
is_deeply([ map { $a->{$_}[0] } qw(r21 x1 x2 x3) ], [ 200, 200, 200, 200 ], '... all four answered 200');
is($new->('vapi_shim_db_group_size_count'), 2, '... in two transactions: the three connections without a turn took nothing');
is($new->('vapi_shim_db_group_size_sum'), 4, '... of four webhooks');
$turns->kill_kill;

done_testing();
