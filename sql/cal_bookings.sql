-- Bookings made anywhere (release 0.8.0, issue 25): a Cal.com booking the
-- product did not make assigns a number and starts the seed's "booking ->
-- number -> call -> log -> release" flow.  Each case goes through
-- receive_webhook('cal', ...), as the shim sends it; the journey through
-- the running shim is t/109_journey_cal_booking.pl.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
\set VERBOSITY default

-- ---------------------------------------------------------------- fixtures

INSERT INTO orgs (org_id, name) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans'),
	('cccccccc-0000-4000-8000-000000000000', 'Other Tenant'),
	('dddddddd-0000-4000-8000-000000000000', 'Bay Clinic');
UPDATE orgs SET is_clinic = true, cal_event_type_id = 777 WHERE org_id = 'dddddddd-0000-4000-8000-000000000000';
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active, cal_event_type_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/Chicago', '+13125550101', true, 4242),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002', 'Sam Ortiz', 'America/Chicago', '+13125550102', false, 4343),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000003', 'Kim Park', 'America/Chicago', '+13125550103', true, 4444),
	('cccccccc-0000-4000-8000-000000000000', 'c1000000-0000-4000-8000-000000000001', 'Other Broker', 'America/Chicago', '+13125550109', true, 4545);
SELECT count(*) AS numbers FROM (
	SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+13125550199', 'pn_dana_1')
	UNION ALL SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+13125550198', 'pn_dana_2')
	UNION ALL SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+13125550195', 'pn_dana_3')
	UNION ALL SELECT add_pool_number('a1000000-0000-4000-8000-000000000003', '+13125550197', 'pn_kim_1')
	UNION ALL SELECT add_pool_number('c1000000-0000-4000-8000-000000000001', '+13125550190', 'pn_other')) n;
-- a lead of the other tenant with the e-mail our attendee will use: never matched
INSERT INTO leads (org_id, id, first_name, email, primary_phone_e164) VALUES
	('cccccccc-0000-4000-8000-000000000000', 'c2000000-0000-4000-8000-000000000001', 'Jo', 'jo.rivera@example.com', '+14155550177');

-- A BOOKING_CREATED as Cal.com sends it (the reference's webhook shape),
-- three days ahead at 15:00 UTC for 45 minutes; the attendee's phone only
-- in the booking form's answers.
\set day '(date_trunc(''day'', now()) + interval ''3 days'')'
SELECT jsonb_build_object('triggerEvent', 'BOOKING_CREATED', 'createdAt', '2030-01-01T10:00:00.000Z',
	'payload', jsonb_build_object('uid', 'bk-jo-1', 'bookingId', 501, 'eventTypeId', 4242, 'status', 'ACCEPTED',
		'startTime', to_char(:day + interval '15 hours', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
		'endTime', to_char(:day + interval '15 hours 45 minutes', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
		'organizer', jsonb_build_object('name', 'Dana Lee', 'email', 'dana@example.com', 'timeZone', 'America/Chicago'),
		'attendees', jsonb_build_array(jsonb_build_object('name', 'Jo  Rivera', 'email', 'Jo.Rivera@Example.com',
			'timeZone', 'America/Denver', 'language', jsonb_build_object('locale', 'en'))),
		'responses', jsonb_build_object('attendeePhoneNumber', jsonb_build_object('value', '(415) 555-0177')),
		'metadata', '{}'::jsonb)) AS booking \gset

-- ---------------------------------------------------------------- a lead who booked on Cal.com

SELECT http_status, state, answer - 'lead_id' - 'appointment_id' - 'assignment_id' AS answer
FROM receive_webhook('cal', :'booking');
-- the lead, made from the attendee, in our organisation (the other tenant's Jo is not touched)
SELECT org_id, first_name, last_name, email, primary_phone_e164, timezone, status,
	broker_id = 'a1000000-0000-4000-8000-000000000001' AS dana_s
FROM leads WHERE email = 'Jo.Rivera@Example.com';
SELECT count(*) AS other_tenant_untouched FROM leads
WHERE org_id = 'cccccccc-0000-4000-8000-000000000000' AND broker_id IS NULL AND status = 'new';
-- the booking is the lead's consent to be called
SELECT kind, source_id, replace(evidence, to_char(:day + interval '15 hours', 'YYYY-MM-DD HH24:MI'), '<start>') AS evidence
FROM lead_consents c JOIN leads l ON l.org_id = c.org_id AND l.id = c.lead_id
WHERE l.email = 'Jo.Rivera@Example.com';
-- the appointment: booked, exact interval, Cal.com's uid, booked on Cal.com
SELECT status, booked_via, awaiting_host, scheduled_at = :day + interval '15 hours' AS starts_right,
	duration, cal_booking_uid FROM appointments WHERE cal_booking_uid = 'bk-jo-1';
-- a number of Dana's pool, held until a day after the appointment, not 24 h after a call
SELECT a.status, p.number, a.release_at = :day + interval '15 hours 45 minutes' + interval '24 hours' AS held_till_day_after,
	l.vapi_assignment_id = a.id AS linked
FROM vapi_number_assignments a JOIN vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id
JOIN leads l ON l.org_id = a.org_id AND l.id = a.lead_id WHERE l.email = 'Jo.Rivera@Example.com';
-- the lead calling that number reaches Dana (primary first)
SELECT action, destinations, direction FROM route_inbound('+13125550195', '+14155550177');

-- a redelivery: the first answer, nothing recorded twice
SELECT http_status, duplicate FROM receive_webhook('cal', :'booking');
-- the same event sent again with a new createdAt (Cal.com built it again): recorded already
SELECT http_status, duplicate, answer ->> 'action' AS action
FROM receive_webhook('cal', jsonb_set(:'booking', '{createdAt}', '"2030-01-01T10:05:00.000Z"'));
SELECT (SELECT count(*) FROM appointments WHERE cal_booking_uid = 'bk-jo-1') AS appointments,
	(SELECT count(*) FROM leads WHERE lower(email) = 'jo.rivera@example.com' AND org_id = 'aaaaaaaa-0000-4000-8000-000000000000') AS leads,
	(SELECT count(*) FROM vapi_number_assignments WHERE status <> 'released' AND broker_id = 'a1000000-0000-4000-8000-000000000001') AS numbers_lent;

-- ---------------------------------------------------------------- a lead on file

-- found by e-mail, whatever its case; what it lacked is filled in, what it had is kept
INSERT INTO leads (org_id, id, first_name, email, zip) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'Rob', 'rob@example.com', '60601');
SELECT answer ->> 'action' AS action, answer ->> 'lead_created' AS lead_created,
	answer ->> 'lead_id' = 'a2000000-0000-4000-8000-000000000002' AS same_lead
FROM receive_webhook('cal', jsonb_set(jsonb_set(jsonb_set(jsonb_set(:'booking', '{payload,uid}', '"bk-rob-1"'),
	'{payload,attendees,0}', '{"name": "Robert Smith", "email": "ROB@example.com", "timeZone": "America/Chicago", "phoneNumber": "+13125550144"}'),
	'{payload,startTime}', to_jsonb(to_char(:day + interval '17 hours', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))),
	'{payload,endTime}', to_jsonb(to_char(:day + interval '17 hours 30 minutes', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))));
SELECT first_name, last_name, primary_phone_e164, timezone, zip, status,
	broker_id = 'a1000000-0000-4000-8000-000000000001' AS dana_s
FROM leads WHERE id = 'a2000000-0000-4000-8000-000000000002';

-- found by phone; a lead who holds a number of this broker after a call keeps it, held past the appointment
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000003', 'a1000000-0000-4000-8000-000000000003', 'Lee', '+13125550155');
SELECT status FROM assign_number('a2000000-0000-4000-8000-000000000003');
UPDATE vapi_number_assignments SET status = 'call_completed', last_call_at = now(), release_at = now() + interval '24 hours'
WHERE lead_id = 'a2000000-0000-4000-8000-000000000003';
SELECT answer ->> 'action' AS action, answer ->> 'pool_number' AS number
FROM receive_webhook('cal', jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(:'booking', '{payload,uid}', '"bk-lee-1"'),
	'{payload,eventTypeId}', '4444'),
	'{payload,attendees,0}', '{"name": "Lee", "email": "lee@example.net", "phoneNumber": "312 555 0155"}'),
	'{payload,startTime}', to_jsonb(to_char(:day + interval '15 hours', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))),
	'{payload,endTime}', to_jsonb(to_char(:day + interval '16 hours', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))));
