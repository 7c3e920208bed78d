# 008_supabase.pl
#   vapi_pool in a Supabase-shaped database (issue 21).
#
# t/fixtures/supabase/supabase_database.sql gives a fresh cluster what a
# Supabase database has before any user extension: the roles (supabase_admin,
# a postgres that is not a superuser, authenticator NOINHERIT with anon,
# authenticated and service_role, service_role BYPASSRLS, supabase_auth_admin),
# schemas extensions (uuid-ossp, pgcrypto) and auth (owned by supabase_admin,
# its functions by supabase_auth_admin), and auth.uid(), auth.role(),
# auth.email(), auth.jwt() reading the request's claims as Supabase's do.
# Then, in that database:
#
#   * CREATE EXTENSION vapi_pool CASCADE by supabase_admin, the role Supabase
#     creates extensions with; postgres, not a superuser, is refused (the
#     extension is not trusted: docs/architecture.md says why);
#   * every function the README documents, called as PostgREST calls an RPC:
#     signed in as authenticator, the role switched with
#     set_config('role', ..., true), the claims in request.jwt.claims, the
#     search_path set to the exposed schema, the arguments by name from the
#     JSON body (json_to_record with the parameters' types) and the answer
#     as JSON.  Functions only the service may call refuse authenticated;
#     those only a superuser may call refuse both;
#   * row level security with auth.uid() as the identity: a member sees her
#     organisation's rows when only the older per-claim setting
#     (request.jwt.claim.sub, which auth.uid() reads and vapi_pool's own
#     fallback does not) names her, and service_role sees every row;
#   * pg_dump of the whole database with data in it, the roles carried over
#     with pg_dumpall --roles-only, and pg_restore into a fresh cluster: every
#     table of vapi_pool comes back row for row, every sequence where it was, the
#     pg_cron jobs, and the RPCs answer there as before.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::Local ();
use JSON::PP;
use FindBin;
use lib "$FindBin::RealBin/lib";
use VapiPoolTest qw(new_vapi_node source_dir);

my $json = JSON::PP->new->allow_nonref->canonical;
my $fixture = slurp_file(source_dir() . '/t/fixtures/supabase/supabase_database.sql');

my $A  = 'aaaaaaaa-0000-4000-8000-000000000000';    # Acme Home Loans
my $B  = 'bbbbbbbb-0000-4000-8000-000000000000';    # Bright Smile Clinic
my $uA = 'a0000000-0000-4000-8000-00000000000a';    # Acme's owner
my $uB = 'b0000000-0000-4000-8000-00000000000a';    # the clinic's owner
my $bA = 'a1000000-0000-4000-8000-000000000001';    # broker Dana Lee
my $bB = 'b1000000-0000-4000-8000-000000000001';    # the clinic's front desk
my $lP = 'a2000000-0000-4000-8000-000000000001';    # lead Pat Quinn
my $lS = 'a2000000-0000-4000-8000-000000000002';    # lead Sam Roe
my $lB = 'b2000000-0000-4000-8000-000000000001';    # patient Ann Lee

my $node = new_vapi_node('supabase', create => 0);

# Run SQL as a role of the cluster (default supabase_admin).
sub sql_as
{
	my ($n, $role, $sql) = @_;
	return $n->safe_psql('postgres', $sql, extra_params => [ '-U', $role ]);
}

# ---------------------------------------------------------------- the database, and the extension

$node->safe_psql('postgres', $fixture);
is( sql_as($node, 'supabase_admin', q{
SELECT string_agg(format('%s:%s:%s', rolname, rolsuper, rolbypassrls), ' ' ORDER BY rolname)
FROM pg_roles WHERE rolname IN ('supabase_admin', 'postgres', 'anon', 'authenticated', 'service_role', 'authenticator')}),
	'anon:f:f authenticated:f:f authenticator:f:f postgres:f:t service_role:f:t supabase_admin:t:t',
	'the fixture: Supabase\'s roles, only supabase_admin a superuser');

