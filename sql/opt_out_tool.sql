-- The assistants' side of opt-outs and the recording disclosure (issue 20,
-- items 3 and 7; 194_assistants.sql, webhook/tool_opt_out.c): the
-- record_opt_out tool answers words the model says and acts on, and takes
-- off the list only the call's own number; an end-of-call report whose
-- analysis says doNotCall does the same; an organisation's recording
-- disclosure opens its create-call requests and its assistant-request
-- answers, followed by the assistant's own first message as `vapi-shim
-- assistants push` recorded it.  The whole journeys against the shim and
-- the dispatcher are t/106_journey_opt_out.pl.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
\set VERBOSITY default

-- ---------------------------------------------------------------- fixtures

INSERT INTO orgs (org_id, name) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans');
INSERT INTO orgs (org_id, name, is_clinic, timezone) VALUES
	('cccccccc-0000-4000-8000-000000000000', 'Bright Smile Clinic', true, 'America/New_York');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/New_York', '+14155550101', true),
	('cccccccc-0000-4000-8000-000000000000', 'c1000000-0000-4000-8000-000000000001', 'Front desk', 'America/New_York', '+12125550100', true);
SELECT count(*) FROM (SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550191', 'pn_a1')
	UNION ALL SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550192', 'pn_a2')
	UNION ALL SELECT add_pool_number('c1000000-0000-4000-8000-000000000001', '+12125550150', 'pn_c1')) s;
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, primary_phone_e164, status) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Pat', 'Quinn', '+14155550123', 'calling'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001', 'Sam', 'Roe', '+14155550124', 'call_requested'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000003', 'a1000000-0000-4000-8000-000000000001', 'Kim', 'Lo', '+14155550125', 'connected');
SET vapi_pool.intake_assistant_id = 'asst_barbara';
SET vapi_pool.connector_assistant_id = 'asst_connector';
SET vapi_pool.receptionist_assistant_id = 'asst_voxanne';

-- A Vapi message (the inner object) as receive_webhook gets it; its answer.
CREATE FUNCTION pg_temp.vapi(message jsonb) RETURNS jsonb
LANGUAGE sql AS $$ SELECT answer FROM vapi_pool.receive_webhook('vapi', jsonb_build_object('message', message)) $$;
-- A tool-calls message of call call_id to pool number pn (customer: the
-- call's other party, NULL for none) calling record_opt_out with args; the
-- one answer item.
CREATE FUNCTION pg_temp.opt_out(call_id text, pn text, customer text, args jsonb) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT pg_temp.vapi(jsonb_strip_nulls(jsonb_build_object('type', 'tool-calls',
		'call', jsonb_build_object('id', call_id, 'phoneNumberId', pn,
			'customer', jsonb_build_object('number', customer)),
		'toolCallList', jsonb_build_array(jsonb_build_object('id', 'tc-' || call_id, 'type', 'function',
			'function', jsonb_build_object('name', 'record_opt_out', 'arguments', args::text)))))) -> 'results' -> 0 $$;
-- The do-not-call list, one line.
CREATE FUNCTION pg_temp.listed() RETURNS TABLE (org text, phone text, source text, reason text)
LANGUAGE sql AS $$ SELECT o.name, d.phone::text, d.source, d.reason FROM vapi_pool.do_not_call d
	JOIN vapi_pool.orgs o USING (org_id) ORDER BY d.added_at, d.phone $$;
-- The body of the request outbox_request makes of a create-call job for a lead.
CREATE FUNCTION pg_temp.create_call_body(lead uuid) RETURNS jsonb
LANGUAGE sql AS $$ SELECT (outbox_request(o)).body::jsonb FROM vapi_pool.outbox o
	WHERE o.kind = 'vapi.create_call' AND o.payload ->> 'lead_id' = lead::text ORDER BY o.id DESC LIMIT 1 $$;

-- ---------------------------------------------------------------- the tool

-- Kim calls the pool number: she asks not to be called again.  The answer
-- names the organisation and her number as said, and tells the model what
-- to do; the reason stored is where it was said, and the model's words
-- redacted.
SELECT pg_temp.opt_out('kim-in-1', 'pn_a1', '+14155550125',
	'{"reason": "asked not to be called again, write to kim@example.com instead"}');
SELECT * FROM pg_temp.listed();
SELECT status FROM leads WHERE id = 'a2000000-0000-4000-8000-000000000003';
-- Asked again: the same answer, nothing added
SELECT pg_temp.opt_out('kim-in-1', 'pn_a1', '+14155550125', '{}') ->> 'result' AS again;
SELECT count(*) FROM do_not_call;

-- The model cannot take someone else off: a number among the arguments is
-- not read, the call's customer is (here a stranger, put on the list)
SELECT pg_temp.opt_out('stranger-1', 'pn_a2', '+12025550111', '{"phone": "+14155550124", "number": "+14155550124"}')
	->> 'result' AS stranger;
SELECT phone, source FROM do_not_call WHERE phone IN ('+14155550124', '+12025550111') ORDER BY phone;

-- An outbound call to Pat: its log knows the number when the message does
-- not carry it.  The second lead of that number (Sam's, with the same
-- phone here) is suppressed too, and its pending call.
UPDATE leads SET primary_phone_e164 = '+14155550123' WHERE id = 'a2000000-0000-4000-8000-000000000002';
SELECT count(*) FROM (SELECT assign_number(id) FROM leads WHERE id IN ('a2000000-0000-4000-8000-000000000001',
	'a2000000-0000-4000-8000-000000000002')) s;
SELECT vapi_call_id, direction, to_e164 FROM record_call_placed(
	(SELECT id FROM vapi_number_assignments WHERE lead_id = 'a2000000-0000-4000-8000-000000000001'), 'pat-out-1');
INSERT INTO outbox (org_id, kind, payload, idempotency_key)
SELECT a.org_id, 'vapi.create_call', jsonb_build_object('lead_id', a.lead_id, 'assignment_id', a.id, 'attempt', 1,
	'customer_number', '+14155550123', 'phone_number_id', p.vapi_phone_number_id), 'sam-first-call'
FROM vapi_number_assignments a JOIN vapi_number_pool p ON p.id = a.pool_number_id
WHERE a.lead_id = 'a2000000-0000-4000-8000-000000000002';
SELECT pg_temp.opt_out('pat-out-1', NULL, NULL, '{"reason": "no llamar"}');
SELECT phone, source, reason FROM do_not_call WHERE phone = '+14155550123';
SELECT first_name, status FROM leads WHERE primary_phone_e164 = '+14155550123' ORDER BY first_name;
SELECT idempotency_key, state FROM outbox WHERE idempotency_key = 'sam-first-call';

-- No number to take off: a call neither logged nor carrying a customer.
-- The error says what to tell the caller; nothing is listed.
SELECT pg_temp.opt_out('nobody-1', 'pn_a1', NULL, '{}');
-- A call of no organisation (its number is in no pool)
SELECT pg_temp.opt_out('lost-1', 'pn_unknown', '+14155550177', '{}');
SELECT count(*) AS listed FROM do_not_call WHERE phone = '+14155550177';
-- arguments that are no JSON object are refused like any tool's
SELECT pg_temp.vapi('{"type": "tool-calls", "call": {"id": "bad-1", "phoneNumberId": "pn_a1", "customer": {"number": "+14155550188"}},
	"toolCallList": [{"id": "tc-bad", "type": "function", "function": {"name": "record_opt_out", "arguments": "[1]"}}]}') -> 'results';

-- ---------------------------------------------------------------- the end-of-call report

-- A clinic's caller: the report's analysis says doNotCall.  The report is
-- recorded as ever, and the caller's number goes on the clinic's list.
SELECT pg_temp.vapi('{"type": "end-of-call-report", "endedReason": "customer-ended-call",
	"startedAt": "2026-11-21T16:00:00Z", "endedAt": "2026-11-21T16:02:00Z",
	"call": {"id": "mia-in-1", "type": "inboundPhoneCall", "phoneNumberId": "pn_c1", "customer": {"number": "+12125550199"}},
	"phoneNumber": {"id": "pn_c1", "number": "+12125550150"}, "customer": {"number": "+12125550199"},
	"artifact": {"transcript": "User: Please stop calling me."},
	"analysis": {"summary": "Caller asked not to be contacted.", "structuredData": {"doNotCall": true}}}') ->> 'opted_out' AS opted_out;
SELECT org, phone, source, reason FROM pg_temp.listed() WHERE phone = '+12125550199';
-- doNotCall false, absent, or not a yes: nothing
SELECT pg_temp.vapi(format('{"type": "end-of-call-report", "endedReason": "customer-ended-call",
	"call": {"id": "%s", "phoneNumberId": "pn_c1", "customer": {"number": "+1212555020%s"}},
	"analysis": %s}', 'other-' || n, n, a)::jsonb) ? 'opted_out' AS opted_out
FROM (VALUES (1, '{"structuredData": {"doNotCall": false}}'), (2, '{"summary": "Booked."}'),
	(3, '{"structuredData": {"doNotCall": "maybe"}}'), (4, '{"structuredData": "yes"}')) v(n, a);
-- the text "true" (a model that answers with a string) counts
SELECT pg_temp.vapi('{"type": "end-of-call-report", "endedReason": "customer-ended-call",
	"call": {"id": "other-5", "phoneNumberId": "pn_c1", "customer": {"number": "+12125550205"}},
	"analysis": {"structuredData": {"doNotCall": "TRUE"}}}') ->> 'opted_out' AS string_true;
SELECT phone, source FROM do_not_call WHERE phone::text LIKE '+121255502%' ORDER BY phone;
-- a report of no organisation's call is stored, and nobody is listed
SELECT pg_temp.vapi('{"type": "end-of-call-report", "endedReason": "customer-ended-call",
	"call": {"id": "lost-2", "phoneNumberId": "pn_unknown", "customer": {"number": "+12125550206"}},
	"analysis": {"structuredData": {"doNotCall": true}}}') ? 'opted_out' AS opted_out;
SELECT count(*) AS listed FROM do_not_call WHERE phone = '+12125550206';

-- ---------------------------------------------------------------- the Call Connector

-- The broker calls a pool number back (inbound_from_broker): the call's
-- customer is the broker.  The tool lists nobody and says there is no
-- caller to opt out; the report's doNotCall lists nobody either.
SELECT action, direction FROM route_inbound('+13105550191', '+14155550101', 'broker-in-1');
SELECT a ->> 'error' AS error, a ? 'result' AS recorded
FROM pg_temp.opt_out('broker-in-1', 'pn_a1', '+14155550101', '{"reason": "stop calling me"}') a;
SELECT pg_temp.vapi('{"type": "end-of-call-report", "endedReason": "customer-ended-call",
	"startedAt": "2026-11-21T17:00:00Z", "endedAt": "2026-11-21T17:01:00Z",
	"call": {"id": "broker-in-1", "type": "inboundPhoneCall", "phoneNumberId": "pn_a1", "customer": {"number": "+14155550101"}},
	"customer": {"number": "+14155550101"},
	"analysis": {"structuredData": {"doNotCall": true}}}') ? 'opted_out' AS opted_out;
SELECT count(*) AS broker_listed FROM do_not_call WHERE phone = '+14155550101';
SELECT direction FROM vapi_call_logs WHERE vapi_call_id = 'broker-in-1';

-- ---------------------------------------------------------------- the recording disclosure

-- assistants push records each definition's firstMessage
SELECT role, vapi_assistant_id, first_message
FROM record_assistant('clinic_receptionist', 'asst_voxanne', repeat('a', 64),
	'Thank you for calling {{clinic_name}}. This is Voxanne, how can I help you today?');
SELECT role, first_message FROM record_assistant('connector', 'asst_pushed_connector', repeat('b', 64),
	'One moment, I am connecting you now.');
SELECT role, first_message IS NULL AS no_first_message FROM record_assistant('intake', 'asst_pushed_barbara', repeat('c', 64));
-- (the old three-argument call still works)
SELECT role, first_message IS NULL AS no_first_message FROM record_assistant('spare', 'asst_spare', NULL);

-- Lou, a lead with a number and a call queued
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, primary_phone_e164, status) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000004', 'a1000000-0000-4000-8000-000000000001', 'Lou', 'Ng', '+14155550133', 'calling');
SELECT count(*) FROM assign_number('a2000000-0000-4000-8000-000000000004');
INSERT INTO outbox (org_id, kind, payload, idempotency_key)
SELECT a.org_id, 'vapi.create_call', jsonb_build_object('lead_id', a.lead_id, 'assignment_id', a.id, 'attempt', 1,
	'customer_number', '+14155550133', 'customer_name', 'Lou Ng', 'phone_number_id', 'pn_lou'), 'lou-first-call'
FROM vapi_number_assignments a WHERE a.lead_id = 'a2000000-0000-4000-8000-000000000004';

-- Without a disclosure: no opening, and the requests and answers are as before
SELECT assistant_opening('aaaaaaaa-0000-4000-8000-000000000000', 'asst_barbara', 'intake') AS no_disclosure;
SELECT pg_temp.create_call_body('a2000000-0000-4000-8000-000000000004') -> 'assistantOverrides' AS overrides;
SELECT pg_temp.vapi('{"type": "assistant-request", "call": {"id": "ar-1", "phoneNumberId": "pn_a1"},
	"phoneNumber": {"number": "+13105550191"}, "customer": {"number": "+12025550170"}}') -> 'assistantOverrides' AS intake;
SELECT pg_temp.vapi('{"type": "assistant-request", "call": {"id": "ar-2", "phoneNumberId": "pn_c1"},
	"phoneNumber": {"number": "+12125550150"}, "customer": {"number": "+12125550171"}}') -> 'assistantOverrides' AS receptionist;

-- An empty disclosure is refused; members may set theirs
\set VERBOSITY terse
UPDATE orgs SET recording_disclosure = '  ' WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
\set VERBOSITY default
SELECT has_column_privilege('authenticated', 'vapi_pool.orgs', 'recording_disclosure', 'UPDATE') AS members_may_set;
UPDATE orgs SET recording_disclosure = 'This call may be recorded for quality and training.';

-- The opening: the disclosure, then the assistant's own first message (by
-- its id, else its role's), said first even by a model-generated opener
SELECT assistant_opening('cccccccc-0000-4000-8000-000000000000', 'asst_voxanne', 'clinic_receptionist') AS by_id;
SELECT assistant_opening('aaaaaaaa-0000-4000-8000-000000000000', 'asst_other_connector', 'connector') AS by_role;
SELECT assistant_opening('aaaaaaaa-0000-4000-8000-000000000000', 'asst_barbara', 'intake') AS no_first_message;
SELECT assistant_opening('aaaaaaaa-0000-4000-8000-000000000000', 'asst_barbara', 'no_such_role') AS unknown;

-- A create-call request: its overrides open with the disclosure
SELECT pg_temp.create_call_body('a2000000-0000-4000-8000-000000000004') -> 'assistantOverrides' AS overrides;
-- assistant-request answers: the intake assistant, the receptionist (whose
-- first message follows), the connector of a known lead
SELECT pg_temp.vapi('{"type": "assistant-request", "call": {"id": "ar-3", "phoneNumberId": "pn_a1"},
	"phoneNumber": {"number": "+13105550191"}, "customer": {"number": "+12025550170"}}') -> 'assistantOverrides' AS intake;
SELECT pg_temp.vapi('{"type": "assistant-request", "call": {"id": "ar-4", "phoneNumberId": "pn_c1"},
	"phoneNumber": {"number": "+12125550150"}, "customer": {"number": "+12125550171"}}') -> 'assistantOverrides' AS receptionist;
SELECT a ->> 'assistantId' AS assistant, a -> 'assistantOverrides' ->> 'firstMessage' AS first_message,
	a -> 'assistantOverrides' ->> 'firstMessageMode' AS mode
FROM (SELECT pg_temp.vapi(jsonb_build_object('type', 'assistant-request', 'call', jsonb_build_object('id', 'ar-5'),
	'phoneNumber', jsonb_build_object('number', p.number::text), 'customer', jsonb_build_object('number', '+14155550133'))) a
	FROM vapi_number_assignments x JOIN vapi_number_pool p ON p.id = x.pool_number_id
	WHERE x.lead_id = 'a2000000-0000-4000-8000-000000000004') s;
-- one organisation's disclosure is not another's
UPDATE orgs SET recording_disclosure = NULL WHERE org_id = 'cccccccc-0000-4000-8000-000000000000';
SELECT pg_temp.vapi('{"type": "assistant-request", "call": {"id": "ar-6", "phoneNumberId": "pn_c1"},
	"phoneNumber": {"number": "+12125550150"}, "customer": {"number": "+12125550171"}}') -> 'assistantOverrides' ? 'firstMessage'
	AS receptionist_opens;

DROP EXTENSION vapi_pool CASCADE;
