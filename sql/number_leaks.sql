-- Numbers that leaked (issue 19, item 6): a create-call job that ends dead
-- gives back the number lent for its call unless something live needs it,
-- and its replay lends a number again or refuses; a call whose end-of-call
-- report never came is looked up (vapi.get_call, GET /call/{id}) and its
-- outcome recorded as the report would have, and given up on (ended as
-- unknown, its number released) only when Vapi has no answer either.  The
-- HTTP is tested with the shim and the stand-in in
-- t/102_journey_number_leaks.pl.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
SET vapi_pool.intake_assistant_id = 'asst_barbara';
SET vapi_pool.calling_window = '00:00-24:00';
\set VERBOSITY default

INSERT INTO orgs (org_id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Mortgages');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active, number_pool_size) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/Los_Angeles', '+14155550101', true, 6);
SELECT count(*) FROM (SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', ('+1310555018' || n)::e164, 'pn_' || n)
	FROM generate_series(0, 5) n) s;
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, primary_phone_e164, status)
SELECT 'aaaaaaaa-0000-4000-8000-000000000000', ('c0000000-0000-4000-8000-00000000000' || n)::uuid,
	'a1000000-0000-4000-8000-000000000001', f, 'Quinn', ('+1415555012' || n)::e164, 'calling'
FROM unnest(ARRAY['Pat', 'Sam', 'Kim', 'Lou', 'Max', 'Ann', 'Zoe'], ARRAY[1, 2, 3, 4, 5, 6, 7]) AS v(f, n);
-- They asked to be called on the broker's web form (retries need consent evidence).
INSERT INTO lead_consents (org_id, lead_id, kind, source_id)
SELECT org_id, id, 'form', 'web-form-' || first_name FROM leads;

-- The number each lead holds, and how the pool stands.
CREATE FUNCTION pg_temp.held() RETURNS TABLE (lead text, lead_status text, assignment text, number text, pool text)
LANGUAGE sql AS $$
	SELECT l.first_name, l.status, a.status, p.number::text, p.status
	FROM vapi_pool.leads l
	LEFT JOIN vapi_pool.vapi_number_assignments a ON a.lead_id = l.id AND a.status <> 'released'
	LEFT JOIN vapi_pool.vapi_number_pool p ON p.id = a.pool_number_id
	ORDER BY l.first_name $$;
-- A create-call job as the engine writes it (outbox.h's shape), for the lead's current assignment.
CREATE FUNCTION pg_temp.queue_call(first_name text, key text, attempt integer DEFAULT 1) RETURNS bigint
LANGUAGE sql AS $$
	INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key)
	SELECT a.org_id, 'vapi.create_call', jsonb_build_object('lead_id', a.lead_id, 'assignment_id', a.id,
		'phone_number_id', p.vapi_phone_number_id, 'from_number', p.number, 'customer_number', l.primary_phone_e164,
		'customer_name', l.name, 'attempt', attempt), key
	FROM vapi_pool.vapi_number_assignments a
	JOIN vapi_pool.vapi_number_pool p ON p.id = a.pool_number_id
	JOIN vapi_pool.leads l ON l.id = a.lead_id
	WHERE l.first_name = queue_call.first_name AND a.status <> 'released'
	RETURNING id $$;
