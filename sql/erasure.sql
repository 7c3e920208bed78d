-- Erasure (issue 20, item 6): forget_contact erases one person across every
-- table that holds their data, keeping rows, counts and timestamps, and the
-- do-not-call entry of a person who opted out; it is logged without what
-- was erased.  The people are built through the product's own functions
-- (Instantly replies, calls placed and reported, a call in, a booking and its
-- cancellation at Cal.com, a report that failed, a report of an unknown
-- call); then every text, jsonb and e164 column of every table of the
-- schema (read from the catalog, so a new table is searched too) is
-- searched for the erased person's number, e-mail address and name.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
\set VERBOSITY default

-- Calls may be placed at any hour: nothing below depends on the clock.
SET vapi_pool.calling_window = '00:00-24:00';

-- ---------------------------------------------------------------- where a person's data may be

-- Every column of every table of vapi_pool that can hold text: text,
-- varchar, jsonb, e164, domains over them and arrays of them.  A hit is a
-- column whose value, lower case, holds the number's digits (whatever the
-- punctuation: E.164 and national forms alike), the e-mail address, or one
-- of the names as a word.
CREATE FUNCTION pg_temp.hits(digits text, email text, names text[])
RETURNS TABLE (col text, hits bigint)
LANGUAGE plpgsql AS $$
DECLARE
	c record;
	n bigint;
	name_re text := '\m(' || array_to_string(names, '|') || ')\M';
