-- Calling people lawfully (issue 20, items 1-4): calling hours in the called
-- person's local time (zones of leads.timezone, else of the number, else
-- the broker's), days and holidays; do-not-call lists checked when a job is
-- queued and when it is claimed, and applied to what is queued when a number
-- is added; opt-outs from Instantly; consent evidence.  The race of an
-- opt-out and a claim is specs/opt_out_claim_race.spec; the assistants'
-- opt-outs are sql/opt_out_tool.sql and t/106_journey_opt_out.pl.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
SET vapi_pool.calling_window = '08:00-21:00';
SET vapi_pool.intake_assistant_id = 'asst_barbara';
\set VERBOSITY default

INSERT INTO orgs (org_id, name) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Mortgages'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'Other Org');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active, number_pool_size) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/Los_Angeles', '+14155550101', true, 10),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001', 'Bo Other', 'America/New_York', '+12125550101', true, 10);
SELECT count(*) FROM (SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', ('+1310555019' || n)::e164, 'pn_a' || n)
	FROM generate_series(0, 5) n
	UNION ALL SELECT add_pool_number('b1000000-0000-4000-8000-000000000001', ('+1646555019' || n)::e164, 'pn_b' || n)
	FROM generate_series(0, 1) n) s;
-- Leads whose local time differs: New York by number, London by their own
-- zone, Alaska (two zones), a toll-free number (the whole NANP, whose
-- windows never meet), a Moscow mobile (all of Russia), and no number.
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164, timezone) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Nia', '+12125550123', NULL),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001', 'Lon', '+12125550124', 'Europe/London'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000003', 'a1000000-0000-4000-8000-000000000001', 'Ala', '+19075550123', NULL),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000004', 'a1000000-0000-4000-8000-000000000001', 'Tol', '+18005550199', NULL),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000005', 'a1000000-0000-4000-8000-000000000001', 'Rus', '+79161234567', NULL),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000006', 'a1000000-0000-4000-8000-000000000001', 'Non', NULL, NULL);

-- Whether an instant is inside [opens, closes) of local time in every zone.
CREATE FUNCTION pg_temp.allowed_in(t timestamptz, zones text[], opens time DEFAULT '08:00', closes time DEFAULT '21:00')
RETURNS boolean LANGUAGE sql AS $$
	SELECT bool_and((t AT TIME ZONE z)::time >= opens AND (t AT TIME ZONE z)::time < closes) FROM unnest(zones) z $$;
-- A lead's next call time from earliest, with its zones and whether that
-- time is allowed everywhere and was the earliest such minute.
CREATE FUNCTION pg_temp.next_for(first_name text, earliest timestamptz)
RETURNS TABLE (lead text, zones text[], next_call timestamptz, allowed_everywhere boolean, minute_before_was_not boolean)
LANGUAGE sql AS $$
	SELECT l.first_name, z.zones, n.t, pg_temp.allowed_in(n.t, z.zones),
		   n.t = earliest OR NOT pg_temp.allowed_in(n.t - interval '1 minute', z.zones)
	FROM vapi_pool.leads l,
		 LATERAL (SELECT vapi_pool.lead_timezones(l.org_id, l.id) AS zones) z,
		 LATERAL (SELECT vapi_pool.next_call_time(l.org_id, l.id, NULL, earliest) AS t) n
	WHERE l.first_name = next_for.first_name $$;

-- ---------------------------------------------------------------- the called person's local time

-- 10:00 UTC on a Wednesday: 05:00 in New York (wait for 08:00 there), 10:00
-- in London (now), 01:00 in Anchorage and midnight in Adak (wait for 08:00
-- in Adak, which is 09:00 in Anchorage).  The toll-free number's 42 zones
-- run from Guam to Pago Pago: 08:00-21:00 is open in all of them only for a
-- while each evening (UTC).  All of Russia has a common window of three
-- hours.  No number: the broker's zone.
SELECT * FROM pg_temp.next_for('Nia', '2031-11-19 10:00 UTC');
SELECT * FROM pg_temp.next_for('Lon', '2031-11-19 10:00 UTC');
SELECT * FROM pg_temp.next_for('Ala', '2031-11-19 10:00 UTC');
SELECT lead, cardinality(zones) AS zones, next_call, allowed_everywhere, minute_before_was_not
FROM pg_temp.next_for('Tol', '2031-11-19 10:00 UTC');
SELECT lead, cardinality(zones) AS zones, next_call, allowed_everywhere, minute_before_was_not
FROM pg_temp.next_for('Rus', '2031-11-19 10:00 UTC');
SELECT * FROM pg_temp.next_for('Non', '2031-11-19 10:00 UTC');
-- The end of the window: 20:59 in New York may be called, 21:00 waits for the next morning.
SELECT next_call_time('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', NULL, '2031-11-20 01:59 UTC') AS at_2059,
	   next_call_time('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', NULL, '2031-11-20 02:00 UTC') AS at_2100;
