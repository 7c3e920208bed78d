# Backups keep the data (issue 28): pg_dump of a database with rows in every
# table of vapi_pool, restored into a fresh database (custom and plain
# format), into an existing installation (--data-only) and into a database a
# non-superuser owns, gives every table back row for row, with sequences past
# the restored ids and nothing re-redacted, re-added or refused.  On 0.4.0 no
# table came back with a row.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VapiPoolTest qw(new_vapi_node);

my $node = new_vapi_node('dump', create => 0);
my $bindir = $node->config_data('--bindir');
$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql('source', 'CREATE EXTENSION vapi_pool CASCADE');

# ---------------------------------------------------------------- rows in every table, in every state

$node->safe_psql('source', q{
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
INSERT INTO orgs (org_id, name, created_at) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans', '2026-01-05 10:00+00');
-- a clinic created now: it gets the starter terms, and edits them
INSERT INTO orgs (org_id, name, is_clinic, dropoff_sms_enabled) VALUES ('bbbbbbbb-0000-4000-8000-000000000000', 'Bright Smile Clinic', true, true);
UPDATE clinic_terms SET variants = variants || ARRAY['nose fix'] WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000' AND name = 'Rhinoplasty';
DELETE FROM clinic_terms WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000' AND name = 'Veneers';
INSERT INTO clinic_terms (org_id, kind, name, variants) VALUES ('bbbbbbbb-0000-4000-8000-000000000000', 'procedure', 'Gum contouring', ARRAY['gum lift']);
-- the clinic's opening hours, with a lunch break (0.6.0)
INSERT INTO clinic_hours (org_id, weekday, opens, closes) VALUES
	('bbbbbbbb-0000-4000-8000-000000000000', 1, '09:00', '12:00'), ('bbbbbbbb-0000-4000-8000-000000000000', 1, '13:00', '17:00');
INSERT INTO org_members (org_id, user_id, role) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-00000000000a', 'owner'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-00000000000b', 'member'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b0000000-0000-4000-8000-00000000000a', 'admin');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, secondary_phone_e164, number_pool_active, number_pool_size, cal_event_type_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/Los_Angeles', '+14155550101', '+14155550102', true, 4, 501),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001', 'Front Desk', 'America/New_York', '+12125550101', NULL, true, 2, 502);
INSERT INTO territories (org_id, zip, broker_id) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', '90210', 'a1000000-0000-4000-8000-000000000001');
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, primary_phone_e164, email, status) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Pat', 'Quinn', '+14155550123', 'pat@example.com', 'call_requested'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001', 'Sam', 'Roe', '+14155550124', NULL, 'new'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000003', 'a1000000-0000-4000-8000-000000000001', 'Kim', 'Ode', '+14155550125', NULL, 'new'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b2000000-0000-4000-8000-000000000001', 'b1000000-0000-4000-8000-000000000001', 'Ann', 'Lee', '+12125550123', NULL, 'new');
SELECT count(*) FROM (
	SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', ('+1310555019' || n)::e164, 'pn_a' || n) FROM generate_series(1, 4) n
	UNION ALL SELECT add_pool_number('b1000000-0000-4000-8000-000000000001', '+13105550291', 'pn_b1')) s;
SELECT retire_pool_number('+13105550194');
-- the number was retired as burned (0.9.0)
INSERT INTO number_rotations (org_id, broker_id, pool_number_id, number, attempts, answered, sibling_answer_rate,
	reason, retirement)
SELECT org_id, broker_id, id, number, 40, 1, 0.4, 'answered 1 of 40 calls (3%) against 40% of 120 on the broker''s other numbers',
	'retired' FROM vapi_number_pool WHERE number = '+13105550194';
