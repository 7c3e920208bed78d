-- The dispatcher's SQL API (issue 7): outbox_claim builds each job's exact
-- vendor request, outbox_report judges the vendor's answer (done with its
-- effect, retried with backoff, dead), reconcile instead of a second POST,
-- replay, stats, NOTIFY, provisioning.  The HTTP itself is tested with the
-- shim and the vendor stand-ins in t/090_dispatcher.pl.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
\set VERBOSITY default

INSERT INTO orgs (org_id, name, voicemail_message) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Mortgages', 'Hi, this is Barbara from Acme returning your email.');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active, number_pool_size) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/Los_Angeles', '+14155550101', true, 3);
SELECT count(*) FROM (SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', ('+1310555018' || n)::e164, 'pn_' || n)
	FROM generate_series(0, 1) n) s;
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, primary_phone_e164) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'c0000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Pat', 'Quinn', '+14155550123'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'c0000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001', 'Sam', 'Roe', '+14155550124');
SELECT count(*) FROM (SELECT assign_number(id) FROM leads) s;

-- A create-call job as the engine writes it (pool_engine.h's shape).
CREATE FUNCTION pg_temp.queue_call(lead uuid, key text, attempt integer DEFAULT 1) RETURNS bigint
LANGUAGE sql AS $$
	INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key)
	SELECT a.org_id, 'vapi.create_call', jsonb_build_object('lead_id', a.lead_id, 'assignment_id', a.id,
		'phone_number_id', p.vapi_phone_number_id, 'from_number', p.number, 'customer_number', l.primary_phone_e164,
		'customer_name', l.name, 'attempt', attempt, 'voicemail_message', o.voicemail_message), key
	FROM vapi_pool.vapi_number_assignments a
	JOIN vapi_pool.vapi_number_pool p ON p.id = a.pool_number_id
	JOIN vapi_pool.leads l ON l.id = a.lead_id JOIN vapi_pool.orgs o ON o.org_id = a.org_id
	WHERE a.lead_id = lead AND a.status <> 'released'
	RETURNING id $$;
-- An answer object as the dispatcher reports it.
CREATE FUNCTION pg_temp.answer(job bigint, status integer, body text DEFAULT NULL, retry_after text DEFAULT NULL,
	error text DEFAULT NULL, attempt integer DEFAULT NULL) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT jsonb_build_object('org_id', o.org_id, 'job_id', o.id, 'attempt', coalesce(attempt, o.attempts),
		'status', status, 'body', body, 'retry_after', retry_after, 'error', error)
	FROM vapi_pool.outbox o WHERE o.id = job $$;
CREATE FUNCTION pg_temp.job(job bigint) RETURNS TABLE (state text, attempts integer, reconcile boolean,
	last_http_status integer, last_error text, result jsonb, due_in_s integer)
LANGUAGE sql AS $$
	SELECT state, attempts, reconcile, last_http_status, last_error, result,
		round(extract(epoch FROM run_at - now()))::integer FROM vapi_pool.outbox WHERE id = job $$;
-- Jobs a test does not look at are out of the way.
CREATE FUNCTION pg_temp.park() RETURNS void
LANGUAGE sql AS $$ UPDATE vapi_pool.outbox SET run_at = now() + interval '1 day' WHERE state = 'pending' $$;

-- ---------------------------------------------------------------- no assistant: dead at claim
SELECT pg_temp.queue_call('c0000000-0000-4000-8000-000000000001', 'call-1') AS call1 \gset
SELECT count(*) AS claimed FROM outbox_claim('d1');
SELECT state, attempts, last_error FROM pg_temp.job(:call1);
SELECT (outbox_replay(:call1)).state;

-- ---------------------------------------------------------------- the request, exactly
SET vapi_pool.intake_assistant_id = 'asst_barbara';
SELECT org_id IS NOT NULL AS has_org, job_id = :call1 AS same_job, attempt, kind, service, method, path, headers,
	body::jsonb, timeout_ms
FROM outbox_claim('d1', 10, '30 seconds');
SELECT state, claimed_by, lease_expires_at > now() AS leased, first_sent_at IS NOT NULL AS sent
FROM outbox WHERE id = :call1;
-- claimed once: a second claim gets nothing
SELECT count(*) FROM outbox_claim('d2');