is( sql_as($node, 'supabase_admin', q{
SELECT string_agg(o, ' ' ORDER BY o COLLATE "C") FROM (
  SELECT nspname || ':' || pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname IN ('auth', 'extensions')
  UNION ALL SELECT p.oid::regprocedure || ':' || pg_get_userbyid(p.proowner) FROM pg_proc p WHERE p.pronamespace = 'auth'::regnamespace
  UNION ALL SELECT extname || ':' || extnamespace::regnamespace FROM pg_extension WHERE extname IN ('pgcrypto', 'uuid-ossp')) s(o)}),
	'auth.email():supabase_auth_admin auth.jwt():supabase_auth_admin auth.role():supabase_auth_admin '
	  . 'auth.uid():supabase_auth_admin auth:supabase_admin extensions:supabase_admin pgcrypto:extensions uuid-ossp:extensions',
	'... schemas auth and extensions owned as Supabase owns them, its extensions in extensions');

# Supabase enables pg_cron from its dashboard, as supabase_admin.
sql_as($node, 'supabase_admin', 'CREATE EXTENSION pg_cron; GRANT USAGE ON SCHEMA cron TO postgres');

# postgres, the project owner's role, is not a superuser: refused.
sql_as($node, 'supabase_admin', 'CREATE DATABASE scratch OWNER postgres');
my ($rc, $out, $err) = $node->psql('scratch', "\\set VERBOSITY verbose\nCREATE EXTENSION vapi_pool CASCADE",
	extra_params => [ '-U', 'postgres' ]);
like($err, qr/ERROR:  42501: permission denied to create extension "vapi_pool"/,
	'postgres (not a superuser) may not create vapi_pool: it is not a trusted extension');

sql_as($node, 'supabase_admin', 'CREATE EXTENSION vapi_pool CASCADE');
is( sql_as($node, 'supabase_admin', q{
SELECT e.extname || ':' || pg_get_userbyid(e.extowner) || ':' || n.nspname
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname IN ('vapi_pool', 'btree_gist') ORDER BY 1}),
	"btree_gist:supabase_admin:public\nvapi_pool:supabase_admin:vapi_pool",
	'CREATE EXTENSION vapi_pool CASCADE by supabase_admin: btree_gist comes with it');
is( sql_as($node, 'supabase_admin', q{
SELECT pg_get_userbyid(nspowner), (SELECT count(*) FROM unnest(ARRAY['postgres', 'anon', 'authenticated', 'service_role', 'authenticator']) r
  WHERE has_schema_privilege(r, 'vapi_pool', 'CREATE'))
FROM pg_namespace WHERE nspname = 'vapi_pool'}),
	'supabase_admin|0', 'schema vapi_pool belongs to supabase_admin and no API role may create in it');

# ---------------------------------------------------------------- the organisations' data, as the platform would load it

sql_as($node, 'supabase_admin', qq{
INSERT INTO auth.users (id, email, role, aud) VALUES
	('$uA', 'dana\@acme.example', 'authenticated', 'authenticated'),
	('$uB', 'desk\@brightsmile.example', 'authenticated', 'authenticated');
INSERT INTO vapi_pool.orgs (org_id, name) VALUES ('$A', 'Acme Home Loans');
INSERT INTO vapi_pool.orgs (org_id, name, is_clinic) VALUES ('$B', 'Bright Smile Clinic', true);
INSERT INTO vapi_pool.org_members (org_id, user_id, role) VALUES ('$A', '$uA', 'owner'), ('$B', '$uB', 'owner');
INSERT INTO vapi_pool.brokers (org_id, id, name, timezone, primary_phone_e164, secondary_phone_e164, number_pool_active) VALUES
	('$A', '$bA', 'Dana Lee', 'America/Los_Angeles', '+14155550101', '+14155550102', true),
	('$B', '$bB', 'Front Desk', 'America/New_York', '+12125550101', NULL, true);
INSERT INTO vapi_pool.territories (org_id, zip, broker_id) VALUES ('$A', '90210', '$bA'), ('$B', '10001', '$bB');
INSERT INTO vapi_pool.leads (org_id, id, broker_id, first_name, last_name, primary_phone_e164) VALUES
	('$A', '$lP', '$bA', 'Pat', 'Quinn', '+14155550123'),
	('$A', '$lS', '$bA', 'Sam', 'Roe', '+14155550124'),
	('$B', '$lB', '$bB', 'Ann', 'Lee', '+12125550123');
INSERT INTO vapi_pool.lead_consents (org_id, lead_id, kind, source_id) VALUES ('$A', '$lP', 'form', 'web-form-17');
INSERT INTO vapi_pool.instantly_campaigns (org_id, campaign_id, workspace_id, name, broker_id)
	VALUES ('$A', '2b4d6f8a-0c1e-4a3b-8d5f-7e9a1b3c5d7f', '7a0e2c4b-1d3f-4e5a-9b8c-0d1e2f3a4b5c', 'Tour - Refinance', '$bA');
});