-- assignments: one booked, one whose call completed, one released
SELECT count(*) FROM (SELECT assign_number(id) FROM leads WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000') s;
SELECT record_call_placed((SELECT vapi_assignment_id FROM leads WHERE id = 'a2000000-0000-4000-8000-000000000002'), 'call-sam', 1);
SELECT record_call_ended('call-sam', 'customer-ended-call', now() - interval '3 minutes', now(), 0.12,
	'User: call me at 415 555 0199, my email is sam@example.com', 'Sam wants a rate quote.', NULL, NULL, NULL);
SELECT release_assignment((SELECT vapi_assignment_id FROM leads WHERE id = 'a2000000-0000-4000-8000-000000000003'));
-- calls: a clinic caller whose transcript has a medical history, an unknown caller's report
INSERT INTO vapi_call_logs (org_id, id, lead_id, broker_id, vapi_call_id, direction, status, transcript) VALUES
	('bbbbbbbb-0000-4000-8000-000000000000', 'b5000000-0000-4000-8000-000000000001', 'b2000000-0000-4000-8000-000000000001',
	 'b1000000-0000-4000-8000-000000000001', 'call-ann', 'inbound_from_lead', 'ended',
	 'User: I had rhinoplasty in 2019 and now I would like Botox. Call me on 212 555 0188.');
INSERT INTO dropoff_followups (org_id, lead_id, call_log_id, vapi_call_id, procedures, ending, state) VALUES
	('bbbbbbbb-0000-4000-8000-000000000000', 'b2000000-0000-4000-8000-000000000001', 'b5000000-0000-4000-8000-000000000001',
	 'call-ann', ARRAY['Botox'], 'hung_up', 'open');
SELECT record_call_ended('call-nobody', 'customer-did-not-answer', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
-- appointments: held, booked, cancelled
SELECT confirm_slot(claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000001',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001'), 'cal-booked');
SELECT claim_slot_atomic('2031-03-04 16:00+00', 'a2000000-0000-4000-8000-000000000002',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', hold => '1 hour');
SELECT release_slot(claim_slot_atomic('2031-03-04 17:00+00', 'b2000000-0000-4000-8000-000000000001',
	'bbbbbbbb-0000-4000-8000-000000000000'), 'caller_gave_up');
-- Instantly: a campaign and a reply asking for a call
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, name, broker_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d',
	 'Spring refi', 'a1000000-0000-4000-8000-000000000001');
SELECT handle_instantly_event(jsonb_build_object('event_type', 'reply_received', 'timestamp', '2026-11-20T18:02:11Z',
	'workspace', '51c0231c-9645-46c3-992a-ec88b782136d', 'campaign_id', '1e24d68f-3645-42ac-a253-8b64ee61feee',
	'lead_email', 'lee@example.com', 'email_id', 'e-1', 'reply_subject', 'Re: rates',
	'reply_text', 'Yes please call me at (415) 555-0177 after 5pm.'));
-- the outbox in several states, the inbox, the assistants
UPDATE outbox SET state = 'dead', last_error = 'HTTP 400: refused', finished_at = now()
WHERE id = (SELECT min(id) FROM outbox);
INSERT INTO vapi_assistants (role, vapi_assistant_id, definition_sha256) VALUES ('intake', 'asst_barbara', repeat('ab', 32));
SET vapi_pool.intake_assistant_id = 'asst_barbara';
SELECT (receive_webhook('vapi', '{"message": {"type": "assistant-request", "call": {"id": "call-in-1",
	"phoneNumber": {"number": "+13105550191"}, "customer": {"number": "+16505550111"}}}}')).state;
SELECT (receive_webhook('vapi', '{"message": {"type": "status-update", "status": "ringing", "call": {"id": "call-in-2"}}}')).state;
-- the times a check offered in a call (0.6.0)
SELECT offer_free_slots('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'call-in-1',
	'America/Los_Angeles', '{"data": {"2031-11-25": [{"start": "2031-11-25T09:00:00.000-08:00", "end": "2031-11-25T09:45:00.000-08:00"}]}}');
-- calling rules, do-not-call lists, consent, an erasure (0.7.0)
INSERT INTO calling_holidays (org_id, day, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', '2031-12-25', 'Christmas');
SELECT newly_added FROM record_opt_out('aaaaaaaa-0000-4000-8000-000000000000', '+15125550100', 'assistant', 'asked on a call');
INSERT INTO do_not_call_global (phone, reason, source) VALUES ('+15125550101', 'national registry', 'import');
INSERT INTO lead_consents (org_id, lead_id, kind, source_id, evidence) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'form', 'web-7', 'Call me about refinancing.');
SELECT (forget_contact('a2000000-0000-4000-8000-000000000003')).lead_id IS NOT NULL;
});