-- 201: done, the call id on the call log in the same transaction
SELECT state, note FROM outbox_report(jsonb_build_array(pg_temp.answer(:call1, 201,
	'{"id": "call_0001", "status": "queued", "phoneNumberId": "pn_0", "customer": {"number": "+14155550123"}}')));
SELECT * FROM pg_temp.job(:call1);
SELECT vapi_call_id, direction, status, attempt FROM vapi_call_logs WHERE vapi_call_id = 'call_0001';
-- the same answer again is stale and changes nothing
SELECT state, note FROM outbox_report(jsonb_build_array(pg_temp.answer(:call1, 201, '{"id": "call_9999"}', attempt => 1)));
SELECT count(*) FROM vapi_call_logs WHERE vapi_call_id = 'call_9999';

-- a retry call carries the organisation's voicemail message
SELECT pg_temp.queue_call('c0000000-0000-4000-8000-000000000002', 'call-2', 2) AS call2 \gset
SELECT body::jsonb -> 'assistantOverrides' FROM outbox_claim('d1');

-- ---------------------------------------------------------------- failures
SET vapi_pool.outbox_backoff_base_ms = 10000;
SET vapi_pool.outbox_backoff_max_ms = 60000;
-- 500: retried after the backoff (10 s +-25%), and reconciled first, since
-- the call may exist
SELECT state, note LIKE 'retry in %' AS retry FROM outbox_report(jsonb_build_array(pg_temp.answer(:call2, 500,
	'{"message": "Internal server error", "statusCode": 500}')));
SELECT state, attempts, reconcile, last_http_status, last_error, due_in_s BETWEEN 7 AND 13 AS backoff FROM pg_temp.job(:call2);
-- the next claim asks Vapi first: GET /call for the number since the first attempt
UPDATE outbox SET run_at = now() WHERE id = :call2;
SELECT method, path ~ '^/call\?phoneNumberId=pn_1&createdAtGe=\d{4}-\d\d-\d\dT\d\d%3A\d\d%3A\d\d\.\d{3}Z&limit=100$' AS reconcile_get, body
FROM outbox_claim('d1');
-- nothing there: sent again at once, as a POST
SELECT state, note FROM outbox_report(jsonb_build_array(pg_temp.answer(:call2, 200, '[]')));
SELECT state, reconcile, due_in_s FROM pg_temp.job(:call2);
SELECT method, path FROM outbox_claim('d1');
-- no answer at all (timeout): reconcile again; this time Vapi lists the call: adopted, never sent twice
SELECT state FROM outbox_report(jsonb_build_array(pg_temp.answer(:call2, 0, error => 'Operation timed out after 10000 milliseconds')));
SELECT state, attempts, reconcile, last_http_status, last_error FROM pg_temp.job(:call2);
UPDATE outbox SET run_at = now() WHERE id = :call2;
SELECT method FROM outbox_claim('d1');
SELECT state, note FROM outbox_report(jsonb_build_array(pg_temp.answer(:call2, 200, format(
	'[{"id": "call_other", "phoneNumberId": "pn_1", "customer": {"number": "+14155550199"}, "createdAt": "%s"},
	  {"id": "call_0002", "phoneNumberId": "pn_1", "customer": {"number": "+14155550124"}, "createdAt": "%s"}]',
	to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))));
SELECT state, result, last_error FROM pg_temp.job(:call2);
SELECT vapi_call_id, attempt FROM vapi_call_logs WHERE vapi_call_id = 'call_0002';

-- 429: Retry-After wins over a shorter backoff
SELECT pg_temp.queue_call('c0000000-0000-4000-8000-000000000002', 'call-3') AS call3 \gset
SELECT count(*) FROM outbox_claim('d1');
SELECT state FROM outbox_report(jsonb_build_array(pg_temp.answer(:call3, 429, '{"message": "Too Many Requests"}', '120')));
SELECT state, reconcile, last_error, due_in_s BETWEEN 119 AND 121 AS retry_after FROM pg_temp.job(:call3);
-- Vapi's concurrency limit is a 400 that is retried, not dead
UPDATE outbox SET run_at = now() WHERE id = :call3;
SELECT count(*) FROM outbox_claim('d1');
SELECT state FROM outbox_report(jsonb_build_array(pg_temp.answer(:call3, 400,
	'{"message": "Over concurrency limit", "error": "Bad Request", "statusCode": 400, "subscriptionLimits": {"concurrencyBlocked": true, "concurrencyLimit": 10}}')));
