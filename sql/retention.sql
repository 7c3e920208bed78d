-- Retention (issue 20, item 6): each organisation keeps transcripts,
-- summaries, recording URLs and payloads for a time of its own (NULL: the
-- product's default for a clinic or a brokerage), and purge_personal_data
-- clears what is older, in batches, keeping rows, counts and timestamps.
-- Ages are made by moving timestamps back, never by waiting.  That pg_cron
-- runs the purge (schedule_maintenance) is t/050_pool_maintenance.pl.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
\set VERBOSITY default

-- ---------------------------------------------------------------- the defaults

SELECT k AS kind, default_retention(k, false) AS brokerage, default_retention(k, true) AS clinic
FROM unnest(ARRAY['transcripts', 'summaries', 'recordings', 'payloads']) k;
SELECT default_retention('voicemails', false) IS NULL AS unknown_kind;

-- A brokerage and a clinic on the defaults; a brokerage with its own times.
INSERT INTO orgs (org_id, name, is_clinic) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans', false),
	('cccccccc-0000-4000-8000-000000000000', 'Bright Smile', true),
	('dddddddd-0000-4000-8000-000000000000', 'Short Memory Loans', false);
INSERT INTO org_members (org_id, user_id, role) VALUES
	('dddddddd-0000-4000-8000-000000000000', 'd0000000-0000-4000-8000-0000000000d1', 'owner'),
	('dddddddd-0000-4000-8000-000000000000', 'd0000000-0000-4000-8000-0000000000d2', 'member');

-- The owner sets the organisation's times; a member may not; less than a day is refused.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "d0000000-0000-4000-8000-0000000000d1", "role": "authenticated"}', true) IS NOT NULL AS owner;
SET LOCAL ROLE authenticated;
UPDATE orgs SET transcript_retention = '2 days', summary_retention = '10 days', recording_retention = '1 day',
	payload_retention = '3 days';
SAVEPOINT s;
UPDATE orgs SET payload_retention = '12 hours';
ROLLBACK TO SAVEPOINT s;
SELECT set_config('request.jwt.claims', '{"sub": "d0000000-0000-4000-8000-0000000000d2", "role": "authenticated"}', true) IS NOT NULL AS member;
WITH u AS (UPDATE orgs SET transcript_retention = '1000 days' RETURNING 1) SELECT count(*) AS member_updated FROM u;
COMMIT;
SELECT name, transcript_retention, summary_retention, recording_retention, payload_retention FROM orgs ORDER BY name;

-- ---------------------------------------------------------------- call logs

-- One call per organisation and age; created_at is moved back after the
-- insert (ages in days).
INSERT INTO vapi_call_logs (org_id, vapi_call_id, direction, status, transcript, summary, recording_url, ended_report)
SELECT o, 'call-' || left(o::text, 1) || '-' || age, 'inbound_unknown', 'ended', 'User: hello, I am caller ' || age,
	   'A caller, ' || age || ' days ago.', 'https://storage.example.com/rec/' || age || '.wav',
	   jsonb_build_object('endedReason', 'customer-ended-call', 'recordingUrl', 'https://storage.example.com/rec/' || age)
FROM unnest(ARRAY['aaaaaaaa-0000-4000-8000-000000000000', 'cccccccc-0000-4000-8000-000000000000',
				  'dddddddd-0000-4000-8000-000000000000']::uuid[]) o,
	 unnest(ARRAY[0, 2, 6, 8, 29, 31, 89, 91, 179, 181, 729, 731]) age;
UPDATE vapi_call_logs SET created_at = now() - split_part(vapi_call_id, '-', 3)::integer * interval '1 day'
	- interval '1 minute';
CREATE TEMP TABLE calls_before AS SELECT org_id, id, created_at, updated_at FROM vapi_call_logs;

-- ---------------------------------------------------------------- payloads

