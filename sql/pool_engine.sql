-- The number-pool engine: assignment, pool administration, inbound routing,
-- sequential ring, call outcomes and retries, release.  Concurrency is in
-- specs/pool_assign_race.spec; pg_cron in t/050_pool_maintenance.pl.
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

SELECT reason, classify_ended_reason(reason) FROM (VALUES
	('customer-did-not-answer'), ('customer-busy'), ('voicemail'),
	('call.forwarding.no-answer'), ('call.forwarding.operator-busy'),
	('call.in-progress.error-providerfault-outbound-sip-408-request-timeout'),
	('call.in-progress.error-providerfault-outbound-sip-480-temporarily-unavailable'),
	('call.in-progress.error-sip-outbound-call-failed-to-connect'),
	('twilio-failed-to-connect-call'), ('vonage-rejected'),
	('call.start.error-subscription-concurrency-limit-reached'),
	('pipeline-error-openai-llm-failed'), ('call.in-progress.error-vapifault-transport-never-connected'),
	('customer-ended-call'), ('assistant-ended-call'), ('assistant-forwarded-call'),
	('silence-timed-out'), ('exceeded-max-duration'), ('some-new-reason'), ('')) AS r(reason);
SELECT classify_ended_reason(NULL) IS NULL AS null_is_null;

-- ---------------------------------------------------------------- fixtures

INSERT INTO orgs (org_id, name) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Mortgages'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'Bay Clinic');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, secondary_phone_e164, number_pool_active) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/New_York', '+14155550101', '+14155550102', true),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002', 'Idle Broker', 'America/Chicago', '+14155550103', NULL, false),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000003', 'No Phones', 'America/Los_Angeles', NULL, NULL, true),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001', 'Other Org', 'UTC', '+14155550201', NULL, true);
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164, status) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Pat', '+14155550123', 'call_requested'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001', 'Sam', '+14155550124', 'call_requested'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000003', 'a1000000-0000-4000-8000-000000000001', 'Kim', '+14155550125', 'call_requested'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000004', 'a1000000-0000-4000-8000-000000000001', 'Lou', '+14155550126', 'call_requested'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000005', 'a1000000-0000-4000-8000-000000000002', 'Ida', '+14155550127', 'new'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000006', NULL, 'Nobody', '+14155550128', 'new'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000007', 'a1000000-0000-4000-8000-000000000003', 'Vic', '+14155550129', 'new');
-- They asked to be called on the broker's web form (retries need consent evidence).
INSERT INTO lead_consents (org_id, lead_id, kind, source_id)
SELECT org_id, id, 'form', 'web-form-' || first_name FROM leads;
-- They live in New York (their own zone decides their calling hours, whatever
-- their numbers' area code says).
UPDATE leads SET timezone = 'America/New_York';

-- ---------------------------------------------------------------- add_pool_number

SELECT number, status, vapi_phone_number_id FROM add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550191', 'pn_1');
SELECT number, status FROM add_pool_number('a1000000-0000-4000-8000-000000000001', e164_parse('(310) 555-0192', 'US'), 'pn_2');
SELECT number, status FROM add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550193');
-- the same number for the same broker again: the same row
SELECT number, status, vapi_phone_number_id FROM add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550191', 'pn_1');
-- another broker, another organisation, another Vapi id: refused
SELECT add_pool_number('a1000000-0000-4000-8000-000000000003', '+13105550191', 'pn_1');
SELECT add_pool_number('b1000000-0000-4000-8000-000000000001', '+13105550191');
SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550191', 'pn_other');
SELECT add_pool_number('a1000000-0000-4000-8000-00000000dead', '+13105550199');
SELECT add_pool_number(NULL, '+13105550199');
SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+999');
SELECT count(*) AS numbers FROM vapi_number_pool;

-- ---------------------------------------------------------------- assign_number

-- Fair reuse: the number released longest ago goes first (never released first of all).
UPDATE vapi_number_pool SET last_released_at = '2026-11-01' WHERE number = '+13105550191';
UPDATE vapi_number_pool SET last_released_at = '2026-10-01' WHERE number = '+13105550192';
UPDATE vapi_number_pool SET last_released_at = '2026-11-15' WHERE number = '+13105550193';
SELECT a.status, p.number
FROM assign_number('a2000000-0000-4000-8000-000000000001') a JOIN vapi_number_pool p ON p.id = a.pool_number_id;
SELECT a.status, p.number
FROM assign_number('a2000000-0000-4000-8000-000000000002') a JOIN vapi_number_pool p ON p.id = a.pool_number_id;
-- idempotent: Pat gets the same assignment back
SELECT (SELECT id FROM vapi_number_assignments WHERE lead_id = 'a2000000-0000-4000-8000-000000000001')
	 = (assign_number('a2000000-0000-4000-8000-000000000001')).id AS same_assignment;
SELECT l.first_name, l.vapi_assignment_id = a.id AS linked, p.status AS number_status, p.last_assigned_at IS NOT NULL AS stamped
FROM leads l JOIN vapi_number_assignments a ON a.lead_id = l.id JOIN vapi_number_pool p ON p.id = a.pool_number_id
ORDER BY l.first_name;

SELECT a.status, p.number
FROM assign_number('a2000000-0000-4000-8000-000000000003') a JOIN vapi_number_pool p ON p.id = a.pool_number_id;
-- exhausted: a clear error, and nothing changed
SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) AS before FROM (
	SELECT p::text AS x FROM vapi_number_pool p UNION ALL SELECT a::text FROM vapi_number_assignments a
	UNION ALL SELECT l::text FROM leads l) s \gset