SELECT state, last_error FROM pg_temp.job(:call3);
-- a 400 for a bad number is dead at once, with Vapi's reason
UPDATE outbox SET run_at = now() WHERE id = :call3;
SELECT count(*) FROM outbox_claim('d1');
SELECT state, note FROM outbox_report(jsonb_build_array(pg_temp.answer(:call3, 400,
	'{"message": ["customer.number must be a valid phone number in the E.164 format"], "error": "Bad Request", "statusCode": 400}')));
SELECT state, attempts, last_http_status, last_error FROM pg_temp.job(:call3);
-- replay: pending again, due now, attempts from zero; only a dead job (and
-- never while a call to the lead goes on: call_0002 ends first)
SELECT outbox_replay(:call3);
SELECT outcome FROM record_call_ended('call_0002', 'customer-ended-call', now() - interval '1 minute', now(),
	NULL, NULL, NULL, NULL, NULL, NULL);
SELECT state, attempts, run_at <= now() AS due FROM outbox_replay(:call3);
SELECT outbox_replay(:call3);
SELECT outbox_replay(-1);
-- out of attempts: dead with the last error
UPDATE outbox SET max_attempts = 2 WHERE id = :call3;
SELECT count(*) FROM outbox_claim('d1');
SELECT state FROM outbox_report(jsonb_build_array(pg_temp.answer(:call3, 503, 'Service Unavailable')));
UPDATE outbox SET run_at = now() WHERE id = :call3;
SELECT count(*) FROM outbox_claim('d1');
SELECT state, note FROM outbox_report(jsonb_build_array(pg_temp.answer(:call3, 0, error => 'Connection reset by peer')));
SELECT state, attempts, last_http_status, last_error FROM pg_temp.job(:call3);

-- ---------------------------------------------------------------- one report, many answers
-- Answers arrive parsed ("json") or as text ("body"). When one answer's
-- effect fails (here: the call's assignment is gone, so the call cannot be
-- logged), the others still apply and that job is done with the reason:
-- the call exists at Vapi, so it is never sent again.
SELECT pg_temp.park();
SELECT pg_temp.queue_call('c0000000-0000-4000-8000-000000000001', 'batch-1') AS batch1 \gset
INSERT INTO outbox (org_id, kind, payload, idempotency_key)
SELECT org_id, kind, payload || '{"assignment_id": "00000000-0000-4000-8000-00000000dead"}', 'batch-2'
FROM outbox WHERE id = :batch1 RETURNING id AS batch2 \gset
SELECT count(*) FROM outbox_claim('d1');
SELECT r.job_id = :batch1 AS first, r.state, r.note FROM outbox_report(jsonb_build_array(
	pg_temp.answer(:batch1, 201) || '{"json": {"id": "call_batch_1", "status": "queued"}}',
	pg_temp.answer(:batch2, 201, '{"id": "call_batch_2", "status": "queued"}'))) r ORDER BY r.job_id;
SELECT idempotency_key, state, result, last_error FROM outbox WHERE id IN (:batch1, :batch2) ORDER BY id;
SELECT vapi_call_id FROM vapi_call_logs WHERE vapi_call_id LIKE 'call_batch_%';

-- ---------------------------------------------------------------- leases
-- a dispatcher that died mid-request: its lease runs out, the job comes back
-- as a reconcile, and the dead dispatcher's late answer is stale
SELECT (outbox_replay(:call3)).state;
SELECT count(*) FROM outbox_claim('d1', 1, '1 second');
SELECT attempts AS first_attempt FROM outbox WHERE id = :call3 \gset
UPDATE outbox SET lease_expires_at = now() - interval '1 second' WHERE id = :call3;
SELECT claimed_by IS NOT NULL, method FROM outbox_claim('d2') JOIN outbox o ON o.id = job_id;
SELECT state, note FROM outbox_report(jsonb_build_array(pg_temp.answer(:call3, 201, '{"id": "call_late"}', attempt => :first_attempt)));
SELECT state, claimed_by, reconcile FROM outbox WHERE id = :call3;
-- a stopping dispatcher gives back what it never sent: not counted
SELECT attempts AS before FROM outbox WHERE id = :call3 \gset
SELECT state, note FROM outbox_report(jsonb_build_array(pg_temp.answer(:call3, 0) || '{"unsent": true}'));
SELECT state, attempts = :before - 1 AS uncounted, reconcile, run_at <= now() AS due FROM outbox WHERE id = :call3;
SELECT pg_temp.park();

