-- Replies that ask for a time (issue 23, item 3): reply_call_time reads the
-- wish in the lead's zone (docs/replies.md has the conventions), and
-- handle_instantly_event queues the call at that time, never outside the
-- calling hours.  Replies nobody can read are 'unclear' and call nobody.
-- The blind corpus of wishes is scored by t/060_reply_corpus.pl.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
SET vapi_pool.calling_window = '08:00-21:00';
\set VERBOSITY default

-- ---------------------------------------------------------------- reading the wish

-- Received Tuesday 2026-03-10 at 14:20 in Chicago; each answer in Chicago's clock.
CREATE FUNCTION pg_temp.wish(t text, received text DEFAULT '2026-03-10 14:20', zone text DEFAULT 'America/Chicago')
RETURNS text LANGUAGE sql AS $$
	SELECT coalesce(to_char(vapi_pool.reply_call_time(t, (received || ' ' || zone)::timestamptz, zone)
		AT TIME ZONE zone, 'Dy YYYY-MM-DD HH24:MI'), 'now') $$;
SELECT t AS reply, pg_temp.wish(t) AS call_at FROM (VALUES
	('Call me after 5'), ('call me after 5pm'), ('Call me at 3'), ('call me around 3:30'), ('call me at 2'),
	('After 1 is fine'), ('between 2 and 4 works'), ('call me 4-6'), ('call me before 4'),
	('tomorrow morning please'), ('call me tmrw after lunch'), ('Tuesday afternoon'),
	('Tues afternoon or Wed morning would work'), ('call me Friday'), ('call me this weekend'),
	('next week is better'), ('call me next month'), ('call me on 3/17'), ('Call me March 20th at 10am'),
	('call me in an hour'), ('call me in 30 min'), ('in a couple of hours'), ('call me in half an hour'),
	('call me tonight'), ('call me this evening after 7'), ('not before 10 please'), ('please dont call in the morning'),
	('I''m at work until 6, call me after'), ('call me after 5 Eastern'), ('call me at 10am my time'),
	('Call me anytime'), ('call me now'), ('call me today'), ('I can''t do Friday. Call me Monday after 3'),
	('Llámeme mañana por la tarde'), ('Llámame después de las 5'), ('El sábado por la mañana, hoy no puedo'),
	('Llámeme el 15 de abril'), ('Llámeme en una hora'), ('llamame esta noche'),
	('We bought in 2019 for $412,000, call me'), ('call me, I have 3 kids and 2 dogs')
) v (t);
-- The quoted message and the signature are not the lead's words.
SELECT pg_temp.wish(E'Yes, call me.\n\nOn Mon, Mar 9, 2026 at 9:00 AM Dana <d@broker.example> wrote:\n> Would Thursday at 11 work?') AS quoted_thursday,
       pg_temp.wish(E'Thursday works, call me then.\n\nOn Mon, Mar 9, 2026 at 9:00 AM Dana <d@broker.example> wrote:\n> Would Thursday at 11 work?') AS own_thursday,
       pg_temp.wish(E'Call me please.\n\nThanks,\nSam Ortiz\nOffice hours Mon-Fri 9-5') AS signature_hours;
-- Times already past today: "after" has begun, a point is tomorrow, a part of the day still running has begun.
SELECT pg_temp.wish('call me after 5', '2026-03-10 19:00') AS after_5_at_7pm,
       pg_temp.wish('call me at 3', '2026-03-10 16:00') AS at_3_at_4pm,
       pg_temp.wish('this afternoon', '2026-03-10 14:00') AS afternoon_at_2pm,
       pg_temp.wish('this morning', '2026-03-10 13:00') AS morning_at_1pm,
       pg_temp.wish('Monday', '2026-03-09 10:00') AS monday_on_a_monday;
-- Across the spring change (2026-03-08, US): 9:00 local, whatever the offset.
SELECT pg_temp.wish('call me tomorrow morning', '2026-03-07 12:00', 'America/New_York') AS across_dst,
       vapi_pool.reply_call_time('call me tomorrow morning', '2026-03-07 12:00 America/New_York', 'America/New_York') AS instant;
-- No wish is NULL; a NULL argument is NULL; an unknown zone is an error.
SELECT vapi_pool.reply_call_time('Yes please call me', now(), 'America/Chicago') IS NULL AS no_wish,
       vapi_pool.reply_call_time(NULL, now(), 'America/Chicago') IS NULL AS null_reply;
SELECT vapi_pool.reply_call_time('call me after 5', now(), 'Mars/Olympus_Mons');

-- ---------------------------------------------------------------- unclear

