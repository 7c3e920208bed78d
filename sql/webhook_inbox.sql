-- The webhook inbox: receive_webhook stores each authenticated event once,
-- runs the typed SQL function it asks for and returns the sender's answer;
-- failures are kept (the dead-letter queue) and replay_event runs them
-- again.  The shim's HTTP side is in t/070_shim_webhooks.pl; concurrent
-- deliveries in specs/webhook_duplicate_race.spec.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
\set VERBOSITY default

-- ---------------------------------------------------------------- fixtures

INSERT INTO orgs (org_id, name) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Mortgages'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'Bay Clinic');
UPDATE orgs SET is_clinic = true, timezone = 'America/Los_Angeles' WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000';
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, secondary_phone_e164, number_pool_active) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/New_York', '+14155550101', '+14155550102', true),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001', 'Front Desk', 'America/Los_Angeles', '+14155550201', NULL, true);
INSERT INTO territories (org_id, zip, broker_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', '90210', 'a1000000-0000-4000-8000-000000000001');
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164, status) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Pat', '+14155550123', 'call_requested');
SELECT number FROM add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550199', 'pn_4c2d9e7f');
SELECT number FROM add_pool_number('b1000000-0000-4000-8000-000000000001', '+13105550299', 'pn_clinic');
SELECT status FROM assign_number('a2000000-0000-4000-8000-000000000001');

-- the Vapi example of the reference, as one template
\set ar '{"message": {"type": "assistant-request", "timestamp": 1763740800000, "call": {"id": "call-1", "type": "inboundPhoneCall", "phoneNumberId": "pn_4c2d9e7f", "customer": {"number": "+14155550123"}}, "phoneNumber": {"id": "pn_4c2d9e7f", "number": "+13105550199"}, "customer": {"number": "+14155550123"}}}'

-- ---------------------------------------------------------------- assistant-request

-- no assistant configured: a known caller is forwarded straight to the broker
SELECT http_status, answer, state, duplicate FROM receive_webhook('vapi',
	jsonb_set(:'ar', '{message,call,id}', '"call-0"'));
SET vapi_pool.intake_assistant_id = '9a8b7c6d-barbara';
SET vapi_pool.connector_assistant_id = '1d2e3f4a-call-connector';
-- a lead calling their pool number: the Call Connector, primary then secondary in variableValues
SELECT http_status, answer, state, duplicate FROM receive_webhook('vapi', :'ar');
-- the same delivery again: the first answer, nothing run again
SELECT http_status, answer = (SELECT answer FROM webhook_inbox WHERE dedupe_key = 'assistant-request:call-1') AS same_answer,
	duplicate FROM receive_webhook('vapi', :'ar');
SELECT count(*) AS call_logs FROM vapi_call_logs WHERE vapi_call_id = 'call-1';
-- an unknown caller: the intake assistant with the numbers
SELECT http_status, answer FROM receive_webhook('vapi',
	jsonb_set(jsonb_set(:'ar', '{message,call,id}', '"call-2"'), '{message,customer,number}', '"+12125550100"'));
-- an organisation's own intake assistant wins over the setting
UPDATE orgs SET intake_assistant_id = 'clinic-voxanne' WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000';
SELECT answer ->> 'assistantId' AS assistant FROM receive_webhook('vapi',
	jsonb_set(jsonb_set(jsonb_set(:'ar', '{message,call,id}', '"call-3"'), '{message,customer,number}', '"+12125550100"'),
		'{message,phoneNumber,number}', '"+13105550299"'));
