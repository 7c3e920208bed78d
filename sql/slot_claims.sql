-- Slot claiming: claim_slot_atomic, confirm_slot, release_slot, free_slots.
-- Every error path, expiry, idempotency, what a direct INSERT may do, and
-- row level security for members of two organisations.  Concurrency is in
-- specs/slot_claim_*.spec.  Slots are in 2031, so nothing here depends on
-- today's date; expiry is made deterministic by setting hold_expires_at.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
\set VERBOSITY default

-- The SQLSTATE and message of a statement's error, or 'ok: <result>'.
CREATE FUNCTION public.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	EXECUTE stmt INTO r;
	RETURN 'ok: ' || coalesce(r, 'NULL');
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;
GRANT EXECUTE ON FUNCTION public.try(text) TO authenticated, anon, service_role;

-- ---------------------------------------------------------------- fixtures

-- Organisation A's own calendar is in Chicago; its brokers are in New York
-- and Los Angeles.  Organisation B's own calendar is in London.
INSERT INTO orgs (org_id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Mortgages');
INSERT INTO orgs (org_id, name, timezone) VALUES ('bbbbbbbb-0000-4000-8000-000000000000', 'Bay Clinic', 'Europe/London');
SELECT name, timezone FROM orgs ORDER BY name;
UPDATE orgs SET timezone = 'America/Chicago' WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
-- the organisation's zone is a checked IANA name
UPDATE orgs SET timezone = 'america/chicago' WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
INSERT INTO org_members (org_id, user_id, role) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-00000000000b', 'member'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b0000000-0000-4000-8000-00000000000b', 'member');
INSERT INTO brokers (org_id, id, name, timezone) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/New_York'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002', 'Eve Ito', 'America/Los_Angeles'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001', 'Dr. Rosa Diaz', 'UTC');
INSERT INTO leads (org_id, id, first_name) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'Pat'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'Sam'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000003', 'Kim'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b2000000-0000-4000-8000-000000000001', 'Zoe');

-- Appointments as a table: who, which calendar, when (UTC), status.
CREATE VIEW public.calendar AS
SELECT l.first_name AS contact, coalesce(b.name, '(org)') AS calendar,
	   to_char(a.scheduled_at, 'MM-DD HH24:MI') || '-' || to_char(a.ends_at, 'HH24:MI') AS slot,
	   a.status, a.cancel_reason, a.cal_booking_uid
FROM appointments a
JOIN leads l ON l.org_id = a.org_id AND l.id = a.contact_id
LEFT JOIN brokers b ON b.org_id = a.org_id AND b.id = a.broker_id;

-- ---------------------------------------------------------------- claiming

-- Pat holds 2031-03-04 15:00-15:30 UTC (10:00 in New York) on Dana's calendar.
BEGIN;
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000001',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001') AS pat_hold \gset
SELECT contact, calendar, slot, status FROM calendar;
SELECT hold_id = :'pat_hold' AS returns_hold_id, hold_expires_at = now() + interval '5 minutes' AS five_minute_hold,
	   duration, created_at = now() AS now
FROM appointments;
COMMIT;
-- Hold ids are random; the ones that appear in messages below are renamed.
UPDATE appointments SET hold_id = 'e0000000-0000-4000-8000-00000000000a' WHERE hold_id = :'pat_hold'
RETURNING hold_id AS pat_hold \gset

-- The same contact and slot again: the same hold back, nothing new.
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000001',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001') = :'pat_hold' AS same_hold;
SELECT count(*) AS appointments FROM appointments;
-- ... and a hold about to run out is kept at least `hold` longer.
BEGIN;
UPDATE appointments SET hold_expires_at = now() + interval '1 minute';
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000001',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', hold => '10 minutes') = :'pat_hold' AS same_hold;
SELECT hold_expires_at = now() + interval '10 minutes' AS extended FROM appointments;
-- a shorter hold does not cut it short
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000001',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', hold => '1 second') = :'pat_hold' AS same_hold;
SELECT hold_expires_at = now() + interval '10 minutes' AS kept FROM appointments;
COMMIT;

