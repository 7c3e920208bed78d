# 050_pool_maintenance.pl
#   The pg_cron housekeeping of the number pool: schedule_maintenance()
#   registers its jobs (the release, the sweep of late call reports and the
#   purge of personal data past its retention) idempotently, fails with SQLSTATE 55000 where pg_cron
#   is not installed, and pg_cron really runs the job: overdue assignments
#   are released, as the user who scheduled the job, and a later run with
#   nothing to release succeeds too.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VapiPoolTest qw(new_vapi_node);

# new_vapi_node preloads pg_cron with cron.database_name = 'postgres' (and
# background workers), and creates vapi_pool in postgres: the test database
# is therefore postgres, the one database where pg_cron can be created.
my $node = new_vapi_node('maintenance');
$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron');
is($node->safe_psql('postgres', "SHOW cron.database_name"), 'postgres',
	'pg_cron runs its jobs in the test database');

# pg_cron of version 1.5 and later accepts schedules in seconds ('1 seconds');
# earlier ones, such as Debian's 1.4.2 (extension version 1.4-1), only take
# cron expressions, whose smallest step is a minute.  With '* * * * *' a run
# starts at the next whole minute, so each wait below allows 150 seconds (two
# minute boundaries and the run itself); with seconds, far less is needed.
my $cron_version = $node->safe_psql('postgres',
	"SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'");
my ($cron_major, $cron_minor) = $cron_version =~ /^(\d+)\.(\d+)/
  or die "unexpected pg_cron version '$cron_version'";
my $has_seconds = $cron_major > 1 || ($cron_major == 1 && $cron_minor >= 5);
my $run_schedule = $has_seconds ? '1 seconds' : '* * * * *';
my $run_timeout = $has_seconds ? 60 : 150;
note("pg_cron $cron_version: the job runs on '$run_schedule', waits of up to ${run_timeout}s");

# The job runs as whoever schedules it, so it is scheduled by "maint", a role
# of its own (not the superuser that owns the extension, so the check below
# can tell them apart).  It is what an operator needs: a login role that
# bypasses row level security, has service_role's privileges, may use the
# cron schema and was allowed to call schedule_maintenance().
$node->safe_psql(
	'postgres', q{
CREATE ROLE maint LOGIN BYPASSRLS IN ROLE service_role;
GRANT USAGE ON SCHEMA cron TO maint;
GRANT EXECUTE ON FUNCTION vapi_pool.schedule_maintenance(text) TO maint;
});

# A role allowed to call schedule_maintenance() (and to use schema cron)
# needs no other privilege: the function does not read cron.database_name,
# which pg_cron declares superuser-only.  The rolled-back transaction keeps a
# successful call from adding a job.
{
	my ($ret, $stdout, $stderr) = $node->psql('postgres',
		"BEGIN;\nSELECT job_name FROM vapi_pool.schedule_maintenance();\nROLLBACK;",
		extra_params => [ '-U', 'maint' ]);
	is($stderr, '', 'a role allowed to call schedule_maintenance() needs no other privilege');
}

my $owner = $node->safe_psql('postgres', 'SELECT current_user');
isnt($owner, 'maint', "the extension's owner ($owner) is not the scheduling role");

# Runs $sql in database postgres as maint.
sub as_maint
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql, extra_params => [ '-U', 'maint' ]);
}

my $jobs_query = q{SELECT count(*) || '|' || coalesce(min(jobid)::text, '') || '|' || coalesce(string_agg(schedule, ','), '')
	|| '|' || coalesce(string_agg(command, ','), '') || '|' || coalesce(string_agg(username, ','), '')
	|| '|' || coalesce(string_agg(database, ','), '') || '|' || coalesce(bool_and(active)::text, '')
	FROM cron.job WHERE jobname = 'vapi_pool.release_expired'};

# ---------------------------------------------------------------- idempotent registration

my ($ret, $scheduled, $stderr) = $node->psql('postgres',
	'SELECT job_name, job_id, job_schedule, command FROM vapi_pool.schedule_maintenance() ORDER BY job_name DESC',
	extra_params => [ '-U', 'maint' ]);
is($stderr, '', 'schedule_maintenance() registers the jobs')
  or die "everything below needs the job\n";
my ($rotate_job, $release_job, $reconcile_job, $personal_job) = split /\n/, $scheduled;
my ($job_name, $job_id, $job_schedule, $command) = split /\|/, $release_job;
is($job_name, 'vapi_pool.release_expired', 'the job is named vapi_pool.release_expired');
like($job_id, qr/^\d+$/, "pg_cron gave the job an id ($job_id)");
is($job_schedule, '0 3 * * *', 'the default schedule is daily at 03:00');
is($command, 'CALL vapi_pool.release_expired_in_batches()', 'the job calls release_expired_in_batches()');
is($node->safe_psql('postgres', $jobs_query),
	"1|$job_id|0 3 * * *|CALL vapi_pool.release_expired_in_batches()|maint|postgres|true",
	'cron.job holds the job, owned by maint, for database postgres');