-- bad input
SELECT * FROM outbox_claim('d1', 0);
SELECT * FROM outbox_claim('d1', 10, '0 seconds');
SELECT * FROM outbox_report('{"a": 1}');
SELECT * FROM outbox_report('[{"job_id": 1}]');
SELECT count(*) FROM outbox_report('[]');

-- ---------------------------------------------------------------- SMS
SELECT pg_temp.park();
INSERT INTO outbox (org_id, kind, payload, idempotency_key)
SELECT org_id, 'vapi.sms', jsonb_build_object('lead_id', id, 'customer_number', primary_phone_e164,
	'phone_number_id', 'pn_0', 'text', 'Hi Pat, sorry we missed you.'), 'sms-1'
FROM leads WHERE first_name = 'Pat' RETURNING id AS sms1 \gset
SELECT method, path, body::jsonb FROM outbox_claim('d1');
SELECT state FROM outbox_report(jsonb_build_array(pg_temp.answer(:sms1, 201, '{"id": "chat_1"}')));
SELECT state, result FROM pg_temp.job(:sms1);
-- no answer to a text (a timeout): it may have gone out, so it is not sent
-- again; a connection that was never made is retried
UPDATE outbox SET state = 'pending', run_at = now(), attempts = 0, finished_at = NULL WHERE id = :sms1;
SELECT count(*) FROM outbox_claim('d1');
SELECT state FROM outbox_report(jsonb_build_array(pg_temp.answer(:sms1, 0, error => 'Failed to connect to api.vapi.ai port 443: Connection refused')));
UPDATE outbox SET run_at = now() WHERE id = :sms1;
SELECT count(*) FROM outbox_claim('d1');
SELECT state, note FROM outbox_report(jsonb_build_array(pg_temp.answer(:sms1, 0, error => 'Operation timed out after 10000 milliseconds with 0 bytes received')));
-- the dispatcher could not even send it (no key for the service): retried, and no reconcile
UPDATE outbox SET state = 'pending', run_at = now(), attempts = 0, finished_at = NULL WHERE id = :sms1;
SELECT count(*) FROM outbox_claim('d1');
SELECT state FROM outbox_report(jsonb_build_array(pg_temp.answer(:sms1, 0, error => 'vapi API key not configured') || '{"sent": false}'));
SELECT state, reconcile FROM pg_temp.job(:sms1);
SELECT pg_temp.park();
-- an SMS whose dispatcher died mid-request is not sent twice: dead, replayable
INSERT INTO outbox (org_id, kind, payload, idempotency_key)
SELECT org_id, 'vapi.sms', jsonb_build_object('customer_number', primary_phone_e164,
	'phone_number_id', 'pn_0', 'text', 'Hi again.'), 'sms-2'
FROM leads WHERE first_name = 'Pat' RETURNING id AS sms2 \gset
SELECT count(*) FROM outbox_claim('d1');
UPDATE outbox SET lease_expires_at = now() - interval '1 second' WHERE id = :sms2;
SELECT count(*) FROM outbox_claim('d2');
SELECT state, last_error FROM pg_temp.job(:sms2);

-- ---------------------------------------------------------------- stats, next due, NOTIFY
SELECT pending > 0 AS pending, due, in_flight, dead > 0 AS dead FROM outbox_stats();
SELECT outbox_next_due() > now() AS next_due_later;
-- (that a new job wakes a LISTENing dispatcher at once is shown by t/090_dispatcher.pl)