-- forward mode: a direct transfer to the broker, silent
SET vapi_pool.known_caller_answer = 'forward';
SELECT answer FROM receive_webhook('vapi', jsonb_set(:'ar', '{message,call,id}', '"call-4"'));
RESET vapi_pool.known_caller_answer;
-- an anonymous caller (no number) is routed as unknown
SELECT answer ->> 'assistantId' AS assistant FROM receive_webhook('vapi',
	jsonb_set(:'ar', '{message,call,id}', '"call-5"') #- '{message,customer}' #- '{message,call,customer}');

-- ---------------------------------------------------------------- transfer-destination-request

-- sequential ring: primary, secondary, then a sentence (each request has its own timestamp)
\set td '{"message": {"type": "transfer-destination-request", "timestamp": 1763740900000, "call": {"id": "call-1", "phoneNumberId": "pn_4c2d9e7f"}, "phoneNumber": {"number": "+13105550199"}, "customer": {"number": "+14155550123"}}}'
SELECT answer FROM receive_webhook('vapi', :'td');
SELECT answer FROM receive_webhook('vapi', jsonb_set(:'td', '{message,timestamp}', '1763740900001'));
SELECT answer FROM receive_webhook('vapi', jsonb_set(:'td', '{message,timestamp}', '1763740900002'));
-- a retried delivery of the first request does not move the ring on
SELECT answer -> 'destination' ->> 'number' AS number, duplicate FROM receive_webhook('vapi', :'td');

-- ---------------------------------------------------------------- tool-calls

-- both item forms, arguments as an object and as a JSON string, in order, ids echoed
SELECT jsonb_pretty(answer) FROM receive_webhook('vapi', $${"message": {"type": "tool-calls", "timestamp": 1763740860000,
  "call": {"id": "call-1", "phoneNumberId": "pn_4c2d9e7f"},
  "toolCallList": [
    {"id": "t1", "type": "function", "function": {"name": "supabase_query", "arguments": {"query_type": "find_broker_by_zip", "identifier": "90210"}}},
    {"id": "t2", "type": "function", "function": {"name": "supabase_query", "arguments": "{\"query_type\": \"get_lead_details\", \"identifier\": \"+14155550123\"}"}},
    {"id": "t3", "name": "supabase_query", "parameters": {"query_type": "nonsense", "identifier": "x"}},
    {"id": "t4", "type": "function", "function": {"name": "check_availability_and_book", "arguments": {"action": "check"}}},
    {"id": "t5", "type": "function", "function": {"name": "drop_tables", "arguments": {}}},
    {"id": "t6", "type": "function", "function": {"name": "supabase_query", "arguments": "{not json"}}
  ]}}$$);
-- toolWithToolCallList only
SELECT answer FROM receive_webhook('vapi', $${"message": {"type": "tool-calls", "call": {"id": "call-1", "phoneNumberId": "pn_4c2d9e7f"},
  "toolWithToolCallList": [{"type": "function", "function": {"name": "supabase_query"},
    "toolCall": {"id": "w1", "type": "function", "function": {"name": "supabase_query", "arguments": {"query_type": "get_broker_details", "identifier": "a1000000-0000-4000-8000-000000000001"}}}}]}}$$);
-- claim_slot_atomic for a clinic caller not on file yet: the caller becomes a contact and the slot is
-- held (in the clinic's opening hours; the receptionist's tools are sql/clinic_calls.sql)
INSERT INTO clinic_hours (org_id, weekday, opens, closes)
SELECT 'bbbbbbbb-0000-4000-8000-000000000000', d, '00:00', '24:00' FROM generate_series(1, 7) d;
SELECT r ->> 'name' AS name, r ->> 'toolCallId' AS id, r ->> 'result' LIKE 'Held %' AS held,
	r ->> 'result' ~ 'America/Los_Angeles' AS in_zone, r ->> 'result' ~ 'hold_id: [0-9a-f-]{36}' AS with_hold_id, r ->> 'error' AS error
FROM receive_webhook('vapi', jsonb_build_object('message', jsonb_build_object('type', 'tool-calls',
	'call', jsonb_build_object('id', 'clinic-call-1', 'phoneNumberId', 'pn_clinic', 'customer', jsonb_build_object('number', '+16505550111')),
	'toolCallList', jsonb_build_array(
		jsonb_build_object('id', 'c1', 'name', 'claim_slot_atomic', 'parameters',
			jsonb_build_object('slot_time', date_trunc('hour', now()) + interval '2 days')),
		jsonb_build_object('id', 'c2', 'name', 'claim_slot_atomic', 'parameters', '{}'::jsonb))))) w,
	jsonb_array_elements(w.answer -> 'results') r;
SELECT count(*) AS contacts, min(primary_phone_e164::text) AS number FROM leads WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000';
SELECT status, contact_id = (SELECT id FROM leads WHERE primary_phone_e164 = '+16505550111') AS the_caller
FROM appointments WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000';
-- a call nobody can place in an organisation: an error per item, not an HTTP error
SELECT http_status, answer FROM receive_webhook('vapi',
	'{"message": {"type": "tool-calls", "call": {"id": "c-flat-1"}, "toolCallList": [{"id": "call_f1", "name": "claim_slot_atomic", "parameters": {"slot_time": "2026-11-24T17:00:00Z"}}]}}');

-- ---------------------------------------------------------------- status-update and end-of-call-report

\set su '{"message": {"type": "status-update", "status": "forwarding", "call": {"id": "call-1"}}}'
SELECT status AS logged_status FROM vapi_call_logs WHERE vapi_call_id = 'call-1';
SELECT answer FROM receive_webhook('vapi', :'su');
-- late and out of order: recorded, the log does not go back
SELECT answer FROM receive_webhook('vapi', jsonb_set(:'su', '{message,status}', '"ringing"'));
-- "ended" is left to the report, which has the details
SELECT answer FROM receive_webhook('vapi', jsonb_set(:'su', '{message,status}', '"ended"'));
SELECT status FROM vapi_call_logs WHERE vapi_call_id = 'call-1';

\set eocr '{"message": {"type": "end-of-call-report", "endedReason": "customer-ended-call", "startedAt": "2026-11-21T17:00:00Z", "endedAt": "2026-11-21T17:02:05Z", "cost": 0.21, "call": {"id": "call-1", "phoneNumberId": "pn_4c2d9e7f"}, "artifact": {"transcript": "AI: Hello Pat. User: Call me on 415 555 0123 please.", "recordingUrl": "https://storage.vapi.ai/call-1.wav"}, "analysis": {"summary": "Pat asked for a callback."}}}'
SELECT http_status, answer - 'call_log_id' AS answer, duplicate FROM receive_webhook('vapi', :'eocr');
SELECT status, ended_reason, duration_seconds, recording_url, summary, transcript FROM vapi_call_logs WHERE vapi_call_id = 'call-1';
-- stored without the transcript and summary (they live redacted in the call log)
SELECT payload #> '{message,artifact}' AS artifact, payload #> '{message,analysis}' AS analysis
FROM webhook_inbox WHERE dedupe_key = 'end-of-call-report:call-1';
SELECT duplicate, answer ->> 'outcome' AS outcome FROM receive_webhook('vapi', :'eocr');
-- the older top-level fields, durationSeconds first
SELECT answer ->> 'outcome' AS outcome FROM receive_webhook('vapi', $${"message": {"type": "end-of-call-report",
  "endedReason": "customer-did-not-answer", "durationSeconds": 0, "recordingUrl": "https://storage.vapi.ai/call-2.wav",
  "transcript": "", "summary": "No answer.", "call": {"id": "call-2"}}}$$);
SELECT direction, ended_reason, duration_seconds, recording_url, summary FROM vapi_call_logs WHERE vapi_call_id = 'call-2';
-- other types: stored and answered
SELECT answer FROM receive_webhook('vapi', '{"message": {"type": "speech-update", "timestamp": 1, "call": {"id": "call-1"}}}');

-- ---------------------------------------------------------------- failures: the dead-letter queue

-- a report the functions refuse: stored as failed with the error, nothing else written
\set VERBOSITY terse
SELECT http_status, answer, state FROM receive_webhook('vapi',
	'{"message": {"type": "end-of-call-report", "endedReason": "customer-ended-call", "startedAt": "yesterday-ish", "call": {"id": "call-9"}}}');
-- caller-facing types still get an answer they can act on
SELECT http_status, answer, state FROM receive_webhook('vapi',
	'{"message": {"type": "transfer-destination-request", "timestamp": 5, "call": {"id": "call-9"}, "customer": {"number": "+1415"}, "phoneNumber": {"number": "not a number"}}}');
SELECT http_status, answer, state FROM receive_webhook('vapi', '{"message": {"type": "assistant-request"}}');
SELECT http_status, answer, state FROM receive_webhook('vapi', '{"message": "not an object"}');
SELECT http_status, answer, state FROM receive_webhook('vapi', '{"message": {"call": {"id": "call-9"}}}');
\set VERBOSITY default
SELECT event_type, dedupe_key ~ ':sha256:[0-9a-f]{64}$' AS digest_key, state, http_status, error_sqlstate, error
FROM webhook_inbox WHERE state = 'failed' ORDER BY id;
SELECT failed FROM inbox_stats();

-- an Instantly reply for a campaign nobody registered: failed; registering it and replaying runs it
\set reply '{"timestamp": "2026-11-21T16:00:00.000Z", "event_type": "reply_received", "workspace": "51c0231c-9645-46c3-992a-ec88b782136d", "campaign_id": "1e24d68f-3645-42ac-a253-8b64ee61feee", "lead_email": "sam.rivera@example.com", "email_id": "reply-1", "reply_text": "Not interested, please remove me.", "firstName": "Sam"}'
\set VERBOSITY terse
SELECT http_status, answer ->> 'sqlstate' AS sqlstate, state FROM receive_webhook('instantly', :'reply');
\set VERBOSITY default
SELECT id AS reply_event FROM webhook_inbox WHERE dedupe_key = 'reply_received:reply-1' \gset
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, broker_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d',
	 'a1000000-0000-4000-8000-000000000001');