-- Another contact, the same slot: refused, named in Dana's zone.
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000002',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001');
-- Overlapping but different: 15:15-15:45 and 14:45-15:15.  Pat's own other
-- slot that overlaps is refused too (it is not the same slot).
SELECT claim_slot_atomic('2031-03-04 15:15+00', 'a2000000-0000-4000-8000-000000000002',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001');
SELECT try($$SELECT vapi_pool.claim_slot_atomic('2031-03-04 14:45+00', 'a2000000-0000-4000-8000-000000000002',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001')$$) AS before_overlap,
	   try($$SELECT vapi_pool.claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000001',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', duration => '1 hour')$$) AS own_longer;
-- Touching is not overlapping ([start, end)); other calendars are independent.
SELECT claim_slot_atomic('2031-03-04 15:30+00', 'a2000000-0000-4000-8000-000000000002',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001') IS NOT NULL AS sam_after;
SELECT claim_slot_atomic('2031-03-04 14:30+00', 'a2000000-0000-4000-8000-000000000003',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001') IS NOT NULL AS kim_before;
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000002',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002') IS NOT NULL AS eve_same_time;
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000003',
	'aaaaaaaa-0000-4000-8000-000000000000', duration => '90 minutes') IS NOT NULL AS org_calendar;
-- The organisation's calendar speaks Chicago time; a slot across midnight
-- shows both dates.
SELECT claim_slot_atomic('2031-03-04 16:00+00', 'a2000000-0000-4000-8000-000000000002',
	'aaaaaaaa-0000-4000-8000-000000000000');
SELECT claim_slot_atomic('2031-03-05 05:30+00', 'a2000000-0000-4000-8000-000000000002',
	'aaaaaaaa-0000-4000-8000-000000000000', duration => '1 hour') IS NOT NULL AS late;
SELECT claim_slot_atomic('2031-03-05 06:00+00', 'a2000000-0000-4000-8000-000000000003',
	'aaaaaaaa-0000-4000-8000-000000000000');
SELECT contact, calendar, slot, status FROM calendar ORDER BY calendar, slot;

-- ---------------------------------------------------------------- what claiming refuses

SELECT e AS error_path, try(stmt) AS outcome FROM (VALUES
	('past slot', $$SELECT vapi_pool.claim_slot_atomic('2020-01-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000')$$),
	('unknown contact', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-0000000000ff', 'aaaaaaaa-0000-4000-8000-000000000000')$$),
	('contact of another org', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', 'b2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000')$$),
	('unknown org', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'cccccccc-0000-4000-8000-000000000000')$$),
	('unknown broker', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-0000000000ff')$$),
	('broker of another org', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001')$$),
	('zero duration', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000', NULL, '0 minutes')$$),
	('negative duration', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000', NULL, '-30 minutes')$$),
	('duration over a day', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000', NULL, '24 hours 1 second')$$),
	('a month', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000', NULL, '1 month')$$),
	('zero hold', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000', NULL, '30 minutes', '0 seconds')$$),
	('hold over an hour', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000', NULL, '30 minutes', '61 minutes')$$),
	('null slot_time', $$SELECT vapi_pool.claim_slot_atomic(NULL, 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000')$$),
	('null contact_id', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', NULL, 'aaaaaaaa-0000-4000-8000-000000000000')$$),
	('null org_id', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', NULL)$$),
	('null duration', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000', NULL, NULL)$$),
	('null hold', $$SELECT vapi_pool.claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000', NULL, '30 minutes', NULL)$$),
	('overlap', $$SELECT vapi_pool.claim_slot_atomic('2031-03-04 15:10+00', 'a2000000-0000-4000-8000-000000000003', 'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001')$$)
) AS t(e, stmt);
-- The longest slot and hold are allowed.
SELECT claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001',
	'aaaaaaaa-0000-4000-8000-000000000000', NULL, '1 day', '1 hour') IS NOT NULL AS longest;
-- The messages in full.
SELECT claim_slot_atomic('2020-01-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000',
	'a1000000-0000-4000-8000-000000000001');
SELECT claim_slot_atomic('2031-06-01 10:00+00', 'b2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000');
SELECT claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000',
	'b1000000-0000-4000-8000-000000000001');
SELECT claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000',
	NULL, '25 hours');
SELECT claim_slot_atomic('2031-06-01 10:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000',
	NULL, '30 minutes', NULL);
-- Nothing was written by the refused claims.
SELECT count(*) AS appointments FROM appointments;

-- ---------------------------------------------------------------- the constraint, not the function

-- A direct INSERT cannot overlap either: the exclusion constraint decides.
INSERT INTO appointments (org_id, contact_id, broker_id, scheduled_at, hold_expires_at)
VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000003',
		'a1000000-0000-4000-8000-000000000001', '2031-03-04 15:20+00', '2031-03-04 15:00+00');
INSERT INTO appointments (org_id, contact_id, broker_id, status, scheduled_at)
VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000003',
		'a1000000-0000-4000-8000-000000000001', 'booked', '2031-03-04 15:29+00');
-- A cancelled one may overlap anything.
INSERT INTO appointments (org_id, contact_id, broker_id, status, scheduled_at, cancelled_at, cancel_reason)
VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000003',
		'a1000000-0000-4000-8000-000000000001', 'cancelled', '2031-03-04 15:00+00', '2031-03-01 00:00+00', 'test');
-- Turning it back into a booking meets the constraint too.
UPDATE appointments SET status = 'booked', cancelled_at = NULL, cancel_reason = NULL WHERE cancel_reason = 'test';
DELETE FROM appointments WHERE cancel_reason = 'test';

-- ---------------------------------------------------------------- expiry

-- Pat's hold expired (set in the past): it blocks nobody.  Sam's claim
-- cancels it ('expired') and gets the slot.
UPDATE appointments SET hold_expires_at = '2021-01-01 12:00+00' WHERE hold_id = :'pat_hold';
SELECT free_slots('a1000000-0000-4000-8000-000000000001', '{2031-03-04 15:00+00}') AS free_after_expiry;
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000002',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001') AS sam_hold \gset
UPDATE appointments SET hold_id = 'e0000000-0000-4000-8000-00000000000b' WHERE hold_id = :'sam_hold'
RETURNING hold_id AS sam_hold \gset
SELECT contact, slot, status, cancel_reason FROM calendar WHERE calendar = 'Dana Lee' AND slot LIKE '03-04 15:00%' ORDER BY status;
-- Pat's expired hold cannot be confirmed; the message says when it expired,
-- in Dana's zone.
SELECT confirm_slot(:'pat_hold', 'cal-pat');
-- Sam's expired hold that nobody cancelled yet cannot be confirmed either, and
-- nothing changes.
UPDATE appointments SET hold_expires_at = '2021-01-01 12:30+00' WHERE hold_id = :'sam_hold';
SELECT confirm_slot(:'sam_hold', 'cal-sam');
SELECT contact, slot, status, cal_booking_uid FROM calendar WHERE contact = 'Sam' AND calendar = 'Dana Lee' ORDER BY slot;
-- Pat claims again: Sam's expired hold is cancelled, and Pat gets a new hold, to book.
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000001',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001') AS pat_hold2 \gset
SELECT :'pat_hold2' <> :'pat_hold' AS new_hold;
UPDATE appointments SET hold_id = 'e0000000-0000-4000-8000-00000000000c' WHERE hold_id = :'pat_hold2'
RETURNING hold_id AS pat_hold2 \gset
SELECT contact, slot, status, cancel_reason FROM calendar WHERE calendar = 'Dana Lee' AND slot LIKE '03-04 15:00%' ORDER BY status, contact;

-- ---------------------------------------------------------------- confirming

SELECT to_char(scheduled_at, 'MM-DD HH24:MI') AS slot, status, cal_booking_uid, hold_id
FROM confirm_slot(:'pat_hold2', 'cal-pat-1');
-- twice with the same booking: the same row, unchanged
SELECT status, cal_booking_uid, updated_at = now() AS touched FROM confirm_slot(:'pat_hold2', 'cal-pat-1');
-- twice with another booking: refused
SELECT confirm_slot(:'pat_hold2', 'cal-pat-2');
-- a booking blocks like a hold, and does not expire
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000003',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001');
-- the contact's own booking claimed again: the same hold id, still booked
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000001',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001') = :'pat_hold2' AS same_hold;
SELECT status FROM appointments WHERE hold_id = :'pat_hold2';
-- a booking without Cal.com (the organisation's own calendar)
SELECT hold_id AS kim_hold FROM appointments a JOIN leads l ON l.org_id = a.org_id AND l.id = a.contact_id
WHERE l.first_name = 'Kim' AND a.broker_id IS NULL AND a.duration = '90 minutes' \gset
UPDATE appointments SET hold_id = 'e0000000-0000-4000-8000-00000000000d' WHERE hold_id = :'kim_hold'
RETURNING hold_id AS kim_hold \gset
SELECT status, cal_booking_uid FROM confirm_slot(:'kim_hold', NULL);
SELECT status, cal_booking_uid FROM confirm_slot(:'kim_hold', NULL);
SELECT confirm_slot(:'kim_hold', 'cal-kim');
-- a Cal.com booking is one appointment's only
SELECT confirm_slot(hold_id, 'cal-pat-1') FROM appointments a JOIN leads l ON l.org_id = a.org_id AND l.id = a.contact_id
WHERE l.first_name = 'Sam' AND a.scheduled_at = '2031-03-04 15:30+00';
SELECT e AS error_path, try(stmt) AS outcome FROM (VALUES
	('unknown hold', $$SELECT vapi_pool.confirm_slot('00000000-0000-4000-8000-0000000000ff', 'x')$$),
	('null hold', $$SELECT vapi_pool.confirm_slot(NULL, 'x')$$),
	('empty booking uid', $$SELECT vapi_pool.confirm_slot('00000000-0000-4000-8000-0000000000ff', '')$$)
) AS t(e, stmt);

-- ---------------------------------------------------------------- releasing

UPDATE appointments SET hold_id = 'e0000000-0000-4000-8000-00000000000e'
WHERE broker_id = 'a1000000-0000-4000-8000-000000000002' RETURNING hold_id AS eve_hold \gset
BEGIN;
SELECT status, cancel_reason, cancelled_at = now() AS now FROM release_slot(:'eve_hold', 'cal_slot_taken');
COMMIT;
-- again: unchanged, the first reason stays
SELECT status, cancel_reason FROM release_slot(:'eve_hold', 'caller_gave_up');
SELECT status, cancel_reason FROM release_slot(:'eve_hold');
-- a released hold cannot be confirmed; the message gives the reason and the
-- time in Eve's zone
UPDATE appointments SET cancelled_at = '2031-03-01 18:00+00' WHERE hold_id = :'eve_hold';
SELECT confirm_slot(:'eve_hold', 'cal-eve');
SELECT status FROM appointments WHERE hold_id = :'eve_hold';
-- the slot is free again
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000003',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002') <> :'eve_hold' AS reclaimed;
-- a booking can be cancelled too, which frees its slot
SELECT status, cancel_reason, cal_booking_uid FROM release_slot(:'pat_hold2', 'rescheduled');
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000003',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001') IS NOT NULL AS reclaimed_booking;
SELECT e AS error_path, try(stmt) AS outcome FROM (VALUES
	('unknown hold', $$SELECT vapi_pool.release_slot('00000000-0000-4000-8000-0000000000ff', 'x')$$),
	('null hold', $$SELECT vapi_pool.release_slot(NULL, 'x')$$),
	('null reason', $$SELECT vapi_pool.release_slot('00000000-0000-4000-8000-0000000000ff', NULL)$$),
	('empty reason', $$SELECT vapi_pool.release_slot('00000000-0000-4000-8000-0000000000ff', '')$$)
) AS t(e, stmt);

-- A hold id that names holds of two organisations (only possible by writing
-- the table directly) is refused, not applied to both.
INSERT INTO appointments (org_id, contact_id, scheduled_at, hold_expires_at, hold_id)
SELECT 'bbbbbbbb-0000-4000-8000-000000000000', 'b2000000-0000-4000-8000-000000000001', scheduled_at, hold_expires_at, hold_id
FROM appointments WHERE hold_id = :'sam_hold';
SELECT release_slot(:'sam_hold', 'x');
SELECT confirm_slot(:'sam_hold', 'x');
DELETE FROM appointments WHERE hold_id = :'sam_hold' AND org_id = 'bbbbbbbb-0000-4000-8000-000000000000';

-- ---------------------------------------------------------------- free_slots

-- Dana's calendar: Kim holds 14:30-15:00 (booked now) and 15:00-15:30, Sam
-- 15:30-16:00 (expired now, not cancelled yet); three cancelled at 15:00.
UPDATE appointments SET hold_expires_at = '2021-01-01 12:00+00'
WHERE broker_id = 'a1000000-0000-4000-8000-000000000001' AND scheduled_at = '2031-03-04 15:30+00';
UPDATE appointments SET status = 'booked'
WHERE broker_id = 'a1000000-0000-4000-8000-000000000001' AND scheduled_at = '2031-03-04 14:30+00';
SELECT contact, slot, status, cancel_reason FROM calendar WHERE calendar = 'Dana Lee' ORDER BY slot, status, contact;
-- Candidates as Cal.com gives them, plus a past one, a NULL and a duplicate:
-- free are 14:00 (ends as 14:30 starts), 15:30 (the hold there expired),
-- 16:00 and 16:00 once; blocked are 14:15, 14:30 (booked), 15:00 (held),
-- 15:15; past and NULL go.
SELECT free_slots('a1000000-0000-4000-8000-000000000001',
	'{2031-03-04 16:00+00, 2031-03-04 14:00+00, 2031-03-04 14:15+00, 2031-03-04 14:30+00, 2031-03-04 15:00+00,
	  2031-03-04 15:15+00, 2031-03-04 15:30+00, 2020-01-01 10:00+00, NULL, 2031-03-04 16:00+00}');
-- With an hour, 15:30 runs into nothing, 14:00 runs into the booking.
SELECT free_slots('a1000000-0000-4000-8000-000000000001', '{2031-03-04 14:00+00, 2031-03-04 15:30+00}', '1 hour');
SELECT free_slots('a1000000-0000-4000-8000-000000000001', '{}') AS no_candidates;
-- the broker's organisation may be given; the wrong one is refused
SELECT free_slots('a1000000-0000-4000-8000-000000000001', '{2031-03-04 16:00+00}', org_id => 'aaaaaaaa-0000-4000-8000-000000000000');
-- the organisation's own calendar: Kim holds 15:00-16:30 (booked), Sam 05:30-06:30
SELECT free_slots(NULL, '{2031-03-04 14:30+00, 2031-03-04 15:00+00, 2031-03-04 16:30+00}', org_id => 'aaaaaaaa-0000-4000-8000-000000000000');
SELECT e AS error_path, try(stmt) AS outcome FROM (VALUES
	('unknown broker', $$SELECT vapi_pool.free_slots('a1000000-0000-4000-8000-0000000000ff', '{2031-03-04 16:00+00}')$$),
	('broker of another org', $$SELECT vapi_pool.free_slots('b1000000-0000-4000-8000-000000000001', '{2031-03-04 16:00+00}', '30 minutes', 'aaaaaaaa-0000-4000-8000-000000000000')$$),
	('unknown org', $$SELECT vapi_pool.free_slots(NULL, '{2031-03-04 16:00+00}', '30 minutes', 'cccccccc-0000-4000-8000-000000000000')$$),
	('no org at all', $$SELECT vapi_pool.free_slots(NULL, '{2031-03-04 16:00+00}')$$),
	('null candidates', $$SELECT vapi_pool.free_slots('a1000000-0000-4000-8000-000000000001', NULL)$$),
	('null duration', $$SELECT vapi_pool.free_slots('a1000000-0000-4000-8000-000000000001', '{2031-03-04 16:00+00}', NULL)$$),
	('bad duration', $$SELECT vapi_pool.free_slots('a1000000-0000-4000-8000-000000000001', '{2031-03-04 16:00+00}', '0 minutes')$$)
) AS t(e, stmt);
SELECT free_slots(NULL, '{2031-03-04 16:00+00}');

-- ---------------------------------------------------------------- row level security

-- Members call the functions too, and see only their own organisation:
-- organisation B's contacts, brokers, holds and calendar do not exist for a
-- member of A, whatever the arguments say.
SELECT hold_id AS zoe_hold FROM (SELECT claim_slot_atomic('2031-03-04 15:00+00', 'b2000000-0000-4000-8000-000000000001',
	'bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001') AS hold_id) h \gset
UPDATE appointments SET hold_id = 'e0000000-0000-4000-8000-0000000000ff' WHERE hold_id = :'zoe_hold'
RETURNING hold_id AS zoe_hold \gset
CREATE TABLE b_before AS SELECT * FROM appointments WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000';

BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000b", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
SELECT auth_org_id();
-- own organisation: claim, see, confirm, release, filter
SELECT claim_slot_atomic('2031-03-05 15:00+00', 'a2000000-0000-4000-8000-000000000001',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001') AS member_hold \gset
SELECT status, cal_booking_uid FROM confirm_slot(:'member_hold', 'cal-member');
SELECT status, cancel_reason FROM release_slot(:'member_hold', 'member_cancelled');
SELECT free_slots('a1000000-0000-4000-8000-000000000001', '{2031-03-04 15:00+00, 2031-03-04 16:00+00}') AS own_broker,
	   free_slots(NULL, '{2031-03-04 15:00+00, 2031-03-04 16:30+00}') AS own_calendar;
-- a conflict on their own calendar is explained
SAVEPOINT conflict;
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000001',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001');
ROLLBACK TO SAVEPOINT conflict;
-- organisation B: nothing to claim on, probe, confirm or release
SELECT e AS probe, try(stmt) AS outcome FROM (VALUES
	('claim on B', $$SELECT vapi_pool.claim_slot_atomic('2031-03-04 15:00+00', 'b2000000-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001')$$),
	('claim on B, own contact', $$SELECT vapi_pool.claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000000')$$),
	('claim with B''s contact', $$SELECT vapi_pool.claim_slot_atomic('2031-03-04 18:00+00', 'b2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000')$$),
	('claim with B''s broker', $$SELECT vapi_pool.claim_slot_atomic('2031-03-04 18:00+00', 'a2000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001')$$),
	('free_slots of B''s broker', $$SELECT vapi_pool.free_slots('b1000000-0000-4000-8000-000000000001', '{2031-03-04 15:00+00}')$$),
	('free_slots of B''s calendar', $$SELECT vapi_pool.free_slots(NULL, '{2031-03-04 15:00+00}', '30 minutes', 'bbbbbbbb-0000-4000-8000-000000000000')$$),
	('confirm B''s hold', format('SELECT vapi_pool.confirm_slot(%L, %L)', :'zoe_hold', 'cal-x')),
	('release B''s hold', format('SELECT vapi_pool.release_slot(%L, %L)', :'zoe_hold', 'x'))
) AS t(e, stmt);
ROLLBACK;

-- A member of B sees B's calendar only: A's bookings do not block B's broker.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "b0000000-0000-4000-8000-00000000000b", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
SELECT free_slots('b1000000-0000-4000-8000-000000000001', '{2031-03-04 15:00+00, 2031-03-04 15:30+00}') AS b_broker;
SELECT try($$SELECT vapi_pool.free_slots('a1000000-0000-4000-8000-000000000001', '{2031-03-04 15:00+00}')$$) AS a_broker;
SELECT count(*) AS visible_appointments FROM appointments;
ROLLBACK;

-- anon may not call them; service_role and members may.
BEGIN;
SET LOCAL ROLE anon;
SELECT try($$SELECT vapi_pool.free_slots('a1000000-0000-4000-8000-000000000001', '{2031-03-04 15:00+00}')$$) AS anon_free_slots;
ROLLBACK;
SELECT p.fn, has_function_privilege('anon', p.fn, 'EXECUTE') AS anon,
	   has_function_privilege('authenticated', p.fn, 'EXECUTE') AS authenticated,
	   has_function_privilege('service_role', p.fn, 'EXECUTE') AS service_role
FROM (VALUES ('vapi_pool.claim_slot_atomic(timestamptz, uuid, uuid, uuid, interval, interval)'),
			 ('vapi_pool.confirm_slot(uuid, text)'), ('vapi_pool.release_slot(uuid, text)'),
			 ('vapi_pool.free_slots(uuid, timestamptz[], interval, uuid)')) AS p(fn);
-- service_role acts for any organisation
BEGIN;
SET LOCAL ROLE service_role;
SELECT status, cancel_reason FROM release_slot(:'zoe_hold', 'service_cancelled');
ROLLBACK;

-- Organisation B is as it was.
SELECT count(*) AS b_changed FROM (
	(SELECT * FROM appointments WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000' EXCEPT SELECT * FROM b_before)
	UNION ALL (SELECT * FROM b_before EXCEPT SELECT * FROM appointments WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000')) d;

-- ---------------------------------------------------------------- the guarantee

-- Whatever happened above, no two active appointments of a calendar overlap.
SELECT count(*) AS overlapping_pairs
FROM appointments a JOIN appointments b
  ON a.org_id = b.org_id AND a.broker_id IS NOT DISTINCT FROM b.broker_id AND a.id < b.id
 AND tstzrange(a.scheduled_at, a.ends_at) && tstzrange(b.scheduled_at, b.ends_at)
WHERE a.status IN ('held', 'booked') AND b.status IN ('held', 'booked');

DROP TABLE b_before;
DROP VIEW public.calendar;
DROP FUNCTION public.try(text);
DROP EXTENSION vapi_pool CASCADE;