# the sweep of calls whose end-of-call report is late (0.6.0), registered with it
my ($sweep_name, $sweep_id, $sweep_schedule, $sweep_command) = split /\|/, $reconcile_job // '';
is("$sweep_name|$sweep_schedule|$sweep_command",
	'vapi_pool.reconcile_stale_calls|*/5 * * * *|SELECT pg_catalog.count(*) FROM vapi_pool.reconcile_stale_calls(pg_catalog.now(), 1000)',
	'... and the sweep of late call reports, every five minutes');
is($node->safe_psql('postgres',
		q{SELECT count(*) || '|' || min(jobid) || '|' || min(username) FROM cron.job WHERE jobname = 'vapi_pool.reconcile_stale_calls'}),
	"1|$sweep_id|maint", '... one job, owned by maint');
is(as_maint($sweep_command), '0', "... its command runs as maint (nothing to look up)");

# the purge of personal data past its retention (0.7.0), registered with them
my ($personal_name, $personal_id, $personal_schedule, $personal_command) = split /\|/, $personal_job // '';
is("$personal_name|$personal_schedule|$personal_command",
	'vapi_pool.purge_personal_data|45 3 * * *|CALL vapi_pool.purge_personal_data_in_batches()',
	'... and the purge of personal data past its retention, daily at 03:45');
is($node->safe_psql('postgres',
		q{SELECT count(*) || '|' || min(jobid) || '|' || min(username) FROM cron.job WHERE jobname = 'vapi_pool.purge_personal_data'}),
	"1|$personal_id|maint", '... one job, owned by maint');
# the rotation of burned numbers (0.9.0), registered with them
my ($rotate_name, $rotate_id, $rotate_schedule, $rotate_command) = split /\|/, $rotate_job // '';
is("$rotate_name|$rotate_schedule|$rotate_command",
	'vapi_pool.rotate_burned_numbers|20 * * * *|SELECT pg_catalog.count(*) FROM vapi_pool.rotate_burned_numbers()',
	'... and the rotation of burned numbers, hourly');
is($node->safe_psql('postgres',
		q{SELECT count(*) || '|' || min(jobid) || '|' || min(username) FROM cron.job WHERE jobname = 'vapi_pool.rotate_burned_numbers'}),
	"1|$rotate_id|maint", '... one job, owned by maint');
is(as_maint($rotate_command), '0', "... its command runs as maint (nothing burned)");
$node->safe_psql('postgres', q{
	INSERT INTO vapi_pool.orgs (org_id, name) VALUES ('eeeeeeee-0000-4000-8000-000000000000', 'Retention Test');
	INSERT INTO vapi_pool.vapi_call_logs (org_id, vapi_call_id, direction, transcript) VALUES
		('eeeeeeee-0000-4000-8000-000000000000', 'old-call', 'inbound_unknown', 'User: hello'),
		('eeeeeeee-0000-4000-8000-000000000000', 'new-call', 'inbound_unknown', 'User: hello');
	UPDATE vapi_pool.vapi_call_logs SET created_at = now() - interval '181 days' WHERE vapi_call_id = 'old-call'});
as_maint($personal_command);
is($node->safe_psql('postgres',
		q{SELECT string_agg(vapi_call_id || ':' || (transcript IS NOT NULL), ',' ORDER BY vapi_call_id)
		  FROM vapi_pool.vapi_call_logs WHERE org_id = 'eeeeeeee-0000-4000-8000-000000000000'}),
	'new-call:true,old-call:false', "... its command runs as maint and clears the transcript past its retention");

is(as_maint(q{SELECT job_id, job_schedule FROM vapi_pool.schedule_maintenance() WHERE job_name = 'vapi_pool.release_expired'}),
	"$job_id|0 3 * * *", 'scheduling again keeps the job id');
is(as_maint(q{SELECT job_id, job_schedule FROM vapi_pool.schedule_maintenance('30 4 * * *')
		WHERE job_name = 'vapi_pool.release_expired'}),
	"$job_id|30 4 * * *", 'a new schedule keeps the job id');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cron.job WHERE jobname = 'vapi_pool.reconcile_stale_calls'}),
	'1', '... and still one sweep job');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cron.job WHERE jobname = 'vapi_pool.purge_personal_data'}),
	'1', '... and one purge of personal data');
