-- Voicemail (issue 19, item 5): every create-call configures Vapi's voicemail
-- detection and carries a message a lead can act on; a call Vapi ends as
-- "voicemail" counts as an attempt (retried at the next allowed hour, the
-- SMS after the last one), never as a connected lead, and its call log keeps
-- the message it left.  The whole journey against the shim and the
-- dispatcher is t/103_journey_no_answer.pl.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
-- Retries wait for the calling hours in the lead's local time (the suite's
-- default lets any hour through).
SET vapi_pool.calling_window = '08:00-20:00';
\set VERBOSITY default

-- ---------------------------------------------------------------- classification

-- every endedReason that means a machine answered is voicemail; busy and
-- unanswered stay no_answer; a person who hung up is answered
SELECT reason, classify_ended_reason(reason) FROM (VALUES
	('voicemail'), ('customer-busy'), ('customer-did-not-answer'), ('call.forwarding.no-answer'),
	('call.in-progress.error-providerfault-outbound-sip-408-request-timeout'),
	('customer-ended-call'), ('silence-timed-out'), ('twilio-failed-to-connect-call')) AS r(reason);

-- ---------------------------------------------------------------- the detection every call asks for

SELECT voicemail_detection() AS default_detection;
SET vapi_pool.voicemail_beep_wait_seconds = 12;
SET vapi_pool.voicemail_detection = 'google';
SELECT voicemail_detection() AS google;
SET vapi_pool.voicemail_detection = 'openai';
SELECT voicemail_detection() AS openai;
SET vapi_pool.voicemail_detection = 'twilio';
SELECT voicemail_detection() AS twilio;
SET vapi_pool.voicemail_detection = 'off';
SELECT voicemail_detection() AS off;
SET vapi_pool.voicemail_detection = 'sometimes';
SET vapi_pool.voicemail_beep_wait_seconds = 61;
RESET vapi_pool.voicemail_detection;
RESET vapi_pool.voicemail_beep_wait_seconds;

-- ---------------------------------------------------------------- the message

SELECT spoken_phone_number('+13105550199') AS nanp, spoken_phone_number('+442071838750') AS uk,
	   spoken_phone_number(NULL) AS none;
-- the default names the caller, the office, why, and the number to call back (twice)
SELECT voicemail_text(NULL, 'Pat', 'Dana Lee', 'Acme Home Loans', '+13105550199');
-- a lead without a first name is greeted all the same
SELECT voicemail_text(NULL, '  ', 'Dana Lee', 'Acme Home Loans', '+13105550199');
-- an organisation's own template; an empty one leaves no message
SELECT voicemail_text('Hi {first_name}, {org_name} here. Call {callback_number}.', 'Pat', 'Dana Lee', 'Acme', '+13105550199');
SELECT voicemail_text('', 'Pat', 'Dana Lee', 'Acme', '+13105550199') IS NULL AS empty_leaves_none;
SET vapi_pool.voicemail_message = 'Call {callback_number}, {first_name}.';
SELECT voicemail_text(NULL, 'Pat', NULL, 'Acme', '+13105550199') AS from_the_setting;
RESET vapi_pool.voicemail_message;

-- ---------------------------------------------------------------- fixtures

INSERT INTO orgs (org_id, name, sms_when_unreachable, unreachable_sms_text) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans', true, 'We tried to call you back: call us at this number.'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'Quiet Loans', false, NULL);
UPDATE orgs SET voicemail_message = '' WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000';
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/New_York', '+14155550101', true),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001', 'Bo Quist', 'America/New_York', '+14155550201', true);
SELECT count(*) FROM (SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', ('+1310555019' || n)::e164, 'pn_a' || n)
	FROM generate_series(1, 4) n) s;
