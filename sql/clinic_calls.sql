-- Clinic calls (release 0.6.0, issue 19 items 2-4): who answers a clinic's
-- callers (the receptionist, with the contact of a patient on file), the
-- receptionist's tools on the clinic's own calendar and with Cal.com (the
-- requests answered here by hand, as the shim would), a new caller made a
-- contact linked to the call, and the drop-off rule with holds.  The whole
-- calls, over HTTP with the stand-ins, are t/104_journey_clinic.pl.  Times
-- are three days ahead in the clinic's zone; the answers name weekdays and
-- dates, which are masked, and ids.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
-- Follow-ups wait for the calling hours (the suite's default lets any hour through).
SET vapi_pool.calling_window = '08:00-20:00';
\set VERBOSITY default

-- ---------------------------------------------------------------- fixtures

INSERT INTO orgs (org_id, name, is_clinic, timezone, dropoff_sms_enabled) VALUES
	('cccccccc-0000-4000-8000-000000000000', 'Bright Smile Clinic', true, 'America/New_York', true),
	('dddddddd-0000-4000-8000-000000000000', 'Bay Aesthetics', true, 'America/Los_Angeles', false);
UPDATE orgs SET cal_event_type_id = 777 WHERE org_id = 'dddddddd-0000-4000-8000-000000000000';
INSERT INTO orgs (org_id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active) VALUES
	('cccccccc-0000-4000-8000-000000000000', 'c1000000-0000-4000-8000-000000000001', 'Front desk', 'America/New_York', '+12125550100', true),
	('dddddddd-0000-4000-8000-000000000000', 'd1000000-0000-4000-8000-000000000001', 'Front desk', 'America/Los_Angeles', '+14155550300', true),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/Los_Angeles', '+14155550101', true);
-- Rosa is on file without a front desk of her own; Dora is Bay Aesthetics'; Pat a brokerage's lead
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, email, primary_phone_e164) VALUES
	('cccccccc-0000-4000-8000-000000000000', 'c2000000-0000-4000-8000-000000000001', NULL, 'Rosa', 'Diaz', NULL, '+12125550177'),
	('dddddddd-0000-4000-8000-000000000000', 'd2000000-0000-4000-8000-000000000001', NULL, 'Dora', 'Kim', 'dora@example.com', '+14155550166'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Pat', NULL, NULL, '+14155550123');
SELECT count(*) FROM (
	SELECT add_pool_number('c1000000-0000-4000-8000-000000000001', '+12125550150', 'pn_clinic')
	UNION ALL SELECT add_pool_number('d1000000-0000-4000-8000-000000000001', '+14155550350', 'pn_bay')
	UNION ALL SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+14155550199', 'pn_loans')) s;
-- Bright Smile is open every day 9 to 12 and 1 to 5 (New York time)
INSERT INTO clinic_hours (org_id, weekday, opens, closes)
SELECT 'cccccccc-0000-4000-8000-000000000000', d, o, c
FROM generate_series(1, 7) d, (VALUES (time '09:00', time '12:00'), ('13:00', '17:00')) h(o, c);

-- the day of the tests, and the labels of some of its times
SELECT to_char((now() AT TIME ZONE 'America/New_York')::date + 3, 'YYYY-MM-DD') AS d \gset
SELECT spoken_time((:'d'::date + time '09:30') AT TIME ZONE 'America/New_York', 'America/New_York') AS at930,
	   spoken_time((:'d'::date + time '11:00') AT TIME ZONE 'America/New_York', 'America/New_York') AS at1100,
	   to_char(((:'d'::date + time '14:00') AT TIME ZONE 'America/New_York') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS iso1400,
	   to_char(((:'d'::date + time '03:00') AT TIME ZONE 'America/New_York') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS iso0300
\gset

-- What an answer says, with its days, ids and the end of a hold (now + 15 minutes) masked.
CREATE FUNCTION pg_temp.masked(t text) RETURNS text LANGUAGE sql AS $$
	SELECT regexp_replace(regexp_replace(regexp_replace(t,
		'(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), [A-Z][a-z]+ [0-9]{1,2}', 'DAY', 'g'),
		'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g'),
		'until [0-9]{1,2}:[0-9]{2} [AP]M', 'until <time>', 'g')
$$;

-- One tool call of call_id from caller to a pool number, as Vapi sends it;
-- the item answered (result, error, or pending).
CREATE TEMP SEQUENCE tool_ids;
CREATE FUNCTION pg_temp.tool_item(call_id text, name text, args jsonb, caller text, pool text DEFAULT 'pn_clinic')
	RETURNS jsonb LANGUAGE sql AS $$
	SELECT r FROM receive_webhook('vapi', jsonb_build_object('message', jsonb_build_object('type', 'tool-calls',
		'call', jsonb_build_object('id', call_id, 'phoneNumberId', pool, 'customer', jsonb_build_object('number', caller)),
		'toolCallList', jsonb_build_array(jsonb_build_object('id', 'tc-' || nextval('tool_ids'), 'type', 'function',
			'function', jsonb_build_object('name', name, 'arguments', args::text)))))) w,
		jsonb_array_elements(w.answer -> 'results') r
$$;
-- The same call's whole receipt (a tool that waits for Cal.com: state
-- waiting, and the requests the shim is to make).
CREATE FUNCTION pg_temp.tool_receipt(call_id text, name text, args jsonb, caller text, pool text DEFAULT 'pn_clinic')
	RETURNS webhook_receipt LANGUAGE sql AS $$
	SELECT * FROM receive_webhook('vapi', jsonb_build_object('message', jsonb_build_object('type', 'tool-calls',
		'call', jsonb_build_object('id', call_id, 'phoneNumberId', pool, 'customer', jsonb_build_object('number', caller)),
		'toolCallList', jsonb_build_array(jsonb_build_object('id', 'tc-' || nextval('tool_ids'), 'type', 'function',
			'function', jsonb_build_object('name', name, 'arguments', args::text))))))
$$;
-- The text the model reads: the result, or "ERROR: " and the error.
CREATE FUNCTION pg_temp.tool(call_id text, name text, args jsonb, caller text, pool text DEFAULT 'pn_clinic')
	RETURNS text LANGUAGE sql AS $$
	SELECT coalesce(i ->> 'result', 'ERROR: ' || (i ->> 'error')) FROM pg_temp.tool_item(call_id, name, args, caller, pool) i
$$;
-- The id a tool answer gave ("hold_id: <id>", "appointment_id: <id>").
CREATE FUNCTION pg_temp.id_in(answer text, key text) RETURNS text LANGUAGE sql AS $$
	SELECT substring(answer from key || ':? ([0-9a-f-]{36})')
$$;

CREATE FUNCTION pg_temp.assistant_request(call_id text, caller text, called text DEFAULT '+12125550150') RETURNS jsonb
	LANGUAGE sql AS $$
	SELECT answer FROM receive_webhook('vapi', jsonb_build_object('message', jsonb_build_object('type', 'assistant-request',
		'call', jsonb_build_object('id', call_id, 'type', 'inboundPhoneCall'),
		'phoneNumber', jsonb_build_object('number', called), 'customer', jsonb_build_object('number', caller))))
$$;

-- ---------------------------------------------------------------- who answers

-- No receptionist anywhere: a patient on file is forwarded to the front
-- desk as before (she is on file without a front desk: the clinic's all the same).
SELECT pg_temp.assistant_request('route-0', '+12125550177');
-- The setting names one: the patient gets the receptionist with her contact.
SET vapi_pool.receptionist_assistant_id = 'asst-voxanne';
SELECT jsonb_pretty(pg_temp.assistant_request('route-1', '+12125550177'));
SELECT direction, lead_id FROM vapi_call_logs WHERE vapi_call_id = 'route-1';
-- An unknown caller gets the receptionist too, with the numbers only.
SELECT pg_temp.assistant_request('route-2', '+12125550188');
SELECT direction, lead_id IS NULL AS no_contact_yet FROM vapi_call_logs WHERE vapi_call_id = 'route-2';
-- The clinic's own assistant wins over the setting; a clinic may forward its patients instead.
UPDATE orgs SET receptionist_assistant_id = 'asst-bright-smile' WHERE org_id = 'cccccccc-0000-4000-8000-000000000000';
SELECT pg_temp.assistant_request('route-3', '+12125550188') ->> 'assistantId' AS unknown_caller;
UPDATE orgs SET known_patient_answer = 'forward' WHERE org_id = 'cccccccc-0000-4000-8000-000000000000';
SELECT pg_temp.assistant_request('route-4', '+12125550177') AS forwarded_patient;
SELECT pg_temp.assistant_request('route-5', '+12125550188') ->> 'assistantId' AS unknown_caller_still;
UPDATE orgs SET known_patient_answer = 'receptionist', receptionist_assistant_id = NULL
WHERE org_id = 'cccccccc-0000-4000-8000-000000000000';
-- Without the setting, the receptionist vapi-shim assistants push created.
RESET vapi_pool.receptionist_assistant_id;
SELECT (record_assistant('clinic_receptionist', 'asst-pushed-voxanne')).role AS pushed;
SELECT pg_temp.assistant_request('route-6', '+12125550177') ->> 'assistantId' AS pushed_receptionist;
-- A brokerage's numbers are not a clinic's: its lead is forwarded to the broker.
SELECT pg_temp.assistant_request('route-7', '+14155550123', '+14155550199');
\set VERBOSITY terse
UPDATE orgs SET known_patient_answer = 'voicemail' WHERE org_id = 'cccccccc-0000-4000-8000-000000000000';
INSERT INTO clinic_hours (org_id, weekday, opens, closes) VALUES ('cccccccc-0000-4000-8000-000000000000', 8, '09:00', '10:00');
INSERT INTO clinic_hours (org_id, weekday, opens, closes) VALUES ('cccccccc-0000-4000-8000-000000000000', 1, '10:00', '09:00');
\set VERBOSITY default

-- ---------------------------------------------------------------- free times of the clinic's own calendar

-- Every half hour of the opening hours, not the lunch break; one day, or the horizon.
SELECT array_length(clinic_free_starts('cccccccc-0000-4000-8000-000000000000', :'d'), 1) AS starts_that_day,
	   (SELECT array_agg(to_char(t AT TIME ZONE 'America/New_York', 'HH24:MI') ORDER BY t)
		FROM unnest(clinic_free_starts('cccccccc-0000-4000-8000-000000000000', :'d')) t
		WHERE (t AT TIME ZONE 'America/New_York')::time BETWEEN '11:00' AND '13:30') AS around_lunch;
SELECT array_length(clinic_free_starts('cccccccc-0000-4000-8000-000000000000'), 1) > 14 * 5 AS horizon_has_days,
	   (SELECT bool_and(t >= now() + interval '60 minutes') FROM unnest(clinic_free_starts('cccccccc-0000-4000-8000-000000000000')) t) AS notice_kept,
	   clinic_free_starts('cccccccc-0000-4000-8000-000000000000', (now() AT TIME ZONE 'America/New_York')::date - 1) AS yesterday,
	   clinic_free_starts('aaaaaaaa-0000-4000-8000-000000000000') AS no_hours;

-- ---------------------------------------------------------------- a new caller books, moves and cancels

-- Not on file: nothing to list; the check offers the day's first six times.
SELECT pg_temp.assistant_request('new-1', '+12125550188') ->> 'assistantId' AS assistant;
SELECT pg_temp.tool('new-1', 'list_appointments', '{}', '+12125550188');
SELECT pg_temp.masked(pg_temp.tool('new-1', 'check_availability', jsonb_build_object('date', :'d'), '+12125550188'));
SELECT count(*) AS offered, min(round) AS round FROM offered_slots WHERE vapi_call_id = 'new-1';
-- Holding as the caller says it: "the second one" is 9:30.
SELECT pg_temp.tool('new-1', 'claim_slot_atomic', '{"slot_time": "the second one"}', '+12125550188') AS held \gset
SELECT pg_temp.masked(:'held');
-- The caller is a contact now, with the number only, and the call is theirs.
SELECT l.first_name, l.primary_phone_e164, c.lead_id = l.id AS call_linked
FROM leads l JOIN vapi_call_logs c ON c.vapi_call_id = 'new-1' WHERE l.primary_phone_e164 = '+12125550188';
-- Words that fit two offered times, none, or that name no time: the candidates, nothing held.
SELECT pg_temp.masked(pg_temp.tool('new-1', 'claim_slot_atomic', '{"slot_time": "in the morning"}', '+12125550188'));
SELECT pg_temp.masked(pg_temp.tool('new-1', 'claim_slot_atomic', '{"slot_time": "in the afternoon"}', '+12125550188'));
SELECT pg_temp.masked(pg_temp.tool('new-1', 'claim_slot_atomic', '{"slot_time": "whenever"}', '+12125550188'));
-- An ISO time outside the opening hours is refused; one inside is held.
SELECT pg_temp.masked(pg_temp.tool('new-1', 'claim_slot_atomic', jsonb_build_object('slot_time', :'iso0300'), '+12125550188'));
SELECT pg_temp.masked(pg_temp.tool('new-1', 'claim_slot_atomic', jsonb_build_object('slot_time', :'iso1400'), '+12125550188'));
SELECT count(*) FILTER (WHERE status = 'held') AS holds FROM appointments WHERE org_id = 'cccccccc-0000-4000-8000-000000000000';
-- Confirming: an id that is no hold, then the hold.
SELECT pg_temp.masked(pg_temp.tool('new-1', 'confirm_booking', '{"hold_id": "Tuesday"}', '+12125550188'));
SELECT pg_temp.tool('new-1', 'confirm_booking', jsonb_build_object('hold_id', pg_temp.id_in(:'held', 'hold_id')), '+12125550188') AS booked \gset
SELECT pg_temp.masked(:'booked');
SELECT status, cal_booking_uid, to_char(scheduled_at AT TIME ZONE 'America/New_York', 'HH24:MI') AS at
FROM appointments WHERE hold_id = pg_temp.id_in(:'held', 'hold_id')::uuid;
-- The same confirmation again says so and changes nothing.
SELECT pg_temp.masked(pg_temp.tool('new-1', 'confirm_booking', jsonb_build_object('hold_id', pg_temp.id_in(:'held', 'hold_id')), '+12125550188'));
-- The caller's name and e-mail: a broken address saves nothing; then both.
SELECT pg_temp.tool('new-1', 'save_caller_details', '{"first_name": "Jane", "email": "jane@example"}', '+12125550188');
SELECT pg_temp.tool('new-1', 'save_caller_details', '{}', '+12125550188');
SELECT pg_temp.tool('new-1', 'save_caller_details', '{"name": "Jane van Dyke", "email": " jane@example.com "}', '+12125550188');
SELECT first_name, last_name, email FROM leads WHERE primary_phone_e164 = '+12125550188';
-- Moving it: list, hold 11:00 (the label as offered), reschedule.
SELECT pg_temp.masked(pg_temp.tool('new-1', 'list_appointments', '{}', '+12125550188'));
SELECT pg_temp.tool('new-1', 'claim_slot_atomic', jsonb_build_object('slot_time', :'at1100'), '+12125550188') AS held2 \gset
SELECT pg_temp.masked(pg_temp.tool('new-1', 'reschedule_appointment',
	jsonb_build_object('appointment_id', pg_temp.id_in(:'booked', 'appointment_id'), 'hold_id', pg_temp.id_in(:'held', 'hold_id')),
	'+12125550188')) AS same_appointment;
SELECT pg_temp.masked(pg_temp.tool('new-1', 'reschedule_appointment',
	jsonb_build_object('appointment_id', pg_temp.id_in(:'booked', 'appointment_id'), 'hold_id', pg_temp.id_in(:'held2', 'hold_id')),
	'+12125550188'));
SELECT to_char(a.scheduled_at AT TIME ZONE 'America/New_York', 'HH24:MI') AS at, a.status, a.cancel_reason
FROM appointments a JOIN leads l ON l.org_id = a.org_id AND l.id = a.contact_id
WHERE l.primary_phone_e164 = '+12125550188' ORDER BY scheduled_at;

-- ---------------------------------------------------------------- only the caller's own

-- Rosa holds 10:00 on another call; the new caller cannot take it, nor
-- cancel or move Rosa's appointment by its id.
SELECT pg_temp.tool('rosa-1', 'check_availability', jsonb_build_object('date', :'d'), '+12125550177') IS NOT NULL AS checked;
SELECT pg_temp.tool('rosa-1', 'claim_slot_atomic', '{"slot_time": "10 AM"}', '+12125550177') AS rosa_held \gset
SELECT pg_temp.tool('rosa-1', 'confirm_booking', jsonb_build_object('hold_id', pg_temp.id_in(:'rosa_held', 'hold_id')), '+12125550177') AS rosa_booked \gset
SELECT pg_temp.masked(:'rosa_booked');
SELECT pg_temp.masked(pg_temp.tool('new-1', 'claim_slot_atomic', '{"slot_time": "10:00 AM"}', '+12125550188'));
SELECT pg_temp.masked(pg_temp.tool('new-1', 'cancel_appointment',
	jsonb_build_object('appointment_id', pg_temp.id_in(:'rosa_booked', 'appointment_id')), '+12125550188'));
SELECT pg_temp.masked(pg_temp.tool('new-1', 'confirm_booking',
	jsonb_build_object('hold_id', pg_temp.id_in(:'rosa_held', 'hold_id')), '+12125550188'));
SELECT status FROM appointments WHERE hold_id = pg_temp.id_in(:'rosa_held', 'hold_id')::uuid;
-- The new caller cancels their own, named by its time as listed.
SELECT pg_temp.masked(pg_temp.tool('new-1', 'cancel_appointment', jsonb_build_object('appointment_id', :'at1100' || ' (America/New_York)'), '+12125550188'));
SELECT pg_temp.masked(pg_temp.tool('new-1', 'list_appointments', '{}', '+12125550188'));
SELECT count(*) AS cal_jobs FROM outbox WHERE kind LIKE 'cal.%';
-- A clinic without opening hours offers nothing, and says what to do.
DELETE FROM clinic_hours WHERE org_id = 'cccccccc-0000-4000-8000-000000000000' AND weekday = extract(isodow FROM :'d'::date);
SELECT pg_temp.masked(pg_temp.tool('new-1', 'check_availability', jsonb_build_object('date', :'d'), '+12125550188'));
DELETE FROM clinic_hours;
SELECT pg_temp.tool('new-1', 'check_availability', '{}', '+12125550188');
SELECT pg_temp.tool('new-1', 'check_availability', '{"date": "next week"}', '+12125550188');

-- ---------------------------------------------------------------- with Cal.com (Bay Aesthetics' event type)

-- A check waits for GET /slots; continue_webhook gives it Cal.com's answer.
SELECT inbox_id AS check_event, state, jsonb_pretty(answer -> 'results' -> 0 -> 'pending' -> 'request') AS request
FROM receive_webhook('vapi', jsonb_build_object('message', jsonb_build_object('type', 'tool-calls',
	'call', jsonb_build_object('id', 'bay-1', 'phoneNumberId', 'pn_bay', 'customer', jsonb_build_object('number', '+14155550166')),
	'toolCallList', jsonb_build_array(jsonb_build_object('id', 'bay-t1', 'type', 'function',
		'function', jsonb_build_object('name', 'check_availability', 'arguments', jsonb_build_object('date', :'d'))))))) \gset
SELECT to_char((:'d'::date + time '10:00') AT TIME ZONE 'America/Los_Angeles', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS cal10,
	   to_char((:'d'::date + time '10:45') AT TIME ZONE 'America/Los_Angeles', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS cal1045,
	   to_char((:'d'::date + time '11:30') AT TIME ZONE 'America/Los_Angeles', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS cal1130
\gset
SELECT state, pg_temp.masked(answer -> 'results' -> 0 ->> 'result') AS result
FROM continue_webhook(:check_event, jsonb_build_array(jsonb_build_object('id', 'bay-t1:clinic_check', 'status', 200,
	'body', jsonb_build_object('status', 'success', 'data', jsonb_build_object(:'d', jsonb_build_array(
		jsonb_build_object('start', :'cal10', 'end', (:'cal10'::timestamptz + interval '45 minutes')),
		jsonb_build_object('start', :'cal1045', 'end', (:'cal1045'::timestamptz + interval '45 minutes')),
		jsonb_build_object('start', :'cal1130', 'end', (:'cal1130'::timestamptz + interval '45 minutes')))))::text)));
-- The length is the event type's (Cal.com's ranges: 45 minutes), and so is the hold's.
SELECT pg_temp.tool('bay-1', 'claim_slot_atomic', '{"slot_time": "the first one"}', '+14155550166', 'pn_bay') AS bay_held \gset
SELECT pg_temp.masked(:'bay_held');
SELECT duration FROM appointments WHERE hold_id = pg_temp.id_in(:'bay_held', 'hold_id')::uuid;
-- Confirming asks Cal.com to book (POST /bookings with the contact), then confirms the hold.
SELECT r.inbox_id AS book_event, r.answer -> 'requests' -> 0 ->> 'id' AS book_request, r.state,
	r.answer -> 'requests' -> 0 ->> 'method' AS method, r.answer -> 'requests' -> 0 ->> 'path' AS path,
	(r.answer -> 'requests' -> 0 ->> 'body')::jsonb - 'start' - 'metadata' AS body
FROM pg_temp.tool_receipt('bay-1', 'confirm_booking', jsonb_build_object('hold_id', pg_temp.id_in(:'bay_held', 'hold_id')),
	'+14155550166', 'pn_bay') r \gset
SELECT :'state' AS state, :'method' AS method, :'path' AS path, :'body' AS body;
SELECT state, pg_temp.masked(answer -> 'results' -> 0 ->> 'result') AS result
FROM continue_webhook(:book_event, jsonb_build_array(jsonb_build_object('id', :'book_request', 'status', 201,
	'body', '{"status": "success", "data": {"uid": "calUidBay1", "status": "accepted"}}')));
SELECT status, cal_booking_uid FROM appointments WHERE hold_id = pg_temp.id_in(:'bay_held', 'hold_id')::uuid;
-- Moving it: Cal.com does not answer, so nothing changes and the new hold goes.
SELECT pg_temp.tool('bay-1', 'claim_slot_atomic', '{"slot_time": "the last one"}', '+14155550166', 'pn_bay') AS bay_held2 \gset
SELECT r.state, r.inbox_id AS event, r.answer -> 'requests' -> 0 ->> 'id' AS request FROM pg_temp.tool_receipt('bay-1', 'reschedule_appointment',
	jsonb_build_object('appointment_id', pg_temp.id_in(:'bay_held', 'hold_id'), 'hold_id', pg_temp.id_in(:'bay_held2', 'hold_id')),
	'+14155550166', 'pn_bay') r \gset
SELECT :'state' AS state;
SELECT pg_temp.masked(answer -> 'results' -> 0 ->> 'error') AS error
FROM continue_webhook(:event, jsonb_build_array(jsonb_build_object('id', :'request', 'status', 0,
	'error', 'timed out')));
SELECT to_char(scheduled_at AT TIME ZONE 'America/Los_Angeles', 'HH24:MI') AS at, status, cancel_reason
FROM appointments WHERE org_id = 'dddddddd-0000-4000-8000-000000000000' ORDER BY created_at;
-- Again, and Cal.com books it: the new one booked, the old one cancelled here and queued for Cal.com.
SELECT pg_temp.tool('bay-1', 'claim_slot_atomic', '{"slot_time": "the last one"}', '+14155550166', 'pn_bay') AS bay_held3 \gset
SELECT r.state, r.inbox_id AS event, r.answer -> 'requests' -> 0 ->> 'id' AS request FROM pg_temp.tool_receipt('bay-1', 'reschedule_appointment',
	jsonb_build_object('appointment_id', pg_temp.id_in(:'bay_held', 'hold_id'), 'hold_id', pg_temp.id_in(:'bay_held3', 'hold_id')),
	'+14155550166', 'pn_bay') r \gset
SELECT :'state' AS state;
SELECT pg_temp.masked(answer -> 'results' -> 0 ->> 'result') AS result
FROM continue_webhook(:event, jsonb_build_array(jsonb_build_object('id', :'request', 'status', 201,
	'body', '{"status": "success", "data": {"uid": "calUidBay2", "status": "accepted"}}')));
SELECT to_char(scheduled_at AT TIME ZONE 'America/Los_Angeles', 'HH24:MI') AS at, status, cal_booking_uid, cancel_reason
FROM appointments WHERE org_id = 'dddddddd-0000-4000-8000-000000000000' ORDER BY created_at;
SELECT kind, payload ->> 'booking_uid' AS booking_uid, payload ->> 'reason' AS reason FROM outbox WHERE kind = 'cal.cancel_booking';
-- A time Cal.com says is taken is released; a booking Cal.com cannot answer goes on in the outbox.
SELECT pg_temp.tool('bay-1', 'claim_slot_atomic', '{"slot_time": "the second one"}', '+14155550166', 'pn_bay') AS bay_held4 \gset
SELECT r.state, r.inbox_id AS event, r.answer -> 'requests' -> 0 ->> 'id' AS request FROM pg_temp.tool_receipt('bay-1', 'confirm_booking',
	jsonb_build_object('hold_id', pg_temp.id_in(:'bay_held4', 'hold_id')), '+14155550166', 'pn_bay') r \gset
SELECT :'state' AS state;
SELECT pg_temp.masked(answer -> 'results' -> 0 ->> 'error') AS error
FROM continue_webhook(:event, jsonb_build_array(jsonb_build_object('id', :'request', 'status', 400,
	'body', '{"status": "error", "error": {"code": "BadRequestException", "message": "User either already has booking at this time or is not available"}}')));
SELECT status, cancel_reason FROM appointments WHERE hold_id = pg_temp.id_in(:'bay_held4', 'hold_id')::uuid;
SELECT pg_temp.tool('bay-1', 'claim_slot_atomic', '{"slot_time": "the second one"}', '+14155550166', 'pn_bay') AS bay_held5 \gset
SELECT r.state, r.inbox_id AS event, r.answer -> 'requests' -> 0 ->> 'id' AS request FROM pg_temp.tool_receipt('bay-1', 'confirm_booking',
	jsonb_build_object('hold_id', pg_temp.id_in(:'bay_held5', 'hold_id')), '+14155550166', 'pn_bay') r \gset
SELECT :'state' AS state;
SELECT pg_temp.masked(answer -> 'results' -> 0 ->> 'result') AS result
FROM continue_webhook(:event, jsonb_build_array(jsonb_build_object('id', :'request', 'status', 503)));
SELECT status, (SELECT count(*) FROM outbox WHERE kind = 'cal.create_booking' AND idempotency_key = 'booking:' || hold_id) AS booking_jobs
FROM appointments WHERE hold_id = pg_temp.id_in(:'bay_held5', 'hold_id')::uuid;

-- ---------------------------------------------------------------- the end of a clinic's call

-- A new caller who asks about a nose job, says who she is and hangs up
-- before holding anything: a contact with her name, the call hers, the
-- medical history hers, one follow-up and one SMS at an allowed hour.
SELECT pg_temp.assistant_request('new-2', '+12125550199') ->> 'assistantId' AS assistant;
SELECT pg_temp.tool('new-2', 'save_caller_details', '{"first_name": "Mia", "last_name": "Lopez"}', '+12125550199');
SELECT followup_id IS NOT NULL AS followed_up
FROM record_call_ended('new-2', 'customer-ended-call', now() - interval '3 minutes', now(), NULL, NULL,
	E'AI: Bright Smile, this is Voxanne.\nUser: I am Mia Lopez. How much is a nose job? I have asthma.\nAI: It starts at 6,000.',
	NULL, NULL, NULL);
SELECT l.name, l.redacted_medical_history LIKE '%asthma%' AS history_moved, c.lead_id = l.id AS call_linked,
	c.transcript NOT LIKE '%asthma%' AS transcript_clean, f.procedures, f.state,
	(o.run_at AT TIME ZONE 'America/New_York')::time BETWEEN '08:00' AND '20:00' AS allowed_hour, o.payload ->> 'text' AS sms
FROM leads l JOIN vapi_call_logs c ON c.vapi_call_id = 'new-2'
JOIN dropoff_followups f ON f.lead_id = l.id JOIN outbox o ON o.org_id = f.org_id AND o.id = f.outbox_id
WHERE l.primary_phone_e164 = '+12125550199';
-- A new caller who never used a tool: a drop-off makes her a contact
-- (number only), a call without a procedure makes nobody one.
SELECT pg_temp.assistant_request('new-3', '+12125550111') ->> 'assistantId' AS assistant;
SELECT followup_id IS NOT NULL AS followed_up
FROM record_call_ended('new-3', 'silence-timed-out', now() - interval '2 minutes', now(), NULL, NULL,
	E'User: Do you do botox? I take blood thinners.', NULL, NULL, NULL);
SELECT l.first_name, l.primary_phone_e164, c.lead_id = l.id AS call_linked, l.redacted_medical_history IS NOT NULL AS history_moved
FROM leads l JOIN vapi_call_logs c ON c.vapi_call_id = 'new-3' WHERE l.primary_phone_e164 = '+12125550111';
SELECT pg_temp.assistant_request('new-4', '+12125550122') ->> 'assistantId' AS assistant;
SELECT followup_id IS NOT NULL AS followed_up, lead_status
FROM record_call_ended('new-4', 'customer-ended-call', now() - interval '1 minute', now(), NULL, NULL,
	E'User: What time do you close today?', NULL, NULL, NULL);
SELECT count(*) AS contacts, (SELECT lead_id FROM vapi_call_logs WHERE vapi_call_id = 'new-4') AS call_lead
FROM leads WHERE primary_phone_e164 = '+12125550122';
-- A hold left unconfirmed is no booking: a follow-up, and the hold released.
-- (Rosa's booking above was made on an earlier call: not during this one.)
UPDATE appointments SET created_at = now() - interval '1 day' WHERE contact_id = 'c2000000-0000-4000-8000-000000000001';
INSERT INTO clinic_hours (org_id, weekday, opens, closes)
SELECT 'cccccccc-0000-4000-8000-000000000000', d, '09:00', '17:00' FROM generate_series(1, 7) d;
SELECT pg_temp.assistant_request('rosa-2', '+12125550177') ->> 'assistantId' AS assistant;
SELECT pg_temp.tool('rosa-2', 'check_availability', jsonb_build_object('date', :'d'), '+12125550177') IS NOT NULL AS checked;
SELECT pg_temp.masked(pg_temp.tool('rosa-2', 'claim_slot_atomic', '{"slot_time": "the first one"}', '+12125550177'));
SELECT followup_id IS NOT NULL AS followed_up
FROM record_call_ended('rosa-2', 'customer-ended-call', now() - interval '2 minutes', now(), NULL, NULL,
	E'User: Can I get fillers? And do you have a', NULL, NULL, NULL);
SELECT status, cancel_reason FROM appointments
WHERE contact_id = 'c2000000-0000-4000-8000-000000000001' ORDER BY created_at DESC LIMIT 1;
-- An expired hold is no booking either (released as expired); a hold whose
-- booking is under way in the outbox is one (kept).
SELECT pg_temp.assistant_request('rosa-3', '+12125550177') ->> 'assistantId' AS assistant;
INSERT INTO appointments (org_id, contact_id, status, scheduled_at, hold_expires_at) VALUES
	('cccccccc-0000-4000-8000-000000000000', 'c2000000-0000-4000-8000-000000000001', 'held', '2031-01-10 15:00+00', now() - interval '1 minute');
SELECT followup_id IS NOT NULL AS followed_up
FROM record_call_ended('rosa-3', 'customer-ended-call', now() - interval '2 minutes', now(), NULL, NULL,
	E'User: And veneers, how much are those?', NULL, NULL, NULL);
SELECT status, cancel_reason FROM appointments WHERE scheduled_at = '2031-01-10 15:00+00';
SELECT pg_temp.assistant_request('rosa-4', '+12125550177') ->> 'assistantId' AS assistant;
WITH a AS (INSERT INTO appointments (org_id, contact_id, status, scheduled_at, hold_expires_at) VALUES
	('cccccccc-0000-4000-8000-000000000000', 'c2000000-0000-4000-8000-000000000001', 'held', '2031-01-11 15:00+00', now() + interval '10 minutes')
	RETURNING org_id, hold_id)
INSERT INTO outbox (org_id, kind, payload, idempotency_key)
SELECT org_id, 'cal.create_booking', jsonb_build_object('request', '{}'::jsonb, 'hold_id', hold_id), 'booking:' || hold_id FROM a;
SELECT followup_id IS NOT NULL AS followed_up
FROM record_call_ended('rosa-4', 'customer-ended-call', now() - interval '2 minutes', now(), NULL, NULL,
	E'User: I want a tummy tuck.', NULL, NULL, NULL);
SELECT status FROM appointments WHERE scheduled_at = '2031-01-11 15:00+00';
-- ... and, being booked, it books Rosa's open follow-ups and calls their SMS off.
SELECT f.vapi_call_id, f.procedures, f.state, o.state AS sms_state
FROM dropoff_followups f LEFT JOIN outbox o ON o.org_id = f.org_id AND o.id = f.outbox_id
WHERE f.lead_id = 'c2000000-0000-4000-8000-000000000001' ORDER BY f.created_at, f.vapi_call_id;
-- Mia calls back and books: her follow-up is booked, its SMS (not sent yet) called off, no second one.
SELECT pg_temp.assistant_request('new-5', '+12125550199') -> 'assistantOverrides' -> 'variableValues' ->> 'contact_name' AS contact_name;
SELECT pg_temp.tool('new-5', 'check_availability', jsonb_build_object('date', :'d'), '+12125550199') IS NOT NULL AS checked;
SELECT pg_temp.tool('new-5', 'claim_slot_atomic', '{"slot_time": "the third one"}', '+12125550199') AS mia_held \gset
SELECT pg_temp.masked(pg_temp.tool('new-5', 'confirm_booking', jsonb_build_object('hold_id', pg_temp.id_in(:'mia_held', 'hold_id')), '+12125550199'));
SELECT followup_id IS NOT NULL AS followed_up
FROM record_call_ended('new-5', 'customer-ended-call', now() - interval '4 minutes', now(), NULL, NULL,
	E'User: It is Mia again, about the rhinoplasty. Can I come in?\nAI: Booked.', NULL, NULL, NULL);
SELECT f.vapi_call_id, f.state, o.state AS sms_state, o.last_error
FROM dropoff_followups f JOIN leads l ON l.org_id = f.org_id AND l.id = f.lead_id
LEFT JOIN outbox o ON o.org_id = f.org_id AND o.id = f.outbox_id
WHERE l.primary_phone_e164 = '+12125550199';

-- ---------------------------------------------------------------- row level security

INSERT INTO org_members (org_id, user_id, role) VALUES
	('cccccccc-0000-4000-8000-000000000000', 'c0000000-0000-4000-8000-00000000000c', 'admin'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-00000000000a', 'member');
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
-- Another organisation's hours are invisible and cannot be written.
SELECT count(*) AS hours_seen FROM clinic_hours;
\set VERBOSITY terse
INSERT INTO clinic_hours (org_id, weekday, opens, closes) VALUES ('cccccccc-0000-4000-8000-000000000000', 1, '06:00', '07:00');
\set VERBOSITY default
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "c0000000-0000-4000-8000-00000000000c", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
SELECT count(*) AS hours_seen FROM clinic_hours;
UPDATE orgs SET known_patient_answer = 'forward', booking_notice_minutes = 0 RETURNING known_patient_answer;
SELECT array_length(clinic_free_starts('cccccccc-0000-4000-8000-000000000000', :'d'), 1) > 0 AS own_free_times;
ROLLBACK;

DROP FUNCTION pg_temp.tool_receipt(text, text, jsonb, text, text);
DROP EXTENSION vapi_pool CASCADE;