-- An answer object as the dispatcher reports it.
CREATE FUNCTION pg_temp.answer(job bigint, status integer, body text DEFAULT NULL, error text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT jsonb_build_object('org_id', o.org_id, 'job_id', o.id, 'attempt', o.attempts, 'status', status,
		'body', body, 'error', error)
	FROM vapi_pool.outbox o WHERE o.id = job $$;
-- Claims the due jobs, answers job with status and body: the job's new state and note.
CREATE FUNCTION pg_temp.deliver(job bigint, status integer, body text DEFAULT NULL, error text DEFAULT NULL)
RETURNS TABLE (state text, note text)
LANGUAGE sql AS $$
	SELECT count(*) FROM vapi_pool.outbox_claim('t');
	SELECT r.state, r.note FROM vapi_pool.outbox_report(jsonb_build_array(pg_temp.answer(job, status, body, error))) r $$;
CREATE FUNCTION pg_temp.job(job bigint) RETURNS TABLE (kind text, state text, attempts integer, last_error text, result jsonb)
LANGUAGE sql AS $$ SELECT kind, state, attempts, last_error, result FROM vapi_pool.outbox WHERE id = job $$;
-- Jobs a test does not look at are out of the way.
CREATE FUNCTION pg_temp.park() RETURNS void
LANGUAGE sql AS $$ UPDATE vapi_pool.outbox SET run_at = now() + interval '1 day' WHERE state = 'pending' $$;
-- A Vapi call object as GET /call/{id} returns it.
CREATE FUNCTION pg_temp.vapi_call(id text, status text, extra jsonb DEFAULT '{}') RETURNS text
LANGUAGE sql AS $$
	SELECT (jsonb_build_object('id', id, 'orgId', 'org_vapi', 'type', 'outboundPhoneCall', 'status', status,
		'phoneNumberId', 'pn_0', 'customer', jsonb_build_object('number', '+14155550121'),
		'createdAt', '2030-01-01T10:00:00.000Z') || extra)::text $$;
SELECT count(*) FROM (SELECT assign_number(id) FROM leads WHERE first_name NOT IN ('Ann', 'Zoe') ORDER BY first_name) s;

-- ---------------------------------------------------------------- a create-call job dies: 400
SELECT pg_temp.queue_call('Pat', 'call-pat') AS pat \gset
SELECT * FROM pg_temp.deliver(:pat, 400,
	'{"message": ["customer.number must be a valid phone number in the E.164 format"], "error": "Bad Request", "statusCode": 400}');
-- the job says what became of its assignment; the number is free, Pat asked for a call that was not placed
SELECT * FROM pg_temp.job(:pat);
SELECT * FROM pg_temp.held() WHERE lead = 'Pat';
SELECT count(*) AS pat_assignments, count(*) FILTER (WHERE status = 'released' AND released_at IS NOT NULL) AS released
FROM vapi_number_assignments WHERE lead_id = 'c0000000-0000-4000-8000-000000000001';
SELECT vapi_assignment_id IS NULL AS unlinked FROM leads WHERE first_name = 'Pat';

-- ---------------------------------------------------------------- a later job of the same assignment is live
SELECT pg_temp.queue_call('Sam', 'call-sam-1') AS sam1 \gset
SELECT pg_temp.queue_call('Sam', 'call-sam-2') AS sam2 \gset
UPDATE outbox SET run_at = now() + interval '1 hour' WHERE id = :sam2;
SELECT * FROM pg_temp.deliver(:sam1, 422, '{"message": "Unprocessable", "statusCode": 422}');
SELECT result FROM pg_temp.job(:sam1);
SELECT * FROM pg_temp.held() WHERE lead = 'Sam';

-- ---------------------------------------------------------------- out of attempts
UPDATE outbox SET run_at = now() WHERE id = :sam2;
UPDATE outbox SET max_attempts = 1 WHERE id = :sam2;
SELECT * FROM pg_temp.deliver(:sam2, 503, '{"message": "upstream unavailable", "statusCode": 503}');
SELECT result FROM pg_temp.job(:sam2);
SELECT * FROM pg_temp.held() WHERE lead = 'Sam';

-- ---------------------------------------------------------------- dead at its claim
-- Lou's number has no Vapi id (nobody synced it): the claim marks the job dead, and gives the number back
UPDATE vapi_number_pool p SET vapi_phone_number_id = NULL FROM vapi_number_assignments a, leads l
WHERE a.pool_number_id = p.id AND l.id = a.lead_id AND l.first_name = 'Lou' AND a.status = 'booked'
RETURNING p.number;
SELECT pg_temp.queue_call('Lou', 'call-lou') AS lou \gset
SELECT count(*) AS sent FROM outbox_claim('t');
SELECT * FROM pg_temp.job(:lou);
SELECT * FROM pg_temp.held() WHERE lead = 'Lou';

-- ---------------------------------------------------------------- after a completed call the hold stands
-- Kim's first call was not answered: the retry (attempt 2) is queued, the number held for 24 h after it
SELECT pg_temp.queue_call('Kim', 'call-kim') AS kim \gset
SELECT * FROM pg_temp.deliver(:kim, 201, '{"id": "call_kim_1", "status": "queued"}');
SELECT outcome, next_attempt FROM record_call_ended('call_kim_1', 'customer-did-not-answer', now() - interval '1 minute', now(),
	NULL, NULL, NULL, NULL, NULL, NULL);
SELECT id AS kim2 FROM outbox WHERE idempotency_key = 'retry-of:call_kim_1' \gset
UPDATE outbox SET run_at = now() WHERE id = :kim2;
SELECT * FROM pg_temp.deliver(:kim2, 400, '{"message": "Bad Request", "statusCode": 400}');
SELECT result FROM pg_temp.job(:kim2);
SELECT * FROM pg_temp.held() WHERE lead = 'Kim';

-- ---------------------------------------------------------------- replay
-- Pat's number is back in the pool: the replay lends Pat one again and points the job at it
UPDATE leads SET primary_phone_e164 = '+14155550131' WHERE first_name = 'Pat';
SELECT state, attempts, payload ->> 'customer_number' AS calls, payload ->> 'phone_number_id' AS from_id
FROM outbox_replay(:pat);
SELECT (o.payload ->> 'assignment_id')::uuid = a.id AS new_assignment FROM outbox o
JOIN vapi_number_assignments a ON a.lead_id = (o.payload ->> 'lead_id')::uuid AND a.status = 'booked' WHERE o.id = :pat;
SELECT * FROM pg_temp.held() WHERE lead = 'Pat';
SELECT method, path, body::jsonb -> 'customer' AS customer FROM outbox_claim('t');
SELECT state, note FROM outbox_report(jsonb_build_array(pg_temp.answer(:pat, 201, '{"id": "call_pat_1", "status": "queued"}')));
SELECT l.first_name, c.status FROM vapi_call_logs c JOIN leads l ON l.id = c.lead_id WHERE c.vapi_call_id = 'call_pat_1';
-- Lou's job: lent the number released longest ago (Pat's first)
SELECT state, payload ->> 'phone_number_id' AS from_id FROM outbox_replay(:lou);
SELECT * FROM pg_temp.held() WHERE lead = 'Lou';
SELECT pg_temp.park();
-- refused: a call to the lead is queued already (Lou's replayed job)
SELECT pg_temp.queue_call('Lou', 'call-lou-2') AS lou2 \gset
UPDATE outbox SET state = 'dead', finished_at = now() WHERE id = :lou2;
SELECT outbox_replay(:lou2);
-- refused: a call to the lead has not ended (Pat's call_pat_1)
SELECT pg_temp.queue_call('Pat', 'call-pat-2') AS pat2 \gset
UPDATE outbox SET state = 'dead', finished_at = now() WHERE id = :pat2;
SELECT outbox_replay(:pat2);
-- refused: the lead opted out
UPDATE leads SET status = 'do_not_call' WHERE first_name = 'Sam';
SELECT outbox_replay(:sam2);
-- refused: the lead booked meanwhile
UPDATE leads SET status = 'appointment_booked' WHERE first_name = 'Sam';
SELECT outbox_replay(:sam2);
-- refused: the pool is exhausted
UPDATE leads SET status = 'calling' WHERE first_name = 'Sam';
SELECT count(*) FROM (SELECT assign_number(id) FROM leads WHERE first_name IN ('Ann', 'Zoe')) s;
SELECT outbox_replay(:sam2);
SELECT * FROM pg_temp.job(:sam2);

-- ---------------------------------------------------------------- stale calls: the settings
SHOW vapi_pool.call_max_duration;
SHOW vapi_pool.call_report_grace;
SHOW vapi_pool.call_report_give_up;
-- PostgreSQL words the range (with units from 16 on): its SQLSTATE is what is checked
\set VERBOSITY sqlstate
SET vapi_pool.call_report_grace = '30s';
\set VERBOSITY default
RESET vapi_pool.call_report_grace;
SELECT * FROM reconcile_stale_calls(now(), 0);
SELECT * FROM reconcile_stale_calls(NULL);

-- ---------------------------------------------------------------- a report that is late: looked up
SELECT pg_temp.park();
DELETE FROM outbox WHERE state = 'pending';
SELECT pg_temp.queue_call('Max', 'call-max') AS max \gset
SELECT * FROM pg_temp.deliver(:max, 201, '{"id": "call_max_1", "status": "queued"}');
-- not before the call should have ended (10 min) and the report is 10 min late
SELECT action FROM reconcile_stale_calls(now() + interval '19 minutes');
SELECT vapi_call_id, action, outbox_id IS NOT NULL AS queued, detail FROM reconcile_stale_calls(now() + interval '21 minutes')
ORDER BY vapi_call_id;
-- Pat's call too (placed above); only Max's is followed here
UPDATE outbox SET run_at = now() + interval '1 day' WHERE kind = 'vapi.get_call' AND payload ->> 'call_id' <> 'call_max_1';
SELECT id AS look1 FROM outbox WHERE kind = 'vapi.get_call' AND payload ->> 'call_id' = 'call_max_1' \gset
SELECT payload - 'call_log_id' - 'assignment_id' AS payload, payload ? 'call_log_id' AS has_log,
	payload ? 'assignment_id' AS has_assignment, idempotency_key, max_attempts FROM outbox WHERE id = :look1;
-- a lookup queued or in flight is not queued twice
SELECT count(*) FROM reconcile_stale_calls(now() + interval '21 minutes') WHERE vapi_call_id = 'call_max_1';
SELECT kind, method, path, body FROM outbox_claim('t');
-- Vapi says it is still going on: done for now, looked up again a grace period after
SELECT state, note FROM outbox_report(jsonb_build_array(pg_temp.answer(:look1, 200, pg_temp.vapi_call('call_max_1', 'in-progress'))));
SELECT state, result FROM pg_temp.job(:look1);
UPDATE outbox SET finished_at = now() + interval '20 minutes' WHERE id = :look1;
SELECT count(*) FROM reconcile_stale_calls(now() + interval '29 minutes') WHERE vapi_call_id = 'call_max_1';
SELECT action, detail FROM reconcile_stale_calls(now() + interval '31 minutes') WHERE vapi_call_id = 'call_max_1';
SELECT id AS look2 FROM outbox WHERE idempotency_key = 'get-call:call_max_1:2' \gset
-- Vapi says it ended, not answered: recorded as the report would be (a retry queued, the number held)
SELECT * FROM pg_temp.deliver(:look2, 200, pg_temp.vapi_call('call_max_1', 'ended', jsonb_build_object(
	'endedReason', 'customer-did-not-answer', 'startedAt', to_char(now() - interval '40 seconds', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
	'endedAt', to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'cost', 0.02,
	'artifact', jsonb_build_object('transcript', 'AI: Hello, is this Max? My number is 415-555-0125.',
		'recordingUrl', 'https://storage.vapi.ai/call_max_1.wav', 'messages', '[]'::jsonb),
	'analysis', jsonb_build_object('summary', 'No answer.'))));
SELECT state, result - 'next_attempt_at' AS result, result ? 'next_attempt_at' AS has_next FROM pg_temp.job(:look2);
SELECT status, ended_reason, outcome, duration_seconds, cost, recording_url, transcript, summary, review_reason,
	ended_report ->> 'vapi_pool_lookup' AS looked_up, ended_report ? 'artifact' AS artifact,
	ended_report -> 'artifact' ? 'transcript' AS transcript_kept
FROM vapi_call_logs WHERE vapi_call_id = 'call_max_1';
SELECT * FROM pg_temp.held() WHERE lead = 'Max';
SELECT payload ->> 'attempt' AS attempt, state FROM outbox WHERE idempotency_key = 'retry-of:call_max_1';
-- the report comes after all: nothing is decided twice
SELECT outcome, duplicate, next_attempt_at IS NULL AS no_second_retry FROM record_call_ended('call_max_1',
	'customer-did-not-answer', now() - interval '40 seconds', now(), 40, NULL, NULL, NULL, 0.02, '{"message": {}}');
SELECT count(*) AS retries FROM outbox WHERE idempotency_key LIKE 'retry-of:call_max_1%';
SELECT count(*) FROM reconcile_stale_calls(now() + interval '1 day') WHERE vapi_call_id = 'call_max_1';

-- an end that cannot be recorded: the lookup is dead (for the sweep, Vapi has no answer)
SELECT pg_temp.park();
UPDATE outbox SET run_at = now() WHERE kind = 'vapi.get_call' AND payload ->> 'call_id' = 'call_pat_1';
SELECT id AS lookpat FROM outbox WHERE kind = 'vapi.get_call' AND payload ->> 'call_id' = 'call_pat_1' \gset
SELECT * FROM pg_temp.deliver(:lookpat, 200, pg_temp.vapi_call('call_pat_1', 'ended', '{"endedReason": "customer-ended-call",
	"startedAt": "2030-01-01T10:05:00Z", "endedAt": "2030-01-01T10:00:00Z"}'));
SELECT status FROM vapi_call_logs WHERE vapi_call_id = 'call_pat_1';

-- ---------------------------------------------------------------- Vapi has no answer: given up on
-- Pat's lookup is dead; the number goes only call_report_give_up (60 min) after the call should have ended
SELECT action FROM reconcile_stale_calls(now() + interval '69 minutes') WHERE vapi_call_id = 'call_pat_1';
SELECT id AS lookpat2 FROM outbox WHERE idempotency_key = 'get-call:call_pat_1:2' \gset
SELECT * FROM pg_temp.deliver(:lookpat2, 404, '{"message": "Couldn''t Find Call", "error": "Not Found", "statusCode": 404}');
SELECT * FROM pg_temp.job(:lookpat2);
SELECT * FROM pg_temp.held() WHERE lead = 'Pat';
SELECT vapi_call_id, action, detail FROM reconcile_stale_calls(now() + interval '71 minutes') WHERE vapi_call_id = 'call_pat_1';
SELECT status, ended_reason, outcome, ended_at, review_reason FROM vapi_call_logs WHERE vapi_call_id = 'call_pat_1';
SELECT * FROM pg_temp.held() WHERE lead = 'Pat';
SELECT count(*) FROM reconcile_stale_calls(now() + interval '1 day') WHERE vapi_call_id = 'call_pat_1';
-- the report comes after all: it fills in what the log lacks and decides nothing
SELECT outcome, duplicate, lead_status FROM record_call_ended('call_pat_1', 'customer-ended-call', now() - interval '2 minutes', now(),
	NULL, 'https://storage.vapi.ai/call_pat_1.wav', NULL, NULL, 0.04, NULL);
SELECT status, ended_reason, recording_url, cost, review_reason FROM vapi_call_logs WHERE vapi_call_id = 'call_pat_1';
SELECT * FROM pg_temp.held() WHERE lead = 'Pat';

-- a lookup that fails until its attempts run out is no answer either; a
-- number held after a completed call keeps its hold
SELECT (record_call_placed((SELECT id FROM vapi_number_assignments WHERE lead_id = 'c0000000-0000-4000-8000-000000000005' AND status <> 'released'),
	'call_max_2', 2)).vapi_call_id;
SELECT action FROM reconcile_stale_calls(now() + interval '21 minutes') WHERE vapi_call_id = 'call_max_2';
SELECT id AS lookmax FROM outbox WHERE idempotency_key = 'get-call:call_max_2:1' \gset
SELECT state FROM pg_temp.deliver(:lookmax, 502, 'Bad Gateway');
UPDATE outbox SET run_at = now(), max_attempts = 2 WHERE id = :lookmax;
SELECT * FROM pg_temp.deliver(:lookmax, 0, error => 'Operation timed out after 10000 milliseconds');
SELECT state, attempts, last_error FROM pg_temp.job(:lookmax);
SELECT vapi_call_id, action, detail FROM reconcile_stale_calls(now() + interval '71 minutes') WHERE vapi_call_id = 'call_max_2';
SELECT * FROM pg_temp.held() WHERE lead = 'Max';

-- Vapi says "in progress" past its own longest call (12 hours): given up on too
SELECT (record_call_placed((SELECT id FROM vapi_number_assignments WHERE lead_id = 'c0000000-0000-4000-8000-000000000006' AND status <> 'released'),
	'call_ann_1')).vapi_call_id;
SELECT action FROM reconcile_stale_calls(now() + interval '21 minutes') WHERE vapi_call_id = 'call_ann_1';
SELECT id AS lookann FROM outbox WHERE idempotency_key = 'get-call:call_ann_1:1' \gset
SELECT * FROM pg_temp.deliver(:lookann, 200, pg_temp.vapi_call('call_ann_1', 'in-progress'));
SELECT action FROM reconcile_stale_calls(now() + interval '12 hours 59 minutes') WHERE vapi_call_id = 'call_ann_1';
SELECT pg_temp.park();
UPDATE outbox SET state = 'done', finished_at = now() WHERE idempotency_key = 'get-call:call_ann_1:2';
SELECT action, detail FROM reconcile_stale_calls(now() + interval '13 hours 1 minute') WHERE vapi_call_id = 'call_ann_1';
SELECT status, ended_reason, review_reason FROM vapi_call_logs WHERE vapi_call_id = 'call_ann_1';
SELECT * FROM pg_temp.held() WHERE lead = 'Ann';

-- an inbound call with no number lent is ended as unknown, nothing else
INSERT INTO vapi_call_logs (org_id, vapi_call_id, direction, created_at)
VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'call_in_1', 'inbound_unknown', now() - interval '2 hours');
SELECT action FROM reconcile_stale_calls() WHERE vapi_call_id = 'call_in_1';
UPDATE outbox SET state = 'dead', finished_at = now() WHERE idempotency_key = 'get-call:call_in_1:1';
SELECT action, detail FROM reconcile_stale_calls() WHERE vapi_call_id = 'call_in_1';

-- the sweep is the service's
SET ROLE authenticated;
SELECT * FROM reconcile_stale_calls();
RESET ROLE;

DROP EXTENSION vapi_pool CASCADE;