# ---------------------------------------------------------------- RPC, the PostgREST way

my %signature;

# The parameters (name => type) and the shape of the answer of a function of
# schema vapi_pool, as PostgREST's schema cache reads them.
sub signature
{
	my ($n, $fn) = @_;
	return $signature{$fn} //= do {
		my $rows = sql_as($n, 'supabase_admin', qq{
SELECT coalesce(a.n, ''), format_type(a.ty, NULL)
FROM pg_proc p, unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]), p.proargnames,
	coalesce(p.proargmodes, array_fill('i'::"char", ARRAY[p.pronargs]))) AS a(ty, n, m)
WHERE p.oid = 'vapi_pool.$fn'::regproc AND a.m IN ('i', 'b')});
		# a set (an array), one row (an object: a composite type or OUT
		# parameters), or a scalar
		my $shape = sql_as($n, 'supabase_admin', qq{
SELECT CASE WHEN p.proretset THEN 'set' WHEN t.typtype = 'c' OR p.prorettype = 'record'::regtype THEN 'row' ELSE 'scalar' END
FROM pg_proc p JOIN pg_type t ON t.oid = p.prorettype WHERE p.oid = 'vapi_pool.$fn'::regproc});
		{ params => { map { split /\|/ } split /\n/, $rows }, shape => $shape };
	};
}

