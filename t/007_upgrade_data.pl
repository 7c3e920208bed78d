# What the 0.6.0 -> 0.7.0 update does to the rows an installation already
# holds (t/005_upgrade_path.pl compares the objects, not the data):
# - an opt-out that was only a lead's status is put on the organisation's
#   do-not-call list, which then stops the same number on another lead and
#   the call queued for it (195_backfill.sql);
# - the consent evidence the rows prove is recorded: a reply that asked for a
#   call (with its text, redacted) and a call the person made (195);
# - stored reply texts and subjects are redacted with their lead's details,
#   and stored payloads lose the reply texts (192_personal_data.sql).
# And what 0.7.3 -> 0.7.4 and 0.7.4 -> 0.7.5 do to a clinic's vocabulary
# (230_clinic_vocabulary.sql, 240_dropoff_context.sql), and what 0.7.5 ->
# 0.8.0 does to a number lent before it whose lead has an appointment ahead
# (250_cal_bookings.sql), and what 0.8.0 -> 0.9.0 reads from the calls an
# installation already logged (260_operations.sql), and how 0.10.0's group
# commit meets the inbox 0.9.0 filled (270_group_commit.sql), and the words
# 0.10.0 -> 0.10.1 gives a clinic's vocabulary (280_dropoff_words.sql).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VapiPoolTest qw(new_vapi_node);

my $node = new_vapi_node('upgrade_data', create => 0);
$node->safe_psql('postgres', "CREATE EXTENSION vapi_pool VERSION '0.6.0' CASCADE");

# ---------------------------------------------------------------- 0.6.0's rows

$node->safe_psql('postgres', q{
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans');
INSERT INTO brokers (org_id, id, name, timezone) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/Los_Angeles');
-- Ann opted out (a status, in 0.6.0); Ben has the same number and a call waiting;
-- Cy asked for a call by reply and called in once.
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, email, primary_phone_e164, status) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001',
	 'Ann', 'Lee', 'ann@example.com', '+14155550140', 'do_not_call'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001',
	 'Ben', 'Lee', 'ben@example.com', '+14155550140', 'calling'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000003', 'a1000000-0000-4000-8000-000000000001',
	 'Cy', 'Young', 'cy@example.com', '+14155550150', 'calling');
INSERT INTO outbox (org_id, kind, payload, idempotency_key) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'vapi.create_call',
	 '{"lead_id": "a2000000-0000-4000-8000-000000000002", "customer_number": "+14155550140", "phone_number_id": "pn_1"}', 'ben-1');
INSERT INTO instantly_events (org_id, event_type, dedup_key, email_id, campaign_id, workspace_id, lead_id, lead_email,
	reply_subject, reply_text, intent, decision, payload) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'reply_received', 'e-cy-1', 'e-cy-1', gen_random_uuid(), gen_random_uuid(),
	 'a2000000-0000-4000-8000-000000000003', 'cy@example.com', 'Re: Cy Young, your rate',
	 'Cy Young here, please call me at 415-555-0150.', 'call_requested', 'call_queued',
	 '{"reply_text": "Cy Young here, please call me at 415-555-0150.", "reply_text_snippet": "Cy Young here", "step": 1}');
INSERT INTO vapi_call_logs (org_id, lead_id, vapi_call_id, direction, status, started_at) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000003', 'call-cy-in', 'inbound_from_lead',
	 'ended', '2026-11-20 17:00+00');
});

$node->safe_psql('postgres', "ALTER EXTENSION vapi_pool UPDATE TO '0.7.0'");
is($node->safe_psql('postgres', 'SELECT extversion FROM pg_extension WHERE extname = \'vapi_pool\''), '0.7.0',
	'updated to 0.7.0');

# ---------------------------------------------------------------- opt-outs

is($node->safe_psql('postgres', q{SELECT phone::text || '|' || source || '|' || reason FROM vapi_pool.do_not_call}),
	'+14155550140|operator|the lead was do_not_call before 0.7.0', "Ann's opt-out is on the organisation's list");
is($node->safe_psql('postgres', q{SELECT string_agg(first_name || ':' || status, ',' ORDER BY first_name) FROM vapi_pool.leads}),
	'Ann:do_not_call,Ben:do_not_call,Cy:calling', '... so Ben, on the same number, is do_not_call too');