-- ---------------------------------------------------------------- live booking (tool calls)
-- check_availability_and_book waits for Cal.com: receive_webhook stores the
-- event as waiting and returns the requests; continue_webhook finishes it
UPDATE brokers SET cal_event_type_id = 123456 WHERE name = 'Dana Lee';
SET vapi_pool.intake_assistant_id = 'asst_barbara';
CREATE FUNCTION pg_temp.tool_call(id text, args jsonb) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT jsonb_build_object('message', jsonb_build_object('type', 'tool-calls', 'timestamp', 1795000000000,
		'call', jsonb_build_object('id', 'call_live_' || id, 'phoneNumberId', 'pn_0'),
		'phoneNumber', jsonb_build_object('number', '+13105550180'), 'customer', jsonb_build_object('number', '+14155550123'),
		'toolCallList', jsonb_build_array(
			jsonb_build_object('id', 'tc_' || id, 'type', 'function', 'function', jsonb_build_object('name', 'check_availability_and_book', 'arguments', args)),
			jsonb_build_object('id', 'tc_q_' || id, 'type', 'function', 'function', jsonb_build_object('name', 'supabase_query',
				'arguments', '{"query_type": "get_lead_details", "identifier": "+14155550123"}'::jsonb))))) $$;
CREATE FUNCTION pg_temp.slots_answer() RETURNS text
LANGUAGE sql AS $$ SELECT '{"status": "success", "data": {"2030-03-05": [{"start": "2030-03-05T09:00:00.000-08:00"}, {"start": "2030-03-05T09:30:00.000-08:00"}], "2030-03-06": [{"start": "2030-03-06T14:00:00.000-08:00"}]}}' $$;
-- check: one GET /slots for the broker's event type, in the broker's zone
SELECT inbox_id AS check_inbox, http_status, state, duplicate, jsonb_array_length(answer -> 'requests') AS requests,
	answer -> 'budget_ms' AS budget FROM receive_webhook('vapi', pg_temp.tool_call('c1', '{"action": "check"}')) \gset
SELECT :http_status, :'state', :requests, :budget;
SELECT r ->> 'id' AS id, r ->> 'service' AS service, r ->> 'method' AS method,
	r ->> 'path' ~ '^/slots\?eventTypeId=123456&start=\d{4}-\d\d-\d\d&end=\d{4}-\d\d-\d\d&timeZone=America%2FLos_Angeles&format=range$' AS path,
	r -> 'headers' AS headers, r -> 'body' AS body
FROM webhook_inbox i, jsonb_array_elements(waiting_requests(i.answer) -> 'requests') r WHERE i.id = :check_inbox;
-- a repeated delivery while it waits sends nothing and gets a sentence
SELECT http_status, state, duplicate, answer FROM receive_webhook('vapi', pg_temp.tool_call('c1', '{"action": "check"}'));
-- a waiting event whose shim died (waiting past its budget) is closed, not sent again
SELECT inbox_id AS lost FROM receive_webhook('vapi', pg_temp.tool_call('lost', '{"action": "check"}')) \gset
UPDATE webhook_inbox SET processed_at = now() - interval '1 minute' WHERE id = :lost;
SELECT state, duplicate, answer -> 'results' -> 0 ->> 'error' AS error FROM receive_webhook('vapi', pg_temp.tool_call('lost', '{"action": "check"}'));
SELECT state FROM webhook_inbox WHERE id = :lost;
-- Cal.com's answer: the free times as one line, local, with the zone; a held slot is left out
SELECT claim_slot_atomic('2030-03-05T17:30:00Z', 'c0000000-0000-4000-8000-000000000002', 'aaaaaaaa-0000-4000-8000-000000000000',
	'a1000000-0000-4000-8000-000000000001') IS NOT NULL AS other_hold;
SELECT http_status, state, answer FROM continue_webhook(:check_inbox, jsonb_build_array(jsonb_build_object(
	'id', 'tc_c1:check', 'status', 200, 'body', pg_temp.slots_answer())));
SELECT state FROM webhook_inbox WHERE id = :check_inbox;
SELECT continue_webhook(:check_inbox, '[]');
-- Cal.com down: an honest error item
SELECT inbox_id AS check2 FROM receive_webhook('vapi', pg_temp.tool_call('c2', '{"action": "check"}')) \gset
SELECT answer -> 'results' -> 0 FROM continue_webhook(:check2, '[{"id": "tc_c2:check", "status": 0, "error": "budget exhausted"}]');

-- book: the hold first, then POST /bookings with the request's exact shape
SELECT inbox_id AS book1, state FROM receive_webhook('vapi', pg_temp.tool_call('b1',
	'{"action": "book", "start": "2030-03-05T17:00:00Z", "name": "Pat Quinn", "email": "pat.quinn@example.com"}')) \gset
