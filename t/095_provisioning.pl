# 095_provisioning.pl
#   vapi-shim pool fill|sync and vapi-shim assistants push against a real
#   cluster and the Vapi stand-in (t/standin): the assistants in assistants/
#   are created with the tool server URL built from --public-url (no other
#   host), recorded, left alone when unchanged and PATCHed when changed;
#   pool sync links, imports and points numbers at this deployment only where
#   needed; pool fill queues exactly the missing purchases, waits for the
#   dispatcher and reports the numbers, a vendor refusal (exit 1) and a
#   dispatcher that is not running (exit 1).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Copy qw(copy);
use File::Temp ();
use HTTP::Tiny;
use IPC::Run ();
use JSON::PP ();
use Time::HiRes qw(usleep time);
use VapiPoolTest qw(new_vapi_node shim_binary source_dir);
use VendorStandin;

my $shim_bin = shim_binary();
BAIL_OUT("vapi-shim is not built at $shim_bin (run make first)") unless -x $shim_bin;
delete $ENV{$_} for grep { /^VAPI_POOL_/ } keys %ENV;

my $json = JSON::PP->new->canonical;
my $http = HTTP::Tiny->new(timeout => 15);
my $api_key = 'vapi-private-T7q4w9';
my $run_key = $api_key;	# the key vapi-shim is run with
my $public_url = 'https://voice.provisioning.invalid/';	# the trailing slash is dropped
my $server_url = 'https://voice.provisioning.invalid/hooks/vapi';
my $org = 'aaaaaaaa-0000-4000-8000-000000000095';
my $broker = 'a1000000-0000-4000-8000-000000000095';

my $node = new_vapi_node('provisioning');
my $vapi = VendorStandin->start(vapi_key => $api_key);

$node->safe_psql('postgres', <<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name) VALUES ('$org', 'Provisioning Home Loans');
INSERT INTO brokers (org_id, id, name, number_pool_size, number_pool_active)
	VALUES ('$org', '$broker', 'Robin Park', 3, true);
SELECT count(*) FROM (
	SELECT add_pool_number('$broker', '+13105550141')
	UNION ALL SELECT add_pool_number('$broker', '+13105550142', 'pn-known')) s;
SQL

# ---------------------------------------------------------------- helpers