is($node->safe_psql('postgres', q{SELECT state || '|' || last_error FROM vapi_pool.outbox WHERE idempotency_key = 'ben-1'}),
	'suppressed|the number is on a do-not-call list', '... and the call waiting for him is suppressed');

# ---------------------------------------------------------------- consent

is($node->safe_psql('postgres', q{SELECT string_agg(kind || ':' || source_id, ',' ORDER BY kind) FROM vapi_pool.lead_consents
	WHERE lead_id = 'a2000000-0000-4000-8000-000000000003'}),
	'inbound_call:call-cy-in,instantly_reply:e-cy-1', "Cy's reply and call are recorded as his consent");
is($node->safe_psql('postgres', q{SELECT evidence FROM vapi_pool.lead_consents WHERE kind = 'instantly_reply'}),
	'[NAME] here, please call me at [PHONE].', '... with the reply, redacted');
is($node->safe_psql('postgres', q{SELECT count(*) FROM vapi_pool.lead_consents WHERE lead_id <> 'a2000000-0000-4000-8000-000000000003'}),
	'0', '... and nobody else gets evidence the rows do not prove');

# ---------------------------------------------------------------- personal data

is($node->safe_psql('postgres', q{SELECT reply_text || '|' || reply_subject || '|' || payload::text
	FROM vapi_pool.instantly_events WHERE email_id = 'e-cy-1'}),
	'[NAME] here, please call me at [PHONE].|Re: [NAME], your rate|{"step": 1}',
	'the stored reply and its subject are redacted, the payload keeps no reply text');

# ---------------------------------------------------------------- 0.7.3 -> 0.7.4: a clinic's vocabulary
# An existing clinic gets the procedures new to the starter list and the new
# words of the starter terms it kept; a term it deleted stays deleted, one it
# edited keeps its edits (230_clinic_vocabulary.sql).
my $clinic = new_vapi_node('upgrade_clinic', create => 0);
$clinic->safe_psql('postgres', "CREATE EXTENSION vapi_pool VERSION '0.7.3' CASCADE");
$clinic->safe_psql('postgres', q{
INSERT INTO vapi_pool.orgs (org_id, name, is_clinic) VALUES ('cccccccc-0000-4000-8000-000000000000', 'Glow Clinic', true);
DELETE FROM vapi_pool.clinic_terms WHERE name = 'Veneers';
UPDATE vapi_pool.clinic_terms SET variants = variants || '{nose work}' WHERE name = 'Rhinoplasty';
});
is($clinic->safe_psql('postgres', q{SELECT count(*) FROM vapi_pool.clinic_terms WHERE kind = 'procedure'}), '13',
	'0.7.3: the clinic has 13 of the 14 starter procedures (it deleted Veneers)');
$clinic->safe_psql('postgres', "ALTER EXTENSION vapi_pool UPDATE");
is($clinic->safe_psql('postgres', q{SELECT count(*) || '|' || count(*) FILTER (WHERE name = 'Veneers')
	|| '|' || count(*) FILTER (WHERE name = 'CoolSculpting') FROM vapi_pool.clinic_terms WHERE kind = 'procedure'}),
	'27|0|1', 'after the update: the 14 new procedures added, Veneers still deleted');
is($clinic->safe_psql('postgres', q{SELECT 'nose work' = ANY (variants) AND 'rinoplastia' = ANY (variants)
	FROM vapi_pool.clinic_terms WHERE name = 'Rhinoplasty'}),
	't', 'an edited starter term keeps its edit and gets the new words');
is($clinic->safe_psql('postgres', q{SELECT reason FROM vapi_pool.detect_dropoff(
	E'User: ¿Cuánto cuesta la rinoplastia?\nAI: Desde 7,500.', 'exceeded-max-duration', false,
	'cccccccc-0000-4000-8000-000000000000')}),
	'cut_off', 'the updated clinic reads a Spanish caller cut off by the time limit as a drop-off');