SELECT count(*) FROM add_pool_number('b1000000-0000-4000-8000-000000000001', '+13105550291', 'pn_b1');
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, primary_phone_e164, status) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Pat', 'Quinn', '+14155550123', 'call_requested'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001', 'Sam', 'Roe', '+14155550124', 'call_requested'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000003', 'a1000000-0000-4000-8000-000000000001', 'Kim', 'Lo', '+14155550125', 'call_requested'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b2000000-0000-4000-8000-000000000001', 'b1000000-0000-4000-8000-000000000001', 'Lou', 'Ng', '+14155550126', 'call_requested');
SELECT count(*) FROM (SELECT assign_number(id) FROM leads) s;
-- They asked to be called on the broker's web form (retries need consent evidence).
INSERT INTO lead_consents (org_id, lead_id, kind, source_id)
SELECT org_id, id, 'form', 'web-form-' || first_name FROM leads;
-- They live in New York (their own zone decides their calling hours, whatever
-- their numbers' area code says).
UPDATE leads SET timezone = 'America/New_York';
SET vapi_pool.intake_assistant_id = 'asst_barbara';

-- The dispatcher's part, played here: claim the due jobs and answer each
-- with Vapi's 201: a create-call's carries the given call id.
-- It claims at the wall clock's now, while this test's clock is its reports'
-- times: the claim's own check of the calling hours (sql/compliance.sql)
-- lets any hour through here.
CREATE FUNCTION pg_temp.place(call_id text) RETURNS TABLE (kind text, path text, body jsonb)
LANGUAGE plpgsql SET vapi_pool.calling_window = '00:00-24:00' AS $$
DECLARE
	r vapi_pool.outbox_request;
BEGIN
	FOR r IN SELECT * FROM vapi_pool.outbox_claim('d1') c ORDER BY c.job_id LOOP
		PERFORM vapi_pool.outbox_report(jsonb_build_array(jsonb_build_object('org_id', r.org_id, 'job_id', r.job_id,
			'attempt', r.attempt, 'status', 201, 'body', jsonb_build_object('id',
				CASE WHEN r.kind = 'vapi.create_call' THEN call_id ELSE 'chat-' || r.job_id END, 'status', 'queued')::text)));
		kind := r.kind;
		path := r.path;
		body := r.body::jsonb;
		RETURN NEXT;
	END LOOP;
END $$;
-- A pending job becomes due (time moves on).
CREATE FUNCTION pg_temp.due() RETURNS void
LANGUAGE sql AS $$ UPDATE vapi_pool.outbox SET run_at = now() WHERE state = 'pending' $$;
CREATE FUNCTION pg_temp.lead_of(call_id text) RETURNS text
LANGUAGE sql AS $$ SELECT l.status FROM vapi_pool.leads l JOIN vapi_pool.vapi_call_logs c ON c.lead_id = l.id
	WHERE c.vapi_call_id = call_id $$;

-- ---------------------------------------------------------------- Pat: busy, voicemail, no answer

-- attempt 1 is placed (as an Instantly reply's first call is) and is busy at
-- 19:31 New York: +1 h is past 20:00, so attempt 2 is the next morning at 08:00
SELECT vapi_call_id, attempt FROM record_call_placed(
	(SELECT id FROM vapi_number_assignments WHERE lead_id = 'a2000000-0000-4000-8000-000000000001'), 'pat-1');
SELECT outcome, next_attempt, next_attempt_at, next_attempt_at AT TIME ZONE 'America/New_York' AS local_time, lead_status
FROM record_call_ended('pat-1', 'customer-busy', '2026-11-21 00:30:40Z', '2026-11-21 00:31:00Z', NULL, NULL, NULL, NULL, NULL, NULL);
-- the retry job carries the message, filled in for Pat and the number that called
SELECT kind, payload ->> 'attempt' AS attempt, payload ->> 'voicemail_message' AS voicemail_message, run_at
FROM outbox WHERE payload ->> 'lead_id' = 'a2000000-0000-4000-8000-000000000001' ORDER BY id;
-- the request: detection configured explicitly, and the message
SELECT pg_temp.due();
SELECT kind, path, body -> 'assistantOverrides' AS overrides FROM pg_temp.place('pat-2');
SELECT vapi_call_id, attempt, status FROM vapi_call_logs WHERE vapi_call_id = 'pat-2';

-- attempt 2 reaches a machine at 08:05: a voicemail, not a connected lead;
-- attempt 3 after 4 h (12:05, inside the window); the log keeps the message
SELECT outcome, next_attempt, next_attempt_at AT TIME ZONE 'America/New_York' AS local_time, lead_status, review_reason
FROM record_call_ended('pat-2', 'voicemail', '2026-11-21 13:04:30Z', '2026-11-21 13:05:00Z', NULL, NULL,
	'AI: Hi Pat, this is Dana Lee''s office...', NULL, 0.02, '{"message": {"type": "end-of-call-report", "endedReason": "voicemail"}}');
SELECT vapi_call_id, outcome, ended_reason, voicemail_message FROM vapi_call_logs
WHERE lead_id = 'a2000000-0000-4000-8000-000000000001' ORDER BY attempt;
-- one message per request: attempt 3 still detects, but leaves none again
SELECT payload ->> 'attempt' AS attempt, payload ? 'voicemail_message' AS has_key,
	   payload ->> 'voicemail_message' AS voicemail_message
FROM outbox WHERE idempotency_key = 'retry-of:pat-2';
SELECT pg_temp.due();
SELECT body -> 'assistantOverrides' AS overrides FROM pg_temp.place('pat-3');

-- attempt 3 is not answered: Pat is unreachable and gets the SMS, once
SELECT outcome, next_attempt, lead_status
FROM record_call_ended('pat-3', 'customer-did-not-answer', '2026-11-21 17:05:00Z', '2026-11-21 17:05:30Z', NULL, NULL, NULL, NULL, NULL, NULL);
SELECT outcome, duplicate
FROM record_call_ended('pat-3', 'customer-did-not-answer', '2026-11-21 17:05:00Z', '2026-11-21 17:05:30Z', NULL, NULL, NULL, NULL, NULL, NULL);
SELECT kind, payload ->> 'purpose' AS purpose, payload ->> 'text' AS text,
	   run_at = next_call_time(org_id, (payload ->> 'lead_id')::uuid, NULL, created_at) AS due_first_allowed
FROM outbox WHERE kind = 'vapi.sms';
SELECT pg_temp.due();
SELECT kind, path, body FROM pg_temp.place(NULL);
SELECT status FROM leads WHERE id = 'a2000000-0000-4000-8000-000000000001';

-- ---------------------------------------------------------------- Sam: the last attempt reaches voicemail

SET vapi_pool.max_call_attempts = 2;
SELECT vapi_call_id FROM record_call_placed(
	(SELECT id FROM vapi_number_assignments WHERE lead_id = 'a2000000-0000-4000-8000-000000000002'), 'sam-1');
SELECT outcome, next_attempt, lead_status
FROM record_call_ended('sam-1', 'customer-did-not-answer', '2026-11-21 15:00:00Z', '2026-11-21 15:00:30Z', NULL, NULL, NULL, NULL, NULL, NULL);
SELECT pg_temp.due();
SELECT body -> 'assistantOverrides' ->> 'voicemailMessage' AS message FROM pg_temp.place('sam-2');
-- voicemail on the last attempt: unreachable, and the SMS (WF6's "then the SMS")
SELECT outcome, next_attempt, lead_status
FROM record_call_ended('sam-2', 'voicemail', '2026-11-21 19:00:00Z', '2026-11-21 19:00:40Z', NULL, NULL, NULL, NULL, NULL, NULL);
SELECT voicemail_message IS NOT NULL AS message_left FROM vapi_call_logs WHERE vapi_call_id = 'sam-2';
SELECT count(*) AS sms_jobs FROM outbox WHERE kind = 'vapi.sms' AND payload ->> 'lead_id' = 'a2000000-0000-4000-8000-000000000002';
RESET vapi_pool.max_call_attempts;

-- ---------------------------------------------------------------- Kim answers: connected, as before

SELECT vapi_call_id FROM record_call_placed(
	(SELECT id FROM vapi_number_assignments WHERE lead_id = 'a2000000-0000-4000-8000-000000000003'), 'kim-1');
SELECT outcome, next_attempt, lead_status
FROM record_call_ended('kim-1', 'customer-ended-call', '2026-11-21 15:00:00Z', '2026-11-21 15:03:00Z', NULL, NULL, NULL, NULL, NULL, NULL);
SELECT voicemail_message FROM vapi_call_logs WHERE vapi_call_id = 'kim-1';

-- ---------------------------------------------------------------- an organisation that leaves no message

-- Lou's organisation emptied its message: the call still detects a machine
-- (so the voicemail is an attempt), says nothing to it, and the log says so
SELECT vapi_call_id FROM record_call_placed(
	(SELECT id FROM vapi_number_assignments WHERE lead_id = 'b2000000-0000-4000-8000-000000000001'), 'lou-1');
SELECT outcome, next_attempt, lead_status
FROM record_call_ended('lou-1', 'customer-busy', '2026-11-21 15:00:00Z', '2026-11-21 15:00:30Z', NULL, NULL, NULL, NULL, NULL, NULL);
SELECT payload -> 'voicemail_message' AS voicemail_message FROM outbox WHERE idempotency_key = 'retry-of:lou-1';
SELECT pg_temp.due();
SET vapi_pool.voicemail_detection = 'twilio';
SELECT kind, body -> 'assistantOverrides' AS overrides FROM pg_temp.place('lou-2');
RESET vapi_pool.voicemail_detection;
SELECT outcome, next_attempt, lead_status
FROM record_call_ended('lou-2', 'voicemail', '2026-11-21 17:00:00Z', '2026-11-21 17:00:30Z', NULL, NULL, NULL, NULL, NULL, NULL);
SELECT outcome, voicemail_message FROM vapi_call_logs WHERE vapi_call_id = 'lou-2';
SELECT pg_temp.lead_of('lou-2') AS lou;

-- ---------------------------------------------------------------- the rows

-- every create-call: done, its call logged; the outcomes on the logs
SELECT kind, state, count(*) FROM outbox GROUP BY kind, state ORDER BY kind, state;
SELECT vapi_call_id, attempt, ended_reason, outcome, voicemail_message IS NOT NULL AS message_left
FROM vapi_call_logs ORDER BY vapi_call_id;
-- a voicemail outcome is a known one; anything else is refused
\set VERBOSITY terse
UPDATE vapi_call_logs SET outcome = 'machine' WHERE vapi_call_id = 'pat-2';

DROP EXTENSION vapi_pool CASCADE;