-- Zones whose windows never meet allow no time at all (not the broker's):
-- with 09:00-17:00 no minute is inside the window from Guam to Pago Pago.
SET vapi_pool.calling_window = '09:00-17:00';
SELECT next_call_time('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000004', NULL, '2031-11-19 10:00 UTC') AS toll_free;
SET vapi_pool.calling_window = '08:00-21:00';
-- A number without a lead: its own zones.
SELECT next_call_time('aaaaaaaa-0000-4000-8000-000000000000', NULL, '+12085550123', '2031-11-19 15:30 UTC') AS boise_and_la;

-- Daylight saving time.  On 2031-03-09 New York springs forward at 02:00:
-- the 08:00 opening is 12:00 UTC (not 13:00); a window opening at 02:30, a
-- time that does not exist that day, opens at 03:30 EDT.  On 2031-11-02 it
-- falls back: 08:00 EST is 13:00 UTC.
SELECT next_call_time('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', NULL, '2031-03-09 06:59 UTC') AS spring_forward,
	   next_call_time('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', NULL, '2031-11-02 05:30 UTC') AS fall_back;
SET vapi_pool.calling_window = '02:30-21:00';
SELECT next_call_time('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', NULL, '2031-03-09 06:59 UTC') AS gap_opening,
	   next_call_time('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', NULL, '2031-03-09 06:59 UTC')
		 AT TIME ZONE 'America/New_York' AS local;
SET vapi_pool.calling_window = '08:00-21:00';

-- The organisation's own hours, days and holidays.  Weekdays only, 09:00 to
-- 17:00: Friday 17:00 in New York waits for Monday 09:00, and Thanksgiving
-- (a holiday) for the Friday after.
UPDATE orgs SET calling_hours_start = '09:00', calling_hours_end = '17:00', calling_days = '{1,2,3,4,5}'
WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
INSERT INTO calling_holidays (org_id, day, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', '2031-11-27', 'Thanksgiving');
SELECT to_char(t AT TIME ZONE 'America/New_York', 'Dy YYYY-MM-DD HH24:MI') AS friday_evening_to
FROM next_call_time('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', NULL, '2031-11-21 22:00 UTC') t;
SELECT to_char(t AT TIME ZONE 'America/New_York', 'Dy YYYY-MM-DD HH24:MI') AS thanksgiving_eve_to
FROM next_call_time('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', NULL, '2031-11-26 22:00 UTC') t;
-- London's lead is in London: the holiday is its local date too.
SELECT to_char(t AT TIME ZONE 'Europe/London', 'Dy YYYY-MM-DD HH24:MI') AS london_thanksgiving_to
FROM next_call_time('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', NULL, '2031-11-27 08:00 UTC') t;
-- Settings that make no sense are refused; nothing changes.
\set VERBOSITY terse
UPDATE orgs SET calling_hours_start = '18:00' WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
UPDATE orgs SET calling_hours_end = NULL WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
UPDATE orgs SET calling_days = '{}' WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
UPDATE orgs SET calling_days = '{0,8}' WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
\set VERBOSITY default
SELECT calling_hours_start, calling_hours_end, calling_days FROM orgs WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
UPDATE orgs SET calling_hours_start = NULL, calling_hours_end = NULL, calling_days = DEFAULT
WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
-- An unknown organisation is an error.
SELECT next_call_time('eeeeeeee-0000-4000-8000-000000000000', NULL, '+12125550123', '2031-11-19 10:00 UTC');

-- Every create-call and SMS job is due only in the person's hours, whoever
-- queues it: a job queued at 10:00 UTC for New York waits until 13:00 UTC.
CREATE FUNCTION pg_temp.queue(first_name text, key text, run_at timestamptz, kind text DEFAULT 'vapi.create_call')
RETURNS TABLE (state text, run_at timestamptz, last_error text)
LANGUAGE sql AS $$
	INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key, run_at)
	SELECT l.org_id, kind, jsonb_build_object('lead_id', l.id, 'customer_number', l.primary_phone_e164,
		'phone_number_id', 'pn_a0', 'from_number', '+13105550190', 'text', 'Hi'), key, run_at
	FROM vapi_pool.leads l WHERE l.first_name = queue.first_name
	RETURNING state, run_at, last_error $$;
SELECT * FROM pg_temp.queue('Nia', 'nia-1', '2031-11-19 10:00 UTC');
SELECT * FROM pg_temp.queue('Lon', 'lon-1', '2031-11-19 10:00 UTC', 'vapi.sms');
DELETE FROM outbox;

-- ---------------------------------------------------------------- do-not-call

-- Nia asked for a call by reply: consent, a pool number, a queued call.
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, name, broker_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d', 'Q4', 'a1000000-0000-4000-8000-000000000001');
UPDATE leads SET email = 'nia@example.com' WHERE first_name = 'Nia';
UPDATE leads SET email = 'lon@example.com' WHERE first_name = 'Lon';
CREATE FUNCTION pg_temp.event(event_type text, email_id text, lead_email text, reply_text text,
	ts text DEFAULT '2026-11-21T15:49:49.188Z')
RETURNS TABLE (decision text, lead_status text, queued boolean, detail text)
LANGUAGE sql AS $$
	SELECT d.decision, d.lead_status, d.outbox_id IS NOT NULL, d.detail
	FROM vapi_pool.handle_instantly_event(jsonb_build_object('timestamp', ts,
		'event_type', event_type, 'workspace', '51c0231c-9645-46c3-992a-ec88b782136d',
		'campaign_id', '1e24d68f-3645-42ac-a253-8b64ee61feee', 'lead_email', lead_email, 'email', lead_email,
		'email_id', email_id, 'reply_text', reply_text)) d $$;
SET vapi_pool.calling_window = '00:00-24:00';
SELECT * FROM pg_temp.event('reply_received', 'e-nia-1', 'nia@example.com', 'Yes please call me at 212-555-0123.');
SELECT kind, source_id, evidence, given_at = '2026-11-21T15:49:49.188Z' AS given_when_replied
FROM lead_consents;
-- The same number is on another lead of the organisation (a second campaign
-- row): it has a call queued too.
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164, email) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000007', 'a1000000-0000-4000-8000-000000000001', 'Nia2', '+12125550123', 'nia.work@example.com');
INSERT INTO lead_consents (org_id, lead_id, kind, source_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000007', 'form', 'web-1');
SELECT * FROM pg_temp.event('reply_received', 'e-nia2-1', 'nia.work@example.com', 'Sure, call me.');
SELECT l.first_name, o.state, a.status AS assignment FROM outbox o
JOIN leads l ON l.id = (o.payload ->> 'lead_id')::uuid
JOIN vapi_number_assignments a ON a.id = (o.payload ->> 'assignment_id')::uuid ORDER BY l.first_name;

-- An operator (a member, through row level security) adds the number: both
-- queued calls end suppressed, both leads are do_not_call, both numbers go
-- back to the pool.
INSERT INTO org_members (org_id, user_id, role) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-00000000000a', 'member'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-00000000000c', 'admin'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b0000000-0000-4000-8000-00000000000b', 'owner');
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
INSERT INTO do_not_call (org_id, phone, reason) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', '+12125550123', 'asked by phone')
RETURNING phone, reason, source, added_by;
COMMIT;
SELECT l.first_name, l.status, o.state, o.last_error, a.status AS assignment FROM outbox o
JOIN leads l ON l.id = (o.payload ->> 'lead_id')::uuid
JOIN vapi_number_assignments a ON a.id = (o.payload ->> 'assignment_id')::uuid ORDER BY l.first_name;
-- Another organisation neither sees nor adds to the list; a member may not
-- remove a number, an admin may.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "b0000000-0000-4000-8000-00000000000b", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
SELECT count(*) AS visible FROM do_not_call;
INSERT INTO do_not_call (org_id, phone) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', '+12125550999');
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
DELETE FROM do_not_call RETURNING phone;
SELECT count(*) AS deployment_list FROM do_not_call_global;
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
-- nor move a listing to another number (that would lift it); rewording is theirs
UPDATE do_not_call SET reason = 'asked twice' RETURNING phone, reason;
UPDATE do_not_call SET phone = '+12125550001';
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000c", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
DELETE FROM do_not_call RETURNING phone;
ROLLBACK;

-- A reply asking for a call to a listed number (a new lead, who gives it) is
-- not called, and says why; the listed lead stays opted out.
SELECT * FROM pg_temp.event('reply_received', 'e-new-1', 'newbie@example.com', 'Please call me, 212-555-0123');
SELECT * FROM pg_temp.event('reply_received', 'e-nia-2', 'nia@example.com', 'Please call me, 212-555-0123');

-- Queue time: a job for a listed number is stored suppressed, whoever queues it.
SELECT state, last_error FROM pg_temp.queue('Nia', 'nia-direct', now());
-- Claim time: a number listed after its job was queued (here: the listing
-- did not match the job's lead, it was added for the number alone, in the
-- deployment's list) is never sent: the claim ends it suppressed.
SELECT state, last_error FROM pg_temp.queue('Lon', 'lon-2', now());
ALTER TABLE do_not_call_global DISABLE TRIGGER do_not_call_global_applied;
INSERT INTO do_not_call_global (phone, reason) VALUES ('+12125550124', 'national registry');
ALTER TABLE do_not_call_global ENABLE TRIGGER do_not_call_global_applied;
SELECT count(*) AS sent FROM outbox_claim('d1');
SELECT idempotency_key, state, last_error FROM outbox WHERE idempotency_key = 'lon-2';
-- With its trigger, the deployment's list applies to every organisation's
-- queued jobs at once.
DELETE FROM do_not_call_global;
UPDATE leads SET status = 'new' WHERE first_name = 'Lon';
SELECT state, last_error FROM pg_temp.queue('Lon', 'lon-3', now());
INSERT INTO do_not_call_global (phone, source) VALUES ('+12125550124', 'import');
-- (the lead's status is the organisation's: a registry import does not rewrite it)
SELECT l.status, o.state, o.last_error FROM outbox o JOIN leads l ON l.first_name = 'Lon' WHERE o.idempotency_key = 'lon-3';
-- and every later one, at queue time.
SELECT state, last_error FROM pg_temp.queue('Lon', 'lon-3b', now());
-- A job claimed outside the person's hours goes back, due at the opening,
-- its attempt not counted.
DELETE FROM do_not_call_global;
UPDATE leads SET status = 'new' WHERE first_name = 'Lon';
SELECT count(*) AS queued FROM pg_temp.queue('Lon', 'lon-4', now());
SELECT set_config('vapi_pool.calling_window',
	CASE WHEN extract(hour FROM now() AT TIME ZONE 'Europe/London') < 12 THEN '13:00-14:00' ELSE '06:00-07:00' END, false) IS NOT NULL AS window_elsewhere;
SELECT count(*) AS sent FROM outbox_claim('d1');
SELECT state, attempts, run_at > now() AS later, pg_temp.allowed_in(run_at, '{Europe/London}',
	current_setting('vapi_pool.calling_window')::text::time, (split_part(current_setting('vapi_pool.calling_window'), '-', 2))::time) AS in_hours
FROM outbox WHERE idempotency_key = 'lon-4';
SET vapi_pool.calling_window = '00:00-24:00';

-- Bulk import with COPY: every number applied once, by one statement.
UPDATE leads SET status = 'new' WHERE first_name IN ('Ala', 'Rus');
SELECT count(*) FROM (SELECT * FROM pg_temp.queue('Ala', 'ala-1', now()) UNION ALL SELECT * FROM pg_temp.queue('Rus', 'rus-1', now())) s;
COPY do_not_call (org_id, phone, reason, source) FROM STDIN WITH (FORMAT csv);
aaaaaaaa-0000-4000-8000-000000000000,+19075550123,registry,import
aaaaaaaa-0000-4000-8000-000000000000,+79161234567,registry,import
aaaaaaaa-0000-4000-8000-000000000000,+13125550100,registry,import
\.
SELECT idempotency_key, state FROM outbox WHERE idempotency_key IN ('ala-1', 'rus-1') ORDER BY 1;
SELECT first_name, status FROM leads WHERE first_name IN ('Ala', 'Rus') ORDER BY 1;
-- A number that is not E.164 is refused, and nothing is imported.
COPY do_not_call (org_id, phone) FROM STDIN WITH (FORMAT csv);
aaaaaaaa-0000-4000-8000-000000000000,+13125550101
aaaaaaaa-0000-4000-8000-000000000000,555-0100
\.
SELECT count(*) AS listed FROM do_not_call;

-- ---------------------------------------------------------------- opt-outs

-- record_opt_out: idempotent, says what it did.
SELECT * FROM record_opt_out('aaaaaaaa-0000-4000-8000-000000000000', '+15125550100', 'api', 'asked by SMS');
SELECT * FROM record_opt_out('aaaaaaaa-0000-4000-8000-000000000000', '+15125550100', 'api', 'asked by SMS');
\set VERBOSITY terse
SELECT * FROM record_opt_out('aaaaaaaa-0000-4000-8000-000000000000', '+15125550100', 'nonsense');
\set VERBOSITY default
SELECT phone, reason, source FROM do_not_call WHERE phone = '+15125550100';
-- Members may not call it (it is the engine's): they INSERT into do_not_call.
SET ROLE authenticated;
SELECT * FROM record_opt_out('aaaaaaaa-0000-4000-8000-000000000000', '+15125550101');
RESET ROLE;

-- Instantly's lead_unsubscribed opts the lead out and lists its number.
UPDATE leads SET status = 'new', primary_phone_e164 = '+12125550155' WHERE first_name = 'Lon';
SELECT * FROM pg_temp.event('lead_unsubscribed', 'e-lon-unsub', 'lon@example.com', NULL);
SELECT phone, source FROM do_not_call WHERE phone = '+12125550155';
-- An unsubscribe reply lists the number; a later explicit request lifts that
-- listing (and only a listing a reply made).
UPDATE leads SET email = 'ala@example.com' WHERE first_name = 'Ala';
UPDATE leads SET primary_phone_e164 = '+19075550124', status = 'new' WHERE first_name = 'Ala';
SELECT decision, lead_status FROM pg_temp.event('reply_received', 'e-ala-1', 'ala@example.com', 'Unsubscribe me please.');
SELECT phone, source FROM do_not_call WHERE phone = '+19075550124';
SELECT decision, lead_status, queued FROM pg_temp.event('reply_received', 'e-ala-2', 'ala@example.com',
	'Actually, please call me at 907-555-0124.', '2026-11-22T10:00:00Z');
SELECT count(*) AS still_listed FROM do_not_call WHERE phone = '+19075550124';
-- Two leads unsubscribe; the second asks for a call at the first one's
-- number: that listing is not hers to lift.
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164, email) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000008', 'a1000000-0000-4000-8000-000000000001', 'Cy', '+12125550170', 'cy@example.com'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000009', 'a1000000-0000-4000-8000-000000000001', 'Di', '+12125550171', 'di@example.com');
SELECT decision FROM pg_temp.event('reply_received', 'e-cy-1', 'cy@example.com', 'Unsubscribe me.');
SELECT decision FROM pg_temp.event('reply_received', 'e-di-1', 'di@example.com', 'Unsubscribe me.');
SELECT decision, queued, detail FROM pg_temp.event('reply_received', 'e-di-2', 'di@example.com',
	'Actually, please call me at 212-555-0170.', '2026-11-22T10:00:00Z');
SELECT phone, source FROM do_not_call WHERE phone IN ('+12125550170', '+12125550171') ORDER BY phone;

-- ---------------------------------------------------------------- consent

-- The lead as the rules see it (lead_compliance): a member of the
-- organisation reads its leads' evidence, listing, zones and next time.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a", "role": "authenticated"}', true) IS NOT NULL AS signed_in;
SET LOCAL ROLE authenticated;
SELECT name, phone, status, CASE WHEN cardinality(calling_zones) > 2 THEN cardinality(calling_zones) || ' zones'
		ELSE calling_zones::text END AS calling_zones, on_do_not_call, jsonb_array_length(consents) AS consents,
	   consents -> 0 ->> 'kind' AS first_consent, next_call_at IS NOT NULL AS callable_sometime