SELECT assign_number('a2000000-0000-4000-8000-000000000004');
SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) = :'before' AS nothing_changed FROM (
	SELECT p::text AS x FROM vapi_number_pool p UNION ALL SELECT a::text FROM vapi_number_assignments a
	UNION ALL SELECT l::text FROM leads l) s;
-- the other refusals
SELECT assign_number('a2000000-0000-4000-8000-00000000dead');
SELECT assign_number('a2000000-0000-4000-8000-000000000005');
SELECT assign_number('a2000000-0000-4000-8000-000000000006');
SELECT assign_number('a2000000-0000-4000-8000-000000000007');
SELECT assign_number(NULL) IS NULL AS strict;
SELECT assign_number('a2000000-0000-4000-8000-000000000004');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

SELECT broker_name, target_size, size, available, booked, call_completed, draining, retired,
	   oldest_hold IS NOT NULL AS has_hold, pressure
FROM pool_status ORDER BY broker_name;

-- ---------------------------------------------------------------- inbound routing

-- the lead holding the number -> the broker, primary then secondary; logged once
SELECT action, destinations, lead_id, direction FROM route_inbound('+13105550192', '+14155550123', 'call-in-1');
SELECT action, destinations, lead_id, direction FROM route_inbound('+13105550192', '+14155550123', 'call-in-1');
-- the broker (either phone) -> the lead holding the number
SELECT action, destinations, lead_id, direction FROM route_inbound('+13105550192', '+14155550101', 'call-in-2');
SELECT action, destinations, lead_id, direction FROM route_inbound('+13105550192', '+14155550102');
-- another lead of the broker (Lou, no assignment) -> still the broker
SELECT action, destinations, lead_id, assignment_id, direction FROM route_inbound('+13105550192', '+14155550126');
-- a stranger, a withheld number, a lead of another broker -> the intake assistant
SELECT action, destinations, lead_id, broker_id IS NOT NULL AS knows_broker, direction FROM route_inbound('+13105550192', '+12125550000', 'call-in-3');
SELECT action, destinations, direction FROM route_inbound('+13105550192', NULL);
SELECT action, destinations, direction FROM route_inbound('+13105550192', '+14155550127');
-- a number in no pool: nothing known, nothing logged
SELECT * FROM route_inbound('+13105550100', '+14155550123', 'call-in-4');
SELECT route_inbound(NULL, '+14155550123');
SELECT route_inbound('+13105550192', '+14155550123', '');
SELECT vapi_call_id, direction, status, lead_id IS NOT NULL AS lead, broker_id IS NOT NULL AS broker,
	   assignment_id IS NOT NULL AS assignment, from_e164, to_e164
FROM vapi_call_logs ORDER BY vapi_call_id;