# ---------------------------------------------------------------- 0.7.4 -> 0.7.5: the words callers use
# A clinic's kept starter terms get 0.7.5's plain words ("pin my ears back",
# "tatuajes"); its own edits stay, a deleted term stays deleted
# (240_dropoff_context.sql).
my $clinic5 = new_vapi_node('upgrade_clinic5', create => 0);
$clinic5->safe_psql('postgres', "CREATE EXTENSION vapi_pool VERSION '0.7.4' CASCADE");
$clinic5->safe_psql('postgres', q{
INSERT INTO vapi_pool.orgs (org_id, name, is_clinic) VALUES ('cccccccc-0000-4000-8000-000000000000', 'Glow Clinic', true);
DELETE FROM vapi_pool.clinic_terms WHERE name = 'Kybella';
UPDATE vapi_pool.clinic_terms SET variants = variants || '{ink removal}' WHERE name = 'Tattoo removal';
});
is($clinic5->safe_psql('postgres', q{SELECT reason FROM vapi_pool.detect_dropoff(
	E'User: Can you pin my ears back?\nAI: Yes, from 4,000.', 'customer-ended-call', false,
	'cccccccc-0000-4000-8000-000000000000')}),
	'no_procedure', '0.7.4: "pin my ears back" names no procedure');
$clinic5->safe_psql('postgres', "ALTER EXTENSION vapi_pool UPDATE TO '0.7.5'");
is($clinic5->safe_psql('postgres', q{SELECT count(*) FILTER (WHERE name = 'Kybella') || '|'
	|| bool_and('ink removal' = ANY (variants) AND 'tatuajes' = ANY (variants)) FILTER (WHERE name = 'Tattoo removal')
	|| '|' || bool_and('pin my ears' = ANY (variants)) FILTER (WHERE name = 'Otoplasty')
	FROM vapi_pool.clinic_terms}),
	'0|true|true', 'after the update: new words for the kept terms, the edit kept, Kybella still deleted');
is($clinic5->safe_psql('postgres', q{SELECT array_to_string(procedures, '|') || ' ' || reason FROM vapi_pool.detect_dropoff(
	E'User: Can you pin my ears back?\nAI: Yes, from 4,000.', 'customer-ended-call', false,
	'cccccccc-0000-4000-8000-000000000000')}),
	'Otoplasty hung_up', 'the updated clinic hears "pin my ears back" as Otoplasty');

