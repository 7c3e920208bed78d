-- Vapi messages as the SDK (@vapi-ai/server-sdk) allows them, not only as
-- the reference examples show them: a transfer-destination-request without
-- the top-level phoneNumber and customer still rings the route (from
-- call.phoneNumberId, call.customer.number and the call's log); an
-- end-of-call-report without a call id is kept as an unknown call and
-- answered 200; the types the product does not act on get the neutral
-- answer of their type (docs/webhooks.md).  The whole journey through the
-- shim is t/105_journey_routing.pl.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
\set VERBOSITY default

-- ---------------------------------------------------------------- fixtures

INSERT INTO orgs (org_id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Mortgages');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, secondary_phone_e164, number_pool_active) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/New_York',
	 '+14155550101', '+14155550102', true);
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164, status) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001',
	 'Pat', '+14155550123', 'call_requested');
SELECT number FROM add_pool_number('a1000000-0000-4000-8000-000000000001', '+13105550199', 'pn_4c2d9e7f');
SELECT id AS assignment FROM assign_number('a2000000-0000-4000-8000-000000000001') \gset
SET vapi_pool.intake_assistant_id = '9a8b7c6d-barbara';
SET vapi_pool.connector_assistant_id = '1d2e3f4a-call-connector';

-- the transfer answers as (number or error), in the order of the deliveries
CREATE FUNCTION pg_temp.ring(template jsonb, deliveries integer) RETURNS TABLE (request integer, answer text, state text)
LANGUAGE sql AS $$
	SELECT i, coalesce(w.answer #>> '{destination,number}', w.answer ->> 'error'), w.state
	FROM generate_series(1, deliveries) i,
		LATERAL vapi_pool.receive_webhook('vapi', jsonb_set(template, '{message,timestamp}', to_jsonb(1763740900000 + i))) w
	ORDER BY i
$$;

-- ---------------------------------------------------------------- transfer-destination-request

-- the lead calls the pool number: logged inbound_from_lead, the Call Connector answers
SELECT answer ->> 'assistantId' AS assistant, answer #>> '{assistantOverrides,variableValues,direction}' AS direction
FROM receive_webhook('vapi', '{"message": {"type": "assistant-request", "call": {"id": "e-1", "type": "inboundPhoneCall",
  "phoneNumberId": "pn_4c2d9e7f", "customer": {"number": "+14155550123"}}, "phoneNumber": {"id": "pn_4c2d9e7f", "number": "+13105550199"},
  "customer": {"number": "+14155550123"}}}');
-- the SDK's shape: no top-level phoneNumber or customer, the numbers only inside call:
-- broker primary, then secondary, then the sentence
SELECT * FROM pg_temp.ring('{"message": {"type": "transfer-destination-request", "call": {"id": "e-1",
  "phoneNumberId": "pn_4c2d9e7f", "customer": {"number": "+14155550123"}}}}', 3);
SELECT direction, transfer_attempts FROM vapi_call_logs WHERE vapi_call_id = 'e-1';

-- the broker calls her pool number: connected to the lead holding it
SELECT answer #>> '{assistantOverrides,variableValues,forward_to_number}' AS forward_to
FROM receive_webhook('vapi', '{"message": {"type": "assistant-request", "call": {"id": "e-2", "type": "inboundPhoneCall",
  "phoneNumberId": "pn_4c2d9e7f", "customer": {"number": "+14155550102"}}, "phoneNumber": {"id": "pn_4c2d9e7f", "number": "+13105550199"},
  "customer": {"number": "+14155550102"}}}');
-- a request naming nothing but the call: both numbers come from the call's log; the lead, then nobody
SELECT * FROM pg_temp.ring('{"message": {"type": "transfer-destination-request", "call": {"id": "e-2"}}}', 2);

-- an assistant-request in the SDK's shape (only the call object): the pool number from call.phoneNumberId;
-- the broker is connected to the lead as with the top-level fields
SELECT answer #>> '{assistantOverrides,variableValues,forward_to_number}' AS forward_to,
	answer #>> '{assistantOverrides,variableValues,direction}' AS direction
FROM receive_webhook('vapi', '{"message": {"type": "assistant-request", "call": {"id": "e-2b", "type": "inboundPhoneCall",
  "phoneNumberId": "pn_4c2d9e7f", "customer": {"number": "+14155550102"}}}}');
-- ... and a stranger, in that shape, gets the intake assistant with the called number filled in
SELECT answer ->> 'assistantId' AS assistant, answer #>> '{assistantOverrides,variableValues,called_number}' AS called
FROM receive_webhook('vapi', '{"message": {"type": "assistant-request", "call": {"id": "e-2c", "type": "inboundPhoneCall",
  "phoneNumberId": "pn_4c2d9e7f", "customer": {"number": "+16505550100"}}}}');

-- an outbound call to the lead (logged from the pool number to the lead): the broker, both phones
SELECT direction, from_e164, to_e164 FROM record_call_placed(:'assignment', 'e-3');
SELECT * FROM pg_temp.ring('{"message": {"type": "transfer-destination-request", "call": {"id": "e-3",
  "type": "outboundPhoneCall"}}}', 3);

-- a call nobody logged (the number's assistant answered it without an assistant-request):
-- the pool number from call.phoneNumberId, the caller from call.customer; the ring logs the call
SELECT * FROM pg_temp.ring('{"message": {"type": "transfer-destination-request", "call": {"id": "e-4",
  "phoneNumberId": "pn_4c2d9e7f", "customer": {"number": "+14155550123"}}}}', 1);