-- sequential ring: primary, secondary, then nothing; counted per call
SELECT next_transfer_destination('ring-1', '+13105550192', '+14155550123') AS first,
	   next_transfer_destination('ring-1', '+13105550192', '+14155550123') AS second,
	   next_transfer_destination('ring-1', '+13105550192', '+14155550123') AS third;
SELECT next_transfer_destination('ring-2', '+13105550192', '+14155550101') AS to_lead,
	   next_transfer_destination('ring-2', '+13105550192', '+14155550101') AS then_nothing;
SELECT next_transfer_destination('ring-3', '+13105550192', '+12125550000') AS stranger;
SELECT vapi_call_id, status, transfer_attempts FROM vapi_call_logs WHERE vapi_call_id LIKE 'ring-%' ORDER BY 1;

-- ---------------------------------------------------------------- call outcomes

-- Pat's call is answered: logged, the number held 24 h after the call, Pat connected.
SELECT vapi_call_id, direction, status, attempt, from_e164, to_e164
FROM record_call_placed((SELECT id FROM vapi_number_assignments WHERE lead_id = 'a2000000-0000-4000-8000-000000000001'), 'out-pat-1');
SELECT vapi_call_id, attempt
FROM record_call_placed((SELECT id FROM vapi_number_assignments WHERE lead_id = 'a2000000-0000-4000-8000-000000000001'), 'out-pat-1');
SELECT call_log_id IS NOT NULL AS logged, org_id, outcome, next_attempt_at, next_attempt, lead_status, review_reason, duplicate
FROM record_call_ended('out-pat-1', 'customer-ended-call', '2026-11-21 16:00:05.12Z', '2026-11-21 16:02:35.87Z',
	NULL, 'https://storage.example.com/rec/1.wav',
	E'AI: Hi, this is Barbara.\nUser: Call me back at 415 555 0177, my email is pat@example.com.',
	'Lead asked for a callback.', 0.23,
	'{"message": {"type": "end-of-call-report", "endedReason": "customer-ended-call",
	  "artifact": {"transcript": "User: 415 555 0177 pat@example.com", "messages": [{"role": "user", "message": "pat@example.com"}],
				   "recordingUrl": "https://storage.example.com/rec/1.wav"},
	  "analysis": {"summary": "pat@example.com", "successEvaluation": "true"}, "cost": 0.23}}');
SELECT status, ended_reason, outcome, duration_seconds, transcript, summary, cost, ended_report
FROM vapi_call_logs WHERE vapi_call_id = 'out-pat-1';
SELECT status, last_call_at, release_at FROM vapi_number_assignments WHERE lead_id = 'a2000000-0000-4000-8000-000000000001';
SELECT first_name, status FROM leads WHERE first_name = 'Pat';

-- The same report again changes nothing; a later report only fills gaps.
SELECT md5(string_agg(x, ',' ORDER BY x)) AS before FROM (
	SELECT c::text AS x FROM vapi_call_logs c UNION ALL SELECT a::text FROM vapi_number_assignments a
	UNION ALL SELECT o::text FROM outbox o UNION ALL SELECT l::text FROM leads l) s \gset
SELECT call_log_id IS NOT NULL AS logged, org_id, outcome, next_attempt_at, next_attempt, lead_status, review_reason, duplicate
FROM record_call_ended('out-pat-1', 'customer-ended-call', '2026-11-21 16:00:05.12Z', '2026-11-21 16:02:35.87Z',
	NULL, 'https://storage.example.com/rec/1.wav', 'AI: Hi.', 'Lead asked for a callback.', 0.23, '{}');
SELECT md5(string_agg(x, ',' ORDER BY x)) = :'before' AS nothing_changed FROM (
	SELECT c::text AS x FROM vapi_call_logs c UNION ALL SELECT a::text FROM vapi_number_assignments a
	UNION ALL SELECT o::text FROM outbox o UNION ALL SELECT l::text FROM leads l) s;

-- Sam does not answer: attempt 2 after 1 h, attempt 3 after 4 h, both inside
-- 08:00-20:00 New York time; then Sam is unreachable.
UPDATE orgs SET voicemail_message = 'Hi, it is Barbara from Acme, returning your call.',
				sms_when_unreachable = true, unreachable_sms_text = 'We tried to call you back.'
WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
SELECT id AS sam_assignment FROM vapi_number_assignments WHERE lead_id = 'a2000000-0000-4000-8000-000000000002' \gset
SELECT vapi_call_id FROM record_call_placed(:'sam_assignment', 'out-sam-1');
-- 18:30 New York: +1 h is 19:30, inside the window
SELECT outcome, next_attempt, next_attempt_at, lead_status, duplicate
FROM record_call_ended('out-sam-1', 'customer-did-not-answer', '2026-11-21 23:30:00Z', '2026-11-21 23:30:31Z',
	NULL, NULL, '', '', 0.01, NULL);
SELECT vapi_call_id FROM record_call_placed(:'sam_assignment', 'out-sam-2', 2);
-- 19:31 New York: +4 h is 23:31, outside: the next morning at 08:00 New York
SELECT outcome, next_attempt, next_attempt_at, lead_status
FROM record_call_ended('out-sam-2', 'voicemail', '2026-11-22 00:31:00Z', '2026-11-22 00:31:20Z',
	NULL, NULL, NULL, NULL, NULL, NULL);
SELECT vapi_call_id FROM record_call_placed(:'sam_assignment', 'out-sam-3', 3);
SELECT outcome, next_attempt, next_attempt_at, lead_status
FROM record_call_ended('out-sam-3', 'call.in-progress.error-providerfault-outbound-sip-480-temporarily-unavailable',
	'2026-11-22 13:00:00Z', '2026-11-22 13:00:40Z', NULL, NULL, NULL, NULL, NULL, NULL);
-- The last attempt failed too: Sam is texted (WF6), from the number that
-- called, at once or, when queued outside Sam's calling hours, at the next.
SELECT kind, replace(idempotency_key, :'sam_assignment', '<assignment>') AS idempotency_key,
	   CASE WHEN kind = 'vapi.sms' THEN run_at = next_call_time(org_id, (payload ->> 'lead_id')::uuid, NULL, created_at)
	   END AS sms_due_first_allowed, CASE WHEN kind <> 'vapi.sms' THEN run_at END AS run_at,
	   state, payload - 'assignment_id' - 'lead_id' AS payload
FROM outbox ORDER BY id;
SELECT status, release_at FROM vapi_number_assignments WHERE id = :'sam_assignment';

-- Kim's calls fail on the provider's side: retried after 5 minutes without
-- counting, up to provider_retry_limit times; then a person is asked to look.
SET vapi_pool.provider_retry_limit = 2;
SELECT id AS lent FROM vapi_number_assignments WHERE lead_id = 'a2000000-0000-4000-8000-000000000003' \gset
SELECT vapi_call_id FROM record_call_placed(:'lent', 'out-kim-1');
SELECT outcome, next_attempt, next_attempt_at, lead_status, review_reason
FROM record_call_ended('out-kim-1', 'twilio-failed-to-connect-call', NULL, '2026-11-21 15:00:00Z', NULL, NULL, NULL, NULL, NULL, NULL);
SELECT vapi_call_id FROM record_call_placed(:'lent', 'out-kim-2');
SELECT outcome, next_attempt, next_attempt_at, lead_status, review_reason
FROM record_call_ended('out-kim-2', 'call.start.error-subscription-concurrency-limit-reached', NULL, '2026-11-21 15:05:00Z', NULL, NULL, NULL, NULL, NULL, NULL);
SELECT vapi_call_id FROM record_call_placed(:'lent', 'out-kim-3');
SELECT outcome, next_attempt, next_attempt_at, lead_status, review_reason
FROM record_call_ended('out-kim-3', 'pipeline-error-openai-llm-failed', NULL, '2026-11-21 15:10:00Z', NULL, NULL, NULL, NULL, NULL, NULL);
RESET vapi_pool.provider_retry_limit;
SELECT vapi_call_id, attempt, outcome, review_reason FROM vapi_call_logs WHERE lead_id = 'a2000000-0000-4000-8000-000000000003' ORDER BY vapi_call_id;