SELECT status, release_at = :day + interval '16 hours' + interval '24 hours' AS held_past_appointment
FROM vapi_number_assignments WHERE lead_id = 'a2000000-0000-4000-8000-000000000003';

-- a broker whose pool is not active: the appointment is recorded, no number is lent, and the answer says so
SELECT answer ->> 'action' AS action, answer ->> 'assignment_id' AS assignment, answer ->> 'note' AS note
FROM receive_webhook('cal', jsonb_set(jsonb_set(jsonb_set(:'booking', '{payload,uid}', '"bk-sam-1"'),
	'{payload,eventTypeId}', '4343'),
	'{payload,attendees,0}', '{"name": "Ann Wu", "email": "ann@example.com"}'));

-- ---------------------------------------------------------------- conflicts, failures, replays

-- (a failed event's warning names ids and times of the day the test runs: the errors are read masked instead)
SET client_min_messages = error;

-- the booking overlaps a live hold Barbara has on Dana's calendar: a dead letter with the reason, nothing stored
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000004', 'a1000000-0000-4000-8000-000000000001', 'Max', '+13125550166');
SELECT claim_slot_atomic(:day + interval '19 hours', 'a2000000-0000-4000-8000-000000000004',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001') AS max_hold \gset
SELECT jsonb_set(jsonb_set(jsonb_set(jsonb_set(:'booking', '{payload,uid}', '"bk-eve-1"'),
	'{payload,attendees,0}', '{"name": "Eve Adams", "email": "eve@example.com", "phoneNumber": "+13125550188"}'),
	'{payload,startTime}', to_jsonb(to_char(:day + interval '19 hours 15 minutes', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))),
	'{payload,endTime}', to_jsonb(to_char(:day + interval '20 hours', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))) AS eve \gset
SELECT http_status, state, answer ->> 'sqlstate' AS sqlstate FROM receive_webhook('cal', :'eve');
SELECT regexp_replace(regexp_replace(error, 'hold [0-9a-f-]{36}', 'hold <id>'), '\d{4}-\d\d-\d\d ', '<day> ', 'g') AS error,
	error_sqlstate
FROM webhook_inbox WHERE dedupe_key LIKE 'BOOKING_CREATED:bk-eve-1:%';
SELECT count(*) AS eve_leads FROM leads WHERE email = 'eve@example.com';
-- the hold is released: the replay records the booking
SELECT status FROM release_slot(:'max_hold', 'caller_gave_up');
SELECT state, answer ->> 'action' AS action FROM replay_event(
	(SELECT id FROM webhook_inbox WHERE dedupe_key LIKE 'BOOKING_CREATED:bk-eve-1:%'));

-- Dana's pool is now empty (Jo, Rob and Eve hold her three numbers): the event fails (55000: replay it), nothing stored
SELECT count(*) FILTER (WHERE status = 'available') AS dana_free FROM vapi_number_pool
WHERE broker_id = 'a1000000-0000-4000-8000-000000000001';
SELECT jsonb_set(jsonb_set(:'booking', '{payload,uid}', '"bk-zed-1"'),
	'{payload,attendees,0}', '{"name": "Zed", "email": "zed@example.com", "phoneNumber": "+13125550177"}') AS zed \gset
SELECT http_status, state, answer ->> 'sqlstate' AS sqlstate, answer ->> 'error' AS error FROM receive_webhook('cal',
	jsonb_set(jsonb_set(:'zed', '{payload,startTime}', to_jsonb(to_char(:day + interval '21 hours', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))),
		'{payload,endTime}', to_jsonb(to_char(:day + interval '22 hours', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))));
SELECT count(*) AS zed_appointments FROM appointments WHERE cal_booking_uid = 'bk-zed-1';
-- a number is added: the replay lends it
SELECT number FROM add_pool_number('a1000000-0000-4000-8000-000000000001', '+13125550196', 'pn_dana_4');
SELECT state, answer ->> 'pool_number' AS number FROM replay_event(
	(SELECT id FROM webhook_inbox WHERE dedupe_key LIKE 'BOOKING_CREATED:bk-zed-1:%'));

-- bad input is refused with its reason and stores nothing
SELECT http_status, state, answer ->> 'sqlstate' AS sqlstate,
	regexp_replace(answer ->> 'error', '\d{4}-\d\d-\d\d ', '<day> ', 'g') AS error
FROM receive_webhook('cal', jsonb_set(jsonb_set(:'booking', '{payload,uid}', '"bk-bad-1"'),
	'{payload,endTime}', to_jsonb(to_char(:day, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))));
SELECT http_status, state, answer ->> 'sqlstate' AS sqlstate
FROM receive_webhook('cal', jsonb_set(jsonb_set(:'booking', '{payload,uid}', '"bk-bad-2"'),
	'{payload,startTime}', '"next tuesday"'));
SELECT count(*) AS bad_appointments FROM appointments WHERE cal_booking_uid LIKE 'bk-bad-%';
RESET client_min_messages;

-- ---------------------------------------------------------------- what is not a broker's booking

-- an event type nobody registered: stored, answered
SELECT http_status, answer ->> 'action' AS action
FROM receive_webhook('cal', jsonb_set(jsonb_set(:'booking', '{payload,uid}', '"bk-x-1"'), '{payload,eventTypeId}', '999'));
-- the other tenant's event type: its own lead, never ours
SELECT answer ->> 'action' AS action, answer ->> 'lead_id' = 'c2000000-0000-4000-8000-000000000001' AS their_jo
FROM receive_webhook('cal', jsonb_set(jsonb_set(jsonb_set(:'booking', '{payload,uid}', '"bk-other-1"'),
	'{payload,eventTypeId}', '4545'),
	'{payload,attendees,0}', '{"name": "Jo Rivera", "email": "jo.rivera@example.com"}'));
SELECT l.org_id, l.first_name, b.name AS broker, p.number
FROM leads l JOIN brokers b ON b.org_id = l.org_id AND b.id = l.broker_id
JOIN vapi_number_assignments a ON a.org_id = l.org_id AND a.id = l.vapi_assignment_id
JOIN vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id
WHERE lower(l.email) = 'jo.rivera@example.com' ORDER BY l.org_id;
-- a clinic's event type: the clinic's own calendar, no pool number
SELECT answer ->> 'action' AS action, answer ->> 'assignment_id' AS assignment
FROM receive_webhook('cal', jsonb_set(jsonb_set(jsonb_set(:'booking', '{payload,uid}', '"bk-clinic-1"'),
	'{payload,eventTypeId}', '777'),
	'{payload,attendees,0}', '{"name": "Mia", "email": "mia@example.com", "phoneNumber": "+16505550142"}'));
SELECT a.org_id, a.broker_id, a.status, l.first_name, l.vapi_assignment_id
FROM appointments a JOIN leads l ON l.org_id = a.org_id AND l.id = a.contact_id WHERE a.cal_booking_uid = 'bk-clinic-1';
-- a booking Barbara made (metadata.hold_id of our hold): left to the dispatcher's confirm_slot
SELECT claim_slot_atomic(:day + interval '23 hours', 'a2000000-0000-4000-8000-000000000004',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001') AS max_hold2 \gset
SELECT answer ->> 'action' AS action,
	(SELECT count(*) FROM appointments WHERE contact_id = 'a2000000-0000-4000-8000-000000000004' AND status <> 'cancelled') AS max_appointments
FROM receive_webhook('cal', jsonb_set(jsonb_set(jsonb_set(jsonb_set(:'booking', '{payload,uid}', '"bk-max-own"'),
	'{payload,metadata}', jsonb_build_object('lead_id', 'a2000000-0000-4000-8000-000000000004', 'hold_id', :'max_hold2')),
	'{payload,startTime}', to_jsonb(to_char(:day + interval '23 hours', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))),
	'{payload,endTime}', to_jsonb(to_char(:day + interval '23 hours 30 minutes', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))));
-- a booking without an event type: stored only
SELECT answer ->> 'action' AS action FROM receive_webhook('cal', '{"triggerEvent": "BOOKING_CREATED", "payload": {"uid": "bk-none"}}');

-- ---------------------------------------------------------------- the confirmation call

-- on for the organisation: a day ahead, in the lead's calling hours (09:00-18:00 in the lead's zone);
-- the times are written in Chicago's local time, so that the case does not depend on the season
UPDATE orgs SET confirmation_call_before = '1 day', calling_hours_start = '09:00', calling_hours_end = '18:00'
WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
SELECT count(*) AS numbers FROM (
	SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+13125550194', 'pn_dana_5')
	UNION ALL SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+13125550193', 'pn_dana_6')
	UNION ALL SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', '+13125550192', 'pn_dana_7')) n;
SELECT ((date_trunc('day', now()) + interval '5 days')::date + time '10:00') AT TIME ZONE 'America/Chicago' AS kay_start,
	((date_trunc('day', now()) + interval '4 days')::date + time '10:00') AT TIME ZONE 'America/Chicago' AS kay_call,
	((date_trunc('day', now()) + interval '5 days')::date + time '08:00') AT TIME ZONE 'America/Chicago' AS ray_start,
	((date_trunc('day', now()) + interval '4 days')::date + time '09:00') AT TIME ZONE 'America/Chicago' AS ray_call,
	((date_trunc('day', now()) + interval '7 days')::date + time '11:00') AT TIME ZONE 'America/Chicago' AS kay2_start,
	((date_trunc('day', now()) + interval '6 days')::date + time '11:00') AT TIME ZONE 'America/Chicago' AS kay2_call \gset
-- a requested booking (the host must accept it): recorded, awaiting the host, no confirmation call yet
SELECT jsonb_build_object('triggerEvent', 'BOOKING_REQUESTED', 'createdAt', '2030-01-01T10:30:00.000Z',
	'payload', jsonb_build_object('uid', 'bk-kay-1', 'eventTypeId', 4242, 'status', 'PENDING',
		'startTime', :'kay_start'::timestamptz, 'endTime', :'kay_start'::timestamptz + interval '30 minutes',
		'attendees', jsonb_build_array(jsonb_build_object('name', 'Kay Doe', 'email', 'kay@example.com',
			'phoneNumber', '+13125550133', 'timeZone', 'America/Chicago')))) AS kay \gset
SELECT answer ->> 'action' AS action, answer ->> 'confirmation_call_at' AS confirmation FROM receive_webhook('cal', :'kay');
SELECT awaiting_host FROM appointments WHERE cal_booking_uid = 'bk-kay-1';
-- the host accepts: Cal.com sends BOOKING_CREATED for the uid; the call is queued a day before, at 10:00 in Chicago
SELECT answer ->> 'action' AS action, (answer ->> 'confirmation_call_at')::timestamptz = :'kay_call' AS a_day_before
FROM receive_webhook('cal', jsonb_set(jsonb_set(jsonb_set(:'kay', '{triggerEvent}', '"BOOKING_CREATED"'),
	'{payload,status}', '"ACCEPTED"'), '{createdAt}', '"2030-01-01T11:00:00.000Z"'));
SELECT awaiting_host FROM appointments WHERE cal_booking_uid = 'bk-kay-1';
-- the job: the pool's create-call shape with the appointment; Barbara gets both ids in variableValues
SELECT o.kind, o.state, o.payload ->> 'purpose' AS purpose, o.payload ->> 'customer_number' AS customer,
	o.payload ->> 'from_number' IS NOT NULL AS from_pool_number, o.payload ->> 'send_sms' AS send_sms,
	(outbox_request(o)).body::jsonb #> '{assistantOverrides,variableValues}' = jsonb_build_object(
		'lead_id', ap.contact_id, 'appointment_id', ap.id) AS variable_values
FROM outbox o JOIN appointments ap ON ap.cal_booking_uid = 'bk-kay-1'
WHERE (o.payload ->> 'appointment_id') = ap.id::text;
-- an appointment at 08:00: the call moves to the start of the calling hours the day before (09:00)
SELECT (answer ->> 'confirmation_call_at')::timestamptz = :'ray_call' AS at_nine_the_day_before
FROM receive_webhook('cal', jsonb_build_object('triggerEvent', 'BOOKING_CREATED', 'payload', jsonb_build_object(
	'uid', 'bk-ray-1', 'eventTypeId', 4242, 'startTime', :'ray_start'::timestamptz,
	'endTime', :'ray_start'::timestamptz + interval '30 minutes',
	'attendees', jsonb_build_array(jsonb_build_object('name', 'Ray Cole', 'email', 'ray@example.com',
		'phoneNumber', '+13125550134', 'timeZone', 'America/Chicago')))));
-- an appointment in half an hour: no time an hour ahead is left, no call is queued
SELECT answer ->> 'action' AS action, answer ->> 'confirmation_call_at' AS confirmation
FROM receive_webhook('cal', jsonb_build_object('triggerEvent', 'BOOKING_CREATED', 'payload', jsonb_build_object(
	'uid', 'bk-sue-1', 'eventTypeId', 4242, 'startTime', now() + interval '30 minutes',
	'endTime', now() + interval '60 minutes',
	'attendees', jsonb_build_array(jsonb_build_object('name', 'Sue', 'email', 'sue@example.com',
		'phoneNumber', '+13125550135')))));

-- moved in Cal.com: the old call is withdrawn, one is queued for the new time, the number's hold follows
SELECT answer ->> 'action' AS action FROM receive_webhook('cal', jsonb_build_object('triggerEvent', 'BOOKING_RESCHEDULED',
	'createdAt', '2030-01-03T00:00:00Z', 'payload', jsonb_build_object('uid', 'bk-kay-2', 'rescheduleUid', 'bk-kay-1',
	'startTime', :'kay2_start'::timestamptz, 'endTime', :'kay2_start'::timestamptz + interval '30 minutes')));
SELECT o.state, o.last_error, o.run_at = :'kay2_call' AS at_new_time
FROM outbox o JOIN appointments ap ON ap.cal_booking_uid = 'bk-kay-2'
WHERE (o.payload ->> 'appointment_id') = ap.id::text ORDER BY o.id;
SELECT a.release_at = :'kay2_start'::timestamptz + interval '30 minutes' + interval '24 hours' AS hold_follows
FROM vapi_number_assignments a JOIN leads l ON l.org_id = a.org_id AND l.id = a.lead_id
WHERE l.email = 'kay@example.com' AND a.status <> 'released';
-- get_lead_details names the appointment, said in the broker's zone
SELECT set_config('request.jwt.claims', '{"role": "service_role", "org_id": "aaaaaaaa-0000-4000-8000-000000000000"}', false) IS NOT NULL AS claims;
SELECT n - 'id' - 'when' AS next_appointment, n ->> 'when' = spoken_time(:'kay2_start', 'America/Chicago') AS said_in_chicago
FROM (SELECT supabase_query('get_lead_details', '+13125550133') #> '{lead,next_appointment}' AS n) s;
-- cancelled in Cal.com: the call is withdrawn; the number, never used for a call, goes a day after the cancellation
SELECT answer ->> 'action' AS action FROM receive_webhook('cal',
	'{"triggerEvent": "BOOKING_CANCELLED", "createdAt": "2030-01-04T00:00:00Z", "payload": {"uid": "bk-kay-2"}}');
SELECT o.state, o.last_error FROM outbox o JOIN appointments ap ON ap.cal_booking_uid = 'bk-kay-2'
WHERE (o.payload ->> 'appointment_id') = ap.id::text ORDER BY o.id;
SELECT a.release_at BETWEEN now() + interval '24 hours' - interval '1 minute' AND now() + interval '24 hours' + interval '1 minute'
	AS released_by_the_rule
FROM vapi_number_assignments a JOIN leads l ON l.org_id = a.org_id AND l.id = a.lead_id
WHERE l.email = 'kay@example.com' AND a.status <> 'released';
SELECT count(*) AS cal_cancel_jobs FROM outbox WHERE kind = 'cal.cancel_booking';

-- an unsubscribe by e-mail does not take the number of a lead who has an appointment ahead
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, broker_id) VALUES ('aaaaaaaa-0000-4000-8000-000000000000',
	'1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d', 'a1000000-0000-4000-8000-000000000001');
SELECT decision FROM handle_instantly_event(jsonb_build_object('event_type', 'reply_received',
	'campaign_id', '1e24d68f-3645-42ac-a253-8b64ee61feee', 'workspace', '51c0231c-9645-46c3-992a-ec88b782136d',
	'email_id', 'optout-jo', 'lead_email', 'jo.rivera@example.com', 'email', 'jo.rivera@example.com',
	'reply_text', 'Please remove me from your mailing list.'));
SELECT a.status FROM vapi_number_assignments a JOIN leads l ON l.id = a.lead_id
WHERE l.email = 'Jo.Rivera@Example.com' AND l.org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
-- a hold never kept a number: cancelling one (expired here) leaves the lead's number as it was
SELECT a.release_at AS jo_release FROM vapi_number_assignments a JOIN leads l ON l.id = a.lead_id
WHERE l.email = 'Jo.Rivera@Example.com' AND l.org_id = 'aaaaaaaa-0000-4000-8000-000000000000' \gset
SELECT claim_slot_atomic(:day + interval '4 days 15 hours', (SELECT id FROM leads WHERE email = 'Jo.Rivera@Example.com'),
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001') AS jo_hold \gset
SELECT status FROM release_slot(:'jo_hold', 'caller_gave_up');
SELECT a.release_at = :'jo_release' AS unchanged FROM vapi_number_assignments a JOIN leads l ON l.id = a.lead_id
WHERE l.email = 'Jo.Rivera@Example.com' AND l.org_id = 'aaaaaaaa-0000-4000-8000-000000000000';

-- ---------------------------------------------------------------- the release rule

-- a number is not released while its lead's appointment with the broker has not passed a day ago:
-- Lee's hold after a call (made an hour from now here) is overdue in two days, the appointment holds it;
-- Jo's was lent for her booking, until a day after it; Kay's (her appointment cancelled, never called) goes
UPDATE vapi_number_assignments SET release_at = now() + interval '1 hour' WHERE lead_id = 'a2000000-0000-4000-8000-000000000003';
SELECT release_expired(now() + interval '2 days') AS released_before;
SELECT l.first_name, a.status FROM vapi_number_assignments a JOIN leads l ON l.org_id = a.org_id AND l.id = a.lead_id
WHERE l.first_name IN ('Lee', 'Jo', 'Kay') AND l.org_id = 'aaaaaaaa-0000-4000-8000-000000000000' ORDER BY 1;
-- a day after the appointments ended: released by the nightly job's function
SELECT release_expired(:day + interval '2 days 1 minute') > 0 AS released_after;
SELECT l.first_name, a.status, p.status AS number_status
FROM vapi_number_assignments a JOIN leads l ON l.org_id = a.org_id AND l.id = a.lead_id
JOIN vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id
WHERE l.first_name IN ('Lee', 'Jo') AND l.org_id = 'aaaaaaaa-0000-4000-8000-000000000000' ORDER BY 1;

-- ---------------------------------------------------------------- what a review found (0.8.0)

SET client_min_messages = error;
-- a broker whose active pool has no numbers at all: the event fails alone (55000), the session goes on
INSERT INTO vapi_number_pool (org_id, broker_id, number, status, retired_at)
SELECT org_id, id, '+13125550291', 'retired', now() FROM brokers WHERE id = 'a1000000-0000-4000-8000-000000000003';
UPDATE brokers SET number_pool_active = true, cal_event_type_id = 4646, id = id
WHERE id = 'a1000000-0000-4000-8000-000000000002';
SELECT http_status, state, answer ->> 'sqlstate' AS sqlstate, answer ->> 'error' AS error
FROM receive_webhook('cal', jsonb_build_object('triggerEvent', 'BOOKING_CREATED', 'payload', jsonb_build_object(
	'uid', 'bk-empty-1', 'eventTypeId', 4646, 'startTime', :day + interval '12 hours', 'endTime', :day + interval '13 hours',
	'attendees', jsonb_build_array(jsonb_build_object('name', 'Nia', 'email', 'nia@example.com', 'phoneNumber', '+13125550121')))));
SELECT transaction_timestamp() = statement_timestamp() AS a_transaction_of_its_own,
	(SELECT state FROM webhook_inbox WHERE dedupe_key LIKE 'BOOKING_CREATED:bk-empty-1:%') AS stored;
RESET client_min_messages;

-- an expired hold on the time does not block the booking: it is cancelled as expired
SELECT claim_slot_atomic(:day + interval '2 days 19 hours', 'a2000000-0000-4000-8000-000000000004',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001') AS stale_hold \gset
UPDATE appointments SET hold_expires_at = now() - interval '1 minute' WHERE hold_id = :'stale_hold';
SELECT answer ->> 'action' AS action FROM receive_webhook('cal', jsonb_build_object('triggerEvent', 'BOOKING_CREATED',
	'payload', jsonb_build_object('uid', 'bk-pia-1', 'eventTypeId', 4242,
	'startTime', :day + interval '2 days 19 hours', 'endTime', :day + interval '2 days 19 hours 30 minutes',
	'attendees', jsonb_build_array(jsonb_build_object('name', 'Pia', 'email', 'pia@example.com', 'phoneNumber', '+13125550122')))));
SELECT status, cancel_reason FROM appointments WHERE hold_id = :'stale_hold';

-- an attendee who gives no phone number: the appointment, no pool number
SELECT answer ->> 'action' AS action, answer ->> 'assignment_id' AS assignment, answer ->> 'note' AS note
FROM receive_webhook('cal', jsonb_build_object('triggerEvent', 'BOOKING_CREATED',
	'payload', jsonb_build_object('uid', 'bk-vic-1', 'eventTypeId', 4242,
	'startTime', :day + interval '2 days 20 hours', 'endTime', :day + interval '2 days 20 hours 30 minutes',
	'attendees', jsonb_build_array(jsonb_build_object('name', 'Vic', 'email', 'vic@example.com')))));

-- cancelled in Cal.com before we recorded it (out of order, or a replay after it): not recorded
SELECT answer ->> 'action' AS action FROM receive_webhook('cal',
	'{"triggerEvent": "BOOKING_CANCELLED", "payload": {"uid": "bk-late-1"}}');
SELECT answer ->> 'action' AS action, answer ->> 'note' AS note FROM receive_webhook('cal', jsonb_build_object(
	'triggerEvent', 'BOOKING_CREATED', 'payload', jsonb_build_object('uid', 'bk-late-1', 'eventTypeId', 4242,
	'startTime', :day + interval '2 days 21 hours', 'endTime', :day + interval '2 days 21 hours 30 minutes',
	'attendees', jsonb_build_array(jsonb_build_object('name', 'Lou', 'email', 'lou@example.com', 'phoneNumber', '+13125550123')))));
-- moved before we recorded it: the new booking is recorded from the move, the old one never
SELECT answer ->> 'action' AS action, answer ->> 'lead_created' AS lead_created FROM receive_webhook('cal', jsonb_build_object(
	'triggerEvent', 'BOOKING_RESCHEDULED', 'payload', jsonb_build_object('uid', 'bk-moe-2', 'rescheduleUid', 'bk-moe-1',
	'eventTypeId', 4242, 'startTime', :day + interval '2 days 22 hours', 'endTime', :day + interval '2 days 22 hours 30 minutes',
	'attendees', jsonb_build_array(jsonb_build_object('name', 'Moe', 'email', 'moe@example.com', 'phoneNumber', '+13125550124')))));
SELECT answer ->> 'action' AS action FROM receive_webhook('cal', jsonb_build_object(
	'triggerEvent', 'BOOKING_CREATED', 'payload', jsonb_build_object('uid', 'bk-moe-1', 'eventTypeId', 4242,
	'startTime', :day + interval '2 days 23 hours', 'endTime', :day + interval '2 days 23 hours 30 minutes',
	'attendees', jsonb_build_array(jsonb_build_object('name', 'Moe', 'email', 'moe@example.com', 'phoneNumber', '+13125550124')))));
SELECT cal_booking_uid, status FROM appointments WHERE cal_booking_uid IN ('bk-late-1', 'bk-moe-1', 'bk-moe-2') ORDER BY 1;
-- the cancellation's payload goes with the retention of personal data; its uid stays, and so does the rule
UPDATE webhook_inbox SET received_at = now() - interval '400 days'
WHERE dedupe_key = 'BOOKING_CANCELLED:bk-late-1' OR dedupe_key LIKE 'BOOKING_CREATED:bk-bad-1:%';
SELECT sum(purged) > 0 AS purged FROM purge_personal_data();
SELECT payload FROM webhook_inbox WHERE dedupe_key = 'BOOKING_CANCELLED:bk-late-1';
-- a dead letter whose payload the purge took is not replayed (its stub would act as a booking event)
SELECT state, payload FROM webhook_inbox WHERE dedupe_key LIKE 'BOOKING_CREATED:bk-bad-1:%';
SELECT replay_event((SELECT id FROM webhook_inbox WHERE dedupe_key LIKE 'BOOKING_CREATED:bk-bad-1:%'));
-- a payload that only carries a key named "purged" (an Instantly custom variable) is still purged
INSERT INTO webhook_inbox (org_id, source, event_type, dedupe_key, state, http_status, answer, payload, received_at)
VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'instantly', 'reply_received', 'reply_received:old-purged-var', 'processed',
	200, '{}', '{"purged": "no", "lead_email": "p@example.com", "reply_text": "call me"}', now() - interval '400 days');
SELECT sum(purged) > 0 AS purged FROM purge_personal_data();
SELECT payload FROM webhook_inbox WHERE dedupe_key = 'reply_received:old-purged-var';
SELECT answer ->> 'action' AS action FROM receive_webhook('cal', jsonb_build_object(
	'triggerEvent', 'BOOKING_CREATED', 'createdAt', '2030-02-01T00:00:00Z', 'payload', jsonb_build_object('uid', 'bk-late-1',
	'eventTypeId', 4242, 'startTime', :day + interval '2 days 21 hours', 'endTime', :day + interval '2 days 21 hours 30 minutes',
	'attendees', jsonb_build_array(jsonb_build_object('name', 'Lou', 'email', 'lou@example.com', 'phoneNumber', '+13125550123')))));

-- a requested booking the host rejects is cancelled
SELECT answer ->> 'action' AS action FROM receive_webhook('cal', jsonb_build_object('triggerEvent', 'BOOKING_REQUESTED',
	'payload', jsonb_build_object('uid', 'bk-rex-1', 'eventTypeId', 4242,
	'startTime', :day + interval '3 days 15 hours', 'endTime', :day + interval '3 days 15 hours 30 minutes',
	'attendees', jsonb_build_array(jsonb_build_object('name', 'Rex', 'email', 'rex@example.com', 'phoneNumber', '+13125550125')))));
SELECT answer ->> 'action' AS action FROM receive_webhook('cal', '{"triggerEvent": "BOOKING_REJECTED", "payload": {"uid": "bk-rex-1"}}');
SELECT status, cancel_reason FROM appointments WHERE cal_booking_uid = 'bk-rex-1';

-- moved away and back to its first time: a confirmation call is queued again
SELECT answer ->> 'action' AS action FROM receive_webhook('cal', jsonb_build_object('triggerEvent', 'BOOKING_RESCHEDULED',
	'createdAt', '2030-01-05T00:00:00Z', 'payload', jsonb_build_object('uid', 'bk-ray-1',
	'startTime', :'ray_start'::timestamptz + interval '1 day', 'endTime', :'ray_start'::timestamptz + interval '1 day 30 minutes')));
SELECT answer ->> 'action' AS action FROM receive_webhook('cal', jsonb_build_object('triggerEvent', 'BOOKING_RESCHEDULED',
	'createdAt', '2030-01-05T00:01:00Z', 'payload', jsonb_build_object('uid', 'bk-ray-1',
	'startTime', :'ray_start'::timestamptz, 'endTime', :'ray_start'::timestamptz + interval '30 minutes')));
SELECT o.state, o.run_at = :'ray_call' AS at_nine_the_day_before FROM outbox o
JOIN appointments ap ON ap.cal_booking_uid = 'bk-ray-1' WHERE (o.payload ->> 'appointment_id') = ap.id::text ORDER BY o.id;
-- the finished jobs' payloads purged (as by an earlier release's purge, without the appointment):
-- the next move still queues its call
UPDATE outbox SET payload = '{"purged": true}' WHERE idempotency_key LIKE 'confirm:%' AND state = 'suppressed';
SELECT answer ->> 'action' AS action FROM receive_webhook('cal', jsonb_build_object('triggerEvent', 'BOOKING_RESCHEDULED',
	'createdAt', '2030-01-05T00:02:00Z', 'payload', jsonb_build_object('uid', 'bk-ray-1',
	'startTime', :'ray_start'::timestamptz + interval '2 days', 'endTime', :'ray_start'::timestamptz + interval '2 days 30 minutes')));
SELECT o.state, o.idempotency_key ~ '^confirm:[0-9a-f-]{36}:[0-9]+$' AS keyed FROM outbox o
JOIN appointments ap ON ap.cal_booking_uid = 'bk-ray-1' WHERE (o.payload ->> 'appointment_id') = ap.id::text ORDER BY o.id;

-- Barbara's update_appointment on Ray's confirmation call: only Ray's own appointment, only a live one
SELECT vapi_call_id FROM record_call_placed((SELECT a.id FROM vapi_number_assignments a JOIN leads l ON l.id = a.lead_id
	WHERE l.email = 'ray@example.com' AND a.status <> 'released'), 'conf-call-ray');
CREATE FUNCTION pg_temp.said(args jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT coalesce(r.answer #>> '{results,0,result}', 'ERROR: ' || (r.answer #>> '{results,0,error}'))
	FROM vapi_pool.receive_webhook('vapi', jsonb_build_object('message', jsonb_build_object('type', 'tool-calls',
		'call', jsonb_build_object('id', 'conf-call-ray'),
		'toolCallList', jsonb_build_array(jsonb_build_object('id', 'tc-' || md5(args::text || clock_timestamp()::text),
			'type', 'function', 'function', jsonb_build_object('name', 'update_appointment', 'arguments', args)))))) r $$;
SELECT pg_temp.said('{"action": "postpone"}');
SELECT pg_temp.said('{"action": "confirm", "appointment_id": "tomorrow"}');
SELECT pg_temp.said(jsonb_build_object('action', 'cancel', 'appointment_id',
	(SELECT id FROM appointments WHERE cal_booking_uid = 'bk-jo-1')));
SELECT regexp_replace(pg_temp.said('{"action": "confirm"}'), ' on .* \(', ' on <when> (') AS said;
SELECT confirmed_at IS NOT NULL AS ray_confirmed FROM appointments WHERE cal_booking_uid = 'bk-ray-1';
SELECT status, confirmed_at IS NULL AS jo_untouched FROM appointments WHERE cal_booking_uid = 'bk-jo-1';
-- a requested booking the host has not accepted cannot be confirmed by the lead
UPDATE appointments SET awaiting_host = true WHERE cal_booking_uid = 'bk-ray-1';
SELECT regexp_replace(pg_temp.said('{"action": "confirm"}'), ' on .* \(', ' on <when> (') AS said;
UPDATE appointments SET awaiting_host = false WHERE cal_booking_uid = 'bk-ray-1';
-- moved in Cal.com after the lead confirmed it: not confirmed any more (a new call will ask)
SELECT answer ->> 'action' AS action FROM receive_webhook('cal', jsonb_build_object('triggerEvent', 'BOOKING_RESCHEDULED',
	'createdAt', '2030-01-05T00:03:00Z', 'payload', jsonb_build_object('uid', 'bk-ray-1',
	'startTime', :'ray_start'::timestamptz, 'endTime', :'ray_start'::timestamptz + interval '30 minutes')));
SELECT confirmed_at IS NULL AS unconfirmed,
	(SELECT count(*) FROM outbox o WHERE o.state = 'pending' AND (o.payload ->> 'appointment_id') = ap.id::text) AS calls_pending
FROM appointments ap WHERE cal_booking_uid = 'bk-ray-1';

-- a create-call job that dies (here: no assistant to place it) keeps the number of a lead with an appointment;
-- claimed at any hour of the day the test runs (the organisation's 09:00-18:00 would put it off)
UPDATE orgs SET calling_hours_start = NULL, calling_hours_end = NULL WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
SET vapi_pool.calling_window = '00:00-24:00';
SELECT outcome FROM record_call_ended('conf-call-ray', 'customer-ended-call', now() - interval '1 minute', now(),
	NULL, NULL, NULL, NULL, NULL, NULL);
UPDATE outbox SET state = 'suppressed', last_error = 'out of the way' WHERE state = 'pending'
	AND (payload ->> 'appointment_id') = (SELECT id::text FROM appointments WHERE cal_booking_uid = 'bk-ray-1');
UPDATE outbox SET run_at = now() + interval '1 day' WHERE state = 'pending';
UPDATE vapi_number_assignments a SET status = 'booked', release_at = NULL FROM leads l
WHERE l.id = a.lead_id AND l.email = 'ray@example.com' AND a.status <> 'released';
INSERT INTO outbox (org_id, kind, payload, idempotency_key)
SELECT a.org_id, 'vapi.create_call', jsonb_build_object('lead_id', a.lead_id, 'assignment_id', a.id,
	'phone_number_id', 'pn_x', 'customer_number', '+13125550134'), 'dies-ray'
FROM vapi_number_assignments a JOIN leads l ON l.id = a.lead_id WHERE l.email = 'ray@example.com' AND a.status <> 'released';
SELECT count(*) AS claimed FROM outbox_claim('d1');
SELECT state, result ->> 'assignment' AS assignment FROM outbox WHERE idempotency_key = 'dies-ray';
SELECT a.status, a.release_at = ap.ends_at + interval '24 hours' AS held_till_day_after
FROM vapi_number_assignments a JOIN leads l ON l.id = a.lead_id
JOIN appointments ap ON ap.contact_id = l.id AND ap.status = 'booked'
WHERE l.email = 'ray@example.com' AND a.status <> 'released';

-- the inbox keys: a reschedule of one uid is its own event, a redelivery is not
SELECT event_type, regexp_replace(dedupe_key, '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', '<start>') AS dedupe_key, duplicates
FROM webhook_inbox WHERE source = 'cal' AND dedupe_key LIKE '%bk-jo-1%' ORDER BY id;

DROP EXTENSION vapi_pool CASCADE;