SELECT direction, status, lead_id IS NOT NULL AS has_lead, from_e164, to_e164, transfer_attempts
FROM vapi_call_logs WHERE vapi_call_id = 'e-4';
-- a phoneNumberId no pool has, and a call nobody logged: nothing to ring, the sentence (stored as failed)
\set VERBOSITY terse
SELECT http_status, answer ->> 'error' AS error, state FROM receive_webhook('vapi',
	'{"message": {"type": "transfer-destination-request", "timestamp": 9, "call": {"id": "e-5", "phoneNumberId": "pn_nobody",
	  "customer": {"number": "+14155550123"}}}}');
\set VERBOSITY default
SELECT error_sqlstate, error FROM webhook_inbox WHERE dedupe_key = 'transfer-destination-request:e-5:9';
-- the top-level fields, when present, still win over the call's
SELECT * FROM pg_temp.ring('{"message": {"type": "transfer-destination-request", "call": {"id": "e-6",
  "phoneNumberId": "pn_nobody", "customer": {"number": "+19995550000"}},
  "phoneNumber": {"number": "+13105550199"}, "customer": {"number": "+14155550102"}}}', 1);
-- calling next_transfer_destination with neither number for an unlogged call is refused
SELECT next_transfer_destination('e-404', NULL, NULL);

-- ---------------------------------------------------------------- end-of-call-report without a call id

-- the report names the pool number only: a call log of that organisation, flagged for review
SELECT http_status, state, answer ->> 'review_reason' AS review_reason, answer ? 'call_log_id' AS logged
FROM receive_webhook('vapi', '{"message": {"type": "end-of-call-report", "endedReason": "customer-ended-call",
  "startedAt": "2026-11-21T17:00:00Z", "endedAt": "2026-11-21T17:01:00Z", "phoneNumber": {"id": "pn_4c2d9e7f"},
  "artifact": {"transcript": "AI: Hello. User: My number is 415 555 0123."}, "analysis": {"summary": "A short call."}}}');
-- filed under the digest that also keys its inbox row, transcript redacted
SELECT l.vapi_call_id = 'sha256:' || split_part(i.dedupe_key, ':sha256:', 2) AS same_digest, l.direction, l.status,
	l.ended_reason, l.duration_seconds, l.review_reason, l.transcript
FROM vapi_call_logs l, webhook_inbox i
WHERE l.vapi_call_id LIKE 'sha256:%' AND i.dedupe_key LIKE 'end-of-call-report:sha256:%';
-- a report with a call object but no id, naming no pool number: the operator's unmatched reports
SELECT http_status, state, answer FROM receive_webhook('vapi', '{"message": {"type": "end-of-call-report",
  "endedReason": "customer-did-not-answer", "call": {"type": "outboundPhoneCall"}, "artifact": {}, "analysis": {}}}');
SELECT vapi_call_id ~ '^sha256:[0-9a-f]{64}$' AS digest_id, ended_reason FROM unmatched_call_reports;
-- the same report delivered again: its first answer, nothing written twice
SELECT http_status, duplicate FROM receive_webhook('vapi', '{"message": {"type": "end-of-call-report",
  "endedReason": "customer-did-not-answer", "call": {"type": "outboundPhoneCall"}, "artifact": {}, "analysis": {}}}');
SELECT (SELECT count(*) FROM unmatched_call_reports) AS unmatched,
	(SELECT count(*) FROM vapi_call_logs WHERE vapi_call_id LIKE 'sha256:%') AS logged,
	(SELECT count(*) FROM webhook_inbox WHERE event_type = 'end-of-call-report') AS inbox_rows;

-- ---------------------------------------------------------------- the types the product does not act on

-- each answered with its type's neutral answer (voice-request: 204, no body); stored, with the call's organisation
SELECT t.type, w.http_status, w.answer, w.state
FROM (VALUES ('knowledge-base-request'), ('handoff-destination-request'), ('call.endpointing.request'),
		('campaign.predial'), ('voice-request')) t(type),
	LATERAL receive_webhook('vapi', jsonb_build_object('message', jsonb_build_object('type', t.type, 'timestamp', 1,
		'call', jsonb_build_object('id', 'e-1')))) w
ORDER BY t.type;
SELECT event_type, http_status, org_id FROM webhook_inbox WHERE dedupe_key LIKE '%:e-1:1' ORDER BY event_type;
-- the informational types (Vapi ignores the body): the stored receipt
SELECT t.type, w.http_status, w.answer, w.state
FROM (VALUES ('conversation-update'), ('speech-update'), ('transcript'), ('hang'), ('model-output'),
		('phone-call-control'), ('user-interrupted'), ('language-change-detected'), ('voice-input'),
		('assistant-speech'), ('transfer-update'), ('chat.created'), ('chat.deleted'), ('session.created'),
		('session.updated'), ('session.deleted'), ('call.deleted'), ('call.delete.failed'),
		('call.artifact.upload')) t(type),
	LATERAL receive_webhook('vapi', jsonb_build_object('message', jsonb_build_object('type', t.type, 'timestamp', 2,
		'call', jsonb_build_object('id', 'e-1')))) w
ORDER BY t.type;
-- a failure still gets the neutral answer (the pool table is gone for the length of the transaction)
BEGIN;
ALTER TABLE vapi_number_pool RENAME TO vapi_number_pool_away;
\set VERBOSITY terse
SELECT t.type, w.http_status, w.answer, w.state
FROM (VALUES ('knowledge-base-request'), ('campaign.predial'), ('voice-request'), ('hang')) t(type),
	LATERAL receive_webhook('vapi', jsonb_build_object('message', jsonb_build_object('type', t.type, 'timestamp', 3,
		'call', jsonb_build_object('id', 'e-9'), 'phoneNumber', jsonb_build_object('number', '+13105550199')))) w
ORDER BY t.type;
\set VERBOSITY default
ROLLBACK;

DROP EXTENSION vapi_pool CASCADE;
