-- Group commit (release 0.10.0): receive_webhooks takes several deliveries
-- in one transaction, each exactly as receive_webhook takes it, each in a
-- subtransaction of its own.  What a group answers must be what the same
-- deliveries one by one answer; a failing delivery fails alone; a
-- duplicate inside a group is a duplicate as across groups.  The shim's side
-- (grouping what is queued, answering after COMMIT) is t/113_group_commit.pl;
-- concurrent groups in specs/webhook_group_race.spec.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
\set VERBOSITY terse

INSERT INTO orgs (org_id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Mortgages');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, secondary_phone_e164, number_pool_active) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/New_York', '+14155550101', '+14155550102', true);
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164, status) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Pat', '+14155550123', 'call_requested');
SELECT number FROM add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550199', 'pn_4c2d9e7f');
SELECT status FROM assign_number('a2000000-0000-4000-8000-000000000001');
SET vapi_pool.intake_assistant_id = '9a8b7c6d-barbara';
SET vapi_pool.connector_assistant_id = '1d2e3f4a-call-connector';

-- a delivery of the Vapi reference's assistant-request for call :id from :caller
CREATE FUNCTION pg_temp.ar(id text, caller text) RETURNS text LANGUAGE sql AS $$
	SELECT format('{"message": {"type": "assistant-request", "timestamp": 1763740800000, "call": {"id": "%s", "type": "inboundPhoneCall", "phoneNumberId": "pn_4c2d9e7f", "customer": {"number": "%s"}}, "phoneNumber": {"id": "pn_4c2d9e7f", "number": "+13105550199"}, "customer": {"number": "%s"}}}', id, caller, caller)
$$;
CREATE FUNCTION pg_temp.eocr(id text, started text) RETURNS text LANGUAGE sql AS $$
	SELECT format('{"message": {"type": "end-of-call-report", "endedReason": "customer-ended-call", "startedAt": "%s", "endedAt": "2026-11-21T16:03:00Z", "durationSeconds": 180, "transcript": "AI: Hello. User: call me at 415 555 0188.", "call": {"id": "%s"}}}', started, id)
$$;

-- ---------------------------------------------------------------- the same answers as one by one

-- one by one: a known caller, a stranger, the known caller's report
SELECT http_status, answer, state, duplicate FROM receive_webhook('vapi', pg_temp.ar('one-1', '+14155550123')::jsonb);
SELECT http_status, answer, state, duplicate FROM receive_webhook('vapi', pg_temp.ar('one-2', '+12125550100')::jsonb);
SELECT http_status, answer - 'call_log_id' AS answer, state FROM receive_webhook('vapi', pg_temp.eocr('one-1', '2026-11-21T16:00:00Z')::jsonb);
-- the same three as one group: the same answers with the group's call ids, in order
SELECT ordinal, http_status, answer - 'call_log_id' AS answer, state, duplicate, error_sqlstate, error
FROM receive_webhooks(ARRAY['vapi', 'vapi', 'vapi'],
	ARRAY[pg_temp.ar('grp-1', '+14155550123'), pg_temp.ar('grp-2', '+12125550100'),
		  pg_temp.eocr('grp-1', '2026-11-21T16:00:00Z')]);
-- what they stored is the same too: two inbound calls logged and ended, inbox rows alike
SELECT vapi_call_id, direction, status, outcome, ended_reason, duration_seconds, transcript
FROM vapi_call_logs WHERE vapi_call_id IN ('one-1', 'grp-1', 'one-2', 'grp-2') ORDER BY vapi_call_id;
SELECT split_part(dedupe_key, ':', 1) AS type, regexp_replace(split_part(dedupe_key, ':', 2), '-.*', '') AS run,
	state, http_status, attempts, duplicates
FROM webhook_inbox ORDER BY type, run, dedupe_key;

-- ---------------------------------------------------------------- duplicates inside a group

-- the same assistant-request twice in one group, and a report delivered three times:
-- each runs once, the later deliveries get the first answer and count as duplicates
SELECT ordinal, http_status, state, duplicate,
	answer = first_value(answer) OVER (PARTITION BY ordinal IN (1, 3) ORDER BY ordinal) AS first_answer
FROM receive_webhooks(ARRAY['vapi', 'vapi', 'vapi', 'vapi', 'vapi'],
	ARRAY[pg_temp.ar('dup-1', '+12125550111'), pg_temp.eocr('dup-0', '2026-11-21T16:00:00Z'),
		  pg_temp.ar('dup-1', '+12125550111'), pg_temp.eocr('dup-0', '2026-11-21T16:00:00Z'),
		  pg_temp.eocr('dup-0', '2026-11-21T16:00:00Z')])