FROM lead_compliance WHERE name IN ('Nia', 'Ala', 'Tol') ORDER BY name;
ROLLBACK;

-- A retry is queued only for a lead with consent evidence, unless the
-- organisation turns the check off.
UPDATE leads SET status = 'calling', primary_phone_e164 = '+14155550177' WHERE first_name = 'Non';
SELECT (assign_number('a2000000-0000-4000-8000-000000000006')).id IS NOT NULL AS assigned;
SELECT (record_call_placed((SELECT vapi_assignment_id FROM leads WHERE first_name = 'Non'), 'call-non-1', 1)).id IS NOT NULL AS placed;
SELECT outcome, next_attempt_at IS NOT NULL AS retry, lead_status FROM record_call_ended('call-non-1', 'customer-did-not-answer',
	now() - interval '1 minute', now(), NULL, NULL, NULL, NULL, NULL, NULL);
SELECT count(*) AS retries FROM outbox WHERE payload ->> 'lead_id' = 'a2000000-0000-4000-8000-000000000006';
-- With the check off, the same miss is retried.
UPDATE orgs SET require_consent = false WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
UPDATE leads SET status = 'calling' WHERE first_name = 'Non';
SELECT (record_call_placed((SELECT vapi_assignment_id FROM leads WHERE first_name = 'Non'), 'call-non-2', 1)).id IS NOT NULL AS placed;
SELECT outcome, next_attempt_at IS NOT NULL AS retry, lead_status FROM record_call_ended('call-non-2', 'customer-did-not-answer',
	now() - interval '1 minute', now(), NULL, NULL, NULL, NULL, NULL, NULL);

DROP EXTENSION vapi_pool CASCADE;