BEGIN
	FOR c IN
		SELECT r.relname, a.attname
		FROM pg_class r
		JOIN pg_namespace ns ON ns.oid = r.relnamespace
		JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
		JOIN pg_type t ON t.oid = a.atttypid
		LEFT JOIN pg_type elem ON elem.oid = t.typelem AND t.typcategory = 'A'
		WHERE ns.nspname = 'vapi_pool' AND r.relkind IN ('r', 'p')
		  AND coalesce(nullif(coalesce(elem.typbasetype, t.typbasetype), 0), elem.oid, t.oid)
			  IN ('text'::regtype, 'varchar'::regtype, 'jsonb'::regtype, 'vapi_pool.e164'::regtype)
		ORDER BY r.relname, a.attnum
	LOOP
		EXECUTE format('SELECT count(*) FROM vapi_pool.%I WHERE regexp_replace(%I::text, ''[^0-9]'', '''', ''g'') LIKE $1'
			' OR strpos(lower(%I::text), $2) > 0 OR %I::text ~* $3', c.relname, c.attname, c.attname, c.attname)
			INTO n USING '%' || digits || '%', lower(email), name_re;
		IF n > 0 THEN
			col := c.relname || '.' || c.attname;
			hits := n;
			RETURN NEXT;
		END IF;
	END LOOP;
END
$$;

-- ---------------------------------------------------------------- the organisations

-- A clinic (so a lost caller gets a follow-up and an SMS) and another
-- organisation; their owners, an admin and a member.
INSERT INTO orgs (org_id, name, is_clinic, dropoff_sms_enabled, timezone) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'Bright Smile', true, true, 'America/New_York'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'Bay Lending', false, false, 'America/Los_Angeles');
INSERT INTO org_members (org_id, user_id, role) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-0000000000a1', 'owner'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-0000000000a2', 'admin'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-0000000000a3', 'member'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b0000000-0000-4000-8000-0000000000b1', 'owner');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Front desk', 'America/New_York', '+13125550100', true);
SELECT count(*) AS numbers FROM (
	SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', ('+1312555019' || n)::e164, 'pn_a' || n)
	FROM generate_series(1, 4) n) s;
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, name, broker_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d',
	 'Spring smiles', 'a1000000-0000-4000-8000-000000000001');

-- An Instantly reply of the documented shape.
CREATE FUNCTION pg_temp.reply(email_id text, first_name text, last_name text, email text, phone text, reply_text text)
RETURNS jsonb LANGUAGE sql AS $$
SELECT jsonb_build_object('timestamp', '2026-11-21T15:49:49.188Z', 'event_type', 'reply_received',
	'workspace', '51c0231c-9645-46c3-992a-ec88b782136d', 'campaign_id', '1e24d68f-3645-42ac-a253-8b64ee61feee',
	'campaign_name', 'Spring smiles', 'email_account', 'hello@brightsmile.example.com',
	'lead_email', email, 'email', email, 'firstName', first_name, 'lastName', last_name, 'phone', phone,
	'email_id', email_id, 'reply_subject', 'Re: Your smile, ' || first_name,
	'reply_text', reply_text, 'reply_html', '<div>' || reply_text || '</div>')
$$;

-- A Vapi end-of-call report of the documented shape.  (Ids here name no
-- person, as Vapi's, Instantly's and Cal.com's do not: the search below
-- would find a name in an id.)
CREATE FUNCTION pg_temp.report(call_id text, customer text, transcript text, summary text,
		started text DEFAULT '2026-11-21T16:00:05Z', ended_reason text DEFAULT 'customer-ended-call')
RETURNS jsonb LANGUAGE sql AS $$
SELECT jsonb_build_object('message', jsonb_build_object('type', 'end-of-call-report', 'endedReason', ended_reason,
	'startedAt', started, 'endedAt', '2026-11-21T16:02:35Z', 'cost', 0.2,
	'call', jsonb_build_object('id', call_id, 'customer', jsonb_build_object('number', customer)),
	'customer', jsonb_build_object('number', customer),
	'artifact', jsonb_build_object('transcript', transcript,
		'recordingUrl', 'https://storage.example.com/rec/' || call_id || '.wav'),
	'analysis', jsonb_build_object('summary', summary, 'structuredData', jsonb_build_object('caller', customer))))
$$;

-- ---------------------------------------------------------------- three people

-- Pat Quinn asks by e-mail to be called: the flow makes the contact, lends
-- a number and queues the call.
SELECT state, answer ->> 'decision' AS decision FROM receive_webhook('instantly', pg_temp.reply('em-0001', 'Pat', 'Quinn',
	'Pat.Quinn@example.com', '(415) 555-0123', 'Yes please call me at 415-555-0123. Thanks, Pat Quinn'));
SELECT id AS pat FROM leads WHERE lower(email) = 'pat.quinn@example.com' \gset
-- Sam Rivera, a contact already, replies too (the flow finds Sam by
-- address): Sam is never erased.
\set sam 'a2000000-0000-4000-8000-000000000101'
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, email, primary_phone_e164, instantly_campaign_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', :'sam', 'a1000000-0000-4000-8000-000000000001', 'Sam', 'Rivera',
	 'sam.rivera@example.com', '+12125550188', '1e24d68f-3645-42ac-a253-8b64ee61feee');
SELECT state, answer ->> 'decision' AS decision FROM receive_webhook('instantly', pg_temp.reply('em-0101', 'Sam', 'Rivera',
	'sam.rivera@example.com', '(212) 555-0188', 'Sure, call me on 212-555-0188. Sam Rivera'));
SELECT count(*) AS sam_contacts FROM leads WHERE email = 'sam.rivera@example.com';
-- Lee Park, a contact of the clinic, asks by e-mail never to be contacted.
INSERT INTO leads (org_id, broker_id, first_name, last_name, email, primary_phone_e164, zip, status) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Lee', 'Park',
	 'lee.park@example.com', '+14155550145', '94110', 'new')
RETURNING id AS lee \gset
SELECT state, answer ->> 'decision' AS decision FROM receive_webhook('instantly', pg_temp.reply('em-0201', 'Lee', 'Park',
	'lee.park@example.com', '(415) 555-0145', 'Please remove me from your list and do not contact me again. Lee Park'));
-- (opt-outs put the number on the do-not-call list; said here too, in case
-- the flow's opt-out changes)
INSERT INTO do_not_call (org_id, phone, reason, source) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', '+14155550145', 'asked by e-mail', 'instantly')
ON CONFLICT DO NOTHING;

-- The dispatcher placed Pat's and Sam's calls; their reports came.
SELECT count(*) AS placed FROM (
	SELECT record_call_placed(l.vapi_assignment_id, CASE l.id WHEN :'pat' THEN 'call-0001' ELSE 'call-0101' END)
	FROM leads l WHERE l.id IN (:'pat', :'sam') ORDER BY l.first_name) s;
SELECT state FROM receive_webhook('vapi', pg_temp.report('call-0001', '+14155550123',
	E'AI: Hi Pat, this is Voxanne from Bright Smile.\nUser: Hi. I am Pat Quinn, my e-mail is pat.quinn@example.com and my cell is 415 555 0123.',
	'Pat Quinn wants whitening; call back on (415) 555-0123.'));
SELECT state FROM receive_webhook('vapi', pg_temp.report('call-0101', '+12125550188',
	E'AI: Hi Sam.\nUser: Hi, Sam Rivera here, reach me at sam.rivera@example.com.',
	'Sam Rivera wants a cleaning.'));
-- Pat calls the number back, asks about a nose job and hangs up: a
-- follow-up for the clinic, with its SMS, and her medical history.
SELECT action, direction FROM route_inbound('+13125550191', '+14155550123', 'call-0002');
SELECT state FROM receive_webhook('vapi', pg_temp.report('call-0002', '+14155550123',
	E'AI: Bright Smile, this is Voxanne.\nUser: Hi, it is Pat Quinn again. How much is a nose job? I have asthma, is that a problem?\nAI: It starts at 6,000.',
	'Pat Quinn asked about rhinoplasty and hung up.'));
-- The times offered during that call, and a booking Cal.com later cancelled
-- with the attendee's own words.
INSERT INTO offered_slots (org_id, vapi_call_id, round, position, starts_at, ends_at, timezone, label) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'call-0002', 1, 1, '2031-03-04 15:00+00', '2031-03-04 15:30+00',
	 'America/New_York', 'Tuesday, March 4 at 10:00 AM');
SELECT (confirm_slot(claim_slot_atomic('2031-03-05 17:00+00', :'pat', 'aaaaaaaa-0000-4000-8000-000000000000'),
	'calUid1')).status;
SELECT state FROM receive_webhook('cal', jsonb_build_object('triggerEvent', 'BOOKING_CANCELLED', 'payload',
	jsonb_build_object('uid', 'calUid1', 'cancellationReason', 'Pat Quinn is in hospital',
		'attendees', jsonb_build_array(jsonb_build_object('name', 'Pat Quinn', 'email', 'pat.quinn@example.com')))));
-- The booking request the live tool queued (its body is Cal.com's, with the attendee).
INSERT INTO outbox (org_id, kind, payload, idempotency_key, state, finished_at) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'cal.create_booking',
	 jsonb_build_object('hold_id', gen_random_uuid(), 'request', cal_booking_body(42, '2031-03-05 17:00+00', 'Pat Quinn',
		'America/New_York', 'pat.quinn@example.com', '+14155550123', :'pat', gen_random_uuid())),
	 'book:0001', 'done', now());
-- A report Vapi sent with a time the engine refuses: failed, kept whole for a replay.
SELECT state FROM receive_webhook('vapi', pg_temp.report('call-0003', '+14155550123', 'User: Pat Quinn here.', NULL,
	started => 'yesterday-ish'));
-- A report of a call nobody knows, from Pat's number.
SELECT state FROM receive_webhook('vapi', pg_temp.report('call-0009', '+14155550123',
	'User: It is Pat Quinn, call me on 415-555-0123.', 'Pat Quinn called.'));
-- How Pat and Sam agreed to be called (a form).
INSERT INTO lead_consents (org_id, lead_id, kind, source_id, evidence) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', :'pat', 'form', 'form-17', 'Pat Quinn ticked "call me" on the spring form'),
	('aaaaaaaa-0000-4000-8000-000000000000', :'sam', 'form', 'form-18', 'Sam Rivera ticked "call me" on the spring form')
ON CONFLICT DO NOTHING;

-- Where each person is now.  Every table that holds Pat's data:
SELECT col FROM pg_temp.hits('4155550123', 'pat.quinn@example.com', '{Pat,Quinn}') ORDER BY col;
-- ... Lee's:
SELECT col FROM pg_temp.hits('4155550145', 'lee.park@example.com', '{Lee,Park}') ORDER BY col;
-- ... and Sam's, kept for the end.
CREATE TEMP TABLE sam_before AS SELECT * FROM pg_temp.hits('2125550188', 'sam.rivera@example.com', '{Sam,Rivera}');
SELECT count(*) > 5 AS sam_is_everywhere FROM sam_before;
CREATE TEMP TABLE sam_rows_before AS
SELECT (SELECT l::text FROM leads l WHERE id = :'sam') AS lead,
	   (SELECT string_agg(c::text, '|' ORDER BY c.id) FROM vapi_call_logs c WHERE lead_id = :'sam') AS calls;
-- What Pat's rows are before: the erasure keeps them.
CREATE TEMP TABLE pat_rows_before AS
SELECT (SELECT count(*) FROM vapi_call_logs WHERE lead_id = :'pat') AS calls,
	   (SELECT array_agg(created_at ORDER BY created_at) FROM vapi_call_logs WHERE lead_id = :'pat') AS call_times,
	   (SELECT count(*) FROM outbox WHERE payload ->> 'lead_id' = :'pat' OR kind = 'cal.create_booking') AS jobs,
	   (SELECT count(*) FROM instantly_events WHERE lead_id = :'pat') AS events,
	   (SELECT count(*) FROM dropoff_followups WHERE lead_id = :'pat') AS followups,
	   (SELECT count(*) FROM webhook_inbox) AS inbox,
	   (SELECT count(*) FROM unmatched_call_reports) AS unmatched;
SELECT calls, jobs > 0 AS has_jobs, events, followups,
	   (SELECT redacted_medical_history IS NOT NULL FROM leads WHERE id = :'pat') AS has_history
FROM pat_rows_before;

-- ---------------------------------------------------------------- who may erase

-- A member who is not an owner or admin: refused.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-0000000000a3", "role": "authenticated"}', true) IS NOT NULL AS member;
SET LOCAL ROLE authenticated;
SELECT lead_id FROM forget_contact(:'sam');
ROLLBACK;
-- Another organisation's owner: Sam is not their contact (row level security).
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "b0000000-0000-4000-8000-0000000000b1", "role": "authenticated"}', true) IS NOT NULL AS other_owner;
SET LOCAL ROLE authenticated;
SELECT lead_id FROM forget_contact(:'sam');
ROLLBACK;
-- A request without a user, and anon: refused.
BEGIN;
SET LOCAL ROLE authenticated;
SELECT lead_id FROM forget_contact(:'sam');
ROLLBACK;
BEGIN;
SET LOCAL ROLE anon;
SELECT lead_id FROM forget_contact(:'sam');
ROLLBACK;
-- The service, for a contact that does not exist.
BEGIN;
SET LOCAL ROLE service_role;
SELECT lead_id FROM forget_contact('99999999-0000-4000-8000-000000000000');
ROLLBACK;
-- Nothing was erased or logged.
SELECT (SELECT l::text FROM leads l WHERE id = :'sam') = lead AS sam_untouched, (SELECT count(*) FROM contact_erasures) AS erasures
FROM sam_rows_before;

-- ---------------------------------------------------------------- the service erases Pat

SET ROLE service_role;
SELECT lead_id = :'pat' AS pat, erased_by, erased_by_role, erased_at = now() AS now, counts
FROM forget_contact(:'pat');
RESET ROLE;

-- Pat is nowhere: no column of any table holds her number, address or name.
SELECT col, hits FROM pg_temp.hits('4155550123', 'pat.quinn@example.com', '{Pat,Quinn}') ORDER BY col;
-- Her rows stay, with their counts and timestamps; the contact is erased,
-- her queued call suppressed, her follow-up closed and her number given back.
SELECT (SELECT count(*) FROM vapi_call_logs WHERE lead_id = :'pat') = calls AS same_calls,
	   (SELECT array_agg(created_at ORDER BY created_at) FROM vapi_call_logs WHERE lead_id = :'pat') = call_times AS same_call_times,
	   (SELECT count(*) FROM outbox WHERE payload ->> 'lead_id' = :'pat' OR kind = 'cal.create_booking') = jobs AS same_jobs,
	   (SELECT count(*) FROM instantly_events WHERE lead_id = :'pat') = events AS same_events,
	   (SELECT count(*) FROM dropoff_followups WHERE lead_id = :'pat') = followups AS same_followups,
	   (SELECT count(*) FROM webhook_inbox) = inbox AS same_inbox,
	   (SELECT count(*) FROM unmatched_call_reports) = unmatched AS same_unmatched
FROM pat_rows_before;
SELECT status, name, email, primary_phone_e164, redacted_medical_history, vapi_assignment_id,
	   created_at IS NOT NULL AS created_at
FROM leads WHERE id = :'pat';
SELECT kind, state, payload - 'hold_id' - 'lead_id' - 'assignment_id' - 'followup_id' AS payload, last_error
FROM outbox WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000'
  AND (payload ->> 'lead_id' = :'pat' OR kind = 'cal.create_booking') ORDER BY id;
SELECT state, procedures FROM dropoff_followups WHERE lead_id = :'pat';
SELECT count(*) FILTER (WHERE status <> 'released') AS numbers_held FROM vapi_number_assignments WHERE lead_id = :'pat';
SELECT vapi_call_id, direction, status, outcome, duration_seconds IS NOT NULL AS duration, transcript, summary,
	   recording_url, ended_report
FROM vapi_call_logs WHERE lead_id = :'pat' ORDER BY vapi_call_id;
SELECT source, state, payload, answer FROM webhook_inbox
WHERE dedupe_key ~ '(call-000|calUid1|em-000)' ORDER BY id;

-- ---------------------------------------------------------------- an admin erases Lee, who opted out

BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-0000000000a2", "role": "authenticated"}', true) IS NOT NULL AS admin;
SET LOCAL ROLE authenticated;
SELECT lead_id = :'lee' AS lee, erased_by, erased_by_role FROM forget_contact(:'lee');
COMMIT;
-- Lee's number stays on the do-not-call list, and only there: erasing it
-- would make Lee callable again.
SELECT col, hits FROM pg_temp.hits('4155550145', 'lee.park@example.com', '{Lee,Park}') ORDER BY col;
SELECT phone, source FROM do_not_call WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';

-- ---------------------------------------------------------------- Sam is untouched

SELECT col, hits FROM sam_before
EXCEPT SELECT col, hits FROM pg_temp.hits('2125550188', 'sam.rivera@example.com', '{Sam,Rivera}');
SELECT col, hits FROM pg_temp.hits('2125550188', 'sam.rivera@example.com', '{Sam,Rivera}')
EXCEPT SELECT col, hits FROM sam_before;
SELECT (SELECT l::text FROM leads l WHERE id = :'sam') = lead AS same_lead,
	   (SELECT string_agg(c::text, '|' ORDER BY c.id) FROM vapi_call_logs c WHERE lead_id = :'sam') = calls AS same_calls
FROM sam_rows_before;

-- ---------------------------------------------------------------- the log

-- Who, when, which contact and how many rows: never what (the search above
-- covers contact_erasures too).
SELECT lead_id = :'pat' AS pat, erased_by, erased_by_role, counts FROM contact_erasures ORDER BY erased_at, lead_id = :'pat' DESC;
-- Owners and admins of the organisation read it; members and other
-- organisations do not.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-0000000000a1", "role": "authenticated"}', true) IS NOT NULL AS owner;
SET LOCAL ROLE authenticated;
SELECT count(*) AS owner_sees FROM contact_erasures;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-0000000000a3", "role": "authenticated"}', true) IS NOT NULL AS member;
SELECT count(*) AS member_sees FROM contact_erasures;
SELECT set_config('request.jwt.claims', '{"sub": "b0000000-0000-4000-8000-0000000000b1", "role": "authenticated"}', true) IS NOT NULL AS other_owner;
SELECT count(*) AS other_org_sees FROM contact_erasures;
-- nobody writes it by hand
INSERT INTO contact_erasures (org_id, lead_id, erased_by_role, counts)
VALUES ('aaaaaaaa-0000-4000-8000-000000000000', gen_random_uuid(), 'owner', '{}');
ROLLBACK;

-- Erasing again changes nothing more and is logged again.
SELECT erased_by_role = current_user AS by_superuser, counts FROM forget_contact(:'pat');
SELECT count(*) AS erasures FROM contact_erasures;

-- A new reply from the same address later is a new contact with new data:
-- the erased row is not found by it.
SELECT state, answer ->> 'decision' AS decision FROM receive_webhook('instantly', pg_temp.reply('em-0002', 'Pat', 'Quinn',
	'pat.quinn@example.com', '(415) 555-0123', 'Call me please, 415-555-0123.'));
SELECT count(*) AS pat_contacts, count(*) FILTER (WHERE status = 'erased') AS erased FROM leads
WHERE id = :'pat' OR lower(email) = 'pat.quinn@example.com';

-- ---------------------------------------------------------------- an admin reaches only their organisation

-- Val, a contact of the clinic whose Instantly lead id (free text an
-- operator may type) is the name of a Vapi event, and whose number is in
-- another organisation's inbox event, in an inbox event of no organisation
-- and in a report of an unknown call.
INSERT INTO leads (org_id, broker_id, first_name, last_name, primary_phone_e164, instantly_lead_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Val', 'Moss',
	 '+16465550142', 'end-of-call-report')
RETURNING id AS val \gset
INSERT INTO webhook_inbox (org_id, source, event_type, dedupe_key, state, http_status, answer, error, payload) VALUES
	('bbbbbbbb-0000-4000-8000-000000000000', 'vapi', 'end-of-call-report', 'tenant-b-1', 'processed', 200, '{"ok": true}', NULL,
	 '{"message": {"type": "end-of-call-report", "call": {"id": "call-b-1", "customer": {"number": "+16465550142"}}}}'),
	(NULL, 'vapi', 'end-of-call-report', 'orgless-1', 'failed', 500, '{}', 'no such call',
	 '{"message": {"type": "end-of-call-report", "call": {"id": "call-x-1", "customer": {"number": "+16465550142"}}}}'),
	(NULL, 'vapi', 'end-of-call-report', 'orgless-2', 'failed', 500, '{}', 'no such call',
	 '{"message": {"type": "end-of-call-report", "call": {"id": "call-x-2", "customer": {"number": "+17185550100"}}}}'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'vapi', 'status-update', 'val-own-1', 'processed', 200, '{"ok": true}', NULL,
	 '{"message": {"type": "status-update", "call": {"id": "call-v-1", "customer": {"number": "+16465550142"}}}}');
INSERT INTO unmatched_call_reports (vapi_call_id, ended_reason, transcript, summary, report) VALUES
	('call-x-3', 'customer-ended-call', 'User: hello there.', 'A caller said hello.',
	 '{"message": {"type": "end-of-call-report", "call": {"id": "call-x-3", "customer": {"number": "+16465550142"}}}}'),
	('call-x-4', 'customer-ended-call', 'User: good morning.', 'A caller said good morning.',
	 '{"message": {"type": "end-of-call-report", "call": {"id": "call-x-4", "customer": {"number": "+17185550100"}}}}');
CREATE TEMP TABLE foreign_before AS
SELECT 'inbox ' || dedupe_key AS row, i::text AS content FROM webhook_inbox i WHERE dedupe_key IN ('tenant-b-1', 'orgless-1', 'orgless-2')
UNION ALL SELECT 'unmatched ' || vapi_call_id, u::text FROM unmatched_call_reports u WHERE vapi_call_id IN ('call-x-3', 'call-x-4');
-- The clinic's admin erases Val: only the clinic's own event is cleared.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-0000000000a2", "role": "authenticated"}', true) IS NOT NULL AS admin;
SET LOCAL ROLE authenticated;
SELECT erased_by_role, counts -> 'webhook_inbox' AS inbox, counts -> 'unmatched_call_reports' AS unmatched FROM forget_contact(:'val');
COMMIT;
SELECT dedupe_key, payload FROM webhook_inbox WHERE dedupe_key = 'val-own-1';
-- Another organisation's event, the events of no organisation and the
-- reports of unknown calls are as they were.
SELECT b.row, a.content IS NOT DISTINCT FROM b.content AS untouched
FROM foreign_before b
LEFT JOIN (SELECT 'inbox ' || dedupe_key AS row, i::text AS content FROM webhook_inbox i
	UNION ALL SELECT 'unmatched ' || vapi_call_id, u::text FROM unmatched_call_reports u) a USING (row)
ORDER BY b.row;
-- The service erases in rows of no organisation, by the number, but never
-- by the Instantly lead id: Wes's is the name of a Vapi event too.
INSERT INTO leads (org_id, broker_id, first_name, last_name, primary_phone_e164, instantly_lead_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Wes', 'Hale',
	 '+16465550143', 'end-of-call-report')
RETURNING id AS wes \gset
INSERT INTO webhook_inbox (org_id, source, event_type, dedupe_key, state, http_status, answer, error, payload) VALUES
	(NULL, 'vapi', 'end-of-call-report', 'orgless-3', 'failed', 500, '{}', 'no such call',
	 '{"message": {"type": "end-of-call-report", "call": {"id": "call-x-5", "customer": {"number": "+16465550143"}}}}');
SET ROLE service_role;
SELECT counts -> 'webhook_inbox' AS inbox, counts -> 'unmatched_call_reports' AS unmatched FROM forget_contact(:'wes');
RESET ROLE;
SELECT dedupe_key, payload, error FROM webhook_inbox WHERE dedupe_key = 'orgless-3';
SELECT b.row, a.content IS NOT DISTINCT FROM b.content AS untouched
FROM foreign_before b
LEFT JOIN (SELECT 'inbox ' || dedupe_key AS row, i::text AS content FROM webhook_inbox i
	UNION ALL SELECT 'unmatched ' || vapi_call_id, u::text FROM unmatched_call_reports u) a USING (row)
WHERE b.row NOT IN ('inbox orgless-1', 'unmatched call-x-3')
ORDER BY b.row;

-- ---------------------------------------------------------------- two people, one number

-- Ann and Ben share a number (a household line).  Each has a call and an
-- Instantly reply; Ben's call has its report in the inbox and a text queued
-- after it.  Erasing Ann leaves everything of Ben's as it was.
INSERT INTO leads (org_id, broker_id, first_name, last_name, email, primary_phone_e164) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Ann', 'Lark',
	 'ann.lark@example.com', '+16465550160')
RETURNING id AS ann \gset
INSERT INTO leads (org_id, broker_id, first_name, last_name, email, primary_phone_e164) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Ben', 'Lark',
	 'ben.lark@example.com', '+16465550160')
RETURNING id AS ben \gset
INSERT INTO vapi_call_logs (org_id, lead_id, vapi_call_id, direction, status, from_e164, to_e164, transcript, summary) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', :'ann', 'call-ann-1', 'outbound_to_lead', 'ended',
	 '+13125550192', '+16465550160', 'User: I would like a cleaning.', 'Wants a cleaning.'),
	('aaaaaaaa-0000-4000-8000-000000000000', :'ben', 'call-ben-1', 'outbound_to_lead', 'ended',
	 '+13125550192', '+16465550160', 'User: I would like whitening.', 'Wants whitening.');
INSERT INTO instantly_events (org_id, event_type, dedup_key, email_id, campaign_id, workspace_id, lead_id, lead_email,
		reply_text, phone, call_number, decision, payload) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'reply_received', 'em-ann-1', 'em-ann-1', '1e24d68f-3645-42ac-a253-8b64ee61feee',
	 '51c0231c-9645-46c3-992a-ec88b782136d', :'ann', 'ann.lark@example.com', 'Call me on 646 555 0160', '+16465550160',
	 '+16465550160', 'recorded', '{"email_id": "em-ann-1", "phone": "+16465550160"}'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'reply_received', 'em-ben-1', 'em-ben-1', '1e24d68f-3645-42ac-a253-8b64ee61feee',
	 '51c0231c-9645-46c3-992a-ec88b782136d', :'ben', 'ben.lark@example.com', 'Call me on 646 555 0160', '+16465550160',
	 '+16465550160', 'recorded', '{"email_id": "em-ben-1", "phone": "+16465550160"}');
INSERT INTO webhook_inbox (org_id, source, event_type, dedupe_key, state, http_status, answer, error, payload) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'vapi', 'end-of-call-report', 'ben-report-1', 'processed', 200, '{"ok": true}', NULL,
	 '{"message": {"type": "end-of-call-report", "call": {"id": "call-ben-1", "customer": {"number": "+16465550160"}}}}');
INSERT INTO outbox (org_id, kind, payload, idempotency_key) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'vapi.sms',
	 '{"to": "+16465550160", "vapi_call_id": "call-ben-1", "body": "Thanks for your call, Ben"}', 'ben-sms-1');
CREATE TEMP TABLE ben_before AS
SELECT 'call' AS row, c::text AS content FROM vapi_call_logs c WHERE vapi_call_id = 'call-ben-1'
UNION ALL SELECT 'event', e::text FROM instantly_events e WHERE dedup_key = 'em-ben-1'
UNION ALL SELECT 'inbox', i::text FROM webhook_inbox i WHERE dedupe_key = 'ben-report-1'
UNION ALL SELECT 'outbox', j::text FROM outbox j WHERE idempotency_key = 'ben-sms-1'
UNION ALL SELECT 'lead', l::text FROM leads l WHERE id = :'ben';
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-0000000000a2", "role": "authenticated"}', true) IS NOT NULL AS admin;
SET LOCAL ROLE authenticated;
SELECT counts -> 'vapi_call_logs' AS calls, counts -> 'instantly_events' AS events, counts -> 'webhook_inbox' AS inbox,
	counts -> 'outbox' AS outbox FROM forget_contact(:'ann');
COMMIT;
-- Ann's call and reply are cleared ...
SELECT vapi_call_id, transcript, summary, to_e164 FROM vapi_call_logs WHERE vapi_call_id = 'call-ann-1';
SELECT dedup_key, reply_text, phone, payload FROM instantly_events WHERE dedup_key = 'em-ann-1';
-- ... and Ben's rows are as they were.
SELECT b.row, a.content IS NOT DISTINCT FROM b.content AS untouched
FROM ben_before b
LEFT JOIN (SELECT 'call' AS row, c::text AS content FROM vapi_call_logs c WHERE vapi_call_id = 'call-ben-1'
	UNION ALL SELECT 'event', e::text FROM instantly_events e WHERE dedup_key = 'em-ben-1'
	UNION ALL SELECT 'inbox', i::text FROM webhook_inbox i WHERE dedupe_key = 'ben-report-1'
	UNION ALL SELECT 'outbox', j::text FROM outbox j WHERE idempotency_key = 'ben-sms-1'
	UNION ALL SELECT 'lead', l::text FROM leads l WHERE id = :'ben') a USING (row)
ORDER BY b.row;

DROP EXTENSION vapi_pool CASCADE;