SELECT t AS reply, (vapi_pool.classify_reply(t)).intent FROM (VALUES
	('ok'), ('Maybe'), ('?'), ('Sí'), ('Depends.'), ('hmm depends'), ('Yes.'),
	(E'ok\n\nOn Thu, Mar 5, 2026 at 2:15 PM Marcus <m@broker.example> wrote:\n> I can give you a quick call, or just email you a written quote. Which would you prefer?'),
	(E'ok\n\nOn Thu, Mar 5, 2026 at 11:11 AM Jordan <j@broker.example> wrote:\n> Want me to email you a quick quote with today''s rates?'),
	(E'Yes\n\nOn Thu, Mar 5, 2026 at 11:11 AM Jordan <j@broker.example> wrote:\n> Would you be open to a quick call this week?'),
	(E'ok gracias\n\nEl jue, 6 mar 2025 a las 9:41, Adriana <a@broker.example> escribió:\n> ¿Le gustaría que le llamemos?'),
	('Yes please call me'), ('No thanks')
) v (t);

-- ---------------------------------------------------------------- the flow

INSERT INTO orgs (org_id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Mortgages');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active, number_pool_size) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/Los_Angeles', '+14155550101', true, 10);
SELECT count(*) FROM (SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', ('+1310555019' || n)::e164, 'pn_a' || n)
	FROM generate_series(0, 5) n) s;
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, name, broker_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d', 'Q4', 'a1000000-0000-4000-8000-000000000001');
-- Nia is in New York by her number, Cal in Chicago by her own zone.
INSERT INTO leads (org_id, id, broker_id, first_name, primary_phone_e164, timezone, email) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Nia', '+12125550123', NULL, 'nia@example.com'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001', 'Cal', '+12125550124', 'America/Chicago', 'cal@example.com'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000003', 'a1000000-0000-4000-8000-000000000001', 'Una', '+12125550125', NULL, 'una@example.com');
CREATE FUNCTION pg_temp.reply(email_id text, lead_email text, reply_text text, ts text)
RETURNS TABLE (intent text, decision text, detail text)
LANGUAGE sql AS $$
	SELECT d.intent, d.decision, d.detail
	FROM vapi_pool.handle_instantly_event(jsonb_build_object('timestamp', ts,
		'event_type', 'reply_received', 'workspace', '51c0231c-9645-46c3-992a-ec88b782136d',
		'campaign_id', '1e24d68f-3645-42ac-a253-8b64ee61feee', 'lead_email', lead_email, 'email', lead_email,
		'email_id', email_id, 'reply_text', reply_text)) d $$;
-- The replies are sent now (Instantly's time stamp; one from the future is
-- read as now). Nia (New York, by her number) asks for tomorrow after 5:
-- 17:00 there.
SELECT intent, decision FROM pg_temp.reply('e-nia-1', 'nia@example.com', 'Yes, call me tomorrow after 5 please.',
	to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
-- Cal (Chicago, her own zone) asks for tomorrow after 9:30pm: past the
-- calling hours (08:00-21:00), so the call waits for the next opening, the
-- day after at 08:00 there; decision_detail says both.
SELECT intent, decision, detail ~ '^The reply asks for a call at .*, outside the calling hours in the lead''s local time: the call waits until ' AS detail_says_both
FROM pg_temp.reply('e-cal-1', 'cal@example.com', 'Call me tomorrow after 9:30pm',
	to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
-- Una says only "ok": unclear, recorded, no call, the lead untouched.
SELECT intent, decision FROM pg_temp.reply('e-una-1', 'una@example.com', 'ok',
	to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
-- Each call job waits for the time asked, in the lead's own clock.
SELECT l.first_name, l.status,
	o.run_at = ((now() AT TIME ZONE coalesce(l.timezone, 'America/New_York'))::date + 1 + time '17:00')
		AT TIME ZONE coalesce(l.timezone, 'America/New_York') AS tomorrow_at_17,
	o.run_at = ((now() AT TIME ZONE coalesce(l.timezone, 'America/New_York'))::date + 2 + time '08:00')
		AT TIME ZONE coalesce(l.timezone, 'America/New_York') AS day_after_at_08
FROM leads l LEFT JOIN outbox o ON o.payload ->> 'lead_id' = l.id::text AND o.kind = 'vapi.create_call'
ORDER BY l.first_name;
-- Nia writes again and asks for Friday at 10am: the waiting call
-- moves there.
SELECT intent, decision FROM pg_temp.reply('e-nia-2', 'nia@example.com', 'Actually, call me Friday at 10am instead.',
	to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
SELECT o.run_at = vapi_pool.reply_call_time('Friday at 10am', now(), 'America/New_York') AS moved_to_friday_10
FROM outbox o JOIN leads l ON o.payload ->> 'lead_id' = l.id::text WHERE l.first_name = 'Nia' AND o.kind = 'vapi.create_call';
SELECT intent, count(*) FROM instantly_events GROUP BY intent ORDER BY intent;

DROP EXTENSION vapi_pool CASCADE;