SELECT inbox_id = :reply_event AS same_event, http_status, answer ->> 'intent' AS intent, answer ->> 'decision' AS decision, state
FROM replay_event(:reply_event);
SELECT state, attempts, error IS NULL AS no_error, org_id, payload ? 'reply_text' AS kept_reply_text
FROM webhook_inbox WHERE id = :reply_event;
-- a processed event is not replayed; an unknown one does not exist
SELECT replay_event(:reply_event);
SELECT replay_event(0);
-- a redelivery gets the answer of the replay
SELECT duplicate, answer ->> 'decision' AS decision FROM receive_webhook('instantly', :'reply');
-- a redelivery of a failed event runs it again
UPDATE orgs SET intake_assistant_id = NULL;
SELECT attempts FROM webhook_inbox WHERE dedupe_key LIKE 'end-of-call-report:call-9';
\set VERBOSITY terse
SELECT state FROM receive_webhook('vapi',
	'{"message": {"type": "end-of-call-report", "endedReason": "customer-ended-call", "startedAt": "yesterday-ish", "call": {"id": "call-9"}}}');
\set VERBOSITY default
SELECT attempts FROM webhook_inbox WHERE dedupe_key LIKE 'end-of-call-report:call-9';

-- ---------------------------------------------------------------- Cal.com