-- Processed inbox events of each organisation and of none, and a failed one (a dead letter).
INSERT INTO webhook_inbox (org_id, source, event_type, dedupe_key, received_at, state, http_status, answer, payload, error)
SELECT o, 'vapi', 'end-of-call-report', coalesce(left(o::text, 1), 'none') || ':' || age || ':' || st,
	   now() - age * interval '1 day' - interval '1 minute', st, 200,
	   '{"results": [{"result": "Booked for Pat."}]}', '{"message": {"customer": {"number": "+14155550123"}}}',
	   CASE WHEN st = 'failed' THEN 'refused' END
FROM unnest(ARRAY['aaaaaaaa-0000-4000-8000-000000000000', 'cccccccc-0000-4000-8000-000000000000',
				  'dddddddd-0000-4000-8000-000000000000', NULL]::uuid[]) o,
	 unnest(ARRAY[0, 2, 6, 8, 29, 31, 95]) age, unnest(ARRAY['processed', 'failed']) st
WHERE st = 'processed' OR age IN (31, 95);
-- Instantly events.
INSERT INTO instantly_events (org_id, event_type, dedup_key, campaign_id, workspace_id, lead_email, received_at,
	reply_subject, reply_text, evidence, decision, payload)
SELECT o, 'reply_received', 'em-' || age, gen_random_uuid(), gen_random_uuid(), 'pat@example.com',
	   now() - age * interval '1 day' - interval '1 minute', 'Re: rates', 'Call me, I am Pat.', 'Call me', 'stored',
	   '{"firstName": "Pat", "phone": "(415) 555-0123"}'
FROM unnest(ARRAY['aaaaaaaa-0000-4000-8000-000000000000', 'cccccccc-0000-4000-8000-000000000000',
				  'dddddddd-0000-4000-8000-000000000000']::uuid[]) o,
	 unnest(ARRAY[0, 2, 6, 8, 29, 31]) age;
-- Outbox jobs: finished ones of each age, and some that never count: a
-- pending call, a call lookup (no person in it).
INSERT INTO outbox (org_id, kind, payload, idempotency_key, state, finished_at)
SELECT o, k, jsonb_build_object('lead_id', 'a2000000-0000-4000-8000-000000000001', 'assignment_id',
	'a3000000-0000-4000-8000-000000000001', 'customer_number', '+14155550123', 'customer_name', 'Pat Quinn',
	'text', 'Hi Pat', 'call_id', 'call-x', 'attempt', 2),
	   k || ':' || st || ':' || age, st, CASE WHEN st <> 'pending' THEN now() - age * interval '1 day' - interval '1 minute' END
FROM unnest(ARRAY['aaaaaaaa-0000-4000-8000-000000000000', 'cccccccc-0000-4000-8000-000000000000',
				  'dddddddd-0000-4000-8000-000000000000']::uuid[]) o,
	 unnest(ARRAY[0, 8, 31]) age,
	 (VALUES ('vapi.create_call', 'done'), ('vapi.sms', 'dead'), ('vapi.create_call', 'pending'),
			 ('vapi.get_call', 'done')) AS j(k, st);
-- Reports of calls nobody knows.
INSERT INTO unmatched_call_reports (vapi_call_id, received_at, transcript, summary, report)
SELECT 'ghost-' || age, now() - age * interval '1 day' - interval '1 minute', 'User: hello', 'A ghost.', '{"customer": "x"}'
FROM unnest(ARRAY[29, 31]) age;

-- ---------------------------------------------------------------- the purge

SELECT * FROM purge_personal_data();

-- What each organisation kept of its calls, by age: the brokerage keeps
-- transcripts 180 days, summaries 730, recordings 90 and reports 30; the
-- clinic 30, 180, 30 and 7; Short Memory 2, 10, 1 and 1.
SELECT o.name, split_part(c.vapi_call_id, '-', 3)::integer AS age,
	   c.transcript IS NOT NULL AS transcript, c.summary IS NOT NULL AS summary,
	   c.recording_url IS NOT NULL AS recording, c.ended_report IS NOT NULL AS report
FROM vapi_call_logs c JOIN orgs o USING (org_id) ORDER BY o.name, age;
-- Rows, their times and their other columns stay.
SELECT count(*) AS calls, count(*) FILTER (WHERE c.created_at = b.created_at) AS same_created_at,
	   count(*) FILTER (WHERE c.status = 'ended' AND c.direction = 'inbound_unknown') AS same_state