# Run vapi-shim with the shared options (database, stand-in, key in the
# environment) plus @args; returns (exit status, stdout, stderr).
sub shim
{
	my (@args) = @_;
	my ($out, $err) = ('', '');
	my @cmd = ($shim_bin, @args, '--database-url=' . $node->connstr('postgres'),
		'--vapi-base-url=' . $vapi->vapi_url, '--webhook-prefix=/hooks');
	local $ENV{VAPI_POOL_VAPI_API_KEY} = $run_key;
	IPC::Run::run(\@cmd, '<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout(120));
	note("vapi-shim @args: exit " . ($? >> 8) . "\n$out$err");
	return ($? >> 8, $out, $err);
}

# The stand-in's sequence number now: requests after it are "new".
sub mark { return $vapi->state->{seq}; }

# Requests the stand-in received after $since (filters as VendorStandin::requests).
sub requests_since
{
	my ($since, %filter) = @_;
	return $vapi->requests(since_seq => $since, %filter);
}

# Every string value inside a decoded JSON document.
sub strings_of
{
	my ($v) = @_;
	return map { strings_of($_) } values %$v if ref $v eq 'HASH';
	return map { strings_of($_) } @$v if ref $v eq 'ARRAY';
	return defined $v && !ref $v ? ($v) : ();
}

# The tool of a definition's model.tools whose function is called $name.
sub tool_named
{
	my ($def, $name) = @_;
	my @found = grep { ($_->{function}{name} // '') eq $name } @{ $def->{model}{tools} // [] };
	return $found[0];
}

sub psql { return $node->safe_psql('postgres', $_[0]); }

# Neither output of a run may show the API key.
sub no_key_in
{
	my ($what, @texts) = @_;
	ok(!grep({ index($_, $api_key) >= 0 } @texts), "$what: the API key is not printed");
}

# ---------------------------------------------------------------- usage

my ($rc, $out, $err) = shim('pool', '--help');
is($rc, 0, 'pool --help: exit 0');
like($out, qr/pool fill --broker UUID/, '... and it shows pool fill');
($rc, $out, $err) = shim('assistants', '--help');
like($out, qr/assistants push/, 'assistants --help shows assistants push');
($rc) = shim('pool', 'fill');
is($rc, 2, 'pool fill without --broker: exit 2');
($rc, $out, $err) = shim('pool', 'fill', '--broker', 'not-a-uuid', '--dry-run');
is($rc, 2, 'pool fill with a bad broker id: exit 2');
like($err, qr/--broker must be a broker id/, '... saying why');
($rc, $out, $err) = shim('pool', 'sync', '--area-code', '310');
is($rc, 2, 'an option of another command: exit 2');
($rc, $out, $err) = shim('assistants', 'push', '--frobnicate');
is($rc, 2, 'an unknown option: exit 2');
($rc, $out, $err) = shim('assistants', 'push');
is($rc, 2, 'assistants push without --public-url: exit 2');
like($err, qr/--public-url/, '... naming the option');
($rc, $out, $err) = shim('pool', 'fill', "--broker=$broker");
is($rc, 2, 'pool fill without --public-url: exit 2');
is(psql("SELECT count(*) FROM vapi_pool.outbox"), '0', 'usage errors queue nothing');

# ---------------------------------------------------------------- assistants push

my $src_dir = source_dir() . '/assistants';
my $dir = File::Temp->newdir('assistants-XXXXXX', TMPDIR => 1);
my %file_def;
for my $role (qw(intake connector clinic_receptionist))
{
	copy("$src_dir/$role.json", "$dir/$role.json") or die "copy $role.json: $!";
	my $text = slurp_file("$src_dir/$role.json");
	unlike($text, qr{://}, "assistants/$role.json names no host (only placeholders)");
	$file_def{$role} = $json->decode($text);
}

my $since = mark();
($rc, $out, $err) = shim('assistants', 'push', "--assistants-dir=$dir", "--public-url=$public_url");
is($rc, 0, 'assistants push: exit 0') or diag("stdout:\n$out\nstderr:\n$err");
no_key_in('assistants push', $out, $err);
my $posts = requests_since($since, path => '/assistant');
is(scalar @$posts, 3, 'three requests to /assistant');
is_deeply([ sort map { $_->{method} } @$posts ], [qw(POST POST POST)], '... all of them POST (created)');
is($posts->[0]{headers}{authorization}, "Bearer $api_key", '... with the API key as a bearer token');

my %created;	# name => request body
$created{ $_->{body}{name} } = $_->{body} for @$posts;
is_deeply([ sort keys %created ], [ sort map { $_->{name} } values %file_def ], 'one assistant per file, by name');
for my $role (sort keys %file_def)
{
	my $body = $created{ $file_def{$role}{name} };
	my @urls = grep { m{://} } strings_of($body);
	ok(@urls >= 2, "$role: its server and tool URLs are set");
	is_deeply([ grep { $_ ne $server_url } @urls ], [], "$role: every URL is --public-url + prefix + /vapi");
	ok(!grep({ /\{\{(?:tool_)?server_url\}\}/ } strings_of($body)), "$role: no placeholder left");
	is($body->{server}{url}, $server_url, "$role: server.url");
}
my $intake = $created{ $file_def{intake}{name} };
is(tool_named($intake, 'supabase_query')->{server}{url}, $server_url, 'intake: supabase_query calls this deployment');
is_deeply(tool_named($intake, 'supabase_query')->{function}{parameters}{properties}{query_type}{enum},
	[qw(get_lead_details find_broker_by_zip get_broker_details)], '... with the seed\'s query types');
is_deeply(tool_named($intake, 'check_availability_and_book')->{function}{parameters}{properties}{action}{enum},
	[qw(check book)], 'intake: check_availability_and_book checks or books');
like($intake->{model}{messages}[0]{content}, qr/\{\{lead_id\}\}/, 'intake: Vapi\'s own {{lead_id}} variable is kept');
my $connector = $created{ $file_def{connector}{name} };
my ($transfer) = grep { $_->{type} eq 'transferCall' } @{ $connector->{model}{tools} };
ok($transfer, 'connector: a transferCall tool');
is_deeply($transfer->{destinations} // [], [], '... with no fixed destination (the server names it)');
is($transfer->{server}{url}, $server_url, '... asking this deployment');
like($connector->{model}{messages}[0]{content}, qr/\{\{broker_name\}\}/, 'connector: {{broker_name}} is kept for Vapi');
my $clinic = $created{ $file_def{clinic_receptionist}{name} };
is(tool_named($clinic, 'claim_slot_atomic')->{function}{parameters}{required}[0], 'slot_time',
	'clinic receptionist: claim_slot_atomic takes slot_time');

my %standin_ids = map { $_->{name} => $_->{id} } @{ $vapi->state->{assistants} };
my %recorded = map { split /\|/ } split /\n/,
  psql("SELECT role || '|' || vapi_assistant_id FROM vapi_pool.vapi_assistants ORDER BY role");
is_deeply(\%recorded, { map { $_ => $standin_ids{ $file_def{$_}{name} } } keys %file_def },
	'vapi_assistants holds the id Vapi gave each role');
like($out, qr/^intake\s+\S+\s+created$/m, 'the table says created');

$since = mark();
($rc, $out, $err) = shim('assistants', 'push', "--assistants-dir=$dir", "--public-url=$public_url");
is($rc, 0, 'a second push: exit 0');
is(scalar @{ requests_since($since) }, 0, '... sends nothing: every definition is unchanged');
is(() = $out =~ /\bunchanged$/mg, 3, '... and says so three times');

# a changed file is PATCHed, and only that one
my $changed = $json->decode(slurp_file("$dir/connector.json"));
$changed->{firstMessage} = 'Hold on, connecting you.';
open(my $fh, '>', "$dir/connector.json") or die $!;
print $fh $json->encode($changed);
close $fh;
my $old_sha = psql("SELECT definition_sha256 FROM vapi_pool.vapi_assistants WHERE role = 'connector'");
$since = mark();
($rc, $out, $err) = shim('assistants', 'push', "--assistants-dir=$dir", "--public-url=$public_url");
is($rc, 0, 'push after changing connector.json: exit 0');
my $sent = requests_since($since);
is_deeply([ map { "$_->{method} $_->{path}" } @$sent ], ["PATCH /assistant/$recorded{connector}"],
	'... one PATCH, of the connector');
is($sent->[0]{body}{firstMessage}, 'Hold on, connecting you.', '... carrying the change');
isnt(psql("SELECT definition_sha256 FROM vapi_pool.vapi_assistants WHERE role = 'connector'"), $old_sha,
	'... and the new definition hash is recorded');
like($out, qr/^connector\s+\Q$recorded{connector}\E\s+updated$/m, '... the table says updated');

# another public URL changes every definition
$since = mark();
($rc, $out, $err) = shim('assistants', 'push', "--assistants-dir=$dir", '--public-url=https://voice2.provisioning.invalid',
	'--dry-run');
is($rc, 0, 'a dry run with another public URL: exit 0');
is(scalar @{ requests_since($since) }, 0, '... sends nothing');
is(() = $out =~ /would update$/mg, 3, '... and would update all three');

# an assistant deleted at Vapi is created again
$changed->{firstMessage} = 'Connecting you now.';
open($fh, '>', "$dir/connector.json") or die $!;
print $fh $json->encode($changed);
close $fh;
my $del = $http->request('DELETE', $vapi->vapi_url . "/assistant/$recorded{connector}",
	{ headers => { authorization => "Bearer $api_key" } });
is($del->{status}, 200, 'the connector is deleted at the stand-in');
$since = mark();
($rc, $out, $err) = shim('assistants', 'push', "--assistants-dir=$dir", "--public-url=$public_url");
is($rc, 0, 'push of a definition whose assistant Vapi lost: exit 0');
is_deeply([ map { "$_->{method} $_->{path} $_->{status}" } @{ requests_since($since) } ],
	[ "PATCH /assistant/$recorded{connector} 404", 'POST /assistant 201' ], '... PATCH answered 404, then POST');
my $new_id = psql("SELECT vapi_assistant_id FROM vapi_pool.vapi_assistants WHERE role = 'connector'");
isnt($new_id, $recorded{connector}, '... the new id is recorded');
ok(grep({ $_->{id} eq $new_id } @{ $vapi->state->{assistants} }), '... and exists at the stand-in');

# a 4xx from Vapi: exit 1 with the status and the vendor's message; nothing recorded
copy("$src_dir/intake.json", "$dir/second_intake.json") or die $!;
$vapi->misbehave(method => 'POST', path => '/assistant', mode => 'status', status => 400,
	body => { message => ['model.provider must be one of the following values: openai'], error => 'Bad Request',
		statusCode => 400 });
($rc, $out, $err) = shim('assistants', 'push', "--assistants-dir=$dir", "--public-url=$public_url");
is($rc, 1, 'a 400 from Vapi: exit 1');
like($err, qr{POST /assistant failed: HTTP 400: model\.provider must be one of}, '... with the status and Vapi\'s message');
like($out, qr/^second_intake\s+-\s+FAILED$/m, '... the table says FAILED');
is(psql("SELECT count(*) FROM vapi_pool.vapi_assistants WHERE role = 'second_intake'"), '0', '... nothing recorded');
unlink("$dir/second_intake.json");

# a wrong key: 401, exit 1, the key still not printed
$run_key = 'wrong-key-Z9';
($rc, $out, $err) = shim('assistants', 'push', "--assistants-dir=$dir", '--public-url=https://other.invalid');
$run_key = $api_key;
is($rc, 1, 'a key Vapi refuses: exit 1');
like($err, qr/HTTP 401/, '... reported as HTTP 401');
ok(index($out . $err, 'wrong-key-Z9') < 0, '... without printing the key');

# a file that is not an assistant: refused before anything is sent
open($fh, '>', "$dir/broken.json") or die $!;
print $fh '["not an object"]';
close $fh;
$since = mark();
($rc, $out, $err) = shim('assistants', 'push', "--assistants-dir=$dir", '--public-url=https://other.invalid');
is($rc, 1, 'a definition that is not an object: exit 1');
like($err, qr/broken\.json: an assistant definition must be a JSON object with a "name"/, '... naming the file');
is(scalar @{ requests_since($since) }, 0, '... and nothing is sent');
unlink("$dir/broken.json");

# ---------------------------------------------------------------- pool sync

$vapi->seed_numbers(
	{ id => 'pn-link', number => '+13105550141', server => { url => $server_url } },
	{ id => 'pn-known', number => '+13105550142' },
	{ id => 'pn-new', number => '+13105550143', server => { url => 'https://old.provisioning.invalid/x', timeoutSeconds => 20 } });
# the first page is too long for the HTTP client (64 KiB): asked again, half as long
$vapi->misbehave(method => 'GET', path => '/phone-number', mode => 'status', status => 200, count => 1,
	body => [ map { { id => "pn-big-$_", number => '+1310555' . (2000 + $_), name => 'x' x 1000 } } 1 .. 100 ]);
$since = mark();
($rc, $out, $err) = shim('pool', 'sync', "--broker=$broker", "--public-url=$public_url");
is($rc, 0, 'pool sync: exit 0') or diag("stdout:\n$out\nstderr:\n$err");
no_key_in('pool sync', $out, $err);
like($out, qr/^pn-link\s+\+13105550141\s+linked\s+ok$/m, 'a pool number without Vapi id is linked (its server URL is right)');
like($out, qr/^pn-known\s+\+13105550142\s+known\s+set$/m, 'a known number gets its server URL');
like($out, qr/^pn-new\s+\+13105550143\s+imported\s+set$/m, 'an unknown number is imported and pointed here');
is( psql("SELECT string_agg(number::text || '=' || coalesce(vapi_phone_number_id, '-'), ',' ORDER BY number)
			FROM vapi_pool.vapi_number_pool WHERE broker_id = '$broker'"),
	'+13105550141=pn-link,+13105550142=pn-known,+13105550143=pn-new', 'the pool has all three with their Vapi ids');
my $gets = requests_since($since, method => 'GET', path => '/phone-number');
is_deeply([ map { $_->{query}{limit} } @$gets ], [ '100', '50' ],
	'the numbers are listed 100 at a time, then 50 when the answer was too long to keep');
unlike($out, qr/pn-big/, '... and nothing of the cut answer is used');
my $patches = requests_since($since, method => 'PATCH');
is_deeply([ sort map { $_->{path} } @$patches ], [ '/phone-number/pn-known', '/phone-number/pn-new' ],
	'PATCH only the numbers whose server URL is not this deployment\'s');
is_deeply([ map { $_->{body}{server}{url} } @$patches ], [ $server_url, $server_url ], '... to the server URL');
my ($new_patch) = grep { $_->{path} eq '/phone-number/pn-new' } @$patches;
is($new_patch->{body}{server}{timeoutSeconds}, 20, '... keeping the rest of the number\'s server settings');
my %standin_url = map { $_->{id} => $_->{server}{url} } @{ $vapi->state->{numbers} };
is_deeply([ @standin_url{qw(pn-link pn-known pn-new)} ], [ ($server_url) x 3 ], 'every number now points here');

$vapi->seed_numbers({ id => 'pn-stray', number => '+13105550144' });
$since = mark();
($rc, $out, $err) = shim('pool', 'sync', "--public-url=$public_url");
is($rc, 0, 'pool sync again, without --broker: exit 0');
is(scalar @{ requests_since($since, method => 'PATCH') }, 0, '... no PATCH: every pool number points here');
like($out, qr/^pn-stray\s+\+13105550144\s+skipped: not in any pool.*\s-$/m,
	'... an unknown number is skipped without a broker, its server URL left alone');
is(() = $out =~ /\bknown\s+ok$/mg, 3, '... the three pool numbers are known');
is(psql("SELECT count(*) FROM vapi_pool.vapi_number_pool WHERE number = '+13105550144'"), '0', '... and not imported');

$vapi->misbehave(method => 'PATCH', path => '/phone-number/*', mode => 'status', status => 404, count => 1);
$vapi->seed_numbers({ id => 'pn-known', number => '+13105550142' });	# its server URL is gone
($rc, $out, $err) = shim('pool', 'sync', "--public-url=$public_url");
is($rc, 1, 'a PATCH that Vapi refuses: exit 1');
like($out, qr/^pn-known\s+\+13105550142\s+known\s+FAILED: HTTP 404: Not Found/m, '... the row says why');

# ---------------------------------------------------------------- pool fill

# The dispatcher: `vapi-shim dispatch` when it is built, else its SQL
# contract (outbox_claim, send, outbox_report) played by the test itself.
my ($dispatch_rc) = shim('dispatch', '--help');
my $real_dispatcher = $dispatch_rc == 0;
diag($real_dispatcher ? 'pool fill runs with vapi-shim dispatch'
	: 'vapi-shim dispatch is not built: the test plays the dispatcher through outbox_claim/outbox_report');

# Claim due jobs, send them to the stand-in, report the answers; returns how many.
sub dispatch_once
{
	my $claimed = psql("SELECT coalesce(json_agg(r), '[]')::text FROM vapi_pool.outbox_claim('t095', 32) r");
	my $jobs = $json->decode($claimed);
	my @answers;
	for my $job (@$jobs)
	{
		die "unexpected service $job->{service}" unless $job->{service} eq 'vapi';
		my %headers = (authorization => "Bearer $api_key", %{ $job->{headers} // {} });
		$headers{'content-type'} = 'application/json' if defined $job->{body};
		my $r = $http->request($job->{method}, $vapi->vapi_url . $job->{path},
			{ headers => \%headers, (defined $job->{body} ? (content => $job->{body}) : ()) });
		my $answered = $r->{status} != 599;
		push @answers, { org_id => $job->{org_id}, job_id => $job->{job_id}, attempt => $job->{attempt},
			status => $answered ? $r->{status} + 0 : 0, body => $answered ? $r->{content} : '',
			retry_after => $r->{headers}{'retry-after'}, error => $answered ? undef : $r->{content} };
	}
	psql("SELECT count(*) FROM vapi_pool.outbox_report(\$answers\$" . $json->encode(\@answers) . "\$answers\$::jsonb)")
	  if @answers;
	return scalar @answers;
}

# Run pool fill with @args while a dispatcher runs; returns (exit, stdout, stderr).
sub fill_with_dispatcher
{
	my (@args) = @_;
	my ($fout, $ferr, $dout) = ('', '', '');
	my @base = ('--database-url=' . $node->connstr('postgres'), '--vapi-base-url=' . $vapi->vapi_url,
		'--webhook-prefix=/hooks');
	local $ENV{VAPI_POOL_VAPI_API_KEY} = $api_key;
	my $dispatcher = $real_dispatcher
	  ? IPC::Run::start([ $shim_bin, 'dispatch', @base ], '<', \undef, '>&', \$dout) : undef;
	my $fill = IPC::Run::start([ $shim_bin, 'pool', 'fill', @args, @base ], '<', \undef, '>', \$fout, '2>', \$ferr);
	my $deadline = time + 90;
	while ($fill->pumpable && time < $deadline)
	{
		dispatch_once() unless $real_dispatcher;
		$fill->pump_nb;
		usleep(200_000);
	}
	$fill->finish;
	my $status = $fill->full_result(0) >> 8;
	if ($dispatcher)
	{
		$dispatcher->signal('TERM');
		$dispatcher->finish;
	}
	note("vapi-shim pool fill @args: exit $status\n$fout$ferr");
	return ($status, $fout, $ferr);
}

psql("UPDATE vapi_pool.brokers SET number_pool_size = 5 WHERE id = '$broker'");
($rc, $out, $err) = shim('pool', 'fill', "--broker=$broker", '--dry-run');
is($rc, 0, 'pool fill --dry-run: exit 0') or diag($err);
like($out, qr/pool size 5, in the pool 3, purchases under way 0, would buy 2/, '... reports the two missing numbers');
is(psql("SELECT count(*) FROM vapi_pool.outbox WHERE kind = 'vapi.buy_number'"), '0', '... and queues nothing');

$since = mark();
($rc, $out, $err) = fill_with_dispatcher("--broker=$broker", '--area-code=310', "--public-url=$public_url",
	'--wait-seconds=60');
is($rc, 0, 'pool fill with a dispatcher running: exit 0') or diag("stdout:\n$out\nstderr:\n$err");
no_key_in('pool fill', $out, $err);
like($out, qr/queued 2 in area code 310/, '... queued the two missing numbers');
my $buys = requests_since($since, method => 'POST', path => '/phone-number');
is(scalar @$buys, 2, 'exactly two numbers bought at the stand-in');
is_deeply([ map { $_->{body}{server}{url} } @$buys ], [ $server_url, $server_url ], '... each with server.url set here');
is_deeply([ map { $_->{body}{numberDesiredAreaCode} } @$buys ], [ '310', '310' ], '... in the area code asked for');
my @bought = map { $_->{number} } grep { $_->{server} && ($_->{name} // '') =~ /^vapi_pool job/ } @{ $vapi->state->{numbers} };
is(scalar @bought, 2, 'the stand-in has the two numbers');
for my $number (@bought)
{
	like($out, qr/^  bought \Q$number\E \(Vapi phone number \S+, job \d+\)$/m, "pool fill reports $number");
}
is( psql("SELECT count(*) FROM vapi_pool.vapi_number_pool WHERE broker_id = '$broker' AND status <> 'retired'
			AND number::text = ANY ('{" . join(',', @bought) . "}')"),
	'2', 'both bought numbers are in the broker\'s pool');
is(psql("SELECT count(*) FROM vapi_pool.vapi_number_pool WHERE broker_id = '$broker'"), '5', 'the pool is full: 5 numbers');
like($out, qr/^2 bought, 0 failed, 0 not finished$/m, '... and the summary says so');

($rc, $out, $err) = shim('pool', 'fill', "--broker=$broker", "--public-url=$public_url");
is($rc, 0, 'pool fill of a full pool: exit 0');
like($out, qr/queued 0.*\nnothing to buy/s, '... buys nothing');

# a vendor refusal: the job is dead, pool fill says why and exits 1
psql("UPDATE vapi_pool.brokers SET number_pool_size = 6 WHERE id = '$broker'");
$vapi->misbehave(method => 'POST', path => '/phone-number', mode => 'status', status => 400, count => -1,
	body => { message => 'No numbers available in area code 310', error => 'Bad Request', statusCode => 400 });
($rc, $out, $err) = fill_with_dispatcher("--broker=$broker", '--area-code=310', "--public-url=$public_url",
	'--wait-seconds=60');
$vapi->clear_misbehave;
is($rc, 1, 'a purchase Vapi refuses (400): exit 1') or diag("stdout:\n$out\nstderr:\n$err");
like($out, qr/job \d+ failed after 1 attempt: HTTP 400: No numbers available in area code 310$/m,
	'... with the status and Vapi\'s message');
like($out, qr/^0 bought, 1 failed, 0 not finished$/m, '... counted as failed');

# no dispatcher: nothing moves, said plainly, exit 1; the job stays queued
($rc, $out, $err) = shim('pool', 'fill', "--broker=$broker", "--public-url=$public_url", '--wait-seconds=2');
is($rc, 1, 'pool fill with no dispatcher running: exit 1');
like($err, qr/nothing moved: no dispatcher picked them up after 2 s/, '... saying that nothing moved');
like($out, qr/job \d+ still pending after 0 attempts/, '... and which job waits');
is(psql("SELECT count(*) FROM vapi_pool.outbox WHERE kind = 'vapi.buy_number' AND state = 'pending'"), '1',
	'... which stays queued for the dispatcher');

$vapi->stop;
done_testing();