INSERT INTO leads (org_id, id, first_name, primary_phone_e164) VALUES
	('bbbbbbbb-0000-4000-8000-000000000000', 'b2000000-0000-4000-8000-000000000001', 'Ana', '+16505550112');
SELECT (confirm_slot(claim_slot_atomic(date_trunc('day', now()) + interval '3 days 17 hours',
	'b2000000-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000000'), 'calUid1')).status;
\set moved '{"triggerEvent": "BOOKING_RESCHEDULED", "payload": {"uid": "calUid2", "rescheduleUid": "calUid1", "startTime": "2030-01-07T18:00:00Z", "endTime": "2030-01-07T18:45:00Z"}}'
SELECT answer FROM receive_webhook('cal', :'moved');
SELECT status, scheduled_at, duration, cal_booking_uid FROM appointments WHERE contact_id = 'b2000000-0000-4000-8000-000000000001';
SELECT answer FROM receive_webhook('cal', '{"triggerEvent": "BOOKING_CANCELLED", "payload": {"uid": "calUid2"}}');
SELECT status, cancel_reason FROM appointments WHERE contact_id = 'b2000000-0000-4000-8000-000000000001';
-- Cal.com told us: nothing to cancel there
SELECT count(*) AS cal_cancel_jobs FROM outbox WHERE kind = 'cal.cancel_booking';
SELECT answer FROM receive_webhook('cal', '{"triggerEvent": "BOOKING_CANCELLED", "payload": {"uid": "someone-elses"}}');
SELECT answer FROM receive_webhook('cal', '{"triggerEvent": "BOOKING_CREATED", "payload": {"uid": "calUid9"}}');
SELECT org_id, event_type, dedupe_key FROM webhook_inbox WHERE source = 'cal' ORDER BY id;

-- ---------------------------------------------------------------- retention

-- processed events older than the window go, newest and failed ones stay
UPDATE webhook_inbox SET received_at = now() - interval '40 days'
WHERE dedupe_key IN ('assistant-request:call-1', 'assistant-request:call-2', 'end-of-call-report:call-9');
SELECT count(*) FILTER (WHERE state = 'processed') AS processed, count(*) FILTER (WHERE state = 'failed') AS failed
FROM webhook_inbox;
SELECT purge_inbox('30 days', 1) AS first_batch, purge_inbox('30 days') AS second_batch, purge_inbox() AS nothing_left;
SELECT count(*) FILTER (WHERE state = 'processed') AS processed, count(*) FILTER (WHERE state = 'failed') AS failed,
	count(*) FILTER (WHERE dedupe_key = 'end-of-call-report:call-9') AS old_failure_kept
FROM webhook_inbox;
-- a purged event delivered again runs again (that is why the window is long)
SELECT duplicate FROM receive_webhook('vapi', :'ar');
SELECT purge_inbox('1 hour');
SELECT purge_inbox('30 days', 0);
CALL purge_inbox_in_batches();
SELECT schedule_inbox_purge();

-- ---------------------------------------------------------------- bad calls

SELECT receive_webhook('stripe', '{}');
SELECT receive_webhook('vapi', '[1, 2]');
SELECT receive_webhook(NULL, '{}');

-- ---------------------------------------------------------------- security

-- members read their own organisation's events; only service_role may receive
INSERT INTO org_members (org_id, user_id, role) VALUES
	('bbbbbbbb-0000-4000-8000-000000000000', 'cccccccc-0000-4000-8000-000000000001', 'owner');
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "cccccccc-0000-4000-8000-000000000001", "role": "authenticated"}', true) IS NOT NULL AS signed_in;
SELECT DISTINCT org_id FROM webhook_inbox;
SELECT receive_webhook('vapi', :'ar');
ROLLBACK;
BEGIN;
SET LOCAL ROLE anon;
SELECT count(*) FROM webhook_inbox;
ROLLBACK;

DROP EXTENSION vapi_pool CASCADE;