is($node->safe_psql('postgres', $jobs_query),
	"1|$job_id|30 4 * * *|CALL vapi_pool.release_expired_in_batches()|maint|postgres|true",
	'still one job, its schedule updated');

# the webhook inbox's purge job (release 0.4.0), registered the same way
my $purge = $node->safe_psql('postgres',
	q{SELECT job_name || '|' || job_schedule || '|' || command FROM vapi_pool.schedule_inbox_purge()});
is($purge, "vapi_pool.purge_inbox|30 3 * * *|CALL vapi_pool.purge_inbox_in_batches('30 days')",
	'schedule_inbox_purge() registers the inbox purge job');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cron.job WHERE jobname = 'vapi_pool.purge_inbox'}),
	'1', '... once');
$node->safe_psql('postgres', q{
	INSERT INTO vapi_pool.webhook_inbox (source, event_type, dedupe_key, received_at, state, http_status, answer, payload)
	VALUES ('vapi', 'hang', 'hang:old', now() - interval '31 days', 'processed', 200, '{}', '{}'),
		   ('vapi', 'hang', 'hang:new', now(), 'processed', 200, '{}', '{}')});
$node->safe_psql('postgres', q{CALL vapi_pool.purge_inbox_in_batches('30 days')});
is($node->safe_psql('postgres', q{SELECT string_agg(dedupe_key, ',') FROM vapi_pool.webhook_inbox WHERE event_type = 'hang'}),
	'hang:new', 'its command purges the events older than 30 days');

# ---------------------------------------------------------------- without pg_cron

# A second database with vapi_pool but without the pg_cron extension.
$node->safe_psql('postgres', 'CREATE DATABASE nocron');
$node->safe_psql('nocron', 'CREATE EXTENSION vapi_pool CASCADE');
($ret, my $stdout, $stderr) = $node->psql('nocron',
	"\\set VERBOSITY verbose\nSELECT * FROM vapi_pool.schedule_maintenance();");
isnt($ret, 0, 'schedule_maintenance() fails without pg_cron');
like($stderr, qr/ERROR:  55000: pg_cron is not installed in this database/,
	'with SQLSTATE 55000 (object_not_in_prerequisite_state)');
like($stderr, qr/HINT:  .*CALL vapi_pool\.release_expired_in_batches\(\)/,
	'the hint names the procedure to call from another scheduler');
is($node->safe_psql('postgres', $jobs_query),
	"1|$job_id|30 4 * * *|CALL vapi_pool.release_expired_in_batches()|maint|postgres|true",
	'the failed call changed no job');

# ---------------------------------------------------------------- pg_cron runs the job