sub quote_literal { my $s = shift; $s =~ s/'/''/g; return "'$s'"; }

# POST /rpc/<fn> with a JSON body (a hash of named arguments, or a string for
# a function of one unnamed text parameter) by a request of ROLE with CLAIMS:
# the SQL PostgREST sends, run as authenticator, with the search_path
# Supabase's PostgREST sets (the exposed schema, then db-extra-search-path:
# public, extensions), and the answer shaped as PostgREST shapes it (an
# array for a set, an object for one row, the value for a scalar).  Returns
# { body => decoded JSON } or { sqlstate => ..., error => ... }.
sub rpc
{
	my ($n, $role, $claims, $fn, $args) = @_;
	my $sig = signature($n, $fn);
	my $call;
	if (ref $args)
	{
		my @names = sort keys %$args;
		for (@names) { die "$fn has no parameter $_" unless $sig->{params}{$_}; }
		my $record = join(', ', map { qq{"$_" $sig->{params}{$_}} } @names);
		my $named  = join(', ', map { qq{"$_" := _args."$_"} } @names);
		my $from = @names
		  ? 'FROM json_to_record(' . quote_literal($json->encode($args)) . "::json) AS _args($record)"
		  : '';
		my $rows = $from . ($from ? ', ' : 'FROM ') . qq{"vapi_pool"."$fn"($named) AS _r};
		$call =
		    $sig->{shape} eq 'set' ? qq{SELECT coalesce(json_agg(_r), '[]')::text $rows}
		  : $sig->{shape} eq 'row' ? qq{SELECT coalesce(json_agg(_r) -> 0, 'null')::text $rows}
		  :                          qq{SELECT to_json("vapi_pool"."$fn"($named))::text $from};
	}
	else
	{
		$call = qq{SELECT to_json("vapi_pool"."$fn"(} . quote_literal($args) . '::text))::text';
	}
	my $settings = join(', ',
		"set_config('search_path', 'vapi_pool, public, extensions', true)",
		"set_config('role', '$role', true)",
		"set_config('request.jwt.claims', " . quote_literal($json->encode($claims)) . ', true)',
		"set_config('request.method', 'POST', true)",
		"set_config('request.path', '/rpc/$fn', true)");
	my ($rc, $out, $err) = $n->psql('postgres',
		"\\set VERBOSITY verbose\nBEGIN;\nSELECT $settings \\g /dev/null\n$call;\nCOMMIT;\n",
		extra_params => [ '-U', 'authenticator' ]);
	return { body => $json->decode($out) } if $rc == 0;
	return { sqlstate => ($err =~ /ERROR:\s+([0-9A-Z]{5}):/ ? $1 : 'none'), error => $err };
}

my %member_A = (role => 'authenticated', claims => { sub => $uA, role => 'authenticated' });
my %member_B = (role => 'authenticated', claims => { sub => $uB, role => 'authenticated' });
my %service  = (role => 'service_role', claims => { role => 'service_role' });
my %anon     = (role => 'anon', claims => { role => 'anon' });

my %called;    # function => 1 once a case calls it

# One RPC that must answer: CHECK gets the body and returns true.
sub answers
{
	my ($who, $fn, $args, $check, $name) = @_;
	$called{$fn} = 1;
	my $r = rpc($node, $who->{role}, $who->{claims}, $fn, $args);
	ok(!defined $r->{sqlstate} && $check->($r->{body}), "$who->{role}: $fn: $name")
	  or diag(defined $r->{sqlstate} ? $r->{error} : 'body: ' . $json->encode($r->{body}));
	return $r->{body};
}

# Seconds since the epoch of a JSON timestamptz ("2031-03-11T17:00:00-04:00"); -1 if it is not one.
sub utc_epoch
{
	my ($ts) = @_;
	return -1
	  unless defined $ts && !ref $ts
	  && $ts =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|([+-])(\d\d)(?::?(\d\d))?)$/;
	my $t = Time::Local::timegm($6, $5, $4, $3, $2 - 1, $1);
	$t -= ($8 eq '-' ? -1 : 1) * ($9 * 3600 + ($10 // 0) * 60) if $7 ne 'Z';
	return $t;
}

# One RPC that must be refused with SQLSTATE.
sub refused
{
	my ($who, $fn, $args, $sqlstate, $name) = @_;
	my $r = rpc($node, $who->{role}, $who->{claims}, $fn, $args);
	is($r->{sqlstate} // 'answered: ' . $json->encode($r->{body}), $sqlstate, "$who->{role}: $fn: $name");
}

# What anyone may call
answers(\%anon, 'e164_parse', { number => '(415) 555-2671' }, sub { $_[0] eq '+14155552671' }, 'a national number read');
answers(\%anon, 'redact_pii', 'Call me at (415) 555-0123 or pat@example.com',
	sub { $_[0] eq 'Call me at [PHONE] or [EMAIL]' }, 'one unnamed text parameter, the raw body');
answers(\%anon, 'redact_pii_at', { t => 'User: call 02079460958, born 3/14/1985, consult 3/3/2027', region => 'GB', as_of => '2026-12-07' },
	sub { $_[0] eq 'User: call [PHONE], born [DOB], consult 3/3/2027' }, 'named arguments: a region and a day');
answers(\%anon, 'classify_reply', { reply_text => 'Sure, call me at 415-555-0177 after 5pm' },
	sub { $_[0]{intent} eq 'call_requested' && $_[0]{phone} eq '+14155550177' }, 'intent and number');
# "after 5pm", sent at 10:05 in New York on 2031-03-11: 17:00 there, 21:00 UTC, whatever the session's zone.
answers(\%anon, 'reply_call_time',
	{ reply_text => 'Sure, call me after 5pm', received_at => '2031-03-11T14:05:00Z', zone => 'America/New_York' },
	sub { utc_epoch($_[0]) == utc_epoch('2031-03-11T21:00:00+00:00') }, 'the time a reply asks for');

# A signed-in member: her organisation's data, through her claims
answers(\%member_A, 'supabase_query', { query_type => 'find_broker_by_zip', identifier => '90210' },
	sub { ($_[0]{broker}{name} // '') eq 'Dana Lee' }, 'her broker by zip');
answers(\%member_B, 'supabase_query', { query_type => 'find_broker_by_zip', identifier => '90210' },
	sub { !defined $_[0]{broker} || ($_[0]{broker}{name} // '') ne 'Dana Lee' }, 'another organisation\'s broker is not found');
answers(\%member_A, 'add_pool_number', { broker_id => $bA, number => '+13105550191', vapi_phone_number_id => 'pn_1' },
	sub { $_[0]{number} eq '+13105550191' }, 'a number for her broker');
answers(\%member_A, 'add_pool_number', { broker_id => $bA, number => '+13105550192', vapi_phone_number_id => 'pn_2' },
	sub { $_[0]{number} eq '+13105550192' }, 'a second one');
refused(\%member_B, 'add_pool_number', { broker_id => $bA, number => '+13105550193', vapi_phone_number_id => 'pn_3' },
	'P0002', 'another organisation\'s broker is not found');
answers(\%member_A, 'number_timezones', { phone => '+14155550123' },
	sub { $json->encode($_[0]) eq '["America/Los_Angeles"]' }, 'a San Francisco number');
answers(\%member_A, 'next_call_time', { org_id => $A, lead_id => $lP, phone => '+14155550123' },
	sub { defined $_[0] && $_[0] =~ /^\d{4}-\d\d-\d\dT/ }, 'when Pat may be called');

# The service: calls and their reports
refused(\%member_A, 'assign_number', { lead_id => $lP }, '42501', 'a member may not lend numbers');
my $assignment = answers(\%service, 'assign_number', { lead_id => $lP },
	sub { $_[0]{pool_number_id} }, 'a number lent to Pat');
answers(\%service, 'route_inbound', { called => '+13105550191', caller => '+14155550123' },
	sub { $_[0]{action} eq 'forward_to_broker' && "@{$_[0]{destinations}}" eq '+14155550101 +14155550102' },
	'Pat calls her number: Dana\'s phones, in order');
answers(\%service, 'record_call_placed', { assignment_id => $assignment->{id}, vapi_call_id => 'call-1' },
	sub { $_[0]{vapi_call_id} eq 'call-1' }, 'the call placed');
answers(\%service, 'record_call_ended', { vapi_call_id => 'call-1', ended_reason => 'customer-did-not-answer',
	started_at => '2026-12-01T10:00:00Z', ended_at => '2026-12-01T10:00:30Z', cost => 0.01, duration_seconds => 30,
	recording_url => undef, transcript => undef, summary => undef, raw => undef },
	sub { $_[0]{outcome} eq 'no_answer' && $_[0]{next_attempt} == 2 }, 'no answer: a retry queued');
answers(\%service, 'outbox_stats', {}, sub { $_[0]{pending} >= 1 }, 'the retry is in the outbox');
answers(\%service, 'reconcile_stale_calls', {}, sub { ref $_[0] eq 'ARRAY' && @{ $_[0] } == 0 }, 'nothing stale');

# The pool's upkeep (0.9.0): buying numbers, rotating burned ones
refused(\%member_A, 'pool_fill', { broker => $bA, dry_run => JSON::PP::true }, '42501', 'buying numbers is the service\'s');
answers(\%service, 'pool_fill', { broker => $bA, server_url => 'https://voice.example/webhook/vapi', dry_run => JSON::PP::true },
	sub { ref $_[0] eq 'ARRAY' && $_[0][0]{broker_id} eq $bA && defined $_[0][0]{queued} }, 'what a fill of Dana\'s pool would buy');
refused(\%member_A, 'rotate_burned_numbers', {}, '42501', 'rotating numbers is the service\'s');
answers(\%service, 'rotate_burned_numbers', {}, sub { ref $_[0] eq 'ARRAY' && @{ $_[0] } == 0 }, 'no number is burned');

# Slots, as the booking tools claim them
my $slot = '2031-11-25T17:00:00Z';
my $hold = answers(\%member_A, 'claim_slot_atomic', { slot_time => $slot, contact_id => $lP, org_id => $A, broker_id => $bA },
	sub { $_[0] =~ /^[0-9a-f-]{36}$/ }, 'a hold for Pat');
refused(\%member_A, 'claim_slot_atomic', { slot_time => $slot, contact_id => $lS, org_id => $A, broker_id => $bA },
	'23P01', 'the same time for Sam: no double booking');
answers(\%member_A, 'free_slots', { broker_id => $bA, candidate_starts => [ $slot, '2031-11-25T18:00:00Z' ] },
	sub { @{ $_[0] } == 1 && $_[0][0] =~ /^2031-11-25T18:00:00/ }, 'only the later time is free');
answers(\%member_A, 'confirm_slot', { hold_id => $hold, cal_booking_uid => 'bk_1' },
	sub { $_[0]{status} eq 'booked' }, 'the hold confirmed by its Cal.com booking');
answers(\%member_A, 'release_slot', { hold_id => $hold },
	sub { $_[0]{status} eq 'cancelled' }, 'and released');
refused(\%member_A, 'offer_free_slots', { org_id => $A, broker_id => $bA, vapi_call_id => 'call-9',
	timezone => 'America/Los_Angeles', slots => { status => 'success', data => {} } }, '42501', 'offers are the service\'s');
answers(\%service, 'offer_free_slots', { org_id => $A, broker_id => $bA, vapi_call_id => 'call-9',
	timezone => 'America/Los_Angeles', slots => { status => 'success', data => { '2031-11-26' =>
	[ { start => '2031-11-26T09:00:00.000-08:00', end => '2031-11-26T09:30:00.000-08:00' } ] } } },
	sub { $_[0] =~ /Wednesday/ && $_[0] =~ /\b9\b/ }, 'the times a call may offer, in words');

# The clinic, Instantly, webhooks, opt-outs and erasure
answers(\%member_B, 'detect_dropoff', { transcript => "User: How much is Botox?\nAI: It depends on the areas.\nUser: Oh, I",
	ended_reason => 'customer-ended-call', booked => JSON::PP::false, org_id => $B },
	sub { $_[0]{is_dropoff} && "@{$_[0]{procedures}}" eq 'Botox' }, 'a caller lost mid-question');
my $reply = $json->decode(slurp_file(source_dir() . '/t/fixtures/instantly-reply.json'));
$reply->{lead_email} = $reply->{email} = 'pat@example.com';
sql_as($node, 'supabase_admin', "UPDATE vapi_pool.leads SET email = 'pat\@example.com' WHERE id = '$lP'");
refused(\%member_A, 'handle_instantly_event', { payload => $reply }, '42501', 'Instantly events are the service\'s');
answers(\%service, 'handle_instantly_event', { payload => $reply },
	sub { $_[0]{intent} eq 'call_requested' && $_[0]{lead_id} eq $lP }, 'Pat\'s reply asks for a call');
$reply->{email_id} = '01a2b3c4-d5e6-7f80-9a1b-2c3d4e5f6a7c';
answers(\%service, 'receive_webhook', { source => 'instantly', payload => $reply },
	sub { $_[0]{http_status} == 200 && $_[0]{state} eq 'processed' }, 'a webhook stored once and answered');
answers(\%service, 'receive_webhooks', { sources => [ 'instantly', 'instantly' ],
		payloads => [ $json->encode($reply), $json->encode({ %$reply, email_id => 'another-reply' }) ] },
	sub { ref $_[0] eq 'ARRAY' && @{ $_[0] } == 2 && $_[0][0]{duplicate} && $_[0][1]{ordinal} == 2 },
	'a group of two webhooks: the first a redelivery, answered in order');
refused(\%member_A, 'receive_webhooks', { sources => ['vapi'], payloads => ['{}'] }, '42501', 'groups are the service\'s');
answers(\%service, 'record_opt_out', { org_id => $A, phone => '+14155550124', source => 'operator' },
	sub { $_[0]{newly_added} && $_[0]{leads_marked} == 1 }, 'Sam asked not to be called');
refused(\%member_B, 'forget_contact', { lead_id => $lS }, '42501', 'not another organisation\'s contact');
answers(\%member_A, 'forget_contact', { lead_id => $lS }, sub { $_[0]{lead_id} eq $lS }, 'Sam erased by his organisation\'s owner');
answers(\%service, 'purge_personal_data', {}, sub { ref $_[0] eq 'ARRAY' && @{ $_[0] } > 0 }, 'retention applied');

# What only a superuser may do: pg_cron jobs
for my $fn ('schedule_maintenance', 'schedule_inbox_purge')
{
	$called{$fn} = 1;
	refused(\%member_A, $fn, {}, '42501', 'a member may not schedule jobs');
	refused(\%service, $fn, {}, '42501', 'nor may the service');
}
like(sql_as($node, 'supabase_admin', 'SELECT string_agg(job_name, \' \' ORDER BY job_name) FROM vapi_pool.schedule_maintenance()'),
	qr/vapi_pool\.release_expired/, 'supabase_admin schedules the maintenance jobs');
sql_as($node, 'supabase_admin', 'SELECT * FROM vapi_pool.schedule_inbox_purge()');

# Every function the README documents was called above.
{
	my $readme = slurp_file(source_dir() . '/README.md');
	my %words = map { $_ => 1 } $readme =~ /\b([a-z][a-z0-9_]+)\b/g;
	my @documented = grep { $words{$_} } split /\n/, sql_as($node, 'supabase_admin',
		q{SELECT DISTINCT proname FROM pg_proc WHERE pronamespace = 'vapi_pool'::regnamespace AND prokind = 'f'
		  AND prorettype <> 'trigger'::regtype ORDER BY 1});
	my @missed = grep { !$called{$_} } @documented;
	cmp_ok(scalar(@documented), '>=', 25, 'the README documents functions (' . scalar(@documented) . ')');
	is("@missed", '', 'every function the README documents is called above as an RPC');
}

# ---------------------------------------------------------------- RLS: auth.uid() is the identity

# Only the per-claim setting of older PostgREST releases: auth.uid() reads
# it, the claims fallback of vapi_pool.auth_uid() would not.
my $rls = sub {
	my ($setting) = @_;
	return $node->safe_psql('postgres', qq{
BEGIN;
SET LOCAL ROLE authenticated;
$setting
SELECT coalesce(vapi_pool.auth_uid()::text, 'nobody') || ' '
	|| coalesce((SELECT string_agg(first_name, ',' ORDER BY first_name) FROM vapi_pool.leads), 'no-leads')
	|| ' ' || (SELECT count(*) FROM vapi_pool.brokers);
COMMIT;}, extra_params => [ '-U', 'authenticator' ]);
};
is($rls->("SELECT set_config('request.jwt.claim.sub', '$uB', true) \\g /dev/null"), "$uB Ann 1",
	'auth.uid() names the clinic\'s owner: her patient and her broker only');
is($rls->("SELECT set_config('request.jwt.claims', '{\"sub\": \"$uA\", \"role\": \"authenticated\"}', true) \\g /dev/null"),
	"$uA Pat 1", 'request.jwt.claims names Acme\'s owner: Acme\'s leads only (Sam was erased)');
is($rls->(''), 'nobody no-leads 0', 'no claims: no identity, no rows');
is( $node->safe_psql('postgres', q{
BEGIN; SET LOCAL ROLE service_role;
SELECT (SELECT count(*) FROM vapi_pool.leads) || ' ' || (SELECT count(*) FROM vapi_pool.orgs);
COMMIT;}, extra_params => [ '-U', 'authenticator' ]),
	'3 2', 'service_role (BYPASSRLS) sees every organisation');
my ($rc2, $o2, $e2) = $node->psql('postgres', "\\set VERBOSITY verbose\nBEGIN; SET LOCAL ROLE anon; SELECT count(*) FROM vapi_pool.leads; COMMIT;",
	extra_params => [ '-U', 'authenticator' ]);
like($e2, qr/ERROR:  42501/, 'anon reads no table');

# ---------------------------------------------------------------- backups: pg_dump, pg_restore

# What Pat's lookup and her call answer before the dump (her reply gave a
# new number: the lead has it now).
my $pat_phone = sql_as($node, 'supabase_admin', "SELECT primary_phone_e164 FROM vapi_pool.leads WHERE id = '$lP'");
my @after_restore = (
	[ \%member_A, 'supabase_query', { query_type => 'get_lead_details', identifier => $pat_phone } ],
	[ \%member_B, 'supabase_query', { query_type => 'get_lead_details', identifier => $pat_phone } ],
	[ \%service, 'route_inbound', { called => '+13105550191', caller => $pat_phone } ]);
for my $case (@after_restore)
{
	my ($who, $fn, $args) = @$case;
	my $r = rpc($node, $who->{role}, $who->{claims}, $fn, $args);
	push @$case, $r->{sqlstate} // $json->encode($r->{body});
}
like($after_restore[0][3], qr/"found":true.*"name":"Pat Quinn"/, 'Pat found by her organisation before the dump');
like($after_restore[1][3], qr/"found":false/, '... and not by the clinic');
like($after_restore[2][3], qr/"action":"forward_to_broker"/, 'her call routed to Dana before the dump');

my $bindir = $node->config_data('--bindir');
my $tmp = PostgreSQL::Test::Utils::tempdir();
my $tables = q{SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'vapi_pool'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1};
my $counts_sql = qq{
SELECT string_agg(format('%s=%s', t, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM vapi_pool.%I', t), false, true, '')))[1]::text), ' ' ORDER BY t)
FROM ($tables) s(t)};
my $before = sql_as($node, 'supabase_admin', $counts_sql);
my $jobs_sql = q{SELECT string_agg(jobname || ' ' || schedule || ' ' || username, ', ' ORDER BY jobname) FROM cron.job};
my $jobs_before = sql_as($node, 'supabase_admin', $jobs_sql);
my $sequences = q{SELECT string_agg(sequencename || '=' || coalesce(last_value::text, '-'), ' ' ORDER BY sequencename)
FROM pg_sequences WHERE schemaname = 'vapi_pool'};
my $sequences_before = sql_as($node, 'supabase_admin', $sequences);

command_ok([ "$bindir/pg_dumpall", '--roles-only', '-h', $node->host, '-p', $node->port, '-U', 'supabase_admin',
	'-f', "$tmp/roles.sql" ], 'pg_dumpall --roles-only');
command_ok([ "$bindir/pg_dump", '-Fc', '-h', $node->host, '-p', $node->port, '-U', 'supabase_admin',
	'-f', "$tmp/postgres.dump", 'postgres' ], 'pg_dump -Fc of the whole database');

my $restored = new_vapi_node('supabase_restored', create => 0);
# (its CREATE ROLE of the cluster's bootstrap superuser fails: it exists)
my ($rrc, $rout, $rerr) = $restored->psql('postgres', slurp_file("$tmp/roles.sql"), on_error_stop => 0);
is(sql_as($restored, 'supabase_admin', q{SELECT rolsuper FROM pg_roles WHERE rolname = 'supabase_admin'}), 't',
	'the roles carried over') or diag($rerr);
command_ok([ "$bindir/pg_restore", '--exit-on-error', '-h', $restored->host, '-p', $restored->port, '-U', 'supabase_admin',
	'-d', 'postgres', "$tmp/postgres.dump" ], 'pg_restore into a fresh cluster, without an error');
my $after = sql_as($restored, 'supabase_admin', $counts_sql);
is($after, $before, 'every table of vapi_pool comes back row for row');
cmp_ok(scalar(() = $before =~ /=[1-9]/g), '>=', 15, 'with rows in many tables');
is(sql_as($restored, 'supabase_admin', $jobs_sql), $jobs_before, 'the pg_cron jobs come back');
is(sql_as($restored, 'supabase_admin', $sequences), $sequences_before, 'every sequence goes on where it was');
# The same RPCs answer the same on the restored database.
for my $case (@after_restore)
{
	my ($who, $fn, $args, $want) = @$case;
	my $r = rpc($restored, $who->{role}, $who->{claims}, $fn, $args);
	is($r->{sqlstate} // $json->encode($r->{body}), $want, "restored: $who->{role}: $fn answers as before");
}

$restored->stop;
$node->stop;
done_testing();