SELECT :'state';
SELECT r ->> 'method' AS method, r ->> 'path' AS path, r -> 'headers' AS headers,
	(r ->> 'body')::jsonb #- '{metadata,hold_id}' AS body, (r ->> 'body')::jsonb #>> '{metadata,hold_id}' = a.hold_id::text AS holds
FROM webhook_inbox i, jsonb_array_elements(waiting_requests(i.answer) -> 'requests') r, appointments a
WHERE i.id = :book1 AND a.scheduled_at = '2030-03-05T17:00:00Z' AND a.status = 'held';
SELECT answer -> 'results' -> 0 AS result FROM continue_webhook(:book1, '[{"id": "tc_b1:book", "status": 201,
	"body": "{\"status\": \"success\", \"data\": {\"id\": 123, \"uid\": \"mg3EVprisqeBSLKZey4rKf\", \"status\": \"accepted\"}}"}]');
SELECT status, cal_booking_uid FROM appointments WHERE scheduled_at = '2030-03-05T17:00:00Z';
-- the caller cancels later: the booking is cancelled at Cal.com too (not when Cal.com told us)
SELECT status, cancel_reason FROM release_slot((SELECT hold_id FROM appointments WHERE cal_booking_uid = 'mg3EVprisqeBSLKZey4rKf'),
	'caller cancelled');
SELECT kind, state, idempotency_key, payload ->> 'reason' AS reason FROM outbox WHERE kind = 'cal.cancel_booking';
SELECT pg_temp.park();
UPDATE outbox SET run_at = now() WHERE kind = 'cal.cancel_booking';
SELECT method, path, headers, body::jsonb FROM outbox_claim('d1');
-- taken in Cal.com: the hold is released and other times are offered (a second round)
SELECT inbox_id AS book2 FROM receive_webhook('vapi', pg_temp.tool_call('b2', '{"action": "book", "start": "2030-03-06T22:00:00Z", "email": "pat@example.com"}')) \gset
SELECT state, answer -> 'requests' -> 0 ->> 'id' AS next FROM continue_webhook(:book2, jsonb_build_array(jsonb_build_object('id', 'tc_b2:book', 'status', 400,
	'body', '{"status": "error", "error": {"code": "BadRequestException", "message": "User either already has booking at this time or is not available"}}')));
SELECT status, cancel_reason FROM appointments WHERE scheduled_at = '2030-03-06T22:00:00Z';
-- (Cal.com still lists the refused time: it is not offered again)
SELECT state, answer -> 'results' -> 0 ->> 'result' AS result FROM continue_webhook(:book2, jsonb_build_array(jsonb_build_object(
	'id', 'tc_b2:alternatives', 'status', 200, 'body',
	'{"status": "success", "data": {"2030-03-06": [{"start": "2030-03-06T14:00:00.000-08:00"}, {"start": "2030-03-06T15:30:00.000-08:00"}]}}')));
-- a slot already held here never reaches Cal.com: other times at once
SELECT state, answer -> 'requests' -> 0 ->> 'id' AS next FROM receive_webhook('vapi', pg_temp.tool_call('b3', '{"action": "book", "start": "2030-03-05T17:30:00Z"}'));
-- Cal.com times out: the hold stays, the booking goes on in the outbox
SELECT inbox_id AS book4 FROM receive_webhook('vapi', pg_temp.tool_call('b4', '{"action": "book", "start": "2030-03-06T17:00:00Z", "email": "pat@example.com"}')) \gset
SELECT answer -> 'results' -> 0 ->> 'result' AS result FROM continue_webhook(:book4, '[{"id": "tc_b4:book", "status": 0, "error": "Operation timed out"}]');
SELECT a.status, o.kind, o.state, o.payload -> 'request' ->> 'start' AS start, o.payload ->> 'hold_id' = a.hold_id::text AS same_hold
FROM appointments a JOIN outbox o ON o.kind = 'cal.create_booking' WHERE a.scheduled_at = '2030-03-06T17:00:00Z';
-- ... and the dispatcher's later 201 confirms the hold
SELECT id AS booking_job FROM outbox WHERE kind = 'cal.create_booking' \gset
SELECT pg_temp.park();
UPDATE outbox SET run_at = now() WHERE id = :booking_job;
SELECT method, path, headers FROM outbox_claim('d1');
SELECT r.state, o.result FROM outbox_report(jsonb_build_array(pg_temp.answer(:booking_job, 201,
	'{"status": "success", "data": {"id": 124, "uid": "retryUid0000000000000a", "status": "accepted"}}'))) r