FROM vapi_call_logs c JOIN calls_before b USING (org_id, id);

-- Inbox: processed events older than the payload retention are emptied;
-- failed ones (a replay needs them) 60 days later; newer ones stay whole.
SELECT coalesce(o.name, '(none)') AS org, split_part(i.dedupe_key, ':', 2)::integer AS age, i.state,
	   i.payload <> '{}' AS payload, i.answer <> '{}' AS answer
FROM webhook_inbox i LEFT JOIN orgs o USING (org_id) ORDER BY 1, 2, 3;
-- Instantly events.
SELECT o.name, split_part(e.dedup_key, '-', 2)::integer AS age, e.payload <> '{}' AS payload,
	   e.reply_text IS NOT NULL AS reply_text, e.reply_subject IS NOT NULL AS subject,
	   e.evidence IS NOT NULL AS evidence, e.lead_email IS NOT NULL AS lead_email, e.decision
FROM instantly_events e JOIN orgs o USING (org_id) ORDER BY 1, 2;
-- Outbox: a finished job that names a person keeps only ids; a pending one
-- and a lookup stay whole.
SELECT o.name, j.kind, j.state, split_part(j.idempotency_key, ':', 3)::integer AS age, j.payload
FROM outbox j JOIN orgs o USING (org_id) WHERE j.payload ? 'purged' OR split_part(j.idempotency_key, ':', 3) = '31'
ORDER BY 1, 2, 3, 4;
SELECT count(*) FILTER (WHERE payload ? 'customer_number') AS whole, count(*) FILTER (WHERE payload ? 'purged') AS purged
FROM outbox;
-- Unknown calls' reports: a brokerage's payload retention (30 days).
SELECT vapi_call_id, transcript, summary, report FROM unmatched_call_reports ORDER BY vapi_call_id;

-- A second run finds nothing more.
SELECT * FROM purge_personal_data();

-- ---------------------------------------------------------------- batches

-- Five old transcripts: batches of two take two, two, one; the procedure
-- takes any number, committing after each batch.
INSERT INTO vapi_call_logs (org_id, vapi_call_id, direction, transcript)
SELECT 'aaaaaaaa-0000-4000-8000-000000000000', 'batch-' || n, 'inbound_unknown', 'User: batch ' || n
FROM generate_series(1, 5) n;
UPDATE vapi_call_logs SET created_at = now() - interval '200 days' WHERE vapi_call_id LIKE 'batch-%';
SELECT purged FROM purge_personal_data(2) WHERE kind = 'transcripts';
SELECT purged FROM purge_personal_data(2) WHERE kind = 'transcripts';
SELECT count(*) AS left_over FROM vapi_call_logs WHERE vapi_call_id LIKE 'batch-%' AND transcript IS NOT NULL;
INSERT INTO vapi_call_logs (org_id, vapi_call_id, direction, transcript)
SELECT 'aaaaaaaa-0000-4000-8000-000000000000', 'more-' || n, 'inbound_unknown', 'User: more ' || n
FROM generate_series(1, 7) n;
UPDATE vapi_call_logs SET created_at = now() - interval '200 days' WHERE vapi_call_id LIKE 'more-%';
CALL purge_personal_data_in_batches(3);
SELECT count(*) AS left_over FROM vapi_call_logs WHERE transcript IS NOT NULL AND created_at < now() - interval '180 days';
-- Bad batch sizes.
SELECT * FROM purge_personal_data(0);
SELECT * FROM purge_personal_data(100001);

-- ---------------------------------------------------------------- who may purge

-- The service and pg_cron's role only.
BEGIN;
SET LOCAL ROLE authenticated;
SELECT * FROM purge_personal_data();
ROLLBACK;
BEGIN;
SET LOCAL ROLE service_role;
SELECT count(*) AS kinds FROM purge_personal_data();
ROLLBACK;

DROP EXTENSION vapi_pool CASCADE;