# ---------------------------------------------------------------- 0.7.5 -> 0.8.0: appointments hold numbers
# Barbara booked Pat an appointment three days out on a call that ended two
# days ago (0.7.5 released such a number a day after the call); once
# updated, the appointment keeps it, Ray's is due and goes, and the
# appointment is one an assistant booked.
my $pool8 = new_vapi_node('upgrade_pool8', create => 0);
$pool8->safe_psql('postgres', "CREATE EXTENSION vapi_pool VERSION '0.7.5' CASCADE");
my $fixture8 = q{
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans');
INSERT INTO brokers (org_id, id, name, primary_phone_e164, number_pool_active) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', '+14155550101', true);
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Pat', '+14155550123'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001', 'Ray', '+14155550124');
SELECT count(*) FROM (SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550191')
	UNION ALL SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550192')) n;
SELECT count(assign_number(id)) FROM leads;
UPDATE vapi_number_assignments SET status = 'call_completed', last_call_at = now() - interval '2 days',
	release_at = now() - interval '1 day';
SELECT confirm_slot(claim_slot_atomic(date_trunc('hour', now()) + interval '3 days', 'a2000000-0000-4000-8000-000000000001',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001'), 'cal-pat-1') IS NOT NULL;
};
$pool8->safe_psql('postgres', $fixture8);
$pool8->safe_psql('postgres', "ALTER EXTENSION vapi_pool UPDATE TO '0.8.0'");
is($pool8->safe_psql('postgres', 'SELECT vapi_pool.release_expired()'), '1',
	'after the update the release job frees one number: Ray\'s');
is($pool8->safe_psql('postgres', q{SELECT string_agg(l.first_name || ':' || a.status, ',' ORDER BY l.first_name)
	FROM vapi_pool.vapi_number_assignments a JOIN vapi_pool.leads l ON l.id = a.lead_id}),
	'Pat:call_completed,Ray:released', "... and keeps Pat's: her appointment is ahead");
is($pool8->safe_psql('postgres', q{SELECT booked_via || '|' || awaiting_host FROM vapi_pool.appointments}),
	'assistant|false', 'an appointment of 0.7.5 is one an assistant booked');

# ---------------------------------------------------------------- 0.8.0 -> 0.9.0: the calls already logged
# Calls placed under 0.8.0 from three numbers, one of which nobody answers,
# and a number an operator retired while a lead holds it: once updated,
# number_health judges the logged calls, nothing rotates until the
# organisation asks, and pool_fill buys the draining number's replacement.
my $ops9 = new_vapi_node('upgrade_ops9', create => 0);
$ops9->safe_psql('postgres', "CREATE EXTENSION vapi_pool VERSION '0.8.0' CASCADE");
$ops9->safe_psql('postgres', q{
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans');
INSERT INTO brokers (org_id, id, name, primary_phone_e164, number_pool_active, number_pool_size) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', '+14155550101', true, 4);
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Pat', '+14155550123');
SELECT count(*) FROM (SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', ('+1310555019' || i)::e164)
	FROM generate_series(1, 4) i) n;
INSERT INTO vapi_call_logs (org_id, broker_id, vapi_call_id, direction, status, from_e164, to_e164, outcome, created_at)
SELECT 'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'c-' || n || '-' || i,
	'outbound_to_lead', 'ended', ('+1310555019' || n)::e164, '+14155550123',
	CASE WHEN n <> 2 AND i % 2 = 0 THEN 'answered' ELSE 'no_answer' END, now() - interval '2 days'
FROM generate_series(1, 3) n, generate_series(1, 40) i;
SELECT count(assign_number('a2000000-0000-4000-8000-000000000001'));
SELECT count(*) FROM retire_pool_number((SELECT p.number FROM vapi_number_pool p JOIN vapi_number_assignments a
	ON a.pool_number_id = p.id));
-- the operator's earlier purchases pointed the numbers at this deployment
INSERT INTO outbox (org_id, kind, payload, idempotency_key, state) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'vapi.buy_number', '{"broker_id": "a1000000-0000-4000-8000-000000000001",
	 "server_url": "https://old.example/webhook/vapi"}', 'buy-1', 'done'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'vapi.buy_number', '{"broker_id": "a1000000-0000-4000-8000-000000000001",
	 "server_url": "https://voice.example/webhook/vapi"}', 'buy-2', 'done');
});
$ops9->safe_psql('postgres', "ALTER EXTENSION vapi_pool UPDATE TO '0.9.0'");
is($ops9->safe_psql('postgres', q{SELECT string_agg(number::text || ':' || answered || '/' || attempts || ':' || state, ' '
	ORDER BY number) FROM vapi_pool.number_health WHERE attempts > 0}),
	'+13105550191:20/40:healthy +13105550192:0/40:burned +13105550193:20/40:healthy',
	'after the update number_health judges the calls 0.8.0 logged');
is($ops9->safe_psql('postgres', 'SELECT count(*) FROM vapi_pool.rotate_burned_numbers()'), '0',
	'... and rotates nothing until the organisation sets rotate_burned_numbers');
is($ops9->safe_psql('postgres', q{SELECT queued || '|' || in_pool FROM vapi_pool.pool_fill(
	'a1000000-0000-4000-8000-000000000001', dry_run => true)}),
	'1|3', 'pool_fill counts the number being retired out of the pool and would buy its replacement');
is($ops9->safe_psql('postgres', q{SELECT number_server_url FROM vapi_pool.orgs}), 'https://voice.example/webhook/vapi',
	'the organisation\'s server URL is its last purchase\'s');
is($ops9->safe_psql('postgres', q{SELECT (lent_at = booked_at) || '|' || assignments_per_day FROM vapi_pool.vapi_number_assignments,
	vapi_pool.pool_status}), 'true|0.14', 'the hold lent this week is counted as lent, when it was booked');

# ---------------------------------------------------------------- 0.9.0 -> 0.10.0: the inbox 0.9.0 filled
# Events 0.9.0 stored one by one (one processed, one a dead letter) meet the
# group commit after the update: a redelivery of the processed one in a group
# is its duplicate, the dead letter is run again.
my $grp10 = new_vapi_node('upgrade_group10', create => 0);
$grp10->safe_psql('postgres', "CREATE EXTENSION vapi_pool VERSION '0.9.0' CASCADE");
my $ok_report = '{"message": {"type": "status-update", "status": "ringing", "call": {"id": "up-1"}}}';
my $bad_report = '{"message": {"type": "end-of-call-report", "startedAt": "yesterday-ish", "call": {"id": "up-2"}}}';
$grp10->safe_psql('postgres', qq{
SELECT state FROM vapi_pool.receive_webhook('vapi', '$ok_report');
SELECT state FROM vapi_pool.receive_webhook('vapi', '$bad_report');
});
$grp10->safe_psql('postgres', "ALTER EXTENSION vapi_pool UPDATE TO '0.10.0'");
is($grp10->safe_psql('postgres', qq{SELECT string_agg(ordinal || ':' || state || ':' || duplicate, ' ' ORDER BY ordinal)
	FROM vapi_pool.receive_webhooks(ARRAY['vapi', 'vapi'], ARRAY['$ok_report', '$bad_report'])}),
	'1:processed:true 2:failed:false',
	'after the update a group redelivering 0.9.0\'s events: the processed one is a duplicate, the dead letter runs again');
is($grp10->safe_psql('postgres', q{SELECT string_agg(attempts || '/' || duplicates, ' ' ORDER BY id) FROM vapi_pool.webhook_inbox}),
	'1/1 2/0', '... in the rows 0.9.0 stored');

# ---------------------------------------------------------------- 0.10.0 -> 0.10.1: more words callers use
# A clinic's kept starter terms get 0.10.1's words (letters said one by one,
# the CO2 laser in Spanish); its own edits stay, a deleted term stays deleted
# (280_dropoff_words.sql).
my $words = new_vapi_node('upgrade_words', create => 0);
$words->safe_psql('postgres', "CREATE EXTENSION vapi_pool VERSION '0.10.0' CASCADE");
$words->safe_psql('postgres', q{
INSERT INTO vapi_pool.orgs (org_id, name, is_clinic) VALUES ('cccccccc-0000-4000-8000-000000000000', 'Glow Clinic', true);
DELETE FROM vapi_pool.clinic_terms WHERE name = 'Brazilian butt lift';
UPDATE vapi_pool.clinic_terms SET variants = variants || '{vampire hair}' WHERE name = 'PRP';
UPDATE vapi_pool.clinic_terms SET variants = array_remove(variants, 'tox') WHERE name = 'Botox';
});
my $prp_call = q{E'User: hi I''m calling about the pea are pee for hair, my hair is thinning\nAI: Three sessions, 650 each.'};
is($words->safe_psql('postgres', qq{SELECT reason FROM vapi_pool.detect_dropoff($prp_call, 'customer-ended-call', false,
	'cccccccc-0000-4000-8000-000000000000')}),
	'no_procedure', '0.10.0: "pea are pee" names no procedure');
$words->safe_psql('postgres', "ALTER EXTENSION vapi_pool UPDATE TO '0.10.1'");
is($words->safe_psql('postgres', q{SELECT count(*) FILTER (WHERE name = 'Brazilian butt lift') || '|'
	|| bool_and('vampire hair' = ANY (variants) AND 'pea are pee' = ANY (variants)) FILTER (WHERE name = 'PRP')
	|| '|' || bool_and('co dos' = ANY (variants)) FILTER (WHERE name = 'Laser skin resurfacing')
	|| '|' || bool_and('botos' = ANY (variants) AND NOT 'tox' = ANY (variants)) FILTER (WHERE name = 'Botox')
	FROM vapi_pool.clinic_terms}),
	'0|true|true|true',
	'after the update: new words for the kept terms, the edits kept (a removed starter word too), the deleted term still deleted');
is($words->safe_psql('postgres', qq{SELECT array_to_string(procedures, '|') || ' ' || reason FROM vapi_pool.detect_dropoff(
	$prp_call, 'customer-ended-call', false, 'cccccccc-0000-4000-8000-000000000000')}),
	'PRP hung_up', 'the updated clinic hears "pea are pee" as PRP');
done_testing();
