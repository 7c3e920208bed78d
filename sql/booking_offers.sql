-- Booking what was offered (0.6.0): offer_free_slots remembers the times a
-- check offered in a call, offered_slot_id finds the one a caller's words
-- name (the label as offered, "Tuesday at 9", "the second one", ...), and
-- answers with the candidates when it cannot tell.  Slots are in 2031, so
-- nothing here depends on today's date except "today"/"tomorrow", which are
-- built from now().
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
\set VERBOSITY default

-- The SQLSTATE, message, detail and hint of a statement's error, or 'ok: <result>'.
CREATE FUNCTION public.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
	d text;
	h text;
BEGIN
	EXECUTE stmt INTO r;
	RETURN 'ok: ' || coalesce(r, 'NULL');
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
	RETURN SQLSTATE || ' ' || SQLERRM || coalesce(' | ' || nullif(d, ''), '') || coalesce(' | ' || nullif(h, ''), '');
END
$$;

INSERT INTO orgs (org_id, name, appointment_minutes) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Mortgages', 40),
	('bbbbbbbb-0000-4000-8000-000000000000', 'Other Org', 30);
INSERT INTO brokers (org_id, id, name, timezone) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/Los_Angeles'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001', 'Bo Other', 'America/New_York');
INSERT INTO leads (org_id, id, first_name, primary_phone_e164) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'Pat', '+14155550123');

-- ---------------------------------------------------------------- offering

-- Cal.com's answer (format=range, 45-minute slots) for Tuesday 2031-11-25
-- and Wednesday 2031-11-26 in Los Angeles; 10:30 on Tuesday is booked
-- already, so 10:00 (45 minutes: until 10:45) is not offered.
INSERT INTO appointments (org_id, contact_id, broker_id, status, scheduled_at, duration)
VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001',
	'a1000000-0000-4000-8000-000000000001', 'booked', '2031-11-25 10:30 America/Los_Angeles', '45 minutes');
SELECT offer_free_slots('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'call-1',
	'America/Los_Angeles', '{"status": "success", "data": {
		"2031-11-25": [{"start": "2031-11-25T09:00:00.000-08:00", "end": "2031-11-25T09:45:00.000-08:00"},
		               {"start": "2031-11-25T09:30:00.000-08:00", "end": "2031-11-25T10:15:00.000-08:00"},
		               {"start": "2031-11-25T10:00:00.000-08:00", "end": "2031-11-25T10:45:00.000-08:00"},
		               {"start": "2031-11-25T14:00:00.000-08:00", "end": "2031-11-25T14:45:00.000-08:00"}],
		"2031-11-26": [{"start": "2031-11-26T09:00:00.000-08:00", "end": "2031-11-26T09:45:00.000-08:00"},
		               {"start": "2031-11-26T12:00:00.000-08:00", "end": "2031-11-26T12:45:00.000-08:00"}]}}');
-- what was remembered: the place in the list, the words, the length Cal.com gave
SELECT round, position, label, ends_at - starts_at AS length FROM offered_slots WHERE vapi_call_id = 'call-1'
ORDER BY round, position;

-- the same answer without ranges: the organisation's length (40 minutes); a second round
SELECT offer_free_slots('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'call-1',
	'America/Los_Angeles', '{"data": {"2031-11-27": [{"start": "2031-11-27T15:00:00.000-08:00"},
		{"start": "2031-11-27T16:30:00.000-08:00"}]}}');
SELECT round, position, label, ends_at - starts_at AS length FROM offered_slots WHERE vapi_call_id = 'call-1' AND round = 2
ORDER BY position;

-- nothing free: said so, with the horizon or the day; nothing remembered
SELECT offer_free_slots('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'call-2',
	'America/Los_Angeles', '{"data": {}}');
SELECT offer_free_slots('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'call-2',
	'America/Los_Angeles', '{"data": {}}', day => '2031-11-25');
SELECT count(*) FROM offered_slots WHERE vapi_call_id = 'call-2';
-- a malformed answer offers nothing either
SELECT offer_free_slots('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'call-2',
	'America/Los_Angeles', '{"data": [1, 2]}');

-- ---------------------------------------------------------------- choosing

-- What each way of saying it chose, as the label (or the error).
CREATE FUNCTION public.chosen(said text, call text DEFAULT 'call-1') RETURNS text LANGUAGE sql AS $$
	SELECT public.try(pg_catalog.format('SELECT label FROM vapi_pool.offered_slots WHERE id = '
		'vapi_pool.offered_slot_id(%L, %L, %L, %L)', 'aaaaaaaa-0000-4000-8000-000000000000', call, said,
		'a1000000-0000-4000-8000-000000000001'))