# Broker Dana's pool: Pat, Sam and Kim were called, their calls ended long ago
# (Pat's, Sam's: hold_after_call 24h) or a moment ago with a hold of 0 (Kim's),
# so their numbers are due back.  Lou's call ended now and is held for 24h;
# Max holds a number without a call.  Neither may be released.
$node->safe_psql(
	'postgres', q{
INSERT INTO vapi_pool.orgs (org_id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme');
INSERT INTO vapi_pool.brokers (org_id, id, name, number_pool_active) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', true);
INSERT INTO vapi_pool.leads (org_id, id, broker_id, first_name, primary_phone_e164, status) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Pat', '+14155550123', 'call_requested'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001', 'Sam', '+14155550124', 'call_requested'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000003', 'a1000000-0000-4000-8000-000000000001', 'Kim', '+14155550125', 'call_requested'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000004', 'a1000000-0000-4000-8000-000000000001', 'Lou', '+14155550126', 'call_requested'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000005', 'a1000000-0000-4000-8000-000000000001', 'Max', '+14155550127', 'call_requested');
SELECT vapi_pool.add_pool_number('a1000000-0000-4000-8000-000000000001', n::vapi_pool.e164)
FROM unnest(ARRAY['+14155550150', '+14155550151', '+14155550152', '+14155550153', '+14155550154']) n;
SELECT vapi_pool.record_call_placed((vapi_pool.assign_number(id)).id, 'call-' || lower(first_name))
FROM vapi_pool.leads WHERE first_name IN ('Pat', 'Sam', 'Kim', 'Lou');
SELECT vapi_pool.assign_number('a2000000-0000-4000-8000-000000000005');
SELECT vapi_pool.record_call_ended('call-pat', 'customer-ended-call', '2020-01-01 12:00Z', '2020-01-01 12:03Z',
	NULL, NULL, NULL, NULL, NULL, NULL);
SELECT vapi_pool.record_call_ended('call-sam', 'customer-ended-call', now() - interval '3 days',
	now() - interval '3 days' + interval '90 seconds', NULL, NULL, NULL, NULL, NULL, NULL);
SELECT vapi_pool.record_call_ended('call-lou', 'customer-ended-call', now() - interval '1 minute', now(),
	NULL, NULL, NULL, NULL, NULL, NULL);
SET vapi_pool.hold_after_call = 0;
SELECT vapi_pool.record_call_ended('call-kim', 'customer-ended-call', now() - interval '1 minute', now(),
	NULL, NULL, NULL, NULL, NULL, NULL);
});

my $state_query = q{SELECT string_agg(l.first_name || ':' || a.status || ':' || p.status
		|| ':' || (l.vapi_assignment_id IS NOT DISTINCT FROM a.id)::text, ' ' ORDER BY l.first_name)
	FROM vapi_pool.vapi_number_assignments a
	JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id
	JOIN vapi_pool.vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id};
is($node->safe_psql('postgres', $state_query),
	'Kim:call_completed:assigned:true Lou:call_completed:assigned:true Max:booked:assigned:true '
	  . 'Pat:call_completed:assigned:true Sam:call_completed:assigned:true',
	'before the job: five numbers held, four calls completed');
is($node->safe_psql('postgres',
		q{SELECT string_agg(l.first_name, ',' ORDER BY l.first_name) FROM vapi_pool.vapi_number_assignments a
		  JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id
		  WHERE a.status = 'call_completed' AND a.release_at < now()}),
	'Kim,Pat,Sam', "Kim's, Pat's and Sam's holds are over, Lou's is not");

# Polls $query in postgres until it returns $expected, for at most $timeout
# seconds; true if it did.
sub wait_for
{
	my ($query, $expected, $timeout) = @_;
	my $deadline = time() + $timeout;
	my $got;
	while (1)
	{
		$got = $node->safe_psql('postgres', $query);
		return 1 if $got eq $expected;
		last if time() > $deadline;
		sleep 1;
	}
	diag("after ${timeout}s: '$got' instead of '$expected'");
	return 0;
}

# What pg_cron logged for the job, should a wait below fail.
sub runs_diag
{
	diag($node->safe_psql('postgres',
		qq{SELECT runid, username, status, return_message FROM cron.job_run_details WHERE jobid = $job_id ORDER BY runid}));
}

is(as_maint(qq{SELECT job_id, job_schedule FROM vapi_pool.schedule_maintenance('$run_schedule')
		WHERE job_name = 'vapi_pool.release_expired'}),
	"$job_id|$run_schedule", "the job is rescheduled to '$run_schedule', same id");

my $released = 'Kim:released:available:false Lou:call_completed:assigned:true Max:booked:assigned:true '
  . 'Pat:released:available:false Sam:released:available:false';
ok( wait_for(
		qq{SELECT ($state_query) = '$released' AND EXISTS (SELECT FROM cron.job_run_details
			WHERE jobid = $job_id AND status = 'succeeded')}, 't', $run_timeout),
	'pg_cron ran the job: a succeeded run, and the overdue assignments released')
  or runs_diag();
is($node->safe_psql('postgres', $state_query), $released,
	'Kim, Pat and Sam are released, their numbers available and their leads unlinked; Lou and Max keep theirs');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM vapi_pool.vapi_number_pool WHERE status = 'available' AND last_released_at IS NOT NULL}),
	'3', 'the three freed numbers carry their release time');

my $run = $node->safe_psql('postgres',
	qq{SELECT username, database, command, return_message FROM cron.job_run_details
	   WHERE jobid = $job_id AND status = 'succeeded' ORDER BY runid LIMIT 1});
is($run, 'maint|postgres|CALL vapi_pool.release_expired_in_batches()|CALL',
	'the run was made as maint, the user who scheduled the job, in database postgres');
is($node->safe_psql('postgres',
		qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $job_id AND username <> 'maint'}),
	'0', 'no run was made as any other user');

# A later run finds nothing to release, and succeeds.
my $last_run = $node->safe_psql('postgres',
	qq{SELECT max(runid) FROM cron.job_run_details WHERE jobid = $job_id AND status = 'succeeded'});
ok( wait_for(
		qq{SELECT EXISTS (SELECT FROM cron.job_run_details
			WHERE jobid = $job_id AND runid > $last_run AND status = 'succeeded')}, 't', $run_timeout),
	'a second run succeeds')
  or runs_diag();
is($node->safe_psql('postgres', $state_query), $released, 'the second run released nothing more');
is($node->safe_psql('postgres',
		qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $job_id AND status = 'failed'}),
	'0', 'no run of the job failed');

# Back to the nightly schedule, so no run outlives the test.
as_maint('SELECT count(*) FROM vapi_pool.schedule_maintenance()');

$node->stop;
done_testing();