ORDER BY ordinal;
SELECT dedupe_key, attempts, duplicates FROM webhook_inbox WHERE dedupe_key LIKE '%dup-%' ORDER BY dedupe_key;
SELECT count(*) AS dup_call_logs FROM vapi_call_logs WHERE vapi_call_id = 'dup-1';
-- and across groups: a later group's delivery is a duplicate as well
SELECT ordinal, state, duplicate FROM receive_webhooks(ARRAY['vapi'], ARRAY[pg_temp.ar('dup-1', '+12125550111')]);
SELECT dedupe_key, attempts, duplicates FROM webhook_inbox WHERE dedupe_key = 'assistant-request:dup-1';

-- ---------------------------------------------------------------- one failing delivery fails alone

-- not JSON, an array, an unknown source, NULLs, a report the functions refuse (a dead letter) and
-- an Instantly event nobody registered (another): the good deliveries around them are stored
SELECT ordinal, inbox_id IS NOT NULL AS stored, http_status, state, answer ->> 'sqlstate' AS answer_sqlstate,
	error_sqlstate, error
FROM receive_webhooks(ARRAY['vapi', 'vapi', 'vapi', 'twilio', NULL, 'vapi', 'vapi', 'instantly', 'vapi'],
	ARRAY[pg_temp.ar('ok-1', '+12125550112'), '{"message": {"type": "assistant-request"', '[1, 2]',
		  pg_temp.ar('ok-x', '+12125550113'), pg_temp.ar('ok-y', '+12125550114'),
		  pg_temp.eocr('bad-1', 'yesterday-ish'), NULL,
		  '{"event_type": "reply_received", "workspace": "51c0231c-9645-46c3-992a-ec88b782136d", "campaign_id": "1e24d68f-3645-42ac-a253-8b64ee61feee", "lead_email": "sam@example.com", "email_id": "reply-g1", "reply_text": "Call me"}',
		  pg_temp.ar('ok-2', '+12125550115')]);
SELECT dedupe_key, state, error_sqlstate FROM webhook_inbox
WHERE dedupe_key ~ '(ok|bad)-|reply-g1' ORDER BY dedupe_key;
-- the dead letter is run again by a later delivery, in a group as alone
SELECT ordinal, state FROM receive_webhooks(ARRAY['vapi'], ARRAY[pg_temp.eocr('bad-1', 'yesterday-ish')]);
SELECT attempts FROM webhook_inbox WHERE dedupe_key = 'end-of-call-report:bad-1';

-- ---------------------------------------------------------------- the commit's durability

-- every group commits as durably as a single event (0.10.0 dropped
-- vapi_pool.async_routing_commit: an answered assistant-request is never lost)
BEGIN;
SELECT count(*) FROM receive_webhooks(ARRAY['vapi', 'vapi'],
	ARRAY[pg_temp.ar('sc-1', '+12125550116'), pg_temp.ar('sc-2', '+12125550117')]);
SHOW synchronous_commit;
ROLLBACK;
BEGIN;
SELECT state FROM receive_webhook('vapi', pg_temp.ar('sc-3', '+12125550118')::jsonb);
SHOW synchronous_commit;
ROLLBACK;
SELECT count(*) AS async_setting FROM pg_settings WHERE name = 'vapi_pool.async_routing_commit';
-- what a delivery sets for its transaction (a tool call of a logged call sets its
-- organisation's claims) ends with the delivery: the next one of the group, and
-- the caller after it, do not run as that organisation
BEGIN;
SELECT ordinal, http_status FROM receive_webhooks(ARRAY['vapi'], ARRAY['{"message": {"type": "tool-calls", "call": {"id": "grp-1"}, "toolCallList": [{"id": "t1", "type": "function", "function": {"name": "supabase_query", "arguments": {"query_type": "find_broker_by_zip", "identifier": "90210"}}}]}}']);
SELECT coalesce(current_setting('request.jwt.claims', true), '') AS claims_after_group;
ROLLBACK;

-- ---------------------------------------------------------------- the arguments

SELECT count(*) FROM receive_webhooks(ARRAY[]::text[], ARRAY[]::text[]);
SELECT * FROM receive_webhooks(ARRAY['vapi'], ARRAY[]::text[]);
SELECT * FROM receive_webhooks(NULL, ARRAY['{}']);
SELECT * FROM receive_webhooks(ARRAY[['vapi'], ['vapi']], ARRAY[['{}'], ['{}']]);
SELECT count(*) FROM receive_webhooks(array_fill('vapi'::text, ARRAY[257]), array_fill('{}'::text, ARRAY[257]));
-- the shim's role alone may call it
SET ROLE authenticated;
SELECT * FROM receive_webhooks(ARRAY['vapi'], ARRAY['{}']);
RESET ROLE;
SELECT has_function_privilege('service_role', 'vapi_pool.receive_webhooks(text[], text[])', 'EXECUTE') AS service_role,
	has_function_privilege('anon', 'vapi_pool.receive_webhooks(text[], text[])', 'EXECUTE') AS anon;

DROP EXTENSION vapi_pool CASCADE;