$$;

SELECT said, public.chosen(said) FROM (VALUES
	('Tuesday, November 25 at 9:30 AM'),			-- the label as offered
	('tuesday november 25 at 9:30 am'),				-- its case and punctuation aside
	('Tuesday, November 25 at 9:30 AM (America/Los_Angeles)'),	-- with the zone the answer named
	('Tuesday at 2'),								-- weekday and an hour alone
	('Tuesday at 9'),								-- 9:00 over 9:30 when both fit
	('the 9:30 one'),
	('nine thirty on Tuesday'),
	('half past nine'),
	('Wednesday at noon'),
	('Wednesday 12 PM'),
	('the 26th at 9am'),
	('Nov 26 at 9 a.m.'),
	('Thursday at 4:30pm'),
	('the first one'),								-- places: in the latest list offered
	('the second one'),
	('the 2nd one'),
	('the last one'),
	('Wednesday morning'),
	('Wednesday afternoon'),
	('Tuesday afternoon'),
	('Thursday at 3 o''clock')) AS t(said);

-- "oh" minutes are minutes, not an hour: no 9:05 was offered (and no 5:00 is chosen)
SELECT public.chosen('Tuesday at nine oh five');
-- two different times said: ask, do not guess
SELECT public.chosen('Tuesday at 9, no, 2');
-- the organisation's own calendar was offered nothing in this call: the broker's times are not its
SELECT public.try(pg_catalog.format('SELECT vapi_pool.offered_slot_id(%L, %L, %L)',
	'aaaaaaaa-0000-4000-8000-000000000000', 'call-1', 'Tuesday at 9')) AS own_calendar;

-- several fit: the candidates, and what to do
SELECT public.chosen('Tuesday');
SELECT public.chosen('9 AM');
-- none fits: every offered time, and what to do
SELECT public.chosen('Friday at 9');
SELECT public.chosen('Tuesday at 10');			-- booked already: never offered
-- no time in the words at all
SELECT public.chosen('yes please');
-- nothing offered in this call
SELECT public.chosen('Tuesday at 9', 'call-9');

-- today and tomorrow are the calendar's own days
SELECT offer_free_slots('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'call-3',
	'America/Los_Angeles', pg_catalog.jsonb_build_object('data', pg_catalog.jsonb_build_object('d', pg_catalog.jsonb_build_array(
		pg_catalog.jsonb_build_object('start', (date_trunc('day', now() AT TIME ZONE 'America/Los_Angeles') + interval '1 day 15 hours') AT TIME ZONE 'America/Los_Angeles'),
		pg_catalog.jsonb_build_object('start', (date_trunc('day', now() AT TIME ZONE 'America/Los_Angeles') + interval '2 days 15 hours') AT TIME ZONE 'America/Los_Angeles'))))) LIKE 'Free times (America/Los_Angeles): %' AS offered;
SELECT public.try(pg_catalog.format('SELECT position FROM vapi_pool.offered_slots WHERE id = vapi_pool.offered_slot_id(%L, %L, %L, %L)',
	'aaaaaaaa-0000-4000-8000-000000000000', 'call-3', 'tomorrow at 3 PM', 'a1000000-0000-4000-8000-000000000001')) AS tomorrow;

-- ---------------------------------------------------------------- isolation and privileges

-- another organisation's call has no offers under this call id, and its
-- members cannot read this organisation's offers
SELECT public.try(pg_catalog.format('SELECT vapi_pool.offered_slot_id(%L, %L, %L)',
	'bbbbbbbb-0000-4000-8000-000000000000', 'call-1', 'Tuesday at 9'));
INSERT INTO org_members (org_id, user_id, role) VALUES
	('bbbbbbbb-0000-4000-8000-000000000000', 'b9000000-0000-4000-8000-000000000009', 'member');
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "b9000000-0000-4000-8000-000000000009", "role": "authenticated"}', true);
SELECT count(*) AS visible_offers FROM vapi_pool.offered_slots;
SELECT public.try('SELECT vapi_pool.offer_free_slots(NULL, NULL, NULL, ''UTC'', ''{}'')');
ROLLBACK;
-- anon may not even look
SET ROLE anon;
SELECT public.try('SELECT count(*) FROM vapi_pool.offered_slots');
RESET ROLE;

-- a deleted broker takes the offers of its calendar with it
DELETE FROM appointments;
DELETE FROM brokers WHERE id = 'a1000000-0000-4000-8000-000000000001';
SELECT count(*) FROM offered_slots;

DROP FUNCTION public.chosen(text, text);
DROP FUNCTION public.try(text);
DROP EXTENSION vapi_pool CASCADE;