JOIN outbox o ON o.id = r.job_id;
SELECT status, cal_booking_uid FROM appointments WHERE scheduled_at = '2030-03-06T17:00:00Z';
-- bad calls
SELECT answer -> 'results' -> 0 ->> 'error' FROM receive_webhook('vapi', pg_temp.tool_call('x1', '{"action": "cancel"}'));
SELECT answer -> 'results' -> 0 ->> 'error' FROM receive_webhook('vapi', pg_temp.tool_call('x2', '{"action": "book"}'));
SELECT answer -> 'results' -> 0 ->> 'error' FROM receive_webhook('vapi', pg_temp.tool_call('x3', '{"action": "check", "broker_id": "b1"}'));
SELECT answer -> 'results' -> 0 ->> 'error' FROM receive_webhook('vapi', pg_temp.tool_call('x4', '{"action": "check", "date": "24/11/2026"}'));
-- the example's "date": the slots of that day only
SELECT r ->> 'path' ~ '^/slots\?eventTypeId=123456&start=2030-03-05&end=2030-03-05&timeZone=America%2FLos_Angeles&format=range$' AS one_day
FROM receive_webhook('vapi', pg_temp.tool_call('d1', '{"action": "check", "date": "2030-03-05"}')) w,
	jsonb_array_elements(w.answer -> 'requests') r;
SELECT continue_webhook(:book1, '[]');
SELECT continue_webhook(:book1, '{}');

-- ---------------------------------------------------------------- provisioning
-- pool_fill: the broker's pool has 2 of 3 numbers: one purchase is queued,
-- named after its job; a second fill while it is under way queues nothing
SELECT pool_size, in_pool, pending, queued, job_ids FROM pool_fill('a1000000-0000-4000-8000-000000000001', '415', dry_run => true);
SELECT pool_size, in_pool, pending, queued, cardinality(job_ids) FROM pool_fill('a1000000-0000-4000-8000-000000000001', '415', 'https://voice.example.com/webhook/vapi');
SELECT pool_size, in_pool, pending, queued, cardinality(job_ids) FROM pool_fill('a1000000-0000-4000-8000-000000000001');
SELECT id AS buy1, idempotency_key AS buy1_key FROM outbox WHERE kind = 'vapi.buy_number' \gset
SELECT pg_temp.park();
UPDATE outbox SET run_at = now() WHERE id = :buy1;
SELECT method, path, body::jsonb - 'name' AS body, body::jsonb ->> 'name' = 'vapi_pool job ' || :'buy1_key' AS named FROM outbox_claim('d1');
SELECT state FROM outbox_report(jsonb_build_array(pg_temp.answer(:buy1, 201,
	'{"id": "pn_new", "number": "+14155550177", "provider": "vapi", "server": {"url": "https://voice.example.com/webhook/vapi"}}')));
SELECT number, vapi_phone_number_id, status FROM vapi_number_pool WHERE vapi_phone_number_id = 'pn_new';
SELECT pool_size, in_pool, pending, queued FROM pool_fill('a1000000-0000-4000-8000-000000000001');
-- a purchase whose dispatcher died is looked up by its name before buying again
UPDATE brokers SET number_pool_size = 4 WHERE id = 'a1000000-0000-4000-8000-000000000001';
SELECT queued FROM pool_fill('a1000000-0000-4000-8000-000000000001', '415');
SELECT id AS buy2, idempotency_key AS buy2_key FROM outbox WHERE kind = 'vapi.buy_number' AND state = 'pending' \gset
SELECT count(*) FROM outbox_claim('d1');
UPDATE outbox SET lease_expires_at = now() - interval '1 second' WHERE id = :buy2;
SELECT method, path ~ '^/phone-number\?createdAtGe=\d{4}-\d\d-\d\dT\d\d%3A\d\d%3A\d\d\.\d{3}Z&limit=100$' AS lookup FROM outbox_claim('d2');
SELECT state, note FROM outbox_report(jsonb_build_array(pg_temp.answer(:buy2, 200, jsonb_build_array(
	jsonb_build_object('id', 'pn_other', 'number', '+14155550170', 'name', 'someone else'),
	jsonb_build_object('id', 'pn_bought', 'number', '+14155550178', 'name', 'vapi_pool job ' || :'buy2_key'))::text)));