-- A report for a call nobody logged is kept: under the organisation whose
-- number it names, flagged; else in unmatched_call_reports.  Twice is once.
SELECT call_log_id IS NOT NULL AS logged, org_id, outcome, review_reason, duplicate
FROM record_call_ended('ghost-1', 'customer-ended-call', '2026-11-21 10:00:00Z', '2026-11-21 10:01:00Z', NULL, NULL,
	'Call me at 415 555 0100.', NULL, NULL,
	'{"message": {"type": "end-of-call-report", "call": {"id": "ghost-1", "type": "inboundPhoneCall", "phoneNumberId": "pn_2"},
	  "phoneNumber": {"id": "pn_2", "number": "+13105550192"}, "artifact": {"transcript": "Call me at 415 555 0100."}}}');
SELECT call_log_id IS NOT NULL AS logged, org_id, outcome, review_reason, duplicate
FROM record_call_ended('ghost-1', 'customer-ended-call', '2026-11-21 10:00:00Z', '2026-11-21 10:01:00Z', NULL, NULL,
	'Call me at 415 555 0100.', NULL, NULL, '{}');
SELECT direction, status, outcome, review_reason, duration_seconds, transcript, ended_report
FROM vapi_call_logs WHERE vapi_call_id = 'ghost-1';
SELECT call_log_id, org_id, outcome, review_reason
FROM record_call_ended('ghost-2', 'customer-busy', NULL, NULL, NULL, NULL, 'My number is 415 555 0100.', NULL, NULL,
	'{"message": {"phoneNumber": {"number": "+19995550000"}}}');