# Every table of the extension, with a fingerprint of its rows.
my @tables = split /\n/, $node->safe_psql('source', q{
SELECT c.relname FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vapi_pool') AND c.relkind = 'r' ORDER BY 1});
my @sequences = split /\n/, $node->safe_psql('source', q{
SELECT c.relname FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vapi_pool') AND c.relkind = 'S' ORDER BY 1});
ok(@tables >= 17, scalar(@tables) . ' tables: ' . join(' ', @tables));

sub fingerprint
{
	my ($db) = @_;
	my %f;
	for my $t (@tables)
	{
		$f{$t} = $node->safe_psql($db,
			"SELECT count(*) || ' ' || coalesce(md5(string_agg(r::text, '|' ORDER BY r::text)), '') FROM vapi_pool.$t r");
	}
	for my $s (@sequences)
	{
		$f{$s} = $node->safe_psql($db, "SELECT last_value FROM vapi_pool.$s");
	}
	return \%f;
}

my $source = fingerprint('source');
for my $t (@tables)
{
	unlike($source->{$t}, qr/^0 /, "the source has rows in $t");
}
my $history = $node->safe_psql('source',
	"SELECT redacted_medical_history FROM vapi_pool.leads WHERE id = 'b2000000-0000-4000-8000-000000000001'");
like($history, qr/rhinoplasty/i, "the clinic caller's medical history was moved to the lead");

# Restore stdout/stderr of a command, and whether it succeeded.
sub run_cmd
{
	my @cmd = @_;
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(\@cmd, '>', \$out, '2>', \$err);
	return ($ok, $out . $err);
}

sub same_as_source
{
	my ($db, $what) = @_;
	my $restored = fingerprint($db);
	for my $t (@tables)
	{
		is($restored->{$t}, $source->{$t}, "$what: $t row for row");
	}
	for my $s (@sequences)
	{
		is($restored->{$s}, $source->{$s}, "$what: sequence $s where it was");
	}
}

my $dump = $node->basedir . '/source.dump';
my ($ok, $log) = run_cmd("$bindir/pg_dump", '-d', $node->connstr('source'), '-Fc', '-f', $dump);
ok($ok, 'pg_dump -Fc') or diag($log);
unlike($log, qr/circular foreign-key/, '... with no circular foreign keys among the tables');

# ---------------------------------------------------------------- into a fresh database

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
($ok, $log) = run_cmd("$bindir/pg_restore", '-d', $node->connstr('fresh'), '--exit-on-error', $dump);
ok($ok, 'pg_restore into a fresh database, no error') or diag($log);
same_as_source('fresh', 'custom format');
is($node->safe_psql('fresh', "SELECT nextval('vapi_pool.outbox_id_seq') > (SELECT max(id) FROM vapi_pool.outbox)"),
	't', '... new outbox ids come after the restored ones');
# the restored system goes on working: a new assignment, a new clinic with starter terms
is($node->safe_psql('fresh', q{
	SELECT number FROM vapi_pool.add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550199', 'pn_a9');
	SELECT (vapi_pool.assign_number('a2000000-0000-4000-8000-000000000003')).status}), "+13105550199\nbooked",
	'... and assigns numbers');
is($node->safe_psql('fresh', q{
	INSERT INTO vapi_pool.orgs (org_id, name, is_clinic) VALUES ('cccccccc-0000-4000-8000-000000000000', 'New Clinic', true);
	SELECT count(*) > 0 FROM vapi_pool.clinic_terms WHERE org_id = 'cccccccc-0000-4000-8000-000000000000'}), 't',
	'... and a clinic created after the restore gets the starter terms');

# ---------------------------------------------------------------- plain format through psql

my $plain = $node->basedir . '/source.sql';
($ok, $log) = run_cmd("$bindir/pg_dump", '-d', $node->connstr('source'), '-f', $plain);
ok($ok, 'pg_dump, plain format') or diag($log);
$node->safe_psql('postgres', 'CREATE DATABASE plain');
($ok, $log) = run_cmd("$bindir/psql", '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('plain'), '-f', $plain);
ok($ok, 'psql -f of the plain dump, no error') or diag($log);
same_as_source('plain', 'plain format');

# ---------------------------------------------------------------- --data-only into an existing installation

$node->safe_psql('postgres', 'CREATE DATABASE existing');
$node->safe_psql('existing', 'CREATE EXTENSION vapi_pool CASCADE');
($ok, $log) = run_cmd("$bindir/pg_restore", '-d', $node->connstr('existing'), '--data-only', '--exit-on-error', $dump);
ok($ok, 'pg_restore --data-only into an existing installation') or diag($log);
same_as_source('existing', 'data only');

# ---------------------------------------------------------------- a database a non-superuser owns

$node->safe_psql('postgres', q{
	CREATE ROLE app_owner LOGIN CREATEROLE;
	CREATE DATABASE owned OWNER app_owner});
($ok, $log) = run_cmd("$bindir/pg_restore", '-d', $node->connstr('owned'), '--no-owner', '--exit-on-error', $dump);
ok($ok, 'pg_restore into a database owned by a non-superuser') or diag($log);
same_as_source('owned', 'owned by app_owner');

# ---------------------------------------------------------------- --data-only by a role that is not a superuser

# As on Supabase: the platform's superuser created the extension, and the
# project's own role (here a member of service_role, with BYPASSRLS like
# Supabase's postgres) loads the data.
$node->safe_psql('postgres', q{
	CREATE ROLE project_admin LOGIN BYPASSRLS;
	GRANT service_role TO project_admin;
	CREATE DATABASE project OWNER project_admin});
$node->safe_psql('project', 'CREATE EXTENSION vapi_pool CASCADE');
($ok, $log) = run_cmd("$bindir/pg_restore", '-d', $node->connstr('project') . ' user=project_admin',
	'--data-only', '--no-owner', '--exit-on-error', $dump);
ok($ok, 'pg_restore --data-only by a non-superuser member of service_role') or diag($log);
same_as_source('project', 'data only, not a superuser');

$node->stop;
done_testing();