SELECT number, status FROM vapi_number_pool WHERE vapi_phone_number_id = 'pn_bought';
SELECT pool_fill('a1000000-0000-4000-8000-000000000001', '015');
SELECT pool_fill('a1000000-0000-4000-8000-000000000001', server_url => 'ftp://x');
SELECT pool_fill('00000000-0000-4000-8000-000000000000');
-- pool_sync: link, know, import, skip; server URLs to point here
SELECT * FROM pool_sync(NULL, '[
	{"id": "pn_0", "number": "+13105550180", "server": {"url": "https://voice.example.com/webhook/vapi"}},
	{"id": "pn_x", "number": "+13105550181"},
	{"id": "pn_unknown", "number": "+12125550100"},
	{"id": "pn_bad", "number": "12"}]', 'https://voice.example.com/webhook/vapi');
UPDATE vapi_number_pool SET vapi_phone_number_id = NULL WHERE vapi_phone_number_id = 'pn_1';
SELECT * FROM pool_sync('a1000000-0000-4000-8000-000000000001', '[
	{"id": "pn_1", "number": "+13105550181"},
	{"id": "pn_unknown", "number": "+12125550100", "server": {"url": "https://voice.example.com/webhook/vapi"}}]',
	'https://voice.example.com/webhook/vapi');
SELECT number, vapi_phone_number_id FROM vapi_number_pool ORDER BY number;
-- a number being bought right now belongs to its purchase job
UPDATE brokers SET number_pool_size = 6 WHERE id = 'a1000000-0000-4000-8000-000000000001';
SELECT queued FROM pool_fill('a1000000-0000-4000-8000-000000000001');
SELECT a.action FROM (SELECT idempotency_key FROM outbox WHERE kind = 'vapi.buy_number' AND state = 'pending' LIMIT 1) o, pool_sync('a1000000-0000-4000-8000-000000000001', jsonb_build_array(jsonb_build_object(
	'id', 'pn_buying', 'number', '+14155550179', 'name', 'vapi_pool job ' || o.idempotency_key))) a;
SELECT * FROM pool_sync(NULL, '{}');
-- assistants pushed by vapi-shim: the fallback for outbound calls
SELECT role, vapi_assistant_id FROM record_assistant('intake', 'asst_pushed', repeat('a', 64));
SELECT role, vapi_assistant_id FROM record_assistant('intake', 'asst_pushed2');
RESET vapi_pool.intake_assistant_id;
SELECT outbound_assistant_id('aaaaaaaa-0000-4000-8000-000000000000', '{}');
-- ... and for routing an unknown caller when nothing else names the intake assistant
SELECT answer ->> 'assistantId' AS intake FROM receive_webhook('vapi', '{"message": {"type": "assistant-request",
	"call": {"id": "call_pushed_1", "phoneNumberId": "pn_0"}, "phoneNumber": {"number": "+13105550180"},
	"customer": {"number": "+12025550111"}}}');
\set VERBOSITY terse
SELECT record_assistant('Bad Role', 'x');
\set VERBOSITY default

-- ---------------------------------------------------------------- retention
-- done jobs older than the window go; dead ones and recent ones stay
UPDATE outbox SET finished_at = now() - interval '40 days' WHERE state IN ('done', 'dead');
SELECT state, count(*) FROM outbox GROUP BY state ORDER BY state;
SELECT purge_outbox(batch_size => 2);
SELECT purge_outbox();
SELECT state, count(*) FROM outbox GROUP BY state ORDER BY state;
SELECT purge_outbox('1 hour');

-- ---------------------------------------------------------------- row level security
-- a member sees the organisation's jobs and calls none of the API
SET ROLE authenticated;
SELECT count(*) FROM outbox_claim('intruder');
RESET ROLE;

SELECT url_encode('a b+c/ä?&=~._-');

DROP EXTENSION vapi_pool;