SELECT call_log_id, org_id FROM record_call_ended('ghost-2', 'customer-busy', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT vapi_call_id, ended_reason, transcript, report FROM unmatched_call_reports;

-- Bad reports are refused before anything is written.
SELECT record_call_ended('out-lou', 'customer-ended-call', '2026-11-21 10:05:00Z', '2026-11-21 10:00:00Z', NULL, NULL, NULL, NULL, NULL, NULL);
SELECT record_call_ended('out-lou', 'customer-ended-call', NULL, NULL, -1, NULL, NULL, NULL, NULL, NULL);
SELECT record_call_ended('out-lou', 'customer-ended-call', NULL, NULL, NULL, NULL, NULL, NULL, -0.5, NULL);
SELECT record_call_ended('', 'customer-ended-call', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT record_call_placed(:'sam_assignment', '');
SELECT record_call_placed(:'sam_assignment', 'out-x', 0);
SELECT record_call_placed('a1000000-0000-4000-8000-00000000dead', 'out-x');
DO $$
BEGIN
	PERFORM vapi_pool.record_call_placed((SELECT id FROM vapi_pool.vapi_number_assignments
										  WHERE lead_id = 'a2000000-0000-4000-8000-000000000003'), 'out-sam-1');
EXCEPTION WHEN no_data_found THEN
	RAISE NOTICE 'a call id logged for another assignment is refused (%)', SQLSTATE;
END
$$;
SELECT count(*) AS logs_of_bad_reports FROM vapi_call_logs WHERE vapi_call_id IN ('out-lou', 'out-x', '');

-- ---------------------------------------------------------------- settings

SET vapi_pool.retry_backoff = '30min';
SELECT current_setting('vapi_pool.retry_backoff');
SET vapi_pool.retry_backoff = '1h, soon';
SET vapi_pool.retry_backoff = '';
SET vapi_pool.calling_window = '20:00-08:00';
SET vapi_pool.calling_window = 'nine to five';
-- PostgreSQL words the range (with units from 16 on): its SQLSTATE is what is checked
\set VERBOSITY sqlstate
SET vapi_pool.hold_after_call = '-1';
\set VERBOSITY default
SET vapi_pool.max_call_attempts = 0;
SET vapi_pool.no_such_setting = 1;
RESET vapi_pool.retry_backoff;

-- ---------------------------------------------------------------- retire and release

-- Retiring: a free number at once; a held number drains.
SELECT number, status, retired_at IS NOT NULL AS retired, retire_requested_at IS NOT NULL AS draining
FROM retire_pool_number('+13105550192');
SELECT number, status, retire_requested_at IS NOT NULL AS draining FROM retire_pool_number('+13105550192');
SELECT retire_pool_number('+13105550100');
SELECT broker_name, size, available, booked, call_completed, draining, retired, pressure
FROM pool_status WHERE broker_name = 'Dana Lee';

-- Release: nothing is due before release_at; afterwards every due
-- assignment goes, in batches, its number freed (or retired if draining) and
-- its lead unlinked.
SELECT release_expired('2026-11-21 00:00Z');
SELECT release_expired('2026-11-24 00:00Z', 1, 1) AS one_batch_of_one;
SELECT release_expired('2026-11-24 00:00Z', 1);
SELECT release_expired('2026-11-24 00:00Z', 0);
SELECT release_expired('2026-11-24 00:00Z', 10, 0);
SELECT l.first_name, a.status, a.released_at IS NOT NULL AS released, l.vapi_assignment_id IS NULL AS unlinked,
	   p.number, p.status AS number_status
FROM vapi_number_assignments a JOIN leads l ON l.id = a.lead_id JOIN vapi_number_pool p ON p.id = a.pool_number_id
ORDER BY l.first_name;

-- A lead whose old number was released asks again: a number released longest ago.
SELECT a.status, p.number
FROM assign_number('a2000000-0000-4000-8000-000000000004') a JOIN vapi_number_pool p ON p.id = a.pool_number_id;

-- The exhausted-pool path releases what is overdue before giving up.
SELECT a.status, p.number
FROM assign_number('a2000000-0000-4000-8000-000000000001') a JOIN vapi_number_pool p ON p.id = a.pool_number_id;
UPDATE vapi_number_assignments SET status = 'call_completed', release_at = now() - interval '1 minute'
WHERE lead_id = 'a2000000-0000-4000-8000-000000000004';
SELECT a.status, p.number, a.lead_id = 'a2000000-0000-4000-8000-000000000002' AS sam
FROM assign_number('a2000000-0000-4000-8000-000000000002') a JOIN vapi_number_pool p ON p.id = a.pool_number_id;

-- Deleting a lead that holds a number gives the number back.
DELETE FROM leads WHERE id = 'a2000000-0000-4000-8000-000000000002';
SELECT number, status, last_released_at IS NOT NULL AS released FROM vapi_number_pool ORDER BY number;

-- A retired number comes back to the broker it was retired from, not to another.
SELECT add_pool_number('a1000000-0000-4000-8000-000000000003', '+13105550192');
SELECT number, status, broker_id, vapi_phone_number_id FROM add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550192', 'pn_2b');

-- ---------------------------------------------------------------- releasing one assignment

-- A number lent for a call that will not be placed is released at once,
-- whatever its hold; releasing it again returns it unchanged.
SELECT a.id AS lent FROM assign_number('a2000000-0000-4000-8000-000000000001') a \gset
SELECT status, released_at IS NOT NULL AS released FROM release_assignment(:'lent');
SELECT p.status AS number_status, l.vapi_assignment_id IS NULL AS unlinked
FROM vapi_number_assignments a JOIN vapi_number_pool p ON p.id = a.pool_number_id JOIN leads l ON l.id = a.lead_id
WHERE a.id = :'lent';
SELECT status FROM release_assignment(:'lent');
SELECT release_assignment('00000000-0000-4000-8000-0000000000ff');
SELECT release_assignment(NULL);

-- ---------------------------------------------------------------- privileges

SET ROLE authenticated;
SELECT assign_number('a2000000-0000-4000-8000-000000000001');
SELECT release_assignment('00000000-0000-4000-8000-0000000000ff');
SELECT release_expired();
SELECT route_inbound('+13105550192', '+14155550123');
RESET ROLE;
SET ROLE anon;
SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550197');
RESET ROLE;
SELECT has_function_privilege('service_role', 'vapi_pool.record_call_ended(text, text, timestamptz, timestamptz, numeric, text, text, text, numeric, jsonb)', 'EXECUTE') AS service_may_report,
	   has_function_privilege('authenticated', 'vapi_pool.retire_pool_number(e164)', 'EXECUTE') AS members_may_retire,
	   has_table_privilege('authenticated', 'vapi_pool.pool_status', 'SELECT') AS members_see_status;

-- schedule_maintenance without pg_cron in this database
SELECT schedule_maintenance();

DROP EXTENSION vapi_pool;
